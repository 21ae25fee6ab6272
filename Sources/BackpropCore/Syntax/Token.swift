/// A lexical token. Its text is read back from the ``SourceFile`` by range.
struct Token: Sendable {
  enum Kind: Sendable, Equatable {
    case identifier
    case number
    case keywordInput  // input
    case keywordParam  // param
    case keywordOutput  // output
    case plus  // +
    case minus  // -
    case star  // *
    case slash  // /
    case caret  // ^
    case leftParen  // (
    case rightParen  // )
    case leftBracket  // [
    case rightBracket  // ]
    case comma  // ,
    case equals  // =
    case semicolon  // ;
    case comparison(ComparisonOperator)  // < <= > >= == !=
    /// A run of bytes that begins no token; the lexer has reported it.
    case invalid
    case endOfFile
  }

  var kind: Kind
  var range: SourceRange
  /// True when a line break (or a comment running to one) separates this token
  /// from the one before it. The parser ends statements with it, which is how
  /// "a newline inside parentheses or brackets, or after an operator, does not
  /// end the statement" becomes a local decision.
  var newlineBefore: Bool
}

extension Token.Kind {
  /// How a diagnostic names a token kind when it has no text of interest.
  var spelling: String {
    switch self {
    case .identifier: "name"
    case .number: "number"
    case .keywordInput: "'input'"
    case .keywordParam: "'param'"
    case .keywordOutput: "'output'"
    case .plus: "'+'"
    case .minus: "'-'"
    case .star: "'*'"
    case .slash: "'/'"
    case .caret: "'^'"
    case .leftParen: "'('"
    case .rightParen: "')'"
    case .leftBracket: "'['"
    case .rightBracket: "']'"
    case .comma: "','"
    case .equals: "'='"
    case .semicolon: "';'"
    case .comparison(let op): "'\(op.rawValue)'"
    case .invalid: "invalid character"
    case .endOfFile: "end of file"
    }
  }
}
