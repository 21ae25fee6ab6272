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
  /// The batch forms on three rows against three single calls: how many
  /// values differ in their bits, or were written outside the rows.
  var batchMismatches: Int? = nil
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
    return EmitRequest(
      optimizing: program, file: file, prefix: Naming.defaultPrefix(forPath: name + ".bp"))
  }

  private static func buildC() -> Result<[String: NativeRun], NativeError> {
    guard let cc = Run.tool("cc", "gcc", "clang") else {
      return .failure(.init(description: "no C compiler on PATH"))
    }
    let dir = Paths.scratch("c")
    var sources: [String] = []
    var driver = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    var calls = ""
    for name in Paths.sampleNames {
      guard let request = request(name) else {
        return .failure(.init(description: "\(name).bp does not compile"))
      }
      let emitted = CEmitter.emit(request, headerName: "\(name).h")
      try? Data(emitted.header.utf8).write(to: dir.appendingPathComponent("\(name).h"))
      try? Data(emitted.source.utf8).write(to: dir.appendingPathComponent("\(name).c"))
      sources.append("\(name).c")
      let prefix = Naming.cPrefix(request.prefix)
      let macro = prefix.uppercased()
      driver += "#include \"\(name).h\"\n"
      calls +=
        "    run(\"\(name)\", \(macro)_NUM_INPUTS, \(macro)_NUM_OUTPUTS, \(prefix)_fill_defaults, \(prefix)_forward, \(prefix)_gradient);\n"
      calls += """
            batch("\(name)", \(macro)_NUM_INPUTS, \(macro)_NUM_OUTPUTS, \(macro)_WORK_SIZE, \(prefix)_fill_defaults,
                  \(prefix)_forward_work, \(prefix)_gradient_work, \(prefix)_forward_batch, \(prefix)_gradient_batch,
                  \(prefix)_forward_batch_work, \(prefix)_gradient_batch_work);

        """
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

      /* Three rows around the defaults, through the batch forms and through
         single calls; prints how many values differ in their bits, or were
         written past the rows (or at all, for n = 0). */
      static int differ(const double *a, const double *b, size_t count)
      {
          return memcmp(a, b, count * sizeof *a) != 0;
      }

      static void batch(const char *name, size_t n, size_t m, size_t w, void (*fill)(double *),
                        void (*forward_work)(const double *, double *, double *),
                        void (*gradient_work)(const double *, double *, double *, double *),
                        void (*forward_batch)(size_t, const double *, double *),
                        void (*gradient_batch)(size_t, const double *, double *, double *),
                        void (*forward_batch_work)(size_t, const double *, double *, double *),
                        void (*gradient_batch_work)(size_t, const double *, double *, double *, double *))
      {
          enum { ROWS = 3 };
          const double mark = 12345.678;
          size_t g = m * n, r, i, k;
          int bad = 0;
          double *in = malloc(sizeof(double) * (ROWS * n + 1));
          double *out = malloc(sizeof(double) * (ROWS * m + 1)), *grad = malloc(sizeof(double) * (ROWS * g + 1));
          double *fout = malloc(sizeof(double) * (ROWS * m + 1));
          double *bout = malloc(sizeof(double) * (ROWS * m + 1)), *bgrad = malloc(sizeof(double) * (ROWS * g + 1));
          double *work = malloc(sizeof(double) * w);
          fill(in);
          for (r = 1; r < ROWS; r++)
              for (i = 0; i < n; i++) in[r * n + i] = in[i] * (1 + 0.01 * r) + 0.001 * r;
          for (r = 0; r < ROWS; r++) {
              gradient_work(in + r * n, out + r * m, grad + r * g, work);
              forward_work(in + r * n, fout + r * m, work);
          }
          for (k = 0; k < 5; k++) {
              for (i = 0; i <= ROWS * m; i++) bout[i] = mark;
              for (i = 0; i <= ROWS * g; i++) bgrad[i] = mark;
              switch (k) {
              case 0: gradient_batch(ROWS, in, bout, bgrad); break;
              case 1: gradient_batch_work(ROWS, in, bout, bgrad, work); break;
              case 2: forward_batch(ROWS, in, bout); break;
              case 3: forward_batch_work(ROWS, in, bout, work); break;
              case 4: gradient_batch(0, in, bout, bgrad); forward_batch_work(0, in, bout, work); break;
              }
              if (k < 2) bad += differ(bout, out, ROWS * m) + differ(bgrad, grad, ROWS * g) + (bgrad[ROWS * g] != mark);
              if (k == 2 || k == 3) bad += differ(bout, fout, ROWS * m);
              if (k == 4) bad += bout[0] != mark || bgrad[0] != mark;
              bad += bout[ROWS * m] != mark;
          }
          printf("%s batch %d\\n", name, bad);
          free(in); free(out); free(grad); free(fout); free(bout); free(bgrad); free(work);
      }

      int main(void)
      {
      \(calls)    return 0;
      }

      """
    try? Data(driver.utf8).write(to: dir.appendingPathComponent("main.c"))
    do {
      let compile = try Run.process(
        cc, cFlags + ["-o", "driver", "main.c"] + sources + ["-lm"], directory: dir)
      guard compile.status == 0 else {
        return .failure(.init(description: "cc failed on the generated C:\n\(compile.stderr)"))
      }
      let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
      guard run.status == 0 else {
        return .failure(.init(description: "the C driver failed: \(run.stderr)"))
      }
      return .success(NativeRun.parse(run.stdout))
    } catch {
      return .failure(.init(description: "\(error)"))
    }
  }

  private static func buildSwift() -> Result<[String: NativeRun], NativeError> {
    guard let swiftc = Run.tool("swiftc") else {
      return .failure(.init(description: "no swiftc on PATH"))
    }
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
      guard let request = request(name) else {
        return .failure(.init(description: "\(name).bp does not compile"))
      }
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
      // The batch forms on three rows against three single calls (as the C
      // driver); every sample's work fits the stack, so all four forms exist.
      main += """
            do {
                var rows = input, work = [Double](repeating: 0, count: \(type).workSize)
                for r in 1..<3 { rows += input.map { $0 * (1 + 0.01 * Double(r)) + 0.001 * Double(r) } }
                var (outputs, gradients, forwards) = ([Double](), [Double](), [Double]())
                for r in 0..<3 {
                    let row = Array(rows[(r * \(n))..<(r * \(n) + \(n))])
                    \(type).gradient(row, &output, &gradient, work: &work)
                    outputs += output
                    gradients += gradient
                    \(type).forward(row, &output, work: &work)
                    forwards += output
                }
                var bad = 0
                func differ(_ a: [Double], _ b: [Double]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
                for form in 0..<5 {
                    let mark = 12345.678
                    var o = [Double](repeating: mark, count: 3 * \(m) + 1), g = [Double](repeating: mark, count: 3 * \(m * n) + 1)
                    switch form {
                    case 0: \(type).gradientBatch(rows: 3, rows, &o, &g)
                    case 1: \(type).gradientBatch(rows: 3, rows, &o, &g, work: &work)
                    case 2: \(type).forwardBatch(rows: 3, rows, &o)
                    case 3: \(type).forwardBatch(rows: 3, rows, &o, work: &work)
                    default: \(type).gradientBatch(rows: 0, [], &o, &g, work: &work)
                    }
                    bad += form < 2 ? differ(o, outputs) + differ(g, gradients) : form < 4 ? differ(o, forwards) : o[0] == mark && g[0] == mark ? 0 : 1
                    bad += (o.last == mark ? 0 : 1) + (g.last == mark ? 0 : 1)
                }
                print("\(name) batch \\(bad)")
            }

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
        swiftc,
        ["-warnings-as-errors", "-module-name", "Generated", "-o", "driver", "main.swift"] + files,
        directory: dir)
      guard compile.status == 0 else {
        return .failure(
          .init(description: "swiftc failed on the generated Swift:\n\(compile.stderr)"))
      }
      let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
      guard run.status == 0 else {
        return .failure(.init(description: "the Swift driver failed: \(run.stderr)"))
      }
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
      case "batch": run.batchMismatches = Int(value)
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
