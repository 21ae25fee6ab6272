/// The body of one generated function, in either language: for each kernel,
/// a local for each value that needs one, in instruction order, then the
/// stores. The statements' syntax comes from the ``Dialect``; which values
/// get a local, and their names, from each kernel's ``FunctionPlan``.
struct FunctionBody {
  let program: Program
  let dialect: Dialect
  let plans: [FunctionPlan]
  /// Every helper function the body calls, sorted by name.
  let helpers: [Builtin]

  init(_ program: Program, layout: Layout, dialect: Dialect) {
    self.program = program
    self.dialect = dialect
    let storage = Storage(program, layout, dialect)
    var names = NameTable()
    plans = program.kernels.map { kernel in
      FunctionPlan(program, kernel, dialect: dialect, elements: kernel.accesses.map(storage.element), names: &names)
    }
    var seen = Set<Builtin>()
    helpers = plans.flatMap(\.helpers).filter { seen.insert($0).inserted }.sorted { $0.rawValue < $1.rawValue }
  }

  /// Whether the function reads its input buffer at all.
  var readsInput: Bool {
    program.kernels.contains { kernel in
      kernel.instructions.contains { instruction in
        guard case .load(let a) = instruction.op, case .variable(let s) = kernel.accesses[a].array else { return false }
        return s < program.leafCount
      }
    }
  }

  /// Whether the function writes its gradient buffer at all.
  var writesGradient: Bool {
    program.kernels.contains { kernel in
      kernel.stores.contains { store in
        guard case .adjoint(_, let s) = kernel.accesses[store.access].array else { return false }
        return s < program.leafCount
      }
    }
  }

  /// Prints the statements, unsplit; `line` gives the source line of a range.
  func print(into p: inout CodePrinter, line: (SourceRange) -> Int) {
    for k in program.kernels.indices {
      var announcedBackward = false
      for i in program.kernels[k].instructions.indices where plans[k].local[i] != nil {
        printLocal(k, i, announcedBackward: &announcedBackward, into: &p, line: line)
      }
      for s in program.kernels[k].stores.indices { printStore(k, s, into: &p) }
    }
  }

  /// `const double A = x * y;  /* line 2 */`, after the backward sweep's
  /// comment when it is the sweep's first local.
  private func printLocal(
    _ k: Int, _ i: Int, announcedBackward: inout Bool, into p: inout CodePrinter, line: (SourceRange) -> Int
  ) {
    let instruction = program.kernels[k].instructions[i]
    let plan = plans[k]
    guard let name = plan.local[i] else { return }
    let value = ValueID(i)
    if case .load = instruction.op {
      p.line(dialect.declare(name, plan.definition(value)))
      return
    }
    if case .adjoint = instruction.role, !announcedBackward {
      announcedBackward = true
      p.line(dialect.comment("backward sweep: dO_dV is the partial derivative of O with respect to V"))
    }
    var statement = dialect.declare(name, plan.definition(value))
    if instruction.role == .forward, instruction.name != nil {
      statement += "  " + dialect.comment("line \(line(instruction.range))")
    }
    p.line(statement)
  }

  /// `grad[3] = dC_dx;  /* dC/dx */`
  private func printStore(_ k: Int, _ s: Int, into p: inout CodePrinter) {
    let kernel = program.kernels[k]
    let plan = plans[k]
    let store = kernel.stores[s]
    let access = kernel.accesses[store.access]
    let target = plan.elements[store.access]
    let value = plan.text(store.value)
    var statement = store.mode == .add ? dialect.accumulate(target, value) : dialect.assign(target, value)
    if case .adjoint(let output, let s) = access.array {
      statement += "  " + dialect.comment(dialect.partial(program.symbols[output].name, program.symbols[s].name))
    }
    p.line(statement)
  }

  // MARK: - Parts

  /// A piece of a split function: consecutive statements, and the values it
  /// shares with other parts through slots of the work buffer.
  struct Part {
    /// Locals (instruction indices) and stores (store indices), in order.
    var statements: [Statement] = []
    /// (instruction, slot): values of earlier parts this part reads.
    var imports: [(value: Int, slot: Int)] = []
    /// (instruction, slot): values of this part later parts read.
    var exports: [(value: Int, slot: Int)] = []
    /// The source lines of the statements the part computes.
    var lines: ClosedRange<Int>?
    var forward = false
    var backward = false
    var readsInput = false
    var writesOutput = false
    var writesGradient = false
  }

  enum Statement {
    case local(Int)
    case store(Int)
  }

  /// The body cut into parts of at most `maxSize` statements (locals and
  /// stores); none when it is no longer than that, and then no work memory.
  ///
  /// Each store is placed right after the last local it reads, and a leaf
  /// is read from the input buffer in each part that uses it, so what
  /// crosses a boundary is only what must: values computed in one part and
  /// read in a later one. Each takes a slot of the work buffer from the part
  /// that computes it to the last part that reads it; the slot then serves
  /// the values of later parts, so the buffer holds about what is live at once.
  func parts(maxSize: Int, line: (SourceRange) -> Int) -> (parts: [Part], workSize: Int) {
    guard program.kernels.count == 1 else { return ([], 0) }
    let kernel = program.kernels[0]
    let plan = plans[0]
    let count = kernel.instructions.count
    func isLoad(_ v: Int) -> Bool {
      if case .load = kernel.instructions[v].op { return true }
      return false
    }
    let computed = (0..<count).filter { plan.local[$0] != nil && !isLoad($0) }
    guard kernel.stores.count + computed.count > maxSize else { return ([], 0) }

    // Stores to distinct elements may go in any order; should two write one
    // element, all keep their order.
    let distinct = Set(kernel.stores.map { kernel.accesses[$0.access] }).count == kernel.stores.count
    var storesAfter = [[Int]](repeating: [], count: count + 1)
    var lastPosition = 0
    for (s, store) in kernel.stores.enumerated() {
      var found: [Int] = []
      readsValue(kernel, plan, store.value.int, into: &found)
      // Position 0 is "before every local"; a leaf is no local here.
      let position = max(distinct ? 0 : lastPosition, (found.filter { !isLoad($0) }.max() ?? -1) + 1)
      lastPosition = position
      storesAfter[position].append(s)
    }
    var order: [Statement] = storesAfter[0].map { .store($0) }
    for i in computed {
      order.append(.local(i))
      order += storesAfter[i + 1].map { .store($0) }
    }

    // Cut; find the part computing each value and the last part reading it.
    var parts: [Part] = []
    var home = [Int](repeating: -1, count: count)
    var lastReader = [Int](repeating: -1, count: count)
    for start in stride(from: 0, to: order.count, by: maxSize) {
      let p = parts.count
      var part = Part(statements: Array(order[start..<min(order.count, start + maxSize)]))
      var imports: [Int] = []
      for statement in part.statements {
        var found: [Int] = []
        var inputs = false
        switch statement {
        case .local(let i):
          home[i] = p
          let instruction = kernel.instructions[i]
          if instruction.role == .forward { part.forward = true } else { part.backward = true }
          let l = line(instruction.range)
          part.lines = part.lines.map { min($0.lowerBound, l)...max($0.upperBound, l) } ?? l...l
          reads(kernel, plan, i, into: &found)
          inputs = readsInlineLoad(kernel, plan, i)
        case .store(let s):
          let store = kernel.stores[s]
          readsValue(kernel, plan, store.value.int, into: &found)
          inputs = plan.local[store.value.int] == nil && (isLoad(store.value.int) || readsInlineLoad(kernel, plan, store.value.int))
          if case .output = kernel.accesses[store.access].array { part.writesOutput = true } else { part.writesGradient = true }
        }
        if inputs || found.contains(where: isLoad) { part.readsInput = true }
        for v in found where !isLoad(v) && home[v] != p && lastReader[v] != p {
          lastReader[v] = p
          imports.append(v)
        }
      }
      part.imports = imports.map { ($0, -1) }
      parts.append(part)
    }

    // Slots. A part reads its imports as it goes, so the slots they free
    // serve only the parts after it.
    var exports = [[Int]](repeating: [], count: parts.count)
    for v in computed where lastReader[v] > home[v] { exports[home[v]].append(v) }
    var slot = [Int](repeating: -1, count: count)
    var free: [Int] = []
    var workSize = 0
    for p in parts.indices {
      parts[p].imports = parts[p].imports.map { ($0.value, slot[$0.value]) }
      free.sort(by: >)
      for v in exports[p] {
        if let s = free.popLast() {
          slot[v] = s
        } else {
          slot[v] = workSize
          workSize += 1
        }
        parts[p].exports.append((v, slot[v]))
      }
      for (v, s) in parts[p].imports where lastReader[v] == p { free.append(s) }
    }
    return (parts, workSize)
  }

  /// The locals the text of value `v`'s definition names, through the
  /// operands written inline.
  private func reads(_ kernel: Kernel, _ plan: FunctionPlan, _ v: Int, into found: inout [Int]) {
    for operand in kernel.instructions[v].operands { readsValue(kernel, plan, operand.int, into: &found) }
  }

  /// The locals the text of value `v` names: itself, when it has a local.
  private func readsValue(_ kernel: Kernel, _ plan: FunctionPlan, _ v: Int, into found: inout [Int]) {
    if plan.local[v] != nil { found.append(v) } else { reads(kernel, plan, v, into: &found) }
  }

  /// Whether the text of value `v`'s definition holds a load written inline (`in[3]`).
  private func readsInlineLoad(_ kernel: Kernel, _ plan: FunctionPlan, _ v: Int) -> Bool {
    kernel.instructions[v].operands.contains { operand in
      guard plan.local[operand.int] == nil else { return false }
      if case .load = kernel.instructions[operand.int].op { return true }
      return readsInlineLoad(kernel, plan, operand.int)
    }
  }

  /// Prints one part's statements. A leaf is read from the input buffer,
  /// and a value of an earlier part from `work`, just before the first
  /// statement that needs it; a value later parts need is written to `work`
  /// just after it is computed. The live ranges stay short, which keeps the
  /// C and Swift compilers' register allocation fast.
  func print(_ part: Part, into p: inout CodePrinter, line: (SourceRange) -> Int) {
    let plan = plans[0]
    let kernel = program.kernels[0]
    var importSlot: [Int: Int] = [:]
    for (v, slot) in part.imports { importSlot[v] = slot }
    var exportSlot: [Int: Int] = [:]
    for (v, slot) in part.exports { exportSlot[v] = slot }
    var loaded = Set<Int>()
    var announcedBackward = !part.forward
    for statement in part.statements {
      var found: [Int] = []
      switch statement {
      case .local(let i): reads(kernel, plan, i, into: &found)
      case .store(let s): readsValue(kernel, plan, kernel.stores[s].value.int, into: &found)
      }
      for v in found {
        if case .load = kernel.instructions[v].op {
          if loaded.insert(v).inserted { printLocal(0, v, announcedBackward: &announcedBackward, into: &p, line: line) }
        } else if let slot = importSlot.removeValue(forKey: v) {
          p.line(dialect.declare(plan.local[v]!, dialect.element(dialect.workBuffer, "\(slot)")))
        }
      }
      switch statement {
      case .local(let i):
        printLocal(0, i, announcedBackward: &announcedBackward, into: &p, line: line)
        if let slot = exportSlot[i] { p.line(dialect.assign(dialect.element(dialect.workBuffer, "\(slot)"), plan.local[i]!)) }
      case .store(let s):
        printStore(0, s, into: &p)
      }
    }
  }
}

/// Where a generated function finds each array: the leaves in the input
/// buffer, the outputs in the output buffer, ∂output/∂leaf in the gradient
/// buffer, all at the offsets of the ``Layout``.
private struct Storage {
  let program: Program
  let layout: Layout
  let dialect: Dialect
  /// Each output symbol's position among the outputs.
  let outputPosition: [Int: Int]

  init(_ program: Program, _ layout: Layout, _ dialect: Dialect) {
    self.program = program
    self.layout = layout
    self.dialect = dialect
    var position: [Int: Int] = [:]
    for (o, s) in program.outputs.enumerated() { position[s] = o }
    outputPosition = position
  }

  func element(_ access: Access) -> String {
    switch access.array {
    case .variable(let s) where s < program.leafCount:
      return dialect.element(dialect.inputBuffer, "\(layout.input(s))")
    case .output(let o):
      return dialect.element(dialect.outputBuffer, "\(layout.output(o))")
    case .adjoint(let output, let s) where s < program.leafCount:
      let o = outputPosition[output] ?? 0
      return dialect.element(dialect.gradientBuffer, "\(layout.gradient(output: o, leaf: s))")
    case .variable, .adjoint, .temporary, .temporaryAdjoint:
      preconditionFailure("a straight-line program keeps its intermediates in locals")
    }
  }
}
