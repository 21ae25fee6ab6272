/// How an array program too long for one function is cut into parts: its
/// long runs of straight-line code into kernels of bounded size, then its
/// groups (loop nests and straight-line kernels, in order) into parts of at
/// most `maxSize` statements, each printed as a function of its own.
///
/// Parts communicate only through memory: an intermediate that kernels of
/// two parts touch lives in the work buffer, a scalar too (it would be a
/// local of one function otherwise). A loop nest is never cut: a group
/// larger than `maxSize` is a part alone.
enum ArrayParts {
  /// The statements a kernel prints: a local for each value computed
  /// (``FunctionPlan/locals(_:needsLocal:inline:)``; the reads of loads
  /// are not counted), and a line for each store.
  static func statementCount(_ kernel: Kernel) -> Int {
    statementFlags(kernel).lazy.filter { $0 }.count + kernel.stores.count
  }

  /// Whether each instruction is a statement of its own: a computed local.
  private static func statementFlags(_ kernel: Kernel) -> [Bool] {
    let locals = FunctionPlan.locals(kernel)
    return kernel.instructions.indices.map { i in
      switch kernel.instructions[i].op {
      case .constant, .load, .index: false
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select: locals[i]
      }
    }
  }

  /// The program with each straight-line kernel longer than `maxSize`
  /// statements cut into consecutive kernels of at most that many.
  ///
  /// A value computed in one piece and used in a later one crosses through
  /// a scalar temporary, stored where it is computed and loaded (with the
  /// value's name) where it is used; constants and loads are repeated
  /// instead. Each store goes with its value, unless the kernel stores one
  /// array twice or reads an array it writes: then all its stores stay in
  /// the last piece, where the kernel made them.
  static func cuttingStraightLine(_ program: Program, maxSize: Int) -> Program {
    var out = program
    out.kernels = []
    for kernel in program.kernels {
      guard kernel.loops.isEmpty, statementCount(kernel) > maxSize else {
        out.kernels.append(kernel)
        continue
      }
      out.kernels += cut(kernel, maxSize: maxSize, temporaries: &out.temporaries)
    }
    return out
  }

  private static func cut(_ kernel: Kernel, maxSize: Int, temporaries: inout [[Int]]) -> [Kernel] {
    let count = kernel.instructions.count
    let stored = Set(kernel.stores.map { kernel.accesses[$0.access].array })
    let loaded = kernel.instructions.contains { instruction in
      if case .load(let a) = instruction.op { return stored.contains(kernel.accesses[a].array) }
      return false
    }
    let storesMove = !loaded && stored.count == kernel.stores.count
    let counts = statementFlags(kernel)
    // The stores made right after each value (all after the last, unless they move).
    var storesAfter = [[Int]](repeating: [], count: count)
    for (s, store) in kernel.stores.enumerated() {
      storesAfter[storesMove ? store.value.int : count - 1].append(s)
    }
    // Statements and stores in order, `maxSize` to a piece. The pieces of an
    // expression (a single-use value) go with the statement after them.
    var piece = [Int](repeating: 0, count: count)
    var storePiece = [Int](repeating: 0, count: kernel.stores.count)
    var current = 0
    var filled = 0
    func take() {
      if filled == maxSize {
        current += 1
        filled = 0
      }
      filled += 1
    }
    for i in 0..<count {
      if counts[i] {
        take()
        piece[i] = current
      }
      for s in storesAfter[i] {
        take()
        storePiece[s] = current
      }
    }
    // A value that is no statement has one use (a value used twice is one):
    // it goes with its user, a statement or a store, so it crosses no piece.
    // (A constant or a load is made again where it is used.)
    var user = [Int](repeating: Int.min, count: count)  // an instruction, -1 - a store, or none
    for (i, instruction) in kernel.instructions.enumerated() {
      for operand in instruction.operands { user[operand.int] = i }
    }
    for (s, store) in kernel.stores.enumerated() { user[store.value.int] = -1 - s }
    for i in stride(from: count - 1, through: 0, by: -1) where !counts[i] {
      let u = user[i]
      piece[i] = u >= 0 ? piece[u] : u == Int.min ? current : storePiece[-1 - u]
    }
    let pieces = current + 1

    var kernels = [Kernel](repeating: Kernel(), count: pieces)
    // What each old value became, in one record so that a use far back (a
    // DAG's operands are anywhere) misses the cache once: its value in its
    // own piece, its value in the piece that last asked for it (the pieces
    // ask mostly in order), and the temporary it crosses through.
    struct Made {
      var piece: Int32 = 0
      var value = ValueID.none
      var cachedPiece: Int32 = -1
      var cachedValue = ValueID.none
      var crossing: Int32 = -1
    }
    var made = piece.map { Made(piece: Int32($0)) }
    var elsewhere: [Int: ValueID] = [:]  // the value in any other piece, by piece << 32 | value
    var crossingOrder: [Int] = []

    /// Appends an instruction (with the old one's range, owner, role and name) to piece `p`.
    func append(_ op: Op, like old: Instruction, to p: Int) -> ValueID {
      kernels[p].instructions.append(
        Instruction(
          op: op, lhs: .none, rhs: .none, range: old.range, owner: old.owner, role: old.role,
          name: old.name))
      return ValueID(kernels[p].instructions.count - 1)
    }

    func value(_ v: Int, in p: Int) -> ValueID {
      let known = made[v]
      if known.piece == p && known.value != .none { return known.value }
      if known.cachedPiece == p { return known.cachedValue }
      if let found = elsewhere[p << 32 | v] { return found }
      let old = kernel.instructions[v]
      let new: ValueID
      switch old.op {
      case .constant, .index:
        new = append(old.op, like: old, to: p)
        kernels[p].instructions[new.int].name = nil
      case .load(let a):
        kernels[p].accesses.append(kernel.accesses[a])
        new = append(.load(kernels[p].accesses.count - 1), like: old, to: p)
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select:
        if known.crossing < 0 {
          made[v].crossing = Int32(temporaries.count)
          temporaries.append([])
          crossingOrder.append(v)
        }
        kernels[p].accesses.append(Access(.temporary(Int(made[v].crossing))))
        new = append(.load(kernels[p].accesses.count - 1), like: old, to: p)
      }
      if known.cachedPiece >= 0 { elsewhere[Int(known.cachedPiece) << 32 | v] = known.cachedValue }
      made[v].cachedPiece = Int32(p)
      made[v].cachedValue = new
      return new
    }

    func store(_ access: Access, _ value: ValueID, mode: StoreMode, in p: Int) {
      kernels[p].accesses.append(access)
      kernels[p].stores.append(
        Store(access: kernels[p].accesses.count - 1, value: value, mode: mode))
    }

    for i in 0..<count {
      // Constants and loads are made where they are used.
      switch kernel.instructions[i].op {
      case .constant, .load, .index: continue
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select: break
      }
      let p = piece[i]
      var instruction = kernel.instructions[i]
      if instruction.lhs != .none { instruction.lhs = value(instruction.lhs.int, in: p) }
      if instruction.rhs != .none { instruction.rhs = value(instruction.rhs.int, in: p) }
      if instruction.third != .none { instruction.third = value(instruction.third.int, in: p) }
      kernels[p].instructions.append(instruction)
      made[i].value = ValueID(kernels[p].instructions.count - 1)
    }
    for (s, old) in kernel.stores.enumerated() {
      let p = storePiece[s]
      store(kernel.accesses[old.access], value(old.value.int, in: p), mode: old.mode, in: p)
    }
    // A crossing value's store, after its piece's own (they touch other arrays).
    for v in crossingOrder {
      store(Access(.temporary(Int(made[v].crossing))), made[v].value, mode: .assign, in: piece[v])
    }
    return kernels
  }
}
