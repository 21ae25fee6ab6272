/// Appends instructions to a kernel. Lowering uses it for the forward sweep
/// and the reverse pass for the adjoint sweep; every instruction it makes
/// carries the builder's current source range, owner and role.
struct Builder {
  var kernel: Kernel
  var range = SourceRange(0, 0)
  var owner: Int32 = -1
  var role = Role.forward
  /// The index of each element the body loads, so one element is one
  /// access (and CSE merges its loads); built on the first load.
  private var loadIndex: [Access: Int]?

  init(_ kernel: Kernel) {
    self.kernel = kernel
  }

  /// Appends an instruction; `third` is a select's third operand.
  @discardableResult
  mutating func emit(
    _ op: Op, _ lhs: ValueID = .none, _ rhs: ValueID = .none, _ third: ValueID = .none
  ) -> ValueID {
    var instruction = Instruction(
      op: op, lhs: lhs, rhs: rhs, range: range, owner: owner, role: role, name: nil)
    instruction.third = third
    kernel.instructions.append(instruction)
    return ValueID(kernel.instructions.count - 1)
  }

  mutating func constant(_ c: Double) -> ValueID { emit(.constant(c)) }
  /// `c ≠ 0 ? a : b`.
  mutating func select(_ c: ValueID, _ a: ValueID, _ b: ValueID) -> ValueID {
    emit(.select, c, a, b)
  }
  mutating func neg(_ a: ValueID) -> ValueID { emit(.neg, a) }
  mutating func add(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.add, a, b) }
  mutating func sub(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.sub, a, b) }
  mutating func mul(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.mul, a, b) }
  mutating func div(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.div, a, b) }
  mutating func pow(_ a: ValueID, _ b: ValueID) -> ValueID { emit(.pow, a, b) }
  mutating func call(_ f: Builtin, _ a: ValueID, _ b: ValueID = .none) -> ValueID {
    emit(.call(f), a, b)
  }

  /// The index of a loaded element in the kernel's accesses, added on first use.
  mutating func loadAccess(_ access: Access) -> Int {
    if loadIndex == nil {
      var index: [Access: Int] = [:]
      for instruction in kernel.instructions {
        if case .load(let a) = instruction.op { index[kernel.accesses[a]] = a }
      }
      loadIndex = index
    }
    if let index = loadIndex?[access] { return index }
    kernel.accesses.append(access)
    loadIndex?[access] = kernel.accesses.count - 1
    return kernel.accesses.count - 1
  }

  /// Reads an element.
  mutating func load(_ element: Access) -> ValueID {
    emit(.load(loadAccess(element)))
  }

  /// Writes an element at each point of the nest. Each store has an access
  /// of its own.
  mutating func store(_ element: Access, _ value: ValueID, mode: StoreMode = .assign) {
    kernel.accesses.append(element)
    kernel.stores.append(Store(access: kernel.accesses.count - 1, value: value, mode: mode))
  }

  /// Whether a value is a constant, and which.
  func constantValue(_ v: ValueID) -> Double? {
    if v != .none, case .constant(let c) = kernel[v].op { return c }
    return nil
  }
}
