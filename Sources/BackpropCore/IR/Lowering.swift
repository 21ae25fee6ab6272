/// Turns a checked program into the forward IR (SPEC §6, ARRAYS-DESIGN §3).
///
/// An indexed statement `h[j] = …` is a kernel over its left indices that
/// stores `h[j]`. A reduction is a kernel of its own, over the indices its
/// body uses and its own, that folds into a temporary, which the enclosing
/// expression then loads:
///
///     h[j] = sigmoid(sum(i, W[j, i] * x[i]) + b)
///       fill t[j] = -0.0                      (the sum starts at its first term)
///       for j, i:  t[j] += W[j, i] * x[i]     (ascending i, as SPEC §6.3 says)
///       for j:     h[j] = sigmoid(t[j] + b)
///
/// `logsumexp(i, e)` is m = max e (NaN if any term is), s = Σ lseExp(e, m),
/// r = lseResult(m, s), with a count of the terms equal to m for the even
/// split of the gradient at m = ±∞. Consecutive scalar statements share one
/// kernel without loops, which reads each scalar once; the program's first
/// such kernel reads every scalar leaf first, in leaf order, so a program
/// without arrays is one kernel: its leaves, then its statements.
///
/// Lowering does no value numbering on purpose: two statements with equal
/// right-hand sides must stay two nodes, or ∂O/∂A and ∂O/∂B would be merged.
/// The optimiser merges them after differentiation.
public enum Lowering {
  public static func lower(_ checked: CheckedProgram) -> Program {
    var state = State(checked)
    state.readScalarLeaves()
    for index in checked.tree.statements.indices { state.lowerStatement(index) }
    state.closeStraightLine()
    return withOutputs(checked.outputs, of: state.program)
  }

  /// The same program with other outputs: each output's store is a copy of
  /// the store of its symbol's value (or, for a leaf, of its load), first
  /// among the kernel's stores, in output order, as the generated code
  /// writes them. `explain --output` and `train --loss` differentiate a name
  /// that need not be an output.
  ///
  /// An array output is stored where its statement stores it, element by
  /// element; an array leaf that is an output is copied by a kernel of its own.
  static func withOutputs(_ outputs: [Int], of program: Program) -> Program {
    var out = program
    out.outputs = outputs
    var stored = Set<Int>()
    out.kernels = program.kernels.map { kernel in
      var out = kernel
      out.stores = []
      for (o, symbol) in outputs.enumerated()
      where program.symbols[symbol].shape.isEmpty && !stored.contains(o) {
        guard let value = valueOf(symbol, in: kernel, leaf: symbol < program.leafCount) else {
          continue
        }
        out.accesses.append(Access(.output(o)))
        out.stores.append(Store(access: out.accesses.count - 1, value: value, mode: .assign))
        stored.insert(o)
      }
      for store in kernel.stores {
        let access = kernel.accesses[store.access]
        if case .output = access.array { continue }
        out.stores.append(store)
        guard case .variable(let symbol) = access.array, !access.subscripts.isEmpty,
          store.mode == .assign
        else { continue }
        for (o, output) in outputs.enumerated() where output == symbol {
          out.accesses.append(Access(.output(o), access.subscripts))
          out.stores.append(
            Store(access: out.accesses.count - 1, value: store.value, mode: .assign))
          stored.insert(o)
        }
      }
      return out
    }
    // An output no kernel stores (an array leaf, a scalar leaf read only in
    // loops or not at all) is copied by a kernel of its own.
    for (o, symbol) in outputs.enumerated() where !stored.contains(o) {
      let shape = program.symbols[symbol].shape
      let names = ["i", "j", "k", "l"]
      var b = Builder(
        Kernel(
          loops: shape.enumerated().map {
            Loop(name: names[$0.offset], extent: $0.element, range: program.symbols[symbol].range)
          }))
      b.owner = Int32(symbol)
      b.range = program.symbols[symbol].range
      let at = shape.indices.map { Subscript.loop($0) }
      b.store(Access(.output(o), at), b.load(Access(.variable(symbol), at)))
      out.kernels.append(b.kernel)
    }
    return out
  }

  /// The program with one more scalar, the outputs weighted by the
  /// caller's `w` (``ArrayName/weight(_:)``) and summed, `vjp` = Σ_o w[o]·out[o],
  /// whose gradient is wᵀJ (SPEC §8.2's `vjp`) and whose gradient's tangent
  /// is `hvp`. Returns the program and the scalar's symbol, named `vjp` (or
  /// `vjp2`, … when the program has that name), so its adjoints read
  /// `dvjp_dh`.
  ///
  /// The scalar outputs' terms come first, in output order, in the last
  /// kernel when it has no loops (the values are at hand there: a program
  /// without arrays stays one kernel), else in a kernel of their own; then
  /// each array output's, accumulated over its elements in row-major order.
  static func weightedSum(of forward: Program) -> (program: Program, symbol: Int) {
    var program = forward
    var name = "vjp"
    var n = 2
    while program.symbols.contains(where: { $0.name == name }) {
      name = "vjp\(n)"
      n += 1
    }
    var symbol = Symbol(name: name, range: SourceRange(0, 0))
    symbol.shape = []
    program.symbols.append(symbol)
    let s = program.symbols.count - 1
    let target = Access(.variable(s))
    let inLast = program.kernels.last?.loops.isEmpty == true
    var b = Builder(inLast ? program.kernels.removeLast() : Kernel())
    b.owner = Int32(s)
    var sum: ValueID?
    for (o, output) in forward.outputs.enumerated() where forward.symbols[output].shape.isEmpty {
      b.range = forward.symbols[output].range
      let value =
        (inLast ? valueOf(output, in: b.kernel, leaf: output < forward.leafCount) : nil)
        ?? b.load(Access(.variable(output)))
      let term = b.mul(b.load(Access(.weight(o))), value)
      sum = sum.map { b.add($0, term) } ?? term
    }
    let total = sum ?? b.constant(-0.0)
    b.kernel.instructions[total.int].name = .variable(s)
    b.store(target, total)
    program.kernels.append(b.kernel)
    for (o, output) in forward.outputs.enumerated() where !forward.symbols[output].shape.isEmpty {
      let shape = forward.symbols[output].shape
      let range = forward.symbols[output].range
      var b = Builder(
        Kernel(
          loops: shape.enumerated().map {
            Loop(name: ["i", "j", "k", "l"][min($0.offset, 3)], extent: $0.element, range: range)
          }))
      b.owner = Int32(s)
      b.range = range
      let at = shape.indices.map { Subscript.loop($0) }
      let term = b.mul(b.load(Access(.weight(o), at)), b.load(Access(.variable(output), at)))
      b.store(target, term, mode: .add)
      program.kernels.append(b.kernel)
    }
    return (program, s)
  }

  /// The value a straight-line kernel holds for a scalar: what it stores to
  /// the symbol's name, or, for a leaf, its load. (A kernel that only reads
  /// a defined scalar does not define it: it must not store the output.)
  static func valueOf(_ symbol: Int, in kernel: Kernel, leaf isLeaf: Bool) -> ValueID? {
    if let value = kernel.storedValue(.variable(symbol)) { return value }
    guard isLeaf, kernel.loops.isEmpty else { return nil }
    let leaf = kernel.accesses.firstIndex(of: Access(.variable(symbol)))
    return kernel.instructions.firstIndex { $0.op == .load(leaf ?? -1) }.map(ValueID.init)
  }

  /// Lowers the nodes of an arena range that `member` admits, in order, and
  /// returns each node's value (`.none` for the others). Names, elements and
  /// reductions take their value from `external`: a load, or an SSA value
  /// of the kernel.
  static func lowerRegion(
    _ tree: SyntaxTree, _ arena: Range<Int>, into b: inout Builder, member: (Int) -> Bool,
    external: (Int, inout Builder) -> ValueID
  ) -> [ValueID] {
    var valueOf = [ValueID](repeating: .none, count: arena.count)
    for e in arena where member(e) {
      let node = tree.expressions[e]
      b.range = node.range
      func operand(_ id: ExpressionID) -> ValueID { valueOf[id.index - arena.lowerBound] }
      let value: ValueID
      switch node.kind {
      case .number(let c):
        value = b.constant(c)
      case .name, .element, .reduction:
        value = external(e, &b)
      case .negate(let x):
        value = b.neg(operand(x))
      case .binary(let op, let x, let y):
        value = b.emit(Self.op(op), operand(x), operand(y))
      case .comparison(let op, let x, let y):
        value = b.call(op.builtin, operand(x), operand(y))
      case .call(let name, _, let arguments):
        let args = arguments.map(operand)
        switch Callee(name: name) {
        case .builtin(let f)?: value = b.call(f, args[0], args.count > 1 ? args[1] : .none)
        case .power?: value = b.pow(args[0], args[1])
        case .select?: value = b.select(args[0], args[1], args[2])
        case nil: preconditionFailure("the checker rejects unknown functions")
        }
      case .parenthesized(let inner):
        value = operand(inner)
      case .error:
        preconditionFailure("programs with errors are not lowered")
      }
      valueOf[e - arena.lowerBound] = value
    }
    return valueOf
  }

  static func op(_ op: BinaryOperator) -> Op {
    switch op {
    case .add: .add
    case .subtract: .sub
    case .multiply: .mul
    case .divide: .div
    case .power: .pow
    }
  }
}

private struct State {
  /// The most terms of one logsumexp whose exponentials the gradient keeps (32 MB).
  static let cachedTermsLimit = 1 << 22

  let checked: CheckedProgram
  var tree: SyntaxTree { checked.tree }
  var program = Program()
  /// The kernel without loops that consecutive scalar statements fill.
  var straightLine: Builder?
  /// The values of the symbols that kernel computes.
  var values = SymbolValues()

  init(_ checked: CheckedProgram) {
    self.checked = checked
    program.symbols = checked.symbols
    program.leafCount = checked.leafCount
    program.outputs = checked.outputs
  }

  /// The program starts with a kernel without loops that reads every
  /// scalar leaf, in leaf order: a program of scalar statements reads its
  /// leaves first, as its declarations list them. Should the first
  /// statement need loops, the kernel stores nothing and is dropped.
  mutating func readScalarLeaves() {
    var b = Builder(Kernel())
    for (leaf, symbol) in checked.symbols[0..<checked.leafCount].enumerated()
    where symbol.shape.isEmpty {
      b.range = symbol.range
      b.owner = Int32(leaf)
      let value = b.load(Access(.variable(leaf)))
      b.kernel.instructions[value.int].name = .variable(leaf)
      values[leaf] = value
    }
    straightLine = b
  }

  mutating func closeStraightLine() {
    if let b = straightLine, !b.kernel.stores.isEmpty { program.kernels.append(b.kernel) }
    straightLine = nil
    values.removeAll()
  }

  /// A temporary array of this shape.
  mutating func temporary(_ shape: [Int]) -> ArrayName {
    program.temporaries.append(shape)
    return .temporary(program.temporaries.count - 1)
  }

  // MARK: Statements

  mutating func lowerStatement(_ index: Int) {
    let symbol = Int(checked.definitions[index])
    guard symbol >= 0 else { return }
    let statement = tree.statements[index]
    let arena = statement.expressions
    let bindings = checked.bindings[index]
    var regions = Regions(tree, arena, checked, bindings)
    if !regions.reductions.isEmpty { closeStraightLine() }
    var folded: [Int: (array: ArrayName, extra: [ArrayName])] = [:]
    for r in regions.reductions {
      folded[r] = lowerReduction(r, &regions, symbol: symbol, folded: folded)
    }

    let left = Array(0..<regions.leftCount)
    if left.isEmpty {
      // Taken out, not copied: the kernel grows in place (a copy per
      // statement would make lowering quadratic).
      var b = straightLine ?? Builder(Kernel())
      straightLine = nil
      b.owner = Int32(symbol)
      let value = lowerRoot(
        &b, &regions, symbol: symbol, loops: [], folded: folded, statement: statement)
      b.store(Access(.variable(symbol)), value)
      values[symbol] = value
      straightLine = b
    } else {
      closeStraightLine()
      var b = Builder(Kernel(loops: left.map { regions.loop($0) }))
      b.owner = Int32(symbol)
      let value = lowerRoot(
        &b, &regions, symbol: symbol, loops: left, folded: folded, statement: statement)
      b.store(Access(.variable(symbol), left.indices.map { .loop($0) }), value)
      program.kernels.append(b.kernel)
    }
  }

  /// The statement's own expression, over its left indices.
  private mutating func lowerRoot(
    _ b: inout Builder, _ regions: inout Regions, symbol: Int, loops: [Int],
    folded: [Int: (array: ArrayName, extra: [ArrayName])], statement: Statement
  ) -> ValueID {
    let arena = statement.expressions
    let firstInstruction = b.kernel.instructions.count
    let region = regions
    let checked = self.checked
    var values = self.values
    self.values = SymbolValues()  // so `values` grows in place, as `b` does
    let valueOf = Lowering.lowerRegion(
      tree, arena, into: &b, member: { region.owner[$0 - arena.lowerBound] == -1 },
      external: { e, b in
        Self.external(
          e, &b, loops: loops, regions: region, folded: folded, checked: checked, values: &values)
      })
    self.values = values
    var root = valueOf[arena.count - 1]
    // Each name has a node of its own (`B = A`, `h[j] = x[j]`).
    if root.int < firstInstruction || b.kernel[root].name != nil || b.kernel[root].op.isLoad {
      b.range = statement.range
      root = b.emit(.copy, root)
    }
    if loops.isEmpty { b.kernel.instructions[root.int].name = .variable(symbol) }
    return root
  }

  /// A reduction's kernels; returns the temporary the enclosing expression
  /// loads (and, for logsumexp, its sum).
  ///
  /// A reduction over several indices is the nest SPEC §6.3 defines:
  /// `sum(i, j, e)` is `sum(i, sum(j, e))`, the innermost index reduced first
  /// into a temporary over the outer ones, so it folds (and rounds) exactly
  /// as the nested form does; `logsumexp` likewise.
  private mutating func lowerReduction(
    _ r: Int, _ regions: inout Regions, symbol: Int,
    folded: [Int: (array: ArrayName, extra: [ArrayName])]
  ) -> (array: ArrayName, extra: [ArrayName]) {
    guard case .reduction(let kind, _, _, let body) = tree.expressions[r].kind else {
      preconditionFailure("not a reduction")
    }
    let free = regions.free[r] ?? []
    let own = checked.reductionBindings[r] ?? []
    let region = regions
    let arena = regions.arena
    let checked = self.checked
    // The innermost index over the body itself.
    var result = reduceOnce(
      kind, free: free + own.dropLast(), index: own[own.count - 1], r, regions, symbol: symbol
    ) { b, loops in
      var none = SymbolValues()
      let valueOf = Lowering.lowerRegion(
        checked.tree, arena, into: &b, member: { region.owner[$0 - arena.lowerBound] == r },
        external: { e, b in
          Self.external(
            e, &b, loops: loops, regions: region, folded: folded, checked: checked, values: &none)
        })
      return valueOf[body.index - arena.lowerBound]
    }
    // Each outer index over the level inside it.
    for k in stride(from: own.count - 2, through: 0, by: -1) {
      let inner = result
      let levelFree = free + own[0..<k]
      result = reduceOnce(kind, free: levelFree, index: own[k], r, regions, symbol: symbol) {
        b, _ in
        let at = (0...levelFree.count).map { Subscript.loop($0) }
        switch kind {
        case .sum, .maximum, .minimum: return b.load(Access(inner.array, at))
        case .logsumexp:
          return b.call(
            .lseResult, b.load(Access(inner.array, at)), b.load(Access(inner.extra[0], at)))
        }
      }
    }
    return result
  }

  /// One level of a reduction: over `index`, for each point of `free`, of the
  /// value `term` computes in a kernel over `free + [index]`.
  private mutating func reduceOnce(
    _ kind: Reduction, free: [Int], index: Int, _ r: Int, _ regions: Regions, symbol: Int,
    term: (inout Builder, [Int]) -> ValueID
  ) -> (array: ArrayName, extra: [ArrayName]) {
    let loops = free + [index]
    let shape = free.map { regions.bindings[$0].extent }
    let target = free.indices.map { Subscript.loop($0) }
    let range = tree.expressions[r].range
    let region = regions

    /// A kernel over the level's loops storing `make(term value)`.
    func kernel(_ store: (inout Builder, ValueID) -> Void) -> Kernel {
      var b = Builder(Kernel(loops: loops.map { region.loop($0) }))
      b.owner = Int32(symbol)
      let value = term(&b, loops)
      b.range = range
      store(&b, value)
      return b.kernel
    }

    switch kind {
    case .sum:
      let sum = temporary(shape)
      let kernels = [
        fill(sum, shape, free, regions, with: -0.0, symbol: symbol, range: range),
        kernel { b, value in b.store(Access(sum, target), value, mode: .add) },
      ]
      program.kernels += kernels
      return (sum, [])
    case .logsumexp:
      let (maximum, count, sum) = (temporary(shape), temporary(shape), temporary(shape))
      // Each term exp(e − m) is kept, where that is small enough, for the
      // gradient to read instead of computing exp again: the gradient of a
      // logsumexp then costs one exp per term, as its value does.
      let space = loops.reduce(1) { $0 * regions.bindings[$1].extent }
      let terms =
        space <= Self.cachedTermsLimit ? temporary(loops.map { regions.bindings[$0].extent }) : nil
      let kernels = [
        fill(maximum, shape, free, regions, with: -.infinity, symbol: symbol, range: range),
        fill(count, shape, free, regions, with: -0.0, symbol: symbol, range: range),
        fill(sum, shape, free, regions, with: -0.0, symbol: symbol, range: range),
        kernel { b, value in b.store(Access(maximum, target), value, mode: .maximum(count: count))
        },
        kernel { b, value in
          let m = b.load(Access(maximum, target))
          let tie = b.call(.equal, value, m)
          b.store(Access(count, target), tie, mode: .add)
          let term = b.call(.lseExp, value, m)
          b.store(Access(sum, target), term, mode: .add)
          if let terms { b.store(Access(terms, loops.indices.map { .loop($0) }), term) }
        },
      ]
      program.kernels += kernels
      return (maximum, [sum])
    case .maximum, .minimum:
      // From NaN, which fmax and fmin pass over; then the terms at the
      // result are counted, for the gradient's even split (SPEC §7.5).
      let (extreme, count) = (temporary(shape), temporary(shape))
      let mode: StoreMode =
        kind == .maximum ? .largest(count: count) : .smallest(count: count)
      let kernels = [
        fill(extreme, shape, free, regions, with: .nan, symbol: symbol, range: range),
        fill(count, shape, free, regions, with: -0.0, symbol: symbol, range: range),
        kernel { b, value in b.store(Access(extreme, target), value, mode: mode) },
        kernel { b, value in
          let tie = b.call(.equal, value, b.load(Access(extreme, target)))
          b.store(Access(count, target), tie, mode: .add)
        },
      ]
      program.kernels += kernels
      return (extreme, [])
    }
  }

  /// A kernel that sets every element of `array` to `value`.
  private func fill(
    _ array: ArrayName, _ shape: [Int], _ free: [Int], _ regions: Regions, with value: Double,
    symbol: Int,
    range: SourceRange
  ) -> Kernel {
    var b = Builder(Kernel(loops: free.map { regions.loop($0) }))
    b.owner = Int32(symbol)
    b.range = range
    b.store(Access(array, shape.indices.map { .loop($0) }), b.constant(value))
    return b.kernel
  }

  /// The value of a name, an element or a reduction where a kernel over
  /// `loops` (binding positions) uses it. A kernel without loops reads a
  /// scalar once (`values`, which a reduction's kernels do not share).
  private static func external(
    _ e: Int, _ b: inout Builder, loops: [Int], regions: Regions,
    folded: [Int: (array: ArrayName, extra: [ArrayName])], checked: CheckedProgram,
    values: inout SymbolValues
  ) -> ValueID {
    let node = checked.tree.expressions[e]
    func position(_ binding: Int) -> Subscript {
      .loop(loops.firstIndex(of: binding) ?? 0)
    }
    switch node.kind {
    case .name where checked.indexValues[e] != nil:
      return b.emit(.index(loops.firstIndex(of: checked.indexValues[e] ?? 0) ?? 0))
    case .name:
      let symbol = Int(checked.references[e])
      if loops.isEmpty, let value = values[symbol] { return value }
      let value = b.load(Access(.variable(symbol)))
      if b.kernel[value].name == nil { b.kernel.instructions[value.int].name = .variable(symbol) }
      if loops.isEmpty && b.kernel.loops.isEmpty { values[symbol] = value }
      return value
    case .element:
      let symbol = Int(checked.references[e])
      let subscripts = (checked.subscripts[e] ?? []).map { s -> Subscript in
        switch s {
        case .binding(let binding): position(binding)
        case .constant(let c): .constant(c)
        case .affine(let terms, let constant):
          .affine(
            terms.map {
              AffineTerm(index: loops.firstIndex(of: $0.index) ?? 0, coefficient: $0.coefficient)
            }, offset: constant)
        }
      }
      return b.load(Access(.variable(symbol), subscripts))
    case .reduction(let kind, _, _, _):
      let (array, extra) = folded[e] ?? (.temporary(0), [])
      let at = (regions.free[e] ?? []).map(position)
      switch kind {
      case .sum, .maximum, .minimum:
        return b.load(Access(array, at))
      case .logsumexp:
        let m = b.load(Access(array, at))
        let s = b.load(Access(extra[0], at))
        return b.call(.lseResult, m, s)
      }
    default:
      preconditionFailure("only names, elements and reductions come from outside")
    }
  }
}

/// The values of the symbols a kernel without loops has computed, by
/// symbol: a lookup per name read, without hashing, and forgotten all at
/// once when the kernel closes (a generation, not a pass over every symbol).
private struct SymbolValues {
  private var values: [ValueID] = []
  private var generations: [Int32] = []
  private var generation: Int32 = 0

  subscript(symbol: Int) -> ValueID? {
    get { symbol < values.count && generations[symbol] == generation ? values[symbol] : nil }
    set {
      if symbol >= values.count {
        values += repeatElement(.none, count: symbol + 1 - values.count)
        generations += repeatElement(-1, count: symbol + 1 - generations.count)
      }
      values[symbol] = newValue ?? .none
      generations[symbol] = newValue == nil ? -1 : generation
    }
  }

  mutating func removeAll() { generation += 1 }
}

/// Which reduction each node of a statement belongs to, and the indices each
/// reduction's result depends on.
private struct Regions {
  let arena: Range<Int>
  let bindings: [Binding]
  /// Per node (arena offset): the innermost reduction (arena index) whose
  /// body holds it, or -1.
  var owner: [Int]
  /// The reductions, inner before outer (the arena's post-order).
  var reductions: [Int] = []
  /// Per reduction: the bindings outside it that its body uses, in nest order.
  var free: [Int: [Int]] = [:]
  let leftCount: Int

  init(_ tree: SyntaxTree, _ arena: Range<Int>, _ checked: CheckedProgram, _ bindings: [Binding]) {
    self.arena = arena
    self.bindings = bindings
    owner = [Int](repeating: -1, count: arena.count)
    // A statement that binds no index has no reduction: every node is its own.
    guard !bindings.isEmpty else {
      leftCount = 0
      return
    }
    var first = [Int](repeating: 0, count: arena.count)
    var ownerOfBinding = [Int](repeating: -1, count: bindings.count)
    for e in arena {
      var start = e
      switch tree.expressions[e].kind {
      case .negate(let x), .parenthesized(let x): start = first[x.index - arena.lowerBound]
      case .binary(_, let x, _), .comparison(_, let x, _): start = first[x.index - arena.lowerBound]
      case .call(_, _, let arguments):
        start = arguments.first.map { first[$0.index - arena.lowerBound] } ?? e
      case .reduction(_, _, _, let body):
        start = first[body.index - arena.lowerBound]
        reductions.append(e)
        for binding in checked.reductionBindings[e] ?? [] { ownerOfBinding[binding] = e }
      case .number, .name, .element, .error: break
      }
      first[e - arena.lowerBound] = start
    }
    // Post-order: a reduction's body precedes it, inner reductions first, so
    // the last reduction to claim a node is the innermost around it.
    for r in reductions.reversed() {
      guard case .reduction(_, _, _, let body) = tree.expressions[r].kind else { continue }
      for e in first[body.index - arena.lowerBound]...body.index { owner[e - arena.lowerBound] = r }
    }
    leftCount = bindings.indices.filter { ownerOfBinding[$0] == -1 }.count
    // Depth of each reduction, for nest order: outer reductions' indices first.
    var depth: [Int: Int] = [:]
    for r in reductions {
      var d = 0
      var o = owner[r - arena.lowerBound]
      while o >= 0 {
        d += 1
        o = owner[o - arena.lowerBound]
      }
      depth[r] = d
    }
    func nestKey(_ binding: Int) -> (Int, Int) {
      let r = ownerOfBinding[binding]
      return (r < 0 ? 0 : 1 + (depth[r] ?? 0), binding)
    }
    for r in reductions {
      var used = Set<Int>()
      for e in arena where owner[e - arena.lowerBound] == r {
        if let subscripts = checked.subscripts[e] {
          for written in subscripts { used.formUnion(written.bindings) }
        }
        if let binding = checked.indexValues[e] { used.insert(binding) }
        if case .reduction = tree.expressions[e].kind { used.formUnion(free[e] ?? []) }
      }
      used.subtract(checked.reductionBindings[r] ?? [])
      free[r] = used.sorted { nestKey($0) < nestKey($1) }
    }
  }

  func loop(_ binding: Int) -> Loop {
    Loop(
      name: bindings[binding].name, extent: bindings[binding].extent,
      range: bindings[binding].range, lower: bindings[binding].lower)
  }
}

extension Op {
  var isLoad: Bool {
    if case .load = self { return true }
    return false
  }
}
