/// Forward-mode differentiation, from IR to IR (SPEC §8): each value that
/// depends on a leaf gets its tangent, its derivative along a direction `v`
/// given for the leaves, computed in the same kernel, at the same point, right
/// after the body's own values; each store of such a value stores its tangent
/// beside it, to ``ArrayName/tangent(_:)`` of the same element, with the same
/// mode. A leaf's tangent array is the direction itself.
///
/// Run on a forward program it gives the Jacobian-vector product `jvp` (the
/// outputs' tangents). Run on a gradient program (``Reverse``) it gives the
/// Hessian-vector product: the tangents of ∂O/∂leaf are (∇²O)·v, the
/// "forward over reverse" of Pearlmutter, one sweep whatever the direction.
/// Kernels keep their loops, so a loop program's tangents are loops too.
///
/// The local rules are the reverse pass's own: every rule of the builtin
/// table is linear in the upstream adjoint (``BuiltinSpec/Adjoint``), so a
/// call's tangent is its x-rule with the upstream read as ẋ plus its y-rule
/// with it read as ẏ. The operators' rules are written here, in the reverse
/// pass's forms (`ẋ/y − (ẏ·r)/y` for a quotient), so a tangent is as stable
/// as the gradient is. Where a rule has no partial (a comparison, `sign`,
/// `maxShare`, `gate`'s first argument) the tangent has no term, which makes
/// the second derivative of `relu`, `abs`, `min`, `max` and of a `where`'s
/// switch 0 (SPEC §8.1); a `where` picks the tangent of its branch with a
/// select, so the untaken branch's NaN stays out.
///
/// A maximum or minimum over an index has as tangent the mean of the
/// tangents of the terms equal to it, as its adjoint is split among them.
/// The lowering follows each such reduction with a kernel that counts those
/// terms (`count += equal(term, m)`); that kernel also accumulates
/// `equal(term, m)·ṫerm` into the reduction's tangent, and a load of the
/// tangent divides by the count.
public enum Tangent {
  /// `program` with the tangent of every array that depends on the leaves
  /// `leaves` (every leaf when nil); the others' tangents are structurally 0.
  static func differentiate(_ program: Program, along leaves: [Int]? = nil) -> Program {
    Pass(program, along: leaves ?? Array(0..<program.leafCount)).differentiate()
  }
}

private struct Pass {
  let program: Program
  /// The arrays whose tangent is not structurally zero.
  let active: ArraySet
  /// A maximum or minimum reduction's count array, by the array it counts for.
  let counts: [ArrayName: ArrayName]

  init(_ program: Program, along leaves: [Int]) {
    self.program = program
    var counts: [ArrayName: ArrayName] = [:]
    for kernel in program.kernels {
      for store in kernel.stores {
        switch store.mode {
        case .maximum(let count), .largest(let count), .smallest(let count):
          counts[kernel.accesses[store.access].array] = count
        case .assign, .add: break
        }
      }
    }
    self.counts = counts
    // Kernels read only what earlier kernels wrote, so one pass in order
    // finds every active array; a fill that runs before an array becomes
    // active still writes its tangent's zeroes (`differentiate`).
    var active = ArraySet(leaves.map { .variable($0) })
    for kernel in program.kernels {
      let carries = Self.carriesTangent(kernel, active)
      for store in kernel.stores where carries[store.value.int] {
        active.insert(kernel.accesses[store.access].array)
      }
    }
    self.active = active
  }

  /// Whether each value of the body has a tangent that is not structurally 0.
  static func carriesTangent(_ kernel: Kernel, _ active: ArraySet) -> [Bool] {
    var carries = [Bool](repeating: false, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      let x = instruction.lhs == .none ? false : carries[instruction.lhs.int]
      let y = instruction.rhs == .none ? false : carries[instruction.rhs.int]
      switch instruction.op {
      case .load(let a): carries[i] = active.contains(kernel.accesses[a].array)
      case .constant, .index: break
      case .copy, .neg, .add, .sub, .mul, .div, .pow: carries[i] = x || y
      case .call(let builtin):
        let rule = builtin.spec.adjoint
        carries[i] = (x && rule.x != nil) || (y && rule.y != nil)
      case .select: carries[i] = y || carries[instruction.third.int]
      }
    }
    return carries
  }

  func differentiate() -> Program {
    var out = program
    out.kernels = program.kernels.map(differentiate)
    return out
  }

  /// A kernel with its tangents appended to its body and its stores.
  func differentiate(_ kernel: Kernel) -> Kernel {
    var b = Builder(kernel)
    var tangent = [ValueID?](repeating: nil, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      b.range = instruction.range
      b.owner = instruction.owner
      b.role = instruction.role
      tangent[i] = rule(instruction, ValueID(i), kernel, tangent, &b)
      // A named value's tangent carries its name: `A_dot`, `dE_dh_dot`.
      if let t = tangent[i], t.int >= kernel.instructions.count, b.kernel[t].name == nil,
        let name = instruction.name
      {
        b.kernel.instructions[t.int].name = .tangent(of: name)
      }
    }
    for store in kernel.stores {
      let access = kernel.accesses[store.access]
      let dot = Access(.tangent(access.array), access.subscripts)
      let instruction = kernel[store.value]
      b.range = instruction.range
      b.owner = instruction.owner
      b.role = instruction.role
      switch store.mode {
      case .assign, .add:
        if let (target, subscripts) = countedReduction(store, in: kernel),
          let term = tangent[instruction.lhs.int]
        {
          // The count of a maximum's terms at it: their tangents add up too,
          // by a select, so a NaN tangent of another term stays out.
          let kept = b.select(store.value, term, b.constant(0))
          b.store(Access(.tangent(target), subscripts), kept, mode: .add)
        }
        guard active.contains(access.array) || isResult(access.array) else { continue }
        b.store(dot, tangent[store.value.int] ?? b.constant(0), mode: store.mode)
      case .maximum, .largest, .smallest:
        // Summed by the kernel that counts the terms at the maximum.
        continue
      }
    }
    return b.kernel
  }

  /// Whether the tangent of `array` is a result the caller reads (`jv`, `hv`):
  /// an output's, or a leaf's adjoint's. It is stored even where it is
  /// structurally 0, as the reverse pass stores every adjoint it does not reach.
  func isResult(_ array: ArrayName) -> Bool {
    switch array {
    case .output: true
    case .adjoint(_, let s): s < program.leafCount
    case .variable, .temporary, .temporaryAdjoint, .tangent, .weight: false
    }
  }

  /// For a store that counts a reduction's terms at its maximum
  /// (`count += equal(term, m)`, m the reduction's element), the reduction's
  /// array and subscripts, when its tangent is needed.
  func countedReduction(_ store: Store, in kernel: Kernel) -> (ArrayName, [Subscript])? {
    let instruction = kernel[store.value]
    guard store.mode == .add, instruction.op == .call(.equal),
      case .load(let a) = kernel[instruction.rhs].op
    else { return nil }
    let reduction = kernel.accesses[a]
    guard counts[reduction.array] == kernel.accesses[store.access].array,
      active.contains(reduction.array)
    else { return nil }
    return (reduction.array, reduction.subscripts)
  }

  /// The tangent of instruction `i` (nil: structurally 0), from its operands'.
  func rule(
    _ instruction: Instruction, _ r: ValueID, _ kernel: Kernel, _ tangent: [ValueID?],
    _ b: inout Builder
  ) -> ValueID? {
    let x = instruction.lhs
    let y = instruction.rhs
    let dx = x == .none ? nil : tangent[x.int]
    let dy = y == .none ? nil : tangent[y.int]
    switch instruction.op {
    case .constant, .index:
      return nil
    case .load(let a):
      let access = kernel.accesses[a]
      guard active.contains(access.array) else { return nil }
      let dot = b.load(Access(.tangent(access.array), access.subscripts))
      guard let count = counts[access.array] else { return dot }
      // A maximum's tangent is the mean of its terms' at the maximum.
      return b.div(dot, b.load(Access(count, access.subscripts)))
    case .copy:
      return dx
    case .neg:
      return dx.map { b.neg($0) }
    case .add:
      return sum(dx, dy, &b)
    case .sub:
      guard let dy else { return dx }
      return dx.map { b.sub($0, dy) } ?? b.neg(dy)
    case .mul:
      return sum(dx.map { b.mul($0, y) }, dy.map { b.mul(x, $0) }, &b)
    case .div:
      // ẋ/y − (ẏ·r)/y, the reverse pass's forms.
      let fromX = dx.map { b.div($0, y) }
      guard let dy else { return fromX }
      let fromY = b.div(b.mul(dy, r), y)
      return fromX.map { b.sub($0, fromY) } ?? b.neg(fromY)
    case .pow:
      // As the reverse pass: b·a^(b−1) for the base (nothing for a constant
      // 0 exponent, powBase for one that is not a constant); a^b·log(a) for
      // the exponent.
      var fromX: ValueID?
      if let dx {
        if let exponent = b.constantValue(y) {
          if exponent != 0 { fromX = b.mul(dx, b.mul(y, b.pow(x, b.sub(y, b.constant(1))))) }
        } else {
          fromX = b.mul(dx, b.call(.powBase, x, y))
        }
      }
      return sum(fromX, dy.map { b.call(.powLog, x, b.mul($0, r)) }, &b)
    case .call(let builtin):
      let rule = builtin.spec.adjoint
      let fromX = dx.flatMap { g in
        rule.x.map { Reverse.emit($0, Reverse.RuleOperands(g: g, x: x, y: y, r: r), &b) }
      }
      let fromY = dy.flatMap { g in
        rule.y.map { Reverse.emit($0, Reverse.RuleOperands(g: g, x: x, y: y, r: r), &b) }
      }
      return sum(fromX, fromY, &b)
    case .select:
      let taken = dy
      let other = tangent[instruction.third.int]
      guard taken != nil || other != nil else { return nil }
      return b.select(x, taken ?? b.constant(0), other ?? b.constant(0))
    }
  }

  /// The sum of two tangent terms, either structurally 0.
  func sum(_ a: ValueID?, _ c: ValueID?, _ b: inout Builder) -> ValueID? {
    switch (a, c) {
    case (let a?, let c?): b.add(a, c)
    case (let a?, nil): a
    case (nil, let c?): c
    case (nil, nil): nil
    }
  }
}
