import BackpropCore
import Foundation

/// The command line: parse flags, run the library, print, exit. Every
/// decision a test would want to check lives in BackpropCore.
enum ExitStatus: Int32 {
  case success = 0
  case programErrors = 1
  case usage = 2
}

struct Failure: Error {
  var status: ExitStatus
}

func printError(_ text: String) {
  FileHandle.standardError.write(Data(text.utf8))
}
func printOut(_ text: String) {
  FileHandle.standardOutput.write(Data(text.utf8))
}

/// Reads the program: a file, or standard input for nil or "-".
func readSource(_ path: String?) throws -> SourceFile {
  if path == nil || path == "-" {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    return SourceFile(name: "<stdin>", bytes: Array(data))
  }
  let path = path ?? ""
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw UsageError(message: "cannot read '\(path)': no such file")
  }
  guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
    throw UsageError(message: "cannot read '\(path)'" + (isDirectory.boolValue ? ": it is a directory" : ""))
  }
  return SourceFile(name: path, bytes: Array(data))
}

/// Runs the front end; on errors prints them and fails with status 1.
func compile(_ file: SourceFile) throws -> Compilation {
  let compilation = Compilation(file)
  let rendered = compilation.diagnostics.rendered(in: file)
  if !rendered.isEmpty { printError(rendered) }
  if compilation.diagnostics.hasErrors { throw Failure(status: .programErrors) }
  return compilation
}

/// Writes every file or none: each goes to a temporary file beside it first,
/// and only when all are written are they renamed into place.
func writeAtomically(_ files: [(path: String, contents: String)]) throws {
  try writeAtomically(files.map { ($0.path, Data($0.contents.utf8)) })
}

/// The same, for bytes that must be written exactly (a rewritten program may
/// hold any bytes in its comments).
func writeAtomically(_ files: [(path: String, contents: Data)]) throws {
  var temporaries: [(temporary: String, path: String)] = []
  defer {
    for (temporary, _) in temporaries { unlink(temporary) }
  }
  for (path, contents) in files {
    let temporary = path + ".backpropc-\(getpid()).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: contents) else {
      throw UsageError(message: "cannot write '\(path)'")
    }
    temporaries.append((temporary, path))
  }
  for (temporary, path) in temporaries {
    guard rename(temporary, path) == 0 else {
      throw UsageError(message: "cannot write '\(path)': \(String(cString: strerror(errno)))")
    }
  }
  temporaries = []
}

func runCompile(_ arguments: Arguments) throws {
  let output = arguments.value("-o")
  let emit = arguments.value("--emit")
  if output != nil && emit != nil {
    throw UsageError(message: "give either -o FILE or --emit LANGUAGE, not both")
  }
  var language: String
  if let output {
    switch (output as NSString).pathExtension {
    case "swift": language = "swift"
    case "c": language = "c"
    default:
      throw UsageError(message: "cannot tell the language of '\(output)'; name it *.swift or *.c, or use --emit swift|c")
    }
  } else if let emit {
    guard ["swift", "c", "ir"].contains(emit) else {
      throw UsageError(message: "unknown language '\(emit)' for --emit; use swift, c or ir")
    }
    language = emit
  } else {
    throw UsageError(message: "nothing to do: add -o FILE.swift, -o FILE.c, or --emit swift|c (or run 'backpropc eval')")
  }
  if arguments.path == nil && isatty(0) != 0 {
    throw UsageError(message: "no input file; give a .bp file, or '-' to read standard input")
  }
  func usable(_ name: String) -> Bool {
    name.unicodeScalars.contains { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
  }
  if let given = arguments.value("--name"), !usable(given) {
    throw UsageError(message: "--name needs a name with at least one ASCII letter or digit")
  }
  // A file name with no usable character (ü.bp) gives the default prefix.
  let derived = Naming.defaultPrefix(forPath: arguments.path)
  let prefix = arguments.value("--name") ?? (usable(derived) ? derived : "model")
  let file = try readSource(arguments.path)
  let compilation = try compile(file)
  guard let program = compilation.program else { throw Failure(status: .programErrors) }
  let request = EmitRequest(optimizing: program, file: file, prefix: prefix)

  switch (language, output) {
  case ("swift", let path?):
    try writeAtomically([(path, SwiftEmitter.emit(request))])
  case ("c", let path?):
    let headerPath = (path as NSString).deletingPathExtension + ".h"
    let emitted = CEmitter.emit(request, headerName: (headerPath as NSString).lastPathComponent)
    try writeAtomically([(headerPath, emitted.header), (path, emitted.source)])
  case ("swift", nil):
    printOut(SwiftEmitter.emit(request))
  case ("c", nil):
    printOut(CEmitter.emit(request, headerName: nil).source)
  default:
    printOut(IRPrinter.print(Optimizer.optimize(program, keeping: .outputsAndLeafGradients)))
  }
}

/// The `--set NAME=VALUE` settings, in order.
func settings(_ arguments: Arguments) throws -> [(name: String, value: Double)] {
  try (arguments.values["--set"] ?? []).map { setting in
    guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
      throw UsageError(message: "--set needs NAME=VALUE, got '\(setting)'")
    }
    let name = String(setting[..<equals])
    let text = String(setting[setting.index(after: equals)...])
    guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
      throw UsageError(message: "--set \(name)=\(text): the value must be a finite number")
    }
    return (name, value)
  }
}

/// Every `--set` must name a leaf: a computed name would be overwritten.
func checkSettingNames(_ given: [(name: String, value: Double)], _ compilation: Compilation) throws {
  let leaves = compilation.leafNames
  for (name, _) in given where !leaves.contains(name) {
    let suggestion = Suggestion.closest(to: name, among: leaves)
    let message = compilation.program?.symbols.contains { $0.name == name } == true
      ? "'\(name)' is not a leaf (it is computed by the program), so --set cannot give it a value"
      : "--set names '\(name)', which is not a leaf of the program"
    throw UsageError(message: message + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
  }
}

/// Compiles the input and finds every leaf's value: defaults, then `--set`.
/// A `--set` of a name that is not a leaf is bad usage (it would be
/// overwritten); a leaf left without a value is an error in the program.
func leafValues(_ arguments: Arguments) throws -> (Compilation, [Double]) {
  let given = try settings(arguments)
  let file = try readSource(arguments.path)
  let compilation = try compile(file)
  try checkSettingNames(given, compilation)
  var diagnostics = DiagnosticList()
  let values = compilation.leafValues(
    Dictionary(given, uniquingKeysWith: { _, last in last }), into: &diagnostics)
  guard let values else {
    printError(diagnostics.rendered(in: file))
    throw Failure(status: .programErrors)
  }
  return (compilation, values)
}

func runEval(_ arguments: Arguments) throws {
  let (compilation, values) = try leafValues(arguments)
  var diagnostics = DiagnosticList()
  guard let evaluation = compilation.evaluate(values, into: &diagnostics) else {
    throw Failure(status: .programErrors)
  }
  let rendered = diagnostics.rendered(in: compilation.file)
  if !rendered.isEmpty { printError(rendered) }
  printOut(arguments.flags.contains("--json") ? evaluation.json() : evaluation.text())
}

func runCheck(_ arguments: Arguments) throws {
  var tolerance = GradientCheck.defaultTolerance
  if let text = arguments.value("--tolerance") {
    guard let value = Double(text), value.isFinite, value >= 0 else {
      throw UsageError(message: "--tolerance \(text): give a finite number >= 0, e.g. 1e-6")
    }
    tolerance = value
  }
  let (compilation, values) = try leafValues(arguments)
  guard let program = compilation.program else { throw Failure(status: .programErrors) }
  // Kinks hit and non-finite values explain most disagreements: say them first.
  var diagnostics = DiagnosticList()
  _ = compilation.evaluate(values, into: &diagnostics)
  let warnings = diagnostics.rendered(in: compilation.file)
  if !warnings.isEmpty { printError(warnings) }
  let check = GradientCheck(program, leaves: values, tolerance: tolerance)
  printOut(check.text())
  if !check.failures.isEmpty { throw Failure(status: .programErrors) }
}

/// The symbol `--output` (or `--loss`) names, or the first output.
func chosenOutput(_ compilation: Compilation, _ flag: String, _ arguments: Arguments) throws -> Int {
  guard let program = compilation.program else { throw Failure(status: .programErrors) }
  guard let name = arguments.value(flag) else { return program.outputs[0] }
  guard let symbol = compilation.symbol(named: name) else {
    let suggestion = Suggestion.closest(to: name, among: program.symbols.map(\.name))
    throw UsageError(message: "\(flag) names '\(name)', which the program does not define"
      + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
  }
  return symbol
}

func runExplain(_ arguments: Arguments) throws {
  let format = try arguments.value("--format").map { text in
    guard let format = Explanation.Format(rawValue: text) else {
      throw UsageError(message: "unknown --format '\(text)'; use text or markdown")
    }
    return format
  } ?? .text
  let (compilation, values) = try leafValues(arguments)
  let output = try chosenOutput(compilation, "--output", arguments)
  guard let explanation = Explanation(compilation, leaves: values, output: output) else {
    throw Failure(status: .programErrors)
  }
  printOut(explanation.rendered(format))
}

/// The first executable named `name` on PATH.
func findExecutable(_ name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for directory in path.split(separator: ":") {
    let candidate = "\(directory)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

func runGraph(_ arguments: Arguments) throws {
  let target = arguments.value("-o")
  let picture = target.map { ($0 as NSString).pathExtension.lowercased() }
  if let picture, !["dot", "svg", "png"].contains(picture) {
    throw UsageError(message: "cannot tell what to write to '\(target ?? "")'; name it *.dot, *.svg or *.png")
  }
  var dotTool: String?
  if picture == "svg" || picture == "png" {
    dotTool = findExecutable("dot")
    guard dotTool != nil else {
      throw UsageError(message: "writing .\(picture ?? "") needs Graphviz's 'dot', which is not installed (apt-get install graphviz); or write DOT with -o graph.dot")
    }
  }
  let (compilation, values) = try leafValues(arguments)
  let output = try chosenOutput(compilation, "--output", arguments)
  guard let dot = Graph.dot(compilation, leaves: values, output: output) else {
    throw Failure(status: .programErrors)
  }
  guard let target else {
    printOut(dot)
    return
  }
  guard let tool = dotTool, let format = picture else {
    try writeAtomically([(target, dot)])
    return
  }
  // dot writes a temporary file beside the target; it is renamed into place
  // only when dot succeeds.
  let temporary = target + ".backpropc-\(getpid()).tmp"
  defer { unlink(temporary) }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: tool)
  process.arguments = ["-T\(format)", "-o", temporary]
  let input = Pipe()
  let errors = Pipe()
  process.standardInput = input
  process.standardError = errors
  try process.run()
  input.fileHandleForWriting.write(Data(dot.utf8))
  try? input.fileHandleForWriting.close()
  let message = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    printError("backpropc: error: dot failed: \(String(decoding: message, as: UTF8.self))")
    throw Failure(status: .programErrors)
  }
  guard rename(temporary, target) == 0 else {
    throw UsageError(message: "cannot write '\(target)': \(String(cString: strerror(errno)))")
  }
}

/// A required or optional whole number ≥ 1, for `--steps`, `--every`, `--batch`.
func positiveInteger(_ arguments: Arguments, _ flag: String, required: Bool) throws -> Int? {
  guard let text = arguments.value(flag) else {
    if required { throw UsageError(message: "train needs \(flag) N (a whole number >= 1)") }
    return nil
  }
  guard let n = Int(text), n >= 1 else {
    throw UsageError(message: "\(flag) \(text): give a whole number >= 1")
  }
  return n
}

func runTrain(_ arguments: Arguments) throws {
  guard let rateText = arguments.value("--lr") else {
    throw UsageError(message: "train needs --lr RATE (the learning rate, e.g. --lr 0.5)")
  }
  guard let rate = Double(rateText), rate.isFinite else {
    throw UsageError(message: "--lr \(rateText): give a finite number, e.g. --lr 0.5")
  }
  let steps = try positiveInteger(arguments, "--steps", required: true) ?? 1
  let every = try positiveInteger(arguments, "--every", required: false)
  let batch = try positiveInteger(arguments, "--batch", required: false)
  let given = try settings(arguments)
  let file = try readSource(arguments.path)
  let compilation = try compile(file)
  guard let whole = compilation.program else { throw Failure(status: .programErrors) }

  try checkSettingNames(given, compilation)
  let loss: Int
  if arguments.value("--loss") != nil {
    loss = try chosenOutput(compilation, "--loss", arguments)
  } else if whole.outputs.count > 1 {
    throw UsageError(message: "the program has several outputs (\(whole.outputNames.joined(separator: ", "))); choose the loss with --loss NAME")
  } else {
    loss = whole.outputs[0]
  }
  guard let program = compilation.program(differentiating: loss), let training = Training(program) else {
    var diagnostics = DiagnosticList()
    diagnostics.error(.noParameters, at: SourceRange(0, 0))
    printError(diagnostics.rendered(in: file))
    throw Failure(status: .programErrors)
  }

  // Rows of data, then every leaf's starting value.
  var data: TrainingData?
  if let path = arguments.value("--data") {
    let csv = try readSource(path)
    var diagnostics = DiagnosticList()
    data = TrainingData.read(csv, program: program, into: &diagnostics)
    if data == nil {
      printError(diagnostics.rendered(in: csv))
      throw Failure(status: .programErrors)
    }
  }
  if let batch, batch > (data?.rows.count ?? 1) {
    let rows = data?.rows.count ?? 1
    throw UsageError(message: data == nil
      ? "--batch \(batch) needs --data: without it there is one sample"
      : "--batch \(batch) is more than the \(rows) row\(rows == 1 ? "" : "s") of data")
  }
  let fromData = Set(data?.columns ?? [])
  var settingsByName = Dictionary(given, uniquingKeysWith: { _, last in last })
  for leaf in fromData { settingsByName[program.symbols[leaf].name] = settingsByName[program.symbols[leaf].name] ?? 0 }
  var diagnostics = DiagnosticList()
  guard let leaves = compilation.leafValues(settingsByName, into: &diagnostics) else {
    printError(diagnostics.rendered(in: file))
    throw Failure(status: .programErrors)
  }

  let options = Training.Options(learningRate: rate, steps: steps, batch: batch, every: every)
  let width = String(steps).count
  let result: Training.Result
  do {
    result = try training.run(leaves: leaves, data: data, options: options) { step, value in
      let padded = String(repeating: " ", count: width - String(step).count) + String(step)
      printError("step \(padded)/\(steps)  loss \(NumberFormat.shortest(value))\n")
    }
  } catch {
    var diagnostics = DiagnosticList()
    diagnostics.append(error.diagnostic)
    printError(diagnostics.rendered(in: file))
    throw Failure(status: .programErrors)
  }

  var summary = "trained \(result.steps) step\(result.steps == 1 ? "" : "s"); final loss \(NumberFormat.shortest(result.finalLoss))\n"
  for (symbol, value) in result.parameters {
    summary += "  \(program.symbols[symbol].name) = \(NumberFormat.shortest(value))\n"
  }
  printError(summary)
  if let target = arguments.value("-o") {
    let bytes = Training.rewrite(file, tree: compilation.tree, symbols: program.symbols, result: result)
    try writeAtomically([(target, Data(bytes))])
  }
  if arguments.flags.contains("--json") {
    printOut(Training.json(result, symbols: program.symbols))
  }
}

func main() -> ExitStatus {
  let raw = Array(CommandLine.arguments.dropFirst())
  do {
    let arguments = try Arguments.parse(raw)
    if arguments.flags.contains("--help") {
      printOut(arguments.command.help)
      return .success
    }
    if arguments.flags.contains("--version") {
      printOut("backpropc \(Version.current)\n")
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
    printError("backpropc: error: \(error.message)\n")
    printError("Run 'backpropc --help' for usage.\n")
    return .usage
  } catch let failure as Failure {
    return failure.status
  } catch {
    printError("backpropc: error: \(error)\n")
    return .usage
  }
}

exit(main().rawValue)
