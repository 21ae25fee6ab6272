import BackpropCore
import Foundation

/// The command line: read the files, run the library, print, write, exit.
/// Every decision (which language, which output, which values, what a
/// message says) is made in BackpropCore's Driver, where tests reach it;
/// Files.swift reads and writes files and runs Graphviz.

struct Failure: Error { var status: ExitStatus }

func printError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
/// Standard output gets the string's own bytes: generated code can be large.
func printOut(_ text: String) { _ = FileContents.text(text).withBytes { writeAll(1, $0) } }

/// Prints diagnostics; fails with status 1 when there are errors.
func report(_ diagnostics: DiagnosticList, in file: SourceFile) throws {
  printError(diagnostics.rendered(in: file))
  if diagnostics.hasErrors { throw Failure(status: .programErrors) }
}

/// Parses and checks a program, printing what is wrong with it.
func compile(_ path: String?) throws -> Compilation {
  let compilation = Compilation(try readSource(path))
  try report(compilation.diagnostics, in: compilation.file)
  return compilation
}

/// A compiled program and its `--set` settings, checked against it.
func compileWithSettings(_ arguments: Arguments) throws -> (Compilation, Settings) {
  let settings = try Settings(arguments)
  let compilation = try compile(arguments.path)
  try settings.check(against: compilation)
  return (compilation, settings)
}

/// A compiled program and its leaf values (defaults, then `--set`).
func compileWithLeafValues(_ arguments: Arguments) throws -> (Compilation, [Double]) {
  let (compilation, settings) = try compileWithSettings(arguments)
  var diagnostics = DiagnosticList()
  compilation.checkGradientSize(into: &diagnostics)
  try report(diagnostics, in: compilation.file)
  let values = compilation.leafValues(
    settings.settings, seed: try arguments.seed(), into: &diagnostics)
  try report(diagnostics, in: compilation.file)
  return (compilation, values ?? [])
}

func runCompile(_ arguments: Arguments) throws {
  let request = try CompileRequest(arguments, inputIsTerminal: isatty(0) != 0)
  let compilation = try compile(arguments.path)
  switch request.output(consume compilation) {
  case .files(let paths, let write)?:
    try writeAtomically(paths) { piece in write { piece($0, .text($1)) } }
  case .standardOutput(let write)?: write { printOut($0) }
  case nil: throw Failure(status: .programErrors)
  }
}

func runEval(_ arguments: Arguments) throws {
  let (compilation, values) = try compileWithLeafValues(arguments)
  let output = try compilation.hessianOutput(arguments)
  var diagnostics = DiagnosticList()
  guard let evaluation = compilation.evaluate(values, into: &diagnostics) else {
    throw Failure(status: .programErrors)
  }
  let hessian = output.flatMap {
    compilation.hessian(values, output: $0.symbol, element: $0.element, into: &diagnostics)
  }
  try report(diagnostics, in: compilation.file)
  if arguments.has("--json") {
    printOut(evaluation.json(hessian: hessian))
  } else {
    printOut(evaluation.text() + (hessian?.text() ?? ""))
  }
}

func runCheck(_ arguments: Arguments) throws {
  let tolerance = try GradientCheck.tolerance(arguments)
  let (compilation, values) = try compileWithLeafValues(arguments)
  var diagnostics = DiagnosticList()
  if let output = try compilation.hessianOutput(arguments) {
    guard compilation.evaluate(values, into: &diagnostics) != nil else {
      throw Failure(status: .programErrors)
    }
    let check = compilation.checkHessian(
      values, output: output.symbol, element: output.element, tolerance: tolerance,
      into: &diagnostics)
    try report(diagnostics, in: compilation.file)
    printOut(check?.text() ?? "")
    if check?.failures.isEmpty != true { throw Failure(status: .programErrors) }
    return
  }
  let check = compilation.check(values, tolerance: tolerance, into: &diagnostics)
  try report(diagnostics, in: compilation.file)
  printOut(check?.text() ?? "")
  if check?.failures.isEmpty != true { throw Failure(status: .programErrors) }
}

func runExplain(_ arguments: Arguments) throws {
  let format = try Explanation.Format(arguments)
  let (compilation, values) = try compileWithLeafValues(arguments)
  let output = try compilation.explainedOutput(arguments)
  guard
    let explanation = output.flatMap({
      Explanation(compilation, leaves: values, output: $0.symbol, element: $0.element)
    })
  else {
    throw Failure(status: .programErrors)
  }
  printOut(explanation.rendered(format))
}

func runGraph(_ arguments: Arguments) throws {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  let dot = path.split(separator: ":").map { "\($0)/dot" }.first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  let target = try GraphTarget(arguments, dotInstalled: dot != nil)
  let (compilation, values) = try compileWithLeafValues(arguments)
  let output = try compilation.explainedOutput(arguments)
  guard
    let graph = output.flatMap({
      Graph.dot(compilation, leaves: values, output: $0.symbol, element: $0.element)
    })
  else {
    throw Failure(status: .programErrors)
  }
  switch target {
  case .standardOutput: printOut(graph)
  case .dot(let path): try writeAtomically([(path, .text(graph))])
  case .picture(let path, let format): try draw(graph, with: dot ?? "dot", format: format, to: path)
  }
}

/// Seconds on a monotonic clock.
func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func runTrain(_ arguments: Arguments) throws {
  let request = try TrainRequest(arguments)
  let (compilation, settings) = try compileWithSettings(arguments)
  var diagnostics = DiagnosticList()
  compilation.checkGradientSize(into: &diagnostics)
  let training = try request.training(compilation, arguments, into: &diagnostics)
  try report(diagnostics, in: compilation.file)
  guard let training else { return }
  let program = training.program
  var data: TrainingData?
  if let path = request.dataPath {
    let csv = try readSource(path)
    data = TrainingData.read(csv, program: program, into: &diagnostics)
    try report(diagnostics, in: csv)
  }
  try request.checkBatch(against: data)
  var test: TrainingData?
  if let path = request.testPath {
    let csv = try readSource(path)
    test = TrainingData.read(csv, program: program, into: &diagnostics)
    if let test { request.checkTest(test, against: data, program: program, into: &diagnostics) }
    try report(diagnostics, in: csv)
  }
  let leaves = request.leafValues(
    compilation, settings: settings, data: data, seed: try arguments.seed(), into: &diagnostics)
  try report(diagnostics, in: compilation.file)
  let steps = request.options.steps(rows: data?.rows.count ?? 1)
  // A status line only for a person watching a terminal.
  var meter = isatty(2) != 0 ? TrainingMeter(steps: steps, now: seconds()) : nil
  do {
    let result = try training.run(
      leaves: leaves ?? [], data: data, test: test, options: request.options,
      progress: { step, value, held in
        printError(
          (meter?.clear() ?? "")
            + request.progressLine(step: step, of: steps, loss: value, testLoss: held))
      },
      tick: { step, rows in
        if let status = meter?.tick(step: step, rows: rows, now: seconds()) { printError(status) }
      })
    printError((meter?.clear() ?? "") + TrainRequest.summary(result, symbols: program.symbols))
    var files: [(String, FileContents)] = []
    if let target = request.outputPath {
      let bytes = Training.rewrite(
        compilation.file, tree: compilation.tree, symbols: program.symbols, result: result)
      files.append((target, .bytes(Data(bytes))))
    }
    if let plot = request.plotPath {
      files.append(
        (plot, .text(LossPlot.svg(losses: result.losses, testLosses: result.testLosses))))
    }
    try writeAtomically(files)
    if request.json { printOut(Training.json(result, symbols: program.symbols)) }
  } catch let divergence as Training.Divergence {
    printError(meter?.clear() ?? "")
    diagnostics.append(divergence.diagnostic)
    try report(diagnostics, in: compilation.file)
  }
}

func main() -> ExitStatus {
  do {
    let arguments = try Arguments.parse(Array(CommandLine.arguments.dropFirst()))
    if arguments.has("--help") || arguments.has("--version") {
      printOut(arguments.has("--help") ? arguments.command.help : "backpropc \(Version.current)\n")
      return .success
    }
    switch arguments.command {
    case .compile: try runCompile(arguments)
    case .eval: try runEval(arguments)
    case .check: try runCheck(arguments)
    case .explain: try runExplain(arguments)
    case .graph: try runGraph(arguments)
    case .train: try runTrain(arguments)
    }
    return .success
  } catch let error as UsageError {
    printError(error.rendered)
    return .usage
  } catch let failure as Failure {
    return failure.status
  } catch {
    printError(UsageError(.systemError("\(error)")).rendered)
    return .usage
  }
}

exit(main().rawValue)
