/// Resolves names and checks the rules of SPEC §1 and §6 that the grammar
/// cannot: single assignment, definition before use, reserved names, known
/// functions and their arity, the choice of outputs; for arrays, shapes,
/// defaults, index scopes and extents, and the element limits.
public enum Checker {
  /// At most this many elements per array, and over all named variables.
  static let arrayLimit = 1 << 24
  static let programLimit = 1 << 26
  /// At most this many points in one statement's iteration space.
  static let iterationLimit = 1 << 32

  /// Checks a parsed program. The result is meaningful only when no error was
  /// added to `diagnostics`.
  public static func check(_ tree: SyntaxTree, into diagnostics: inout DiagnosticList)
    -> CheckedProgram
  {
    var pass = CheckPass(tree: tree)
    pass.collectDefinitions(&diagnostics)
    pass.resolve(&diagnostics)
    pass.chooseOutputs(&diagnostics)
    if !diagnostics.hasErrors {
      pass.warnAboutUnusedNames(&diagnostics)
      pass.warnAboutLikelyTypos(&diagnostics)
    }
    return pass.result()
  }
}

/// A name's defining statement, as the first pass finds it.
private struct Definition {
  var statement: Int
  var range: SourceRange
  var leaf: LeafKind?
  var defaultValue: Double?
  /// A declared or literal shape; for an indexed definition, found in pass 2.
  var shape: [Int] = []
  var defaultElements: [Double]?
  var initializer: Initializer?
  /// A declared shape that was an error (rank 5, an extent 0): uses with
  /// subscripts are not errors of their own.
  var shapeRejected = false
}

private struct CheckPass {
  let tree: SyntaxTree
  var definitions: [String: Definition] = [:]
  /// Anonymous output names per statement (`_1`, …), or nil.
  var anonymousNames: [Int: String] = [:]
  /// Whether the statement being resolved holds a node that did not parse:
  /// an index it leaves unbound is that error's echo, not an error of its own.
  var statementHasError = false
  /// Every name the program uses for a variable, and where it is defined
  /// (or first used, if never defined): indices may not take one.
  var programNames: [String: SourceRange] = [:]

  /// Symbols in order of first appearance; reordered leaves-first at the end.
  var symbols: [Symbol] = []
  var symbolIndex: [String: Int] = [:]
  var references: [Int32]
  var statementSymbol: [Int32]
  var outputs: [Int] = []
  var bindings: [[Binding]]
  var subscripts: [Int: [ResolvedSubscript]] = [:]
  var reductionBindings: [Int: [Int]] = [:]
  var indexValues: [Int: Int] = [:]
  /// Elements over all named variables so far, for the program limit.
  var elementTotal = 0

  init(tree: SyntaxTree) {
    self.tree = tree
    self.references = Array(repeating: -1, count: tree.expressions.count)
    self.statementSymbol = Array(repeating: -1, count: tree.statements.count)
    self.bindings = Array(repeating: [], count: tree.statements.count)
    // A statement defines about one name: no table regrows on a long program.
    definitions.reserveCapacity(tree.statements.count)
    symbolIndex.reserveCapacity(tree.statements.count)
    symbols.reserveCapacity(tree.statements.count)
  }

  // MARK: Pass 1: who defines what

  mutating func collectDefinitions(_ diagnostics: inout DiagnosticList) {
    var anonymousCount = 0
    for (index, statement) in tree.statements.enumerated() {
      switch statement.kind {
      case .assignment(let name, let nameRange, _, let value):
        let literal = literalValue(value)
        define(
          name,
          Definition(
            statement: index, range: nameRange, leaf: literal == nil ? nil : .literal,
            defaultValue: literal), &diagnostics)
      case .listAssignment(let name, let nameRange, let list):
        var definition = Definition(statement: index, range: nameRange, leaf: .literal)
        definition.shape = list.shape
        definition.defaultElements = list.values
        define(name, definition, &diagnostics)
      case .declaration(let kind, let leaves):
        for leaf in leaves {
          define(leaf.name, declared(kind, leaf, statement: index, &diagnostics), &diagnostics)
        }
      case .expression(let value):
        anonymousCount += 1
        let name = "_\(anonymousCount)"
        anonymousNames[index] = name
        definitions[name] = Definition(statement: index, range: tree[value].range)
      case .output:
        break
      }
    }
    // The names an index may not take; only a program that binds indices asks.
    let bindsIndices = tree.statements.contains { statement in
      if case .assignment(_, _, let left, _) = statement.kind, !left.isEmpty { return true }
      return statement.expressions.contains {
        if case .reduction = tree.expressions[$0].kind { true } else { false }
      }
    }
    guard bindsIndices else { return }
    for statement in tree.statements {
      // A name the statement binds as an index is that index (perhaps used
      // as a value, SPEC §7.5), not a variable of the program.
      var indices = Set<String>()
      if case .assignment(_, _, let left, _) = statement.kind {
        indices.formUnion(left.map(\.name))
      }
      for e in statement.expressions {
        if case .reduction(_, _, let bound, _) = tree.expressions[e].kind {
          indices.formUnion(bound.map(\.name))
        }
      }
      for e in statement.expressions {
        switch tree.expressions[e].kind {
        case .name(let name) where !indices.contains(name) && programNames[name] == nil:
          programNames[name] = tree.expressions[e].range
        case .element(let name, _, _) where programNames[name] == nil:
          programNames[name] = tree.expressions[e].range
        default: break
        }
      }
    }
    for (name, definition) in definitions where !Self.isReserved(name) {
      programNames[name] = definition.range
    }
  }

  /// A declared leaf, its shape and default checked (SPEC §6.2).
  private func declared(
    _ kind: LeafKind, _ leaf: LeafDeclaration, statement: Int, _ diagnostics: inout DiagnosticList
  ) -> Definition {
    var definition = Definition(
      statement: statement, range: leaf.nameRange, leaf: kind, defaultValue: leaf.defaultValue)
    if let shape = leaf.shape, let range = leaf.shapeRange {
      if shape.count > Parser.rankLimit {
        diagnostics.error(.rankTooLarge(limit: Parser.rankLimit), at: range)
        definition.shapeRejected = true
      } else if shape.contains(0) {
        // The parser reported the extent.
        definition.shapeRejected = true
      } else {
        definition.shape = shape
      }
    }
    if let list = leaf.defaultList {
      let range = leaf.defaultRange ?? list.range
      if leaf.shape == nil {
        let example = "'\(kind.rawValue) \(leaf.name)\(DiagnosticMessage.shape(list.shape)) = …'"
        diagnostics.error(.listNeedsShape(leaf.name, example: example), at: range)
      } else if list.shape != definition.shape && !definition.shape.isEmpty {
        diagnostics.error(
          .defaultShapeMismatch(leaf.name, declared: definition.shape, given: list.shape), at: range
        )
      } else {
        definition.defaultElements = list.values
      }
    }
    if let initializer = leaf.initializer, let range = leaf.defaultRange {
      switch initializer {
      case .uniform(let a, let b) where !(a < b):
        diagnostics.error(.initializerArguments("uniform"), at: range)
      case .normal(_, let std) where !(std >= 0):
        diagnostics.error(.initializerArguments("normal"), at: range)
      default:
        break
      }
      if kind == .input {
        diagnostics.error(.initializerOnInput(leaf.name), at: range)
      } else {
        definition.initializer = initializer
      }
    }
    return definition
  }

  private mutating func define(
    _ name: String, _ definition: Definition, _ diagnostics: inout DiagnosticList
  ) {
    if Self.isReserved(name) {
      diagnostics.error(.reservedName(name), at: definition.range)
      return
    }
    if let first = definitions[name] {
      diagnostics.error(
        .redefinition(name), at: definition.range,
        notes: [.init(.firstDefinedHere(name), at: first.range)])
      return
    }
    definitions[name] = definition
  }

  /// `_` followed by digits: the names of anonymous outputs.
  static func isReserved(_ name: String) -> Bool {
    let bytes = name.utf8
    return bytes.count > 1 && bytes.first == UInt8(ascii: "_")
      && bytes.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
  }

  /// The value of a plain literal (`100`, `-0.5`, `(2)`), or nil.
  func literalValue(_ id: ExpressionID) -> Double? {
    var node = tree[id]
    var sign = 1.0
    var sawMinus = false
    while true {
      switch node.kind {
      case .number(let value): return sign * value
      case .parenthesized(let inner): node = tree[inner]
      case .negate(let operand) where !sawMinus:
        sawMinus = true
        sign = -1
        node = tree[operand]
      default: return nil
      }
    }
  }

  // MARK: Pass 2: resolve every reference, in source order

  mutating func resolve(_ diagnostics: inout DiagnosticList) {
    for (index, statement) in tree.statements.enumerated() {
      var left: [IndexName] = []
      switch statement.kind {
      case .assignment(let name, _, let indices, _):
        left = indices
        statementSymbol[index] = symbolFor(name, definedAt: index)
      case .listAssignment(let name, _, _):
        _ = symbolFor(name, definedAt: index)
      case .declaration(_, let leaves):
        for leaf in leaves { _ = symbolFor(leaf.name, definedAt: index) }
      case .expression:
        break
      case .output:
        continue
      }
      resolveStatement(index, statement, left: left, &diagnostics)
      if let anonymous = anonymousNames[index] {
        statementSymbol[index] = symbolFor(anonymous, definedAt: index)
      }
    }
  }

  /// The symbol a statement defines, made on first sight; -1 if the
  /// definition was rejected (a redefinition already reported).
  private mutating func symbolFor(_ name: String, definedAt statement: Int) -> Int32 {
    guard let definition = definitions[name], definition.statement == statement else { return -1 }
    if let existing = symbolIndex[name] { return Int32(existing) }
    var symbol = Symbol(
      name: name, range: definition.range, leaf: definition.leaf,
      defaultValue: definition.defaultValue)
    symbol.shape = definition.shape
    symbol.defaultElements = definition.defaultElements
    symbol.initializer = definition.initializer
    return Int32(newSymbol(symbol))
  }

  private mutating func newSymbol(_ symbol: Symbol) -> Int {
    symbols.append(symbol)
    symbolIndex[symbol.name] = symbols.count - 1
    return symbols.count - 1
  }

  /// One statement's references, with its index scopes: the left indices
  /// everywhere on the right, a reduction's in its body only.
  private mutating func resolveStatement(
    _ index: Int, _ statement: Statement, left: [IndexName], _ diagnostics: inout DiagnosticList
  ) {
    let arena = statement.expressions
    var scope = IndexScope()
    statementHasError = Self.hasError(statement, tree)
    // A scalar statement binds no index: no scopes, extents or nest to find.
    if left.isEmpty,
      !arena.contains(where: {
        if case .reduction = tree.expressions[$0].kind { true } else { false }
      })
    {
      for e in arena { resolveExpression(e, in: index, &scope, &diagnostics) }
      countElements(index, statement, &diagnostics)
      return
    }
    // Where each node's subtree starts: a reduction's body is [first, body].
    var first = [Int](repeating: 0, count: arena.count)
    for e in arena {
      var start = e
      for child in Self.children(tree.expressions[e].kind) {
        start = min(start, first[child.index - arena.lowerBound])
      }
      first[e - arena.lowerBound] = start
    }
    if left.count > Parser.rankLimit, let first = left.first, let last = left.last {
      // SPEC §6.2: every array, a defined one too, has rank 1 to 4.
      diagnostics.error(
        .rankTooLarge(limit: Parser.rankLimit), at: SourceRange(first.range.start, last.range.end))
    }
    for name in left { bind(name, in: &scope, enclosing: -1, &diagnostics) }
    var reductionNodes: [Int] = []
    for e in arena {
      if case .reduction(_, _, let indices, let body) = tree.expressions[e].kind {
        reductionNodes.append(e)
        let start = first[body.index - arena.lowerBound]
        scope.reductions.append((range: start...body.index, firstBinding: scope.bindings.count))
        let enclosing = scope.reductions.count - 1
        var bound: [Int] = []
        for name in indices {
          bound.append(bind(name, in: &scope, enclosing: enclosing, &diagnostics))
        }
        reductionBindings[e] = bound
      }
    }
    for e in arena { resolveExpression(e, in: index, &scope, &diagnostics) }

    // A statement that did not parse may have lost the uses that give extents.
    let parsed = !Self.hasError(statement, tree)
    let ranges = findRanges(scope, left: left.count, parsed: parsed, &diagnostics)
    bindings[index] = scope.bindings.indices.map { b in
      Binding(
        name: scope.bindings[b].name, range: scope.bindings[b].range,
        extent: max(ranges.upper[b] ?? 1, 1),
        lower: max(0, min(ranges.lower[b], ranges.upper[b] ?? 0)))
    }

    // Limits: the iteration space, and the defined array's size. The space
    // is that of the deepest loop nest: the left indices, times each
    // reduction's indices and those of the reductions around it (sibling
    // sums, `sum(i, a[i]) + sum(i, b[i])`, run one after the other).
    var byReduction: [Int: [Int]] = [:]
    for (b, entry) in scope.bindings.enumerated() {
      byReduction[entry.reduction, default: []].append(bindings[index][b].extent)
    }
    func extents(ofReduction r: Int) -> [Int] { byReduction[r] ?? [] }
    let outer = extents(ofReduction: -1)
    var nest = [[Int]](repeating: [], count: scope.reductions.count)
    var deepest = outer
    func size(_ extents: [Int]) -> Int {
      extents.reduce(1) { Self.product($0, $1, limit: Checker.iterationLimit) }
    }
    // Each node's parent, to find the reduction around a reduction (the
    // walk up is at most the nesting limit long).
    var parent = [Int](repeating: -1, count: arena.count)
    for e in arena {
      for child in Self.children(tree.expressions[e].kind) {
        parent[child.index - arena.lowerBound] = e
      }
    }
    var reductionAt: [Int: Int] = [:]
    for (r, e) in reductionNodes.enumerated() { reductionAt[e] = r }
    for r in scope.reductions.indices.reversed() {
      // Reductions are in arena order, inner first: the enclosing one comes later.
      var up = parent[reductionNodes[r] - arena.lowerBound]
      while up >= 0, reductionAt[up] == nil { up = parent[up - arena.lowerBound] }
      nest[r] = (up >= 0 ? nest[reductionAt[up]!] : outer) + extents(ofReduction: r)
      if size(nest[r]) > size(deepest) { deepest = nest[r] }
    }
    if size(deepest) > Checker.iterationLimit {
      diagnostics.error(.iterationSpaceTooLarge(Self.count(deepest)), at: statement.range)
    }
    let symbol = statementSymbol[index]
    if symbol >= 0 {
      let shape = (0..<left.count).map { bindings[index][$0].extent }
      symbols[Int(symbol)].shape = shape
      definitions[symbols[Int(symbol)].name]?.shape = shape
    }
    countElements(index, statement, &diagnostics)
  }

  /// Each binding's range (SPEC §7.2), reporting an index without one, an
  /// empty one, a subscript that can leave its dimension, and a left index
  /// that does not start at 0 (an array defined in parts, not built yet).
  private func findRanges(
    _ scope: IndexScope, left: Int, parsed: Bool, _ diagnostics: inout DiagnosticList
  ) -> IndexRanges {
    var ranges = IndexRanges(
      names: scope.bindings.map(\.name), plain: scope.bindings.map(\.extent),
      constraints: scope.constraints)
    let leaving = ranges.solve()
    guard parsed else { return ranges }
    let constraints = scope.constraints
    for (b, binding) in scope.bindings.enumerated() where !binding.reported {
      let uses = ranges.uses(of: b)
      let notes = uses.map { k in
        Diagnostic.Note(
          .subscriptBounds(constraints[k].element, ranges.bounds(of: b, from: k)),
          at: constraints[k].range)
      }
      guard let upper = ranges.upper[b] else {
        if uses.isEmpty {
          diagnostics.error(.indexSubscriptsNothing(binding.name), at: binding.range)
        } else {
          diagnostics.error(.indexRangeUnknown(binding.name), at: binding.range, notes: notes)
        }
        continue
      }
      if upper <= ranges.lower[b] {
        diagnostics.error(
          .indexRangeEmpty(binding.name, lower: ranges.lower[b], upper: upper),
          at: binding.range, notes: notes)
      } else if b < left, ranges.lower[b] > 0, let k = ranges.lowerFrom[b] {
        diagnostics.error(
          .leftIndexStartsAbove(binding.name, lower: ranges.lower[b], by: constraints[k].element),
          at: binding.range, notes: [notes[uses.firstIndex(of: k) ?? 0]])
      }
    }
    for (k, reaches) in leaving {
      let c = constraints[k]
      var spans = c.terms.prefix(4).map { term in
        "\(scope.bindings[term.index].name) in \(ranges.lower[term.index])..<\(ranges.upper[term.index] ?? 0)"
      }
      if c.terms.count > 4 { spans[3] = "\(c.terms.count - 3) more indices at their largest" }
      diagnostics.error(
        .subscriptLeavesDimension(
          c.element, reaches: reaches, extent: c.extent, array: c.array, spans: spans),
        at: c.range)
    }
    return ranges
  }

  /// Adds the statement's named variables to the element total, checking
  /// both limits (overflow-checked: `input x[100000, 100000]` is an error,
  /// not a trap).
  private mutating func countElements(
    _ index: Int, _ statement: Statement, _ diagnostics: inout DiagnosticList
  ) {
    var named: [(String, [Int], SourceRange)] = []
    switch statement.kind {
    case .declaration(_, let leaves):
      for leaf in leaves {
        if let shape = definitions[leaf.name]?.shape, definitions[leaf.name]?.statement == index {
          named.append((leaf.name, shape, leaf.nameRange))
        }
      }
    case .assignment(let name, let range, _, _), .listAssignment(let name, let range, _):
      if let shape = definitions[name]?.shape, definitions[name]?.statement == index {
        named.append((name, shape, range))
      }
    case .expression, .output:
      break
    }
    for (name, shape, range) in named {
      var size = 1
      for extent in shape { size = Self.product(size, extent, limit: Checker.arrayLimit) }
      if size > Checker.arrayLimit {
        diagnostics.error(.arrayTooLarge(name, elements: Self.count(shape)), at: range)
        continue
      }
      elementTotal += size
      if elementTotal > Checker.programLimit && elementTotal - size <= Checker.programLimit {
        diagnostics.error(.programTooLarge(elements: String(elementTotal)), at: range)
      }
    }
  }

  /// a·b, or more than `limit` (saturating, never overflowing).
  static func product(_ a: Int, _ b: Int, limit: Int) -> Int {
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow || p > limit ? limit + 1 : p
  }

  /// The exact product of extents, as text (it may not fit an Int).
  static func count(_ extents: [Int]) -> String {
    var digits: [UInt32] = [1]  // little-endian base 10^9
    for extent in extents {
      var carry: UInt64 = 0
      var factor = UInt64(extent)
      if extent == Int.max { factor = UInt64(Int.max) }
      for k in digits.indices {
        let p = UInt64(digits[k]) &* (factor % 1_000_000_000) &+ carry
        digits[k] = UInt32(p % 1_000_000_000)
        carry = p / 1_000_000_000
      }
      while carry > 0 {
        digits.append(UInt32(carry % 1_000_000_000))
        carry /= 1_000_000_000
      }
      if factor >= 1_000_000_000 { return "more than " + String(Int.max) }
    }
    var text = String(digits.last ?? 0)
    for d in digits.dropLast().reversed() { text += String(d).leftPadded(to: 9) }
    return text
  }

  /// Binds an index, checking that it is fresh; returns its binding's position.
  @discardableResult
  private mutating func bind(
    _ name: IndexName, in scope: inout IndexScope, enclosing reduction: Int,
    _ diagnostics: inout DiagnosticList
  ) -> Int {
    var reported = true
    if Self.isReserved(name.name) {
      diagnostics.error(
        .indexNotFresh(name.name, what: "reserved for anonymous outputs"), at: name.range)
    } else if let variable = programNames[name.name] {
      let note =
        definitions[name.name] == nil
        ? DiagnosticMessage.usedAsVariableHere(name.name) : .definedHere(name.name)
      diagnostics.error(
        .indexNotFresh(name.name, what: "a variable of the program"), at: name.range,
        notes: [.init(note, at: variable)])
    } else if Callee(name: name.name) != nil || Reduction(rawValue: name.name) != nil {
      diagnostics.error(.indexNotFresh(name.name, what: "a function"), at: name.range)
    } else if let earlier = scope.visible(name.name, fromReduction: reduction) {
      // Inner reductions bind first; the message reads in source order.
      let (second, first) =
        scope.bindings[earlier].range.start < name.range.start
        ? (name.range, scope.bindings[earlier].range) : (scope.bindings[earlier].range, name.range)
      diagnostics.error(
        .indexBoundTwice(name.name), at: second,
        notes: [.init(.firstBoundHere(name.name), at: first)])
      scope.bindings[earlier].reported = true
    } else {
      reported = false
    }
    scope.bindings.append(
      IndexScope.Entry(name: name.name, range: name.range, reduction: reduction, reported: reported)
    )
    return scope.bindings.count - 1
  }

  /// Whether a statement holds an expression the parser could not read.
  static func hasError(_ statement: Statement, _ tree: SyntaxTree) -> Bool {
    statement.expressions.contains {
      if case .error = tree.expressions[$0].kind { true } else { false }
    }
  }

  private static func children(_ kind: Expression.Kind) -> [ExpressionID] {
    switch kind {
    case .number, .name, .element, .error: []
    case .negate(let x), .parenthesized(let x): [x]
    case .binary(_, let x, let y), .comparison(_, let x, let y): [x, y]
    case .call(_, _, let arguments): arguments
    case .reduction(_, _, _, let body): [body]
    }
  }

  private mutating func resolveExpression(
    _ e: Int, in statement: Int, _ scope: inout IndexScope, _ diagnostics: inout DiagnosticList
  ) {
    let node = tree.expressions[e]
    switch node.kind {
    case .name(let name):
      if let binding = scope.lookup(name, at: e) {
        // Its whole number as a binary64, with no derivative (SPEC §7.5).
        indexValues[e] = binding
        return
      }
      guard let symbol = resolveName(name, at: node.range, in: statement, &diagnostics) else {
        return
      }
      references[e] = Int32(symbol)
      let shape = symbols[symbol].shape
      if !shape.isEmpty {
        let example =
          name + "[" + ["i", "j", "k", "l"].prefix(shape.count).joined(separator: ", ") + "]"
        diagnostics.error(.bareArray(name, example: example), at: node.range)
      }
    case .element(let name, let nameRange, let written):
      resolveElement(e, name, nameRange, written, in: statement, &scope, &diagnostics)
    case .call(let name, let nameRange, let arguments):
      guard let callee = Callee(name: name) else {
        let suggestion = Suggestion.closest(to: name, among: Callee.callableNames)
        diagnostics.error(.unknownFunction(name, suggestion: suggestion), at: nameRange)
        return
      }
      if arguments.count != callee.arity {
        diagnostics.error(
          .wrongArity(function: name, expected: callee.arity, got: arguments.count), at: node.range)
      }
    case .number, .negate, .binary, .comparison, .parenthesized, .reduction, .error:
      break
    }
  }

  /// The symbol a name in an expression refers to, made for a free leaf.
  private mutating func resolveName(
    _ name: String, at range: SourceRange, in statement: Int, _ diagnostics: inout DiagnosticList
  ) -> Int? {
    if let definition = definitions[name] {
      guard definition.statement < statement, let symbol = symbolIndex[name] else {
        diagnostics.error(
          .useBeforeDefinition(name), at: range,
          notes: [.init(.definedHere(name), at: definition.range)])
        return nil
      }
      return symbol
    } else if Self.isReserved(name) {
      diagnostics.error(.unknownAnonymousOutput(name), at: range)
      return nil
    } else if let symbol = symbolIndex[name] {
      return symbol
    } else {
      return newSymbol(Symbol(name: name, range: range, leaf: .free))
    }
  }

  /// `W[j, 0]`: an array defined before, as many subscripts as its rank,
  /// constants in range, indices bound, each index's extents equal.
  private mutating func resolveElement(
    _ e: Int, _ name: String, _ nameRange: SourceRange, _ written: [SubscriptSyntax],
    in statement: Int,
    _ scope: inout IndexScope, _ diagnostics: inout DiagnosticList
  ) {
    guard definitions[name] != nil || symbolIndex[name] != nil else {
      if Callee(name: name) != nil || Reduction(rawValue: name) != nil {
        diagnostics.error(.functionSubscripted(name), at: nameRange)
        return
      }
      let example = "'input \(name)[" + written.map { _ in "3" }.joined(separator: ", ") + "]'"
      let arrays = definitions.filter { !$0.value.shape.isEmpty && $0.value.statement < statement }
        .map(\.key)
      // A one-letter array name is one edit from every other: no guess there.
      let suggestion = name.count > 1 ? Suggestion.closest(to: name, among: arrays.sorted()) : nil
      diagnostics.error(
        .undeclaredArray(name, example: example, suggestion: suggestion), at: nameRange)
      return
    }
    guard let symbol = resolveName(name, at: nameRange, in: statement, &diagnostics) else { return }
    references[e] = Int32(symbol)
    let shape = symbols[symbol].shape
    guard !shape.isEmpty else {
      // A definition that did not parse (`w = [[1, 2], [3]]`) or whose shape
      // was an error has no shape to hold a use to; its indices get none.
      if let definition = definitions[name],
        definition.shapeRejected || Self.hasError(tree.statements[definition.statement], tree)
      {
        for case .index(let index) in written {
          if let binding = scope.lookup(index.name, at: e) {
            scope.bindings[binding].reported = true
          }
        }
        return
      }
      diagnostics.error(.notAnArray(name), at: nameRange)
      return
    }
    guard shape.count == written.count else {
      diagnostics.error(
        .wrongSubscriptCount(name, rank: shape.count, got: written.count),
        at: tree.expressions[e].range)
      return
    }
    var resolved: [ResolvedSubscript] = []
    for (dimension, given) in written.enumerated() {
      switch given {
      case .constant(let value, let range):
        if value >= shape[dimension] {
          diagnostics.error(
            .subscriptOutOfRange(name, value: value, extent: shape[dimension]), at: range)
        }
        resolved.append(.constant(value))
      case .index(let index):
        guard let binding = scope.lookup(index.name, at: e) else {
          if !statementHasError { diagnostics.error(.indexNotBound(index.name), at: index.range) }
          return
        }
        let extent = shape[dimension]
        if let known = scope.bindings[binding].extent {
          if known != extent, let firstUse = scope.bindings[binding].firstUse {
            diagnostics.error(
              .extentMismatch(index: index.name, here: extent, first: known), at: index.range,
              notes: [.init(.firstUsedHere(index.name, extent: known), at: firstUse)])
          }
        } else {
          scope.bindings[binding].extent = extent
          scope.bindings[binding].firstUse = index.range
        }
        resolved.append(.binding(binding))
      case .affine(let terms, let constant, let range):
        var resolvedTerms: [AffineTerm] = []
        for term in terms {
          guard let binding = scope.lookup(term.index.name, at: e) else {
            if !statementHasError {
              diagnostics.error(.indexNotBound(term.index.name), at: term.index.range)
            }
            return
          }
          resolvedTerms.append(AffineTerm(index: binding, coefficient: term.coefficient))
        }
        if resolvedTerms.isEmpty, constant < 0 || constant >= shape[dimension] {
          diagnostics.error(
            .subscriptOutOfRange(name, value: constant, extent: shape[dimension]), at: range)
        }
        let element = name + "[" + written.map(\.text).joined(separator: ", ") + "]"
        scope.constraints.append(
          IndexRanges.Constraint(
            terms: resolvedTerms, constant: constant, extent: shape[dimension], range: range,
            element: element, array: name))
        resolved.append(
          resolvedTerms.isEmpty ? .constant(constant) : .affine(resolvedTerms, constant: constant))
      }
    }
    subscripts[e] = resolved
  }

  // MARK: Outputs

  mutating func chooseOutputs(_ diagnostics: inout DiagnosticList) {
    var isOutput = Set<String>()
    var namedByOutput = Set<String>()
    for (index, statement) in tree.statements.enumerated() {
      switch statement.kind {
      case .output(let names):
        for (name, range) in names {
          guard let symbol = symbolIndex[name] else {
            let suggestion = Suggestion.closest(to: name, among: symbols.map(\.name))
            diagnostics.error(.unknownOutput(name, suggestion: suggestion), at: range)
            continue
          }
          guard namedByOutput.insert(name).inserted else {
            diagnostics.error(.duplicateOutput(name), at: range)
            continue
          }
          // An anonymous output named again (`output _1`) is still one output.
          if isOutput.insert(name).inserted { outputs.append(symbol) }
        }
      case .expression:
        if let name = anonymousNames[index], let symbol = symbolIndex[name] {
          if !isOutput.insert(name).inserted {
            // `output _1` came first; the expression itself is that output.
            continue
          }
          outputs.append(symbol)
        }
      case .assignment, .listAssignment, .declaration:
        break
      }
    }
    if outputs.isEmpty {
      if let last = tree.statements.indices.last(where: {
        statementSymbol[$0] >= 0 && symbols[Int(statementSymbol[$0])].leaf == nil
      }) {
        outputs.append(Int(statementSymbol[last]))
      } else if !diagnostics.hasErrors {
        let end = tree.statements.last?.range.end ?? 0
        diagnostics.error(.noOutput, at: SourceRange(end, end))
      }
    }
  }

  /// Warns about leaves and variables that nothing uses and that are not
  /// outputs: usually a typo, or a leftover.
  mutating func warnAboutUnusedNames(_ diagnostics: inout DiagnosticList) {
    var used = [Bool](repeating: false, count: symbols.count)
    for reference in references where reference >= 0 { used[Int(reference)] = true }
    for output in outputs { used[output] = true }
    for (index, symbol) in symbols.enumerated() where !used[index] && !Self.isReserved(symbol.name)
    {
      diagnostics.warning(.unusedName(symbol.name, isLeaf: symbol.isLeaf), at: symbol.range)
    }
  }

  /// Warns about a name that is used but never defined (a free leaf) when it
  /// is one typo away from a name the program does define: `2 * prcie`
  /// where `price` was meant.
  mutating func warnAboutLikelyTypos(_ diagnostics: inout DiagnosticList) {
    // Short names (x, y, A) are all one edit apart: only longer ones count.
    let defined = symbols.filter { $0.leaf != .free && $0.name.utf8.count >= 3 }.map(\.name)
    for symbol in symbols where symbol.leaf == .free && symbol.name.utf8.count >= 3 {
      if let suggestion = Suggestion.closest(to: symbol.name, among: defined) {
        diagnostics.warning(
          .undefinedNameLooksLikeTypo(symbol.name, suggestion: suggestion), at: symbol.range)
      }
    }
  }

  // MARK: Result

  /// Reorders symbols leaves-first and rewrites every index to match.
  func result() -> CheckedProgram {
    let leafOrder = symbols.indices.filter { symbols[$0].isLeaf }
    let definedOrder = symbols.indices.filter { !symbols[$0].isLeaf }
    let order = leafOrder + definedOrder
    var newIndex = [Int32](repeating: -1, count: symbols.count)
    for (new, old) in order.enumerated() { newIndex[old] = Int32(new) }
    func remap(_ i: Int32) -> Int32 { i < 0 ? -1 : newIndex[Int(i)] }
    return CheckedProgram(
      tree: tree,
      symbols: order.map { symbols[$0] },
      leafCount: leafOrder.count,
      outputs: outputs.map { Int(newIndex[$0]) },
      references: references.map(remap),
      definitions: statementSymbol.map { s in
        s >= 0 && !symbols[Int(s)].isLeaf ? remap(s) : -1
      },
      bindings: bindings, subscripts: subscripts, reductionBindings: reductionBindings,
      indexValues: indexValues)
  }
}

/// The indices of one statement while it is checked.
private struct IndexScope {
  struct Entry {
    var name: String
    var range: SourceRange
    /// The reduction (position in `reductions`) that binds it; -1 for a left index.
    var reduction: Int
    /// Whether the binding itself was an error (so its extent is not one more).
    var reported = false
    var extent: Int?
    var firstUse: SourceRange?
  }
  var bindings: [Entry] = []
  /// The subscripts other than plain indices and constants, in source order.
  var constraints: [IndexRanges.Constraint] = []
  /// Each reduction's body (arena indices) and its first binding.
  var reductions: [(range: ClosedRange<Int>, firstBinding: Int)] = []

  /// The binding a name refers to at arena index `e`: the innermost
  /// reduction around `e` that binds it, else a left index.
  func lookup(_ name: String, at e: Int) -> Int? {
    var best: Int?
    var bestWidth = Int.max
    for (k, entry) in bindings.enumerated() where entry.name == name {
      if entry.reduction < 0 {
        if best == nil { best = k }
        continue
      }
      let body = reductions[entry.reduction].range
      if body.contains(e) && body.count < bestWidth {
        best = k
        bestWidth = body.count
      }
    }
    return best
  }

  /// A binding of `name` in the same scope as one reduction `reduction`
  /// (or the left side, for -1) makes: a left index, the same reduction, or
  /// a reduction nested in it or around it. Sibling reductions may reuse a name.
  func visible(_ name: String, fromReduction reduction: Int) -> Int? {
    for (k, entry) in bindings.enumerated() where entry.name == name {
      if entry.reduction < 0 || entry.reduction == reduction { return k }
      guard reduction >= 0 else { continue }
      let (a, b) = (reductions[entry.reduction].range, reductions[reduction].range)
      if a.contains(b.upperBound) || b.contains(a.upperBound) { return k }
    }
    return nil
  }
}
