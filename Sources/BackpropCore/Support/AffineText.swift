/// An affine subscript as text, the one spelling of `2*i + k - 1` that the
/// syntax, the IR printer and `explain` share: terms in order, a coefficient
/// of 1 left out, then the constant's sign and magnitude (or the constant
/// alone when there are no terms).
enum AffineText {
  /// - Parameter times: between a coefficient and its index: `*` in source
  ///   and IR, empty in formulas (`2i`).
  static func render(
    _ terms: [(name: String, coefficient: Int)], constant: Int, times: String = "*"
  ) -> String {
    var text = terms.map { ($0.coefficient == 1 ? "" : "\($0.coefficient)\(times)") + $0.name }
      .joined(separator: " + ")
    if text.isEmpty { return String(constant) }
    if constant > 0 { text += " + \(constant)" }
    if constant < 0 { text += " - \(constant.magnitude)" }
    return text
  }
}
