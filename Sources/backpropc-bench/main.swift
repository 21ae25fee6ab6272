import BackpropCore
import Foundation

// Measurements for Scripts/bench.sh, printed as one line of `key=value` pairs:
//
//   backpropc-bench compile FILE [REPEATS]    time of each compiler phase (median)
//   backpropc-bench interpret FILE [SECONDS]  interpreter evaluations per second
//
// Peak memory is the process's maximum resident set size, so run one file per
// process.

/// With `BENCH_TRACE` set, each phase's end prints the peak memory so far to
/// stderr: which phase makes the peak.
let trace = ProcessInfo.processInfo.environment["BENCH_TRACE"] != nil

func seconds(_ body: () -> Void) -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  body()
  let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  if trace {
    FileHandle.standardError.write(
      Data(String(format: "%.2f s, peak %.0f MB\n", elapsed, peakMegabytes()).utf8))
  }
  return elapsed
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty ? .nan : s[s.count / 2]
}

func peakMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
}

func load(_ path: String) -> SourceFile {
  guard let data = FileManager.default.contents(atPath: path) else {
    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
    exit(2)
  }
  return SourceFile(name: path, bytes: Array(data))
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  print("usage: backpropc-bench compile|interpret FILE [REPEATS|SECONDS]")
  exit(2)
}
let file = load(arguments[2])

switch arguments[1] {
case "compile":
  let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3
  var phases: [String: [Double]] = [:]
  var total: [Double] = []
  var statements = 0
  for _ in 0..<repeats {
    var diagnostics = DiagnosticList()
    var tree = SyntaxTree()
    var checked: CheckedProgram?
    var forward = Program()
    var gradient = Program()
    var request: EmitRequest?
    var emitted = 0
    let t = [
      ("parse", seconds { tree = Parser.parse(file, into: &diagnostics) }),
      ("check", seconds { checked = Checker.check(tree, into: &diagnostics) }),
      ("lower", seconds { if let checked { forward = Lowering.lower(checked) } }),
      ("differentiate", seconds { gradient = Reverse.differentiate(forward) }),
      // Simplification and CSE once, dead code twice (forward, gradient).
      (
        "optimize",
        seconds { request = EmitRequest(optimizing: gradient, file: file, prefix: "bench") }
      ),
      (
        "emit_c",
        seconds {
          if let request {
            emitted = CEmitter.emit(request, headerName: "bench.h").source.utf8.count
          }
        }
      ),
    ]
    if diagnostics.hasErrors {
      FileHandle.standardError.write(Data(diagnostics.rendered(in: file).utf8))
      exit(1)
    }
    _ = emitted
    statements = tree.statementCount
    for (name, value) in t { phases[name, default: []].append(value) }
    total.append(t.map { $0.1 }.reduce(0, +))
  }
  // "total" is parse through emit, as `backpropc FILE -o FILE.c` runs them.
  let order = ["parse", "check", "lower", "differentiate", "optimize", "emit_c"]
  let parts = order.map { "\($0)=\(String(format: "%.4f", median(phases[$0] ?? [])))" }
  print(
    "statements=\(statements) " + parts.joined(separator: " ")
      + " total=\(String(format: "%.4f", median(total))) peak_mb=\(String(format: "%.0f", peakMegabytes()))"
  )

case "interpret":
  let budget = arguments.count > 3 ? Double(arguments[3]) ?? 1 : 1
  let compilation = Compilation(file)
  guard let program = compilation.program else { exit(1) }
  let gradient = Optimizer.optimize(program, keeping: .outputsAndLeafGradients)
  let forward = Optimizer.optimize(program, keeping: .outputs)
  let layout = Layout(program)
  var leaves = [Double](repeating: 0.5, count: layout.numInputs)
  for (l, leaf) in program.leaves.enumerated() {
    leaves[layout.input(l)] = leaf.defaultValue ?? 0.5
  }
  func rate(_ p: Program) -> Double {
    let machine = Interpreter.Machine(p)
    var workspace = machine.makeWorkspace(input: leaves)
    var count = 0
    var sink = 0.0
    let elapsed = seconds {
      let start = DispatchTime.now().uptimeNanoseconds
      while Double(DispatchTime.now().uptimeNanoseconds - start) < budget * 1e9 {
        for _ in 0..<100 {
          machine.run(&workspace)
          sink += workspace.memory[workspace.memory.count - 1]
        }
        count += 100
      }
    }
    if sink == 42 { print("") }  // keep the work observable
    return Double(count) / elapsed
  }
  print(
    "gradient_per_s=\(String(format: "%.0f", rate(gradient))) forward_per_s=\(String(format: "%.0f", rate(forward))) instructions=\(gradient.instructionCount)"
  )

default:
  print("unknown mode \(arguments[1])")
  exit(2)
}
