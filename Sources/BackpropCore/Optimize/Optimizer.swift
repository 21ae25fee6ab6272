/// Which arrays of a program must survive optimisation.
public enum Roots: Sendable {
  /// the outputs only: the generated `forward`
  case outputs
  /// the outputs and ∂output/∂leaf: the generated `gradient`
  case outputsAndLeafGradients
  /// the outputs and ∂output/∂param: what `train` reads
  case outputsAndParameterGradients
  /// every named value and every adjoint: `eval --json`
  case everything
  /// the outputs and their tangents: the generated `jvp` (SPEC §8.2)
  case jacobianVectorProducts
  /// the outputs, ∂output/∂leaf and the latter's tangents: the generated
  /// `hvp`, `eval --hessian`
  case hessianVectorProducts

  /// Whether a store to `array` must be kept for its own sake (it may also
  /// be kept because a later kernel reads it).
  func keeps(_ array: ArrayName, _ program: Program) -> Bool {
    switch (self, array) {
    case (.everything, _), (_, .output): true
    case (.outputsAndLeafGradients, .adjoint(_, let s)),
      (.hessianVectorProducts, .adjoint(_, let s)),
      (.hessianVectorProducts, .tangent(.adjoint(_, let s))):
      s < program.leafCount
    case (.outputsAndParameterGradients, .adjoint(_, let s)):
      s < program.leafCount && program.symbols[s].leaf == .param
    case (.jacobianVectorProducts, .tangent(.output)): true
    case (.outputs, _), (.outputsAndLeafGradients, _), (.outputsAndParameterGradients, _),
      (.jacobianVectorProducts, _), (.hessianVectorProducts, _):
      false
    }
  }
}

/// Simplification, common-subexpression elimination and dead-code
/// elimination: IR to smaller IR, in two linear passes over each kernel.
///
/// Every rewrite is exact in IEEE-754 arithmetic (Lua's folder is the model):
/// `x*1 → x`, `a + (-b) → a - b` and `-(-x) → x` are; `x + 0 → x` (wrong for
/// -0) and `x * 0 → 0` (wrong for NaN and ∞) are not, and are not done.
/// Constants fold only to finite results, so a NaN is computed where the
/// program computes it and `eval` can say where it arose. Two rewrites are not
/// bit-exact but better: `x ^ 2` becomes `x * x` and `x ^ -1` becomes `1 / x`,
/// which are correctly rounded where `pow` need not be; the interpreter and
/// both emitters run the same rewritten program, so they agree.
///
/// Values are numbered per kernel body: a load is the element at one point of
/// the nest, so loads in different kernels (or at different points) are never
/// merged.
public enum Optimizer {
  public static func optimize(_ program: Program, keeping roots: Roots) -> Program {
    eliminateDeadCode(simplify(program), keeping: roots)
  }

  // MARK: - Simplify and CSE (one forward pass per kernel)

  /// Rewrites each instruction in order, then looks it up among the ones
  /// already kept: a repeat becomes a reference to the first.
  ///
  /// Across kernels, a scalar array written once, with a constant, reads as
  /// that constant in the kernels after (a reduction's seed adjoint, 1).
  static func simplify(_ program: Program) -> Program {
    var out = program
    var writes: [ArrayName: Int] = [:]
    writes.reserveCapacity(program.kernels.reduce(0) { $0 + $1.stores.count })
    for kernel in program.kernels {
      for store in kernel.stores { writes[kernel.accesses[store.access].array, default: 0] += 1 }
    }
    var constants: [ArrayName: Double] = [:]
    out.kernels = program.kernels.map { kernel in
      let simplified = simplify(kernel, constants: constants)
      for store in simplified.stores where store.mode == .assign {
        let access = simplified.accesses[store.access]
        guard access.subscripts.isEmpty, writes[access.array] == 1,
          case .constant(let value) = simplified[store.value].op
        else { continue }
        constants[access.array] = value
      }
      return simplified
    }
    return out
  }

  static func simplify(_ kernel: Kernel, constants: [ArrayName: Double] = [:]) -> Kernel {
    var pass = SimplifyPass(source: kernel)
    for (i, instruction) in kernel.instructions.enumerated() {
      if case .load(let a) = instruction.op, let value = constants[kernel.accesses[a].array] {
        var constant = instruction
        constant.op = .constant(value)
        pass.replacement[i] = pass.rewrite(constant)
        continue
      }
      pass.replacement[i] = pass.rewrite(instruction)
    }
    var out = pass.b.kernel
    out.stores = kernel.stores.map { store in
      var store = store
      store.value = pass.map(store.value)
      return store
    }
    return out
  }

  // MARK: - Dead code

  /// Keeps the stores the roots need, and what they need, renumbering each
  /// kernel densely; a kernel left with no store goes.
  static func eliminateDeadCode(_ program: Program, keeping roots: Roots) -> Program {
    var needed = Set<ArrayName>()
    var kernels: [Kernel] = []
    for kernel in program.kernels.reversed() {
      let kept = eliminateDeadCode(kernel) {
        roots.keeps($0, program) || (!needed.isEmpty && needed.contains($0))
      }
      guard !kept.stores.isEmpty else { continue }
      for instruction in kept.instructions {
        if case .load(let a) = instruction.op { needed.insert(kept.accesses[a].array) }
      }
      kernels.append(kept)
    }
    var out = program
    out.kernels = kernels.reversed()
    return out
  }

  static func eliminateDeadCode(_ kernel: Kernel, keepingStoresTo keep: (ArrayName) -> Bool)
    -> Kernel
  {
    let count = kernel.instructions.count
    var live = [Bool](repeating: false, count: count)
    let stores = kernel.stores.filter { keep(kernel.accesses[$0.access].array) }
    for store in stores { live[store.value.int] = true }
    // Operands come before their users, so one backward sweep finds all.
    for i in stride(from: count - 1, through: 0, by: -1) where live[i] {
      for operand in kernel.instructions[i].operands { live[operand.int] = true }
    }
    var out = Kernel(loops: kernel.loops)
    var builder = Builder(out)
    var newIndex = [ValueID](repeating: .none, count: count)
    builder.kernel.instructions.reserveCapacity(live.lazy.filter { $0 }.count)
    for i in 0..<count where live[i] {
      var instruction = kernel.instructions[i]
      if instruction.lhs != .none { instruction.lhs = newIndex[instruction.lhs.int] }
      if instruction.rhs != .none { instruction.rhs = newIndex[instruction.rhs.int] }
      if instruction.third != .none { instruction.third = newIndex[instruction.third.int] }
      if case .load(let a) = instruction.op {
        instruction.op = .load(builder.loadAccess(kernel.accesses[a]))
      }
      builder.kernel.instructions.append(instruction)
      newIndex[i] = ValueID(builder.kernel.instructions.count - 1)
    }
    for store in stores {
      builder.store(kernel.accesses[store.access], newIndex[store.value.int], mode: store.mode)
    }
    out = builder.kernel
    return out
  }
}

/// A key for value numbering: the op as a small code, a constant by its bit
/// pattern (so 0 and -0 stay apart), and the operands in canonical order for
/// commutative ops. Three words, hashed as three words.
private struct ValueKey: Hashable {
  var code: UInt64
  var bits: UInt64
  var operands: UInt64

  init(_ op: Op, _ lhs: ValueID, _ rhs: ValueID, _ third: ValueID = .none) {
    switch op {
    case .constant(let c):
      code = 0
      bits = c.bitPattern
    case .load(let a):
      code = 1
      bits = UInt64(a)
    case .index(let l):
      code = 9
      bits = UInt64(l)
    case .copy:
      code = 2
      bits = 0
    case .neg:
      code = 3
      bits = 0
    case .add:
      code = 4
      bits = 0
    case .sub:
      code = 5
      bits = 0
    case .mul:
      code = 6
      bits = 0
    case .div:
      code = 7
      bits = 0
    case .pow:
      code = 8
      bits = 0
    case .call(let builtin):
      code = 16 + UInt64(builtin.ordinal)
      bits = 0
    case .select:
      code = 10
      bits = UInt64(UInt32(bitPattern: third.index))
    }
    var (a, b) = (lhs, rhs)
    if op.isCommutative && b < a { (a, b) = (b, a) }
    operands = UInt64(UInt32(bitPattern: a.index)) << 32 | UInt64(UInt32(bitPattern: b.index))
  }

  /// A multiply-shift mix of the three words: the keys are not adversarial
  /// (they are instructions), so SipHash's protection is not needed here.
  var mixed: UInt64 {
    var h = code &* 0x9E37_79B9_7F4A_7C15
    h = (h ^ bits) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ operands) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 31)
  }
}

/// Value numbering's table: open addressing with linear probing, kept at
/// most half full (it doubles when it gets there). A slot holds a value, the
/// index of a kept instruction whose key is the instruction's own, beside the
/// high 32 bits of the key's hash (which choose its slot), so a probe reads an
/// instruction only when they agree: eight bytes a slot, not the key's 24.
private struct ValueTable {
  /// `value + 1` in the low 32 bits (0: empty), the hash's high bits above.
  private var slots: [UInt64]
  private var mask: Int
  private var count = 0

  init(capacity: Int) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    mask = size - 1
    slots = Array(repeating: 0, count: size)
  }

  private static func key(_ instruction: Instruction) -> ValueKey {
    ValueKey(instruction.op, instruction.lhs, instruction.rhs, instruction.third)
  }

  /// The value with this key among `instructions`, or the slot where it goes.
  func find(_ key: ValueKey, in instructions: [Instruction]) -> (value: ValueID?, slot: Int) {
    let tag = key.mixed & 0xFFFF_FFFF_0000_0000
    var slot = Int(truncatingIfNeeded: tag >> 32) & mask
    while slots[slot] != 0 {
      let entry = slots[slot]
      if entry & 0xFFFF_FFFF_0000_0000 == tag {
        let value = Int(entry & 0xFFFF_FFFF) - 1
        if Self.key(instructions[value]) == key { return (ValueID(value), slot) }
      }
      slot = (slot + 1) & mask
    }
    return (nil, slot)
  }

  /// Files `value`, whose key is `key`, at the slot ``find(_:in:)`` gave.
  mutating func insert(_ value: ValueID, _ key: ValueKey, at slot: Int) {
    slots[slot] = key.mixed & 0xFFFF_FFFF_0000_0000 | UInt64(value.index + 1)
    count += 1
    guard count * 2 > mask + 1 else { return }
    // The slot comes from the hash's high bits, which the entry keeps.
    let old = slots
    mask = (mask + 1) * 2 - 1
    slots = Array(repeating: 0, count: mask + 1)
    for entry in old where entry != 0 {
      var slot = Int(truncatingIfNeeded: entry >> 32) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = entry
    }
  }
}

private struct SimplifyPass {
  var b: Builder
  var replacement: [ValueID]
  var table: ValueTable

  init(source: Kernel) {
    var empty = source
    empty.instructions = []
    empty.instructions.reserveCapacity(source.instructions.count)
    b = Builder(empty)
    replacement = Array(repeating: .none, count: source.instructions.count)
    table = ValueTable(capacity: source.instructions.count)
  }

  func map(_ v: ValueID) -> ValueID { v == .none ? .none : replacement[v.int] }

  /// The new value standing for an old instruction.
  mutating func rewrite(_ old: Instruction) -> ValueID {
    var instruction = old
    instruction.lhs = map(old.lhs)
    instruction.rhs = map(old.rhs)
    instruction.third = map(old.third)
    b.range = old.range
    b.owner = old.owner
    b.role = old.role
    let value = simplified(instruction)
    // A value that lost its instruction to a simpler one passes its name on,
    // unless the survivor has one already (`dC_dB = 1 * (2 * B)` names `2 * B`).
    // Names stay within their sweep: a forward value that happens to equal an
    // adjoint (∂v/∂s = max(u, eps)) keeps reading as a forward value.
    let survivor = b.kernel.instructions[value.int]
    if let name = old.name, survivor.name == nil, Self.sameSweep(survivor.role, old.role) {
      b.kernel.instructions[value.int].name = name
    }
    return value
  }

  private static func sameSweep(_ a: Role, _ b: Role) -> Bool {
    switch (a, b) {
    case (.forward, .forward), (.adjoint, .adjoint): true
    case (.forward, .adjoint), (.adjoint, .forward): false
    }
  }

  private func constant(_ v: ValueID) -> Double? { b.constantValue(v) }
  private func op(_ v: ValueID) -> Op { b.kernel[v].op }

  /// Applies the exact rewrites, then value-numbers what is left.
  private mutating func simplified(_ i: Instruction) -> ValueID {
    let x = i.lhs
    let y = i.rhs
    switch i.op {
    case .copy:
      return x
    case .neg:
      if op(x) == .neg { return b.kernel[x].lhs }
    case .add:
      if op(y) == .neg { return make(.sub, x, b.kernel[y].lhs) }
      if op(x) == .neg { return make(.sub, y, b.kernel[x].lhs) }
      if let product = positive(y) { return make(.sub, x, product) }
      if let product = positive(x) { return make(.sub, y, product) }
    case .sub:
      if op(y) == .neg { return make(.add, x, b.kernel[y].lhs) }
      if let product = positive(y) { return make(.add, x, product) }
    case .mul:
      if constant(y) == 1 { return x }
      if constant(x) == 1 { return y }
      if constant(y) == -1 { return make(.neg, x) }
      if constant(x) == -1 { return make(.neg, y) }
      // Signs move outwards, where an enclosing sum turns them into `-`.
      if op(x) == .neg && op(y) == .neg { return make(.mul, b.kernel[x].lhs, b.kernel[y].lhs) }
    case .div:
      if constant(y) == 1 { return x }
    case .pow:
      return power(x, y)
    case .call(.powBase):
      // An exponent that became a constant: the reverse pass's own form.
      guard let c = constant(y) else { break }
      return c == 0 ? make(.constant(0)) : make(.mul, y, power(x, make(.constant(c - 1))))
    case .select:
      // A condition known at compile time picks its branch; a branch that
      // selects on the same condition again takes its own side (`c ? (c ? u
      // : v) : w` is `c ? u : w`); equal branches need no choice.
      if let c = constant(x) { return c != 0 ? y : i.third }
      let taken = op(y) == .select && b.kernel[y].lhs == x ? b.kernel[y].rhs : y
      let other =
        op(i.third) == .select && b.kernel[i.third].lhs == x ? b.kernel[i.third].third : i.third
      return taken == other ? taken : make(.select, x, taken, other)
    case .constant, .load, .index, .call:
      break
    }
    return make(i.op, x, y)
  }

  /// `x ^ y`, with the rewrites for a constant exponent.
  private mutating func power(_ x: ValueID, _ y: ValueID) -> ValueID {
    switch constant(y) {
    case 0?: make(.constant(1))
    case 1?: x
    case 2?: make(.mul, x, x)
    case (-1)?: make(.div, make(.constant(1)), x)
    default: make(.pow, x, y)
    }
  }

  /// For a product or quotient with one negated factor, `(-a)·b`, the same
  /// without the sign, `a·b`: `x + (-a)·b` is exactly `x - a·b`.
  private mutating func positive(_ v: ValueID) -> ValueID? {
    let i = b.kernel[v]
    guard i.op == .mul || i.op == .div else { return nil }
    let lhsNegated = op(i.lhs) == .neg
    let rhsNegated = op(i.rhs) == .neg
    guard lhsNegated != rhsNegated else { return nil }
    return lhsNegated
      ? make(i.op, b.kernel[i.lhs].lhs, i.rhs) : make(i.op, i.lhs, b.kernel[i.rhs].lhs)
  }

  /// Folds constants, then finds or appends the instruction (a select's
  /// third operand is `z`).
  private mutating func make(
    _ op: Op, _ x: ValueID = .none, _ y: ValueID = .none, _ z: ValueID = .none
  ) -> ValueID {
    if (1...2).contains(op.arity), let a = constant(x), op.arity == 1 || constant(y) != nil {
      let value = op.apply(a, constant(y) ?? 0)
      if value.isFinite { return make(.constant(value)) }
    }
    let key = ValueKey(op, x, y, z)
    let (found, slot) = table.find(key, in: b.kernel.instructions)
    if let found { return found }
    let value = b.emit(op, x, y, z)
    table.insert(value, key, at: slot)
    return value
  }
}
