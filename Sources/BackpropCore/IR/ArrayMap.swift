/// A table keyed by array names, without hashing: a name is a kind and one
/// or two small numbers, so each kind (and each output's adjoints) is a row
/// indexed by its number. Passes ask it once per access of a program of a
/// million statements, where hashing an ``ArrayName`` cost more than the work.
struct ArrayMap<Value> {
  private var rows: [[Value?]] = []

  init() {}

  /// An array's row and column; a tangent's row follows its array's (rows
  /// alternate between arrays and their tangents).
  private static func place(_ array: ArrayName) -> (row: Int, column: Int) {
    switch array {
    case .variable(let s): return (0, s)
    case .output(let o): return (2, o)
    case .temporary(let k): return (4, k)
    case .weight(let o): return (6, o)
    case .adjoint(let o, let s): return (8 + 4 * o, s)
    case .temporaryAdjoint(let o, let k): return (10 + 4 * o, k)
    case .tangent(let base):
      let (row, column) = place(base)
      return (row + 1, column)
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
