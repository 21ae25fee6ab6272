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
  /// The statements a kernel prints, about: each value that carries a
  /// source name or is used more than once gets a local (see
  /// ``FunctionPlan``), and each store is a line.
  static func statementCount(_ kernel: Kernel) -> Int {
    statementFlags(kernel).lazy.filter { $0 }.count + kernel.stores.count
  }

  /// Whether each instruction counts as a statement of its own.
  private static func statementFlags(_ kernel: Kernel) -> [Bool] {
    var uses = [UInt8](repeating: 0, count: kernel.instructions.count)
    for instruction in kernel.instructions {
      for operand in instruction.operands where uses[operand.int] < 2 { uses[operand.int] += 1 }
    }
    for store in kernel.stores where uses[store.value.int] < 2 { uses[store.value.int] += 1 }
    return kernel.instructions.indices.map { i in
      switch kernel.instructions[i].op {
      case .constant, .load: false
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call: kernel.instructions[i].name != nil || uses[i] > 1
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
    let counts = statementFlags(kernel)
    // The piece of each statement, by position; the pieces of an
    // expression (a single-use value) go with the statement after them.
    var piece = [Int](repeating: 0, count: count)
    var current = 0
    var filled = 0
    for i in 0..<count where counts[i] {
      if filled == maxSize {
        current += 1
        filled = 0
      }
      filled += 1
      piece[i] = current
    }
    var next = current
    for i in stride(from: count - 1, through: 0, by: -1) {
      if counts[i] { next = piece[i] } else { piece[i] = next }
    }
    let pieces = current + 1
    let stored = Set(kernel.stores.map { kernel.accesses[$0.access].array })
    let loaded = kernel.instructions.contains { instruction in
      if case .load(let a) = instruction.op { return stored.contains(kernel.accesses[a].array) }
      return false
    }
    let storesMove = !loaded && stored.count == kernel.stores.count
    let storePiece = kernel.stores.map { storesMove ? piece[$0.value.int] : pieces - 1 }

    var builders = (0..<pieces).map { _ in Builder(Kernel()) }
    // Per piece, the new value of each earlier piece's value it has (repeated or fetched).
    var local = [[Int: ValueID]](repeating: [:], count: pieces)
    // The temporary through which a crossing value passes, by old value.
    var crossing: [Int: Int] = [:]
    var crossingOrder: [Int] = []
    var newValue = [ValueID](repeating: .none, count: count)

    func value(_ v: Int, in p: Int) -> ValueID {
      if piece[v] == p && newValue[v] != .none { return newValue[v] }
      if let known = local[p][v] { return known }
      let old = kernel.instructions[v]
      builders[p].range = old.range
      builders[p].owner = old.owner
      builders[p].role = old.role
      let made: ValueID
      switch old.op {
      case .constant(let c):
        made = builders[p].constant(c)
      case .load(let a):
        made = builders[p].load(kernel.accesses[a])
        builders[p].kernel.instructions[made.int].name = old.name
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call:
        let t: Int
        if let known = crossing[v] {
          t = known
        } else {
          t = temporaries.count
          temporaries.append([])
          crossing[v] = t
          crossingOrder.append(v)
        }
        made = builders[p].load(Access(.temporary(t)))
        builders[p].kernel.instructions[made.int].name = old.name
      }
      local[p][v] = made
      return made
    }

    for i in 0..<count {
      // Constants and loads are made where they are used.
      switch kernel.instructions[i].op {
      case .constant, .load: continue
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call: break
      }
      let p = piece[i]
      var instruction = kernel.instructions[i]
      if instruction.lhs != .none { instruction.lhs = value(instruction.lhs.int, in: p) }
      if instruction.rhs != .none { instruction.rhs = value(instruction.rhs.int, in: p) }
      builders[p].kernel.instructions.append(instruction)
      newValue[i] = ValueID(builders[p].kernel.instructions.count - 1)
    }
    for (s, store) in kernel.stores.enumerated() {
      let p = storePiece[s]
      builders[p].store(kernel.accesses[store.access], value(store.value.int, in: p), mode: store.mode)
    }
    // A crossing value's store, after its piece's own (they touch other arrays).
    for v in crossingOrder {
      builders[piece[v]].store(Access(.temporary(crossing[v]!)), newValue[v])
    }
    return builders.map(\.kernel)
  }
}
