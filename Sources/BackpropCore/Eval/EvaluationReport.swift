extension Evaluation {
  /// SPEC §2's `eval` text: per output, `O = value`, then `∂O/∂L = value` per
  /// leaf; an array as a nested list (SPEC §6.4), non-finite as bare `NaN`.
  public func text() -> String {
    var out: [UInt8] = []
    for (o, output) in program.outputs.enumerated() {
      let name = program.symbols[output].name
      out.append(contentsOf: "\(name) = ".utf8)
      Self.nested(
        elements[output], program.symbols[output].shape, NumberFormat.shortest, into: &out)
      out.append(UInt8(ascii: "\n"))
      for leaf in 0..<program.leafCount {
        let shape = program.symbols[output].shape + program.symbols[leaf].shape
        out.append(contentsOf: "∂\(name)/∂\(program.symbols[leaf].name) = ".utf8)
        Self.nested(gradientElements[o][leaf], shape, NumberFormat.shortest, into: &out)
        out.append(UInt8(ascii: "\n"))
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// SPEC §2's `eval --json` object. Keys follow leaf order, then definition
  /// order; arrays are nested lists; one object per line, so a person can
  /// read it and a diff is small.
  /// With `hessian`, its `"hessian"` object follows the gradient (SPEC §8.1).
  public func json(hessian: Hessian? = nil) -> String {
    let symbols = program.symbols
    func object(_ pairs: [(String, String)]) -> String {
      "{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
    func value(_ s: Int) -> String { Self.nested(elements[s], symbols[s].shape, NumberFormat.json) }
    let outputs = program.outputs.map { (symbols[$0].name, value($0)) }
    let named = symbols.indices.map { (symbols[$0].name, value($0)) }
    var out = "{\n"
    out += "  \"outputs\": \(object(outputs)),\n"
    out += "  \"values\": \(object(named)),\n"
    out += "  \"gradient\": {\n"
    let rows = program.outputs.enumerated().map { o, output in
      "    \"\(symbols[output].name)\": "
        + object(
          symbols.indices.map { s in
            (
              symbols[s].name,
              Self.nested(
                gradientElements[o][s], symbols[output].shape + symbols[s].shape, NumberFormat.json)
            )
          })
    }
    out += rows.joined(separator: ",\n") + "\n  }"
    if let hessian { out += ",\n" + hessian.json() }
    return out + "\n}\n"
  }

  /// Row-major elements as a nested list of `shape` (a number for rank 0).
  static func nested(_ elements: [Double], _ shape: [Int], _ format: (Double) -> String) -> String {
    var out: [UInt8] = []
    nested(elements, shape, format, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// The nested list, appended to `out` as UTF-8: a list of 10⁵ numbers is
  /// one buffer, not 10⁵ string appends.
  static func nested(
    _ elements: [Double], _ shape: [Int], _ format: (Double) -> String, into out: inout [UInt8]
  ) {
    guard !shape.isEmpty else {
      out.append(contentsOf: format(elements.first ?? .nan).utf8)
      return
    }
    out.reserveCapacity(out.count + elements.count * 24 + 2 * shape.count)
    var next = 0
    /// One list of dimension d, iteratively by counters.
    var counters = [Int](repeating: 0, count: shape.count)
    let open = UInt8(ascii: "[")
    let close = UInt8(ascii: "]")
    out.append(contentsOf: repeatElement(open, count: shape.count))
    while true {
      out.append(contentsOf: format(next < elements.count ? elements[next] : .nan).utf8)
      next += 1
      var d = shape.count - 1
      counters[d] += 1
      while d > 0 && counters[d] == shape[d] {
        counters[d] = 0
        out.append(close)
        d -= 1
        counters[d] += 1
      }
      if d == 0 && counters[0] == shape[0] {
        out.append(close)
        return
      }
      out.append(UInt8(ascii: ","))
      out.append(UInt8(ascii: " "))
      out.append(contentsOf: repeatElement(open, count: shape.count - 1 - d))
    }
  }
}
