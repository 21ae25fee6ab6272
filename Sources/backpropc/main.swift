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
  var temporaries: [(temporary: String, path: String)] = []
  defer {
    for (temporary, _) in temporaries { unlink(temporary) }
  }
  for (path, contents) in files {
    let temporary = path + ".backpropc-\(getpid()).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(contents.utf8)) else {
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
  let prefix = arguments.value("--name") ?? Naming.defaultPrefix(forPath: arguments.path)
  guard prefix.unicodeScalars.contains(where: { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
    throw UsageError(message: "--name needs a name with at least one ASCII letter or digit")
  }
  let file = try readSource(arguments.path)
  let compilation = try compile(file)
  guard let program = compilation.program else { throw Failure(status: .programErrors) }
  let request = EmitRequest(program: program, file: file, prefix: prefix)

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

/// Compiles the input and finds every leaf's value: defaults, then `--set`.
/// A `--set` of a name that is not a leaf is bad usage (it would be
/// overwritten); a leaf left without a value is an error in the program.
func leafValues(_ arguments: Arguments) throws -> (Compilation, [Double]) {
  let given = try settings(arguments)
  let file = try readSource(arguments.path)
  let compilation = try compile(file)
  let leaves = compilation.leafNames
  for (name, _) in given where !leaves.contains(name) {
    let suggestion = Suggestion.closest(to: name, among: leaves)
    let message = compilation.program?.symbols.contains { $0.name == name } == true
      ? "'\(name)' is not a leaf (it is computed by the program), so --set cannot give it a value"
      : "--set names '\(name)', which is not a leaf of the program"
    throw UsageError(message: message + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
  }
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
