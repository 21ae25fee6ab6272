/// `train --data rows.csv` (SPEC §5): a header row of `input` names, then one
/// sample per row, numbers only. Spaces around cells, CRLF line ends and blank
/// lines are accepted; anything else is an error at `rows.csv:LINE:COL`.
public struct TrainingData: Sendable {
  /// The leaf index of each column.
  public var columns: [Int]
  public var rows: [[Double]]

  /// Reads `file` against the program's leaves; errors go to `diagnostics`
  /// (positions in `file`).
  public static func read(
    _ file: SourceFile, program: Program, into diagnostics: inout DiagnosticList
  ) -> TrainingData? {
    let bytes = file.bytes
    var lines: [(start: Int, end: Int)] = []
    var start = 0
    for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      lines.append((start, i))
      start = i + 1
    }
    if start < bytes.count { lines.append((start, bytes.count)) }

    /// The cells of a line: (text without surrounding blanks, its range).
    func cells(_ line: (start: Int, end: Int)) -> [(text: String, range: SourceRange)] {
      var end = line.end
      if end > line.start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      var result: [(String, SourceRange)] = []
      var cellStart = line.start
      for i in line.start...end where i == end || bytes[i] == UInt8(ascii: ",") {
        var a = cellStart
        var b = i
        while a < b && (bytes[a] == 32 || bytes[a] == 9) { a += 1 }
        while b > a && (bytes[b - 1] == 32 || bytes[b - 1] == 9) { b -= 1 }
        result.append((String(decoding: bytes[a..<b], as: UTF8.self), SourceRange(a, b == a ? a + 1 : b)))
        cellStart = i + 1
      }
      return result
    }
    func isBlank(_ line: (start: Int, end: Int)) -> Bool {
      bytes[line.start..<line.end].allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
    }

    let content = lines.filter { !isBlank($0) }
    guard let header = content.first else {
      diagnostics.error(.dataEmpty(hasHeader: false), at: SourceRange(0, 0))
      return nil
    }
    let inputs = program.leaves.enumerated().filter { $0.element.leaf == .input }
    var columns: [Int] = []
    var seen = Set<String>()
    let before = diagnostics.errorCount
    for (name, range) in cells(header) {
      guard let leaf = inputs.first(where: { $0.element.name == name })?.offset else {
        let suggestion = Suggestion.closest(to: name, among: inputs.map(\.element.name))
        diagnostics.error(.dataUnknownColumn(name, suggestion: suggestion), at: range)
        continue
      }
      if !seen.insert(name).inserted {
        diagnostics.error(.dataDuplicateColumn(name), at: range)
        continue
      }
      columns.append(leaf)
    }
    let width = cells(header).count
    var rows: [[Double]] = []
    for line in content.dropFirst() {
      let row = cells(line)
      guard row.count == width else {
        // Past the header's width: the first extra cell; short: just after the last.
        let last = row.last?.range.end ?? line.start
        let at = row.count > width ? row[width].range : SourceRange(last, last)
        diagnostics.error(.dataRaggedRow(expected: width, got: row.count), at: at)
        continue
      }
      var values: [Double] = []
      for (text, range) in row {
        guard !text.isEmpty, let value = Double(text), value.isFinite else {
          diagnostics.error(.dataNotANumber(text), at: range)
          continue
        }
        values.append(value)
      }
      rows.append(values)
    }
    if rows.isEmpty && diagnostics.errorCount == before {
      diagnostics.error(.dataEmpty(hasHeader: true), at: SourceRange(header.end, header.end))
    }
    return diagnostics.errorCount == before ? TrainingData(columns: columns, rows: rows) : nil
  }
}
