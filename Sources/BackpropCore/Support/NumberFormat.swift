/// The one routine that prints a Double, for JSON, `eval`, and code.
enum NumberFormat {
  /// Shortest text that reads back to the same Double, integers without a
  /// fraction: `48400`, `1.1`, `1e-07`, `-0`. Non-finite values give the
  /// protobuf JSON spellings `NaN`, `Infinity`, `-Infinity` (unquoted here).
  static func shortest(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
    if x == x.rounded(), x.magnitude < 1e16 {
      let integer = Int64(x)
      return (x == 0 && x.sign == .minus) ? "-0" : String(integer)
    }
    return x.description
  }

  /// A JSON number, or a JSON string for a non-finite value.
  static func json(_ x: Double) -> String {
    x.isFinite ? shortest(x) : "\"\(shortest(x))\""
  }

  /// A floating-point literal for C: always with a `.` or an exponent, so
  /// `1 / 2` can never become integer division.
  static func cLiteral(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "NAN" : (x < 0 ? "-INFINITY" : "INFINITY") }
    let text = x.description
    return text.contains(where: { $0 == "." || $0 == "e" }) ? text : text + ".0"
  }

  /// A literal for Swift, where `2` is a Double wherever a Double is expected.
  static func swiftLiteral(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? ".nan" : (x < 0 ? "-.infinity" : ".infinity") }
    if x == x.rounded(), x.magnitude < 1e16, !(x == 0 && x.sign == .minus) {
      return String(Int64(x))
    }
    return x.description
  }
}
