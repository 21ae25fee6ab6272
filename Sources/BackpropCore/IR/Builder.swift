/// Appends instructions to a program. Lowering uses it for the forward sweep
/// and the derivative rules for the adjoint sweep; every instruction it makes
/// carries the builder's current source range, owner and role.
public struct Builder {
  public var program: Program
  public var range = SourceRange(0, 0)
  public var owner: Int32 = -1
  public var role = Role.forward

  public init(_ program: Program) {
    self.program = program
  }

  @discardableResult
  public mutating func emit(_ op: Op, _ lhs: ValueID = .none, _ rhs: ValueID = .none) -> ValueID {
    program.instructions.append(
      Instruction(op: op, lhs: lhs, rhs: rhs, range: range, owner: owner, role: role, name: nil))
    return ValueID(program.instructions.count - 1)
  }

  public mutating func constant(_ c: Double) -> ValueID { emit(.constant(c)) }
  public mutating func neg(_ a: ValueID) -> ValueID { emit(.neg, a) }
  public mutating func add(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.add, a, b) }
  public mutating func sub(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.sub, a, b) }
  public mutating func mul(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.mul, a, b) }
  public mutating func div(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.div, a, b) }
  public mutating func pow(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.pow, a, b) }
  public mutating func call(_ f: Builtin, _ a: ValueID, _ b: ValueID = .none) -> ValueID {
    emit(.call(f), a, b)
  }

  /// Whether a value is a constant, and which.
  public func constantValue(_ v: ValueID) -> Double? {
    if v != .none, case .constant(let c) = program[v].op { return c }
    return nil
  }
}
