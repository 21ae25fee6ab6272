/// Every message the compiler can say about a program, in one catalog.
///
/// Style (clang's and swiftc's): lowercase, no final period, code in single
/// quotes, say what was found. Tests match on ``id`` and on ``text``.
public enum DiagnosticMessage: Hashable, Sendable {
  // MARK: - Errors and warnings (please keep alphabetical)

  /// `train --data`: a column named twice in the header.
  case dataDuplicateColumn(String)
  /// `train --data`: the file has no header, or a header and no rows.
  case dataEmpty(hasHeader: Bool)
  /// `train --data`: a cell that is not a number.
  case dataNotANumber(String)
  /// `train --data`: a row with the wrong number of cells.
  case dataRaggedRow(expected: Int, got: Int)
  /// `train --data`: a header name that is not an `input` of the program.
  case dataUnknownColumn(String, suggestion: String?)
  /// `output` names a name twice.
  case duplicateOutput(String)
  /// An operand was expected: `A = 2 *` or `A = )`.
  case expectedExpression(found: String)
  /// A name was expected after `input`, `param`, `output`.
  case expectedName(after: String, found: String)
  /// A default after `input x =` must be a number literal.
  case expectedNumber(found: String)
  /// A token that cannot continue the statement: `A = x y`.
  case expectedStatementEnd(found: String)
  /// `(` never closed.
  case expectedClosingParen(openedAtLine: Int, found: String)
  /// A byte that begins no token: `$`, a control character, invalid UTF-8.
  case invalidCharacter(String)
  /// A number literal that does not parse: `1e`, `1.2.3`.
  case invalidNumber(String)
  /// `eval`: a function's argument sits exactly on its kink.
  case kinkHit(function: String, convention: String)
  /// An assignment to something that is not a name: `2 = x`.
  case invalidAssignmentTarget
  /// A name of the reserved form `_1`, `_2`, … defined by the user.
  case reservedName(String)
  /// `eval` needs a value for every leaf.
  case missingLeafValues([String])
  /// Parentheses, unary minus or `^` nested past the parser's limit.
  case nestingTooDeep(limit: Int)
  /// The program defines nothing to differentiate.
  case noOutput
  /// `train` on a program without `param` leaves.
  case noParameters
  /// `train`: the loss or its gradient stopped being finite.
  /// `step` is nil for the final loss, after the last step.
  case trainingDiverged(step: Int?, name: String, value: String, inDerivative: Bool)
  /// A number literal too large for a Double: `1e999`.
  case numberOutOfRange(String)
  /// `eval`: a value or derivative became NaN or infinite.
  case nonFiniteValue(name: String, value: String, inDerivative: Bool)
  /// A name defined twice.
  case redefinition(String)
  /// A reference to `_N` where no N-th anonymous output exists.
  case unknownAnonymousOutput(String)
  /// A call of a function that is not a builtin.
  case unknownFunction(String, suggestion: String?)
  /// `output` names a name that appears nowhere in the file.
  case unknownOutput(String, suggestion: String?)
  /// A leaf or variable that nothing uses and that is not an output.
  case unusedName(String, isLeaf: Bool)
  /// A name used but never defined (so a free leaf) that looks like a typo.
  case undefinedNameLooksLikeTypo(String, suggestion: String)
  /// A name used in a statement before the statement that defines it.
  case useBeforeDefinition(String)
  /// A builtin called with the wrong number of arguments.
  case wrongArity(function: String, expected: Int, got: Int)

  /// The case name, stable across rewordings, for tests.
  public var id: String {
    switch self {
    case .dataDuplicateColumn: "dataDuplicateColumn"
    case .dataEmpty: "dataEmpty"
    case .dataNotANumber: "dataNotANumber"
    case .dataRaggedRow: "dataRaggedRow"
    case .dataUnknownColumn: "dataUnknownColumn"
    case .duplicateOutput: "duplicateOutput"
    case .expectedExpression: "expectedExpression"
    case .expectedName: "expectedName"
    case .expectedNumber: "expectedNumber"
    case .expectedStatementEnd: "expectedStatementEnd"
    case .expectedClosingParen: "expectedClosingParen"
    case .invalidCharacter: "invalidCharacter"
    case .invalidNumber: "invalidNumber"
    case .kinkHit: "kinkHit"
    case .invalidAssignmentTarget: "invalidAssignmentTarget"
    case .reservedName: "reservedName"
    case .missingLeafValues: "missingLeafValues"
    case .nestingTooDeep: "nestingTooDeep"
    case .noOutput: "noOutput"
    case .noParameters: "noParameters"
    case .trainingDiverged: "trainingDiverged"
    case .numberOutOfRange: "numberOutOfRange"
    case .nonFiniteValue: "nonFiniteValue"
    case .redefinition: "redefinition"
    case .unknownAnonymousOutput: "unknownAnonymousOutput"
    case .unknownFunction: "unknownFunction"
    case .unknownOutput: "unknownOutput"
    case .unusedName: "unusedName"
    case .undefinedNameLooksLikeTypo: "undefinedNameLooksLikeTypo"
    case .useBeforeDefinition: "useBeforeDefinition"
    case .wrongArity: "wrongArity"
    }
  }

  /// The words a user reads.
  public var text: String {
    switch self {
    case .dataDuplicateColumn(let name):
      return "column \(Self.quoted(name)) appears more than once in the header"
    case .dataEmpty(let hasHeader):
      return hasHeader
        ? "the data file has a header but no rows"
        : "the data file is empty; it needs a header row of input names and one row per sample"
    case .dataNotANumber(let cell):
      return "\(Self.quoted(cell)) is not a number"
    case .dataRaggedRow(let expected, let got):
      return "this row has \(got) cell\(got == 1 ? "" : "s"); the header has \(expected)"
    case .dataUnknownColumn(let name, let suggestion):
      return "column \(Self.quoted(name)) is not an 'input' of the program" + Self.didYouMean(suggestion)
    case .duplicateOutput(let name):
      return "\(Self.quoted(name)) is already an output"
    case .expectedExpression(let found):
      return "expected expression, found \(found)"
    case .expectedName(let keyword, let found):
      return "expected a name after \(Self.quoted(keyword)), found \(found)"
    case .expectedNumber(let found):
      return "expected a number as the default value, found \(found)"
    case .expectedStatementEnd(let found):
      return "expected ';' or a new line after the statement, found \(found)"
    case .expectedClosingParen(let line, let found):
      return "expected ')' (to close '(' at line \(line)), found \(found)"
    case .invalidCharacter(let description):
      return description
    case .invalidNumber(let literal):
      return "invalid number \(Self.quoted(literal))"
    case .kinkHit(let function, let convention):
      return "\(Self.quoted(function)) is evaluated exactly at its kink; \(convention)"
    case .invalidAssignmentTarget:
      return "only a name can be assigned to"
    case .reservedName(let name):
      return "\(Self.quoted(name)) is reserved for anonymous outputs and cannot be defined"
    case .missingLeafValues(let names):
      let list = names.map(Self.quoted).joined(separator: ", ")
      let noun = names.count == 1 ? "leaf" : "leaves"
      let flags = names.prefix(3).map { "--set \(Self.shortened($0))=VALUE" }.joined(separator: " ")
      return "no value for \(noun) \(list); give a default in the program or \(flags)"
    case .noParameters:
      return "the program has no 'param' leaf to train; declare one, e.g. 'param w = 0.5'"
    case .trainingDiverged(let step, let name, let value, let inDerivative):
      let when = step.map { "training stopped at step \($0)" } ?? "after the last step, the final loss is not finite"
      return when + ": " + (inDerivative
        ? "\(name) is \(value); the first non-finite value arose in the derivative of this expression"
        : "\(Self.quoted(name)) is \(value); the first non-finite value arose in this expression")
    case .nestingTooDeep(let limit):
      return "expression nested too deeply (the limit is \(limit) levels)"
    case .noOutput:
      return "the program has no output; define a name, e.g. 'y = x^2', or write an expression"
    case .numberOutOfRange(let literal):
      return "number \(Self.quoted(literal)) is too large for a 64-bit float"
    case .nonFiniteValue(let name, let value, let inDerivative):
      return inDerivative
        ? "\(name) is \(value); the first non-finite value arose in the derivative of this expression"
        : "\(Self.quoted(name)) is \(value); the first non-finite value arose in this expression"
    case .redefinition(let name):
      return "\(Self.quoted(name)) is defined more than once"
    case .unknownAnonymousOutput(let name):
      return "\(Self.quoted(name)) names an anonymous output that the program does not have"
    case .unknownFunction(let name, let suggestion):
      return "unknown function \(Self.quoted(name))" + Self.didYouMean(suggestion)
    case .unknownOutput(let name, let suggestion):
      return "'output' names \(Self.quoted(name)), which the program does not define or use"
        + Self.didYouMean(suggestion)
    case .undefinedNameLooksLikeTypo(let name, let suggestion):
      return "\(Self.quoted(name)) is never defined, so it is a leaf with no default" + Self.didYouMean(suggestion)
    case .unusedName(let name, let isLeaf):
      return isLeaf
        ? "leaf \(Self.quoted(name)) is never used; the outputs do not depend on it"
        : "\(Self.quoted(name)) is never used and is not an output"
    case .useBeforeDefinition(let name):
      return "\(Self.quoted(name)) is used before its definition"
    case .wrongArity(let function, let expected, let got):
      let noun = expected == 1 ? "argument" : "arguments"
      return "\(Self.quoted(function)) takes \(expected) \(noun), but \(got) \(got == 1 ? "was" : "were") given"
    }
  }

  /// A name in single quotes, cut short when it is very long (a 1 MB
  /// identifier must not become a 1 MB message).
  static func quoted(_ name: String) -> String {
    "'\(shortened(name))'"
  }

  static func shortened(_ name: String) -> String {
    name.utf8.count <= 64 ? name : String(name.prefix(32)) + "…(\(name.utf8.count) characters)"
  }

  private static func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { "; did you mean \(quoted($0))?" } ?? ""
  }
}
