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
    /// Every parameter's symbol index and trained value, in leaf order.
    public var parameters: [(symbol: Int, value: Double)]
  }

  /// Why training stopped early: a non-finite loss or gradient.
  public struct Divergence: Error, Sendable {
    public var diagnostic: Diagnostic
  }

  let program: Program
  let machine: Interpreter.Machine
  let parameters: [Int]
  let lossValue: ValueID
  let gradientValues: [ValueID]

  /// - Parameter program: differentiated with the loss as its only output.
  public init?(_ program: Program) {
    parameters = program.leaves.indices.filter { program.symbols[$0].leaf == .param }
    guard !parameters.isEmpty else { return nil }
    let optimized = Optimizer.optimize(program, keeping: .outputsAndLeafGradients)
    self.program = optimized
    machine = Interpreter.Machine(optimized)
    lossValue = optimized.outputValue(0)
    gradientValues = parameters.map { optimized.gradient[0][$0] }
  }

  /// Runs the descent; `progress(step, loss)` is called every `every` steps.
  public func run(
    leaves base: [Double], data: TrainingData?, options: Options,
    progress: (Int, Double) -> Void = { _, _ in }
  ) throws(Divergence) -> Result {
    var leaves = base
    var values = [Double](repeating: 0, count: program.instructions.count)
    let rows = data?.rows ?? [[]]
    let columns = data?.columns ?? []
    var next = 0  // the next row of a mini-batch, wrapping around
    var losses: [(Int, Double)] = []
    var gradient = [Double](repeating: 0, count: parameters.count)

    /// Mean loss and gradient over `indices`, at the current leaves.
    func evaluate(_ indices: [Int], step: Int?) throws(Divergence) -> Double {
      for k in gradient.indices { gradient[k] = 0 }
      var loss = 0.0
      for r in indices {
        for (c, leaf) in columns.enumerated() { leaves[leaf] = rows[r][c] }
        machine.run(leaves: leaves, into: &values)
        let l = values[lossValue.int]
        var finite = l.isFinite
        for (k, g) in gradientValues.enumerated() {
          let d = g == .none ? 0 : values[g.int]
          gradient[k] += d
          finite = finite && d.isFinite
        }
        if !finite { throw divergence(step: step, values) }
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
      for (k, leaf) in parameters.enumerated() {
        leaves[leaf] -= options.learningRate * gradient[k]
      }
    }
    let finalLoss = try evaluate(Array(rows.indices), step: nil)
    return Result(
      steps: options.steps, losses: losses, finalLoss: finalLoss,
      parameters: parameters.map { ($0, leaves[$0]) })
  }

  /// Where the first non-finite value of this evaluation arose.
  private func divergence(step: Int?, _ values: [Double]) -> Divergence {
    let index = Interpreter.firstNonFinite(program, values) ?? lossValue.int
    let (name, inDerivative) = program.origin(of: index)
    return Divergence(diagnostic: Diagnostic(
      .error, .trainingDiverged(step: step, name: name, value: NumberFormat.shortest(values[index]), inDerivative: inDerivative),
      at: program.instructions[index].range))
  }

  /// The program's text with each trained parameter's default replaced (or
  /// ` = v` inserted after its name), every other byte kept.
  public static func rewrite(_ file: SourceFile, tree: SyntaxTree, symbols: [Symbol], result: Result) -> [UInt8] {
    var edits: [(range: SourceRange, text: String)] = []
    for (symbol, value) in result.parameters {
      let name = symbols[symbol].name
      for statement in tree.statements {
        guard case .declaration(.param, let leaves) = statement.kind,
          let leaf = leaves.first(where: { $0.name == name })
        else { continue }
        let number = NumberFormat.shortest(value)
        if let range = leaf.defaultRange {
          edits.append((range, number))
        } else {
          edits.append((SourceRange(leaf.nameRange.end, leaf.nameRange.end), " = " + number))
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
    let params = result.parameters.map { "\"\(symbols[$0.symbol].name)\": \(NumberFormat.json($0.value))" }
      .joined(separator: ", ")
    return "{\n  \"steps\": \(result.steps),\n  \"loss\": [\(losses)],\n  \"final_loss\": \(NumberFormat.json(result.finalLoss)),\n  \"params\": {\(params)}\n}\n"
  }
}
