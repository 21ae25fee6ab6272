/// `backpropc explain`: the forward pass and the backward pass of one output,
/// the way the seed tutorials work them out by hand (SPEC §5).
///
/// The numbers come from the compiler: values and adjoints from the same
/// optimised program `eval` runs, and each local derivative ∂W/∂V from the
/// reverse pass applied to W's statement alone. The formulas come from the
/// statements' source, so every name a reader sees is a name in the program.
public struct Explanation: Sendable {
  struct Line: Sendable {
    /// The name the line is about: the variable (forward) or V in ∂O/∂V.
    var name: String
    /// The statement's formula (forward), or the terms of the sum (backward).
    fileprivate var formula: Formula?
    fileprivate var terms: [Term]
    var value: Double
  }

  fileprivate struct Term: Sendable {
    var upstream: String
    var upstreamValue: Double
    var local: Formula
    var localValue: Double
  }

  let output: String
  let leaves: [Line]
  let forward: [Line]
  let backward: [Line]
  private let values: [String: Double]
  /// A program with arrays is explained in index form.
  private let arrays: ArrayExplanation?

  /// Explains `output` (a symbol index) at the given leaf values.
  public init?(
    _ compilation: Compilation, leaves leafValues: [Double], output: Int, element: [Int] = []
  ) {
    guard let checked = compilation.checked else { return nil }
    if checked.hasArrays {
      guard
        let arrays = ArrayExplanation(
          compilation, leaves: leafValues, output: output, element: element)
      else {
        return nil
      }
      self.arrays = arrays
      (self.output, self.leaves, self.forward, self.backward, self.values) = (
        arrays.output, [], [], [], [:]
      )
      return
    }
    arrays = nil
    guard let program = compilation.program(differentiating: output, element: element) else {
      return nil
    }
    let optimized = Optimizer.optimize(program, keeping: .everything)
    let evaluation = Evaluation(program: optimized, input: leafValues)
    let symbols = program.symbols
    let tree = checked.tree
    self.output = symbols[output].name
    var values: [String: Double] = [:]
    for (s, symbol) in symbols.enumerated() { values[symbol.name] = evaluation.values[s] }
    self.values = values

    self.leaves = (0..<program.leafCount).map {
      Line(name: symbols[$0].name, formula: nil, terms: [], value: evaluation.values[$0])
    }

    // Forward: each defined name, in source order.
    var formulas: [Int: Formula] = [:]  // by defining statement
    var definingStatement: [Int: Int] = [:]  // symbol → statement
    var forward: [Line] = []
    for (index, statement) in tree.statements.enumerated() {
      let s = Int(checked.definitions[index])
      guard s >= 0 else { continue }
      definingStatement[s] = index
      let formula = Formula.statement(tree, statement.expressions)
      formulas[index] = formula
      forward.append(
        Line(name: symbols[s].name, formula: formula, terms: [], value: evaluation.values[s]))
    }
    self.forward = forward

    // The names O depends on: walk the statements backwards from O.
    var dependsOn = Set([output])
    // symbol → the statements (on a path to O) that read it, latest first
    var usesOf: [Int: [Int]] = [:]
    for (index, statement) in tree.statements.enumerated().reversed() {
      let w = Int(checked.definitions[index])
      guard w >= 0, dependsOn.contains(w) else { continue }
      var read = Set<Int>()
      for e in statement.expressions where checked.references[e] >= 0 {
        read.insert(Int(checked.references[e]))
      }
      for v in read {
        dependsOn.insert(v)
        usesOf[v, default: []].append(index)
      }
    }

    // Backward: O first, then defined names in reverse source order, then
    // leaves in reverse order (O itself only once, even when it is a leaf).
    let defined = definingStatement.sorted { $0.value > $1.value }.map(\.key)
    let order = [output] + (defined + (0..<program.leafCount).reversed()).filter { $0 != output }
    var localCache: [Int: [Int: Double]] = [:]
    var backward: [Line] = []
    for v in order where dependsOn.contains(v) {
      var terms: [Term] = []
      for index in (usesOf[v] ?? []).reversed() {
        let w = Int(checked.definitions[index])
        let locals =
          localCache[index]
          ?? Self.localDerivatives(tree, checked, statement: index, values: evaluation.values)
        localCache[index] = locals
        // A statement too long to show keeps its local derivative unspoken: ∂W/∂V.
        let local: Formula
        if let formula = formulas[index] {
          var result: Formula?
          if case .call = formula { result = .name(symbols[w].name) }
          local = formula.derivative(by: symbols[v].name, result: result)
        } else {
          local = .adjoint(output: symbols[w].name, of: symbols[v].name)
        }
        terms.append(
          Term(
            upstream: symbols[w].name, upstreamValue: evaluation.gradient[0][w],
            local: local, localValue: locals[v] ?? 0))
      }
      backward.append(
        Line(name: symbols[v].name, formula: nil, terms: terms, value: evaluation.gradient[0][v]))
    }
    self.backward = backward
  }

  /// ∂W/∂V for every name V that statement W reads, by the compiler's own
  /// reverse pass on that statement alone, at the program's values.
  private static func localDerivatives(
    _ tree: SyntaxTree, _ checked: CheckedProgram, statement index: Int, values: [Double]
  ) -> [Int: Double] {
    let statement = tree.statements[index]
    var read: [Int] = []
    var seen = Set<Int>()
    for e in statement.expressions where checked.references[e] >= 0 {
      let s = Int(checked.references[e])
      if seen.insert(s).inserted { read.append(s) }
    }
    var mini = Program()
    mini.symbols =
      read.map { Symbol(name: checked.symbols[$0].name, range: statement.range, leaf: .free) }
      + [Symbol(name: "result", range: statement.range)]
    mini.leafCount = read.count
    mini.outputs = [read.count]
    var b = Builder(Kernel())
    var leafValue: [Int: ValueID] = [:]
    for (k, s) in read.enumerated() {
      leafValue[s] = b.load(Access(.variable(k)))
    }
    let root = Lowering.lowerExpressions(tree, statement.expressions, into: &b) {
      leafValue[Int(checked.references[$0])] ?? .none
    }
    let statementValue = b.emit(.copy, root)
    b.store(Access(.output(0)), statementValue)
    b.store(Access(.variable(read.count)), statementValue)
    mini.kernels = [b.kernel]
    let gradient = Optimizer.optimize(
      Reverse.differentiate(mini), keeping: .outputsAndLeafGradients)
    let evaluation = Evaluation(program: gradient, input: read.map { values[$0] })
    var result: [Int: Double] = [:]
    for (k, s) in read.enumerated() { result[s] = evaluation.gradient[0][k] }
    return result
  }

  // MARK: - Rendering

  public enum Format: String, Sendable {
    case text, markdown
  }

  public func rendered(_ format: Format) -> String {
    if let arrays { return arrays.rendered(format) }
    switch format {
    case .text: return text()
    case .markdown: return markdown()
    }
  }

  private func forwardLine(_ line: Line, _ style: ExplainStyle) -> String {
    var parts = [style.name(line.name)]
    if let formula = line.formula {
      parts.append(style.render(formula))
      parts.append(style.substitute(formula) { values[$0] })
    } else {
      parts.append("…")
    }
    parts.append(ExplainStyle.number(line.value))
    // `B = A = 9`, not `B = A = 9 = 9`: no part repeats the one before it.
    var shown: [String] = []
    for part in parts where part != shown.last { shown.append(part) }
    return shown.joined(separator: " = ")
  }

  private func backwardLine(_ line: Line, _ style: ExplainStyle) -> String {
    let head = style.adjoint(output, line.name)
    guard !line.terms.isEmpty else { return head + " = " + ExplainStyle.number(line.value) }
    var symbolic: [String] = []
    var numeric: [String] = []
    for term in line.terms {
      let upstream = style.adjoint(output, term.upstream)
      let upstreamNumber = Self.factor(term.upstreamValue, style)
      if case .number(1) = term.local {
        symbolic.append(upstream)
        numeric.append(upstreamNumber)
      } else {
        let local = style.render(term.local)
        let needsParens: Bool
        switch term.local {
        case .add, .subtract, .negate: needsParens = true
        case .number(let v): needsParens = v < 0
        default: needsParens = false
        }
        symbolic.append(upstream + style.times + (needsParens ? "(\(local))" : local))
        numeric.append(upstreamNumber + style.times + Self.factor(term.localValue, style))
      }
    }
    let result = ExplainStyle.number(line.value)
    let numbers = numeric.joined(separator: " + ")
    // `∂E/∂E_o1 = ∂E/∂E = 1`, not `= 1 = 1`.
    return
      ([head, symbolic.joined(separator: " + ")] + (numbers == result ? [] : [numbers]) + [result])
      .joined(separator: " = ")
  }

  private static func factor(_ v: Double, _ style: ExplainStyle) -> String {
    let text = ExplainStyle.number(v)
    return v < 0 ? "(\(text))" : text
  }

  private func text() -> String {
    let plain = ExplainStyle.text(sourceOperators: true)
    let chain = ExplainStyle.text(sourceOperators: false)
    var out = "Forward pass\n"
    for leaf in leaves { out += "  \(leaf.name) = \(ExplainStyle.number(leaf.value))\n" }
    for line in forward { out += "  " + forwardLine(line, plain) + "\n" }
    out += "\nBackward pass: ∂\(output)/∂V for each name V that \(output) depends on,\n"
    out += "the sum over V's uses of (the user's adjoint) · (the local derivative)\n"
    for line in backward { out += "  " + backwardLine(line, chain) + "\n" }
    return out
  }

  private func markdown() -> String {
    let style = ExplainStyle.latex
    var out = "## Forward pass\n\n"
    for leaf in leaves {
      out += "- $\(style.name(leaf.name)) = \(ExplainStyle.number(leaf.value))$\n"
    }
    for line in forward { out += "- $" + forwardLine(line, style) + "$\n" }
    out += "\n## Backward pass\n\n"
    out +=
      "Each adjoint $\(style.adjoint(output, "V"))$ is the sum over the uses of $V$ of the user's adjoint times the local derivative.\n\n"
    for line in backward { out += "- $" + backwardLine(line, style) + "$\n" }
    return out
  }
}
