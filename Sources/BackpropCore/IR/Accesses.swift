/// What an access covers and in which order, as the schedule, the printer
/// and the reverse pass ask it: which loops its subscripts follow, how deep
/// in the nest it must be read, whether it picks a distinct element at
/// every point. Each question is a switch over every kind of subscript, so
/// a new kind (§7's affine `i + 1`) is handled here, once.
extension Subscript {
  /// The loop whose index this subscript is, if it is one alone.
  var loop: Int? {
    switch self {
    case .loop(let l): l
    case .constant, .affine: nil
    }
  }

  /// The loops whose indices it uses.
  var loopsUsed: [Int] {
    switch self {
    case .loop(let l): [l]
    case .constant: []
    case .affine(let terms, _): terms.map(\.index)
    }
  }

  /// The same subscript in a nest with `count` more loops outside.
  func shifted(by count: Int) -> Subscript {
    switch self {
    case .loop(let l): .loop(l + count)
    case .constant: self
    case .affine(let terms, let offset):
      .affine(
        terms.map { AffineTerm(index: $0.index + count, coefficient: $0.coefficient) },
        offset: offset)
    }
  }
}

extension Access {
  /// The loops the subscripts are alone, in subscript order (repeats kept).
  var loops: [Int] { subscripts.compactMap(\.loop) }

  /// The depth of the nest at which the element is known: one more than the
  /// innermost loop it follows (0: outside every loop).
  var depth: Int { (subscripts.flatMap(\.loopsUsed).max() ?? -1) + 1 }

  /// Whether it picks a different element at every point of the nest
  /// `loops`, and every element of an array of `shape` once: one plain
  /// subscript per loop, each a distinct loop over the whole dimension (a
  /// gather; its adjoint may be assigned, not accumulated).
  func coversEveryPoint(of loops: [Loop], shape: [Int]) -> Bool {
    let plain = self.loops
    guard subscripts.count == loops.count, plain.count == loops.count,
      Set(plain).count == loops.count
    else { return false }
    return zip(plain, shape).allSatisfy { loops[$0].lower == 0 && loops[$0].extent == $1 }
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
  var followsInnerLoop: Bool { subscripts.contains { $0.loopsUsed.contains { $0 > 0 } } }

  /// The same access in a nest with `count` more loops outside.
  func shifted(by count: Int) -> Access {
    Access(array, subscripts.map { $0.shifted(by: count) })
  }
}
