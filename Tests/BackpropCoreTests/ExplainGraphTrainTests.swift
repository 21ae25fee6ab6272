import Foundation
import Testing

@testable import BackpropCore

/// SPEC §5: `explain`, `graph` and `train`. Expected numbers are the seeds'
/// (SPEC §4 and §5) or hand derivations.
@Suite struct ExplainTests {
  static func explain(_ sample: String, output: String? = nil, _ format: Explanation.Format = .text)
    throws -> String
  {
    let compilation = Compilation(Paths.sample(sample))
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let chosen = output.map { compilation.symbol(named: $0) } ?? compilation.program?.outputs.first
    let symbol = try #require(chosen)
    let explanation = try #require(Explanation(compilation, leaves: leaves, output: symbol))
    return explanation.rendered(format)
  }

  /// The number that ends the line about ∂O/∂name.
  static func result(_ text: String, _ adjoint: String) -> Double? {
    let line = text.split(separator: "\n").first {
      $0.trimmingCharacters(in: .whitespaces).hasPrefix(adjoint + " = ")
    }
    return line.flatMap { Double($0.components(separatedBy: " = ").last ?? "") }
  }

  @Test func appleTaxGradientAsTheSeedWorksItOut() throws {
    let text = try Self.explain("apple")
    #expect(text.contains("  A = x * y = 100 * 2 = 200\n"))
    #expect(text.contains("  ∂C/∂A = ∂C/∂B · z = 440 · 1.1 = 484\n"))
    #expect(close(try #require(Self.result(text, "∂C/∂x")), 968, 1e-9))
    #expect(close(try #require(Self.result(text, "∂C/∂y")), 48400, 1e-9))
    #expect(close(try #require(Self.result(text, "∂C/∂z")), 88000, 1e-9))
  }

  /// The fan-out sum of the 2-2-2 network, and ∂E/∂w5 (seeds/003).
  @Test func mazurFanOutIsASumOfTerms() throws {
    let text = try Self.explain("mazur")
    #expect(text.contains("∂E/∂out_h1 = ∂E/∂net_o1 · w5 + ∂E/∂net_o2 · w7 = "))
    #expect(abs(try #require(Self.result(text, "∂E/∂out_h1")) - 0.036350306) < 5e-10)
    #expect(abs(try #require(Self.result(text, "∂E/∂w5")) - 0.082167041) < 5e-10)
    // sigmoid's local derivative, written as the gradient program computes it
    #expect(text.contains("∂E/∂net_o1 = ∂E/∂out_o1 · out_o1 · (1 − out_o1) = "))
    // the squared error's, simplified as the seed writes it
    #expect(text.contains("∂E/∂out_o1 = ∂E/∂E_o1 · (-(target_o1 − out_o1)) = "))
  }

  @Test func markdownUsesLaTeXWithEscapedNames() throws {
    let text = try Self.explain("mazur", .markdown)
    #expect(
      text.contains(
        "$\\frac{\\partial E}{\\partial out\\_h1} = \\frac{\\partial E}{\\partial net\\_o1} \\cdot w5 + "
      ))
    #expect(text.contains("## Forward pass") && text.contains("## Backward pass"))
  }

  @Test func outputMayNameAnyDefinedName() throws {
    let text = try Self.explain("mazur", output: "net_o1")
    #expect(text.contains("∂net_o1/∂net_o1 = 1"))
    #expect(close(try #require(Self.result(text, "∂net_o1/∂w5")), 0.593269992, 1e-8))  // = out_h1
    #expect(!text.contains("∂net_o1/∂E"))  // net_o1 does not depend on E
  }

  /// SPEC §6.6: the layer rule in index form, derived from the program as
  /// seed 004 states it, then per element; the numbers are mazur.bp's.
  @Test func arraysAreExplainedInIndexForm() throws {
    let text = try Self.explain("mazur_array")
    #expect(text.contains("  h[j] = sigmoid(Σ_i W1[j, i] * x[i] + b1)\n"))
    #expect(text.contains("  ∂E/∂h[j] = Σ_k ∂E/∂o[k] · o[k] · (1 − o[k]) · W2[k, j]\n"))
    #expect(text.contains("  ∂E/∂W2[i, j] = ∂E/∂o[i] · o[i] · (1 − o[i]) · h[j]\n"))
    #expect(text.contains("  ∂E/∂x[i] = Σ_j ∂E/∂h[j] · h[j] · (1 − h[j]) · W1[j, i]\n"))
    // The seed's numbers: ∂E/∂out_h1 = 0.03635030639, ∂E/∂w5 = 0.08216704056;
    // each term's values substituted into its formula (o, W2 from the seed).
    #expect(
      text.contains(
        "  ∂E/∂h[0] = 0.7413650696 · 0.7513650696 · (1 − 0.7513650696) · 0.4"
          + " + (-0.2170715347) · 0.7729284653 · (1 − 0.7729284653) · 0.5 = 0.03635030639\n"
      ))
    #expect(close(try #require(Self.result(text, "∂E/∂W2[0, 0]")), 0.082167041, 1e-8))
    let markdown = try Self.explain("mazur_array", .markdown)
    #expect(markdown.contains("\\sum_{k} \\frac{\\partial E}{\\partial o_{k}}"))
  }

  /// A use through a constant or a repeated subscript is an Iverson bracket;
  /// a leaf's index is renamed apart from the using statement's (`x[j]`, as
  /// the statement binds `i`); a logsumexp's own index stays bound.
  @Test func bracketsAndRenamingInIndexForm() throws {
    let source = """
      param A[2, 3] = uniform(-1, 1), B[3, 2] = uniform(-1, 1)
      C[i, k] = sum(j, A[i, j] * B[j, k])
      L = sum(i, C[i, 0]) + sum(i, C[i, i])
      """
    let compilation = Compilation(name: "m.bp", source: source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let output = try #require(compilation.symbol(named: "L"))
    let text = try #require(Explanation(compilation, leaves: leaves, output: output)).rendered(
      .text)
    #expect(text.contains("  ∂L/∂C[i, k] = ∂L/∂L · [k = 0] + ∂L/∂L · [k = i]\n"), "\(text)")
    // ∂L/∂C = [[1 + 1, 0], [1, 1]]: C[0,0] is used twice.
    #expect(text.contains("  ∂L/∂C[0, 0] = 1 · 1 + 1 · 1 = 2\n"))
    #expect(text.contains("  ∂L/∂A[i, j] = Σ_k ∂L/∂C[i, k] · B[j, k]\n"), "\(text)")
    let softmax = try Self.explain("softmax")
    #expect(
      softmax.contains("∂L/∂z[k′] = ∂L/∂L · exp(z[k′] − (logsumexp_k z[k])) + ∂L/∂L · (-t[k′])"),
      "\(softmax)")
    // softmax(z) − t at z = [-0.15, -0.55, 0.85], t = [0, 1, 0]: from Python's math module.
    #expect(close(try #require(Self.result(softmax, "∂L/∂z[1]")), -0.847258861659, 1e-10))
    #expect(try Self.explain("least_squares").contains("  ∂L/∂x[j] = Σ_i ∂L/∂r[i] · A[i, j]\n"))
  }

  /// Every name explain prints is a name of the program or a builtin: the
  /// simplifier's temporaries never show.
  @Test(arguments: Paths.sampleNames)
  func speaksOnlyInSourceNames(_ sample: String) throws {
    let text = try Self.explain(sample)
    let compilation = Compilation(Paths.sample(sample))
    var names = Set((compilation.program?.symbols.map(\.name) ?? []) + Callee.callableNames)
    // Index notation (SPEC §6.6): the program's indices, a leaf's i, j, k, l,
    // primed where renamed apart, and reductions over them.
    let indices = Set(
      (compilation.checked?.bindings.flatMap { $0.map(\.name) } ?? []) + ["i", "j", "k", "l"])
    for index in indices {
      names.formUnion(
        [index, index + "′", "Σ_" + index, "logsumexp_" + index, "max_" + index, "min_" + index])
    }
    let words = text.components(separatedBy: CharacterSet(charactersIn: "∂/·()=+−-*^,:'[] \n"))
    for word in words where word.first.map({ $0.isLetter || $0 == "_" || $0 == "Σ" }) == true {
      let allowed = [
        "Forward", "pass", "Backward", "for", "each", "name", "V", "that", "depends", "on", "the",
        "sum", "over", "uses", "of", "user", "s", "adjoint", "local", "derivative", "V's", "user's",
        "terms", "elements", "logsumexp",
      ]
      #expect(
        names.contains(word) || allowed.contains(word), "\(sample): '\(word)' is not a source name")
    }
  }
}

@Suite struct GraphTests {
  /// SPEC §6.6: an array is one node with its shape, values and adjoints; a
  /// reduction one Σ node; an edge through a constant subscript is labelled.
  @Test func arraysAreOneNodeEach() throws {
    let compilation = Compilation(Paths.sample("mazur_array"))
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let output = try #require(compilation.symbol(named: "E"))
    let dot = try #require(Graph.dot(compilation, leaves: leaves, output: output))
    #expect(
      dot.contains(
        "label=\"W2[2, 2]\\n= [[0.4, 0.45], [0.5, 0.55]]\\n∂E/∂W2 = [[0.08216704056, 0.08266762785], [-0.02260254048, -0.02274024222]]\""
      ))
    #expect(dot.components(separatedBy: "label=\"Σ_").count - 1 == 3)
    // Once per statement, not per element.
    #expect(dot.components(separatedBy: "label=\"sigmoid\"").count - 1 == 2)
    let constant = Compilation(
      name: "c.bp", source: "input x[3] = [1, 2, 3]\ny = x[0] * x[2] + sum(i, x[i])\n")
    let values = try #require(constant.leafValues([:], into: &diagnostics))
    let y = try #require(constant.symbol(named: "y"))
    let drawn = try #require(Graph.dot(constant, leaves: values, output: y))
    #expect(drawn.contains("[label=\"[0]\"]") && drawn.contains("[label=\"[2]\"]"), "\(drawn)")
    // ∂y/∂x = [x2 + 1, 1, x0 + 1] = [4, 1, 2]
    #expect(drawn.contains("∂y/∂x = [4, 1, 2]"), "\(drawn)")
  }

  @Test func everyNamedValueIsANodeWithValueAndAdjoint() throws {
    let compilation = Compilation(Paths.sample("apple"))
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let c = try #require(compilation.symbol(named: "C"))
    let dot = try #require(Graph.dot(compilation, leaves: leaves, output: c))
    #expect(dot.hasPrefix("digraph \"apple.bp\" {"))
    #expect(dot.contains("\"x\" [shape=box"))
    #expect(dot.contains("label=\"A\\n= 200\\n∂C/∂A = 484\""))
    #expect(dot.contains("\"C\" [shape=doubleoctagon"))
    // A = x * y: both operands flow into one '*' node, which flows into A.
    #expect(dot.contains("\"x\" -> \"#op1\";\n  \"y\" -> \"#op1\";\n  \"#op1\" -> \"A\";"))
  }

  /// The DOT of every sample is accepted by Graphviz, when it is installed.
  @Test(arguments: Paths.sampleNames)
  func dotParsesEveryGraph(_ sample: String) throws {
    guard let dot = Run.tool("dot") else {
      print("skipped: Graphviz's dot is not installed (apt-get install graphviz)")
      return
    }
    let text = try String(
      contentsOf: Paths.golden.appendingPathComponent("\(sample).dot"), encoding: .utf8)
    let result = try Run.process(dot, ["-Tsvg"], stdin: Data(text.utf8))
    #expect(result.status == 0, "dot rejected \(sample).dot: \(result.stderr)")
    #expect(result.stdout.contains("<svg"))
  }

  @Test func pictureNeedsDotOrSaysHowToGetIt() throws {
    let dir = Paths.scratch("graph")
    defer { try? FileManager.default.removeItem(at: dir) }
    let sample = Paths.samples.appendingPathComponent("apple.bp").path
    let executable = try #require(Backpropc.executable)
    // No dot on PATH: exit 2, say how to install it, create nothing.
    let noDot = try Run.process(
      "/usr/bin/env", ["PATH=/nonexistent", executable.path, "graph", sample, "-o", "g.svg"],
      directory: dir)
    #expect(noDot.status == 2)
    #expect(noDot.stderr.contains("apt-get install graphviz"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.svg").path))
    // Any other extension is bad usage.
    let other = try Backpropc.run(["graph", sample, "-o", "g.pdf"], in: dir)
    #expect(other.status == 2)
    // .dot is written without Graphviz.
    let plain = try Backpropc.run(["graph", sample, "-o", "g.dot"], in: dir)
    #expect(plain.status == 0)
    #expect(
      (try? String(contentsOf: dir.appendingPathComponent("g.dot"), encoding: .utf8))?.hasPrefix(
        "digraph") == true)
    if Run.tool("dot") != nil {
      let svg = try Backpropc.run(["graph", sample, "-o", "g.svg"], in: dir)
      #expect(svg.status == 0, "\(svg)")
      #expect(
        (try? String(contentsOf: dir.appendingPathComponent("g.svg"), encoding: .utf8))?.contains(
          "<svg") == true)
    }
  }
}

@Suite struct TrainTests {
  static func train(_ arguments: [String], in dir: URL? = nil) throws -> ProcessResult {
    try Backpropc.run(["train"] + arguments, in: dir, timeLimit: 120)
  }

  static func json(_ result: ProcessResult) throws -> [String: Any] {
    try #require(
      JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
  }

  static let mazur = Paths.samples.appendingPathComponent("mazur.bp").path

  /// SPEC §5: one step at rate 0.5 gives SPEC §4's updated weights.
  @Test func oneStepOfTheMazurNetwork() throws {
    let result = try Self.train([Self.mazur, "--lr", "0.5", "--steps", "1", "--json"])
    #expect(result.status == 0, "\(result)")
    let object = try Self.json(result)
    let params = try #require(object["params"] as? [String: Double])
    for (name, expected) in [
      "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121, "w1": 0.149780716,
    ] {
      #expect(abs(try #require(params[name]) - expected) < 5e-9, "\(name)")
    }
    #expect(abs(try #require(object["final_loss"] as? Double) - 0.29102777) < 5e-9)
    #expect((object["loss"] as? [Double])?.count == 1)
    #expect(result.stderr.contains("step 1/1  loss 0.298371108"))
  }

  /// SPEC §5: 10,000 steps, to relative 1e-6.
  @Test func tenThousandStepsOfTheMazurNetwork() throws {
    let result = try Self.train([Self.mazur, "--lr", "0.5", "--steps", "10000", "--json"])
    let object = try Self.json(result)
    let losses = try #require(object["loss"] as? [Double])
    #expect(losses.count == 10)  // steps 1000, 2000, …, 10000
    #expect(close(try #require(losses.last), 3.5108548e-05, 1e-6 / 3.5e-5))
    #expect(abs(try #require(object["final_loss"] as? Double) / 3.5101878e-05 - 1) < 1e-6)
    #expect(abs(losses.last! / 3.5108548e-05 - 1) < 1e-6)
  }

  @Test func xorTrainsBelowOneHundredth() throws {
    let xor = Paths.samples.appendingPathComponent("xor.bp").path
    let csv = Paths.samples.appendingPathComponent("xor.csv").path
    let result = try Self.train([xor, "--data", csv, "--lr", "2", "--steps", "3000", "--json"])
    #expect(try #require(Self.json(result)["final_loss"] as? Double) < 0.01, "\(result)")
  }

  @Test func regressionRecoversTheGeneratingCoefficients() throws {
    let bp = Paths.samples.appendingPathComponent("regression.bp").path
    let csv = Paths.samples.appendingPathComponent("regression.csv").path
    let result = try Self.train([bp, "--data", csv, "--lr", "0.05", "--steps", "2000", "--json"])
    let params = try #require(Self.json(result)["params"] as? [String: Double])
    #expect(abs(try #require(params["p2"]) - 1.5) < 0.05)
    #expect(abs(try #require(params["p1"]) + 0.8) < 0.05)
    #expect(abs(try #require(params["p0"]) - 0.3) < 0.05)
  }

  /// Mini-batches take rows in order and wrap: with B = 1 over two rows the
  /// loss alternates between the rows' losses, by hand: loss = (w·x − y)²
  /// at w = 1: row (1, 3) gives 4, row (2, 2) gives 0.
  @Test func miniBatchesWrapAround() throws {
    let dir = Paths.scratch("batch")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("input x = 0, y = 0\nparam w = 1\nloss = (w*x - y)^2\n".utf8).write(
      to: dir.appendingPathComponent("m.bp"))
    try Data("x,y\n1,3\n2,2\n".utf8).write(to: dir.appendingPathComponent("d.csv"))
    let result = try Self.train(
      [
        "m.bp", "--data", "d.csv", "--lr", "0", "--steps", "4", "--batch", "1", "--every", "1",
        "--json",
      ], in: dir)
    #expect(try #require(Self.json(result)["loss"] as? [Double]) == [4, 0, 4, 0])
    let full = try Self.train(
      ["m.bp", "--data", "d.csv", "--lr", "0", "--steps", "1", "--json"], in: dir)
    #expect(try #require(Self.json(full)["final_loss"] as? Double) == 2)
  }

  /// `-o` rewrites only the param defaults, inserting ` = v` where there was none.
  @Test func writesTheProgramBackWithTrainedDefaults() throws {
    let dir = Paths.scratch("rewrite")
    defer { try? FileManager.default.removeItem(at: dir) }
    let source =
      "# keep me\ninput x = 2\nparam w = -1.5, b   # spaces kept\nloss = (w*x + b - 3)^2\n"
    try Data(source.utf8).write(to: dir.appendingPathComponent("m.bp"))
    let result = try Self.train(
      ["m.bp", "--set", "b=0", "--lr", "0.05", "--steps", "200", "--json", "-o", "m.bp"], in: dir)
    #expect(result.status == 0, "\(result)")
    let params = try #require(Self.json(result)["params"] as? [String: Double])
    let written = try String(contentsOf: dir.appendingPathComponent("m.bp"), encoding: .utf8)
    let w = NumberFormat.shortest(try #require(params["w"]))
    let b = NumberFormat.shortest(try #require(params["b"]))
    #expect(
      written
        == "# keep me\ninput x = 2\nparam w = \(w), b = \(b)   # spaces kept\nloss = (w*x + b - 3)^2\n"
    )
    // By hand: the minimum has w·2 + b = 3.
    let trainedW = try #require(params["w"])
    let trainedB = try #require(params["b"])
    #expect(abs(trainedW * 2 + trainedB - 3) < 1e-6)
  }

  struct BadInput: CustomTestStringConvertible, Sendable {
    var title: String
    var arguments: [String]
    var csv: String?
    var status: Int32
    var message: String
    var testDescription: String { title }
  }

  static let badInputs: [BadInput] = [
    .init(
      title: "unknown --loss", arguments: ["--loss", "F", "--lr", "0.5", "--steps", "1"], status: 2,
      message: "--loss names 'F', which the program does not define; did you mean 'E'?"),
    .init(
      title: "--steps 0", arguments: ["--lr", "0.5", "--steps", "0"], status: 2,
      message: "--steps 0: give a whole number >= 1"),
    .init(
      title: "--steps 1.5", arguments: ["--lr", "0.5", "--steps", "1.5"], status: 2,
      message: "--steps 1.5: give a whole number >= 1"),
    .init(
      title: "--lr abc", arguments: ["--lr", "abc", "--steps", "1"], status: 2,
      message: "--lr abc: give a finite number"),
    .init(
      title: "--lr inf", arguments: ["--lr", "inf", "--steps", "1"], status: 2,
      message: "--lr inf: give a finite number"),
    .init(
      title: "missing --lr", arguments: ["--steps", "1"], status: 2,
      message: "train needs --lr RATE"),
    .init(
      title: "--every 0", arguments: ["--lr", "1", "--steps", "1", "--every", "0"], status: 2,
      message: "--every 0: give a whole number >= 1"),
    .init(
      title: "--batch larger than the data",
      arguments: ["--lr", "1", "--steps", "1", "--batch", "3"], csv: "i1, i2\n1, 2\n3, 4\n",
      status: 2, message: "--batch 3 is more than the 2 rows of data"),
    .init(
      title: "a header name that is not an input", arguments: ["--lr", "1", "--steps", "1"],
      csv: "i1, w1\n1, 2\n", status: 1,
      message: "d.csv:1:5: error: column 'w1' is not an 'input' of the program"),
    .init(
      title: "a duplicate column", arguments: ["--lr", "1", "--steps", "1"],
      csv: "i1,i2,i1\n1,2,3\n", status: 1,
      message: "d.csv:1:7: error: column 'i1' appears more than once in the header"),
    .init(
      title: "a ragged row", arguments: ["--lr", "1", "--steps", "1"],
      csv: "i1, i2\r\n1, 2\r\n\r\n3\r\n", status: 1,
      message: "d.csv:4:2: error: this row has 1 cell; the header has 2"),
    .init(
      title: "a cell that is not a number", arguments: ["--lr", "1", "--steps", "1"],
      csv: "i1, i2\n1,  x2 \n", status: 1, message: "d.csv:2:5: error: 'x2' is not a number"),
    .init(
      title: "an empty data file", arguments: ["--lr", "1", "--steps", "1"], csv: "", status: 1,
      message: "d.csv:1:1: error: the data file is empty"),
  ]

  /// Bad input: the documented exit status, a precise message, and no file
  /// written (the program is trained with `-o` onto itself).
  @Test(arguments: badInputs)
  func badInputIsRefusedAndNothingIsWritten(_ c: BadInput) throws {
    let dir = Paths.scratch("train-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let original = try Data(contentsOf: URL(fileURLWithPath: Self.mazur))
    try original.write(to: dir.appendingPathComponent("m.bp"))
    var arguments = ["m.bp"] + c.arguments + ["-o", "m.bp"]
    if let csv = c.csv {
      try Data(csv.utf8).write(to: dir.appendingPathComponent("d.csv"))
      arguments += ["--data", "d.csv"]
    }
    let result = try Self.train(arguments, in: dir)
    #expect(result.status == c.status, "\(result)")
    #expect(result.stderr.contains(c.message), "\(result)")
    #expect(try Data(contentsOf: dir.appendingPathComponent("m.bp")) == original)
  }

  @Test func aProgramWithoutParamsCannotBeTrained() throws {
    let result = try Backpropc.run(["train", "--lr", "1", "--steps", "1"], stdin: "x = 2; y = x^2")
    #expect(result.status == 1)
    #expect(result.stderr.contains("error: the program has no 'param' leaf to train"))
  }

  @Test func severalOutputsNeedLoss() throws {
    let result = try Backpropc.run(
      ["train", "--lr", "1", "--steps", "1"], stdin: "param w = 1; a = w^2; b = w^3; output a, b")
    #expect(result.status == 2)
    #expect(result.stderr.contains("choose the loss with --loss NAME"))
  }

  /// A loss that overflows stops training, names the step and the statement,
  /// and writes nothing.
  @Test func divergenceStopsWithTheStepAndStatement() throws {
    let dir = Paths.scratch("diverge")
    defer { try? FileManager.default.removeItem(at: dir) }
    // w grows by 1000·e^(1000·w)·lr each step: step 1 is finite (w = 0), then it overflows.
    let source = "param w = 0\ngrowth = exp(1000 * w)\nloss = -growth\n"
    try Data(source.utf8).write(to: dir.appendingPathComponent("m.bp"))
    let result = try Self.train(["m.bp", "--lr", "1", "--steps", "5", "-o", "out.bp"], in: dir)
    #expect(result.status == 1, "\(result)")
    // The loss is what stopped training; the infinity arose in exp.
    #expect(
      result.stderr.contains(
        "m.bp:2:10: error: training stopped at step 2: the loss 'loss' is -Infinity; the first non-finite value, Infinity, arose in this expression"
      ),
      "\(result)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.bp").path))
  }

  /// A gradient that is not finite while the loss is: the error names the
  /// partial (∂loss/∂w = 1/(2·sqrt(0)) = Infinity at w = 0).
  @Test func aNonFiniteGradientIsNamed() throws {
    let dir = Paths.scratch("diverge-gradient")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("param w = 0\nloss = sqrt(w)\n".utf8).write(to: dir.appendingPathComponent("m.bp"))
    let result = try Self.train(["m.bp", "--lr", "1", "--steps", "5"], in: dir)
    #expect(result.status == 1, "\(result)")
    #expect(
      result.stderr.contains(
        "m.bp:2:8: error: training stopped at step 1: ∂loss/∂w is Infinity; the first non-finite value arose in the derivative of this expression"
      ),
      "\(result)")
  }
}

/// Review findings, kept as tests: byte-exact rewriting, names that collide in
/// the labelled Swift API, explain on a leaf output and on a copy.
@Suite struct EdgeCaseTests {
  @Test func trainWritesNonUTF8CommentsBackUnchanged() throws {
    let dir = Paths.scratch("bytes")
    defer { try? FileManager.default.removeItem(at: dir) }
    let source: [UInt8] =
      Array("# caf".utf8) + [0xE9] + Array("\nparam w = 1\nL = (w - 3)^2\n".utf8)
    try Data(source).write(to: dir.appendingPathComponent("e.bp"))
    let result = try Backpropc.run(
      ["train", "e.bp", "--lr", "0.1", "--steps", "5", "-o", "o.bp"], in: dir)
    #expect(result.status == 0, "\(result)")
    let written = try Data(contentsOf: dir.appendingPathComponent("o.bp"))
    #expect(Array(written.prefix(6)) == Array(source.prefix(6)))  // the 0xE9 byte survives
  }

  /// Leaves `in` and `in_` legalise to the same Swift name, and an output may
  /// be called like a partial's label: the labelled API still compiles.
  @Test func labelledSwiftNamesAreDistinct() throws {
    let (compilation, program) = try Compilation.valid(
      "param in = 3, in_ = 4\nx = 1; C = x * in * in_; dC_dx = x * 3\noutput C, dC_dx")
    let swift = SwiftEmitter.emit(
      EmitRequest(optimizing: program, file: compilation.file, prefix: "m"))
    #expect(
      swift.contains(
        "public static func gradient(in_: Double = 3, in__2: Double = 4, x: Double = 1)"))
    let labels =
      swift.components(separatedBy: "-> (").last?.components(separatedBy: ")").first ?? ""
    let names = labels.components(separatedBy: ", ").map {
      $0.components(separatedBy: ":").first ?? ""
    }
    #expect(Set(names).count == names.count, "duplicate labels in \(labels)")
  }

  @Test func explainingALeafOutputShowsItOnce() throws {
    let compilation = Compilation(name: "t.bp", source: "x = 3\ny = x * 2\noutput x")
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let text = try #require(Explanation(compilation, leaves: leaves, output: 0)).rendered(.text)
    #expect(text.components(separatedBy: "∂x/∂x = 1").count == 2)
    #expect(text.contains("  y = x * 2 = 3 * 2 = 6\n"))
  }
}
