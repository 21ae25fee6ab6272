import Foundation
import Testing

@testable import BackpropCore

/// The command line's decisions, made by the Driver's request types and
/// tested without starting a process (the CLI suites run the executable).
@Suite struct DriverTests {
  static func arguments(_ words: String...) throws -> Arguments {
    try Arguments.parse(words)
  }

  /// The usage error a closure throws, or nil.
  static func usageError(_ body: () throws -> Void) -> DiagnosticMessage? {
    do {
      try body()
      return nil
    } catch let error as UsageError {
      return error.message
    } catch {
      return .systemError("\(error)")
    }
  }

  // MARK: Arguments

  @Test func argumentsPickTheCommandAndCollectValues() throws {
    let a = try Self.arguments("eval", "m.bp", "--set", "x=1", "--set=y=2", "--json")
    #expect(a.command == .eval)
    #expect(a.path == "m.bp")
    #expect(a.values["--set"] == ["x=1", "y=2"])
    #expect(a.has("--json"))
    let compile = try Self.arguments("m.bp", "-o", "g.c")
    #expect(compile.command == .compile)
    #expect(compile.value("-o") == "g.c")
  }

  @Test func badArgumentsAreUsageErrors() {
    #expect(
      Self.usageError { _ = try Self.arguments("eval", "--jsn") }
        == .unknownOption("--jsn", command: "eval", suggestion: "--json"))
    #expect(
      Self.usageError { _ = try Self.arguments("a.bp", "b.bp") }
        == .moreThanOneInputFile("a.bp", "b.bp"))
    #expect(
      Self.usageError { _ = try Self.arguments("eval", "--json=1") }
        == .optionTakesNoValue("--json"))
    #expect(
      Self.usageError { _ = try Self.arguments("train", "--lr") }
        == .optionNeedsValue("--lr", placeholder: "RATE"))
    #expect(
      Self.usageError { _ = try Self.arguments("m.bp", "-o", "a.c", "-o", "b.c") }
        == .optionRepeated("-o"))
    let rendered = UsageError(.outputAndEmit).rendered
    #expect(
      rendered
        == "backpropc: error: give either -o FILE or --emit LANGUAGE, not both\nRun 'backpropc --help' for usage.\n"
    )
  }

  // MARK: Compiling

  @Test func theLanguageFollowsTheExtension() throws {
    let swift = try CompileRequest(
      Self.arguments("dir/my-model.bp", "-o", "out/Grad.swift"), inputIsTerminal: false)
    #expect(swift.target == .swift(path: "out/Grad.swift"))
    #expect(swift.prefix == "my_model")
    let c = try CompileRequest(
      Self.arguments("m.bp", "-o", "out/grad.c", "--name", "net"), inputIsTerminal: false)
    #expect(c.target == .c(source: "out/grad.c", header: "out/grad.h"))
    #expect(c.prefix == "net")
    let ir = try CompileRequest(Self.arguments("--emit", "ir"), inputIsTerminal: false)
    #expect(ir.target == .ir)
    #expect(ir.prefix == "model")
  }

  @Test func compileMistakesAreUsageErrors() {
    #expect(
      Self.usageError { _ = try CompileRequest(Self.arguments("m.bp"), inputIsTerminal: false) }
        == .nothingToDo)
    #expect(
      Self.usageError {
        _ = try CompileRequest(Self.arguments("m.bp", "-o", "g.py"), inputIsTerminal: false)
      }
        == .unknownLanguage(path: "g.py"))
    #expect(
      Self.usageError {
        _ = try CompileRequest(Self.arguments("m.bp", "--emit", "rust"), inputIsTerminal: false)
      }
        == .unknownEmitLanguage("rust"))
    #expect(
      Self.usageError {
        _ = try CompileRequest(
          Self.arguments("m.bp", "-o", "g.c", "--emit", "c"), inputIsTerminal: false)
      }
        == .outputAndEmit)
    #expect(
      Self.usageError {
        _ = try CompileRequest(Self.arguments("--emit", "c"), inputIsTerminal: true)
      } == .noInputFile)
    #expect(
      Self.usageError {
        _ = try CompileRequest(
          Self.arguments("m.bp", "--emit", "c", "--name", "ü"), inputIsTerminal: false)
      }
        == .nameNotUsable)
  }

  /// `--with` (SPEC §8.2): a comma list, repeatable, each name once, in the
  /// order given (the table prints its own order); an unknown or empty name is
  /// bad usage listing the names.
  @Test func withNamesTheEntryPointsOfSecondOrder() throws {
    let request = try CompileRequest(
      Self.arguments("m.bp", "-o", "g.c", "--with", "hvp,jvp", "--with", "jvp"),
      inputIsTerminal: false)
    #expect(request.with == [.hvp, .jvp])
    #expect(
      EntryPoint.rows(with: request.with).map(\.name) == ["forward", "gradient", "jvp", "hvp"])
    for (bad, named) in [("jvp,foo", "foo"), ("", ""), ("jvp,", ""), ("gradient", "gradient")] {
      #expect(
        Self.usageError {
          _ = try CompileRequest(
            Self.arguments("m.bp", "-o", "g.c", "--with", bad), inputIsTerminal: false)
        } == .withUnknown(named, names: "jvp, vjp, hvp"), "--with \(bad)")
    }
  }

  /// `--help` lists every callable name with its own summary (`where` once
  /// printed pow's `a ^ b`), and the options of SPEC §8.
  @Test func helpSaysWhatEachFunctionAndOptionDoes() {
    let help = Command.compile.help
    #expect(help.contains("  pow                   a ^ b\n"))
    #expect(help.contains("  where                 where(c, a, b): a where the comparison c holds"))
    #expect(help.contains("--with LIST"))
    #expect(Command.eval.help.contains("--hessian"))
    #expect(Command.check.help.contains("--hessian"))
  }

  /// `--output` belongs to `--hessian` in `eval` and `check`.
  @Test func outputWithoutHessianIsBadUsage() throws {
    let compilation = Compilation(name: "m.bp", source: "x = 2\ny = x^3\nz = x * 2")
    for command in ["eval", "check"] {
      #expect(
        Self.usageError {
          _ = try compilation.hessianOutput(Self.arguments(command, "m.bp", "--output", "y"))
        } == .outputWithoutHessian(command: command))
      let named = try compilation.hessianOutput(
        Self.arguments(command, "m.bp", "--hessian", "--output", "y"))
      #expect(named?.symbol == compilation.symbol(named: "y"))
      #expect(try compilation.hessianOutput(Self.arguments(command, "m.bp")) == nil)
    }
  }

  @Test func compilingWritesTheHeaderWithTheSource() throws {
    let request = try CompileRequest(Self.arguments("m.bp", "-o", "grad.c"), inputIsTerminal: false)
    guard
      case .files(let paths, let write)? = request.output(
        Compilation(name: "m.bp", source: "y = x^2"))
    else {
      Issue.record("no files")
      return
    }
    #expect(paths == ["grad.h", "grad.c"])
    var texts = ["", ""]
    write { texts[$0] += $1 }
    #expect(texts[0].contains("void m_gradient("))
    #expect(texts[1].contains("#include \"grad.h\""))
    #expect(request.output(Compilation(name: "m.bp", source: "y = ")) == nil)
  }

  // MARK: --set

  @Test func settingsParseAndTheLastOneWins() throws {
    let settings = try Settings(
      Self.arguments("eval", "--set", "x=1", "--set", "y= 2.5 ", "--set", "x=3"))
    #expect(settings.settings.map(\.name) == ["x", "y", "x"])
    #expect(settings.settings.map(\.values) == [[1], [2.5], [3]])
    #expect(
      Self.usageError { _ = try Settings(Self.arguments("eval", "--set", "x")) }
        == .settingSyntax("x"))
  }

  /// A value that does not read is reported with the shape the leaf needs,
  /// once the program says what that is; a ragged list is called so.
  @Test func aValueThatDoesNotReadSaysWhyAndTheShape() throws {
    let compilation = Compilation(
      name: "m.bp", source: "param W[2, 2]\ninput x = 1\nresult = W[0, 0] * x")
    func problem(_ setting: String) -> DiagnosticMessage? {
      Self.usageError {
        try Settings(Self.arguments("eval", "--set", setting)).check(against: compilation)
      }
    }
    #expect(
      problem("x=nan")
        == .settingValueInvalid("x", value: "nan", problem: .notANumber("nan"), shape: []))
    #expect(
      problem("W=[[1,2],[3]]")
        == .settingValueInvalid(
          "W", value: "[[1,2],[3]]", problem: .ragged(expected: 2, got: 1), shape: [2, 2]))
    #expect(
      problem("W=[[1,2],[3,4,5]]")
        == .settingValueInvalid(
          "W", value: "[[1,2],[3,4,5]]", problem: .ragged(expected: 2, got: 3), shape: [2, 2]))
    #expect(
      problem("W=[[1,2],3]")
        == .settingValueInvalid("W", value: "[[1,2],3]", problem: .mixed, shape: [2, 2]))
    #expect(
      problem("W=[[[[[1]]]]]")
        == .settingValueInvalid("W", value: "[[[[[1]]]]]", problem: .tooDeep, shape: [2, 2]))
    #expect(
      problem("W=[1, 2")
        == .settingValueInvalid("W", value: "[1, 2", problem: .malformed, shape: [2, 2]))
    #expect(
      problem("W[1,0]=inf")
        == .settingValueInvalid("W[1,0]", value: "inf", problem: .notANumber("inf"), shape: []))
    let text = problem("W=[[1,2],[3]]")?.text ?? ""
    #expect(
      text
        == "--set W=[[1,2],[3]]: the list is ragged: a list has 1 item, but the first at its depth has 2; "
        + "'W' has shape [2, 2]: give a list of that shape, e.g. [[0, 0], [0, 0]], or one number to fill it"
    )
    // The name is checked first: a value for a name that is no leaf says that.
    #expect(problem("result=[1") == .settingOfComputedName("result", suggestion: nil))
  }

  @Test func settingsMustNameLeaves() throws {
    let compilation = Compilation(name: "m.bp", source: "weight = 2; y = weight * x")
    #expect(
      Self.usageError {
        try Settings(Self.arguments("eval", "--set", "y=1")).check(against: compilation)
      }
        == .settingOfComputedName("y", suggestion: "x"))  // one edit from the leaf x
    #expect(
      Self.usageError {
        try Settings(Self.arguments("eval", "--set", "wieght=1")).check(against: compilation)
      }
        == .settingOfUnknownName("wieght", suggestion: "weight"))
    #expect(
      Self.usageError {
        try Settings(Self.arguments("eval", "--set", "x=1")).check(against: compilation)
      } == nil)
  }

  // MARK: explain, graph, check

  @Test func theExplainedOutputIsTheFirstOrTheNamedOne() throws {
    let compilation = Compilation(name: "m.bp", source: "a = x * 2; b = a + 1; output b, a")
    let symbols = try #require(compilation.program).symbols.map(\.name)
    #expect(
      try compilation.explainedOutput(Self.arguments("explain")).map { symbols[$0.symbol] } == "b")
    #expect(
      try compilation.explainedOutput(Self.arguments("explain", "--output", "a")).map {
        symbols[$0.symbol]
      } == "a")
    #expect(
      Self.usageError {
        _ = try compilation.explainedOutput(Self.arguments("explain", "--output", "bb"))
      }
        == .optionNamesUnknownName(option: "--output", name: "bb", suggestion: "b"))
  }

  @Test func graphTargets() throws {
    #expect(try GraphTarget(Self.arguments("graph"), dotInstalled: false) == .standardOutput)
    #expect(
      try GraphTarget(Self.arguments("graph", "-o", "g.dot"), dotInstalled: false)
        == .dot(path: "g.dot"))
    #expect(
      try GraphTarget(Self.arguments("graph", "-o", "g.SVG"), dotInstalled: true)
        == .picture(path: "g.SVG", format: "svg"))
    #expect(
      Self.usageError {
        _ = try GraphTarget(Self.arguments("graph", "-o", "g.png"), dotInstalled: false)
      }
        == .dotNotInstalled(format: "png"))
    #expect(
      Self.usageError {
        _ = try GraphTarget(Self.arguments("graph", "-o", "g.pdf"), dotInstalled: true)
      }
        == .unknownGraphFile("g.pdf"))
  }

  @Test func formatAndTolerance() throws {
    #expect(try Explanation.Format(Self.arguments("explain")) == .text)
    #expect(try Explanation.Format(Self.arguments("explain", "--format", "markdown")) == .markdown)
    #expect(
      Self.usageError { _ = try Explanation.Format(Self.arguments("explain", "--format", "html")) }
        == .unknownFormat("html"))
    #expect(try GradientCheck.tolerance(Self.arguments("check")) == 1e-6)
    #expect(try GradientCheck.tolerance(Self.arguments("check", "--tolerance", "0")) == 0)
    #expect(
      Self.usageError {
        _ = try GradientCheck.tolerance(Self.arguments("check", "--tolerance", "-1"))
      }
        == .toleranceInvalid("-1"))
  }

  // MARK: train

  @Test func trainOptions() throws {
    let request = try TrainRequest(
      Self.arguments("train", "--lr", "0.5", "--steps", "300", "--batch", "4", "--json"))
    #expect(request.options.learningRate == 0.5)
    #expect(request.options.length == .steps(300))
    #expect(request.options.batch == 4)
    #expect(request.options.interval(rows: 10) == 30)
    #expect(request.options.rule == .sgd)
    #expect(request.json)
    #expect(request.progressLine(step: 30, of: 300, loss: 0.25) == "step  30/300  loss 0.25\n")
    #expect(
      request.progressLine(step: 30, of: 300, loss: 0.25, testLoss: 0.5)
        == "step  30/300  loss 0.25  test loss 0.5\n")
    #expect(
      Self.usageError { _ = try TrainRequest(Self.arguments("train", "--steps", "3")) }
        == .missingLearningRate)
    #expect(
      Self.usageError {
        _ = try TrainRequest(Self.arguments("train", "--lr", "inf", "--steps", "3"))
      }
        == .learningRateNotFinite("inf"))
    #expect(
      Self.usageError { _ = try TrainRequest(Self.arguments("train", "--lr", "1")) }
        == .lengthNotGiven(both: false))
    #expect(
      Self.usageError {
        _ = try TrainRequest(Self.arguments("train", "--lr", "1", "--steps", "2", "--epochs", "2"))
      }
        == .lengthNotGiven(both: true))
    #expect(
      Self.usageError {
        _ = try TrainRequest(Self.arguments("train", "--lr", "1", "--epochs", "0"))
      }
        == .notAWholeNumber(option: "--epochs", value: "0"))
    #expect(
      Self.usageError { _ = try TrainRequest(Self.arguments("train", "--lr", "1", "--steps", "0")) }
        == .notAWholeNumber(option: "--steps", value: "0"))
    #expect(
      Self.usageError {
        _ = try TrainRequest(Self.arguments("train", "--lr", "1", "--steps", "2", "--every", "x"))
      }
        == .notAWholeNumber(option: "--every", value: "x"))
  }

  @Test func theBatchMustFitTheData() throws {
    let compilation = Compilation(
      name: "m.bp", source: "input x\nparam w = 1\nloss = (w * x - 1)^2")
    let program = try #require(compilation.program)
    var diagnostics = DiagnosticList()
    let data = try #require(
      TrainingData.read(
        SourceFile(name: "d.csv", text: "x\n1\n2\n"), program: program, into: &diagnostics))
    let fits = try TrainRequest(
      Self.arguments("train", "--lr", "1", "--steps", "1", "--batch", "2"))
    #expect(Self.usageError { try fits.checkBatch(against: data) } == nil)
    let tooLarge = try TrainRequest(
      Self.arguments("train", "--lr", "1", "--steps", "1", "--batch", "3"))
    #expect(
      Self.usageError { try tooLarge.checkBatch(against: data) } == .batchTooLarge(3, rows: 2))
    #expect(Self.usageError { try tooLarge.checkBatch(against: nil) } == .batchNeedsData(3))
    // A CSV column needs no default: the rows give it.
    let leaves = try #require(
      fits.leafValues(
        compilation, settings: try Settings(Self.arguments("train")), data: data, into: &diagnostics
      ))
    #expect(leaves == [0, 1])
    var missing = DiagnosticList()
    #expect(
      fits.leafValues(
        compilation, settings: try Settings(Self.arguments("train")), data: nil, into: &missing)
        == nil)
    #expect(missing.items.map(\.message) == [.missingLeafValues(["x"])])
  }

  /// SPEC §6.6: explain, graph and train work on one scalar.
  @Test func arraysNeedAnElementToExplainOrTrain() throws {
    let compilation = Compilation(
      name: "m.bp", source: "input x[3] = [1, 2, 3]\nparam w = 2\ny[i] = w * x[i]")
    let request = try TrainRequest(Self.arguments("train", "--lr", "1", "--steps", "1"))
    #expect(
      Self.usageError { _ = try compilation.explainedOutput(Self.arguments("explain")) }
        == .noScalarOutput(option: "--output", example: "y[0]"))
    #expect(
      Self.usageError {
        _ = try compilation.explainedOutput(Self.arguments("explain", "--output", "y"))
      }
        == .optionNamesArray(option: "--output", name: "y", example: "y[0]"))
    let element = try compilation.explainedOutput(Self.arguments("explain", "--output", "y[ 2 ]"))
    #expect(element?.element == [2])
    #expect(
      Self.usageError {
        _ = try compilation.explainedOutput(Self.arguments("explain", "--output", "y[3]"))
      }
        == .settingElementOutOfRange("y", element: [3], shape: [3]))
    #expect(
      Self.usageError { _ = try request.loss(compilation, Self.arguments("train")) }
        == .noScalarOutput(option: "--loss", example: "y[0]"))
    // Several outputs, all arrays: the fix is still an element.
    let two = Compilation(
      name: "m.bp",
      source: "input x[3] = [1, 2, 3]\nparam w = 2\ny[i] = w * x[i]\nz[i] = y[i] * 2\noutput y, z")
    #expect(
      Self.usageError { _ = try request.loss(two, Self.arguments("train")) }
        == .noScalarOutput(option: "--loss", example: "y[0]"))
    // Training y[2] = w·x[2] = 3w: ∂/∂w = 3, so one step at rate 1 from 2 gives -1.
    var diagnostics = DiagnosticList()
    let training = try #require(
      try request.training(
        compilation, Self.arguments("train", "--loss", "y[2]"), into: &diagnostics))
    let leaves = try #require(compilation.leafValues([LeafSetting](), into: &diagnostics))
    let result = try training.run(leaves: leaves, data: nil, options: request.options)
    #expect(result.parameters.map(\.values) == [[-1]])
  }

  @Test func theLossIsTheOnlyOutputOrNamed() throws {
    let one = Compilation(name: "m.bp", source: "param w = 1\nL = w^2")
    let request = try TrainRequest(Self.arguments("train", "--lr", "1", "--steps", "1"))
    #expect(try request.loss(one, Self.arguments("train"))?.symbol == 1)
    let two = Compilation(name: "m.bp", source: "param w = 1\nL = w^2\nM = w^3\noutput L, M")
    #expect(
      Self.usageError { _ = try request.loss(two, Self.arguments("train")) }
        == .lossNotChosen(outputs: ["L", "M"]))
    #expect(try request.loss(two, Self.arguments("train", "--loss", "M"))?.symbol == 2)
    var diagnostics = DiagnosticList()
    let none = Compilation(name: "m.bp", source: "L = w^2")
    #expect(try request.training(none, Self.arguments("train"), into: &diagnostics) == nil)
    #expect(diagnostics.items.map(\.message) == [.noParameters])
  }
}
