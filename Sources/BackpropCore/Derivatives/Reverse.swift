/// Reverse-mode differentiation, from IR to IR: micrograd in SSA form, over
/// kernels (SPEC §6.3, ARRAYS-DESIGN §4).
///
/// For each output O, the forward kernels are walked backwards, from the one
/// that defines O; within a kernel the instructions are walked backwards
/// (instruction order is a topological order), each instruction's adjoint
/// handed to its local rule (``localAdjoints(_:_:upstream:exponentIsActive:_:)``),
/// which returns one contribution per operand. A value used many times
/// collects one contribution per use; when the walk reaches it, all its uses
/// are behind, and its adjoint is their sum, in source order. A value with
/// no contribution has a structural zero adjoint: nothing is emitted for it.
///
/// A program without loops is one kernel, and its adjoint is appended to it
/// (it reads the kernel's values); so is the adjoint of the last kernel when
/// it has no loops. Any other kernel's adjoint is a kernel over the same
/// loops that recomputes its forward body (no tape: arrays are
/// single-assignment), except that a value the kernel stores is loaded back;
/// it seeds each stored value with the adjoint array of what it stores
/// (∂O/∂h[j], a broadcast for a sum), walks the body backwards with the
/// same local rules, and turns each load's adjoint into a store to the
/// loaded array's adjoint. That store is classified:
///
/// | the forward read                          | the adjoint store           |
/// |-------------------------------------------|-----------------------------|
/// | distinct loop indices covering every loop | `dx[…] = c` (a gather)      |
/// | an index missing (`x[i]` in loops j, i)   | `dx[i] += c`, serial in j   |
/// | a constant or repeated subscript          | `dx[0] += c` into zeroes    |
///
/// and an assignment only when it is also the first and only write of that
/// adjoint array so far. Contributions to one element therefore arrive in
/// the order the kernels are walked, each kernel's in its loop order: the
/// interpreter and both emitters run the same kernels in the same order.
/// An output with a shape gets extra leading loops over its elements, so
/// each adjoint array holds a row of the Jacobian per output element.
///
/// Every named value's total adjoint is stored to its ``ArrayName/adjoint``
/// (`eval` reports ∂O/∂V for every name V); scalars in symbol order, 0 where
/// O does not depend on them, as straight-line code reads best.
public enum Reverse {
  /// Differentiates the outputs, or the scalars `symbols` (the weighted sum
  /// that `vjp` differentiates, ``Lowering/weightedSum(of:)``), which need
  /// not be outputs.
  public static func differentiate(_ forward: Program, for symbols: [Int]? = nil) -> Program {
    Pass(forward).differentiate(symbols ?? forward.outputs)
  }
}

/// The pass over one program: which values depend on a leaf, then one
/// sweep per output.
private struct Pass {
  let forward: Program
  /// Whether each value of each forward kernel depends on some leaf.
  let dependsOnLeaf: [[Bool]]

  init(_ forward: Program) {
    self.forward = forward
    var dependent = ArraySet((0..<forward.leafCount).map { .variable($0) })
    var depends: [[Bool]] = []
    for kernel in forward.kernels {
      var d = [Bool](repeating: false, count: kernel.instructions.count)
      for (i, instruction) in kernel.instructions.enumerated() {
        switch instruction.op {
        case .load(let a): d[i] = dependent.contains(kernel.accesses[a].array)
        case .constant, .index: break
        case .copy, .neg, .add, .sub, .mul, .div, .pow, .call, .select:
          d[i] = instruction.operands.contains { d[$0.int] }
        }
      }
      for store in kernel.stores where d[store.value.int] {
        dependent.insert(kernel.accesses[store.access].array)
      }
      depends.append(d)
    }
    dependsOnLeaf = depends
  }

  func differentiate(_ differentiated: [Int]) -> Program {
    var program = forward
    var kernels = forward.kernels
    // A last kernel without loops gets its adjoints appended, as in
    // straight-line code: its values are at hand.
    var tail: Builder? = kernels.last?.loops.isEmpty == true ? Builder(kernels.removeLast()) : nil
    let tailIndex = forward.kernels.count - 1
    var beforeTail: [Kernel] = []
    var after: [Kernel] = []
    for output in differentiated {
      var sweep = Sweep(self, output: output)
      let defining = forward.kernels.lastIndex { kernel in
        kernel.stores.contains { kernel.accesses[$0.access].array == .variable(output) }
      }
      var tailAdjoints: [ValueID]?
      if let defining {
        for k in stride(from: defining, through: 0, by: -1) {
          if k == tailIndex, var last = tail {
            tailAdjoints = sweep.appendToTail(&last, dependsOnLeaf: dependsOnLeaf[k])
            tail = last
            beforeTail += sweep.takeFills()
          } else {
            sweep.adjointKernel(k)
          }
        }
      } else {
        sweep.seedLeafOutput()
      }
      if let adjoints = tailAdjoints, var last = tail {
        sweep.storeScalarAdjoints(adjoints, into: &last)
        tail = last
      }
      sweep.fillUnwritten()
      after += sweep.fills + sweep.kernels
    }
    kernels += beforeTail
    if let tail { kernels.append(tail.kernel) }
    program.kernels = kernels + after
    return program
  }
}

/// One output's walk over the kernels.
private struct Sweep {
  let reverse: Pass
  var forward: Program { reverse.forward }
  let output: Int
  /// Loops over the output's elements, leading every adjoint kernel.
  let seedLoops: [Loop]
  /// The adjoint kernels made so far, in order.
  var kernels: [Kernel] = []
  /// The fills of adjoint arrays that accumulate: they run first, as no
  /// kernel of the sweep has touched those arrays before.
  var fills: [Kernel] = []
  /// Adjoint arrays written so far.
  var written = ArraySet()

  init(_ reverse: Pass, output: Int) {
    self.reverse = reverse
    self.output = output
    let shape = reverse.forward.symbols[output].shape
    seedLoops = shape.enumerated().map {
      Loop(name: "o\($0.offset)", extent: $0.element, range: SourceRange(0, 0))
    }
    if !shape.isEmpty { seedIdentity() }
  }

  /// ∂O/∂O: the identity, for an output with a shape, as loops over its elements.
  private mutating func seedIdentity() {
    let seed = ArrayName.adjoint(output: output, of: output)
    kernels.append(fill(seed, with: 0))
    var b = builder(loops: seedLoops)
    let one = b.constant(1)
    let diagonal = seedLoops.indices.map { Subscript.loop($0) }
    b.store(Access(seed, diagonal + diagonal), one)
    kernels.append(b.kernel)
    written.insert(seed)
  }

  /// An output that is a leaf: only ∂O/∂O is not zero.
  mutating func seedLeafOutput() {
    if seedLoops.isEmpty {
      var b = builder(loops: [])
      b.store(Access(.adjoint(output: output, of: output)), b.constant(1))
      kernels.append(b.kernel)
      written.insert(.adjoint(output: output, of: output))
    }
  }

  func builder(loops: [Loop]) -> Builder {
    var b = Builder(Kernel(loops: loops))
    b.role = .adjoint(output: output)
    b.owner = Int32(output)
    b.range = forward.symbols[output].range
    return b
  }

  /// A kernel setting every element of an adjoint array to `value`, its
  /// loops named as the statements that define the arrays name them
  /// (`dE_dh[j]`), a leaf's `i, j, k, l`.
  func fill(_ array: ArrayName, with value: Double) -> Kernel {
    let shape = forward.shape(of: array)
    var names: [String] = []
    switch array {
    case .adjoint(let o, let s): names = indexNames(.variable(o)) + indexNames(.variable(s))
    case .temporaryAdjoint(let o, let k):
      names = indexNames(.variable(o)) + indexNames(.temporary(k))
    case .variable, .temporary, .output, .tangent, .weight: names = indexNames(array)
    }
    // Distinct within the nest: a Jacobian's `k` by `k` is `k`, `k2`.
    var taken = Set<String>()
    for d in names.indices {
      var name = names[d]
      var n = 2
      while taken.contains(name) {
        name = names[d] + String(n)
        n += 1
      }
      names[d] = name
      taken.insert(name)
    }
    var b = builder(
      loops: shape.enumerated().map { d, extent in
        Loop(name: d < names.count ? names[d] : "i\(d)", extent: extent, range: SourceRange(0, 0))
      })
    let constant = b.constant(value)
    b.store(Access(array, shape.indices.map { .loop($0) }), constant)
    return b.kernel
  }

  /// The index names of an array's dimensions: the loops of the kernel that
  /// defines it, or `i, j, k, l` for a leaf.
  func indexNames(_ array: ArrayName) -> [String] {
    let rank = forward.shape(of: array).count
    for kernel in forward.kernels {
      for store in kernel.stores where kernel.accesses[store.access].array == array {
        let subscripts = kernel.accesses[store.access].subscripts
        let names = subscripts.map { $0.loop.map { kernel.loops[$0].name } }
        if names.allSatisfy({ $0 != nil }) && Set(names).count == rank {
          return names.compactMap { $0 }
        }
      }
    }
    return Array(["i", "j", "k", "l"].prefix(rank))
  }

  /// Zero for every named value's adjoint the walk did not reach: O does not
  /// depend on it (`eval --json` reports 0).
  mutating func fillUnwritten() {
    for s in forward.symbols.indices where !written.contains(.adjoint(output: output, of: s)) {
      kernels.append(fill(.adjoint(output: output, of: s), with: 0))
      written.insert(.adjoint(output: output, of: s))
    }
  }

  /// The fills made so far (the tail must run after them).
  mutating func takeFills() -> [Kernel] {
    defer { fills = [] }
    return fills
  }

  /// The adjoint array of an array the forward program loads.
  func adjoint(of array: ArrayName) -> ArrayName? {
    switch array {
    case .variable(let s): .adjoint(output: output, of: s)
    case .temporary(let k): .temporaryAdjoint(output: output, of: k)
    case .output, .adjoint, .temporaryAdjoint, .tangent, .weight: nil
    }
  }

  // MARK: A kernel's adjoint

  mutating func adjointKernel(_ k: Int) {
    let kernel = forward.kernels[k]
    let shift = seedLoops.count
    var b = builder(loops: seedLoops + kernel.loops)
    let seed = seedLoops.indices.map { Subscript.loop($0) }
    func shifted(_ access: Access) -> Access { access.shifted(by: shift) }
    // The values the kernel stores (by assignment) are loaded, not recomputed.
    var stored: [Int: Access] = [:]
    for store in kernel.stores where store.mode == .assign {
      let access = kernel.accesses[store.access]
      if case .output = access.array { continue }
      stored[store.value.int] = shifted(access)
    }
    var map = [ValueID](repeating: .none, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      b.range = instruction.range
      b.owner = instruction.owner
      b.role = .forward
      if let access = stored[i] {
        map[i] = b.load(access)
      } else if case .load(let a) = instruction.op {
        map[i] = b.load(shifted(kernel.accesses[a]))
        // A leaf read again keeps its name (`label`, not the statement's `L_2`).
        if case .variable? = instruction.name, b.kernel[map[i]].name == nil {
          b.kernel.instructions[map[i].int].name = instruction.name
        }
      } else if case .index(let l) = instruction.op {
        map[i] = b.emit(.index(l + shift), .none, .none)
      } else {
        let lhs = instruction.lhs == .none ? ValueID.none : map[instruction.lhs.int]
        let rhs = instruction.rhs == .none ? ValueID.none : map[instruction.rhs.int]
        let third = instruction.third == .none ? ValueID.none : map[instruction.third.int]
        map[i] = b.emit(instruction.op, lhs, rhs, third)
      }
    }
    b.role = .adjoint(output: output)
    var walk = Walk(count: kernel.instructions.count)
    // A named value's total adjoint is stored (∂O/∂V for `eval`) unless it
    // is just its seed: in a kernel without loops a statement's value has
    // uses in the kernel besides the later kernels' loads.
    var named: [Int: (access: Access, seed: ValueID?)] = [:]
    // Seeds: each stored value gets the adjoint of what it is stored to.
    for store in kernel.stores {
      let access = kernel.accesses[store.access]
      guard let d = adjoint(of: access.array) else { continue }
      let v = store.value.int
      let at = Access(d, seed + shifted(access).subscripts)
      if case .variable = access.array, store.mode == .assign { named[v] = (at, nil) }
      if access.array == .variable(output) && seedLoops.isEmpty {
        b.range = forward.symbols[output].range
        walk.contribute(v, b.constant(1))
        continue
      }
      guard written.contains(d) else { continue }
      let g = b.load(at)
      switch store.mode {
      case .assign, .add:
        walk.contribute(v, g)
        if named[v] != nil { named[v]?.seed = g }
      case .maximum(let count), .largest(let count), .smallest(let count):
        // The maximum's adjoint goes evenly to the terms equal to it.
        let m = b.load(shifted(access))
        let c = b.load(Access(count, shifted(access).subscripts))
        let tie = b.call(.equal, map[v], m)
        let share = b.div(b.mul(g, tie), c)
        walk.contribute(v, share)
      }
    }
    let swept = walk.run(
      kernel.instructions, map, dependsOnLeaf: reverse.dependsOnLeaf[k], &b,
      firstNew: b.kernel.instructions.count, stored: kernel.stores.map(\.value.int),
      access: { shifted(kernel.accesses[$0]) }, total: { named[$0]?.access.array })
    storeAdjoints(swept.loads, in: &b, seed: seed)
    for (v, sum) in swept.totals {
      guard let (at, seedValue) = named[v], sum != seedValue else { continue }
      b.store(at, sum)
      written.insert(at.array)
    }
    kernels.append(b.kernel)
  }

  /// Appends O's adjoint to the last kernel (without loops), reading its
  /// values. Returns the adjoint of each scalar symbol the kernel reads or
  /// defines (by symbol; `.none` for the others), which
  /// ``storeScalarAdjoints(_:into:)`` stores once the sweep is over; they
  /// count as written from here on.
  mutating func appendToTail(_ b: inout Builder, dependsOnLeaf: [Bool]) -> [ValueID] {
    let kernel = b.kernel
    b.role = .adjoint(output: output)
    b.owner = Int32(output)
    let firstNew = b.kernel.instructions.count
    var walk = Walk(count: kernel.instructions.count)
    for store in kernel.stores where kernel.accesses[store.access].array == .variable(output) {
      b.range = forward.symbols[output].range
      walk.contribute(store.value.int, b.constant(1))
    }
    // A scalar's own node (a statement's value, a leaf read where the
    // program reads its leaves) has ∂O/∂V as its total, named so.
    var named = [ArrayName?](repeating: nil, count: kernel.instructions.count)
    for store in kernel.stores where store.mode == .assign {
      if case .variable(let s) = kernel.accesses[store.access].array {
        named[store.value.int] = .adjoint(output: output, of: s)
      }
    }
    for (i, instruction) in kernel.instructions.enumerated() {
      guard case .load(let a) = instruction.op, case .variable(let s) = kernel.accesses[a].array,
        kernel.accesses[a].subscripts.isEmpty, instruction.owner == Int32(s)
      else { continue }
      named[i] = .adjoint(output: output, of: s)
    }
    let swept = walk.run(
      kernel.instructions, kernel.instructions.indices.map(ValueID.init),
      dependsOnLeaf: dependsOnLeaf, &b,
      firstNew: firstNew, stored: kernel.stores.map(\.value.int), access: { kernel.accesses[$0] },
      total: { named[$0] })
    // Scalars read (one load each) or defined here are stored by
    // storeScalarAdjoints; the other loads' adjoints go to their arrays now.
    var scalars = [ValueID](repeating: .none, count: forward.symbols.count)
    var loads: [(access: Access, adjoint: ValueID)] = []
    for load in swept.loads {
      if case .variable(let s) = load.access.array, load.access.subscripts.isEmpty {
        scalars[s] = load.adjoint
      } else {
        loads.append(load)
      }
    }
    storeAdjoints(loads, in: &b, seed: [])
    for (v, sum) in swept.totals {
      guard case .adjoint(_, let s)? = named[v] else { continue }
      scalars[s] = sum
    }
    for s in scalars.indices where scalars[s] != .none {
      written.insert(.adjoint(output: output, of: s))
    }
    return scalars
  }

  /// The tail's stores of scalar adjoints, in symbol order, as straight-line
  /// code writes them: the kernel's own, and 0 for every scalar the sweep
  /// did not reach (they fill no kernel of their own).
  mutating func storeScalarAdjoints(_ adjoints: [ValueID], into b: inout Builder) {
    b.role = .adjoint(output: output)
    b.owner = Int32(output)
    b.range = forward.symbols[output].range
    var zero: ValueID?
    for (s, symbol) in forward.symbols.enumerated() where symbol.shape.isEmpty {
      let d = ArrayName.adjoint(output: output, of: s)
      if adjoints[s] != .none {
        b.store(Access(d), adjoints[s])
      } else if !written.contains(d) {
        if zero == nil { zero = b.constant(0) }
        b.store(Access(d), zero ?? .none)
        written.insert(d)
      }
    }
  }

  /// Each load's adjoint becomes a store to its array's adjoint: an
  /// assignment when the load covers every loop with distinct indices, the
  /// adjoint array is not yet written, and no other load of that array in
  /// this kernel has an adjoint; else an accumulation, into zeroes filled
  /// first if need be.
  private mutating func storeAdjoints(
    _ loads: [(access: Access, adjoint: ValueID)], in b: inout Builder, seed: [Subscript]
  ) {
    var perArray: [ArrayName: Int] = [:]
    for load in loads { if let d = adjoint(of: load.access.array) { perArray[d, default: 0] += 1 } }
    for load in loads {
      guard let d = adjoint(of: load.access.array) else { continue }
      let target = Access(d, seed + load.access.subscripts)
      if target.coversEveryPoint(of: b.kernel.loops, shape: forward.shape(of: d))
        && !written.contains(d) && perArray[d] == 1
      {
        b.store(target, load.adjoint)
      } else {
        if !written.contains(d) { fills.append(fill(d, with: 0)) }
        b.store(target, load.adjoint, mode: .add)
      }
      written.insert(d)
    }
  }
}

/// The backward walk over one body: contributions per value, summed in
/// source order of the uses, handed to each instruction's local rule.
private struct Walk {
  var head: [Int32]
  var pool: [(value: ValueID, next: Int32)] = []

  init(count: Int) {
    head = [Int32](repeating: -1, count: count)
  }

  mutating func contribute(_ target: Int, _ value: ValueID?) {
    guard let value, target >= 0 else { return }
    pool.append((value, head[target]))
    head[target] = Int32(pool.count - 1)
  }

  /// Walks the forward `instructions` (whose values in the builder's kernel
  /// are `values`) backwards. Returns each load's adjoint (with its access
  /// in this kernel, from `access`) in walk order, and the total adjoint of
  /// each instruction `total` gives an array for (a named value's ∂O/∂V),
  /// which it names after that array when it is a symbol's adjoint.
  /// Instructions from `firstNew` on are the sweep's own (the seeds
  /// included), which it may name.
  mutating func run(
    _ instructions: [Instruction], _ values: [ValueID], dependsOnLeaf: [Bool], _ b: inout Builder,
    firstNew: Int, stored: [Int], access: (Int) -> Access, total: (Int) -> ArrayName?
  ) -> (loads: [(access: Access, adjoint: ValueID)], totals: [(instruction: Int, adjoint: ValueID)])
  {
    var loads: [(access: Access, adjoint: ValueID)] = []
    var totals: [(instruction: Int, adjoint: ValueID)] = []
    let guards = Branches.guards(instructions, stored: stored)
    /// A contribution from value `i` to its operand `n`, guarded by the
    /// branches `i` is computed for and `n` is not.
    func pass(from i: Int, to n: ValueID, _ value: ValueID?, _ b: inout Builder) {
      guard n != .none, var value else { return }
      if let guards, !guards[i].isEmpty {
        let leaving = guards[i].filter { !guards[n.int].contains($0) }
        value = Reverse.guarded(value, by: leaving, values, &b)
      }
      self.contribute(n.int, value)
    }
    for i in stride(from: instructions.count - 1, through: 0, by: -1) where head[i] >= 0 {
      let instruction = instructions[i]
      b.range = instruction.range
      b.owner = instruction.owner
      var link = head[i]
      var sum = pool[Int(link)].value
      link = pool[Int(link)].next
      while link >= 0 {
        sum = b.add(sum, pool[Int(link)].value)
        link = pool[Int(link)].next
      }
      if let array = total(i) {
        totals.append((i, sum))
        if case .adjoint(let o, let s) = array, sum.int >= firstNew, b.kernel[sum].name == nil {
          b.kernel.instructions[sum.int].name = .adjoint(output: o, of: s)
        }
      }
      if case .load(let a) = instruction.op {
        // A load read for one branch only stores its adjoint where that branch is taken.
        let kept = guards.map { Reverse.guarded(sum, by: $0[i], values, &b) } ?? sum
        loads.append((access(a), kept))
        continue
      }
      if instruction.op == .select {
        // A branch computed for this select alone takes the adjoint as it
        // is: whatever it passes on leaves the branch guarded (`pass`).
        let alone = { (operand: ValueID, side: Int) in
          guards?[operand.int].contains(Int32(2 * instruction.lhs.int + side)) ?? false
        }
        let (taken, other) = Reverse.selectAdjoints(
          condition: values[instruction.lhs.int], upstream: sum,
          ungated: (alone(instruction.rhs, 0), alone(instruction.third, 1)), &b)
        pass(from: i, to: instruction.rhs, taken, &b)
        pass(from: i, to: instruction.third, other, &b)
        continue
      }
      // The rule's operands are this kernel's values of the forward operands.
      var local = instruction
      local.lhs = instruction.lhs == .none ? .none : values[instruction.lhs.int]
      local.rhs = instruction.rhs == .none ? .none : values[instruction.rhs.int]
      let exponentIsActive = instruction.rhs != .none && dependsOnLeaf[instruction.rhs.int]
      let (da, db) = Reverse.localAdjoints(
        local, values[i], upstream: sum, exponentIsActive: exponentIsActive, &b)
      pass(from: i, to: instruction.lhs, da, &b)
      pass(from: i, to: instruction.rhs, db, &b)
    }
    return (loads, totals)
  }
}
