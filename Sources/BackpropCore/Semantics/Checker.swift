/// Resolves names and checks the rules of SPEC §1 that the grammar cannot:
/// single assignment, definition before use, reserved names, known functions
/// and their arity, and the choice of outputs.
public enum Checker {
  /// Checks a parsed program. The result is meaningful only when no error was
  /// added to `diagnostics`.
  public static func check(_ tree: SyntaxTree, into diagnostics: inout DiagnosticList) -> CheckedProgram {
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
}

private struct CheckPass {
  let tree: SyntaxTree
  var definitions: [String: Definition] = [:]
  /// Anonymous output names per statement (`_1`, …), or nil.
  var anonymousNames: [Int: String] = [:]

  /// Symbols in order of first appearance; reordered leaves-first at the end.
  var symbols: [Symbol] = []
  var symbolIndex: [String: Int] = [:]
  var references: [Int32]
  var statementSymbol: [Int32]
  var outputs: [Int] = []

  init(tree: SyntaxTree) {
    self.tree = tree
    self.references = Array(repeating: -1, count: tree.expressions.count)
    self.statementSymbol = Array(repeating: -1, count: tree.statements.count)
  }

  // MARK: Pass 1: who defines what

  mutating func collectDefinitions(_ diagnostics: inout DiagnosticList) {
    var anonymousCount = 0
    for (index, statement) in tree.statements.enumerated() {
      switch statement.kind {
      case .assignment(let name, let nameRange, let value):
        let literal = literalValue(value)
        define(
          name, Definition(statement: index, range: nameRange, leaf: literal == nil ? nil : .literal,
                           defaultValue: literal), &diagnostics)
      case .declaration(let kind, let leaves):
        for leaf in leaves {
          define(
            leaf.name, Definition(statement: index, range: leaf.nameRange, leaf: kind,
                                  defaultValue: leaf.defaultValue), &diagnostics)
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
  }

  private mutating func define(_ name: String, _ definition: Definition, _ diagnostics: inout DiagnosticList) {
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
      switch statement.kind {
      case .assignment(let name, _, _):
        statementSymbol[index] = symbolFor(name, definedAt: index)
      case .declaration(_, let leaves):
        for leaf in leaves { _ = symbolFor(leaf.name, definedAt: index) }
      case .expression:
        break
      case .output:
        continue
      }
      for e in statement.expressions {
        resolveExpression(e, in: index, &diagnostics)
      }
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
    return Int32(
      newSymbol(Symbol(name: name, range: definition.range, leaf: definition.leaf,
                       defaultValue: definition.defaultValue)))
  }

  private mutating func newSymbol(_ symbol: Symbol) -> Int {
    symbols.append(symbol)
    symbolIndex[symbol.name] = symbols.count - 1
    return symbols.count - 1
  }

  private mutating func resolveExpression(_ e: Int, in statement: Int, _ diagnostics: inout DiagnosticList) {
    let node = tree.expressions[e]
    switch node.kind {
    case .name(let name):
      if let definition = definitions[name] {
        guard definition.statement < statement, let symbol = symbolIndex[name] else {
          diagnostics.error(
            .useBeforeDefinition(name), at: node.range,
            notes: [.init(.definedHere(name), at: definition.range)])
          return
        }
        references[e] = Int32(symbol)
      } else if Self.isReserved(name) {
        diagnostics.error(.unknownAnonymousOutput(name), at: node.range)
      } else if let symbol = symbolIndex[name] {
        references[e] = Int32(symbol)
      } else {
        references[e] = Int32(newSymbol(Symbol(name: name, range: node.range, leaf: .free)))
      }
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
    case .number, .negate, .binary, .parenthesized, .error:
      break
    }
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
      case .assignment, .declaration:
        break
      }
    }
    if outputs.isEmpty {
      if let last = tree.statements.indices.last(where: { statementSymbol[$0] >= 0 && symbols[Int(statementSymbol[$0])].leaf == nil }) {
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
    for (index, symbol) in symbols.enumerated() where !used[index] && !Self.isReserved(symbol.name) {
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
        diagnostics.warning(.undefinedNameLooksLikeTypo(symbol.name, suggestion: suggestion), at: symbol.range)
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
      })
  }
}
