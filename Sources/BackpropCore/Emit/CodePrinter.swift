/// Builds generated source a line at a time with four-space indentation
/// (swift-protobuf's `CodePrinter`).
///
/// A printer made with a sink streams: every 64 KiB of text goes to the sink
/// and is dropped, so a file of 400 MB (a program of a million statements)
/// is never held whole. ``finish()`` hands over the rest.
struct CodePrinter {
  private(set) var text = ""
  private var indentation = ""
  private let sink: ((String) -> Void)?
  private static let flushSize = 1 << 16

  init() { sink = nil }

  /// A printer that hands its text to `sink` in pieces.
  init(streamingTo sink: @escaping (String) -> Void) {
    self.sink = sink
    text.reserveCapacity(Self.flushSize + 4096)
  }

  mutating func line(_ s: String = "") {
    if !s.isEmpty {
      text.append(indentation)
      text.append(s)
    }
    text.append("\n")
    flushIfFull()
  }

  /// A line built in place by `build`, which appends to the text.
  mutating func line(building build: (inout String) -> Void) {
    text.append(indentation)
    build(&text)
    text.append("\n")
    flushIfFull()
  }

  mutating func lines(_ block: String) {
    for l in block.split(separator: "\n", omittingEmptySubsequences: false) { line(String(l)) }
  }

  mutating func indented(_ body: (inout CodePrinter) -> Void) {
    let saved = indentation
    indentation += "    "
    body(&self)
    indentation = saved
  }

  /// Hands the text not yet streamed to the sink.
  mutating func finish() {
    guard let sink, !text.isEmpty else { return }
    sink(text)
    text.removeAll(keepingCapacity: true)
  }

  private mutating func flushIfFull() {
    if sink != nil && text.utf8.count >= Self.flushSize { finish() }
  }
}
