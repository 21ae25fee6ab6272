/// How one optimised kernel reads as code: which values get a local (and its
/// name), and how the others are written inline.
///
/// A value gets a local when it carries a source name (`A`, `dC_dB`), when it
/// is used more than once, or when inlining it would make an expression too
/// long to read; constants and single-use temporaries are written into their
/// user. Temporaries are named after the statement they come from (`E_1`,
/// `E_d1`), never `t17`.
struct FunctionPlan {
  let program: Program
  let kernel: Kernel
  let dialect: Dialect
  /// How the code names each of the kernel's accesses (`in[3]`, `h[j]`),
  /// then each of its loops' index as a value (`(double)i`).
  private(set) var elements: [String]
  /// The local's name, for values that have one.
  private(set) var local: [String?]
  /// Every helper function the code calls.
  private(set) var helpers: [Builtin] = []

  /// The most operators one inlined expression may hold.
  static let inlineLimit = 6

  /// Each stored value counts as a use. `names` holds the names the
  /// function already uses; a value with `needsLocal` set gets a local even
  /// when used once (it is computed outside a loop that uses it); one with
  /// `inline` set never does (its element is a name already).
  init(
    _ program: Program, _ kernel: Kernel, dialect: Dialect, elements: [String],
    names: inout NameTable, needsLocal: [Bool]? = nil, inline: [Bool]? = nil
  ) {
    self.program = program
    self.kernel = kernel
    self.dialect = dialect
    self.elements = elements
    let hasLocal = Self.locals(kernel, needsLocal: needsLocal, inline: inline)
    local = Array(repeating: nil, count: kernel.instructions.count)
    // Source names first, so a temporary can never take a user's name.
    for (i, instruction) in kernel.instructions.enumerated() where hasLocal[i] {
      if let name = instruction.name {
        local[i] = names.claim(dialect.legal(program.displayName(name)))
      }
    }
    // A comparison read only as an inlined select's condition is written
    // in place (`x > 0.0 ? … : …`); any other use calls its helper.
    var readAsValue = [Bool](repeating: false, count: kernel.instructions.count)
    for instruction in kernel.instructions {
      for (position, operand) in instruction.operands.enumerated()
      where operand != .none && !(instruction.op == .select && position == 0) {
        readAsValue[operand.int] = true
      }
    }
    for store in kernel.stores { readAsValue[store.value.int] = true }
    var helperSet = Set<Builtin>()
    for (i, instruction) in kernel.instructions.enumerated() {
      if case .call(let builtin) = instruction.op, case .helper = dialect.spelling(builtin),
        builtin.comparison == nil || hasLocal[i] || readAsValue[i]
      {
        if helperSet.insert(builtin).inserted { helpers.append(builtin) }
      }
      if hasLocal[i] && local[i] == nil {
        local[i] = names.temporary(dialect.legal(Self.temporaryBase(instruction, program)))
      }
    }
    helpers.sort { $0.rawValue < $1.rawValue }
  }

  /// Which values get a local: those with a source name, those used more
  /// than once (a store counts as a use), those whose inlined expression
  /// would hold more than ``inlineLimit`` operators, and those `needsLocal`
  /// asks for; never a constant, nor a value `inline` marks. The parts of a
  /// long body are counted by it (``ArrayParts``), so a part holds what it prints.
  static func locals(_ kernel: Kernel, needsLocal: [Bool]? = nil, inline: [Bool]? = nil) -> [Bool] {
    let count = kernel.instructions.count
    var uses = [UInt8](repeating: 0, count: count)
    for instruction in kernel.instructions {
      for operand in instruction.operands where uses[operand.int] < 2 { uses[operand.int] += 1 }
    }
    for store in kernel.stores where uses[store.value.int] < 2 { uses[store.value.int] += 1 }
    var local = [Bool](repeating: false, count: count)
    var size = [Int](repeating: 0, count: count)
    for (i, instruction) in kernel.instructions.enumerated() {
      if Self.isConstant(instruction) { continue }
      if instruction.name != nil {
        local[i] = true
        continue
      }
      if inline?[i] == true { continue }
      size[i] = 1 + instruction.operands.reduce(0) { $0 + (local[$1.int] ? 0 : size[$1.int]) }
      local[i] = uses[i] > 1 || size[i] > Self.inlineLimit || needsLocal?[i] == true
    }
    return local
  }

  /// The same plan over other elements, each local renamed by `rename`
  /// (index, name): a jammed row of a loop (``KernelBody``).
  func variant(elements: [String], rename: (Int, String) -> String) -> FunctionPlan {
    var copy = self
    copy.elements = elements
    for i in local.indices { if let name = local[i] { copy.local[i] = rename(i, name) } }
    return copy
  }

  private static func isConstant(_ instruction: Instruction) -> Bool {
    if case .constant = instruction.op { return true }
    return false
  }

  /// Pieces of statement `E` are `E_1`, `E_2`, … in the forward sweep and
  /// `E_d1`, `E_d2`, … in the backward sweep (its local derivatives), so no
  /// temporary can be mistaken for an adjoint `dO_dV`.
  private static func temporaryBase(_ instruction: Instruction, _ program: Program) -> String {
    let owner = instruction.owner >= 0 ? program.symbols[Int(instruction.owner)].name : "value"
    switch instruction.role {
    case .forward: return owner + "_"
    case .adjoint: return owner + "_d"
    }
  }

  // MARK: - Printing expressions

  /// Binding strength when printed, C and Swift alike.
  private enum Level: Int, Comparable {
    case conditional = 0
    case sum
    case product, prefix, primary
    static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
  }

  /// The text of a value: its local's name, or its expression.
  func text(_ v: ValueID) -> String {
    var out = ""
    write(v, into: &out)
    return out
  }

  /// The expression that defines a value (even when it has a local).
  func definition(_ v: ValueID) -> String {
    var out = ""
    writeExpression(v, into: &out)
    return out
  }

  /// Appends ``text(_:)``: the printers build each line in place, without
  /// a string per subexpression.
  func write(_ v: ValueID, into out: inout String) {
    if let name = local[v.int] { out += name } else { writeExpression(v, into: &out) }
  }

  /// Appends ``definition(_:)``.
  func writeExpression(_ v: ValueID, into out: inout String) {
    let instruction = kernel[v]
    let x = instruction.lhs
    let y = instruction.rhs
    switch instruction.op {
    case .constant(let c):
      out += dialect.literal(c)
    case .load(let a):
      out += elements[a]
    case .index(let l):
      // The loops' texts follow the accesses' (see ``init``).
      out += elements[kernel.accesses.count + l]
    case .copy:
      write(x, into: &out)
    case .neg:
      // `-(-x)` and `-(a * b)`: the parentheses keep the meaning and `--`.
      out += "-"
      write(x, wrapped: level(x) < .primary || startsWithMinus(x), into: &out)
    case .add: binary(x, " + ", y, .sum, into: &out)
    case .sub: binary(x, " - ", y, .sum, into: &out)
    case .mul: binary(x, " * ", y, .product, into: &out)
    case .div: binary(x, " / ", y, .product, into: &out)
    case .pow:
      out += dialect.powerFunction
      out += "("
      write(x, into: &out)
      out += ", "
      write(y, into: &out)
      out += ")"
    case .call(let builtin):
      out += dialect.call(builtin)
      out += "("
      write(x, into: &out)
      if builtin.arity > 1 {
        out += ", "
        write(y, into: &out)
      }
      out += ")"
    case .select:
      // `x > 0.0 ? sqrt(x) : 0.0`: an inlined comparison is the condition
      // itself; any other condition value is compared with 0.
      if local[x.int] == nil, case .call(let f) = kernel[x].op, let op = f.comparison {
        write(kernel[x].lhs, wrapped: level(kernel[x].lhs) < .sum, into: &out)
        out += " \(op.rawValue) "
        write(kernel[x].rhs, wrapped: level(kernel[x].rhs) < .sum, into: &out)
      } else {
        write(x, wrapped: level(x) < .sum, into: &out)
        out += " != " + dialect.literal(0)
      }
      out += " ? "
      write(y, wrapped: level(y) == .conditional, into: &out)
      out += " : "
      write(instruction.third, wrapped: level(instruction.third) == .conditional, into: &out)
    }
  }

  private func write(_ v: ValueID, wrapped: Bool, into out: inout String) {
    if wrapped { out += "(" }
    write(v, into: &out)
    if wrapped { out += ")" }
  }

  /// Left-associative printing: the right operand is parenthesised at equal
  /// strength, because floating-point `a + (b + c)` is not `a + b + c`.
  private func binary(
    _ x: ValueID, _ op: String, _ y: ValueID, _ level: Level, into out: inout String
  ) {
    write(x, wrapped: self.level(x) < level, into: &out)
    out += op
    write(y, wrapped: self.level(y) <= level, into: &out)
  }

  /// How strongly a value's text binds.
  private func level(_ v: ValueID) -> Level {
    if local[v.int] != nil { return .primary }
    switch kernel[v].op {
    case .constant(let c): return c.sign == .minus ? .prefix : .primary
    case .load, .index, .pow, .call: return .primary
    case .select: return .conditional
    case .copy: return level(kernel[v].lhs)
    case .neg: return .prefix
    case .add, .sub: return .sum
    case .mul, .div: return .product
    }
  }

  /// Whether a value's text starts with `-`.
  private func startsWithMinus(_ v: ValueID) -> Bool {
    if local[v.int] != nil { return false }
    let instruction = kernel[v]
    switch instruction.op {
    case .constant(let c): return dialect.literal(c).hasPrefix("-")
    case .load(let a): return elements[a].hasPrefix("-")
    case .index: return false
    case .copy: return startsWithMinus(instruction.lhs)
    case .neg: return true
    case .add, .sub: return level(instruction.lhs) >= .sum && startsWithMinus(instruction.lhs)
    case .mul, .div: return level(instruction.lhs) >= .product && startsWithMinus(instruction.lhs)
    case .pow, .call: return false
    case .select:
      // Its condition comes first.
      let c = instruction.lhs
      if local[c.int] == nil, case .call(let f) = kernel[c].op, f.comparison != nil {
        return startsWithMinus(kernel[c].lhs)
      }
      return startsWithMinus(c)
    }
  }
}

/// The names one generated function uses, so none is taken twice: source
/// names as they come, then temporaries numbered per statement (`E_1`, `E_2`).
struct NameTable {
  private var used = Set<String>()
  private var counters: [String: Int] = [:]

  init() {}

  /// Room for about `capacity` names, so a long function's table is not
  /// rehashed as it grows.
  init(capacity: Int) {
    used.reserveCapacity(capacity)
  }

  /// `wanted`, or `wanted_2`, `wanted_3`, … when it is taken.
  mutating func claim(_ wanted: String) -> String {
    if used.insert(wanted).inserted { return wanted }
    var k = 2
    while !used.insert("\(wanted)_\(k)").inserted { k += 1 }
    return "\(wanted)_\(k)"
  }

  /// The next temporary of a statement: `E_1`, `E_2`, … (`base` is `E_`).
  mutating func temporary(_ base: String) -> String {
    let k = (counters[base] ?? 0) + 1
    counters[base] = k
    return claim("\(base)\(k)")
  }

  func contains(_ name: String) -> Bool { used.contains(name) }
}
