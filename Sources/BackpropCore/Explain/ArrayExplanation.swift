import Foundation

/// `explain` for a program with arrays (SPEC §6.6): the chain rule in index
/// form, the way the documents state the general layer rule (seed 004),
///
///     ∂E/∂h[j] = Σ_k ∂E/∂o[k] · o[k] · (1 − o[k]) · W2[k, j]
///
/// derived from the program: for each use of V in a statement W, the local
/// derivative of W's right side by that use, with W's indices that the use's
/// subscripts fix replaced by V's (the sum over such an index collapses), a
/// Σ over W's left indices that remain, and an Iverson bracket (`[k = 0]`,
/// `[i = j]`) for a constant or repeated subscript. V's indices are its own
/// statement's left indices (`i, j, k, l` for a leaf), primed where they
/// would clash with W's. Arrays of at most 16 elements also get a line per
/// element with the numbers, a reduction written out term by term up to 16
/// terms.
struct ArrayExplanation: Sendable {
  struct Line: Sendable {
    /// What the line defines: `h[j]`, `h[0]`, `∂E/∂h[j]`.
    var head: Formula
    /// The formula, then (for an element) the numbers, then the value.
    var parts: [Part]
  }

  enum Part: Sendable {
    case formula(Formula)
    /// the chain rule: Σ over each use of (upstream adjoint) · (local derivative)
    case chain([Term])
    /// the chain rule with numbers: each term's upstream adjoint, and its
    /// local derivative with the values substituted (nil where it is 1)
    case numbers([(upstream: Double, local: Formula?)])
    /// too many terms to write: `Σ_k (4000 terms)`
    case terms(String, Int)
    case value(Double)
    /// an array's elements as a nested list
    case list([Double], [Int])
  }

  let output: String
  var leaves: [Line] = []
  var forward: [Line] = []
  var backward: [Line] = []

  /// Elements shown one by one up to this count; reductions expanded up to it.
  static let elementLimit = 16

  init?(_ compilation: Compilation, leaves leafValues: [Double], output: Int, element: [Int]) {
    guard let checked = compilation.checked,
      let program = compilation.program(differentiating: output, element: element)
    else { return nil }
    let evaluation = Evaluation(
      program: Optimizer.optimize(program, keeping: .everything), input: leafValues)
    self.output = program.symbols[program.outputs[0]].name
    let values = Values(program: program, evaluation: evaluation, checked: checked)
    leaves = Self.leafLines(program, evaluation)
    let definingStatement = appendForward(program, checked, evaluation, values)
    appendBackward(program, checked, evaluation, values, definingStatement: definingStatement)
  }

  /// Each leaf and its value (or its elements, or how many there are).
  private static func leafLines(_ program: Program, _ evaluation: Evaluation) -> [Line] {
    let symbols = program.symbols
    var leaves: [Line] = []
    for s in 0..<program.leafCount {
      let (elements, shape) = (evaluation.elements[s], symbols[s].shape)
      if shape.isEmpty {
        leaves.append(Line(head: .name(symbols[s].name), parts: [.value(elements[0])]))
      } else if elements.count <= Self.elementLimit {
        leaves.append(Line(head: .name(symbols[s].name), parts: [.list(elements, shape)]))
      } else {
        // Too many to list: `W1[32, 16] (512 elements)`; eval prints them.
        let what =
          symbols[s].name + DiagnosticMessage.shape(shape) + " (\(elements.count) elements)"
        leaves.append(Line(head: .text(what), parts: []))
      }
    }

    return leaves
  }

  /// Each statement's formula, then its elements with numbers. Returns the
  /// statement defining each symbol.
  private mutating func appendForward(
    _ program: Program, _ checked: CheckedProgram, _ evaluation: Evaluation, _ values: Values
  ) -> [Int: Int] {
    let symbols = program.symbols
    let tree = checked.tree
    var formulas: [Int: Formula] = [:]  // by statement
    var definingStatement: [Int: Int] = [:]
    for (index, statement) in tree.statements.enumerated() {
      let s = Int(checked.definitions[index])
      guard s >= 0, let formula = Self.formula(index, statement, checked) else { continue }
      formulas[index] = formula
      definingStatement[s] = index
      let left = Self.leftIndices(index, checked)
      forward.append(Line(head: Self.head(symbols[s].name, left), parts: [.formula(formula)]))
      guard symbols[s].size <= Self.elementLimit else { continue }
      for e in 0..<symbols[s].size {
        let point = Layout.element(e, shape: symbols[s].shape)
        let at = Dictionary(uniqueKeysWithValues: zip(left.compactMap(Self.id), point))
        let substituted = values.numbers(formula, at)
        let parts: [Part] = [.formula(substituted), .value(evaluation.elements[s][e])]
        // A scalar's one line: its formula, the numbers, the value.
        if left.isEmpty, let last = forward.popLast() {
          forward.append(Line(head: last.head, parts: last.parts + parts))
        } else {
          forward.append(
            Line(head: Self.head(symbols[s].name, point.map { .constant($0) }), parts: parts))
        }
      }
    }
    return definingStatement
  }

  /// O's adjoint, then the defined names' in reverse, then the leaves' in
  /// reverse: each as the chain rule over its uses, then its elements with numbers.
  private mutating func appendBackward(
    _ program: Program, _ checked: CheckedProgram, _ evaluation: Evaluation, _ values: Values,
    definingStatement: [Int: Int]
  ) {
    let symbols = program.symbols
    let tree = checked.tree
    let o = program.outputs[0]
    // `--output o[1]` explains a scalar of its own, which reads o[1].
    let synthetic = o >= checked.symbols.count
    let source =
      synthetic ? checked.symbols.firstIndex { symbols[o].name.hasPrefix($0.name + "[") } : nil
    let target = synthetic ? ElementName(parsing: symbols[o].name)?.element ?? [] : []
    var uses: [Int: [(statement: Int, node: Int)]] = [:]
    var dependsOn = Set([o])
    if let source { dependsOn.insert(source) }
    for (index, statement) in tree.statements.enumerated().reversed() {
      let w = Int(checked.definitions[index])
      guard w >= 0, dependsOn.contains(w) else { continue }
      var here: [Int: [(statement: Int, node: Int)]] = [:]
      for e in statement.expressions where checked.references[e] >= 0 {
        let v = Int(checked.references[e])
        dependsOn.insert(v)
        here[v, default: []].append((index, e))
      }
      for (v, list) in here { uses[v, default: []].insert(contentsOf: list, at: 0) }
    }

    let defined = definingStatement.sorted { $0.value > $1.value }.map(\.key)
    let order = [o] + (defined + (0..<program.leafCount).reversed()).filter { $0 != o }
    for v in order where dependsOn.contains(v) || v == o {
      var indices = Self.adjointIndices(v, definingStatement[v], checked, symbols)
      // Renamed apart from the bindings a use keeps: a leaf's index takes the
      // next free letter, a defined array's (named by its statement) a prime.
      var taken = Set<String>()
      for use in uses[v] ?? [] {
        if let term = Self.term(use, v, indices, checked, symbols, output: self.output) {
          taken.formUnion(term.remaining)
        }
      }
      let own = Set(indices.compactMap { if case .index(let name, _) = $0 { name } else { nil } })
      var letters = Self.leafLetters.filter { !taken.contains($0) && !own.contains($0) }
        .makeIterator()
      for (d, index) in indices.enumerated() {
        guard case .index(let name, let id) = index, taken.contains(name) else { continue }
        if definingStatement[v] == nil, let letter = letters.next() {
          indices[d] = .index(letter, id: id)
        } else {
          indices[d] = .index(name + "′", id: id)
        }
      }
      let head =
        symbols[v].shape.isEmpty
        ? Formula.adjoint(output: self.output, of: symbols[v].name)
        : Formula.adjointElement(output: self.output, of: symbols[v].name, indices)
      guard v != o else {
        backward.append(Line(head: head, parts: [.value(1)]))
        continue
      }
      var terms: [Term] = []
      if v == source {
        // ∂o[1]/∂o[k] = [k = 1]
        let local = zip(indices, target).map { Formula.iverson($0, .constant($1)) }
          .reduce(Formula.number(1)) { .product($0, $1) }
        let upstream = Formula.adjoint(output: self.output, of: self.output)
        terms.append(
          Term(upstream: upstream, local: local, free: [], freeIndices: [], remaining: []))
      }
      for use in uses[v] ?? [] {
        if let term = Self.term(use, v, indices, checked, symbols, output: self.output) {
          terms.append(term)
        }
      }
      backward.append(Line(head: head, parts: [.chain(terms)]))
      guard symbols[v].size <= Self.elementLimit, !terms.isEmpty else { continue }
      for e in 0..<symbols[v].size {
        let point = Layout.element(e, shape: symbols[v].shape)
        let at = Dictionary(uniqueKeysWithValues: zip(indices.compactMap(Self.id), point))
        let elementHead =
          symbols[v].shape.isEmpty
          ? head
          : Formula.adjointElement(
            output: self.output, of: symbols[v].name, point.map { .constant($0) })
        var parts: [Part] = []
        var products: [(upstream: Double, local: Formula?)] = []
        for term in terms {
          let points = term.free.reduce(1) {
            $0 * ((values.extents[$1] ?? 1) - (values.lowers[$1] ?? 0))
          }
          if points > Self.elementLimit {
            parts.append(
              .terms(term.free.compactMap { values.names[$0] }.joined(separator: ", "), points))
            continue
          }
          for assignment in values.points(term.free, at) {
            let local = term.local == .number(1) ? nil : values.numbers(term.local, assignment)
            products.append((values.read(term.upstream, assignment), local))
          }
        }
        if !products.isEmpty { parts.insert(.numbers(products), at: 0) }
        parts.append(.value(evaluation.gradientElements[0][v][e]))
        // A scalar's one line: the chain rule, its numbers, the result.
        if symbols[v].shape.isEmpty, let last = backward.popLast() {
          backward.append(Line(head: last.head, parts: last.parts + parts))
        } else {
          backward.append(Line(head: elementHead, parts: parts))
        }
      }
    }
  }

  // MARK: - Deriving the formulas

  /// One use's part of ∂O/∂V: Σ_free upstream · local.
  struct Term: Sendable {
    var upstream: Formula
    var local: Formula
    /// W's left indices the use leaves free: the term is summed over them.
    var free: [Int]
    var freeIndices: [FormulaIndex]
    /// Names of W's bindings still in the term (V's index may not take one).
    var remaining: Set<String>
  }

  /// The binding id of an index, or nil for a constant.
  static func id(_ index: FormulaIndex) -> Int? {
    if case .index(_, let id) = index { return id }
    return nil
  }

  static func leftIndices(_ statement: Int, _ checked: CheckedProgram) -> [FormulaIndex] {
    guard case .assignment(_, _, let indices, _) = checked.tree.statements[statement].kind else {
      return []
    }
    return indices.indices.map {
      .index(checked.bindings[statement][$0].name, id: binding(statement, $0))
    }
  }

  /// A binding's id, unique across the program: statement and position.
  static func binding(_ statement: Int, _ position: Int) -> Int { statement * 4096 + position }

  static func head(_ name: String, _ indices: [FormulaIndex]) -> Formula {
    indices.isEmpty ? .name(name) : .element(name, indices)
  }

  /// A statement's right side, its indices given their binding ids;
  /// `placeholder` stands in for one node (the use being differentiated).
  static func formula(
    _ statement: Int, _ syntax: Statement, _ checked: CheckedProgram, placeholder: Int? = nil
  ) -> Formula? {
    Formula.statement(checked.tree, syntax.expressions) { e, at in
      if e == placeholder { return .name(Self.placeholder) }
      switch checked.tree.expressions[e].kind {
      case .name(let name) where checked.indexValues[e] != nil:
        let b = checked.indexValues[e] ?? 0
        return .index(.index(name, id: binding(statement, b)))
      case .element(let name, _, _):
        let indices = (checked.subscripts[e] ?? []).map { s -> FormulaIndex in
          switch s {
          case .binding(let b):
            .index(checked.bindings[statement][b].name, id: binding(statement, b))
          case .constant(let c): .constant(c)
          case .affine(let terms, let c):
            .affine(
              terms.map {
                AffineIndexTerm(
                  name: checked.bindings[statement][$0.index].name,
                  id: binding(statement, $0.index), coefficient: $0.coefficient)
              }, constant: c)
          }
        }
        return .element(name, indices)
      case .reduction(let kind, _, _, let body):
        let indices = (checked.reductionBindings[e] ?? []).map {
          FormulaIndex.index(checked.bindings[statement][$0].name, id: binding(statement, $0))
        }
        return .reduction(kind, indices, at(body))
      default:
        return nil
      }
    }
  }

  static let placeholder = "\u{1}use"

  /// V's own indices: its statement's left indices, or i, j, k, l for a leaf.
  static func adjointIndices(
    _ v: Int, _ statement: Int?, _ checked: CheckedProgram, _ symbols: [Symbol]
  ) -> [FormulaIndex] {
    let rank = symbols[v].shape.count
    if let statement {
      return leftIndices(statement, checked).enumerated().map { d, index in
        if case .index(let name, _) = index { return .index(name, id: -1 - d) }
        return index
      }
    }
    return leafLetters.prefix(rank).enumerated().map { .index($1, id: -1 - $0) }
  }

  /// A leaf's indices, in order, and the letters it may be renamed to.
  static let leafLetters = ["i", "j", "k", "l", "m", "n", "p", "q"]

  /// The term of ∂O/∂V for one use (node `use.node` of statement W).
  static func term(
    _ use: (statement: Int, node: Int), _ v: Int, _ indices: [FormulaIndex],
    _ checked: CheckedProgram,
    _ symbols: [Symbol], output: String
  ) -> Term? {
    let syntax = checked.tree.statements[use.statement]
    let w = Int(checked.definitions[use.statement])
    guard let rhs = formula(use.statement, syntax, checked, placeholder: use.node),
      let whole = formula(use.statement, syntax, checked)
    else { return nil }
    // The use itself, and the subscripts it reads V at.
    let occurrence: Formula
    var subscripts: [FormulaIndex] = []
    if case .element(let name, _, _) = checked.tree.expressions[use.node].kind {
      subscripts = (checked.subscripts[use.node] ?? []).map { s -> FormulaIndex in
        switch s {
        case .binding(let b):
          .index(checked.bindings[use.statement][b].name, id: binding(use.statement, b))
        case .constant(let c): .constant(c)
        case .affine(let terms, let c):
          .affine(
            terms.map {
              AffineIndexTerm(
                name: checked.bindings[use.statement][$0.index].name,
                id: binding(use.statement, $0.index), coefficient: $0.coefficient)
            }, constant: c)
        }
      }
      occurrence = .element(name, subscripts)
    } else {
      occurrence = .name(symbols[v].name)
    }
    let left = leftIndices(use.statement, checked)
    var result: Formula?
    if case .call = whole { result = head(symbols[w].name, left) }
    var local = rhs.derivative(by: placeholder, result: result).replacing(
      placeholder, with: occurrence)
    // The use's subscripts fix W's indices to V's: σ, and brackets for the rest.
    var sigma: [Int: FormulaIndex] = [:]
    var brackets: [Formula] = []
    let adjoint = indices
    for (d, s) in subscripts.enumerated() {
      switch s {
      case .index(_, let id) where sigma[id] == nil: sigma[id] = adjoint[d]
      case .index(_, let id): brackets.append(.iverson(adjoint[d], sigma[id] ?? adjoint[d]))
      case .constant, .affine: brackets.append(.iverson(adjoint[d], s))
      }
    }
    local = local.substituting(sigma)
    for bracket in brackets {
      // `[j = i + k]` belongs inside the Σ_k the derivative made, where k is bound.
      guard case .iverson(_, .affine(let terms, _)) = bracket,
        let inside = local.multiplyingInside(bracket, ids: Set(terms.map(\.id)))
      else {
        local = .product(local, bracket)
        continue
      }
      local = inside
    }
    let upstreamIndices = left.map { index -> FormulaIndex in
      if let id = id(index), let replaced = sigma[id] { return replaced }
      return index
    }
    let upstream =
      upstreamIndices.isEmpty
      ? Formula.adjoint(output: output, of: symbols[w].name)
      : Formula.adjointElement(output: output, of: symbols[w].name, upstreamIndices)
    let free = left.compactMap(id).filter { sigma[$0] == nil }
    let freeIndices = left.filter { id($0).map(free.contains) ?? false }
    var remaining = Set(
      freeIndices.compactMap { if case .index(let n, _) = $0 { return n } else { return nil } })
    remaining.formUnion(local.boundNames())
    return Term(
      upstream: upstream, local: local, free: free, freeIndices: freeIndices, remaining: remaining)
  }

  // MARK: - Rendering

  func rendered(_ format: Explanation.Format) -> String {
    switch format {
    case .text:
      let plain = ExplainStyle.text(sourceOperators: true)
      let chain = ExplainStyle.text(sourceOperators: false)
      var out = "Forward pass\n"
      for line in leaves + forward { out += "  " + render(line, plain) + "\n" }
      out += "\nBackward pass: ∂\(output)/∂V for each name V that \(output) depends on,\n"
      out += "the sum over V's uses of (the user's adjoint) · (the local derivative)\n"
      for line in backward { out += "  " + render(line, chain) + "\n" }
      return out
    case .markdown:
      let style = ExplainStyle.latex
      var out = "## Forward pass\n\n"
      for line in leaves + forward { out += "- $" + render(line, style) + "$\n" }
      out += "\n## Backward pass\n\n"
      out +=
        "Each adjoint $\(style.adjoint(output, "V"))$ is the sum over the uses of $V$ of the user's adjoint times the local derivative.\n\n"
      for line in backward { out += "- $" + render(line, style) + "$\n" }
      return out
    }
  }

  /// ` · local`, its factors one after another, a sum or negation in parentheses.
  private static func times(_ local: Formula, _ style: ExplainStyle, keepingOne: Bool = false)
    -> String
  {
    if case .number(1) = local, !keepingOne { return "" }
    var factors: [Formula] = []
    var rest = local
    while case .multiply(let a, let b) = rest {
      factors.insert(b, at: 0)
      rest = a
    }
    factors.insert(rest, at: 0)
    return factors.map { factor in
      let text = style.render(factor)
      let needsParens: Bool
      switch factor {
      case .add, .subtract, .negate: needsParens = true
      case .number(let v): needsParens = v < 0
      default: needsParens = false
      }
      return style.times + (needsParens ? "(\(text))" : text)
    }.joined()
  }

  private func render(_ line: Line, _ style: ExplainStyle) -> String {
    var parts = [style.render(line.head)]
    for part in line.parts {
      switch part {
      case .formula(let f): parts.append(style.render(f))
      case .value(let v): parts.append(ExplainStyle.number(v))
      case .chain(let terms):
        parts.append(
          terms.map { term in
            let sum =
              term.freeIndices.isEmpty
              ? "" : style.render(.reduction(.sum, term.freeIndices, .number(0))).dropLast(1)
            return sum + style.render(term.upstream) + Self.times(term.local, style)
          }.joined(separator: " + "))
      case .list(let values, let shape):
        parts.append(Evaluation.nested(values, shape, ExplainStyle.number))
      case .terms(let what, let count):
        parts.append("Σ_\(what) (\(count) terms)")
      case .numbers(let products):
        let alone = products.count == 1 && products[0].local == nil
        parts.append(
          products.map { upstream, local in
            let number = ExplainStyle.number(upstream)
            return (upstream < 0 && !alone ? "(\(number))" : number)
              + (local.map { Self.times($0, style, keepingOne: true) } ?? "")
          }.joined(separator: " + "))
      }
    }
    // `E = E_sum = 0.3`, not `E = E_sum = 0.3 = 0.3`: no part repeats the one before.
    var shown: [String] = []
    for part in parts where part != shown.last { shown.append(part) }
    return shown.joined(separator: " = ")
  }
}

/// The numbers behind an explanation's formulas.
private struct Values {
  let program: Program
  let evaluation: Evaluation
  /// Each binding's range (`lowers[id]..<extents[id]`) and name, by id.
  var extents: [Int: Int] = [:]
  var lowers: [Int: Int] = [:]
  var names: [Int: String] = [:]
  var symbol: [String: Int] = [:]

  init(program: Program, evaluation: Evaluation, checked: CheckedProgram) {
    self.program = program
    self.evaluation = evaluation
    for (statement, bindings) in checked.bindings.enumerated() {
      for (position, b) in bindings.enumerated() {
        extents[ArrayExplanation.binding(statement, position)] = b.extent
        lowers[ArrayExplanation.binding(statement, position)] = b.lower
        names[ArrayExplanation.binding(statement, position)] = b.name
      }
    }
    for (s, sym) in program.symbols.enumerated() { symbol[sym.name] = s }
  }

  /// Every assignment of the `free` bindings, ascending, on top of `base`.
  func points(_ free: [Int], _ base: [Int: Int]) -> [[Int: Int]] {
    var result = [base]
    for id in free {
      result = result.flatMap { partial in
        ((lowers[id] ?? 0)..<(extents[id] ?? 1)).map { partial.merging([id: $0]) { $1 } }
      }
    }
    return result
  }

  func index(_ i: FormulaIndex, _ at: [Int: Int]) -> Int {
    switch i {
    case .index(_, let id): at[id] ?? 0
    case .constant(let c): c
    case .affine(let terms, let c): terms.reduce(c) { $0 + $1.coefficient * (at[$1.id] ?? 0) }
    }
  }

  func element(_ name: String, _ indices: [FormulaIndex], _ at: [Int: Int]) -> Double {
    guard let s = symbol[name] else { return .nan }
    return evaluation.elements[s][
      Layout.flatIndex(indices.map { index($0, at) }, shape: program.symbols[s].shape)]
  }

  /// The value of a name or an element, or the adjoint ∂O/∂V of one, at
  /// one assignment of its indices: a number of the evaluation, read.
  func read(_ f: Formula, _ at: [Int: Int]) -> Double {
    switch f {
    case .name(let n): return symbol[n].map { evaluation.elements[$0][0] } ?? .nan
    case .element(let n, let indices): return element(n, indices, at)
    case .adjoint(_, let of):
      return symbol[of].map { evaluation.gradientElements[0][$0][0] } ?? .nan
    case .adjointElement(_, let of, let indices):
      guard let s = symbol[of] else { return .nan }
      return evaluation.gradientElements[0][s][
        Layout.flatIndex(indices.map { index($0, at) }, shape: program.symbols[s].shape)]
    default: return .nan
    }
  }

  /// The formula with every name and element replaced by its number, and
  /// each reduction written out term by term (as `Σ_k (N terms)` past 16).
  func numbers(_ f: Formula, _ at: [Int: Int]) -> Formula {
    func n(_ g: Formula) -> Formula { numbers(g, at) }
    switch f {
    case .number, .adjoint, .adjointElement, .text: return f
    case .name, .element: return .number(read(f, at))
    case .iverson(let a, let b): return .number(index(a, at) == index(b, at) ? 1 : 0)
    case .comparison(let op, let a, let b): return .comparison(op, n(a), n(b))
    case .holds(let c): return .holds(n(c))
    case .index(let i): return .number(Double(index(i, at)))
    case .negate(let a): return .negate(n(a))
    case .add(let a, let b): return .add(n(a), n(b))
    case .subtract(let a, let b): return .subtract(n(a), n(b))
    case .multiply(let a, let b): return .multiply(n(a), n(b))
    case .divide(let a, let b): return .divide(n(a), n(b))
    case .power(let a, let b): return .power(n(a), n(b))
    case .call(let name, let args): return .call(name, args.map(n))
    case .derivative(let name, let args): return .derivative(name, args.map(n))
    case .partial(let name, let args, let i): return .partial(name, args.map(n), argument: i)
    case .reduction(let kind, let indices, let body):
      let all = points(indices.compactMap(ArrayExplanation.id), at)
      guard all.count <= ArrayExplanation.elementLimit else {
        let bound = indices.compactMap { ArrayExplanation.id($0).flatMap { names[$0] } }.joined(
          separator: ", ")
        return .text(kind.symbol + bound + " (\(all.count) terms)")
      }
      let terms = all.map { numbers(body, $0) }
      switch kind {
      case .sum: return terms.dropFirst().reduce(terms[0]) { .add($0, $1) }
      case .logsumexp: return .call("logsumexp", terms)
      case .maximum: return .call("max", terms)
      case .minimum: return .call("min", terms)
      }
    }
  }
}

extension Formula {
  /// The formula with `factor` multiplied into the body of the reduction
  /// that binds one of `ids` (a sum the derivative made, its ids marked),
  /// or nil when no reduction binds one.
  func multiplyingInside(_ factor: Formula, ids: Set<Int>) -> Formula? {
    func m(_ g: Formula) -> Formula? { g.multiplyingInside(factor, ids: ids) }
    func pair(_ a: Formula, _ b: Formula, _ make: (Formula, Formula) -> Formula) -> Formula? {
      if let a2 = m(a) { return make(a2, b) }
      if let b2 = m(b) { return make(a, b2) }
      return nil
    }
    switch self {
    case .number, .name, .adjoint, .adjointElement, .iverson, .element, .text, .index: return nil
    case .comparison(let op, let a, let b): return pair(a, b) { .comparison(op, $0, $1) }
    case .holds(let c): return m(c).map { .holds($0) }
    case .negate(let a): return m(a).map { .negate($0) }
    case .add(let a, let b): return pair(a, b) { .add($0, $1) }
    case .subtract(let a, let b): return pair(a, b) { .subtract($0, $1) }
    case .multiply(let a, let b): return pair(a, b) { .multiply($0, $1) }
    case .divide(let a, let b): return pair(a, b) { .divide($0, $1) }
    case .power(let a, let b): return pair(a, b) { .power($0, $1) }
    case .call(let f, let args), .derivative(let f, let args):
      for (k, arg) in args.enumerated() {
        guard let changed = m(arg) else { continue }
        var copy = args
        copy[k] = changed
        if case .call = self { return .call(f, copy) }
        return .derivative(f, copy)
      }
      return nil
    case .partial(let f, let args, let i):
      for (k, arg) in args.enumerated() {
        guard let changed = m(arg) else { continue }
        var copy = args
        copy[k] = changed
        return .partial(f, copy, argument: i)
      }
      return nil
    case .reduction(let kind, let indices, let body):
      let binds = indices.contains { index in
        guard case .index(_, let id) = index else { return false }
        return ids.contains(id) || ids.contains(id - FormulaIndex.derivativeMark)
      }
      if let inner = m(body) { return .reduction(kind, indices, inner) }
      return binds ? .reduction(kind, indices, .product(body, factor)) : nil
    }
  }

  /// The names of the indices the formula's reductions bind.
  func boundNames() -> Set<String> {
    switch self {
    case .number, .name, .adjoint, .adjointElement, .iverson, .element, .text, .index: return []
    case .comparison(_, let a, let b): return a.boundNames().union(b.boundNames())
    case .holds(let c): return c.boundNames()
    case .negate(let a): return a.boundNames()
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b),
      .divide(let a, let b),
      .power(let a, let b):
      return a.boundNames().union(b.boundNames())
    case .call(_, let args), .derivative(_, let args), .partial(_, let args, _):
      return args.reduce(into: Set()) { $0.formUnion($1.boundNames()) }
    case .reduction(_, let indices, let body):
      return body.boundNames().union(
        indices.compactMap { if case .index(let n, _) = $0 { return n } else { return nil } })
    }
  }

  /// The formula with `name` (a placeholder) replaced.
  func replacing(_ name: String, with replacement: Formula) -> Formula {
    func r(_ g: Formula) -> Formula { g.replacing(name, with: replacement) }
    switch self {
    case .name(let n) where n == name: return replacement
    case .number, .name, .adjoint, .adjointElement, .iverson, .element, .text, .index:
      return self
    case .comparison(let op, let a, let b): return .comparison(op, r(a), r(b))
    case .holds(let c): return .holds(r(c))
    case .negate(let a): return .negate(r(a))
    case .add(let a, let b): return .add(r(a), r(b))
    case .subtract(let a, let b): return .subtract(r(a), r(b))
    case .multiply(let a, let b): return .multiply(r(a), r(b))
    case .divide(let a, let b): return .divide(r(a), r(b))
    case .power(let a, let b): return .power(r(a), r(b))
    case .call(let f, let args): return .call(f, args.map(r))
    case .derivative(let f, let args): return .derivative(f, args.map(r))
    case .partial(let f, let args, let i): return .partial(f, args.map(r), argument: i)
    case .reduction(let kind, let indices, let body): return .reduction(kind, indices, r(body))
    }
  }

  /// The formula with bindings replaced (`sigma`: binding id → index). A
  /// sum the derivative made collapses to its term where the use fixes its
  /// index; any other reduction is a value (`logsumexp_k z[k]` in its own
  /// derivative), and its bindings stay its own.
  func substituting(_ sigma: [Int: FormulaIndex]) -> Formula {
    func s(_ g: Formula) -> Formula { g.substituting(sigma) }
    func index(_ i: FormulaIndex) -> FormulaIndex {
      switch i {
      case .index(_, let id): return sigma[id] ?? i
      case .constant: return i
      case .affine(let terms, let c):
        // A term whose index is fixed to a constant folds into the constant.
        var kept: [AffineIndexTerm] = []
        var constant = c
        for term in terms {
          switch sigma[term.id] {
          case .index(let name, let id)?:
            kept.append(AffineIndexTerm(name: name, id: id, coefficient: term.coefficient))
          case .constant(let value)?: constant += term.coefficient * value
          case .affine?, nil: kept.append(term)
          }
        }
        if kept.isEmpty { return .constant(constant) }
        if kept.count == 1, kept[0].coefficient == 1, constant == 0 {
          return .index(kept[0].name, id: kept[0].id)
        }
        return .affine(kept, constant: constant)
      }
    }
    switch self {
    case .number, .name, .adjoint, .text: return self
    case .element(let n, let indices): return .element(n, indices.map(index))
    case .adjointElement(let o, let n, let indices):
      return .adjointElement(output: o, of: n, indices.map(index))
    case .iverson(let a, let b): return .iverson(index(a), index(b))
    case .comparison(let op, let a, let b): return .comparison(op, s(a), s(b))
    case .holds(let c): return .holds(s(c))
    case .index(let i): return .index(index(i))
    // A collapsed sum may leave a 1 behind (`Σ_i x[i]` by x[i]): simplified again.
    case .negate(let a): return .neg(s(a))
    case .add(let a, let b): return .sum(s(a), s(b))
    case .subtract(let a, let b): return .difference(s(a), s(b))
    case .multiply(let a, let b): return .product(s(a), s(b))
    case .divide(let a, let b): return .quotient(s(a), s(b))
    case .power(let a, let b): return .raised(s(a), s(b))
    case .call(let f, let args): return .call(f, args.map(s))
    case .derivative(let f, let args): return .derivative(f, args.map(s))
    case .partial(let f, let args, let i): return .partial(f, args.map(s), argument: i)
    case .reduction(let kind, let indices, let body):
      var own = sigma
      var kept: [FormulaIndex] = []
      for case .index(let name, let id) in indices {
        if id >= FormulaIndex.derivativeMark {
          if sigma[id - FormulaIndex.derivativeMark] == nil {
            kept.append(.index(name, id: id - FormulaIndex.derivativeMark))
          }
        } else {
          own[id] = nil
          kept.append(.index(name, id: id))
        }
      }
      let inner = body.substituting(own)
      return kept.isEmpty ? inner : .reduction(kind, kept, inner)
    }
  }
}
