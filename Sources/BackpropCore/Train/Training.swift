/// `backpropc train`: gradient descent on the `param` leaves (SPEC §5).
///
/// Each step evaluates the loss and its gradient at the current parameters,
/// as the mean over the step's rows, then updates every parameter at once:
/// p ← p − lr·∂loss/∂p. Every other leaf keeps its value (default, `--set`,
/// or the row's cell).
public struct Training: Sendable {
  public struct Options: Sendable {
    public var learningRate: Double
    public var steps: Int
    /// Rows per step, or nil for all of them.
    public var batch: Int?
    /// Report the loss every this many steps (and at the last one).
    public var every: Int

    public init(learningRate: Double, steps: Int, batch: Int?, every: Int?) {
      self.learningRate = learningRate
      self.steps = steps
      self.batch = batch
      self.every = every ?? max(1, steps / 10)
    }
  }

  public struct Result: Sendable {
    public var steps: Int
    /// (step, loss before that step's update, over that step's rows).
    public var losses: [(step: Int, loss: Double)]
    /// The loss at the trained parameters over all rows.
    public var finalLoss: Double
    /// Every parameter's symbol index and trained elements (row-major), in leaf order.
    public var parameters: [(symbol: Int, values: [Double])]
  }

  /// Why training stopped early: a non-finite loss or gradient.
  public struct Divergence: Error, Sendable {
    public var diagnostic: Diagnostic
  }

  /// The optimised gradient program of the loss.
  public let program: Program
  let machine: Interpreter.Machine
  /// The parameters' leaf positions (in ``Layout/leaves``).
  let parameters: [Int]
  /// Each parameter element's index in the input, and where its partial
  /// derivative sits in memory (nil: the loss does not depend on it).
  let elements: [(input: Int, gradient: Int?)]
  /// Where the loss sits in memory.
  let lossOffset: Int

  /// - Parameter program: differentiated with the loss as its only output.
  public init?(_ program: Program) {
    parameters = program.leaves.indices.filter { program.symbols[$0].leaf == .param }
    guard !parameters.isEmpty else { return nil }
    let optimized = Optimizer.optimize(program, keeping: .outputsAndLeafGradients)
    self.program = optimized
    let machine = Interpreter.Machine(optimized)
    self.machine = machine
    let loss = optimized.outputs[0]
    lossOffset = machine.offset(of: .output(0)) ?? 0
    elements = parameters.flatMap { p in
      let base = machine.offset(of: .adjoint(output: loss, of: p))
      return (0..<machine.layout.leaves[p].size).map { k in
        (machine.layout.input(p, element: k), base.map { $0 + k })
      }
    }
  }

  /// Runs the descent; `progress(step, loss)` is called every `every` steps.
  public func run(
    leaves base: [Double], data: TrainingData?, options: Options,
    progress: (Int, Double) -> Void = { _, _ in }
  ) throws(Divergence) -> Result {
    let layout = machine.layout
    var workspace = machine.makeWorkspace(input: base)
    let rows = data?.rows ?? [[]]
    let columns = (data?.columns ?? []).map { layout.input($0.leaf, element: $0.element) }
    var next = 0  // the next row of a mini-batch, wrapping around
    var losses: [(Int, Double)] = []
    var gradient = [Double](repeating: 0, count: elements.count)

    /// Mean loss and gradient over `indices`, at the current leaves.
    func evaluate(_ indices: [Int], step: Int?) throws(Divergence) -> Double {
      for k in gradient.indices { gradient[k] = 0 }
      var loss = 0.0
      for r in indices {
        for (c, input) in columns.enumerated() { workspace.memory[input] = rows[r][c] }
        machine.run(&workspace)
        let l = workspace.memory[lossOffset]
        var finite = l.isFinite
        for (k, element) in elements.enumerated() {
          let d = element.gradient.map { workspace.memory[$0] } ?? 0
          gradient[k] += d
          finite = finite && d.isFinite
        }
        if !finite { throw divergence(step: step, &workspace) }
        loss += l
      }
      let n = Double(indices.count)
      for k in gradient.indices { gradient[k] /= n }
      return loss / n
    }

    for step in 1...options.steps {
      let indices: [Int]
      if let batch = options.batch {
        indices = (0..<batch).map { (next + $0) % rows.count }
        next = (next + batch) % rows.count
      } else {
        indices = Array(rows.indices)
      }
      let loss = try evaluate(indices, step: step)
      if step % options.every == 0 || step == options.steps {
        losses.append((step, loss))
        progress(step, loss)
      }
      for (k, element) in elements.enumerated() {
        workspace.memory[element.input] -= options.learningRate * gradient[k]
      }
    }
    let finalLoss = try evaluate(Array(rows.indices), step: nil)
    return Result(
      steps: options.steps, losses: losses, finalLoss: finalLoss,
      parameters: parameters.map { p in
        let elements = layout.input(p)..<layout.input(p, element: layout.leaves[p].size)
        return (p, Array(workspace.memory[elements]))
      })
  }

  /// Where the first non-finite value of this evaluation arose: the run again,
  /// watched.
  private func divergence(step: Int?, _ workspace: inout Interpreter.Workspace) -> Divergence {
    var found: (instruction: Instruction, value: Double)?
    let inputs = Array(workspace.memory[0..<machine.layout.numInputs])
    var watched = machine.makeWorkspace(input: inputs)
    machine.run(&watched) { k, values, _ in
      if found == nil, let i = Evaluation.firstNonFinite(program.kernels[k], values) {
        found = (program.kernels[k].instructions[i], values[i])
      }
    }
    // Only a non-finite input could escape the watch; then blame the loss.
    let loss = program.kernels.lazy.compactMap { k in k.storedValue(.output(0)).map { k[$0] } }.first
    let (instruction, value) = found ?? (loss ?? program.kernels[0].instructions[0], workspace.memory[lossOffset])
    let (name, inDerivative) = program.origin(of: instruction)
    return Divergence(diagnostic: Diagnostic(
      .error, .trainingDiverged(step: step, name: name, value: NumberFormat.shortest(value), inDerivative: inDerivative),
      at: instruction.range))
  }

  /// The program's text with each trained parameter's default replaced (or
  /// ` = v` inserted after its name), every other byte kept.
  public static func rewrite(_ file: SourceFile, tree: SyntaxTree, symbols: [Symbol], result: Result) -> [UInt8] {
    var edits: [(range: SourceRange, text: String)] = []
    for (symbol, values) in result.parameters {
      let name = symbols[symbol].name
      for statement in tree.statements {
        guard case .declaration(.param, let leaves) = statement.kind,
          let leaf = leaves.first(where: { $0.name == name })
        else { continue }
        // An array's default becomes one nested list on one line (SPEC §6.6).
        let text = symbols[symbol].shape.isEmpty
          ? NumberFormat.shortest(values[0])
          : Evaluation.nested(values, symbols[symbol].shape, NumberFormat.shortest)
        if let range = leaf.defaultRange {
          edits.append((range, text))
        } else {
          let end = leaf.shapeRange?.end ?? leaf.nameRange.end
          edits.append((SourceRange(end, end), " = " + text))
        }
      }
    }
    var bytes = file.bytes
    for edit in edits.sorted(by: { $0.range.start > $1.range.start }) {
      bytes.replaceSubrange(edit.range.start..<edit.range.end, with: Array(edit.text.utf8))
    }
    return bytes
  }

  /// `train --json`: one object.
  public static func json(_ result: Result, symbols: [Symbol]) -> String {
    let losses = result.losses.map { NumberFormat.json($0.loss) }.joined(separator: ", ")
    let params = result.parameters.map { p in
      "\"\(symbols[p.symbol].name)\": " + Evaluation.nested(p.values, symbols[p.symbol].shape, NumberFormat.json)
    }.joined(separator: ", ")
    return "{\n  \"steps\": \(result.steps),\n  \"loss\": [\(losses)],\n  \"final_loss\": \(NumberFormat.json(result.finalLoss)),\n  \"params\": {\(params)}\n}\n"
  }
}
