/// How a function's kernels become loops: which consecutive kernels share
/// an outer loop, which arrays need no memory, and where the rest live.
///
/// A schedule may change only what cannot change a bit (SPEC §6.3). Kernels
/// are fused under one outer loop only when every array that one of them
/// writes and another touches is subscripted by that loop in its first
/// dimension: then each element is read and written within one iteration,
/// in kernel order, exactly as the kernels run one after the other. Within
/// a kernel the loops keep their order, so every accumulation folds in the
/// order the interpreter folds it.
struct Schedule {
  struct Group {
    /// Kernel indices, in order.
    var kernels: [Int]
    /// Whether the kernels share their first loop (more than one kernel, all with loops).
    var fused: Bool
  }

  let program: Program
  /// The arrays the kernels touch, numbered.
  let arrays: ArrayTable
  private(set) var groups: [Group] = []
  /// Consecutive groups printed as one function each, when the body is
  /// split (see ``ArrayParts``); empty when it is one function.
  private(set) var parts: [Range<Int>] = []
  /// By array number: held in a local scalar (rank 0, function-wide, or
  /// part-wide when the body is split; or rank 1 indexed by a fused group's
  /// outer loop, one per iteration).
  private(set) var isLocal: [Bool] = []
  /// By array number: the other intermediates' offsets in the work buffer, or -1.
  private(set) var workOffset: [Int] = []
  private(set) var workSize = 0

  /// - Parameter isInterface: arrays the caller's buffers hold (leaves,
  ///   outputs, the leaves' adjoints); they are never locals.
  /// - Parameter maxPartSize: the most statements of one function; a body
  ///   with more is split into parts at group boundaries.
  init(_ program: Program, isInterface: (ArrayName) -> Bool, maxPartSize: Int = .max) {
    self.program = program
    let kernels = program.kernels
    arrays = ArrayTable(program)
    let count = arrays.names.count
    // Which kernels touch each array, in order (once each).
    var users = [[Int]](repeating: [], count: count)
    for k in kernels.indices {
      for id in arrays.used[k] where users[id].last != k { users[id].append(k) }
    }
    var k = 0
    while k < kernels.count {
      var group = [k]
      if !kernels[k].loops.isEmpty {
        while let next = group.last.map({ $0 + 1 }), next < kernels.count,
          Self.canFuse(group + [next], kernels)
        {
          group.append(next)
        }
      }
      groups.append(Group(kernels: group, fused: group.count > 1))
      k = group.last.map { $0 + 1 } ?? k + 1
    }
    let sizes = groups.map { group in
      group.kernels.reduce(0) { $0 + ArrayParts.statementCount(kernels[$1]) }
    }
    if sizes.reduce(0, +) > maxPartSize {
      var start = 0
      var size = 0
      for (g, groupSize) in sizes.enumerated() {
        if g > start && size + groupSize > maxPartSize {
          parts.append(start..<g)
          (start, size) = (g, 0)
        }
        size += groupSize
      }
      parts.append(start..<groups.count)
    }
    // The part and the group of each kernel (all in one part when whole).
    var partOf = [Int](repeating: 0, count: kernels.count)
    for (p, part) in parts.enumerated() {
      for g in part { for k in groups[g].kernels { partOf[k] = p } }
    }
    var groupOf = [Int](repeating: 0, count: kernels.count)
    for (g, group) in groups.enumerated() { for k in group.kernels { groupOf[k] = g } }
    let interface = arrays.names.map(isInterface)
    let shapes = arrays.names.map { program.shape(of: $0) }
    isLocal = [Bool](repeating: false, count: count)
    for id in 0..<count where !interface[id] {
      let users = users[id]
      guard let first = users.first else { continue }
      if shapes[id].isEmpty {
        isLocal[id] = users.allSatisfy { partOf[$0] == partOf[first] }
      } else if shapes[id].count == 1, users.allSatisfy({ groupOf[$0] == groupOf[first] }),
        groups[groupOf[first]].fused,
        Self.onlyAtOuterLoop(arrays.names[id], groups[groupOf[first]].kernels, kernels)
      {
        isLocal[id] = true
      }
    }
    // Work memory, in order of first use. A scalar there (one that kernels
    // of two parts share) holds its slot from the group that first touches
    // it to the last (a fused group's kernels run interleaved); the slot
    // then serves scalars first touched in later groups, the last freed
    // first, so the work holds about what is live at once.
    workOffset = [Int](repeating: -1, count: count)
    var freeSlots: [Int] = []
    var freedAfter: [Int: [Int]] = [:]
    for k in kernels.indices {
      if k > 0 && groupOf[k] != groupOf[k - 1] {
        freeSlots += freedAfter.removeValue(forKey: groupOf[k - 1]) ?? []
      }
      for id in arrays.used[k] {
        guard !interface[id], !isLocal[id], workOffset[id] < 0 else { continue }
        if shapes[id].isEmpty, let last = users[id].last {
          var slot = workSize
          if let free = freeSlots.popLast() { slot = free } else { workSize += 1 }
          workOffset[id] = slot
          freedAfter[groupOf[last], default: []].append(slot)
        } else {
          workOffset[id] = workSize
          workSize += shapes[id].reduce(1, *)
        }
      }
    }
  }

  /// Whether an array is held in a local (see ``isLocal``).
  func isLocal(_ array: ArrayName) -> Bool { arrays.id(array).map { isLocal[$0] } ?? false }

  /// The accesses a kernel's loads and stores use.
  static func usedAccesses(_ kernel: Kernel) -> [Int] {
    var used = kernel.stores.map(\.access)
    for instruction in kernel.instructions {
      if case .load(let a) = instruction.op { used.append(a) }
    }
    return used
  }

  /// Whether these kernels may share their first loop (see the type's documentation).
  static func canFuse(_ group: [Int], _ kernels: [Kernel]) -> Bool {
    let first = kernels[group[0]]
    guard let outer = first.loops.first else { return false }
    // One statement's kernels only, so a loop reads as that statement, and
    // each one sharing an array with those before it (a fill and its sum,
    // a sum and its use), so no loop merely happens to have the same extent.
    guard Set(group.map { owner(kernels[$0]) }).count == 1 else { return false }
    if let last = group.last, group.count > 1 {
      let before = Set(
        group.dropLast().flatMap { k in
          usedAccesses(kernels[k]).map { kernels[k].accesses[$0].array }
        })
      let shared = usedAccesses(kernels[last]).contains {
        before.contains(kernels[last].accesses[$0].array)
      }
      if !shared { return false }
    }
    var writers: [ArrayName: Set<Int>] = [:]
    var users: [ArrayName: Set<Int>] = [:]
    for k in group {
      guard let loop = kernels[k].loops.first, loop.extent == outer.extent,
        loop.lower == outer.lower
      else { return false }
      let kernel = kernels[k]
      for store in kernel.stores {
        writers[kernel.accesses[store.access].array, default: []].insert(k)
      }
      for a in usedAccesses(kernel) { users[kernel.accesses[a].array, default: []].insert(k) }
    }
    for (array, written) in writers where (users[array] ?? []).count > 1 || written.count > 1 {
      for k in group {
        let kernel = kernels[k]
        for a in usedAccesses(kernel) where kernel.accesses[a].array == array {
          guard kernel.accesses[a].isRowOfOuterLoop else { return false }
        }
      }
    }
    return true
  }

  /// The statement (symbol) a kernel computes or differentiates.
  static func owner(_ kernel: Kernel) -> Int32 {
    kernel.stores.first.map { kernel[$0.value].owner } ?? -1
  }

  /// Whether every access of a rank-1 array in these kernels is `[outer loop]`.
  static func onlyAtOuterLoop(_ array: ArrayName, _ group: [Int], _ kernels: [Kernel]) -> Bool {
    for k in group {
      let kernel = kernels[k]
      for a in usedAccesses(kernel) where kernel.accesses[a].array == array {
        if !kernel.accesses[a].isOuterLoopOnly { return false }
      }
    }
    return true
  }

  /// The loop depth each value of a kernel needs: one more than the
  /// innermost loop its subscripts or operands use (0: outside every loop).
  static func depths(_ kernel: Kernel) -> [Int] {
    var depth = [Int](repeating: 0, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      switch instruction.op {
      case .load(let a): depth[i] = kernel.accesses[a].depth
      case .index(let l): depth[i] = l + 1
      case .constant: break
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select:
        depth[i] = instruction.operands.map { depth[$0.int] }.max() ?? 0
      }
    }
    return depth
  }
}

/// The arrays a program's kernels touch, numbered densely in order of first
/// use (a kernel's stores, then its loads, in order), and each kernel's
/// accesses by number: the emitter's tables are arrays indexed by these
/// numbers, not dictionaries keyed by names.
struct ArrayTable {
  /// Each number's array.
  private(set) var names: [ArrayName] = []
  /// Per kernel, per access: its array's number (-1 for an access nothing uses).
  private(set) var ofAccess: [[Int]] = []
  /// Per kernel: the numbers of the arrays its stores and loads use, in that order.
  private(set) var used: [[Int]] = []
  private var ids = ArrayMap<Int>()

  init(_ program: Program) {
    for kernel in program.kernels {
      var numbers = [Int](repeating: -1, count: kernel.accesses.count)
      var usedHere: [Int] = []
      usedHere.reserveCapacity(kernel.accesses.count)
      for a in Schedule.usedAccesses(kernel) {
        if numbers[a] < 0 {
          let array = kernel.accesses[a].array
          if let id = ids[array] {
            numbers[a] = id
          } else {
            numbers[a] = names.count
            ids[array] = names.count
            names.append(array)
          }
        }
        usedHere.append(numbers[a])
      }
      ofAccess.append(numbers)
      used.append(usedHere)
    }
  }

  func id(_ array: ArrayName) -> Int? { ids[array] }
}
