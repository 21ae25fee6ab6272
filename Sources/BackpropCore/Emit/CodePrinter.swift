/// Builds generated source a line at a time with four-space indentation
/// (swift-protobuf's `CodePrinter`).
struct CodePrinter {
  private(set) var text = ""
  private var indentation = ""

  mutating func line(_ s: String = "") {
    if !s.isEmpty {
      text.append(indentation)
      text.append(s)
    }
    text.append("\n")
  }

  mutating func lines(_ block: String) {
    for l in block.split(separator: "\n", omittingEmptySubsequences: false) { line(String(l)) }
  }

  mutating func indented(_ body: (inout CodePrinter) -> Void) {
    let saved = indentation
    indentation += "    "
    body(&self)
    indentation = saved
  }
}

/// What every emitter needs to know about the program it prints.
public struct EmitRequest: Sendable {
  /// The differentiated program, before optimisation.
  public let program: Program
  public let file: SourceFile
  /// The symbol prefix from `--name` or the file name (not yet case-mapped).
  public let prefix: String

  /// The optimised forward program (outputs only) and gradient program
  /// (outputs and ∂output/∂leaf): one simplification, two dead-code passes.
  let forward: Program
  let gradient: Program

  public init(program: Program, file: SourceFile, prefix: String) {
    self.program = program
    self.file = file
    self.prefix = prefix
    let simplified = Optimizer.simplify(program)
    forward = Optimizer.eliminateDeadCode(simplified, keeping: .outputs)
    gradient = Optimizer.eliminateDeadCode(simplified, keeping: .outputsAndLeafGradients)
  }

  /// The file name as the header comment gives it: base name only, so output
  /// does not depend on where the compiler ran.
  var sourceName: String {
    String(file.name.split(separator: "/").last ?? Substring(file.name))
  }

  var leafNames: [String] { program.leaves.map(\.name) }
  var outputNames: [String] { program.outputNames }

  /// What a generated function stores, in order: each output into
  /// `outputArray[o]`, then (for the gradient) each output's row of ∂/∂leaf
  /// into `gradientArray[o * n + i]`, with `partial(O, L)` as its comment.
  static func stores(
    _ program: Program, gradient: Bool, outputArray: String, gradientArray: String,
    partial: (String, String) -> String
  ) -> [(target: String, value: ValueID, comment: String?)] {
    var stores: [(target: String, value: ValueID, comment: String?)] = []
    for (o, output) in program.outputs.enumerated() {
      stores.append(("\(outputArray)[\(o)]", program.values[output], nil))
    }
    guard gradient else { return stores }
    let n = program.leafCount
    for (o, output) in program.outputs.enumerated() {
      for leaf in 0..<n {
        let comment = partial(program.symbols[output].name, program.symbols[leaf].name)
        stores.append(("\(gradientArray)[\(o * n + leaf)]", program.gradient[o][leaf], comment))
      }
    }
    return stores
  }

  /// The values a function stores: what its plan counts as uses.
  static func roots(_ program: Program, gradient: Bool) -> [ValueID] {
    stores(program, gradient: gradient, outputArray: "", gradientArray: "") { _, _ in "" }.map(\.value)
  }

  /// The line a source range starts on.
  func line(_ range: SourceRange) -> Int { file.location(of: range.start).line }

  /// Straight-line code for one function: a local for each value that needs
  /// one, in instruction order, then the stores to the result arrays.
  func body(
    _ plan: FunctionPlan, into p: inout CodePrinter, declare: (String, String) -> String,
    loadLeaf: ((Int) -> String)?, stores: [(target: String, value: ValueID, comment: String?)],
    assign: (String, String) -> String, comment: (String) -> String
  ) {
    var announcedBackward = false
    for (i, instruction) in plan.program.instructions.enumerated() {
      guard let name = plan.local[i] else { continue }
      let value = ValueID(i)
      if case .leaf(let leaf) = instruction.op {
        if let loadLeaf { p.line(declare(name, loadLeaf(leaf))) }
        continue
      }
      if case .adjoint = instruction.role, !announcedBackward {
        announcedBackward = true
        p.line(comment("backward sweep: dO_dV is the partial derivative of O with respect to V"))
      }
      var statement = declare(name, plan.definition(value))
      if instruction.role == .forward, instruction.name != nil {
        statement += "  " + comment("line \(line(instruction.range))")
      }
      p.line(statement)
    }
    for store in stores {
      var statement = assign(store.target, plan.text(store.value))
      if let c = store.comment { statement += "  " + comment(c) }
      p.line(statement)
    }
  }
}
