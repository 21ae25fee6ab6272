/// Reverse-mode differentiation, from IR to IR.
///
/// micrograd in SSA form: for each output, seed its adjoint with 1 and walk
/// the kernels and their instructions backwards (instruction order is a
/// topological order), handing each instruction's adjoint to its local rule,
/// which returns one contribution per operand. A value used many times
/// collects one contribution per use; when the walk reaches it, all its uses
/// are behind, and its adjoint is their sum, in source order, written once. A
/// value with no contribution has a structural zero adjoint: nothing is
/// emitted for it. Each adjoint that belongs to an array of the program (a
/// leaf's, a named value's) is stored to that array's ``ArrayName/adjoint``.
public enum Reverse {
  public static func differentiate(_ forward: Program) -> Program {
    let straightLine = forward.kernels.count == 1 && forward.kernels[0].loops.isEmpty
      && forward.temporaries.isEmpty && forward.symbols.allSatisfy(\.shape.isEmpty)
    guard straightLine else { return KernelReverse(forward).differentiate() }
    var program = forward
    program.kernels = [differentiateStraightLine(forward, forward.kernels[0])]
    return program
  }

  /// The whole gradient of a program that is one kernel without loops: the
  /// adjoint sweeps are appended to the kernel, so they read its values.
  private static func differentiateStraightLine(_ forward: Program, _ kernel: Kernel) -> Kernel {
    let count = kernel.instructions.count
    let dependsOnLeaf = leafDependence(forward, kernel)
    // Each symbol's value: a leaf's load, or the value stored to its name.
    var values = [ValueID](repeating: .none, count: forward.symbols.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      if case .load(let a) = instruction.op, case .variable(let s) = kernel.accesses[a].array { values[s] = ValueID(i) }
    }
    for store in kernel.stores {
      if case .variable(let s) = kernel.accesses[store.access].array { values[s] = store.value }
    }

    var b = Builder(kernel)
    // Room for about three adjoint instructions per value and output: an
    // untouched reservation costs address space, a regrown array a copy.
    b.kernel.instructions.reserveCapacity(count * (1 + 3 * forward.outputs.count))
    b.range = SourceRange(0, 0)
    let zero = b.constant(0)
    for output in forward.outputs {
      b.role = .adjoint(output: output)
      b.owner = Int32(output)
      b.range = forward.symbols[output].range
      let seed = b.constant(1)
      // Contributions waiting for each value: singly linked lists in one pool.
      // Walking backwards and pushing at the front leaves each list in source
      // order of the uses.
      var head = [Int32](repeating: -1, count: count)
      var pool: [(value: ValueID, next: Int32)] = []
      pool.reserveCapacity(2 * count)
      var adjoint = [ValueID](repeating: .none, count: count)
      func contribute(_ target: ValueID, _ value: ValueID?) {
        guard let value, target != .none else { return }
        pool.append((value, head[target.int]))
        head[target.int] = Int32(pool.count - 1)
      }
      contribute(values[output], seed)

      // Nothing after the output's own instruction can reach it.
      for i in stride(from: values[output].int, through: 0, by: -1) where head[i] >= 0 {
        let instruction = kernel.instructions[i]
        b.range = instruction.range
        b.owner = instruction.owner
        var link = head[i]
        var sum = pool[Int(link)].value
        link = pool[Int(link)].next
        while link >= 0 {
          sum = b.add(sum, pool[Int(link)].value)
          link = pool[Int(link)].next
        }
        adjoint[i] = sum
        if case .variable(let symbol)? = instruction.name, sum.int >= count, b.kernel[sum].name == nil {
          b.kernel.instructions[sum.int].name = .adjoint(output: output, of: symbol)
        }
        let exponentIsActive = instruction.rhs != .none && dependsOnLeaf[instruction.rhs.int]
        let (da, db) = localAdjoints(
          instruction, ValueID(i), upstream: sum, exponentIsActive: exponentIsActive, &b)
        contribute(instruction.lhs, da)
        contribute(instruction.rhs, db)
      }
      for (s, value) in values.enumerated() {
        let d = value == .none || adjoint[value.int] == .none ? zero : adjoint[value.int]
        b.store(Access(.adjoint(output: output, of: s)), d)
      }
    }
    return b.kernel
  }

  /// The rules for the operators; builtins bring theirs from their table row.
  /// Returns the contributions to the first and second operand's adjoints.
  static func localAdjoints(
    _ instruction: Instruction, _ result: ValueID, upstream g: ValueID,
    exponentIsActive: Bool, _ b: inout Builder
  ) -> (ValueID?, ValueID?) {
    let x = instruction.lhs
    let y = instruction.rhs
    switch instruction.op {
    case .constant, .load:
      return (nil, nil)
    case .copy:
      return (g, nil)
    case .neg:
      return (b.neg(g), nil)
    case .add:
      return (g, g)
    case .sub:
      return (g, b.neg(g))
    case .mul:
      return (b.mul(g, y), b.mul(g, x))
    case .div:
      return (b.div(g, y), b.neg(b.div(b.mul(g, result), y)))
    case .pow:
      // SPEC §1: ∂/∂a = b·a^(b−1), exactly 0 where b = 0 (a constant 0
      // exponent contributes nothing; any other goes through powBase); ∂/∂b =
      // a^b·log(a) (0 at a = 0, NaN below) only when the exponent depends on
      // a leaf, so `(-2)^2` stays finite.
      let db = exponentIsActive ? b.call(.powLog, x, b.mul(g, result)) : nil
      guard let exponent = b.constantValue(y) else { return (b.mul(g, b.call(.powBase, x, y)), db) }
      guard exponent != 0 else { return (nil, db) }
      return (b.mul(g, b.mul(y, b.pow(x, b.sub(y, b.constant(1))))), db)
    case .call(let builtin):
      let rule = builtin.spec.adjoint
      let operands = RuleOperands(g: g, x: x, y: y, r: result)
      let da = rule.x.map { emit($0, operands, &b) }
      let db = rule.y.map { emit($0, operands, &b) }
      return (da, db)
    }
  }

  /// What a ``Rule``'s variables stand for at one call.
  struct RuleOperands {
    var g, x, y, r: ValueID
  }

  /// A table rule as instructions, operands before the node, left before
  /// right. Rules are a few nodes deep (the table's own), so recursion is safe.
  static func emit(_ rule: Rule, _ v: RuleOperands, _ b: inout Builder) -> ValueID {
    switch rule {
    case .upstream: return v.g
    case .x: return v.x
    case .y: return v.y
    case .result: return v.r
    case .constant(let c): return b.constant(c)
    case .negate(let a):
      let operand = emit(a, v, &b)
      return b.neg(operand)
    case .add(let a, let c):
      let (l, r) = (emit(a, v, &b), emit(c, v, &b))
      return b.add(l, r)
    case .subtract(let a, let c):
      let (l, r) = (emit(a, v, &b), emit(c, v, &b))
      return b.sub(l, r)
    case .multiply(let a, let c):
      let (l, r) = (emit(a, v, &b), emit(c, v, &b))
      return b.mul(l, r)
    case .divide(let a, let c):
      let (l, r) = (emit(a, v, &b), emit(c, v, &b))
      return b.div(l, r)
    case .call(let f, let a, let c):
      let l = emit(a, v, &b)
      let r = c.map { emit($0, v, &b) } ?? .none
      return b.call(f, l, r)
    }
  }

  /// Whether each value of a kernel depends on some leaf.
  static func leafDependence(_ program: Program, _ kernel: Kernel) -> [Bool] {
    var depends = [Bool](repeating: false, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      switch instruction.op {
      case .load(let a):
        if case .variable(let s) = kernel.accesses[a].array { depends[i] = s < program.leafCount }
      case .constant:
        break
      case .copy, .neg, .add, .sub, .mul, .div, .pow, .call:
        depends[i] = instruction.operands.contains { depends[$0.int] }
      }
    }
    return depends
  }
}
