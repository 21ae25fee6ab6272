/// The parsed program: statements, and their expressions in one flat arena.
///
/// Expressions refer to their operands by index, and the parser appends every
/// operand before the node that uses it, so the arena is in post-order: later
/// phases walk it with a plain loop. No phase recurses over expressions, and
/// no deep tree is ever freed recursively, so a 10 MB one-line sum cannot
/// overflow the stack.
public struct SyntaxTree: Sendable {
  var statements: [Statement] = []
  var expressions: [Expression] = []

  public init() {}

  /// How many statements the program has (the benchmark reports it).
  public var statementCount: Int { statements.count }

  subscript(id: ExpressionID) -> Expression { expressions[id.index] }
}

/// The index of an expression in ``SyntaxTree/expressions``.
struct ExpressionID: Hashable, Sendable {
  var index: Int
}

/// expression nodes; names match the productions of `Grammar/backprop.ebnf`.
struct Expression: Sendable {
  enum Kind: Sendable {
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
    /// `W[j, 0]`: an element of an array
    case element(String, nameRange: SourceRange, subscripts: [SubscriptSyntax])
    /// `sum(i, body)`, `logsumexp(i, j, body)`: the indices are bound in the body
    case reduction(Reduction, nameRange: SourceRange, indices: [IndexName], body: ExpressionID)
    /// `x > 0`: only as the first argument of `where` (SPEC §7.6)
    case comparison(ComparisonOperator, ExpressionID, ExpressionID)
    /// `( inner )`, kept so ranges and the "plain literal" rule see the parentheses
    case parenthesized(ExpressionID)
    /// stands in for an expression that failed to parse; the error is reported
    case error
  }

  var kind: Kind
  var range: SourceRange
}

/// One subscript as written: an index, a constant, or an affine sum of them.
enum SubscriptSyntax: Sendable, Equatable {
  /// an index name: `j`
  case index(IndexName)
  /// a constant subscript, digits only: `0`; `Int.max` when too large to hold
  case constant(Int, SourceRange)
  /// `i + 1`, `t - 1`, `2*i + k - 1` (SPEC §7.1): indices, each at most once
  /// and with a coefficient ≥ 1, plus one signed constant (0 when none)
  case affine([AffineTermSyntax], constant: Int, SourceRange)

  var range: SourceRange {
    switch self {
    case .index(let index): index.range
    case .constant(_, let range), .affine(_, _, let range): range
    }
  }
}

extension SubscriptSyntax {
  /// The subscript as a person writes it: `i`, `0`, `2*i + k - 1`.
  var text: String {
    switch self {
    case .index(let index): index.name
    case .constant(let value, _): String(value)
    case .affine(let terms, let constant, _):
      AffineText.render(terms.map { ($0.index.name, $0.coefficient) }, constant: constant)
    }
  }
}

/// One index of an affine subscript and its coefficient: the `2*i` of `2*i + k`.
struct AffineTermSyntax: Sendable, Equatable {
  var coefficient: Int
  var index: IndexName
}

/// An index name where it is bound or used.
struct IndexName: Sendable, Equatable {
  var name: String
  var range: SourceRange
}

/// What a reduction folds its terms into.
enum Reduction: String, Sendable {
  /// the terms' sum, ascending from the first term
  case sum
  /// log Σ exp(term), computed stably
  case logsumexp
  /// the largest term, folded ascending with C's fmax (SPEC §7.5): a NaN
  /// term is ignored unless all are NaN
  case maximum = "max"
  /// the smallest term, with fmin
  case minimum = "min"

  /// `sum` and `logsumexp` are reductions whenever `(` follows; `max` and
  /// `min` only when their first arguments are indices their last uses as
  /// subscripts (else they are the binary builtins).
  static func always(_ name: String) -> Reduction? {
    name == "sum" ? .sum : name == "logsumexp" ? .logsumexp : nil
  }

  /// How `explain` and `graph` head it: `Σ_`, `logsumexp_`, `max_`, `min_`.
  var symbol: String { self == .sum ? "Σ_" : rawValue + "_" }
}

/// A comparison of `where`'s condition; with a NaN operand only `!=` holds.
enum ComparisonOperator: String, Sendable, CaseIterable {
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  case equal = "=="
  case notEqual = "!="
}

enum BinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case power = "^"
}

/// One statement of the program.
struct Statement: Sendable {
  enum Kind: Sendable {
    /// `name = value`, or `name[i, j] = value` with the left indices
    case assignment(name: String, nameRange: SourceRange, indices: [IndexName], value: ExpressionID)
    /// `name = [1, 2]`: an array leaf given by a list
    case listAssignment(name: String, nameRange: SourceRange, list: ListLiteral)
    /// `input a = 1, b` or `param w = 0.5`
    case declaration(LeafKind, [LeafDeclaration])
    /// `output A, B`
    case output([(name: String, range: SourceRange)])
    /// an expression on its own: an anonymous output `_1`, `_2`, …
    case expression(ExpressionID)
  }

  var kind: Kind
  var range: SourceRange
  /// The arena indices of this statement's expressions, in post-order.
  var expressions: Range<Int>
}

/// How a leaf came to be.
enum LeafKind: String, Sendable {
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
struct LeafDeclaration: Sendable {
  var name: String
  var nameRange: SourceRange
  /// `x[2, 3]`'s extents (`Int.max` for one too large to hold), or nil for a scalar.
  var shape: [Int]?
  /// From the `[` to the `]` of the shape.
  var shapeRange: SourceRange?
  /// The default: one number (for an array, every element), a list, or an initialiser.
  var defaultValue: Double?
  var defaultList: ListLiteral?
  var initializer: Initializer?
  /// The default's text, sign included, for error messages and rewriting.
  var defaultRange: SourceRange?

  init(name: String, nameRange: SourceRange) {
    self.name = name
    self.nameRange = nameRange
  }
}

/// `[[1, 2], [3, 4]]`: its shape, from the first item at each depth, and its
/// numbers, row-major.
struct ListLiteral: Sendable {
  var shape: [Int]
  var values: [Double]
  var range: SourceRange
}

/// A param's random start (SPEC §6.2), from the seeded generator.
enum Initializer: Sendable, Equatable {
  /// uniform in ±sqrt(6/(fan_in + fan_out))
  case xavier
  /// normal, mean 0, standard deviation sqrt(2/fan_in)
  case he
  /// uniform in [a, b)
  case uniform(Double, Double)
  /// normal with this mean and standard deviation
  case normal(mean: Double, std: Double)
}

extension ComparisonOperator {
  /// The row that computes the comparison as 1 or 0.
  var builtin: Builtin {
    switch self {
    case .less: .less
    case .lessOrEqual: .lessOrEqual
    case .greater: .greater
    case .greaterOrEqual: .greaterOrEqual
    case .equal: .equal
    case .notEqual: .notEqual
    }
  }
}

extension Builtin {
  /// The comparison this row computes, for rows that are `where`'s conditions.
  var comparison: ComparisonOperator? {
    ComparisonOperator.allCases.first { $0.builtin == self }
  }
}
