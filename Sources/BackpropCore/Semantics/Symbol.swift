/// A named thing of the program: a leaf or a defined variable.
public struct Symbol: Sendable {
  var name: String
  /// Where it is defined or declared; for a free leaf, its first use.
  var range: SourceRange
  /// Set for leaves: how the leaf came to be, and its default value.
  var leaf: LeafKind?
  /// A scalar's default, or the number that fills an array.
  public var defaultValue: Double?
  /// An array's default as a list, row-major.
  var defaultElements: [Double]?
  /// A param's random start.
  var initializer: Initializer?
  /// The extents, outermost first; `[]` for a scalar.
  var shape: [Int] = []

  init(name: String, range: SourceRange, leaf: LeafKind? = nil, defaultValue: Double? = nil) {
    self.name = name
    self.range = range
    self.leaf = leaf
    self.defaultValue = defaultValue
  }

  var isLeaf: Bool { leaf != nil }
  /// The number of elements: 1 for a scalar.
  var size: Int { shape.reduce(1, *) }
}
