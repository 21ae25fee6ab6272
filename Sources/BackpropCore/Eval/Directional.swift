/// SPEC §8.2's entry points as the interpreter runs them: the program of a
/// `jvp`, `vjp` or `hvp` (``Tangent``, ``Lowering/weightedSum(of:)``) on the
/// inputs, a direction `v` and output weights `w`, each in the generated
/// code's layout, so a test holds the generated code to the same bits.
struct Directional {
  var outputs: [Double]
  /// J·v, one per output element (`jvp`).
  var jv: [Double]
  /// wᵀJ, one per input element (`vjp`, `hvp`).
  var vjp: [Double]
  /// (Σ_o w[o]·∇²out[o])·v, one per input element (`hvp`).
  var hv: [Double]

  /// Runs `program` (optimised), whose weighted sum, if it has one, is
  /// symbol `weightedSum`; an element the program does not write reads NaN,
  /// so a test sees it as the caller would see memory left as it was.
  init(_ program: Program, weightedSum: Int, input: [Double], v: [Double], w: [Double]) {
    let machine = Interpreter.Machine(program)
    let layout = machine.layout
    var workspace = machine.makeWorkspace(input: input)
    for leaf in layout.leaves {
      guard let offset = machine.offset(of: .tangent(.variable(leaf.symbol))) else { continue }
      for e in 0..<leaf.size { workspace.memory[offset + e] = v[leaf.offset + e] }
    }
    for (o, output) in layout.outputs.enumerated() {
      guard let offset = machine.offset(of: .weight(o)) else { continue }
      for e in 0..<output.size { workspace.memory[offset + e] = w[output.offset + e] }
    }
    machine.run(&workspace)
    let memory = workspace.memory
    func read(_ variables: [Layout.Variable], _ array: (Int, Layout.Variable) -> ArrayName)
      -> [Double]
    {
      variables.enumerated().flatMap { k, variable in
        let offset = machine.offset(of: array(k, variable))
        return (0..<variable.size).map { e in offset.map { memory[$0 + e] } ?? .nan }
      }
    }
    outputs = read(layout.outputs) { o, _ in .output(o) }
    jv = read(layout.outputs) { o, _ in .tangent(.output(o)) }
    vjp = read(layout.leaves) { _, leaf in .adjoint(output: weightedSum, of: leaf.symbol) }
    hv = read(layout.leaves) { _, leaf in .tangent(.adjoint(output: weightedSum, of: leaf.symbol)) }
  }
}
