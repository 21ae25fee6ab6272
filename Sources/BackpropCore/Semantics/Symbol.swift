/// A named thing of the program: a leaf or a defined variable.
public struct Symbol: Sendable {
  public var name: String
  /// Where it is defined or declared; for a free leaf, its first use.
  public var range: SourceRange
  /// Set for leaves: how the leaf came to be, and its default value.
  public var leaf: LeafKind?
  /// A scalar's default, or the number that fills an array.
  public var defaultValue: Double?
  /// An array's default as a list, row-major.
  public var defaultElements: [Double]?
  /// A param's random start.
  public var initializer: Initializer?
  /// The extents, outermost first; `[]` for a scalar.
  public var shape: [Int] = []

  public init(name: String, range: SourceRange, leaf: LeafKind? = nil, defaultValue: Double? = nil)
  {
    self.name = name
    self.range = range
    self.leaf = leaf
    self.defaultValue = defaultValue
  }

  public var isLeaf: Bool { leaf != nil }
  /// The number of elements: 1 for a scalar.
  public var size: Int { shape.reduce(1, *) }
}
