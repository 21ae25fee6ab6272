/// A program's text with the bookkeeping to turn byte offsets into lines and
/// columns.
///
/// The compiler works on bytes, never on `Character`s: a 10 MB file of random
/// bytes must lex in linear time, and columns are 1-based UTF-8 byte counts, as
/// clang and swiftc count them.
public struct SourceFile: Sendable {
  /// The name diagnostics print: the path as the user gave it, or `<stdin>`.
  let name: String
  let bytes: [UInt8]
  /// Offsets at which each line starts; `lineStarts[0] == 0`.
  private let lineStarts: [Int]

  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
    var starts = [0]
    for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  init(name: String, text: String) {
    self.init(name: name, bytes: Array(text.utf8))
  }

  /// The 1-based line and column of a byte offset.
  func location(of offset: Int) -> (line: Int, column: Int) {
    // The last line start at or before `offset`, by binary search.
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return (low + 1, offset - lineStarts[low] + 1)
  }

  /// The bytes of a 1-based line, without its line break.
  func lineBytes(_ line: Int) -> ArraySlice<UInt8> {
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
    if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return bytes[start..<max(start, end)]
  }

  /// The text of a range, for names and numbers (always ASCII once lexed).
  func text(_ range: SourceRange) -> String {
    String(decoding: bytes[range.start..<range.end], as: UTF8.self)
  }
}

/// A half-open range of byte offsets into a ``SourceFile``. Every syntax
/// node and IR instruction carries one, so it is stored in 32 bits per
/// offset: exact for files up to 4 GiB, beyond which offsets saturate.
struct SourceRange: Hashable, Sendable {
  private var storedStart: UInt32
  private var storedEnd: UInt32

  var start: Int {
    get { Int(storedStart) }
    set { storedStart = UInt32(clamping: newValue) }
  }

  var end: Int {
    get { Int(storedEnd) }
    set { storedEnd = UInt32(clamping: newValue) }
  }

  init(_ start: Int, _ end: Int) {
    storedStart = UInt32(clamping: start)
    storedEnd = UInt32(clamping: max(start, end))
  }

  /// The smallest range that covers both.
  func union(_ other: SourceRange) -> SourceRange {
    SourceRange(min(start, other.start), max(end, other.end))
  }
}
