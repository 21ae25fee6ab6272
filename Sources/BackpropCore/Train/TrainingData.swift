/// `train --data rows.csv` (SPEC §5, §6.6): a header row of `input` names
/// (an array input's elements as `x[0]`, `W[1,0]`, a cell in double quotes
/// if it likes), then one sample per row, numbers only. Spaces around cells,
/// CRLF line ends and blank lines are accepted; anything else is an error at
/// `rows.csv:LINE:COL`.
public struct TrainingData: Sendable {
  /// The leaf (its position among the leaves) and element of each column.
  var columns: [(leaf: Int, element: Int)]
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

    /// The cells of a line: (text without surrounding blanks, its range). A
    /// comma inside `[ ]` or double quotes does not end a cell.
    func cells(_ line: (start: Int, end: Int)) -> [(text: String, range: SourceRange)] {
      var end = line.end
      if end > line.start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      var result: [(String, SourceRange)] = []
      var cellStart = line.start
      var depth = 0
      var quoted = false
      for i in line.start...end {
        if i < end {
          switch bytes[i] {
          case UInt8(ascii: "\""): quoted.toggle()
          case UInt8(ascii: "[") where !quoted: depth += 1
          case UInt8(ascii: "]") where !quoted: depth = max(0, depth - 1)
          default: break
          }
          guard bytes[i] == UInt8(ascii: ","), depth == 0, !quoted else { continue }
        }
        var a = cellStart
        var b = i
        while a < b && (bytes[a] == 32 || bytes[a] == 9) { a += 1 }
        while b > a && (bytes[b - 1] == 32 || bytes[b - 1] == 9) { b -= 1 }
        result.append(
          (String(decoding: bytes[a..<b], as: UTF8.self), SourceRange(a, b == a ? a + 1 : b)))
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
    var columns: [(leaf: Int, element: Int)] = []
    var seen = Set<String>()
    var firstColumn: [Int: SourceRange] = [:]
    let before = diagnostics.errorCount
    for (cell, range) in cells(header) {
      var text = cell
      if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
        text = String(text.dropFirst().dropLast())
      }
      let parsed = ElementName(parsing: text)
      let name = parsed?.name ?? text
      guard
        let (leaf, symbol) = inputs.first(where: { $0.element.name == name }).map({
          ($0.offset, $0.element)
        })
      else {
        let suggestion = Suggestion.closest(to: name, among: inputs.map(\.element.name))
        diagnostics.error(.dataUnknownColumn(text, suggestion: suggestion), at: range)
        continue
      }
      let element = parsed?.element ?? []
      guard element.count == symbol.shape.count, zip(element, symbol.shape).allSatisfy({ $0 < $1 })
      else {
        diagnostics.error(.dataColumnElement(text, shape: symbol.shape), at: range)
        continue
      }
      let key = Layout.elementName(name, element)
      if !seen.insert(symbol.shape.isEmpty ? name : key).inserted {
        diagnostics.error(.dataDuplicateColumn(text), at: range)
        continue
      }
      firstColumn[leaf] = firstColumn[leaf] ?? range
      columns.append((leaf, Layout.flatIndex(element, shape: symbol.shape)))
    }
    // An array input comes with all of its elements, or none.
    for (leaf, range) in firstColumn.sorted(by: { $0.value.start < $1.value.start }) {
      let symbol = program.symbols[leaf]
      let given = Set(columns.filter { $0.leaf == leaf }.map(\.element))
      if given.count < symbol.size,
        let absent = (0..<symbol.size).first(where: { !given.contains($0) })
      {
        let missing = Layout.elementName(symbol.name, Layout.element(absent, shape: symbol.shape))
        diagnostics.error(
          .dataPartialArray(symbol.name, present: given.count, size: symbol.size, missing: missing),
          at: range)
      }
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
