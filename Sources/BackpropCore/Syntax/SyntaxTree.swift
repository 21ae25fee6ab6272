/// The parsed program: statements, and their expressions in one flat arena.
///
/// Expressions refer to their operands by index, and the parser appends every
/// operand before the node that uses it, so the arena is in post-order: later
/// phases walk it with a plain loop. No phase recurses over expressions, and
/// no deep tree is ever freed recursively, so a 10 MB one-line sum cannot
/// overflow the stack.
public struct SyntaxTree: Sendable {
  public var statements: [Statement] = []
  public var expressions: [Expression] = []

  public init() {}

  public subscript(id: ExpressionID) -> Expression { expressions[id.index] }
}

/// The index of an expression in ``SyntaxTree/expressions``.
public struct ExpressionID: Hashable, Sendable {
  public var index: Int
}

/// expression nodes; names match the productions of `Grammar/backprop.ebnf`.
public struct Expression: Sendable {
  public enum Kind: Sendable {
    /// number literal
    case number(Double)
    /// a reference to a variable or leaf
    case name(String)
    /// `-operand`
    case negate(ExpressionID)
    /// `lhs op rhs`
    case binary(BinaryOperator, ExpressionID, ExpressionID)
    /// `function(arguments)`; `nameRange` covers just the function's name
    case call(String, nameRange: SourceRange, arguments: [ExpressionID])
    /// `( inner )`, kept so ranges and the "plain literal" rule see the parentheses
    case parenthesized(ExpressionID)
    /// stands in for an expression that failed to parse; the error is reported
    case error
  }

  public var kind: Kind
  public var range: SourceRange
}

public enum BinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case power = "^"
}

/// One statement of the program.
public struct Statement: Sendable {
  public enum Kind: Sendable {
    /// `name = value`
    case assignment(name: String, nameRange: SourceRange, value: ExpressionID)
    /// `input a = 1, b` or `param w = 0.5`
    case declaration(LeafKind, [LeafDeclaration])
    /// `output A, B`
    case output([(name: String, range: SourceRange)])
    /// an expression on its own: an anonymous output `_1`, `_2`, …
    case expression(ExpressionID)
  }

  public var kind: Kind
  public var range: SourceRange
  /// The arena indices of this statement's expressions, in post-order.
  public var expressions: Range<Int>
}

/// How a leaf came to be.
public enum LeafKind: String, Sendable {
  /// declared `input`: data
  case input
  /// declared `param`: trained by `train`
  case param
  /// defined as a plain number literal, `x = 100`
  case literal
  /// used but never defined or declared
  case free
}

/// One name in an `input` or `param` statement.
public struct LeafDeclaration: Sendable {
  public var name: String
  public var nameRange: SourceRange
  public var defaultValue: Double?
  /// The default's text, sign included, for error messages and rewriting.
  public var defaultRange: SourceRange?
}
