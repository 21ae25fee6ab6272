extension Evaluation {
  /// SPEC §2's `eval` text: per output, `O = value`, then `∂O/∂L = value` per leaf.
  public func text() -> String {
    var out = ""
    for (o, output) in program.outputs.enumerated() {
      let name = program.symbols[output].name
      out += "\(name) = \(NumberFormat.shortest(values[output]))\n"
      for leaf in 0..<program.leafCount {
        let value = NumberFormat.shortest(gradient[o][leaf])
        out += "∂\(name)/∂\(program.symbols[leaf].name) = \(value)\n"
      }
    }
    return out
  }

  /// SPEC §2's `eval --json` object. Keys follow leaf order, then definition
  /// order; one object per line, so a person can read it and a diff is small.
  public func json() -> String {
    let symbols = program.symbols
    func object(_ pairs: [(String, Double)]) -> String {
      "{" + pairs.map { "\"\($0.0)\": \(NumberFormat.json($0.1))" }.joined(separator: ", ") + "}"
    }
    let outputs = program.outputs.map { (symbols[$0].name, values[$0]) }
    let named = symbols.indices.map { (symbols[$0].name, values[$0]) }
    var out = "{\n"
    out += "  \"outputs\": \(object(outputs)),\n"
    out += "  \"values\": \(object(named)),\n"
    out += "  \"gradient\": {\n"
    let rows = program.outputs.enumerated().map { o, output in
      "    \"\(symbols[output].name)\": "
        + object(symbols.indices.map { (symbols[$0].name, gradient[o][$0]) })
    }
    out += rows.joined(separator: ",\n") + "\n  }\n}\n"
    return out
  }
}
