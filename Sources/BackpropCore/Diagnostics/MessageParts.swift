/// Parts of the catalog's messages (``DiagnosticMessage``) that are more
/// than a string.

/// Where in a loop something happened: the first place (`h[1]`, an element
/// of the statement's array, or a point of the loops, `j = 1, i = 0`), and at
/// how many of the loops' points.
public struct Occurrence: Hashable, Sendable {
  var place: String
  var isElement: Bool
  var count: Int
  var total: Int
}

/// A number `eval` reports, by its name there (`'y'`, `∂z/∂x[1]`), as text.
public struct ReportedValue: Hashable, Sendable {
  var name: String
  var value: String
}

/// What is wrong with a `--set` value.
public enum SettingProblem: Error, Hashable, Sendable {
  /// not `NAME=` or `NAME[i, j]=`
  case syntax
  /// a number that does not parse or is not finite: its text
  case notANumber(String)
  /// a list at some depth with another length than the first there
  case ragged(expected: Int, got: Int)
  /// numbers and lists at one depth
  case mixed
  /// lists nested deeper than an array's rank
  case tooDeep
  /// a list not closed, or text after the value
  case malformed
}
