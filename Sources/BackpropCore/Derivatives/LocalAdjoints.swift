/// The local rules of the reverse pass: for each operation, its
/// contributions to its operands' adjoints given the upstream adjoint `g`,
/// as instructions. The operators' rules are written here; a builtin brings
/// its own from its row of the table (``Builtin``), as a ``Rule``.
extension Reverse {
  /// The rules for the operators; builtins bring theirs from their table row.
  /// Returns the contributions to the first and second operand's adjoints.
  static func localAdjoints(
    _ instruction: Instruction, _ result: ValueID, upstream g: ValueID,
    exponentIsActive: Bool, _ b: inout Builder
  ) -> (ValueID?, ValueID?) {
    let x = instruction.lhs
    let y = instruction.rhs
    switch instruction.op {
    case .constant, .load, .index:
      return (nil, nil)
    case .select:
      preconditionFailure("a select has three operands: see selectAdjoints")
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

  /// `where`'s rule (SPEC §7.6): the upstream adjoint goes to the branch
  /// taken and nothing to the other, by a select, never a multiplication
  /// by 0, so a NaN in the other branch's derivative cannot leak. A branch
  /// value used by nothing else (`ungated`) gets `g` itself, as the reverse
  /// pass guards what that branch passes on.
  static func selectAdjoints(
    condition c: ValueID, upstream g: ValueID, ungated: (taken: Bool, other: Bool),
    _ b: inout Builder
  ) -> (taken: ValueID, other: ValueID) {
    let zero = b.constant(0)
    return (
      ungated.taken ? g : b.select(c, g, zero), ungated.other ? g : b.select(c, zero, g)
    )
  }

  /// `contribution`, kept only where the branches in `guards` are taken (0
  /// elsewhere): a value computed for one branch passes its adjoint to a
  /// value needed outside it.
  static func guarded(
    _ contribution: ValueID, by guards: some Sequence<Int32>, _ values: [ValueID],
    _ b: inout Builder
  ) -> ValueID {
    var result = contribution
    for g in guards {
      let c = values[Int(g / 2)]
      let zero = b.constant(0)
      result = g % 2 == 0 ? b.select(c, result, zero) : b.select(c, zero, result)
    }
    return result
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
    case .power(let a, let c):
      let (l, r) = (emit(a, v, &b), emit(c, v, &b))
      return b.pow(l, r)
    case .call(let f, let a, let c):
      let l = emit(a, v, &b)
      let r = c.map { emit($0, v, &b) } ?? .none
      return b.call(f, l, r)
    }
  }
}
