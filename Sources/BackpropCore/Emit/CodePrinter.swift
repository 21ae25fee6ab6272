/// Builds generated source a line at a time with four-space indentation
/// (swift-protobuf's `CodePrinter`).
struct CodePrinter {
  private(set) var text = ""
  private var indentation = ""

  init() {}

  /// Room for about `bytes` of text, so a long file is not copied as it grows.
  init(reservingCapacity bytes: Int) {
    text.reserveCapacity(bytes)
  }

  mutating func line(_ s: String = "") {
    if !s.isEmpty {
      text.append(indentation)
      text.append(s)
    }
    text.append("\n")
  }

  /// A line built in place by `build`, which appends to the text.
  mutating func line(building build: (inout String) -> Void) {
    text.append(indentation)
    build(&text)
    text.append("\n")
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
}
