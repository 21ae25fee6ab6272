/// A syntax tree whose names are resolved: what the checker hands to lowering.
public struct CheckedProgram: Sendable {
  var tree: SyntaxTree
  /// Leaves first (in order of first appearance), then defined names in
  /// definition order.
  var symbols: [Symbol]
  var leafCount: Int
  /// Output symbols, in output order.
  var outputs: [Int]
  /// For each expression of the arena that is a `.name` or an `.element`:
  /// its symbol; else -1.
  var references: [Int32]
  /// For each statement: the non-leaf symbol it defines, or -1 (declarations,
  /// `output`, and literal definitions, whose symbol is a leaf).
  var definitions: [Int32]
  /// For each statement: the indices it binds, left side first, then each
  /// reduction's, in source order.
  var bindings: [[Binding]]
  /// For each `.element` expression: its subscripts, resolved.
  var subscripts: [Int: [ResolvedSubscript]]
  /// For each `.reduction` expression: the bindings (in its statement's list) it makes.
  var reductionBindings: [Int: [Int]]
  /// For each `.name` expression that is an index used as a value (SPEC §7.5):
  /// its binding (in its statement's list).
  var indexValues: [Int: Int] = [:]
}

/// An index of one statement: a left index (`h[j]`) or a reduction's.
struct Binding: Sendable {
  var name: String
  /// Where it is bound.
  var range: SourceRange
  /// It runs over `lower..<extent` (SPEC §7.2): `extent` is the extent of
  /// the dimensions it subscripts alone, or less where another subscript
  /// (`x[i + 1]`, `s[i + k]`) would leave its dimension.
  var extent: Int
  var lower = 0
}

/// A subscript after checking.
enum ResolvedSubscript: Sendable, Equatable {
  /// the statement's binding with this position in ``CheckedProgram/bindings``
  case binding(Int)
  case constant(Int)
  /// Σ coefficient·binding + constant: `i + k`, `t - 1` (SPEC §7.1)
  case affine([AffineTerm], constant: Int)

  /// The bindings it uses.
  var bindings: [Int] {
    switch self {
    case .binding(let b): [b]
    case .constant: []
    case .affine(let terms, _): terms.map(\.index)
    }
  }
}

/// One term of an affine subscript: an index (a binding's position in the
/// checked program, a loop's in the IR) times a coefficient ≥ 1.
struct AffineTerm: Hashable, Sendable {
  var index: Int
  var coefficient: Int
}
