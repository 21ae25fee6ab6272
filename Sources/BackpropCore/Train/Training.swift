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
    let optimized = Optimizer.optimize(program, keeping: .outputsAndParameterGradients)
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
  /// reported step, and `tick(step, rows)` after every step's evaluation.
  /// Each step takes its rows from the ``RowSchedule``, gets the mean loss
  /// and gradient over them from the ``Evaluator``, and updates the parameters.
  public func run(
    leaves base: [Double], data: TrainingData?, test: TrainingData? = nil, options: Options,
    progress: (Int, Double, Double?) -> Void = { _, _, _ in },
    tick: (_ step: Int, _ rows: Int) -> Void = { _, _ in }
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
      let indices = schedule.rows(forStep: step)
      let loss = try evaluator.meanLossAndGradient(indices, step: step)
      tick(step, indices.count)
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
  /// Rows are taken in blocks of at most ``Training/groupsPerThread`` ×
  /// ``Training/laneRows(_:)`` per thread. Each thread runs its consecutive
  /// share of a block, ``Training/laneRows(_:)`` side by side in each
  /// interpreter run, and keeps the results in its lanes; then the
  /// threads share the sums, a set of partials each, and add every row's
  /// value to each sum in row order. Each sum is one chain of additions over
  /// the rows in order: the bits of one thread taking the rows one by one,
  /// whatever the thread count.
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
      let threads = min(threads, max(1, rows.count / Training.rowsPerThread))
      // A machine and tables for each thread: shared, their reference counts
      // would bounce between the cores on every run, at a third of a core's time.
      let columns = columns
      workers = (0..<threads).map { _ in Worker(training, input: base, columns: columns) }
      tester = test.map { test in
        Worker(
          training, input: base,
          columns: test.columns.map { layout.input($0.leaf, element: $0.element) }, groups: 1)
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
      // The loss's sum, then each partial's.
      var sums = [Double](repeating: 0, count: 1 + gradient.count)
      // Only the parameters change between evaluations.
      let parameters = training.elements.map { workspace.memory[$0.input] }
      for w in workers.indices { workers[w].setParameters(parameters) }
      let capacity = workers[0].capacity
      var start = 0
      while start < indices.count {
        let threads = min(
          workers.count, max(1, (indices.count - start) / Training.rowsPerThread))
        let end = min(start + threads * capacity, indices.count)
        runBlock(indices[start..<end], threads: threads, adding: &sums)
        mostThreads = max(mostThreads, threads)
        // A row that is not finite makes its sums not finite, and only then
        // are the rows searched for the first such.
        if !sums.allSatisfy(\.isFinite),
          let row = (start..<end).first(where: { j in
            let count = end - start
            let t = (0..<threads).last { count * $0 / threads <= j - start }!
            return !workers[t].isFinite(row: j - start - count * t / threads)
          })
        {
          for (c, input) in columns.enumerated() {
            workspace.memory[input] = rows[indices[row]][c]
          }
          training.machine.run(&workspace)
          throw training.divergence(step: step, &workspace)
        }
        start = end
      }
      let n = Double(indices.count)
      for k in gradient.indices { gradient[k] = sums[1 + k] / n }
      return sums[0] / n
    }

    /// Runs `block`'s rows, a consecutive share on each of `threads`
    /// workers, then adds each row's loss and partials to `sums` in row
    /// order, the sums shared among the same threads.
    private mutating func runBlock(
      _ block: ArraySlice<Int>, threads: Int, adding sums: inout [Double]
    ) {
      let table = table
      workers.withUnsafeMutableBufferPointer { workers in
        table.withUnsafeBufferPointer { table in
          block.withUnsafeBufferPointer { block in
            sums.withUnsafeMutableBufferPointer { sums in
              let shared = Shared(workers: workers, table: table, block: block, sums: sums)
              let count = block.count
              @Sendable func evaluate(_ t: Int) {
                // Moved out for the share, so that this thread alone holds it:
                // what two cores share they slow each other down on.
                var worker = (shared.workers.baseAddress! + t).move()
                let share = (count * t / threads)..<(count * (t + 1) / threads)
                worker.run(UnsafeBufferPointer(rebasing: shared.block[share]), of: shared.table)
                (shared.workers.baseAddress! + t).initialize(to: worker)
              }
              @Sendable func add(_ t: Int) {
                // Each worker's rows, in order, for this thread's share of the sums.
                let width = shared.sums.count
                for w in 0..<threads {
                  (shared.workers.baseAddress! + w).pointee.add(
                    columns: (width * t / threads)..<(width * (t + 1) / threads),
                    rows: count * (w + 1) / threads - count * w / threads,
                    to: shared.sums.baseAddress!)
                }
              }
              if threads == 1 {
                evaluate(0)
                add(0)
              } else {
                DispatchQueue.concurrentPerform(iterations: threads, execute: evaluate)
                DispatchQueue.concurrentPerform(iterations: threads, execute: add)
              }
            }
          }
        }
      }
    }

    /// Mean loss over the test rows, summed in file order.
    mutating func testLoss() -> Double? {
      guard let test, var tester else { return nil }
      self.tester = nil  // held alone while it runs, so its memory is not copied
      tester.setParameters(training.elements.map { workspace.memory[$0.input] })
      let order = Array(0..<test.rows.count)
      var loss = 0.0
      testTable.withUnsafeBufferPointer { table in
        order.withUnsafeBufferPointer { order in
          var start = 0
          while start < order.count {
            let end = min(start + tester.capacity, order.count)
            tester.run(UnsafeBufferPointer(rebasing: order[start..<end]), of: table)
            tester.add(columns: 0..<1, rows: end - start, to: &loss)
            start = end
          }
        }
      }
      self.tester = tester
      return loss / Double(test.rows.count)
    }
  }

  /// A thread takes at least this many of a block's rows (fewer rows run on
  /// fewer threads): below it, starting the threads costs more than they save.
  static let rowsPerThread = 8

  /// Rows one interpreter run evaluates side by side: 256, or as many as
  /// keep its memory within 4 MB. More rows spread each instruction's
  /// dispatch thinner (on the moons network, 32 rows take 1.5x the time
  /// of 256); past the cache, they cost more than they save.
  static func laneRows(_ machine: Interpreter.Machine) -> Int {
    max(1, min(256, (1 << 19) / max(1, machine.memorySize)))
  }

  /// Lane groups a thread runs per block: more make fewer blocks, and fewer
  /// of the pauses where the threads wait for each other.
  static let groupsPerThread = 4

  /// What one thread evaluates rows with: its own machine,
  /// ``Training/groupsPerThread`` workspaces of ``Training/laneRows(_:)``
  /// rows, and copies of the tables of where a row's cells go and its
  /// results come from.
  private struct Worker: Sendable {
    let machine: Interpreter.Machine
    var groups: [Interpreter.Workspace]
    let columns: [Int]
    /// Each parameter element's place in the input.
    let inputs: [Int]
    /// Where the loss, then each parameter element's partial, sits in
    /// memory; nil for a partial that is 0.
    let results: [Int?]
    /// Rows per workspace.
    let lanes: Int
    /// Rows the worker holds at once.
    var capacity: Int { lanes * groups.count }

    /// A worker whose rows set the input elements `columns`. Every other
    /// leaf is the same in all rows, and so is all that is computed from
    /// those alone: the machine computes it once per point.
    init(
      _ training: Training, input: [Double], columns: [Int],
      groups: Int = Training.groupsPerThread
    ) {
      let layout = training.machine.layout
      let varying = Set(columns.compactMap { layout.leaf(containing: $0) })
      let shared = layout.leaves.indices.filter { !varying.contains($0) }.map {
        ArrayName.variable(layout.leaves[$0].symbol)
      }
      let machine = Interpreter.Machine(training.program, sharedAcrossRows: Set(shared))
      self.machine = machine
      let lanes = Training.laneRows(machine)
      self.lanes = lanes
      self.groups = (0..<groups).map { _ in machine.makeWorkspace(input: input, rows: lanes) }
      // Copied, not shared: the array's own buffer, whose reference count
      // this thread alone touches.
      self.columns = columns.map { $0 }
      inputs = training.elements.map(\.input)
      results = [training.lossOffset] + training.elements.map(\.gradient)
    }

    /// Puts the parameters' values in every row.
    mutating func setParameters(_ values: [Double]) {
      for g in groups.indices {
        for (k, input) in inputs.enumerated() {
          for r in 0..<lanes { groups[g][element: input, row: r] = values[k] }
        }
      }
    }

    /// Runs the rows `order` of `table` (at most ``capacity``), row
    /// `order[j]` in lane j % lanes of group j / lanes.
    mutating func run(_ order: UnsafeBufferPointer<Int>, of table: UnsafeBufferPointer<Double>) {
      var g = 0
      var first = 0
      while first < order.count {
        let count = min(lanes, order.count - first)
        for k in 0..<count {
          let row = order[first + k]
          for (c, input) in columns.enumerated() {
            groups[g][element: input, row: k] = table[row * columns.count + c]
          }
        }
        machine.run(&groups[g], rows: count)
        first += count
        g += 1
      }
    }

    /// Adds results `columns` (0 the loss, 1 + p parameter element p's
    /// partial) of the first `rows` rows to `sums[c]`, in row order. Four
    /// sums go at once, so that four chains of additions are in flight.
    func add(columns: Range<Int>, rows: Int, to sums: UnsafeMutablePointer<Double>) {
      // A partial that is 0 adds zeros to +0 or to a sum: nothing.
      let live = columns.filter { results[$0] != nil }
      for g in groups.indices where g * lanes < rows {
        let count = min(lanes, rows - g * lanes)
        groups[g].memory.withUnsafeBufferPointer { memory in
          func column(_ c: Int) -> UnsafePointer<Double> {
            memory.baseAddress! + results[c]! * lanes
          }
          var i = 0
          while i + 4 <= live.count {
            let (c0, c1, c2, c3) = (live[i], live[i + 1], live[i + 2], live[i + 3])
            let (p0, p1, p2, p3) = (column(c0), column(c1), column(c2), column(c3))
            var (s0, s1, s2, s3) = (sums[c0], sums[c1], sums[c2], sums[c3])
            for k in 0..<count {
              s0 += p0[k]
              s1 += p1[k]
              s2 += p2[k]
              s3 += p3[k]
            }
            (sums[c0], sums[c1], sums[c2], sums[c3]) = (s0, s1, s2, s3)
            i += 4
          }
          for c in live[i...] {
            let p = column(c)
            var sum = sums[c]
            for k in 0..<count { sum += p[k] }
            sums[c] = sum
          }
        }
      }
    }

    /// Whether row `j`'s loss and partials are all finite.
    func isFinite(row j: Int) -> Bool {
      results.allSatisfy { offset in
        offset.map { groups[j / lanes][element: $0, row: j % lanes].isFinite } ?? true
      }
    }
  }

  /// The buffers the threads of a block share: each runs its own worker,
  /// then adds its own sums, reading every worker.
  private struct Shared: @unchecked Sendable {
    let workers: UnsafeMutableBufferPointer<Worker>
    let table: UnsafeBufferPointer<Double>
    let block: UnsafeBufferPointer<Int>
    let sums: UnsafeMutableBufferPointer<Double>
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
