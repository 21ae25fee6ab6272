/// The body of one generated function of a program with arrays, in either
/// language: each group of the ``Schedule`` as a loop nest, each value
/// computed at the depth of the innermost loop it needs (so `dE_dh[j]·h[j]`
/// is computed once per `j`, outside the `i` loop), the stores at the depth
/// they must run at. Names come from the source: arrays are their variables'
/// names (`W1`, `dE_dh`), temporaries their statement's (`h_sum`).
struct KernelBody {
  let program: Program
  let dialect: Dialect
  let schedule: Schedule
  /// How the code reaches each array, by its number (``ArrayTable``).
  private var views: [View?] = []
  private var plans: [FunctionPlan] = []
  private var depths: [[Int]] = []
  /// Each kernel's loop names, legalised.
  private var loopNames: [[String]] = []
  /// Every helper function the body calls, sorted by name.
  private(set) var helpers: [Builtin] = []
  /// By array number: for a local that is only a name for a value (see
  /// ``forwardedLocals``), the kernel writing it, else -1.
  private var forwarded: [Int] = []
  /// By array number: for a local declared by its first store (`double h_sum
  /// = -0.0;`), the kernel making it, else -1.
  private var declaredByStore: [Int] = []
  /// The groups run `jamFactor` rows at a time (see ``jammable(_:)``), by
  /// group index; for each of their kernels, the plans of rows 1, 2, 3
  /// (row 0 is `plans[k]`), and each group local's names in those rows.
  private var jammed = Set<Int>()
  private var rowPlans: [Int: [FunctionPlan]] = [:]
  private var rowLocalNames: [Int: [String]] = [:]
  /// The arrays each part uses, by number (``arraysOfParts(_:_:)``); none when whole.
  private var partArrays: [[Int]] = []
  /// The buffers the body uses, and each part (``uses(_:inPart:)``).
  private var buffers: [String] = []
  private var partBuffers: [[String]] = []

  /// Rows of a reduction's outer loop computed together: four independent
  /// sums hide the latency of one floating-point add chain (`y_sum`,
  /// `y_sum_1`, …), and each row still folds in ascending order.
  static let jamFactor = 4

  /// How the code reaches one array.
  struct View {
    enum Kind {
      /// `in[5]`: a scalar element of a caller's buffer, or a work element
      case element(buffer: String, offset: Int)
      /// a pointer variable over part of a buffer, with these strides
      case pointer(buffer: String, offset: Int, strides: [Int], rows: Bool)
      /// a local scalar
      case local
    }
    var name: String
    var kind: Kind
    var mutable: Bool
    var count: Int
    /// The number of the array it shows, and whether that is a scalar.
    var id: Int
    var isScalar: Bool
  }

  /// - Parameter interface: where the caller's buffers hold an array (leaf,
  ///   output, ∂output/∂leaf): the buffer's name, the first element's
  ///   offset, and the strides of its dimensions; nil for intermediates.
  /// - Parameter maxPartSize: the most statements one function holds; a
  ///   longer body is printed as parts (``ArrayParts``, ``printPart(_:into:line:)``).
  init(
    _ program: Program, dialect: Dialect, workBuffer: String, maxPartSize: Int = .max,
    interface: (ArrayName) -> (buffer: String, offset: Int, strides: [Int], mutable: Bool)?
  ) {
    // A kernel is cut only when it alone is longer than a part: a program
    // printed whole comes back unchanged.
    let program = ArrayParts.cuttingStraightLine(program, maxSize: maxPartSize)
    self.program = program
    self.dialect = dialect
    schedule = Schedule(program, isInterface: { interface($0) != nil }, maxPartSize: maxPartSize)
    // Arrays first: their names are the source's, and nothing may shadow them.
    var names = NameTable()
    views = Self.views(
      program, schedule, dialect: dialect, workBuffer: workBuffer, interface: interface,
      names: &names)
    loopNames = Self.loopNames(program, schedule, dialect: dialect, names: names)
    depths = program.kernels.map(Schedule.depths)
    forwarded = Self.forwardedLocals(program, schedule, depths)
    declaredByStore = Self.declaredByFirstStore(program, schedule, depths)
    for id in declaredByStore.indices where forwarded[id] >= 0 { declaredByStore[id] = -1 }
    for (g, group) in schedule.groups.enumerated()
    where Self.jammable(group, program, schedule) {
      jammed.insert(g)
      for k in group.kernels {
        for id in schedule.arrays.used[k] {
          guard let view = views[id], case .local = view.kind, !view.isScalar,
            rowLocalNames[id] == nil
          else { continue }
          rowLocalNames[id] = (1..<Self.jamFactor).map { names.claim(view.name + "_\($0)") }
        }
      }
    }
    partArrays = Self.arraysOfParts(program, schedule)
    buffers = Self.buffers(of: views.indices, views)
    partBuffers = partArrays.map { Self.buffers(of: $0, views) }
    planKernels(names: names)
  }

  /// How the code reaches each array (by number), each named after its
  /// source (``name(_:_:_:)``) unless it is an element of a buffer.
  private static func views(
    _ program: Program, _ schedule: Schedule, dialect: Dialect, workBuffer: String,
    interface: (ArrayName) -> (buffer: String, offset: Int, strides: [Int], mutable: Bool)?,
    names: inout NameTable
  ) -> [View?] {
    let temporaryNames = Self.temporaryNames(program)
    let arrays = schedule.arrays
    var views = [View?](repeating: nil, count: arrays.names.count)
    for (id, array) in arrays.names.enumerated() {
      let shape = program.shape(of: array)
      let count = shape.reduce(1, *)
      let scalar = shape.isEmpty
      let element = scalar && (interface(array) != nil || !schedule.isLocal[id])
      let name =
        element ? "" : names.claim(dialect.legal(Self.name(array, program, temporaryNames)))
      if let (buffer, offset, strides, mutable) = interface(array) {
        let contiguous = strides == Layout.rowMajor(shape)
        // A Jacobian's rows are a gradient row apart: the view spans from
        // the first element to the last.
        let span = 1 + zip(shape, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 }
        views[id] =
          scalar
          ? View(
            name: name, kind: .element(buffer: buffer, offset: offset), mutable: mutable, count: 1,
            id: id, isScalar: true)
          : View(
            name: name,
            kind: .pointer(
              buffer: buffer, offset: offset, strides: strides,
              rows: contiguous && dialect.indexesRows), mutable: mutable, count: span,
            id: id, isScalar: false)
      } else if schedule.isLocal[id] {
        views[id] = View(
          name: name, kind: .local, mutable: true, count: count, id: id, isScalar: scalar)
      } else if scalar {
        // A scalar two parts share: its element of the work buffer.
        views[id] = View(
          name: name, kind: .element(buffer: workBuffer, offset: schedule.workOffset[id]),
          mutable: true, count: 1,
          id: id, isScalar: true)
      } else {
        views[id] = View(
          name: name,
          kind: .pointer(
            buffer: workBuffer, offset: schedule.workOffset[id], strides: Layout.rowMajor(shape),
            rows: dialect.indexesRows),
          mutable: true, count: count, id: id, isScalar: false)
      }
    }
    return views
  }

  /// Each kernel's loop names, legal and shadowing no array. A fused
  /// kernel's first loop is its group's.
  private static func loopNames(
    _ program: Program, _ schedule: Schedule, dialect: Dialect, names: NameTable
  ) -> [[String]] {
    var loopNames = program.kernels.map { kernel in
      kernel.loops.map { loop in
        var name = dialect.legal(loop.name)
        while names.contains(name) { name += "_" }
        return name
      }
    }
    for group in schedule.groups where group.fused {
      // The outer loop takes its name from a kernel that computes (a fill's is made up).
      let named =
        group.kernels.first { k in
          program.kernels[k].instructions.contains {
            if case .constant = $0.op { return false } else { return true }
          }
        } ?? group.kernels[0]
      for k in group.kernels {
        loopNames[k][0] = loopNames[named][0]
        // An inner loop must not shadow the shared one (a fill's `i, j`
        // fused under a diagonal's `j`): it takes the next free suffix.
        for d in loopNames[k].indices.dropFirst() {
          let base = loopNames[k][d]
          var n = 2
          while loopNames[k][..<d].contains(loopNames[k][d]) || names.contains(loopNames[k][d]) {
            loopNames[k][d] = base + String(n)
            n += 1
          }
        }
      }
    }
    return loopNames
  }

  /// Each kernel's ``FunctionPlan`` (and a jammed kernel's rows), in order,
  /// the names of a part's locals fresh in each part (a function of its own).
  private mutating func planKernels(names shared: NameTable) {
    let arrays = schedule.arrays
    var names = shared
    var partOf = [Int](repeating: 0, count: program.kernels.count)
    for (p, part) in schedule.parts.enumerated() {
      for g in part { for k in schedule.groups[g].kernels { partOf[k] = p } }
    }
    var jammedKernel = [Bool](repeating: false, count: program.kernels.count)
    for g in jammed { for k in schedule.groups[g].kernels { jammedKernel[k] = true } }
    var forwardedName = [String?](repeating: nil, count: arrays.names.count)
    var rowForwardedName: [[Int: String]] = Array(repeating: [:], count: Self.jamFactor)
    var helperSet = Set<Builtin>()
    // By array number: the last kernel storing to it.
    var writtenBy = [Int](repeating: -1, count: arrays.names.count)
    // By array number: a scalar's element, the same in every kernel.
    var scalarElement = [String?](repeating: nil, count: arrays.names.count)
    for (k, kernel) in program.kernels.enumerated() {
      if k > 0 && partOf[k] != partOf[k - 1] { names = shared }
      let depth = depths[k]
      let ids = arrays.ofAccess[k]
      for store in kernel.stores { writtenBy[ids[store.access]] = k }
      let (needsLocal, alias) = locals(k, forwardedName: forwardedName, writtenBy: writtenBy)
      let elements =
        kernel.accesses.indices.map { a in
          let id = ids[a]
          if id < 0 { return "" }
          if let name = forwardedName[id] { return name }
          guard kernel.accesses[a].subscripts.isEmpty else {
            return element(kernel.accesses[a], k, id: id)
          }
          if let known = scalarElement[id] { return known }
          let made = element(kernel.accesses[a], k, id: id)
          scalarElement[id] = made
          return made
        } + loopNames[k].map(dialect.indexValue)
      let plan = FunctionPlan(
        program, kernel, dialect: dialect, elements: elements, names: &names,
        needsLocal: needsLocal, inline: alias)
      for store in kernel.stores where forwarded[ids[store.access]] == k {
        forwardedName[ids[store.access]] = plan.text(store.value)
      }
      if jammedKernel[k] {
        // Rows 1, 2, 3: the same plan, with `j + r` for the outer index and
        // their own names for what they compute inside the loop.
        var rows: [FunctionPlan] = []
        for r in 1..<Self.jamFactor {
          let rowElements =
            kernel.accesses.indices.map { a in
              ids[a] < 0
                ? ""
                : rowForwardedName[r][ids[a]] ?? element(kernel.accesses[a], k, id: ids[a], row: r)
            }
            + loopNames[k].enumerated().map { l, name in
              dialect.indexValue(l == 0 ? dialect.indexSum(name, "\(r)") : name)
            }
          let row = plan.variant(elements: rowElements) { i, name in
            depth[i] >= 1 ? names.claim(name + "_\(r)") : name
          }
          for store in kernel.stores where forwarded[ids[store.access]] == k {
            rowForwardedName[r][ids[store.access]] = row.text(store.value)
          }
          rows.append(row)
        }
        rowPlans[k] = rows
      }
      for helper in plan.helpers where helperSet.insert(helper).inserted { helpers.append(helper) }
      plans.append(plan)
    }
    helpers.sort { $0.rawValue < $1.rawValue }
  }

  /// Which of kernel `k`'s values need a local though used once (computed
  /// outside a loop that uses them, or stored deeper, or forwarded), and
  /// which loads are only a name: a read of a local the kernel does not
  /// write (a forwarded one's: the value stored to it).
  private func locals(_ k: Int, forwardedName: [String?], writtenBy: [Int]) -> (
    needsLocal: [Bool], alias: [Bool]
  ) {
    let kernel = program.kernels[k]
    let depth = depths[k]
    let ids = schedule.arrays.ofAccess[k]
    var needsLocal = [Bool](repeating: false, count: kernel.instructions.count)
    for instruction in kernel.instructions {
      var at = 0
      for operand in instruction.operands { at = max(at, depth[operand.int]) }
      for operand in instruction.operands where depth[operand.int] < at {
        needsLocal[operand.int] = true
      }
    }
    for store in kernel.stores {
      if storeDepth(store, kernel, depth) > depth[store.value.int] {
        needsLocal[store.value.int] = true
      }
      switch store.mode {
      case .maximum, .largest, .smallest: needsLocal[store.value.int] = true
      case .assign, .add: break
      }
      if forwarded[ids[store.access]] == k { needsLocal[store.value.int] = true }
    }
    var alias = [Bool](repeating: false, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      guard case .load(let a) = instruction.op else { continue }
      let id = ids[a]
      if forwardedName[id] != nil || (schedule.isLocal[id] && writtenBy[id] != k) {
        alias[i] = true
        needsLocal[i] = false
      }
    }
    return (needsLocal, alias)
  }

  /// The locals written once, by an assignment at the level their group
  /// runs once per iteration (the function's top level for a scalar), and
  /// read only by later kernels: by array number, the kernel that writes
  /// it, else -1. Such a local needs no variable; a read is the name of the
  /// value written (`o_d1`, not `dE_do_sum = o_d1; o_d2 = dE_do_sum`).
  private static func forwardedLocals(_ program: Program, _ schedule: Schedule, _ depths: [[Int]])
    -> [Int]
  {
    let arrays = schedule.arrays
    var writer = [Int](repeating: -1, count: arrays.names.count)
    var rejected = [Bool](repeating: false, count: arrays.names.count)
    var firstReader = [Int](repeating: -1, count: arrays.names.count)
    for (k, kernel) in program.kernels.enumerated() {
      let ids = arrays.ofAccess[k]
      for store in kernel.stores {
        let id = ids[store.access]
        guard schedule.isLocal[id] else { continue }
        let level = program.shape(of: arrays.names[id]).isEmpty ? 0 : 1
        let runsAt = max(depths[k][store.value.int], kernel.accesses[store.access].depth)
        if writer[id] >= 0 || store.mode != .assign || runsAt > level { rejected[id] = true }
        writer[id] = k
      }
      for instruction in kernel.instructions {
        if case .load(let a) = instruction.op, firstReader[ids[a]] < 0 { firstReader[ids[a]] = k }
      }
    }
    return writer.indices.map { id in
      writer[id] >= 0 && !rejected[id] && firstReader[id] > writer[id] ? writer[id] : -1
    }
  }

  /// The locals whose first use is an assignment at the level they are
  /// declared at (the function's top level for a scalar, the fused loop's
  /// body for a group's local): by array number, the kernel that makes it, else -1.
  private static func declaredByFirstStore(
    _ program: Program, _ schedule: Schedule, _ depths: [[Int]]
  ) -> [Int] {
    let arrays = schedule.arrays
    var first = [Int](repeating: -1, count: arrays.names.count)
    var seen = [Bool](repeating: false, count: arrays.names.count)
    for (k, kernel) in program.kernels.enumerated() {
      let ids = arrays.ofAccess[k]
      for instruction in kernel.instructions {
        if case .load(let a) = instruction.op { seen[ids[a]] = true }
      }
      for store in kernel.stores {
        let id = ids[store.access]
        guard schedule.isLocal[id], !seen[id] else { continue }
        seen[id] = true
        let level = program.shape(of: arrays.names[id]).isEmpty ? 0 : 1
        let runsAt = max(depths[k][store.value.int], kernel.accesses[store.access].depth)
        if store.mode == .assign && runsAt == level { first[id] = k }
      }
    }
    return first
  }

  /// Whether a group may run its outer loop `jamFactor` rows at a time
  /// without changing a bit, and gains by it. It gains when a kernel sums
  /// over an inner loop into an element of the outer row (a chain of adds).
  /// It may when distinct rows touch distinct elements of everything the
  /// group writes (first subscript the outer loop), except an array only
  /// accumulated into, by one kernel, at elements that every inner loop
  /// subscripts: its elements then see their updates in the same order.
  static func jammable(_ group: Schedule.Group, _ program: Program, _ schedule: Schedule) -> Bool {
    let kernels = group.kernels.map { program.kernels[$0] }
    guard let outer = kernels.first?.loops.first, outer.lower == 0, outer.extent >= 2 * jamFactor,
      kernels.allSatisfy({ !$0.loops.isEmpty })
    else { return false }
    // An accumulation no inner loop subscripts: `y_sum += W[j][i] * x[i]` over i.
    let chains = kernels.contains { kernel in
      kernel.loops.count >= 2
        && kernel.stores.contains { store in
          store.mode != .assign && !kernel.accesses[store.access].followsInnerLoop
        }
    }
    guard chains else { return false }
    var writers: [ArrayName: Set<Int>] = [:]
    for (k, kernel) in kernels.enumerated() {
      for store in kernel.stores {
        writers[kernel.accesses[store.access].array, default: []].insert(k)
      }
    }
    for (array, writing) in writers {
      let rowWise = kernels.allSatisfy { kernel in
        Schedule.usedAccesses(kernel).allSatisfy { a in
          kernel.accesses[a].array != array || kernel.accesses[a].isRowOfOuterLoop
        }
      }
      if rowWise { continue }
      // Accumulated only, by one kernel, at elements every inner loop picks.
      guard writing.count == 1, let k = writing.first else { return false }
      let kernel = kernels[k]
      let depth = Schedule.depths(kernel)
      for store in kernel.stores where kernel.accesses[store.access].array == array {
        if store.mode == .assign
          && max(depth[store.value.int], kernel.accesses[store.access].depth) == 0
        {
          continue
        }
        guard store.mode != .assign else { return false }
        let picked = Set(kernel.accesses[store.access].loops)
        if !Set(1..<kernel.loops.count).isSubset(of: picked) { return false }
      }
      for other in kernels {
        for instruction in other.instructions {
          if case .load(let a) = instruction.op, other.accesses[a].array == array { return false }
        }
      }
    }
    return true
  }

  /// The source's name for an array: `W1`, `dE_dh`, `h_sum`; a temporary's
  /// from `temporaries` (``temporaryNames(_:)``).
  static func name(_ array: ArrayName, _ program: Program, _ temporaries: [String]) -> String {
    switch array {
    case .variable(let s): return program.symbols[s].name
    case .output(let o): return "out_" + program.symbols[program.outputs[o]].name
    case .adjoint(let o, let s): return program.displayName(.adjoint(output: o, of: s))
    case .temporary(let k): return temporaries[k]
    case .temporaryAdjoint(let o, let k): return "d\(program.symbols[o].name)_d" + temporaries[k]
    case .tangent(let base): return name(base, program, temporaries) + "_dot"
    case .weight(let o): return "w_" + program.symbols[program.outputs[o]].name
    }
  }

  /// Each temporary is named after its statement and what it holds, from
  /// its first store that computes (`h_sum`, `E_max`); `t3` without one.
  static func temporaryNames(_ program: Program) -> [String] {
    var names = [String?](repeating: nil, count: program.temporaries.count)
    for kernel in program.kernels {
      for store in kernel.stores {
        guard case .temporary(let k) = kernel.accesses[store.access].array, names[k] == nil else {
          continue
        }
        let value = kernel[store.value]
        guard value.role == .forward, value.owner >= 0 else { continue }
        let owner = program.symbols[Int(value.owner)].name
        switch (store.mode, value.op) {
        case (.maximum, _), (.largest, _): names[k] = owner + "_max"
        case (.smallest, _): names[k] = owner + "_min"
        case (.add, .call(.equal)): names[k] = owner + "_ties"
        case (.assign, .call(.lseExp)): names[k] = owner + "_exp"
        case (.add, _), (.assign, .load), (.assign, .copy), (.assign, .neg), (.assign, .add),
          (.assign, .sub),
          (.assign, .mul), (.assign, .div), (.assign, .pow), (.assign, .call), (.assign, .select):
          names[k] = owner + "_sum"
        case (.assign, .constant): continue
        case (.assign, .index): names[k] = owner + "_index"
        }
      }
    }
    return names.enumerated().map { $1 ?? "t\($0)" }
  }

  /// The depth a store runs at: its value's and its element's, and the full
  /// nest for an accumulation (it must run at every point).
  private func storeDepth(_ store: Store, _ kernel: Kernel, _ depth: [Int]) -> Int {
    switch store.mode {
    case .add, .maximum, .largest, .smallest: kernel.loops.count
    case .assign: max(depth[store.value.int], kernel.accesses[store.access].depth)
    }
  }

  /// Swift's type checker takes seconds on a statement with a flat index of
  /// four terms or more (`o0 &* 32 &+ k &* 4 &+ j &* 4 &+ l`, measured with
  /// swiftc 6.3: 1.4 s for one such line, over its limit with five): such an
  /// index is typed (``Dialect/longIndex``).
  static let longIndexTerms = 4

  /// How the code writes an element: `W1[j][i]`, `in[5]`, `h_sum`, `x[j &* 2 &+ i]`.
  ///
  /// `row` is a jammed group's row: the outer index reads `j + row`.
  private func element(_ access: Access, _ k: Int, id: Int, row: Int = 0) -> String {
    guard let view = views[id] else { return "0" }
    let loops = loopNames[k]
    /// `terms` (index, coefficient) and a constant as one index expression:
    /// `j`, `i + k`, `t - 1`, `j * 16 + i + 16`.
    func sum(_ terms: [(String, Int)], _ constant: Int) -> String {
      var parts = terms.map { $1 == 1 ? $0 : dialect.indexProduct($0, "\($1)") }
      if parts.isEmpty || constant > 0 { parts.append("\(constant)") }
      var text = parts.dropFirst().reduce(parts[0]) { dialect.indexSum($0, $1) }
      if constant < 0 { text = dialect.indexDifference(text, "\(constant.magnitude)") }
      return parts.count + (constant < 0 ? 1 : 0) >= Self.longIndexTerms
        ? dialect.longIndex(text) : text
    }
    /// A subscript's terms and constant, times `stride`; loop 0 is `row` further on.
    func terms(_ s: Subscript, _ stride: Int) -> (terms: [(String, Int)], constant: Int) {
      switch s {
      case .constant(let c): return ([], c * stride)
      case .loop(let l): return ([(loops[l], stride)], l == 0 ? row * stride : 0)
      case .affine(let affine, let offset):
        let rowShift = affine.first { $0.index == 0 }.map { $0.coefficient * row } ?? 0
        return (
          affine.map { (loops[$0.index], $0.coefficient * stride) }, (offset + rowShift) * stride
        )
      }
    }
    switch view.kind {
    case .element(let buffer, let offset):
      return dialect.element(buffer, "\(offset)")
    case .local:
      if row > 0, let names = rowLocalNames[id] { return names[row - 1] }
      return view.name
    case .pointer(_, _, let strides, let rows):
      if rows {
        return view.name
          + access.subscripts.map { s in
            let (t, c) = terms(s, 1)
            return "[\(sum(t, c))]"
          }.joined()
      }
      var all: [(String, Int)] = []
      var constant = 0
      for (s, stride) in zip(access.subscripts, strides) {
        let (t, c) = terms(s, stride)
        all += t
        constant += c
      }
      // Flat: `W[j &* 16 &+ i &+ 16]` for row 1, the row's offset a constant.
      return dialect.element(view.name, sum(all, constant))
    }
  }

  /// Whether any array lives in this buffer; with `part`, any the part uses.
  func uses(_ buffer: String, inPart part: Int? = nil) -> Bool {
    guard let part else { return buffers.contains(buffer) }
    return partBuffers[part].contains(buffer)
  }

  /// The buffers holding the given arrays, each once.
  private static func buffers(of ids: some Sequence<Int>, _ views: [View?]) -> [String] {
    var found: [String] = []
    for id in ids {
      guard let view = views[id] else { continue }
      switch view.kind {
      case .element(let b, _), .pointer(let b, _, _, _): if !found.contains(b) { found.append(b) }
      case .local: break
      }
    }
    return found
  }

  /// Whether the body is printed as parts, one function each.
  var isSplit: Bool { !schedule.parts.isEmpty }

  /// The numbers of the arrays each part's kernels load or store, in order of first use.
  private static func arraysOfParts(_ program: Program, _ schedule: Schedule) -> [[Int]] {
    schedule.parts.map { part in
      var seen = Set<Int>()
      var used: [Int] = []
      for g in part {
        for k in schedule.groups[g].kernels {
          for id in schedule.arrays.used[k] where seen.insert(id).inserted { used.append(id) }
        }
      }
      return used
    }
  }

  /// What a part of a split body computes, for the comment above its function.
  struct PartSummary {
    /// The source lines of the statements the part computes.
    var sourceLines: ClosedRange<Int>?
    var forward = false
    var backward = false

    /// `lines 3-410 of f.bp, forward sweep`.
    func coverage(of sourceName: String) -> String {
      var text = "reads of the inputs"
      if let lines = sourceLines {
        text =
          (lines.count == 1
            ? "line \(lines.lowerBound)" : "lines \(lines.lowerBound)-\(lines.upperBound)")
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

  /// What a part computes, for the comment above its function.
  func summary(ofPart part: Int, line: (SourceRange) -> Int) -> PartSummary {
    var summary = PartSummary()
    // The first and last offsets covered: a later offset is never on an earlier line.
    var (first, last) = (Int.max, Int.min)
    func cover(_ instruction: Instruction) {
      first = min(first, instruction.range.start)
      last = max(last, instruction.range.start)
    }

    for g in schedule.parts[part] {
      for k in schedule.groups[g].kernels {
        let kernel = program.kernels[k]
        var computes = false
        // The lines of what it computes (not of what it reads).
        for instruction in kernel.instructions {
          switch instruction.op {
          case .constant, .load, .index: continue
          case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select:
            computes = true
            if instruction.role == .forward {
              summary.forward = true
            } else {
              summary.backward = true
            }
          }
          cover(instruction)
        }
        // A kernel that only moves values (a fill, a copy) is in the sweep it
        // stores to, at the lines of its statement.
        if !computes {
          if isAdjoint(kernel) { summary.backward = true } else { summary.forward = true }
          kernel.instructions.forEach(cover)
        }
      }
    }
    if first <= last {
      summary.sourceLines =
        line(SourceRange(first, first))...line(SourceRange(last, last))
    }
    return summary
  }

  // MARK: - Printing

  /// Views first, then each group; `line` gives a range's source line.
  func print(into p: inout CodePrinter, line: (SourceRange) -> Int) {
    print(groups: schedule.groups.indices, used: nil, announced: false, into: &p, line: line)
  }

  /// One part of a split body (``Schedule/parts``): the views it uses, then
  /// its groups. A part that computes only adjoints says so in its comment,
  /// not in its body.
  func printPart(_ part: Int, into p: inout CodePrinter, line: (SourceRange) -> Int) {
    let forward = schedule.parts[part].contains { g in
      schedule.groups[g].kernels.contains { k in
        program.kernels[k].instructions.contains { $0.role == .forward && !$0.op.isLoad }
      }
    }
    print(
      groups: schedule.parts[part], used: partArrays[part], announced: !forward, into: &p,
      line: line)
  }

  private func print(
    groups: Range<Int>, used: [Int]?, announced: Bool, into p: inout CodePrinter,
    line: (SourceRange) -> Int
  ) {
    let shown = used.map { $0.compactMap { views[$0] } } ?? views.compactMap { $0 }
    for view in shown.sorted(by: { $0.name < $1.name }) {
      switch view.kind {
      case .pointer(let buffer, let offset, let strides, let rows):
        let shape =
          rows ? Array(strides.indices.dropFirst().map { d in strides[d - 1] / strides[d] }) : []
        p.line(dialect.view(view.name, buffer, offset, view.count, shape, view.mutable))
      case .local:
        if isFunctionWide(view), !isForwarded(view), !isDeclaredByStore(view) {
          p.line(dialect.mutableLocal(view.name, nil))
        }
      case .element:
        break
      }
    }
    var announced = announced
    var lastLine = -1
    for g in groups {
      let group = schedule.groups[g]
      let first = program.kernels[group.kernels[0]]
      // The backward sweep is announced where it starts: before a loop that
      // differentiates, or at the first adjoint value of straight-line code.
      if !announced, !first.loops.isEmpty,
        first.instructions.contains(where: { $0.role != .forward }) || isAdjoint(first)
      {
        announce(&announced, into: &p)
      }
      if let statement = first.instructions.first(where: { $0.role == .forward && $0.owner >= 0 })?
        .owner
      {
        let l = line(program.symbols[Int(statement)].range)
        // A loop, or the fill that starts a loop's reduction (`y_sum = -0.0`).
        let startsReduction =
          first.loops.isEmpty && !first.stores.isEmpty
          && first.stores.allSatisfy { store in
            if case .temporary = first.accesses[store.access].array,
              case .constant = first[store.value].op
            {
              return true
            }
            return false
          }
        if l != lastLine && (!first.loops.isEmpty || startsReduction) {
          p.line(dialect.comment("line \(l)"))
          lastLine = l
        }
      }
      if jammed.contains(g) {
        printJammed(group, announced: &announced, into: &p, line: line)
      } else if group.fused {
        for k in group.kernels {
          printLevel(k, depth: 0, announced: &announced, into: &p, line: line)
        }
        p.line(loopLine(loopNames[group.kernels[0]][0], first.loops[0]))
        p.indented { p in
          for view in localsOfGroup(group) where !isDeclaredByStore(view) {
            p.line(dialect.mutableLocal(view.name, nil))
          }
          for k in group.kernels {
            printNest(k, from: 1, announced: &announced, into: &p, line: line)
          }
        }
        p.line("}")
      } else {
        for k in group.kernels {
          printNest(k, from: 0, announced: &announced, into: &p, line: line)
        }
      }
    }
  }

  /// A jammed group: its outer loop by steps of `jamFactor`, each level's
  /// statements row after row, then the rows left over one at a time.
  private func printJammed(
    _ group: Schedule.Group, announced: inout Bool, into p: inout CodePrinter,
    line: (SourceRange) -> Int
  ) {
    let first = group.kernels[0]
    let (index, extent) = (loopNames[first][0], program.kernels[first].loops[0].extent)
    let main = extent - extent % Self.jamFactor
    for k in group.kernels {
      printLevel(k, depth: 0, plan: plans[k], announced: &announced, into: &p, line: line)
    }
    p.line(dialect.steppedLoop(index, 0, main, Self.jamFactor))
    p.indented { p in
      for row in 0..<Self.jamFactor {
        for view in localsOfGroup(group) where !isDeclaredByStore(view) {
          let name = row == 0 ? view.name : (rowLocalNames[view.id]?[row - 1] ?? view.name)
          p.line(dialect.mutableLocal(name, nil))
        }
      }
      for k in group.kernels {
        printJammedNest(k, from: 1, announced: &announced, into: &p, line: line)
      }
    }
    p.line("}")
    guard main < extent else { return }
    p.line(dialect.rangeLoop(index, main, extent))
    p.indented { p in
      for view in localsOfGroup(group) where !isDeclaredByStore(view) {
        p.line(dialect.mutableLocal(view.name, nil))
      }
      for k in group.kernels { printNest(k, from: 1, announced: &announced, into: &p, line: line) }
    }
    p.line("}")
  }

  private func printJammedNest(
    _ k: Int, from depth: Int, announced: inout Bool, into p: inout CodePrinter,
    line: (SourceRange) -> Int
  ) {
    let kernel = program.kernels[k]
    for plan in [plans[k]] + (rowPlans[k] ?? []) {
      printLevel(k, depth: depth, plan: plan, announced: &announced, into: &p, line: line)
    }
    guard depth < kernel.loops.count else { return }
    if let mark = dialect.independentLoop, isIndependent(k, depth) { p.line(mark) }
    p.line(loopLine(loopNames[k][depth], kernel.loops[depth]))
    p.indented { p in
      printJammedNest(k, from: depth + 1, announced: &announced, into: &p, line: line)
    }
    p.line("}")
  }

  /// Whether a kernel's innermost loop (at `depth`) writes a distinct
  /// element of every array it stores to at each iteration: then no
  /// iteration depends on another through memory, and the loop may run as
  /// SIMD lanes without changing a bit (no sum is reassociated: a scalar
  /// accumulator is not memory). Every intermediate has its own part of a
  /// buffer, so nothing else aliases.
  func isIndependent(_ k: Int, _ depth: Int) -> Bool {
    let kernel = program.kernels[k]
    guard depth == kernel.loops.count - 1 else { return false }
    let ids = schedule.arrays.ofAccess[k]
    let inside = kernel.stores.filter { storeDepth($0, kernel, depths[k]) == kernel.loops.count }
    let distinct =
      !inside.isEmpty
      && inside.allSatisfy { store in
        if case .local = views[ids[store.access]]?.kind { return false }
        return kernel.accesses[store.access].loops.contains(depth)
      }
    // Worth saying only where a stored array shares its buffer with another
    // the loop touches (`dE_dx` and `dE_dW` in grad): elsewhere gcc sees it.
    func buffer(_ id: Int) -> String? {
      if case .pointer(let b, _, _, _)? = views[id]?.kind { return b }
      return nil
    }
    var touched = Set(inside.map { ids[$0.access] })
    for (i, instruction) in kernel.instructions.enumerated()
    where depths[k][i] == kernel.loops.count {
      if case .load(let a) = instruction.op { touched.insert(ids[a]) }
    }
    let shared = inside.contains { store in
      let id = ids[store.access]
      return touched.contains { $0 != id && buffer($0) != nil && buffer($0) == buffer(id) }
    }
    return distinct && shared
  }

  /// Whether any loop of the body carries the independence mark.
  var marksIndependentLoops: Bool {
    dialect.independentLoop != nil
      && program.kernels.indices.contains { k in
        !program.kernels[k].loops.isEmpty && isIndependent(k, program.kernels[k].loops.count - 1)
      }
  }

  /// Whether the body reads an index as a value (SPEC §7.5).
  var usesIndexValues: Bool {
    program.kernels.contains { kernel in
      kernel.instructions.contains { if case .index = $0.op { true } else { false } }
    }
  }

  private func announce(_ announced: inout Bool, into p: inout CodePrinter) {
    guard !announced else { return }
    announced = true
    p.line(
      dialect.comment("backward sweep: dO_dV is the partial derivative of O with respect to V"))
  }

  /// Whether this is the kernel's first store to its array.
  private func isFirstStore(_ store: Store, _ k: Int) -> Bool {
    let kernel = program.kernels[k]
    let array = kernel.accesses[store.access].array
    return kernel.stores.first { kernel.accesses[$0.access].array == array }?.access == store.access
  }

  private func isAdjoint(_ kernel: Kernel) -> Bool {
    kernel.stores.contains { store in
      switch kernel.accesses[store.access].array {
      case .adjoint, .temporaryAdjoint: true
      case .variable, .output, .temporary, .tangent, .weight: false
      }
    }
  }

  private func isForwarded(_ view: View) -> Bool { forwarded[view.id] >= 0 }

  private func isDeclaredByStore(_ view: View) -> Bool { declaredByStore[view.id] >= 0 }

  private func isFunctionWide(_ view: View) -> Bool { view.isScalar }

  /// The rank-1 locals a fused group holds per iteration.
  private func localsOfGroup(_ group: Schedule.Group) -> [View] {
    var found: [View] = []
    for k in group.kernels {
      for id in schedule.arrays.used[k] {
        guard let view = views[id], case .local = view.kind, !isFunctionWide(view),
          forwarded[id] < 0, !found.contains(where: { $0.name == view.name })
        else { continue }
        found.append(view)
      }
    }
    return found
  }

  /// A kernel's loops from `depth` on, with what each level computes.
  private func printNest(
    _ k: Int, from depth: Int, announced: inout Bool, into p: inout CodePrinter,
    line: (SourceRange) -> Int
  ) {
    let kernel = program.kernels[k]
    printLevel(k, depth: depth, announced: &announced, into: &p, line: line)
    guard depth < kernel.loops.count else { return }
    if let mark = dialect.independentLoop, isIndependent(k, depth) { p.line(mark) }
    p.line(loopLine(loopNames[k][depth], kernel.loops[depth]))
    p.indented { p in printNest(k, from: depth + 1, announced: &announced, into: &p, line: line) }
    p.line("}")
  }

  /// A loop's first line: `for (int i = 0; i < 96; i++) {`, from its lower bound when not 0.
  private func loopLine(_ name: String, _ loop: Loop) -> String {
    loop.lower == 0
      ? dialect.loop(name, loop.extent) : dialect.rangeLoop(name, loop.lower, loop.extent)
  }

  /// The values and stores of one depth of a kernel.
  private func printLevel(
    _ k: Int, depth: Int, plan: FunctionPlan? = nil, announced: inout Bool,
    into p: inout CodePrinter,
    line: (SourceRange) -> Int
  ) {
    let kernel = program.kernels[k]
    let plan = plan ?? plans[k]
    let ids = schedule.arrays.ofAccess[k]
    let dialect = dialect
    for (i, instruction) in kernel.instructions.enumerated() where depths[k][i] == depth {
      guard let name = plan.local[i] else { continue }
      if instruction.role != .forward { announce(&announced, into: &p) }
      let lineComment =
        instruction.role == .forward && instruction.name?.isVariable == true
        && !instruction.op.isLoad
        && kernel.loops.isEmpty
      // Built in place: no string per subexpression or per statement.
      p.line { out in
        dialect.declare(name, into: &out) { plan.writeExpression(ValueID(i), into: &$0) }
        if lineComment {
          out += "  "
          out += dialect.commentOpen
          out += "line "
          out += String(line(instruction.range))
          out += dialect.commentClose
        }
      }
    }
    for store in kernel.stores where storeDepth(store, kernel, depths[k]) == depth {
      if forwarded[ids[store.access]] == k { continue }
      switch kernel.accesses[store.access].array {
      case .adjoint, .temporaryAdjoint: announce(&announced, into: &p)
      case .variable, .output, .temporary, .tangent, .weight: break
      }
      let target = plan.elements[store.access]
      let value = plan.text(store.value)
      var statement: String
      switch store.mode {
      case .assign where declaredByStore[ids[store.access]] == k && isFirstStore(store, k):
        statement = dialect.mutableLocal(target, value)
      case .assign: statement = dialect.assign(target, value)
      case .add: statement = dialect.accumulate(target, value)
      case .maximum: statement = dialect.maximum(target, value)
      case .largest: statement = dialect.fold(target, "max", value)
      case .smallest: statement = dialect.fold(target, "min", value)
      }
      if case .adjoint(let output, let s) = kernel.accesses[store.access].array,
        s < program.leafCount,
        program.symbols[output].shape.isEmpty, program.symbols[s].shape.isEmpty
      {
        statement +=
          "  "
          + dialect.comment(dialect.partial(program.symbols[output].name, program.symbols[s].name))
      }
      p.line(statement)
    }
  }
}
