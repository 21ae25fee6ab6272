import Foundation

/// `backpropc train`: gradient descent on the `param` leaves (SPEC §5).
///
/// Each step evaluates the loss and its gradient at the current parameters,
/// as the mean over the step's rows, then updates every parameter at once by
/// the optimizer's rule (``UpdateRule``). Every other leaf keeps its value
/// (default, `--set`, or the row's cell).
public struct Training: Sendable {
  /// How a step turns the gradient g into an update (SPEC §5).
  enum UpdateRule: Sendable, Equatable {
    /// p ← p − lr·g.
    case sgd
    /// v ← β·v + g, p ← p − lr·v, v₀ = 0.
    case momentum(beta: Double)
    /// Kingma & Ba: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    /// p ← p − lr·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), t from 1.
    case adam(beta1: Double, beta2: Double, epsilon: Double)

    static let defaultMomentum = 0.9
    static let defaultAdam = UpdateRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)

    var name: String {
      switch self {
      case .sgd: "sgd"
      case .momentum: "momentum"
      case .adam: "adam"
      }
    }

    /// The hyperparameters as `--json` names them, in order.
    var hyperparameters: [(name: String, value: Double)] {
      switch self {
      case .sgd: []
      case .momentum(let beta): [("momentum", beta)]
      case .adam(let beta1, let beta2, let epsilon):
        [("beta1", beta1), ("beta2", beta2), ("eps", epsilon)]
      }
    }
  }

  public struct Options: Sendable {
    /// `--steps N` or `--epochs E`.
    enum Length: Sendable, Equatable {
      case steps(Int)
      case epochs(Int)
    }

    var learningRate: Double
    var length: Length
    /// Rows per step, or nil for all of them.
    var batch: Int?
    /// Report the loss every this many steps (and at the last one); nil: a tenth of the steps.
    var every: Int?
    var rule: UpdateRule
    /// Permute the rows (Fisher–Yates) before the first step and at each
    /// epoch start, or whenever the cursor wraps.
    var shuffle: Bool
    /// The `--seed` whose shuffle stream permutes the rows.
    var seed: UInt64
    /// `--threads`: how many threads evaluate a step's rows, at most. The
    /// result is the same bits for every count (see
    /// ``Training/run(leaves:data:test:options:progress:)``).
    var threads: Int

    /// Every core the process may use.
    static var allCores: Int { ProcessInfo.processInfo.activeProcessorCount }

    init(
      learningRate: Double, length: Length, batch: Int? = nil, every: Int? = nil,
      rule: UpdateRule = .sgd, shuffle: Bool = false, seed: UInt64 = 0,
      threads: Int = Options.allCores
    ) {
      self.threads = max(1, threads)
      self.learningRate = learningRate
      self.length = length
      self.batch = batch
      self.every = every
      self.rule = rule
      self.shuffle = shuffle
      self.seed = seed
    }

    /// Steps per epoch over `rows` rows: ⌈rows/B⌉.
    func stepsPerEpoch(rows: Int) -> Int {
      let b = min(batch ?? rows, rows)
      return (rows + b - 1) / b
    }

    /// How many steps the run takes over `rows` rows.
    public func steps(rows: Int) -> Int {
      switch length {
      case .steps(let n): n
      case .epochs(let e): e * stepsPerEpoch(rows: rows)
      }
    }

    /// The reporting interval over `rows` rows: `--every`, or max(1, steps/10).
    func interval(rows: Int) -> Int { every ?? max(1, steps(rows: rows) / 10) }
  }

  public struct Result: Sendable {
    var steps: Int
    /// Epochs, when the run was given in epochs.
    var epochs: Int?
    var rule: UpdateRule
    var learningRate: Double
    /// (step, loss before that step's update, over that step's rows).
    public var losses: [(step: Int, loss: Double)]
    /// With `--test`: the mean loss over the test rows at the parameters of
    /// each `losses` entry, one per entry.
    public var testLosses: [Double]?
    /// The loss at the trained parameters over all rows.
    var finalLoss: Double
    /// The test loss at the trained parameters.
    var finalTestLoss: Double?
    /// Every parameter's symbol index and trained elements (row-major), in leaf order.
    var parameters: [(symbol: Int, values: [Double])]
    /// The most threads that ran a block of rows (at most `--threads`).
    var threads: Int
  }

  /// The stream that shuffles rows: keyed by a name no leaf can have.
  static let shuffleStream = "rows of --shuffle"

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
  init?(_ program: Program) {
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

  /// Runs the descent; `progress(step, loss, test loss)` is called for each
  /// reported step. Each step takes its rows from the ``RowSchedule``, gets
  /// the mean loss and gradient over them from the ``Evaluator``, and updates
  /// the parameters.
  public func run(
    leaves base: [Double], data: TrainingData?, test: TrainingData? = nil, options: Options,
    progress: (Int, Double, Double?) -> Void = { _, _, _ in }
  ) throws(Divergence) -> Result {
    let layout = machine.layout
    let rows = data?.rows ?? [[]]
    var evaluator = Evaluator(self, leaves: base, data: data, test: test, threads: options.threads)
    var schedule = RowSchedule(rows: rows.count, options: options)
    var losses: [(Int, Double)] = []
    var testLosses: [Double] = []
    var moments = Moments(count: elements.count)
    let steps = options.steps(rows: rows.count)
    let every = options.interval(rows: rows.count)
    for step in 1...steps {
      let loss = try evaluator.meanLossAndGradient(schedule.rows(forStep: step), step: step)
      if step % every == 0 || step == steps {
        losses.append((step, loss))
        let held = evaluator.testLoss()
        if let held { testLosses.append(held) }
        progress(step, loss, held)
      }
      for k in elements.indices {
        let p = moments.update(
          k, evaluator.parameter(k), gradient: evaluator.gradient[k], step: step, options)
        guard p.isFinite else { throw parameterDivergence(step: step, element: k, value: p) }
        evaluator.setParameter(k, p)
      }
    }
    let finalLoss = try evaluator.meanLossAndGradient(Array(rows.indices), step: nil)
    let epochs: Int? = if case .epochs(let e) = options.length { e } else { nil }
    return Result(
      steps: steps, epochs: epochs, rule: options.rule, learningRate: options.learningRate,
      losses: losses, testLosses: test == nil ? nil : testLosses, finalLoss: finalLoss,
      finalTestLoss: evaluator.testLoss(),
      parameters: parameters.map { p in
        let elements = layout.input(p)..<layout.input(p, element: layout.leaves[p].size)
        return (p, Array(evaluator.workspace.memory[elements]))
      },
      threads: evaluator.mostThreads)
  }

  /// Which rows each step takes (SPEC §5): all of them, consecutive batches
  /// of an epoch (the last short), or batches that wrap around; with
  /// `--shuffle`, in an order permuted at the start and at each epoch or wrap.
  struct RowSchedule {
    let count: Int
    let options: Options
    let batch: Int
    let stepsPerEpoch: Int
    private var order: [Int]
    private var shuffler: SeededGenerator
    /// The next row of a wrapping mini-batch.
    private var cursor = 0

    init(rows count: Int, options: Options) {
      self.count = count
      self.options = options
      batch = min(options.batch ?? count, count)
      stepsPerEpoch = options.stepsPerEpoch(rows: count)
      order = Array(0..<count)
      shuffler = SeededGenerator(name: Training.shuffleStream, seed: options.seed)
      if options.shuffle { shuffle() }
    }

    private mutating func shuffle() {
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(shuffler.uniform() * Double(i + 1)))
      }
    }

    /// The rows of step `step` (from 1), in the order they are summed.
    mutating func rows(forStep step: Int) -> [Int] {
      switch options.length {
      case .epochs:
        let within = (step - 1) % stepsPerEpoch
        if within == 0, step > 1, options.shuffle { shuffle() }
        return Array(order[(within * batch)..<min((within + 1) * batch, count)])
      case .steps:
        guard options.batch != nil else { return order }
        var indices: [Int] = []
        for _ in 0..<batch {
          if cursor == count {
            cursor = 0
            if options.shuffle { shuffle() }
          }
          indices.append(order[cursor])
          cursor += 1
        }
        return indices
      }
    }
  }

  /// The mean loss and gradient over rows, at the current parameters.
  ///
  /// Rows are taken in blocks; the threads run a block's rows, a
  /// consecutive share each, ``Training/laneRows`` rows side by side in one
  /// interpreter run, and keep every row's loss and partials; then the block
  /// is summed in row order. The sums are those of one thread taking the rows
  /// one by one, bit for bit, whatever the thread count. A thread takes at
  /// least `rowsPerThread` rows, and a block holds at most 2^20 values (8 MB)
  /// or 4,096 rows, whichever is fewer.
  struct Evaluator {
    let training: Training
    /// Holds the parameters between steps, and finds where a row diverged.
    fileprivate(set) var workspace: Interpreter.Workspace
    let rows: [[Double]]
    let columns: [Int]
    let test: TrainingData?
    /// The last mean gradient, by parameter element.
    private(set) var gradient: [Double]
    /// The most threads any block ran on.
    private(set) var mostThreads = 1
    private let width: Int
    private let blockRows: Int
    private var perRow: [Double]
    private var workers: [Worker]
    /// Runs the test rows (on this thread).
    private var tester: Worker?
    /// The cells, row after row.
    private let table: [Double]
    private let testTable: [Double]

    init(
      _ training: Training, leaves base: [Double], data: TrainingData?, test: TrainingData?,
      threads: Int
    ) {
      self.training = training
      let machine = training.machine
      let layout = machine.layout
      workspace = machine.makeWorkspace(input: base)
      rows = data?.rows ?? [[]]
      columns = (data?.columns ?? []).map { layout.input($0.leaf, element: $0.element) }
      self.test = test
      gradient = [Double](repeating: 0, count: training.elements.count)
      width = training.elements.count + 1  // a row's loss, then its partials
      let threads = min(threads, max(1, rows.count / Training.rowsPerThread))
      blockRows = max(Training.rowsPerThread * threads, min(4096, (1 << 20) / width))
      perRow = [Double](repeating: 0, count: blockRows * width)
      // A machine and tables for each thread: shared, their reference counts
      // would bounce between the cores on every run, at a third of a core's time.
      // (The first is the training's own.)
      let columns = columns
      workers = (0..<threads).map { t in
        Worker(
          t == 0 ? machine : Interpreter.Machine(training.program), input: base, columns: columns,
          elements: training.elements, lossOffset: training.lossOffset)
      }
      tester = test.map { test in
        Worker(
          machine, input: base,
          columns: test.columns.map { layout.input($0.leaf, element: $0.element) },
          elements: training.elements, lossOffset: training.lossOffset)
      }
      table = rows.flatMap { $0 }
      testTable = test?.rows.flatMap { $0 } ?? []
    }

    func parameter(_ k: Int) -> Double { workspace.memory[training.elements[k].input] }

    mutating func setParameter(_ k: Int, _ value: Double) {
      workspace.memory[training.elements[k].input] = value
    }

    /// Mean loss and gradient over `indices`; a row whose loss or partials
    /// are not finite stops training, at `step` (nil: the final loss).
    mutating func meanLossAndGradient(_ indices: [Int], step: Int?) throws(Divergence) -> Double {
      for k in gradient.indices { gradient[k] = 0 }
      var loss = 0.0
      // Only the parameters change between evaluations.
      let parameters = training.elements.map { workspace.memory[$0.input] }
      for w in workers.indices { workers[w].setParameters(parameters) }
      var start = 0
      while start < indices.count {
        let end = min(start + blockRows, indices.count)
        mostThreads = max(mostThreads, runBlock(indices[start..<end]))
        let diverged = perRow.withUnsafeBufferPointer { perRow in
          gradient.withUnsafeMutableBufferPointer { gradient -> Int? in
            for j in 0..<(end - start) {
              let row = perRow.baseAddress! + j * width
              for k in 0..<width where !row[k].isFinite { return j }
              loss += row[0]
              for k in 0..<gradient.count { gradient[k] += row[1 + k] }
            }
            return nil
          }
        }
        if let j = diverged {
          for (c, input) in columns.enumerated() {
            workspace.memory[input] = rows[indices[start + j]][c]
          }
          training.machine.run(&workspace)
          throw training.divergence(step: step, &workspace)
        }
        start = end
      }
      let n = Double(indices.count)
      for k in gradient.indices { gradient[k] /= n }
      return loss / n
    }

    /// Runs `block`'s rows into `perRow` on as many of the workers as have
    /// `rowsPerThread` rows each; returns how many did.
    private mutating func runBlock(_ block: ArraySlice<Int>) -> Int {
      let threads = min(workers.count, max(1, block.count / Training.rowsPerThread))
      let width = width
      let table = table
      perRow.withUnsafeMutableBufferPointer { perRow in
        workers.withUnsafeMutableBufferPointer { workers in
          table.withUnsafeBufferPointer { table in
            block.withUnsafeBufferPointer { block in
              let shared = Shared(perRow: perRow, workers: workers, table: table, block: block)
              @Sendable func share(_ t: Int) {
                // Moved out for the share, so that this thread alone holds it:
                // what two cores share they slow each other down on.
                var worker = (shared.workers.baseAddress! + t).move()
                let count = shared.block.count
                worker.run(
                  rows: (count * t / threads)..<(count * (t + 1) / threads), of: shared.block,
                  in: shared.table, into: shared.perRow, width: width)
                (shared.workers.baseAddress! + t).initialize(to: worker)
              }
              if threads == 1 {
                share(0)
              } else {
                DispatchQueue.concurrentPerform(iterations: threads, execute: share)
              }
            }
          }
        }
      }
      return threads
    }

    /// Mean loss over the test rows, summed in file order.
    mutating func testLoss() -> Double? {
      guard let test, var tester else { return nil }
      self.tester = nil  // held alone while it runs, so its memory is not copied
      let count = test.rows.count
      tester.setParameters(training.elements.map { workspace.memory[$0.input] })
      let order = Array(0..<count)
      var losses = [Double](repeating: 0, count: count)
      losses.withUnsafeMutableBufferPointer { losses in
        testTable.withUnsafeBufferPointer { table in
          order.withUnsafeBufferPointer { order in
            tester.run(rows: 0..<count, of: order, in: table, into: losses, width: 1, partials: false)
          }
        }
      }
      self.tester = tester
      var loss = 0.0
      for row in losses { loss += row }
      return loss / Double(count)
    }
  }

  /// A thread takes at least this many of a block's rows (fewer rows run on
  /// fewer threads): below it, starting the threads costs more than they save.
  static let rowsPerThread = 8

  /// Rows one interpreter run evaluates side by side.
  static let laneRows = 32

  /// What one thread evaluates rows with: its own machine, a workspace of
  /// ``Training/laneRows`` rows, and copies of the tables of where a row's
  /// cells go and its results come from.
  private struct Worker: Sendable {
    let machine: Interpreter.Machine
    var workspace: Interpreter.Workspace
    let columns: [Int]
    /// Each parameter element's place in the input.
    let inputs: [Int]
    /// Each parameter element's partial derivative in memory; nil when it is 0.
    let partials: [Int?]
    let lossOffset: Int

    init(
      _ machine: Interpreter.Machine, input: [Double], columns: [Int],
      elements: [(input: Int, gradient: Int?)],
      lossOffset: Int
    ) {
      self.machine = machine
      workspace = machine.makeWorkspace(input: input, rows: Training.laneRows)
      // Copied, not shared: the array's own buffer, whose reference count
      // this thread alone touches.
      self.columns = columns.map { $0 }
      inputs = elements.map(\.input)
      partials = elements.map(\.gradient)
      self.lossOffset = lossOffset
    }

    /// Puts the parameters' values in every row.
    mutating func setParameters(_ values: [Double]) {
      for (k, input) in inputs.enumerated() {
        for r in 0..<workspace.rows { workspace[element: input, row: r] = values[k] }
      }
    }

    /// Runs the rows `order[j]` of `table` for j in `range`, as many at once
    /// as the workspace holds; row j's loss and (with `partials`) its
    /// partials go to `results[j * width...]`.
    mutating func run(
      rows range: Range<Int>, of order: UnsafeBufferPointer<Int>,
      in table: UnsafeBufferPointer<Double>, into results: UnsafeMutableBufferPointer<Double>,
      width: Int, partials withPartials: Bool = true
    ) {
      let lanes = workspace.rows
      var first = range.lowerBound
      while first < range.upperBound {
        let count = min(lanes, range.upperBound - first)
        for k in 0..<count {
          let cells = order[first + k] * columns.count
          for (c, input) in columns.enumerated() {
            workspace[element: input, row: k] = table[cells + c]
          }
        }
        machine.run(&workspace, rows: count)
        for k in 0..<count {
          let at = (first + k) * width
          results[at] = workspace[element: lossOffset, row: k]
          guard withPartials else { continue }
          for (p, partial) in partials.enumerated() {
            results[at + 1 + p] = partial.map { workspace[element: $0, row: k] } ?? 0
          }
        }
        first += count
      }
    }
  }

  /// The buffers the threads of a block share: each writes its own rows of
  /// `perRow` and uses only its own worker.
  private struct Shared: @unchecked Sendable {
    let perRow: UnsafeMutableBufferPointer<Double>
    let workers: UnsafeMutableBufferPointer<Worker>
    let table: UnsafeBufferPointer<Double>
    let block: UnsafeBufferPointer<Int>
  }

  /// What an update rule remembers between steps: momentum's velocity in
  /// `first`, or Adam's first and second moments.
  struct Moments {
    var first: [Double]
    var second: [Double]

    init(count: Int) {
      first = [Double](repeating: 0, count: count)
      second = [Double](repeating: 0, count: count)
    }

    /// Parameter element `k`'s new value, from its value `p` and mean gradient `g`
    /// at step `t` (from 1), exactly as SPEC §5 writes each rule.
    mutating func update(_ k: Int, _ p: Double, gradient g: Double, step t: Int, _ options: Options)
      -> Double
    {
      let lr = options.learningRate
      switch options.rule {
      case .sgd:
        return p - lr * g
      case .momentum(let beta):
        first[k] = beta * first[k] + g
        return p - lr * first[k]
      case .adam(let beta1, let beta2, let epsilon):
        first[k] = beta1 * first[k] + (1 - beta1) * g
        second[k] = beta2 * second[k] + (1 - beta2) * (g * g)
        let mHat = first[k] / (1 - Foundation.pow(beta1, Double(t)))
        let vHat = second[k] / (1 - Foundation.pow(beta2, Double(t)))
        return p - (lr * mHat) / (vHat.squareRoot() + epsilon)
      }
    }
  }

  /// A parameter became NaN or infinite: stop as for a non-finite loss.
  private func parameterDivergence(step: Int, element k: Int, value: Double) -> Divergence {
    let layout = machine.layout
    let input = elements[k].input
    let leaf = layout.leaves[layout.leaf(containing: input) ?? 0]
    return Divergence(
      diagnostic: Diagnostic(
        .error,
        .parameterDiverged(
          step: step, name: leaf.elementName(input - leaf.offset),
          value: NumberFormat.shortest(value)),
        at: program.symbols[leaf.symbol].range))
  }

  /// Where the first non-finite value of this evaluation arose: the run again,
  /// watched.
  fileprivate func divergence(step: Int?, _ workspace: inout Interpreter.Workspace) -> Divergence {
    var found: (instruction: Instruction, value: Double)?
    let inputs = Array(workspace.memory[0..<machine.layout.numInputs])
    var watched = machine.makeWorkspace(input: inputs)
    machine.run(&watched) { k, values, _ in
      if found == nil, let i = Evaluation.firstNonFinite(program.kernels[k], values) {
        found = (program.kernels[k].instructions[i], values[i])
      }
    }
    // Only a non-finite input could escape the watch; then blame the loss.
    let loss = program.kernels.lazy.compactMap { k in k.storedValue(.output(0)).map { k[$0] } }
      .first
    let (instruction, value) =
      found ?? (loss ?? program.kernels[0].instructions[0], workspace.memory[lossOffset])
    let (name, inDerivative) = program.origin(of: instruction)
    // What stopped training: the loss, else the first partial that is not finite.
    let lossName = program.symbols[program.outputs[0]].name
    var reported: ReportedValue?
    let layout = machine.layout
    if !watched.memory[lossOffset].isFinite {
      reported = ReportedValue(
        name: "the loss '\(lossName)'", value: NumberFormat.shortest(watched.memory[lossOffset]))
    } else if let (input, gradient) = elements.first(where: {
      $0.gradient.map { !watched.memory[$0].isFinite } ?? false
    }),
      let gradient, let leaf = layout.leaf(containing: input)
    {
      let element = layout.leaves[leaf].elementName(input - layout.leaves[leaf].offset)
      reported = ReportedValue(
        name: "∂\(lossName)/∂\(element)", value: NumberFormat.shortest(watched.memory[gradient]))
    }
    return Divergence(
      diagnostic: Diagnostic(
        .error,
        .trainingDiverged(
          step: step, reported: reported, arose: NumberFormat.shortest(value),
          subject: inDerivative ? name : "'\(name)'", inDerivative: inDerivative),
        at: instruction.range))
  }

  /// The program's text with each trained parameter's default replaced (or
  /// ` = v` inserted after its name), every other byte kept.
  public static func rewrite(
    _ file: SourceFile, tree: SyntaxTree, symbols: [Symbol], result: Result
  ) -> [UInt8] {
    var edits: [(range: SourceRange, text: String)] = []
    for (symbol, values) in result.parameters {
      let name = symbols[symbol].name
      for statement in tree.statements {
        guard case .declaration(.param, let leaves) = statement.kind,
          let leaf = leaves.first(where: { $0.name == name })
        else { continue }
        // An array's default becomes one nested list on one line (SPEC §6.6).
        let text =
          symbols[symbol].shape.isEmpty
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
    func list(_ values: [Double]) -> String {
      "[" + values.map(NumberFormat.json).joined(separator: ", ") + "]"
    }
    let params = result.parameters.map { p in
      "\"\(symbols[p.symbol].name)\": "
        + Evaluation.nested(p.values, symbols[p.symbol].shape, NumberFormat.json)
    }.joined(separator: ", ")
    let optimizer = ([("lr", result.learningRate)] + result.rule.hyperparameters)
      .map { "\"\($0.name)\": \(NumberFormat.json($0.value))" }
    var out = "{\n  \"steps\": \(result.steps),\n"
    if let epochs = result.epochs { out += "  \"epochs\": \(epochs),\n" }
    out +=
      "  \"optimizer\": {\"name\": \"\(result.rule.name)\", \(optimizer.joined(separator: ", "))},\n"
    out += "  \"loss\": \(list(result.losses.map(\.loss))),\n"
    if let test = result.testLosses { out += "  \"test_loss\": \(list(test)),\n" }
    out += "  \"final_loss\": \(NumberFormat.json(result.finalLoss)),\n"
    if let test = result.finalTestLoss {
      out += "  \"final_test_loss\": \(NumberFormat.json(test)),\n"
    }
    out += "  \"params\": {\(params)}\n}\n"
    return out
  }
}
