/// Small text helpers every phase may use.
extension String {
  /// Padded with spaces on the right to `width` characters.
  func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }

  /// Padded with zeros on the left to `width` characters.
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }

  /// Everything after the first line break.
  func droppingFirstLine() -> String {
    guard let newline = firstIndex(of: "\n") else { return "" }
    return String(self[index(after: newline)...])
  }

  func trimmingTrailingSpaces() -> String {
    var s = Substring(self)
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
