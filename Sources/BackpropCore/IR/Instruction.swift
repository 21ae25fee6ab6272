import Foundation

/// A value of the IR: the index of the instruction that computes it, within
/// its kernel's body.
struct ValueID: Hashable, Comparable, Sendable {
  var index: Int32

  init(_ index: Int) { self.index = Int32(truncatingIfNeeded: index) }

  /// Stands for "no operand" in the unused operand slots of an instruction.
  static let none = ValueID(-1)

  var int: Int { Int(index) }
  static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

/// What an instruction computes. Every value is an IEEE-754 binary64 scalar,
/// computed once per point of its kernel's loop nest.
enum Op: Hashable, Sendable {
  /// %r = const c            r := c (finite, but for the -∞ a logsumexp's
  ///                         maximum starts from)
  case constant(Double)
  /// %r = load a             r := the element of the kernel's access a (an
  ///                         array and its subscripts) at this point; for a
  ///                         scalar leaf, printed `leaf x`
  case load(Int)
  /// %r = index l            r := the value of the kernel's loop l (0 outermost),
  ///                         as a binary64: an index used as a value (SPEC §7.5),
  ///                         with no derivative
  case index(Int)
  /// %r = copy %a            r := a; gives `B = A` its own node, so ∂/∂B and
  ///                         ∂/∂A stay distinct partials; the simplifier removes it
  case copy
  /// %r = neg %a             r := -a
  case neg
  /// %r = add %a, %b         r := a + b
  case add
  /// %r = sub %a, %b         r := a - b
  case sub
  /// %r = mul %a, %b         r := a * b
  case mul
  /// %r = div %a, %b         r := a / b
  case div
  /// %r = pow %a, %b         r := a ^ b (C's pow)
  case pow
  /// %r = call f(%a[, %b])   r := f(a[, b]), a row of the ``Builtin`` table
  case call(Builtin)
  /// %r = select %c, %a, %b  r := c ≠ 0 ? a : b, `where` (SPEC §7.6); its
  ///                         third operand is ``Instruction/third``
  case select

  /// How many operands the instruction reads.
  var arity: Int {
    switch self {
    case .constant, .load, .index: 0
    case .copy, .neg: 1
    case .add, .sub, .mul, .div, .pow: 2
    case .call(let builtin): builtin.arity
    case .select: 3
    }
  }

  /// `a op b == b op a` exactly in IEEE arithmetic, so CSE may order
  /// operands. No builtin qualifies: `fmax(-0, 0)` may differ from `fmax(0, -0)`.
  var isCommutative: Bool {
    switch self {
    case .add, .mul: true
    case .constant, .load, .index, .copy, .neg, .sub, .div, .pow, .call, .select: false
    }
  }

  /// The value of the op on operand values. The constant folder and the
  /// interpreter both use it, so folding and running can never disagree.
  /// A select, with three operands, is run by ``select(_:_:_:)``.
  /// A load or an index has no value without memory or a loop: the
  /// interpreter reads it.
  @inline(__always)
  func apply(_ a: Double, _ b: Double) -> Double {
    switch self {
    case .constant(let c): c
    case .load, .index: .nan
    case .copy: a
    case .neg: -a
    case .add: a + b
    case .sub: a - b
    case .mul: a * b
    case .div: a / b
    case .pow: Foundation.pow(a, b)
    case .call(let builtin): builtin.spec.value(a, b)
    case .select: .nan
    }
  }

  /// `where`'s value: `a` where the condition holds, else `b`.
  @inline(__always)
  static func select(_ c: Double, _ a: Double, _ b: Double) -> Double { c != 0 ? a : b }
}

/// Which sweep of the gradient program an instruction belongs to.
enum Role: Hashable, Sendable {
  /// computes a value of the program
  case forward
  /// computes part of the adjoint ∂O/∂(something), O the output's symbol index
  case adjoint(output: Int)
}

/// One SSA instruction: an op, up to three operands, and where it came from.
struct Instruction: Sendable {
  var op: Op
  var lhs: ValueID
  var rhs: ValueID
  /// A select's third operand (its value where the condition fails); `.none` otherwise.
  var third: ValueID = .none
  /// The source text this instruction computes (for an adjoint, the
  /// expression whose derivative rule made it).
  var range: SourceRange
  /// The statement's symbol (the name it defines), or -1: the owner names the
  /// temporaries emitters have to introduce, so they read `E_1`, not `t17`.
  var owner: Int32
  // Role and name in 32-bit words, so an instruction is 48 bytes, not 72:
  // a pass over a million of them touches a third less memory.
  /// The output of an adjoint's role, or -1 for the forward sweep.
  private var roleOutput: Int32
  /// -2: no name; -1: `.variable(nameSymbol)`; o ≥ 0: `.adjoint(output: o, of: nameSymbol)`;
  /// -3: its tangent; -4 - o: the tangent of the adjoint.
  private var nameOutput: Int32
  private var nameSymbol: Int32

  init(
    op: Op, lhs: ValueID, rhs: ValueID, range: SourceRange, owner: Int32, role: Role,
    name: ValueName?
  ) {
    self.op = op
    self.lhs = lhs
    self.rhs = rhs
    self.range = range
    self.owner = owner
    (roleOutput, nameOutput, nameSymbol) = (-1, -2, 0)
    self.role = role
    self.name = name
  }

  var role: Role {
    get { roleOutput < 0 ? .forward : .adjoint(output: Int(roleOutput)) }
    set {
      switch newValue {
      case .forward: roleOutput = -1
      case .adjoint(let output): roleOutput = Int32(output)
      }
    }
  }

  /// The source name this value carries, if any.
  var name: ValueName? {
    get {
      switch nameOutput {
      case -2: nil
      case -1: .variable(Int(nameSymbol))
      case -3: .tangent(of: .variable(Int(nameSymbol)))
      case ..<(-3): .tangent(of: .adjoint(output: Int(-4 - nameOutput), of: Int(nameSymbol)))
      default: .adjoint(output: Int(nameOutput), of: Int(nameSymbol))
      }
    }
    set {
      switch newValue {
      case nil: (nameOutput, nameSymbol) = (-2, 0)
      case .variable(let s)?: (nameOutput, nameSymbol) = (-1, Int32(s))
      case .adjoint(let o, let s)?: (nameOutput, nameSymbol) = (Int32(o), Int32(s))
      case .tangent(.variable(let s))?: (nameOutput, nameSymbol) = (-3, Int32(s))
      case .tangent(.adjoint(let o, let s))?: (nameOutput, nameSymbol) = (Int32(-4 - o), Int32(s))
      case .tangent(.tangent)?: preconditionFailure("a tangent is taken once")
      }
    }
  }

  /// The operands the op reads, without allocating (every pass asks).
  var operands: Operands { Operands(lhs: lhs, rhs: rhs, third: third, count: op.arity) }
}

/// An instruction's zero to three operands, as a collection.
struct Operands: RandomAccessCollection {
  let lhs: ValueID
  let rhs: ValueID
  let third: ValueID
  let count: Int

  var startIndex: Int { 0 }
  var endIndex: Int { count }
  subscript(position: Int) -> ValueID { position == 0 ? lhs : position == 1 ? rhs : third }
}

/// A name a value carries into diagnostics and generated code.
enum ValueName: Hashable, Sendable {
  /// the value of the program's symbol with this index
  case variable(Int)
  /// ∂(symbol `output`)/∂(symbol `of`)
  case adjoint(output: Int, of: Int)
  /// the tangent of a named value (SPEC §8, ``Tangent``)
  indirect case tangent(of: ValueName)
}

extension ValueName {
  /// Whether this names a symbol's value (not an adjoint).
  var isVariable: Bool {
    switch self {
    case .variable: true
    case .adjoint, .tangent: false
    }
  }
}
