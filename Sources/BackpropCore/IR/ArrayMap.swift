/// A table keyed by array names, without hashing: a name is a kind and one
/// or two small numbers, so each kind (and each output's adjoints) is a row
/// indexed by its number. Passes ask it once per access of a program of a
/// million statements, where hashing an ``ArrayName`` cost more than the work.
struct ArrayMap<Value> {
  private var rows: [[Value?]] = []

  init() {}

  private static func place(_ array: ArrayName) -> (row: Int, column: Int) {
    switch array {
    case .variable(let s): (0, s)
    case .output(let o): (1, o)
    case .temporary(let k): (2, k)
    case .adjoint(let o, let s): (3 + 2 * o, s)
    case .temporaryAdjoint(let o, let k): (4 + 2 * o, k)
    }
  }

  subscript(array: ArrayName) -> Value? {
    get {
      let (row, column) = Self.place(array)
      guard row < rows.count, column < rows[row].count else { return nil }
      return rows[row][column]
    }
    set {
      let (row, column) = Self.place(array)
      if column >= (row < rows.count ? rows[row].count : 0) {
        guard newValue != nil else { return }
        if row >= rows.count { rows += repeatElement([], count: row + 1 - rows.count) }
        rows[row] += repeatElement(nil, count: column + 1 - rows[row].count)
      }
      rows[row][column] = newValue
    }
  }
}

/// A set of array names, kept as an ``ArrayMap``.
struct ArraySet {
  private var members = ArrayMap<Bool>()

  init() {}

  init(_ names: some Sequence<ArrayName>) {
    for name in names { insert(name) }
  }

  func contains(_ array: ArrayName) -> Bool { members[array] != nil }

  /// Adds `array`; whether it was new.
  @discardableResult
  mutating func insert(_ array: ArrayName) -> Bool {
    guard members[array] == nil else { return false }
    members[array] = true
    return true
  }
}
