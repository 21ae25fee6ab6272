/// Turns a checked program into the forward IR: one `leaf` per leaf, then each
/// statement's expressions in order.
///
/// Lowering does no value numbering on purpose: two statements with equal
/// right-hand sides must stay two nodes, or ∂O/∂A and ∂O/∂B would be merged.
/// The optimiser merges them after differentiation.
public enum Lowering {
  public static func lower(_ checked: CheckedProgram) -> Program {
    var program = Program()
    program.symbols = checked.symbols
    program.leafCount = checked.leafCount
    program.outputs = checked.outputs
    program.values = Array(repeating: .none, count: checked.symbols.count)

    var b = Builder(program)
    for (leaf, symbol) in checked.symbols[0..<checked.leafCount].enumerated() {
      b.range = symbol.range
      b.owner = Int32(leaf)
      let value = b.emit(.leaf(leaf))
      b.program.instructions[value.int].name = .variable(leaf)
      b.program.values[leaf] = value
    }

    let tree = checked.tree
    for (index, statement) in tree.statements.enumerated() {
      let symbol = Int(checked.definitions[index])
      guard symbol >= 0 else { continue }
      b.owner = Int32(symbol)
      let firstInstruction = b.program.instructions.count
      let values = b.program.values
      var root = lowerExpressions(tree, statement.expressions, into: &b) {
        values[Int(checked.references[$0])]
      }
      // The statement's own node: the root, or a copy when the right-hand side
      // is just another name (`B = A`), so each name has a node of its own.
      if root.int < firstInstruction || b.program[root].name != nil {
        b.range = statement.range
        root = b.emit(.copy, root)
      }
      b.program.instructions[root.int].name = .variable(symbol)
      b.program.values[symbol] = root
    }
    return b.program
  }

  /// Lowers one statement's expressions (an arena range, in post-order) and
  /// returns the root's value; `name` gives the value a name node refers to.
  /// `explain` lowers single statements with it, as the compiler does.
  public static func lowerExpressions(
    _ tree: SyntaxTree, _ arena: Range<Int>, into b: inout Builder, name: (Int) -> ValueID
  ) -> ValueID {
    var valueOf = [ValueID](repeating: .none, count: arena.count)
    for e in arena {
      let node = tree.expressions[e]
      b.range = node.range
      func operand(_ id: ExpressionID) -> ValueID { valueOf[id.index - arena.lowerBound] }
      let value: ValueID
      switch node.kind {
      case .number(let c):
        value = b.constant(c)
      case .name:
        value = name(e)
      case .negate(let x):
        value = b.neg(operand(x))
      case .binary(let op, let x, let y):
        value = b.emit(Self.op(op), operand(x), operand(y))
      case .call(let name, _, let arguments):
        let args = arguments.map(operand)
        switch Callee(name: name) {
        case .builtin(let f)?: value = b.call(f, args[0], args.count > 1 ? args[1] : .none)
        case .power?: value = b.pow(args[0], args[1])
        case nil: value = b.constant(.nan)  // unreachable: the checker rejects unknown functions
        }
      case .parenthesized(let inner):
        value = operand(inner)
      case .error:
        value = b.constant(.nan)  // unreachable: programs with errors are not lowered
      }
      valueOf[e - arena.lowerBound] = value
    }
    return valueOf.last ?? b.constant(.nan)
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
