/// Reverse-mode differentiation, from IR to IR.
///
/// micrograd in SSA form: for each output, seed its adjoint with 1 and walk the
/// forward instructions backwards (instruction order is a topological order),
/// handing each instruction's adjoint to its local rule, which returns one
/// contribution per operand. A value used many times collects one
/// contribution per use; when the walk reaches it, all its uses are behind,
/// and its adjoint is their sum, in source order, written once. A value with
/// no contribution has a structural zero adjoint: nothing is emitted for it.
public enum Reverse {
  public static func differentiate(_ forward: Program) -> Program {
    let count = forward.instructions.count
    let dependsOnLeaf = leafDependence(forward)
    var b = Builder(forward)
    b.range = SourceRange(0, 0)
    let zero = b.constant(0)
    b.program.gradient = []

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
      var adjoint = [ValueID](repeating: .none, count: count)
      func contribute(_ target: ValueID, _ value: ValueID?) {
        guard let value, target != .none else { return }
        pool.append((value, head[target.int]))
        head[target.int] = Int32(pool.count - 1)
      }
      contribute(forward.values[output], seed)

      // Nothing after the output's own instruction can reach it.
      for i in stride(from: forward.values[output].int, through: 0, by: -1) where head[i] >= 0 {
        let instruction = forward.instructions[i]
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
        if case .variable(let symbol)? = instruction.name, sum.int >= count,
          b.program.instructions[sum.int].name == nil
        {
          b.program.instructions[sum.int].name = .adjoint(output: output, of: symbol)
        }
        let (da, db) = localAdjoints(
          instruction, ValueID(i), upstream: sum, exponentIsActive: instruction.rhs != .none
            && dependsOnLeaf[instruction.rhs.int], &b)
        contribute(instruction.lhs, da)
        contribute(instruction.rhs, db)
      }
      b.program.gradient.append(
        forward.values.map { value in
          value == .none || adjoint[value.int] == .none ? zero : adjoint[value.int]
        })
    }
    return b.program
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
    case .constant, .leaf:
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
      // SPEC §1: ∂/∂a = b·a^(b−1) always; ∂/∂b = a^b·log(a) (0 at a = 0, NaN
      // below) only when the exponent depends on a leaf, so `(-2)^2` stays finite.
      let da = b.mul(g, b.mul(y, b.pow(x, b.sub(y, b.constant(1)))))
      return (da, exponentIsActive ? b.call(.powLog, x, b.mul(g, result)) : nil)
    case .call(let builtin):
      return builtin.spec.adjoint(&b, g, x, y, result)
    }
  }

  /// Whether each value depends on some leaf.
  static func leafDependence(_ program: Program) -> [Bool] {
    var depends = [Bool](repeating: false, count: program.instructions.count)
    for (i, instruction) in program.instructions.enumerated() {
      switch instruction.op {
      case .leaf: depends[i] = true
      case .constant: break
      default:
        depends[i] = instruction.operands.contains { depends[$0.int] }
      }
    }
    return depends
  }
}
