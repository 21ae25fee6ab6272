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
    var names = NameTable(capacity: program.kernels.reduce(0) { $0 + $1.instructions.count })
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
    let dialect = dialect
    declare(name, into: &p) { out in
      plan.writeExpression(value, into: &out)
      out += dialect.statementEnd
      if instruction.role == .forward, instruction.name != nil {
        out += "  "
        out += dialect.commentOpen
        out += "line "
        out += String(line(instruction.range))
        out += dialect.commentClose
      }
    }
  }

  /// `const double name = `, then what `rest` appends (the value and the
  /// statement's end), as one line built in place.
  private func declare(_ name: String, into p: inout CodePrinter, _ rest: (inout String) -> Void) {
    let dialect = dialect
    p.line { out in
      out += dialect.declaration
      out += name
      out += " = "
      rest(&out)
    }
  }

  /// `grad[3] = dC_dx;  /* dC/dx */`
  private func printStore(_ k: Int, _ s: Int, into p: inout CodePrinter) {
    let kernel = program.kernels[k]
    let plan = plans[k]
    let store = kernel.stores[s]
    let access = kernel.accesses[store.access]
    let dialect = dialect
    let program = program
    p.line { out in
      out += plan.elements[store.access]
      out += store.mode == .add ? " += " : " = "
      plan.write(store.value, into: &out)
      out += dialect.statementEnd
      if case .adjoint(let output, let s) = access.array {
        out += "  "
        out += dialect.comment(dialect.partial(program.symbols[output].name, program.symbols[s].name))
      }
    }
  }

  // MARK: - Parts

  /// A piece of a split function: consecutive statements, and the values it
  /// shares with other parts through slots of the work buffer.
  struct Part {
    /// What the part prints, in order.
    var lines: [Line] = []
    /// The source lines of the statements the part computes.
    var sourceLines: ClosedRange<Int>?
    var forward = false
    var backward = false
    var readsInput = false
    var writesOutput = false
    var writesGradient = false
    var usesWork = false

    /// What the part computes, for the comment above it: `lines 3-410 of f.bp, forward sweep`.
    func coverage(of sourceName: String) -> String {
      var text = "reads of the inputs"
      if let lines = sourceLines {
        text = (lines.count == 1 ? "line \(lines.lowerBound)" : "lines \(lines.lowerBound)-\(lines.upperBound)")
          + " of \(sourceName)"
      }
      switch (forward, backward) {
      case (true, false): return text + ", forward sweep"
      case (false, true): return text + ", backward sweep"
      case (true, true): return text + ", forward sweep then backward sweep"
      case (false, false): return text + ", stores"
      }
    }
  }

  enum Line {
    /// a leaf's local, from the input buffer
    case leaf(Int)
    /// the local of a value computed by an earlier part, from its slot
    case fetch(Int)
    /// a value's local (then, if a later part reads it, its slot's write)
    case local(Int)
    /// a store
    case store(Int)
  }

  /// A body as parts, and the slot of each value that crosses between them.
  struct Split {
    var parts: [Part] = []
    /// Per instruction: its slot of the work buffer, or -1.
    var slot: [Int32] = []
    var workSize = 0
  }

  /// The body cut into parts of at most `maxSize` statements (locals and
  /// stores); no parts when it is no longer than that.
  ///
  /// Each store is placed right after the last local it reads, and a leaf
  /// is read from the input buffer in each part that uses it, so what
  /// crosses a boundary is only what must: values computed in one part and
  /// read in a later one. Each takes a slot of the work buffer from the part
  /// that computes it to the last part that reads it; the slot then serves
  /// the values of later parts, so the buffer holds about what is live at
  /// once. A part reads a leaf or a fetched value just before the first
  /// statement that needs it, and writes a slot just after the value is
  /// computed: short live ranges keep the C and Swift compilers' register
  /// allocation fast. One pass over the body, and one over the parts.
  func split(maxSize: Int, line: (SourceRange) -> Int) -> Split {
    guard program.kernels.count == 1 else { return Split() }
    let kernel = program.kernels[0]
    let plan = plans[0]
    let count = kernel.instructions.count
    var isLoad = [Bool](repeating: false, count: count)
    for (i, instruction) in kernel.instructions.enumerated() {
      if case .load = instruction.op { isLoad[i] = true }
    }
    let computed = (0..<count).filter { plan.local[$0] != nil && !isLoad[$0] }
    guard kernel.stores.count + computed.count > maxSize else { return Split() }

    // The locals each statement's text names (CSR: `readStart[k]..<readStart[k + 1]`),
    // statements numbered as instructions, then stores after them, and
    // whether its text holds a load written inline.
    var readStart = [Int32](repeating: 0, count: count + kernel.stores.count + 1)
    var read: [Int32] = []
    var inlineLoad = [Bool](repeating: false, count: count + kernel.stores.count)
    func collect(_ v: Int, _ k: Int) {
      if plan.local[v] != nil {
        read.append(Int32(v))
      } else if isLoad[v] {
        inlineLoad[k] = true
      } else {
        for operand in kernel.instructions[v].operands { collect(operand.int, k) }
      }
    }
    for k in 0..<(count + kernel.stores.count) {
      if k < count {
        if plan.local[k] != nil && !isLoad[k] { for operand in kernel.instructions[k].operands { collect(operand.int, k) } }
      } else {
        collect(kernel.stores[k - count].value.int, k)
      }
      readStart[k + 1] = Int32(read.count)
    }
    func reads(_ k: Int) -> ArraySlice<Int32> { read[Int(readStart[k])..<Int(readStart[k + 1])] }

    // Stores to distinct elements may go in any order; should two write one
    // element, all keep their order.
    let distinct = Set(kernel.stores.map { kernel.accesses[$0.access] }).count == kernel.stores.count
    var storesAfter = [[Int]](repeating: [], count: count + 1)
    var lastPosition = 0
    for s in kernel.stores.indices {
      // Position 0 is "before every local"; a leaf is read where it is used.
      let last = reads(count + s).lazy.filter { !isLoad[Int($0)] }.max().map { Int($0) + 1 } ?? 0
      let position = max(distinct ? 0 : lastPosition, last)
      lastPosition = position
      storesAfter[position].append(s)
    }
    var order: [Line] = storesAfter[0].map { .store($0) }
    for i in computed {
      order.append(.local(i))
      order += storesAfter[i + 1].map { .store($0) }
    }

    // Cut; find the part computing each value and the last part reading it.
    var result = Split()
    var home = [Int32](repeating: -1, count: count)
    var lastReader = [Int32](repeating: -1, count: count)
    for start in stride(from: 0, to: order.count, by: maxSize) {
      let p = Int32(result.parts.count)
      var part = Part()
      part.lines.reserveCapacity(2 * maxSize)
      for statement in order[start..<min(order.count, start + maxSize)] {
        let k: Int
        switch statement {
        case .local(let i):
          k = i
          home[i] = p
          let instruction = kernel.instructions[i]
          if instruction.role == .forward { part.forward = true } else { part.backward = true }
          let l = line(instruction.range)
          part.sourceLines = part.sourceLines.map { min($0.lowerBound, l)...max($0.upperBound, l) } ?? l...l
        case .store(let s):
          k = count + s
          if case .output = kernel.accesses[kernel.stores[s].access].array { part.writesOutput = true } else { part.writesGradient = true }
        case .leaf, .fetch:
          continue
        }
        if inlineLoad[k] { part.readsInput = true }
        for r in reads(k) {
          let v = Int(r)
          guard home[v] != p, lastReader[v] != p else { continue }
          lastReader[v] = p
          if isLoad[v] {
            part.readsInput = true
            part.lines.append(.leaf(v))
          } else {
            part.usesWork = true
            part.lines.append(.fetch(v))
          }
        }
        part.lines.append(statement)
      }
      result.parts.append(part)
    }

    // Slots, in part order, the last freed taken first. A part fetches as
    // it goes, so the slots its fetches free serve only the parts after it.
    var exports = [[Int]](repeating: [], count: result.parts.count)
    for v in computed where lastReader[v] > home[v] { exports[Int(home[v])].append(v) }
    result.slot = [Int32](repeating: -1, count: count)
    var free: [Int32] = []
    for p in result.parts.indices {
      for v in exports[p] {
        if let s = free.popLast() {
          result.slot[v] = s
        } else {
          result.slot[v] = Int32(result.workSize)
          result.workSize += 1
        }
        result.parts[p].usesWork = true
      }
      for case .fetch(let v) in result.parts[p].lines where lastReader[v] == p { free.append(result.slot[v]) }
    }
    return result
  }

  /// `work[17]`
  private func writeSlot(_ slot: Int32, into out: inout String) {
    out += dialect.workBuffer
    out += "["
    out += String(slot)
    out += "]"
  }

  /// Prints one part of a ``split(maxSize:line:)``.
  func print(_ part: Part, of split: Split, into p: inout CodePrinter, line: (SourceRange) -> Int) {
    let plan = plans[0]
    var announcedBackward = !part.forward
    for item in part.lines {
      switch item {
      case .leaf(let v):
        printLocal(0, v, announcedBackward: &announcedBackward, into: &p, line: line)
      case .fetch(let v):
        declare(plan.local[v]!, into: &p) { out in
          writeSlot(split.slot[v], into: &out)
          out += dialect.statementEnd
        }
      case .local(let i):
        printLocal(0, i, announcedBackward: &announcedBackward, into: &p, line: line)
        if split.slot[i] >= 0 {
          p.line { out in
            writeSlot(split.slot[i], into: &out)
            out += " = "
            out += plan.local[i]!
            out += dialect.statementEnd
          }
        }
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
