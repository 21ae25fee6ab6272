import Foundation

@testable import BackpropCore

/// A random program with arrays, kept as a tree so the test can print it two
/// ways: in index notation for the compiler, and unrolled into one scalar
/// statement per element for the scalar compiler, an independent path that
/// the scalar differential suite already holds to finite differences.
struct ArrayProgram {
  /// An index running over `lower..<extent`.
  struct Index {
    var name: String
    var extent: Int
    var lower = 0
  }

  enum Subscript {
    case index(String)
    case constant(Int)
    /// Σ coefficient·index + constant (SPEC §7.1): `i + 1`, `2*i + k`, `k - 1`
    case affine([(name: String, coefficient: Int)], Int)
  }

  indirect enum Expression {
    case number(Double)
    case reference(String, [Subscript])
    /// An index used as a value (SPEC §7.5): its whole number
    case indexValue(String)
    /// An operator or scalar builtin: the template's `$0` and `$1` are the operands.
    case apply(String, [Expression])
    /// `sum(i, j, e)` or `logsumexp(i, j, e)`: the first index outermost.
    case reduction(logsumexp: Bool, indices: [Index], body: Expression)
  }

  enum Kind: String { case input, param, plain }

  struct Leaf {
    var name: String
    var kind: Kind
    var shape: [Int]
    /// The whole declaration, as the program writes it.
    var declaration: String
  }

  struct Statement {
    var name: String
    var left: [Index]
    var body: Expression
  }

  var leaves: [Leaf]
  var statements: [Statement]
  var outputs: [String]
  /// Statements separated by newlines or by `;`.
  var separator: String

  /// The program in index notation.
  var source: String {
    var lines = leaves.map(\.declaration)
    for statement in statements {
      let left =
        statement.left.isEmpty ? "" : "[" + statement.left.map(\.name).joined(separator: ", ") + "]"
      lines.append("\(statement.name)\(left) = \(Self.text(statement.body))")
    }
    lines.append("output " + outputs.joined(separator: ", "))
    return lines.joined(separator: separator) + "\n"
  }

  static func text(_ e: Expression) -> String {
    switch e {
    case .number(let value):
      return NumberFormat.shortest(value)
    case .reference(let name, let subscripts):
      guard !subscripts.isEmpty else { return name }
      let list = subscripts.map { s -> String in
        switch s {
        case .index(let i): return i
        case .constant(let c): return String(c)
        case .affine(let terms, let c):
          let sum = terms.map { ($0.coefficient == 1 ? "" : "\($0.coefficient)*") + $0.name }
            .joined(separator: " + ")
          return sum + (c > 0 ? " + \(c)" : c < 0 ? " - \(-c)" : "")
        }
      }
      return "\(name)[\(list.joined(separator: ", "))]"
    case .indexValue(let name):
      return name
    case .apply(let template, let operands):
      return fill(template, operands.map(text))
    case .reduction(let logsumexp, let indices, let body):
      let names = indices.map(\.name).joined(separator: ", ")
      return "\(logsumexp ? "logsumexp" : "sum")(\(names), \(text(body)))"
    }
  }

  static func fill(_ template: String, _ operands: [String]) -> String {
    var result = template
    for (k, operand) in operands.enumerated() {
      result = result.replacingOccurrences(of: "$\(k)", with: operand)
    }
    return result
  }

  /// The name of one element in the unrolled program: `W1_1_0`, or `s`.
  static func elementName(_ name: String, _ point: [Int]) -> String {
    point.isEmpty ? name : name + "_" + point.map(String.init).joined(separator: "_")
  }

  /// Every point of a shape, row-major.
  static func points(_ shape: [Int]) -> [[Int]] {
    shape.reduce([[]]) { points, extent in points.flatMap { p in (0..<extent).map { p + [$0] } } }
  }

  /// The same program with every array written out as scalars, one statement
  /// per element: leaves in the same order with the values the compiler gave
  /// them (`values`, in layout order), each `sum` spelled as its fold in
  /// ascending order, each `logsumexp` as m + log(Σ exp(e − m)) with its terms
  /// and m as helper statements, and every output's elements in row-major order.
  func unrolled(leafValues values: [Double]) -> String {
    var lines: [String] = []
    var next = 0
    for leaf in leaves {
      let keyword = leaf.kind == .param ? "param" : "input"
      for point in Self.points(leaf.shape) {
        lines.append(
          "\(keyword) \(Self.elementName(leaf.name, point)) = \(NumberFormat.shortest(values[next]))"
        )
        next += 1
      }
    }
    var helpers = 0
    for statement in statements {
      for point in Self.points(statement.left.map(\.extent)) {
        var environment: [String: Int] = [:]
        for (index, value) in zip(statement.left, point) { environment[index.name] = value }
        let value = scalarText(statement.body, environment, &lines, &helpers)
        lines.append("\(Self.elementName(statement.name, point)) = \(value)")
      }
    }
    let shapes = Dictionary(
      uniqueKeysWithValues: leaves.map { ($0.name, $0.shape) }
        + statements.map { ($0.name, $0.left.map(\.extent)) })
    let elements = outputs.flatMap { name in
      Self.points(shapes[name] ?? []).map { Self.elementName(name, $0) }
    }
    lines.append("output " + elements.joined(separator: ", "))
    return lines.joined(separator: "\n") + "\n"
  }

  private func scalarText(
    _ e: Expression, _ environment: [String: Int], _ lines: inout [String], _ helpers: inout Int
  ) -> String {
    switch e {
    case .number(let value):
      return NumberFormat.shortest(value)
    case .reference(let name, let subscripts):
      let point = subscripts.map { s -> Int in
        switch s {
        case .index(let i): return environment[i]!
        case .constant(let c): return c
        case .affine(let terms, let c):
          return terms.reduce(c) { $0 + $1.coefficient * environment[$1.name]! }
        }
      }
      return Self.elementName(name, point)
    case .indexValue(let name):
      return String(environment[name]!)
    case .apply(let template, let operands):
      return Self.fill(template, operands.map { scalarText($0, environment, &lines, &helpers) })
    case .reduction(let logsumexp, let indices, let body):
      guard let index = indices.first else {
        return scalarText(body, environment, &lines, &helpers)
      }
      let inner: Expression =
        indices.count == 1
        ? body : .reduction(logsumexp: logsumexp, indices: Array(indices.dropFirst()), body: body)
      let terms = (index.lower..<index.extent).map { v -> String in
        var here = environment
        here[index.name] = v
        return scalarText(inner, here, &lines, &helpers)
      }
      guard logsumexp else { return "(" + terms.map { "(\($0))" }.joined(separator: " + ") + ")" }
      helpers += 1
      let q = "q\(helpers)"
      for (k, term) in terms.enumerated() { lines.append("\(q)_\(k) = \(term)") }
      let largest = (1..<terms.count).reduce("\(q)_0") { m, k in "max(\(m), \(q)_\(k))" }
      lines.append("\(q)_m = \(largest)")
      let sum = terms.indices.map { "exp(\(q)_\($0) - \(q)_m)" }.joined(separator: " + ")
      return "(\(q)_m + log(\(sum)))"
    }
  }
}

/// Builds random valid array programs: leaves of rank 0–3 over a few small
/// extents with every kind of default (lists, fills, initialisers, literal
/// leaves), and statements of rank 0–3 over every builtin, `sum` and
/// `logsumexp` over one or two indices nested two deep, with subscripts
/// drawn so every access pattern arises: transposes, diagonals and repeated
/// indices, outer products, broadcast scalars, constant subscripts, indices
/// missing from a read, and affine subscripts (SPEC §7.1): shifts, strides
/// and windows `2*i + k - 1`, and reduction indices that start above 0.
/// Valid by construction, with each index's range the one the compiler
/// finds (SPEC §7.2): every index has a plain use in a dimension of its
/// extent, one that starts at `lower` > 0 a read `x[k - lower]`, and every
/// affine subscript stays inside its dimension over the whole range.
struct ArrayProgramGenerator {
  var rng: SplitMix64
  private var arrays: [(name: String, shape: [Int])] = []
  private var extents: [Int] = []
  private var used: Set<String> = []
  /// Indices starting above 0 that have their `k - lower` read.
  private var lowered: Set<String> = []
  private var reductionDepth = 0

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  static let indexNames = ["i", "j", "k", "l", "m", "n", "p"]

  static let unary = [
    "-($0)", "($0)^2", "($0)^3", "(0.5 + ($0)^2)^-1", "exp(tanh($0))", "log(1.1 + ($0)^2)",
    "sqrt(0.5 + ($0)^2)", "sin($0)", "cos($0)", "tan(0.7 * tanh($0))", "tanh($0)", "sigmoid($0)",
    "relu($0)", "abs($0)", "softplus($0)", "asin(0.9 * tanh($0))", "acos(0.9 * tanh($0))",
    "atan($0)",
    "sinh(tanh($0))", "cosh(tanh($0))", "log1p(($0)^2)", "expm1(tanh($0))", "$0 * $0",
    // `where` (SPEC §7.6): the branch not taken would be NaN, and must not leak.
    "where($0 > 0, sqrt($0), 1 - $0)", "where($0 <= 0.25, ($0)^2, log($0))",
  ]
  static let binary = [
    "$0 + $1", "$0 - $1", "$0 * $1", "($0) / (1.5 + ($1)^2)", "pow(1.2 + ($0)^2, tanh($1))",
    "min($0, $1)", "max($0, $1)", "where($0 >= $1, $0 * $1, $1 - $0)",
    "where($0 != $1, ($0)^2, $1)",
  ]

  mutating func program() -> ArrayProgram {
    arrays = []
    used = []
    lowered = []
    reductionDepth = 0
    // Two or three extents per program, so indices meet dimensions they fit.
    var pool = [1, 2, 3, 4].shuffled(using: &rng)
    pool = Array(pool.prefix(Int.random(in: 2...3, using: &rng)))
    extents = pool
    var leaves: [ArrayProgram.Leaf] = []
    for l in 0..<Int.random(in: 1...4, using: &rng) {
      let rank =
        l == 0
        ? Int.random(in: 1...3, using: &rng)
        : [0, 0, 1, 1, 1, 2, 2, 2, 3].randomElement(using: &rng)!
      let shape = (0..<rank).map { _ in pool.randomElement(using: &rng)! }
      leaves.append(leaf("a\(l)", shape))
      arrays.append((leaves[l].name, shape))
    }
    extents = Array(Set(arrays.flatMap(\.shape))).sorted()
    var statements: [ArrayProgram.Statement] = []
    for s in 0..<Int.random(in: 1...6, using: &rng) {
      let rank = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3].randomElement(using: &rng)!
      let left = fresh(rank, avoiding: [])
      used = []
      var body = expression(left, depth: Int.random(in: 1...4, using: &rng))
      body = covering(left, body, left)
      let statement = ArrayProgram.Statement(name: "v\(s)", left: left, body: body)
      statements.append(statement)
      arrays.append((statement.name, left.map(\.extent)))
      extents = Array(Set(arrays.flatMap(\.shape))).sorted()
    }
    var outputs = [statements.last!.name]
    for _ in 0..<Int.random(in: 0...2, using: &rng) {
      let candidate = statements.randomElement(using: &rng)!.name
      if !outputs.contains(candidate) { outputs.append(candidate) }
    }
    if Int.random(in: 0..<10, using: &rng) == 0 { outputs.append(leaves[0].name) }
    outputs.shuffle(using: &rng)
    return ArrayProgram(
      leaves: leaves, statements: statements, outputs: outputs,
      separator: Int.random(in: 0..<4, using: &rng) == 0 ? "; " : "\n")
  }

  private mutating func number() -> String {
    NumberFormat.shortest((Double.random(in: -2...2, using: &rng) * 1000).rounded() / 1000)
  }

  private mutating func list(_ shape: [Int]) -> String {
    guard let first = shape.first else { return number() }
    let rest = Array(shape.dropFirst())
    return "[" + (0..<first).map { _ in list(rest) }.joined(separator: ", ") + "]"
  }

  private mutating func leaf(_ name: String, _ shape: [Int]) -> ArrayProgram.Leaf {
    guard !shape.isEmpty else {
      let kind = [ArrayProgram.Kind.input, .param, .plain].randomElement(using: &rng)!
      let prefix = kind == .plain ? "" : kind.rawValue + " "
      return .init(name: name, kind: kind, shape: [], declaration: "\(prefix)\(name) = \(number())")
    }
    let declared = "\(name)[\(shape.map(String.init).joined(separator: ", "))]"
    switch Int.random(in: 0..<8, using: &rng) {
    case 0:
      return .init(
        name: name, kind: .input, shape: shape, declaration: "input \(declared) = \(list(shape))")
    case 1:
      return .init(
        name: name, kind: .param, shape: shape, declaration: "param \(declared) = \(list(shape))")
    case 2:
      return .init(name: name, kind: .plain, shape: shape, declaration: "\(name) = \(list(shape))")
    case 3:
      return .init(
        name: name, kind: .input, shape: shape, declaration: "input \(declared) = \(number())")
    default:
      let initialiser = [
        "xavier", "he", "uniform(-1, 1.5)", "normal(0.25, 0.5)", "uniform(-0.5, 0.5)",
      ]
      .randomElement(using: &rng)!
      return .init(
        name: name, kind: .param, shape: shape, declaration: "param \(declared) = \(initialiser)")
    }
  }

  /// `count` index names not bound in `scope`, each with an extent some array has.
  private mutating func fresh(_ count: Int, avoiding scope: [ArrayProgram.Index]) -> [ArrayProgram
    .Index]
  {
    var free = Self.indexNames.filter { name in !scope.contains { $0.name == name } }.shuffled(
      using: &rng)
    return (0..<count).map { _ in
      ArrayProgram.Index(name: free.removeLast(), extent: extents.randomElement(using: &rng)!)
    }
  }

  /// A read of an array, recent ones likelier; each subscript an index of
  /// the scope with that dimension's extent (several dimensions may take the
  /// same index: a diagonal), or sometimes a constant.
  private mutating func operand(_ scope: [ArrayProgram.Index]) -> ArrayProgram.Expression {
    if Int.random(in: 0..<8, using: &rng) == 0 {
      return .number(Double(Int.random(in: 1...9, using: &rng)) / 4)
    }
    if let index = scope.randomElement(using: &rng), Int.random(in: 0..<12, using: &rng) == 0 {
      // A positional term: (i − 1)/2, so values stay small.
      return .apply("($0 - 1) / 2", [.indexValue(index.name)])
    }
    let k = arrays.count
    let back = Int(pow(Double.random(in: 0..<1, using: &rng), 2) * Double(k))
    let array = arrays[k - 1 - min(back, k - 1)]
    let subs = subscripts(array.shape, scope)
    markUsed(subs)
    return .reference(array.name, subs)
  }

  /// Notes the indices a read gives their range: plain ones their extent,
  /// `k - lower` (coefficient 1) a lower bound above 0.
  private mutating func markUsed(_ subs: [ArrayProgram.Subscript]) {
    for s in subs {
      switch s {
      case .index(let name): used.insert(name)
      case .affine(let terms, let c) where terms.count == 1 && terms[0].coefficient == 1 && c < 0:
        lowered.insert(terms[0].name + "-\(-c)")
      case .constant, .affine: break
      }
    }
  }

  private mutating func subscripts(_ shape: [Int], _ scope: [ArrayProgram.Index]) -> [ArrayProgram
    .Subscript]
  {
    shape.map { extent in
      let fitting = scope.filter { $0.extent == extent }
      let roll = Int.random(in: 0..<10, using: &rng)
      if roll < 2, let affine = affine(extent, scope) { return affine }
      if let index = fitting.randomElement(using: &rng), roll != 9 {
        return .index(index.name)
      }
      return .constant(Int.random(in: 0..<extent, using: &rng))
    }
  }

  /// An affine subscript of one or two indices of the scope that stays in
  /// `0..<extent` over their whole ranges and bounds neither more tightly
  /// than its range (so the compiler finds the ranges the generator chose),
  /// or nil when none fits.
  private mutating func affine(_ extent: Int, _ scope: [ArrayProgram.Index]) -> ArrayProgram
    .Subscript?
  {
    guard !scope.isEmpty else { return nil }
    let count = scope.count > 1 && Bool.random(using: &rng) ? 2 : 1
    let chosen = Array(scope.shuffled(using: &rng).prefix(count))
    let terms = chosen.map {
      (name: $0.name, coefficient: Int.random(in: 0..<4, using: &rng) == 0 ? 2 : 1)
    }
    let low = zip(chosen, terms).reduce(0) { $0 + $1.1.coefficient * $1.0.lower }
    let high = zip(chosen, terms).reduce(0) { $0 + $1.1.coefficient * ($1.0.extent - 1) }
    // The constant c keeps low + c ≥ 0 and high + c < extent.
    guard -low <= extent - 1 - high else { return nil }
    let c = Int.random(in: -low...(extent - 1 - high), using: &rng)
    // A lone index with coefficient 1 and no constant is a plain use, which
    // fixes the index's extent to the dimension's.
    if count == 1, terms[0].coefficient == 1, c == 0 {
      return chosen[0].extent == extent ? .index(chosen[0].name) : nil
    }
    return .affine(terms, c)
  }

  /// `body`, extended by a read of each index of `bindings` it does not
  /// subscript yet, so every binding has an extent.
  private mutating func covering(
    _ bindings: [ArrayProgram.Index], _ body: ArrayProgram.Expression, _ scope: [ArrayProgram.Index]
  ) -> ArrayProgram.Expression {
    var body = body
    for index in bindings where index.lower > 0 && !lowered.contains("\(index.name)-\(index.lower)")
    {
      // `x[k - lower]` in a dimension that holds the whole shifted range.
      let candidates = arrays.filter { $0.shape.contains { $0 >= index.extent - index.lower } }
      guard let array = candidates.randomElement(using: &rng) else { continue }
      var subs = subscripts(array.shape, scope)
      let dimensions = array.shape.indices.filter {
        array.shape[$0] >= index.extent - index.lower
      }
      subs[dimensions.randomElement(using: &rng)!] = .affine(
        [(name: index.name, coefficient: 1)], -index.lower)
      markUsed(subs)
      let read = ArrayProgram.Expression.reference(array.name, subs)
      body = .apply(Bool.random(using: &rng) ? "($0) * $1" : "$0 + $1", [body, read])
    }
    for index in bindings where !used.contains(index.name) {
      let candidates = arrays.filter { $0.shape.contains(index.extent) }
      let array = candidates.randomElement(using: &rng)!
      var subs = subscripts(array.shape, scope)
      let dimensions = array.shape.indices.filter { array.shape[$0] == index.extent }
      // A subscript drawn for another dimension may be a shift of this index.
      subs[dimensions.randomElement(using: &rng)!] = .index(index.name)
      markUsed(subs)
      let read = ArrayProgram.Expression.reference(array.name, subs)
      body = .apply(Bool.random(using: &rng) ? "($0) * $1" : "$0 + $1", [body, read])
    }
    return body
  }

  private mutating func expression(_ scope: [ArrayProgram.Index], depth: Int)
    -> ArrayProgram.Expression
  {
    guard depth > 0 else { return operand(scope) }
    let choice = Int.random(in: 0..<40, using: &rng)
    switch choice {
    case 0..<18:
      return .apply(Self.unary.randomElement(using: &rng)!, [expression(scope, depth: depth - 1)])
    case 18..<30:
      let a = expression(scope, depth: depth - 1)
      let b = Bool.random(using: &rng) ? operand(scope) : expression(scope, depth: depth - 1)
      return .apply(Self.binary.randomElement(using: &rng)!, [a, b])
    case 30..<37 where reductionDepth < 2 && scope.count < 5:
      var bound = fresh(Int.random(in: 0..<4, using: &rng) == 0 ? 2 : 1, avoiding: scope)
      // Sometimes a reduction starts above 0 (`sum(t, x[t] * x[t - 1])`).
      if bound[0].extent >= 2, Int.random(in: 0..<5, using: &rng) == 0 {
        bound[0].lower = Int.random(in: 1..<bound[0].extent, using: &rng)
      }
      let outer = used
      let outerLowered = lowered
      used = []
      lowered = []
      reductionDepth += 1
      var body = expression(scope + bound, depth: depth - 1)
      body = covering(bound, body, scope + bound)
      reductionDepth -= 1
      used = outer.union(used.subtracting(bound.map(\.name)))
      lowered = outerLowered.union(
        lowered.filter { entry in !bound.contains { entry.hasPrefix($0.name + "-") } })
      return .reduction(
        logsumexp: Int.random(in: 0..<4, using: &rng) == 0, indices: bound, body: body)
    default:
      return .apply("$0 * $1", [expression(scope, depth: depth - 1), operand(scope)])
    }
  }
}
