import Foundation
import Testing

@testable import BackpropCore

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `train`'s optimizers, epochs, shuffling and held-out loss (SPEC §5)
/// against a descent written again here from SPEC's formulas, step by step;
/// the loss plot; and the bad input of the new options.
@Suite struct TrainingTests {
  /// SPEC §5 written again: batches (wrapping, or epochs with a short last
  /// batch), Fisher–Yates on the documented stream, and each update rule as
  /// SPEC prints it. Only the per-row loss and gradient come from the library
  /// (the interpreter, tested on its own elsewhere).
  struct ReferenceDescent {
    var program: Program
    var layout: Layout
    /// The params' input elements, in leaf order.
    var parameters: [Int]

    init(_ compilation: Compilation) throws {
      let program = try #require(compilation.program)
      self.program = Optimizer.optimize(program, keeping: .outputsAndLeafGradients)
      layout = Layout(self.program)
      let leaves = layout.leaves.filter { program.symbols[$0.symbol].leaf == .param }
      parameters = leaves.flatMap { leaf in (0..<leaf.size).map { leaf.offset + $0 } }
    }

    /// Loss and ∂loss/∂(each param element) at one row.
    func lossAndGradient(_ input: [Double]) -> (Double, [Double]) {
      let evaluation = Evaluation(program: program, input: input)
      let (_, gradient) = ArrayDifferentialTests.flat(evaluation)
      return (evaluation.elements[program.outputs[0]][0], parameters.map { gradient[$0] })
    }

    enum Rule {
      case sgd
      case momentum(Double)
      case adam(Double, Double, Double)
    }

    func run(
      _ start: [Double], rows: [[Double]], columns: [Int], lr: Double, rule: Rule, steps: Int?,
      epochs: Int?,
      batch: Int?, shuffle: Bool, seed: UInt64
    ) -> (losses: [Double], parameters: [Double]) {
      var input = start
      let n = rows.count
      let b = batch ?? n
      var order = Array(0..<n)
      var stream = SeededGenerator(name: "rows of --shuffle", seed: seed)
      func permute() {
        var i = n - 1
        while i > 0 {
          let j = Int(stream.uniform() * Double(i + 1))
          (order[i], order[j]) = (order[j], order[i])
          i -= 1
        }
      }
      if shuffle { permute() }
      // The batches, in order.
      var batches: [[Int]] = []
      if let epochs {
        for epoch in 0..<epochs {
          if epoch > 0 && shuffle { permute() }
          var start = 0
          while start < n {
            batches.append(Array(order[start..<min(start + b, n)]))
            start += b
          }
        }
      } else {
        var cursor = 0
        for _ in 0..<steps! {
          if batch == nil {
            batches.append(Array(0..<n))
            continue
          }
          var rowsOfStep: [Int] = []
          for _ in 0..<b {
            if cursor == n {
              cursor = 0
              if shuffle { permute() }
            }
            rowsOfStep.append(order[cursor])
            cursor += 1
          }
          batches.append(rowsOfStep)
        }
      }
      var m = [Double](repeating: 0, count: parameters.count)
      var v = m
      var losses: [Double] = []
      for (t0, rowsOfStep) in batches.enumerated() {
        let t = Double(t0 + 1)
        var loss = 0.0
        var g = [Double](repeating: 0, count: parameters.count)
        for r in rowsOfStep {
          for (c, column) in columns.enumerated() { input[column] = rows[r][c] }
          let (l, d) = lossAndGradient(input)
          loss += l
          for k in g.indices { g[k] += d[k] }
        }
        for k in g.indices { g[k] /= Double(rowsOfStep.count) }
        losses.append(loss / Double(rowsOfStep.count))
        for (k, p) in parameters.enumerated() {
          switch rule {
          case .sgd:
            input[p] = input[p] - lr * g[k]
          case .momentum(let beta):
            v[k] = beta * v[k] + g[k]
            input[p] = input[p] - lr * v[k]
          case .adam(let b1, let b2, let eps):
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
            let mHat = m[k] / (1 - pow(b1, t))
            let vHat = v[k] / (1 - pow(b2, t))
            input[p] = input[p] - lr * mHat / (sqrt(vHat) + eps)
          }
        }
      }
      return (losses, parameters.map { input[$0] })
    }
  }

  struct Case: CustomStringConvertible, Sendable {
    var sample: String
    var data: String?
    var arguments: [String]
    var description: String { "\(sample) \(arguments.joined(separator: " "))" }
  }

  static let cases: [Case] = [
    Case(sample: "mazur", arguments: ["--lr", "0.5", "--steps", "120"]),
    Case(
      sample: "mazur",
      arguments: ["--lr", "0.1", "--steps", "120", "--optimizer", "momentum", "--momentum", "0.8"]),
    Case(sample: "mazur", arguments: ["--lr", "0.05", "--steps", "120", "--optimizer", "adam"]),
    Case(
      sample: "mazur_array",
      arguments: ["--lr", "0.5", "--steps", "100", "--optimizer", "momentum"]),
    Case(
      sample: "mazur_array",
      arguments: [
        "--lr", "0.02", "--steps", "100", "--optimizer", "adam", "--beta1", "0.8", "--beta2",
        "0.99", "--eps", "1e-6",
      ]),
    Case(sample: "logistic", data: "logistic.csv", arguments: ["--lr", "0.5", "--epochs", "100"]),
    Case(
      sample: "logistic", data: "logistic.csv",
      arguments: [
        "--lr", "0.05", "--steps", "150", "--batch", "8", "--shuffle", "--optimizer", "adam",
        "--seed", "7",
      ]),
    Case(
      sample: "logistic", data: "logistic.csv",
      arguments: [
        "--lr", "0.1", "--epochs", "15", "--batch", "7", "--shuffle", "--optimizer", "momentum",
      ]),
  ]

  /// Every step's loss and the trained parameters equal the reference to 1e-12.
  @Test(arguments: cases)
  func trajectoriesFollowSpecFormulas(_ c: Case) throws {
    var arguments = ["train", "\(c.sample).bp", "--every", "1"] + c.arguments
    if let data = c.data { arguments += ["--data", data] }
    let parsed = try Arguments.parse(arguments)
    let request = try TrainRequest(parsed)
    let compilation = Compilation(Paths.sample(c.sample))
    var diagnostics = DiagnosticList()
    let training = try #require(try request.training(compilation, parsed, into: &diagnostics))
    var data: TrainingData?
    if let name = c.data {
      let csv = SourceFile(
        name: name, bytes: Array(try Data(contentsOf: Paths.samples.appendingPathComponent(name))))
      data = TrainingData.read(csv, program: training.program, into: &diagnostics)
    }
    let start = try #require(
      request.leafValues(
        compilation, settings: try Settings(parsed), data: data, into: &diagnostics))
    let result = try training.run(leaves: start, data: data, options: request.options)

    let reference = try ReferenceDescent(compilation)
    let layout = reference.layout
    let columns = (data?.columns ?? []).map { layout.input($0.leaf, element: $0.element) }
    let value = { (option: String) in parsed.value(option).flatMap(Double.init) }
    let rule: ReferenceDescent.Rule =
      switch parsed.value("--optimizer") {
      case "momentum": .momentum(value("--momentum") ?? 0.9)
      case "adam": .adam(value("--beta1") ?? 0.9, value("--beta2") ?? 0.999, value("--eps") ?? 1e-8)
      default: .sgd
      }
    let expected = reference.run(
      start, rows: data?.rows ?? [[]], columns: columns, lr: try #require(value("--lr")),
      rule: rule,
      steps: parsed.value("--steps").flatMap { Int($0) },
      epochs: parsed.value("--epochs").flatMap { Int($0) },
      batch: parsed.value("--batch").flatMap { Int($0) }, shuffle: parsed.has("--shuffle"),
      seed: UInt64(parsed.value("--seed") ?? "0")!)
    #expect(expected.losses.count >= 100)
    #expect(result.steps == expected.losses.count)
    #expect(result.losses.map { $0.step } == Array(1...expected.losses.count))
    for (k, (got, want)) in zip(result.losses.map { $0.loss }, expected.losses).enumerated()
    where !close(got, want, 1e-12) {
      Issue.record("step \(k + 1): loss \(got), reference \(want)")
      break
    }
    let trained = result.parameters.flatMap { $0.values }
    #expect(trained.count == expected.parameters.count)
    for (k, (got, want)) in zip(trained, expected.parameters).enumerated()
    where !close(got, want, 1e-12) {
      Issue.record("parameter element \(k): \(got), reference \(want)")
    }
    // The descent moved: a trajectory that stands still would pass trivially.
    #expect(expected.losses.last! < expected.losses.first!)
  }

  /// Shuffling permutes: with `--shuffle` the batches differ from the file's order, deterministically.
  @Test func shuffleIsSeededAndChangesTheOrder() throws {
    func losses(_ extra: [String]) throws -> [Double] {
      let result = try Backpropc.run(
        [
          "train", "logistic.bp", "--data", "logistic.csv", "--lr", "0.1", "--steps", "10",
          "--batch", "6", "--every", "1",
          "--json",
        ] + extra, in: Paths.samples)
      #expect(result.status == 0, "\(result.stderr)")
      let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
      return try #require(json?["loss"] as? [Double])
    }
    let plain = try losses([])
    let shuffled = try losses(["--shuffle"])
    #expect(plain != shuffled)
    #expect(try losses(["--shuffle"]) == shuffled)
    #expect(try losses(["--shuffle", "--seed", "3"]) != shuffled)
  }

  /// `--test`: one test loss per reported loss, in progress lines and JSON,
  /// equal to the mean loss over the test rows at those parameters.
  @Test func heldOutLossIsReported() throws {
    let result = try Backpropc.run(
      [
        "train", "logistic.bp", "--data", "logistic.csv", "--test", "logistic.csv", "--epochs", "4",
        "--optimizer", "adam", "--lr", "0.1", "--json",
      ], in: Paths.samples)
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let loss = try #require(json["loss"] as? [Double])
    let test = try #require(json["test_loss"] as? [Double])
    #expect(json["epochs"] as? Int == 4)
    #expect(json["steps"] as? Int == 4)
    let optimizer = try #require(json["optimizer"] as? [String: Any])
    #expect(optimizer["name"] as? String == "adam")
    #expect(optimizer["beta2"] as? Double == 0.999)
    // Full batches over the same rows: each test loss is that step's loss.
    #expect(loss.count == 4 && test.count == 4)
    for (a, b) in zip(loss, test) { #expect(close(a, b, 1e-15)) }
    #expect(
      close(
        try #require(json["final_test_loss"] as? Double),
        try #require(json["final_loss"] as? Double), 1e-15))
    #expect(result.stderr.contains("test loss"))
    #expect(result.stderr.contains("final test loss"))
  }

  /// The two-moons sample trains to at least 97% accuracy on its training
  /// and its held-out rows, judged by evaluating the trained program on every row.
  @Test func moonsTrainToHighAccuracy() throws {
    let dir = Paths.scratch("moons")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trained = dir.appendingPathComponent("trained.bp").path
    let train = try Backpropc.run(
      [
        "train", "moons.bp", "--data", "moons.csv", "--test", "moons_test.csv", "--optimizer",
        "adam", "--lr", "0.01",
        "--epochs", "60", "--batch", "20", "--shuffle", "-o", trained,
      ], in: Paths.samples, timeLimit: 300)
    #expect(train.status == 0, "\(train.stderr)")
    let compilation = Compilation(
      SourceFile(
        name: "trained.bp", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: trained)))))
    let program = Optimizer.optimize(try #require(compilation.program), keeping: .everything)
    let z = try #require(program.symbols.firstIndex { $0.name == "z" })
    var diagnostics = DiagnosticList()
    let base = try #require(compilation.leafValues([:], into: &diagnostics))
    let layout = Layout(program)
    let x = try #require(layout.leaves.first { $0.name == "x" })
    for file in ["moons.csv", "moons_test.csv"] {
      let lines = try String(
        contentsOf: Paths.samples.appendingPathComponent(file), encoding: .utf8
      )
      .split(separator: "\n").dropFirst()
      var right = 0
      for line in lines {
        let cells = line.split(separator: ",").map {
          Double($0.trimmingCharacters(in: .whitespaces))!
        }
        var input = base
        input[x.offset] = cells[0]
        input[x.offset + 1] = cells[1]
        let logit = Evaluation(program: program, input: input).elements[z][0]
        if (logit > 0) == (cells[2] == 1) { right += 1 }
      }
      let accuracy = Double(right) / Double(lines.count)
      #expect(accuracy >= 0.97, "\(file): accuracy \(accuracy)")
    }
  }

  // MARK: The plot

  /// The plot's structure, read back as XML.
  final class SVGReader: NSObject, XMLParserDelegate {
    var polylines: [(name: String, points: [(Double, Double)])] = []
    var texts: [(className: String, text: String)] = []
    var root: String?
    private var currentClass: String?

    func parser(
      _ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
      qualifiedName: String?,
      attributes: [String: String] = [:]
    ) {
      if root == nil { root = element }
      if element == "polyline" {
        let points = (attributes["points"] ?? "").split(separator: " ").map { pair in
          let xy = pair.split(separator: ",").map { Double($0)! }
          return (xy[0], xy[1])
        }
        polylines.append((attributes["data-name"] ?? "", points))
      }
      currentClass = element == "text" ? (attributes["class"] ?? "") : nil
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
      if let currentClass { texts.append((currentClass, string)) }
    }

    func parser(
      _ parser: XMLParser, didEndElement element: String, namespaceURI: String?,
      qualifiedName: String?
    ) {
      currentClass = nil
    }

    static func read(_ svg: String) throws -> SVGReader {
      let reader = SVGReader()
      let parser = XMLParser(data: Data(svg.utf8))
      parser.delegate = reader
      #expect(
        parser.parse(), "the plot is not well-formed XML: \(String(describing: parser.parserError))"
      )
      return reader
    }
  }

  @Test func plotHasOneLinePerSeriesAndAxesCoveringTheData() throws {
    let losses = (1...30).map { (step: $0 * 10, loss: 2.0 * exp(-Double($0) / 5)) }
    let test = losses.map { $0.loss * 1.3 }
    let reader = try SVGReader.read(LossPlot.svg(losses: losses, testLosses: test))
    #expect(reader.root == "svg")
    #expect(reader.polylines.map(\.name) == ["training loss", "test loss"])
    #expect(reader.polylines.allSatisfy { $0.points.count == 30 })
    #expect(
      reader.texts.contains { $0.text == "training loss" }
        && reader.texts.contains { $0.text == "test loss" })
    // 2.6 down to 0.0064: more than two decades, so a log axis of whole decades covering the data.
    let yTicks = reader.texts.filter { $0.className == "y-tick" }.map { Double($0.text)! }
    #expect(yTicks == [0.001, 0.01, 0.1, 1, 10])
    #expect(reader.texts.contains { $0.text == "loss (log scale)" })
    let xTicks = reader.texts.filter { $0.className == "x-tick" }.map { Double($0.text)! }
    #expect(xTicks.first! <= 10 && xTicks.last! >= 300)
    // Higher loss is drawn higher: the first point's y is the smallest coordinate.
    let line = reader.polylines[0].points
    #expect(line.first!.1 < line.last!.1)
    #expect(zip(line, line.dropFirst()).allSatisfy { $0.0 < $1.0 })
  }

  @Test func plotOfANarrowRangeIsLinearWithRoundTicks() throws {
    let losses = [(step: 1, loss: 0.52), (step: 2, loss: 0.47), (step: 3, loss: 0.4)]
    let reader = try SVGReader.read(LossPlot.svg(losses: losses, testLosses: nil))
    #expect(reader.polylines.count == 1)
    #expect(!reader.texts.contains { $0.text == "test loss" })
    let yTicks = reader.texts.filter { $0.className == "y-tick" }.map(\.text)
    // 0.40 to 0.52 in about five steps: 0.024, rounded up to the round 0.05.
    #expect(yTicks == ["0.40", "0.45", "0.50", "0.55"])
    #expect(reader.texts.contains { $0.text == "loss" })
    // One point: the range is widened around it rather than divided by zero.
    let one = try SVGReader.read(LossPlot.svg(losses: [(step: 1, loss: 0.25)], testLosses: nil))
    let point = one.polylines[0].points[0]
    #expect(point.0.isFinite && point.1.isFinite)
  }

  /// A golden of the plot for the moons sample, 8 epochs (the README's is 60).
  @Test func moonsPlotGolden() throws {
    let dir = Paths.scratch("plot")
    defer { try? FileManager.default.removeItem(at: dir) }
    let plot = dir.appendingPathComponent("loss.svg")
    let result = try Backpropc.run(
      [
        "train", "moons.bp", "--data", "moons.csv", "--test", "moons_test.csv", "--optimizer",
        "adam", "--lr", "0.01",
        "--epochs", "8", "--batch", "20", "--shuffle", "--every", "4", "--plot", plot.path,
      ], in: Paths.samples, timeLimit: 120)
    #expect(result.status == 0, "\(result.stderr)")
    let svg = try String(contentsOf: plot, encoding: .utf8)
    let reader = try SVGReader.read(svg)
    #expect(reader.polylines.map { $0.points.count } == [20, 20])
    Golden.check(svg, file: "moons.loss.svg")
  }

  // MARK: Bad input

  static let badUsage: [[String]] = [
    ["--optimizer", "adamw"],
    ["--optimizer", "adam", "--beta1", "1.5"],
    ["--optimizer", "adam", "--beta2", "-0.1"],
    ["--optimizer", "adam", "--eps", "0"],
    ["--optimizer", "momentum", "--momentum", "1"],
    ["--momentum", "0.5"],
    ["--optimizer", "momentum", "--beta1", "0.5"],
    ["--epochs", "0"],
    ["--epochs", "2", "--steps", "2"],
    ["--shuffle"],
    ["--plot", "x.png"],
    ["--plot", "out.svg", "-o", "out.svg"],
    ["--threads", "0"],
    ["--threads", "two"],
  ]

  /// Exit 2, a message naming the option, and no file written.
  @Test(arguments: badUsage)
  func badOptionsAreBadUsageAndWriteNothing(_ extra: [String]) throws {
    let dir = Paths.scratch("bad-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(
      at: Paths.samples.appendingPathComponent("mazur.bp"), to: dir.appendingPathComponent("m.bp"))
    var arguments = ["train", "m.bp", "--lr", "0.5", "--plot", "loss.svg", "-o", "trained.bp"]
    if !extra.contains("--epochs") { arguments += ["--steps", "3"] }
    if extra.contains("--plot") { arguments = ["train", "m.bp", "--lr", "0.5", "--steps", "3"] }
    let result = try Backpropc.run(arguments + extra, in: dir)
    #expect(result.status == 2, "\(extra): \(result.stderr)")
    #expect(result.stderr.contains("error:"))
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(files == ["m.bp"], "\(extra) wrote \(files)")
  }

  /// A ragged row or foreign columns in `--test` are errors at the test file (exit 1), nothing written.
  @Test func badTestFilesAreErrorsAtTheirPlace() throws {
    let dir = Paths.scratch("bad-test")
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["logistic.bp", "logistic.csv"] {
      try FileManager.default.copyItem(
        at: Paths.samples.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    try Data("x[0], x[1], y\n0.1, 0.2, 1\n0.3, 0.4\n".utf8).write(
      to: dir.appendingPathComponent("ragged.csv"))
    try Data("x[0], x[1]\n0.1, 1\n".utf8).write(to: dir.appendingPathComponent("narrow.csv"))
    let base = [
      "train", "logistic.bp", "--data", "logistic.csv", "--lr", "0.5", "--steps", "3", "--plot",
      "loss.svg",
    ]
    let ragged = try Backpropc.run(base + ["--test", "ragged.csv"], in: dir)
    #expect(ragged.status == 1)
    #expect(ragged.stderr.hasPrefix("ragged.csv:3:"), "\(ragged.stderr)")
    let narrow = try Backpropc.run(base + ["--test", "narrow.csv"], in: dir)
    #expect(narrow.status == 1)
    #expect(
      narrow.stderr.hasPrefix(
        "narrow.csv:1:1: error: the test file must have exactly the columns of --data; it lacks 'y'"
      ),
      "\(narrow.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("loss.svg").path))
  }

  /// `count` rows of `x[0], x[1], y`: a curve sampled every `step`, labels alternating.
  static func curveRows(_ count: Int, step: Double) -> String {
    var csv = "x[0], x[1], y\n"
    for r in 0..<count {
      let t = Double(r) * step
      csv += "\(cos(t) + 0.5 * sin(3 * t)), \(sin(t) - 0.25), \(r % 2)\n"
    }
    return csv
  }

  /// A run of `sample` prepared as `train` prepares it, from `train`'s
  /// options and the rows of `csv`.
  static func prepared(_ sample: String, _ options: [String], csv: String) throws -> (
    request: TrainRequest, compilation: Compilation, training: Training, data: TrainingData,
    start: [Double]
  ) {
    let parsed = try Arguments.parse(["train", "\(sample).bp"] + options)
    let request = try TrainRequest(parsed)
    let compilation = Compilation(Paths.sample(sample))
    var diagnostics = DiagnosticList()
    let training = try #require(try request.training(compilation, parsed, into: &diagnostics))
    let file = SourceFile(name: "rows.csv", bytes: Array(csv.utf8))
    let data = try #require(TrainingData.read(file, program: training.program, into: &diagnostics))
    let start = try #require(
      request.leafValues(
        compilation, settings: try Settings(parsed), data: data, into: &diagnostics))
    return (request, compilation, training, data, start)
  }

  /// `--threads`: each step's rows are shared out between threads, but the
  /// sums are taken in row order, so 1, 2 and 3 threads give the same bits
  /// (losses, parameters, final loss), over full batches and shuffled
  /// mini-batches alike, and the threads did run. Logistic regression on
  /// 9,001 rows is several blocks of 1,024 rows per thread (four lane groups
  /// of 256), the last one short; the moons network's 2,000 rows are one
  /// block on two threads or more.
  @Test(arguments: [
    ("logistic", 9001, ["--steps", "3"]),
    ("logistic", 9001, ["--epochs", "2", "--batch", "3500", "--shuffle", "--optimizer", "adam"]),
    ("moons", 2000, ["--steps", "2", "--optimizer", "momentum"]),
  ])
  func threadCountDoesNotChangeTheBits(_ sample: String, _ rows: Int, _ schedule: [String]) throws {
    let dir = Paths.scratch("threads-\(sample)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = Self.curveRows(rows, step: 0.7)
    let path = dir.appendingPathComponent("rows.csv")
    try Data(csv.utf8).write(to: path)
    let (request, compilation, training, data, start) = try Self.prepared(
      sample, ["--data", path.path, "--lr", "0.05", "--every", "1"] + schedule, csv: csv)
    func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }
    var results: [Training.Result] = []
    for threads in 1...3 {
      var options = request.options
      options.threads = threads
      let result = try training.run(leaves: start, data: data, options: options)
      #expect(
        result.threads == threads,
        "\(sample) \(schedule): \(result.threads) threads ran, not \(threads)")
      results.append(result)
    }
    for (k, result) in results.enumerated().dropFirst() {
      let what = "\(sample) \(schedule), \(k + 1) threads"
      #expect(
        bits(result.losses.map(\.loss)) == bits(results[0].losses.map(\.loss)),
        "\(what): losses differ")
      #expect(
        bits(result.parameters.flatMap(\.values)) == bits(results[0].parameters.flatMap(\.values)),
        "\(what): parameters differ")
      #expect(
        result.finalLoss.bitPattern == results[0].finalLoss.bitPattern,
        "\(what): final loss differs")
    }
    // The parameters moved: a run that stands still would pass trivially.
    let layout = Layout(training.program)
    let trained = results[0].parameters.flatMap { p in
      p.values.indices.map { (p.values[$0], start[layout.input(p.symbol, element: $0)]) }
    }
    #expect(trained.contains { $0.0 != $0.1 }, "\(sample) \(schedule): no parameter moved")
  }

  /// The command line's `--threads` reaches the run: the same bytes from 1 and 2.
  @Test func threadsOptionGivesTheSameOutput() throws {
    var outputs: [String] = []
    for threads in ["1", "2"] {
      let result = try Backpropc.run(
        [
          "train", "moons.bp", "--data", "moons.csv", "--lr", "0.05", "--steps", "3", "--json",
          "--threads", threads,
        ],
        in: Paths.samples)
      #expect(result.status == 0, "\(result.stderr)")
      outputs.append(result.stdout)
    }
    #expect(outputs[0].contains("\"final_loss\"") && outputs[1] == outputs[0])
  }

  /// The first row whose loss is not finite stops training, whether the rows
  /// are run on one thread or on two: row 1000 (log 0, on the first thread)
  /// is named, not row 3000 (log −1, on the second).
  @Test func divergenceIsFoundAtTheSameRowOnAnyThreadCount() throws {
    let dir = Paths.scratch("threads-diverge")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("input x = 1\nparam w = 1\nL = log(x) * w\n".utf8).write(
      to: dir.appendingPathComponent("d.bp"))
    let rows = (0..<5000).map { $0 == 1000 ? "0" : $0 == 3000 ? "-1" : "\(1 + Double($0) / 100)" }
    try Data(("x\n" + rows.joined(separator: "\n") + "\n").utf8).write(
      to: dir.appendingPathComponent("rows.csv"))
    var messages: [String] = []
    for threads in ["1", "2"] {
      let result = try Backpropc.run(
        [
          "train", "d.bp", "--data", "rows.csv", "--lr", "0.1", "--steps", "2", "--threads",
          threads,
        ], in: dir)
      #expect(result.status == 1, "\(result.stderr)")
      messages.append(result.stderr)
    }
    #expect(
      messages[0].hasPrefix(
        "d.bp:3:5: error: training stopped at step 1: the loss 'L' is -Infinity"), "\(messages[0])")
    #expect(messages[1] == messages[0])
  }

  /// Rows side by side, in lane groups on two threads, give the bits of the
  /// reference descent, which evaluates one row at a time (through `eval`'s
  /// one-row path) and adds in row order: 700 moons rows are 350 per
  /// thread, a full group of 256 and a short one, in one block. (Plain
  /// descent: the reference writes Adam's g² as (1 − β₂)·g·g, one rounding
  /// away from SPEC's (1 − β₂)·g², which `train` follows.)
  @Test func lanesGiveTheBitsOfOneRowAtATime() throws {
    let (request, compilation, training, data, start) = try Self.prepared(
      "moons", ["--lr", "0.05", "--steps", "2", "--every", "1"],
      csv: Self.curveRows(700, step: 0.37))
    var options = request.options
    options.threads = 2
    let result = try training.run(leaves: start, data: data, options: options)
    #expect(result.threads == 2)
    let reference = try ReferenceDescent(compilation)
    let columns = data.columns.map { reference.layout.input($0.leaf, element: $0.element) }
    let expected = reference.run(
      start, rows: data.rows, columns: columns, lr: 0.05, rule: .sgd, steps: 2,
      epochs: nil, batch: nil, shuffle: false, seed: 0)
    #expect(result.losses.map(\.loss.bitPattern) == expected.losses.map(\.bitPattern))
    #expect(
      result.parameters.flatMap(\.values).map(\.bitPattern) == expected.parameters.map(\.bitPattern)
    )
  }

  /// Divergence writes no plot and no program.
  @Test func divergenceWritesNoPlot() throws {
    let dir = Paths.scratch("diverge")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("param w = 1\nL = exp(w * w)\n".utf8).write(to: dir.appendingPathComponent("d.bp"))
    let result = try Backpropc.run(
      [
        "train", "d.bp", "--lr", "10", "--steps", "50", "--optimizer", "momentum", "--plot",
        "loss.svg", "-o", "t.bp",
      ], in: dir)
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.contains("training stopped at step"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["d.bp"])
  }
}
