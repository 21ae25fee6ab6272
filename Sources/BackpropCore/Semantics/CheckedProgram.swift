/// A syntax tree whose names are resolved: what the checker hands to lowering.
public struct CheckedProgram: Sendable {
  public var tree: SyntaxTree
  /// Leaves first (in order of first appearance), then defined names in
  /// definition order.
  public var symbols: [Symbol]
  public var leafCount: Int
  /// Output symbols, in output order.
  public var outputs: [Int]
  /// For each expression of the arena that is a `.name`: its symbol; else -1.
  public var references: [Int32]
  /// For each statement: the non-leaf symbol it defines, or -1 (declarations,
  /// `output`, and literal definitions, whose symbol is a leaf).
  public var definitions: [Int32]
}
