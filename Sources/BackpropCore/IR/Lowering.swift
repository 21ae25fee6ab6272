/// Turns a checked program into the forward IR. A program without arrays is
/// one kernel with no loops: a load of each leaf, then each statement's
/// expressions in order, then a store of each output and each defined name.
///
/// Lowering does no value numbering on purpose: two statements with equal
/// right-hand sides must stay two nodes, or ∂O/∂A and ∂O/∂B would be merged.
/// The optimiser merges them after differentiation.
public enum Lowering {
  public static func lower(_ checked: CheckedProgram) -> Program {
    if checked.hasArrays { return ArrayLowering.lower(checked) }
    var program = Program()
    program.symbols = checked.symbols
    program.leafCount = checked.leafCount
    program.outputs = checked.outputs
    var values = [ValueID](repeating: .none, count: checked.symbols.count)

    var b = Builder(Kernel())
    for (leaf, symbol) in checked.symbols[0..<checked.leafCount].enumerated() {
      b.range = symbol.range
      b.owner = Int32(leaf)
      let value = b.load(Access(.variable(leaf)))
      b.kernel.instructions[value.int].name = .variable(leaf)
      values[leaf] = value
    }

    let tree = checked.tree
    for (index, statement) in tree.statements.enumerated() {
      let symbol = Int(checked.definitions[index])
      guard symbol >= 0 else { continue }
      b.owner = Int32(symbol)
      let firstInstruction = b.kernel.instructions.count
      let known = values
      var root = lowerExpressions(tree, statement.expressions, into: &b) {
        known[Int(checked.references[$0])]
      }
      // The statement's own node: the root, or a copy when the right-hand side
      // is just another name (`B = A`), so each name has a node of its own.
      if root.int < firstInstruction || b.kernel[root].name != nil {
        b.range = statement.range
        root = b.emit(.copy, root)
      }
      b.kernel.instructions[root.int].name = .variable(symbol)
      values[symbol] = root
    }

    // Every defined name, which `eval` reports; then the outputs.
    for symbol in checked.leafCount..<checked.symbols.count {
      b.store(Access(.variable(symbol)), values[symbol])
    }
    program.kernels = [b.kernel]
    return withOutputs(checked.outputs, of: program)
  }

  /// The same program with other outputs: each output's store is a copy of
  /// the store of its symbol's value (or, for a leaf, of its load), first
  /// among the kernel's stores, in output order, as the generated code
  /// writes them. `explain --output` and `train --loss` differentiate a name
  /// that need not be an output.
  ///
  /// An array output is stored where its statement stores it, element by
  /// element; an array leaf that is an output is copied by a kernel of its own.
  public static func withOutputs(_ outputs: [Int], of program: Program) -> Program {
    var out = program
    out.outputs = outputs
    var stored = Set<Int>()
    out.kernels = program.kernels.map { kernel in
      var out = kernel
      out.stores = []
      for (o, symbol) in outputs.enumerated() where program.symbols[symbol].shape.isEmpty && !stored.contains(o) {
        guard let value = valueOf(symbol, in: kernel, leaf: symbol < program.leafCount) else { continue }
        out.accesses.append(Access(.output(o)))
        out.stores.append(Store(access: out.accesses.count - 1, value: value, mode: .assign))
        stored.insert(o)
      }
      for store in kernel.stores {
        let access = kernel.accesses[store.access]
        if case .output = access.array { continue }
        out.stores.append(store)
        guard case .variable(let symbol) = access.array, !access.subscripts.isEmpty, store.mode == .assign else { continue }
        for (o, output) in outputs.enumerated() where output == symbol {
          out.accesses.append(Access(.output(o), access.subscripts))
          out.stores.append(Store(access: out.accesses.count - 1, value: store.value, mode: .assign))
          stored.insert(o)
        }
      }
      return out
    }
    // An output no kernel stores (an array leaf, a scalar leaf read only in
    // loops or not at all) is copied by a kernel of its own.
    for (o, symbol) in outputs.enumerated() where !stored.contains(o) {
      let shape = program.symbols[symbol].shape
      let names = ["i", "j", "k", "l"]
      var b = Builder(Kernel(loops: shape.enumerated().map {
        Loop(name: names[$0.offset], extent: $0.element, range: program.symbols[symbol].range)
      }))
      b.owner = Int32(symbol)
      b.range = program.symbols[symbol].range
      let at = shape.indices.map { Subscript.loop($0) }
      b.store(Access(.output(o), at), b.load(Access(.variable(symbol), at)))
      out.kernels.append(b.kernel)
    }
    return out
  }

  /// The value a straight-line kernel holds for a scalar: what it stores to
  /// the symbol's name, or, for a leaf, its load. (A kernel that only reads
  /// a defined scalar does not define it: it must not store the output.)
  static func valueOf(_ symbol: Int, in kernel: Kernel, leaf isLeaf: Bool) -> ValueID? {
    if let value = kernel.storedValue(.variable(symbol)) { return value }
    guard isLeaf, kernel.loops.isEmpty else { return nil }
    let leaf = kernel.accesses.firstIndex(of: Access(.variable(symbol)))
    return kernel.instructions.firstIndex { $0.op == .load(leaf ?? -1) }.map(ValueID.init)
  }

  /// Lowers one statement's expressions (an arena range, in post-order) and
  /// returns the root's value; `name` gives the value a name node refers to.
  /// `explain` lowers single statements with it, as the compiler does.
  public static func lowerExpressions(
    _ tree: SyntaxTree, _ arena: Range<Int>, into b: inout Builder, name: (Int) -> ValueID
  ) -> ValueID {
    precondition(!arena.isEmpty, "a statement has at least one expression")
    let values = lowerRegion(tree, arena, into: &b, member: { _ in true }) { e, _ in name(e) }
    return values[arena.count - 1]
  }

  /// Lowers the nodes of an arena range that `member` admits, in order, and
  /// returns each node's value (`.none` for the others). Names, elements and
  /// reductions take their value from `external`: a load, or an SSA value
  /// of the kernel.
  static func lowerRegion(
    _ tree: SyntaxTree, _ arena: Range<Int>, into b: inout Builder, member: (Int) -> Bool,
    external: (Int, inout Builder) -> ValueID
  ) -> [ValueID] {
    var valueOf = [ValueID](repeating: .none, count: arena.count)
    for e in arena where member(e) {
      let node = tree.expressions[e]
      b.range = node.range
      func operand(_ id: ExpressionID) -> ValueID { valueOf[id.index - arena.lowerBound] }
      let value: ValueID
      switch node.kind {
      case .number(let c):
        value = b.constant(c)
      case .name, .element, .reduction:
        value = external(e, &b)
      case .negate(let x):
        value = b.neg(operand(x))
      case .binary(let op, let x, let y):
        value = b.emit(Self.op(op), operand(x), operand(y))
      case .call(let name, _, let arguments):
        let args = arguments.map(operand)
        switch Callee(name: name) {
        case .builtin(let f)?: value = b.call(f, args[0], args.count > 1 ? args[1] : .none)
        case .power?: value = b.pow(args[0], args[1])
        case nil: preconditionFailure("the checker rejects unknown functions")
        }
      case .parenthesized(let inner):
        value = operand(inner)
      case .error:
        preconditionFailure("programs with errors are not lowered")
      }
      valueOf[e - arena.lowerBound] = value
    }
    return valueOf
  }

  static func op(_ op: BinaryOperator) -> Op {
    switch op {
    case .add: .add
    case .subtract: .sub
    case .multiply: .mul
    case .divide: .div
    case .power: .pow
    }
  }
}
