/// Appends instructions to a kernel. Lowering uses it for the forward sweep
/// and the reverse pass for the adjoint sweep; every instruction it makes
/// carries the builder's current source range, owner and role.
public struct Builder {
  public var kernel: Kernel
  public var range = SourceRange(0, 0)
  public var owner: Int32 = -1
  public var role = Role.forward
  /// Each access's index in the kernel's list, so an element is listed once.
  private var accessIndex: [Access: Int] = [:]

  public init(_ kernel: Kernel) {
    self.kernel = kernel
    for (i, access) in kernel.accesses.enumerated() { accessIndex[access] = i }
  }

  @discardableResult
  public mutating func emit(_ op: Op, _ lhs: ValueID = .none, _ rhs: ValueID = .none) -> ValueID {
    kernel.instructions.append(
      Instruction(op: op, lhs: lhs, rhs: rhs, range: range, owner: owner, role: role, name: nil))
    return ValueID(kernel.instructions.count - 1)
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

  /// The index of an access in the kernel's list, added on first use.
  public mutating func access(_ access: Access) -> Int {
    if let index = accessIndex[access] { return index }
    kernel.accesses.append(access)
    accessIndex[access] = kernel.accesses.count - 1
    return kernel.accesses.count - 1
  }

  /// Reads an element.
  public mutating func load(_ element: Access) -> ValueID {
    emit(.load(access(element)))
  }

  /// Writes an element at each point of the nest.
  public mutating func store(_ element: Access, _ value: ValueID, mode: StoreMode = .assign) {
    kernel.stores.append(Store(access: access(element), value: value, mode: mode))
  }

  /// Whether a value is a constant, and which.
  public func constantValue(_ v: ValueID) -> Double? {
    if v != .none, case .constant(let c) = kernel[v].op { return c }
    return nil
  }
}
