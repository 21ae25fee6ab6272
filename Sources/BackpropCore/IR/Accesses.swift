/// What an access covers and in which order, as the schedule, the printer
/// and the reverse pass ask it: which loops its subscripts follow, how deep
/// in the nest it must be read, whether it picks a distinct element at
/// every point. Each question is a switch over every kind of subscript, so
/// a new kind (§7's affine `i + 1`) is handled here, once.
extension Subscript {
  /// The loop whose index this subscript is, if it is one.
  var loop: Int? {
    switch self {
    case .loop(let l): l
    case .constant: nil
    }
  }

  /// The same subscript in a nest with `count` more loops outside.
  func shifted(by count: Int) -> Subscript {
    switch self {
    case .loop(let l): .loop(l + count)
    case .constant: self
    }
  }
}

extension Access {
  /// The loops the subscripts follow, in subscript order (repeats kept).
  var loops: [Int] { subscripts.compactMap(\.loop) }

  /// The depth of the nest at which the element is known: one more than the
  /// innermost loop it follows (0: outside every loop).
  var depth: Int { (loops.max() ?? -1) + 1 }

  /// Whether it picks a different element at every point of a nest of
  /// `count` loops, and every element once: one subscript per loop, each a
  /// distinct loop (a gather; its adjoint may be assigned, not accumulated).
  func coversEveryPoint(ofLoops count: Int) -> Bool {
    subscripts.count == count && Set(loops).count == count && loops.count == count
  }

  /// Whether it is `[l0, l1, …]` over all `count` loops of its nest, in
  /// order: the element of each point (a statement's own array).
  func isIdentity(ofLoops count: Int) -> Bool {
    subscripts.count == count && loops.elementsEqual(0..<count)
  }

  /// Whether its first subscript is the outermost loop: distinct iterations
  /// of that loop touch distinct rows (fusion and jamming ask).
  var isRowOfOuterLoop: Bool { subscripts.first?.loop == 0 }

  /// Whether it is exactly `[outer loop]`: a rank-1 array one iteration
  /// of the outer loop reads or writes alone.
  var isOuterLoopOnly: Bool { subscripts.count == 1 && isRowOfOuterLoop }

  /// Whether it follows some loop other than the outermost.
  var followsInnerLoop: Bool { loops.contains { $0 > 0 } }

  /// The same access in a nest with `count` more loops outside.
  func shifted(by count: Int) -> Access {
    Access(array, subscripts.map { $0.shifted(by: count) })
  }
}
