/// The canonical text of a program, for `--emit ir`, tests and debugging:
///
///     %3 = mul %0, %1          ; A
///     %9 = mul %8, %1          ; dC_dx
enum IRPrinter {
  ///
  /// A program with arrays prints each kernel as a block, its loops first
  /// (`kernel for j < 2, i < 2 {`), its stores last (`store %t0[j] += %2`).
  static func print(_ program: Program) -> String {
    var out = "func @program(" + program.leaves.map(\.name).joined(separator: ", ") + ") {\n"
    let straightLine = program.kernels.count == 1 && program.kernels[0].loops.isEmpty
    for kernel in program.kernels {
      let indent = straightLine ? "  " : "    "
      if !straightLine {
        let loops = kernel.loops.map {
          ($0.lower == 0 ? "" : "\($0.lower) <= ") + "\($0.name) < \($0.extent)"
        }.joined(separator: ", ")
        out += "  kernel" + (loops.isEmpty ? "" : " for " + loops) + " {\n"
      }
      for (i, instruction) in kernel.instructions.enumerated() {
        var line = indent + "%\(i) = " + describe(instruction, kernel, program)
        if let name = instruction.name {
          line = line.padding(to: 32 + indent.count - 2) + "; " + program.displayName(name)
        }
        out += line + "\n"
      }
      if straightLine {
        out += "  return " + results(kernel, program).joined(separator: ", ") + "\n"
      } else {
        for store in kernel.stores {
          let mode: String
          switch store.mode {
          case .assign: mode = "="
          case .add: mode = "+="
          case .maximum: mode = "max="
          case .largest: mode = "fmax="
          case .smallest: mode = "fmin="
          }
          out +=
            indent + "store " + element(kernel.accesses[store.access], kernel, program)
            + " \(mode) %\(store.value.index)\n"
        }
        out += "  }\n"
      }
    }
    return out + "}\n"
  }

  /// What the kernel stores, as `C = %5, dC/dx = %9`: each output, then its
  /// partial derivatives in symbol order.
  private static func results(_ kernel: Kernel, _ program: Program) -> [String] {
    var stored: [ArrayName: ValueID] = [:]
    for store in kernel.stores { stored[kernel.accesses[store.access].array] = store.value }
    var results: [String] = []
    for (o, output) in program.outputs.enumerated() {
      let name = program.symbols[output].name
      if let value = stored[.output(o)] { results.append("\(name) = %\(value.index)") }
      for (s, symbol) in program.symbols.enumerated() {
        if let value = stored[.adjoint(output: output, of: s)] {
          results.append("d\(name)/d\(symbol.name) = %\(value.index)")
        }
      }
    }
    return results
  }

  private static func operand(_ v: ValueID) -> String { v == .none ? "none" : "%\(v.index)" }

  private static func describe(_ instruction: Instruction, _ kernel: Kernel, _ program: Program)
    -> String
  {
    let operands = instruction.operands.map(operand).joined(separator: ", ")
    switch instruction.op {
    case .constant(let c): return "const \(NumberFormat.shortest(c))"
    case .index(let l): return "index \(kernel.loops[l].name)"
    case .select:
      return "select %\(instruction.lhs.int), %\(instruction.rhs.int), %\(instruction.third.int)"
    case .load(let a):
      let access = kernel.accesses[a]
      var isLeaf = false
      if case .variable(let s) = access.array { isLeaf = s < program.leafCount }
      return (isLeaf ? "leaf " : "load ") + element(access, kernel, program)
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

  /// An element as the source would name it: `x`, `W1[j, 0]`, `dE_dh[j]`.
  static func element(_ access: Access, _ kernel: Kernel, _ program: Program) -> String {
    let name = arrayName(access.array, program)
    guard !access.subscripts.isEmpty else { return name }
    let subscripts = access.subscripts.map { position -> String in
      switch position {
      case .loop(let l): kernel.loops[l].name
      case .constant(let c): String(c)
      case .affine(let terms, let offset):
        AffineText.render(
          terms.map { (kernel.loops[$0.index].name, $0.coefficient) }, constant: offset)
      }
    }
    return name + "[" + subscripts.joined(separator: ", ") + "]"
  }

  /// An array as the source would name it: `W1`, `dE_dh`, `%t0`, and a
  /// tangent with `_dot` after its array's name (`dE_dh_dot`).
  static func arrayName(_ array: ArrayName, _ program: Program) -> String {
    switch array {
    case .variable(let s): program.symbols[s].name
    case .output(let o): "out " + program.symbols[program.outputs[o]].name
    case .adjoint(let o, let s): program.displayName(.adjoint(output: o, of: s))
    case .temporary(let k): "%t\(k)"
    case .temporaryAdjoint(let o, let k): "d\(program.symbols[o].name)_d%t\(k)"
    case .tangent(let base): arrayName(base, program) + "_dot"
    case .weight(let o): "w " + program.symbols[program.outputs[o]].name
    }
  }
}
