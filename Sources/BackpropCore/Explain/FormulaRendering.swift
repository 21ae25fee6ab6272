/// How `explain` writes numbers and formulas, in plain text or in LaTeX.
enum ExplainStyle {
  /// Plain text; `sourceOperators` writes `*` and `-` as in the program (the
  /// forward pass), otherwise `·` and `−` (the chain rule).
  case text(sourceOperators: Bool)
  case latex

  /// SPEC §5: up to 10 significant digits, trailing zeros trimmed, ASCII '-'.
  static func number(_ x: Double) -> String {
    guard x.isFinite else { return NumberFormat.shortest(x) }
    if x == 0 { return "0" }
    var text = String(format: "%.10g", x)
    if let e = text.firstIndex(of: "e") {
      var mantissa = String(text[..<e])
      if mantissa.contains(".") {
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa.removeLast() }
      }
      text = mantissa + text[e...]
    }
    return text
  }

  func name(_ n: String) -> String {
    switch self {
    case .text: n
    case .latex: n.replacingOccurrences(of: "_", with: "\\_")
    }
  }

  func adjoint(_ output: String, _ of: String) -> String {
    adjoint(output, rendered: name(of))
  }

  /// ∂output/∂of with `of` already written in this style (an element).
  func adjoint(_ output: String, rendered of: String) -> String {
    switch self {
    case .text: "∂\(output)/∂\(of)"
    case .latex: "\\frac{\\partial \(name(output))}{\\partial \(of)}"
    }
  }

  var times: String {
    switch self {
    case .text(let source): source ? " * " : " · "
    case .latex: " \\cdot "
    }
  }

  var minus: String {
    switch self {
    case .text(let source): source ? " - " : " − "
    case .latex: " - "
    }
  }

  /// Binding strength, loosest first.
  private enum Level: Int, Comparable {
    case sum = 1
    case product
    case prefix
    case power
    case primary
    static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
  }

  func render(_ f: Formula) -> String { render(f, values: nil).text }

  /// The formula with each name replaced by its value.
  func substitute(_ f: Formula, _ values: @escaping (String) -> Double?) -> String {
    render(f, values: values).text
  }

  private func render(_ f: Formula, values: ((String) -> Double?)?) -> (text: String, level: Level)
  {
    func sub(_ g: Formula) -> (text: String, level: Level) { render(g, values: values) }
    func wrap(_ part: (text: String, level: Level), below level: Level) -> String {
      part.level < level ? paren(part.text) : part.text
    }
    func wrapRight(_ part: (text: String, level: Level), atOrBelow level: Level) -> String {
      part.level <= level ? paren(part.text) : part.text
    }
    switch f {
    case .number(let v):
      let text = Self.number(v)
      return (text, v < 0 ? .prefix : .primary)
    case .name(let n):
      if let values, let v = values(n) {
        let text = Self.number(v)
        return (text, v < 0 ? .prefix : .primary)
      }
      return (name(n), .primary)
    case .negate(let a):
      let inner = sub(a)
      let needsParens = inner.level < .power || inner.text.hasPrefix("-")
      return ("-" + (needsParens ? paren(inner.text) : inner.text), .prefix)
    case .add(let a, let b):
      return (wrap(sub(a), below: .sum) + " + " + wrapRight(sub(b), atOrBelow: .sum), .sum)
    case .subtract(let a, let b):
      return (wrap(sub(a), below: .sum) + minus + wrapRight(sub(b), atOrBelow: .sum), .sum)
    case .multiply(let a, let b):
      return (
        wrap(sub(a), below: .product) + times + wrapRight(sub(b), atOrBelow: .product), .product
      )
    case .divide(let a, let b):
      if case .latex = self { return ("\\frac{\(sub(a).text)}{\(sub(b).text)}", .primary) }
      return (
        wrap(sub(a), below: .product) + " / " + wrapRight(sub(b), atOrBelow: .product), .product
      )
    case .power(let a, let b):
      if case .latex = self {
        return ("{\(wrapRight(sub(a), atOrBelow: .power))}^{\(sub(b).text)}", .power)
      }
      return (wrapRight(sub(a), atOrBelow: .power) + "^" + wrap(sub(b), below: .prefix), .power)
    case .call(let f, let args):
      return (function(f) + paren(args.map { sub($0).text }.joined(separator: ", ")), .primary)
    case .derivative(let f, let args):
      return (
        function(f) + "'" + paren(args.map { sub($0).text }.joined(separator: ", ")), .primary
      )
    case .partial(let f, let args, let i):
      let call = function(f) + paren(args.map { sub($0).text }.joined(separator: ", "))
      let by = sub(args[i]).text
      // With numbers for the arguments, the partial by position: ∂₁max(-0.5, 0.001).
      if case .number = args[i] {
        switch self {
        case .text: return ("∂" + String(["₁", "₂", "₃"][min(i, 2)]) + call, .primary)
        case .latex: return ("\\partial_{\(i + 1)} " + call, .primary)
        }
      }
      switch self {
      case .text: return ("∂\(call)/∂\(wrap(sub(args[i]), below: .primary))", .primary)
      case .latex: return ("\\frac{\\partial \(call)}{\\partial \(by)}", .primary)
      }
    case .adjoint(let output, let of):
      return (adjoint(output, of), .primary)
    case .element(let n, let indices):
      return (element(n, indices, values: nil), .primary)
    case .adjointElement(let output, let of, let indices):
      return (adjoint(output, rendered: element(of, indices, values: nil)), .primary)
    case .iverson(let a, let b):
      return ("[" + index(a) + " = " + index(b) + "]", .primary)
    case .comparison(let op, let a, let b):
      let symbol: String
      switch (self, op) {
      case (.latex, .lessOrEqual): symbol = "\\le"
      case (.latex, .greaterOrEqual): symbol = "\\ge"
      case (.latex, .notEqual): symbol = "\\ne"
      case (.latex, .equal): symbol = "="
      default: symbol = op.rawValue
      }
      return (sub(a).text + " " + symbol + " " + sub(b).text, .sum)
    case .holds(let condition):
      return ("[" + sub(condition).text + "]", .primary)
    case .index(let i):
      return (index(i), .primary)
    case .text(let words):
      return (words, .primary)
    case .reduction(let kind, let indices, let body):
      let bound = indices.map(index).joined(separator: ", ")
      let head: String
      switch (self, kind) {
      case (.text, .sum): head = "Σ_\(bound) "
      case (.latex, .sum): head = "\\sum_{\(bound)} "
      case (.text, .logsumexp): head = "logsumexp_\(bound) "
      case (.latex, .logsumexp): head = "\\operatorname{logsumexp}_{\(bound)} "
      case (.text, .maximum): head = "max_\(bound) "
      case (.latex, .maximum): head = "\\max_{\(bound)} "
      case (.text, .minimum): head = "min_\(bound) "
      case (.latex, .minimum): head = "\\min_{\(bound)} "
      }
      // A sum binds loosely: what follows it is its body.
      return (head + wrap(sub(body), below: .product), .sum)
    }
  }

  func index(_ i: FormulaIndex) -> String {
    switch i {
    case .index(let n, _): name(n)
    case .constant(let c): String(c)
    case .affine(let terms, let c):
      AffineText.render(terms.map { (name($0.name), $0.coefficient) }, constant: c, times: "")
    }
  }

  /// `W2[k, j]`, or in LaTeX `W2_{k, j}`.
  func element(_ n: String, _ indices: [FormulaIndex], values: ((String) -> Double?)?) -> String {
    switch self {
    case .text: n + "[" + indices.map(index).joined(separator: ", ") + "]"
    case .latex: name(n) + "_{" + indices.map(index).joined(separator: ", ") + "}"
    }
  }

  private func function(_ f: String) -> String {
    switch self {
    case .text: f
    case .latex: "\\operatorname{\(name(f))}"
    }
  }

  private func paren(_ s: String) -> String {
    switch self {
    case .text: "(" + s + ")"
    case .latex: "\\left(" + s + "\\right)"
    }
  }
}
