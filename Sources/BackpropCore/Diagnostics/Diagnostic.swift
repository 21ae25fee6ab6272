/// How bad a ``Diagnostic`` is.
enum Severity: String, Sendable {
  case error
  case warning
}

/// A problem found in a program, as a value: phases collect these and only the
/// command line renders them.
public struct Diagnostic: Sendable {
  var severity: Severity
  var range: SourceRange
  var message: DiagnosticMessage
  /// Related places (an earlier definition, a suggestion), rendered after it.
  var notes: [Note]

  struct Note: Sendable {
    var range: SourceRange
    var message: DiagnosticMessage

    init(_ message: DiagnosticMessage, at range: SourceRange) {
      self.message = message
      self.range = range
    }
  }

  init(
    _ severity: Severity, _ message: DiagnosticMessage, at range: SourceRange,
    notes: [Note] = []
  ) {
    self.severity = severity
    self.message = message
    self.range = range
    self.notes = notes
  }
}

/// The diagnostics of one run, in the order phases found them.
public struct DiagnosticList: Sendable {
  private(set) var items: [Diagnostic] = []
  /// Diagnostics of one severity after this many are counted but not kept: a
  /// file of random bytes must not print a million lines.
  static let limit = 50
  private(set) var errorCount = 0
  private(set) var warningCount = 0

  public init() {}

  public var hasErrors: Bool { errorCount > 0 }
  /// How many diagnostics were counted but not kept.
  var droppedCount: Int {
    max(0, errorCount - Self.limit) + max(0, warningCount - Self.limit)
  }

  public mutating func append(_ diagnostic: Diagnostic) {
    switch diagnostic.severity {
    case .error:
      errorCount += 1
      if errorCount > Self.limit { return }
    case .warning:
      warningCount += 1
      if warningCount > Self.limit { return }
    }
    items.append(diagnostic)
  }

  mutating func append(contentsOf other: DiagnosticList) {
    for diagnostic in other.items { append(diagnostic) }
    errorCount += max(0, other.errorCount - Self.limit)
    warningCount += max(0, other.warningCount - Self.limit)
  }

  mutating func error(
    _ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []
  ) {
    append(Diagnostic(.error, message, at: range, notes: notes))
  }

  mutating func warning(
    _ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []
  ) {
    append(Diagnostic(.warning, message, at: range, notes: notes))
  }

  /// The diagnostics ordered by position (stable for equal positions), as a
  /// reader walks the file.
  func sorted() -> [Diagnostic] {
    items.enumerated().sorted {
      ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset)
    }.map(\.element)
  }
}
