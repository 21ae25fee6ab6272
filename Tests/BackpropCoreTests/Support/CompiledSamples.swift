import Foundation
import Testing

@testable import BackpropCore

/// What one generated function computed at the program's default inputs.
struct NativeRun {
  var forward: [Double] = []
  var outputs: [Double] = []
  /// Row-major, `[o * leafCount + i]`.
  var gradient: [Double] = []
  /// Swift only: the labelled API's results (outputs then partials, per output).
  var labelled: [Double]? = nil
  var labelledForward: [Double]? = nil
}

/// Every sample, compiled to C (one `cc` call) and to Swift (one `swiftc`
/// call) and run once; the tests share the results. Compiling all samples
/// in one invocation keeps the suite fast.
enum CompiledSamples {
  /// The strict flags of SPEC §3.
  static let cFlags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2"]

  static let c: Result<[String: NativeRun], NativeError> = buildC()
  static let swift: Result<[String: NativeRun], NativeError> = buildSwift()

  struct NativeError: Error, CustomStringConvertible {
    var description: String
  }

  static func request(_ name: String) -> EmitRequest? {
    let file = Paths.sample(name)
    let compilation = Compilation(file)
    guard let program = compilation.program else { return nil }
    return EmitRequest(optimizing: program, file: file, prefix: Naming.defaultPrefix(forPath: name + ".bp"))
  }

  private static func buildC() -> Result<[String: NativeRun], NativeError> {
    guard let cc = Run.tool("cc", "gcc", "clang") else { return .failure(.init(description: "no C compiler on PATH")) }
    let dir = Paths.scratch("c")
    var sources: [String] = []
    var driver = "#include <stdio.h>\n"
    var calls = ""
    for name in Paths.sampleNames {
      guard let request = request(name) else { return .failure(.init(description: "\(name).bp does not compile")) }
      let emitted = CEmitter.emit(request, headerName: "\(name).h")
      try? Data(emitted.header.utf8).write(to: dir.appendingPathComponent("\(name).h"))
      try? Data(emitted.source.utf8).write(to: dir.appendingPathComponent("\(name).c"))
      sources.append("\(name).c")
      let prefix = Naming.cPrefix(request.prefix)
      let macro = prefix.uppercased()
      driver += "#include \"\(name).h\"\n"
      calls += "    run(\"\(name)\", \(macro)_NUM_INPUTS, \(macro)_NUM_OUTPUTS, \(prefix)_fill_defaults, \(prefix)_forward, \(prefix)_gradient);\n"
    }
    driver += """

      static void run(const char *name, int n, int m, void (*fill)(double *),
                      void (*forward)(const double *, double *),
                      void (*gradient)(const double *, double *, double *))
      {
          static double in[4096], out[4096], grad[65536];
          int i;
          fill(in);
          forward(in, out);
          for (i = 0; i < m; i++) printf("%s forward %a\\n", name, out[i]);
          gradient(in, out, grad);
          for (i = 0; i < m; i++) printf("%s outputs %a\\n", name, out[i]);
          for (i = 0; i < m * n; i++) printf("%s gradient %a\\n", name, grad[i]);
      }

      int main(void)
      {
      \(calls)    return 0;
      }

      """
    try? Data(driver.utf8).write(to: dir.appendingPathComponent("main.c"))
    do {
      let compile = try Run.process(cc, cFlags + ["-o", "driver", "main.c"] + sources + ["-lm"], directory: dir)
      guard compile.status == 0 else {
        return .failure(.init(description: "cc failed on the generated C:\n\(compile.stderr)"))
      }
      let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
      guard run.status == 0 else { return .failure(.init(description: "the C driver failed: \(run.stderr)")) }
      return .success(NativeRun.parse(run.stdout))
    } catch {
      return .failure(.init(description: "\(error)"))
    }
  }

  private static func buildSwift() -> Result<[String: NativeRun], NativeError> {
    guard let swiftc = Run.tool("swiftc") else { return .failure(.init(description: "no swiftc on PATH")) }
    let dir = Paths.scratch("swift")
    var files: [String] = []
    var main = """
      import Foundation

      func emit(_ name: String, _ kind: String, _ values: [Double]) {
          for v in values { print("\\(name) \\(kind) \\(v)") }
      }
      func numbers(_ value: Any) -> [Double] {
          if let d = value as? Double { return [d] }
          return Mirror(reflecting: value).children.compactMap { $0.value as? Double }
      }

      """
    for name in Paths.sampleNames {
      guard let request = request(name) else { return .failure(.init(description: "\(name).bp does not compile")) }
      let source = SwiftEmitter.emit(request)
      try? Data(source.utf8).write(to: dir.appendingPathComponent("\(name).swift"))
      files.append("\(name).swift")
      let type = Naming.swiftTypeName(request.prefix)
      let n = request.layout.numInputs
      let m = request.layout.numOutputs
      main += """
        do {
            var input = [Double](repeating: 0, count: \(type).numInputs)
            \(type).fillDefaults(&input)
            var output = [Double](repeating: 0, count: \(m))
            var gradient = [Double](repeating: 0, count: \(m * n))
            \(type).forward(input, &output)
            emit("\(name)", "forward", output)
            \(type).gradient(input, &output, &gradient)
            emit("\(name)", "outputs", output)
            emit("\(name)", "gradient", gradient)

        """
      if SwiftEmitter.hasLabelledAPI(request.layout) && !request.hasArrays {
        main += """
              emit("\(name)", "labelled", numbers(\(type).gradient()))
              emit("\(name)", "labelledForward", numbers(\(type).forward()))

          """
      }
      main += "}\n"
    }
    try? Data(main.utf8).write(to: dir.appendingPathComponent("main.swift"))
    do {
      let compile = try Run.process(
        swiftc, ["-warnings-as-errors", "-module-name", "Generated", "-o", "driver", "main.swift"] + files,
        directory: dir)
      guard compile.status == 0 else {
        return .failure(.init(description: "swiftc failed on the generated Swift:\n\(compile.stderr)"))
      }
      let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
      guard run.status == 0 else { return .failure(.init(description: "the Swift driver failed: \(run.stderr)")) }
      return .success(NativeRun.parse(run.stdout))
    } catch {
      return .failure(.init(description: "\(error)"))
    }
  }
}

extension NativeRun {
  /// Lines `NAME KIND VALUE`, VALUE in decimal or C's `%a` hexadecimal.
  static func parse(_ text: String) -> [String: NativeRun] {
    var runs: [String: NativeRun] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count == 3 else { continue }
      let name = String(fields[0])
      let value = number(String(fields[2]))
      var run = runs[name] ?? NativeRun()
      switch fields[1] {
      case "forward": run.forward.append(value)
      case "outputs": run.outputs.append(value)
      case "gradient": run.gradient.append(value)
      case "labelled": run.labelled = (run.labelled ?? []) + [value]
      case "labelledForward": run.labelledForward = (run.labelledForward ?? []) + [value]
      default: break
      }
      runs[name] = run
    }
    return runs
  }

  private static func number(_ text: String) -> Double {
    switch text {
    case "nan", "-nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: return Double(text) ?? .nan
    }
  }
}
