/// The canonical text of a program, for `--emit ir`, tests and debugging:
///
///     %3 = mul %0, %1          ; A
///     %9 = mul %8, %1          ; dC_dx
public enum IRPrinter {
  public static func print(_ program: Program) -> String {
    var out = "func @program(" + program.leaves.map(\.name).joined(separator: ", ") + ") {\n"
    for (i, instruction) in program.instructions.enumerated() {
      var line = "  %\(i) = " + describe(instruction, program)
      if let name = instruction.name {
        line = line.padding(to: 32) + "; " + program.displayName(name)
      }
      out += line + "\n"
    }
    var results: [String] = []
    for (o, output) in program.outputs.enumerated() {
      let name = program.symbols[output].name
      results.append("\(name) = \(operand(program.values[output]))")
      if o < program.gradient.count {
        for (s, value) in program.gradient[o].enumerated() where value != .none {
          results.append("d\(name)/d\(program.symbols[s].name) = \(operand(value))")
        }
      }
    }
    out += "  return " + results.joined(separator: ", ") + "\n}\n"
    return out
  }

  private static func operand(_ v: ValueID) -> String { v == .none ? "none" : "%\(v.index)" }

  private static func describe(_ instruction: Instruction, _ program: Program) -> String {
    let operands = instruction.operands.map(operand).joined(separator: ", ")
    switch instruction.op {
    case .constant(let c): return "const \(NumberFormat.shortest(c))"
    case .leaf(let leaf): return "leaf \(program.symbols[leaf].name)"
    case .copy: return "copy \(operands)"
    case .neg: return "neg \(operands)"
    case .add: return "add \(operands)"
    case .sub: return "sub \(operands)"
    case .mul: return "mul \(operands)"
    case .div: return "div \(operands)"
    case .pow: return "pow \(operands)"
    case .call(let builtin): return "call \(builtin.rawValue)(\(operands))"
    }
  }
}

extension String {
  func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
