import Foundation
import Testing

@testable import BackpropCore

/// SPEC §8.2's `jvp`, `vjp` and `hvp` entry points, generated for every
/// sample: the C (strict flags) and the Swift compute, bit for bit, what the
/// interpreter computes running the same programs; and the numbers are the
/// right ones, against independent paths: `vjp` with a unit weight is the
/// gradient's row, `jvp` is the gradient times v, `hvp` is the Hessian
/// (`eval --hessian`) times v.
@Suite(.serialized) struct DirectionalCodeTests {
  /// The direction and the weights: small dyadic numbers, exact in every
  /// language, written the same in the drivers.
  static func direction(_ i: Int) -> Double { Double((i * 7) % 11 - 5) / 8 }
  static func weight(_ o: Int) -> Double { Double((o * 3) % 5 + 1) / 4 }
  static let cDirection = "(double)((i * 7) % 11 - 5) / 8"
  static let cWeight = "(double)((o * 3) % 5 + 1) / 4"

  static let functions: [EntryPoint.Function] = [.jvp, .vjp, .hvp]

  struct Sample {
    var name: String
    var request: EmitRequest
    var leaves: [Double]
    var interpreted: [String: [Double]]
  }

  static func sample(_ name: String) throws -> Sample {
    let file = Paths.sample(name)
    let compilation = Compilation(file)
    let program = try #require(compilation.program)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let request = EmitRequest(
      optimizing: program, file: file, prefix: Naming.defaultPrefix(forPath: name + ".bp"),
      with: functions, forward: compilation.forward)
    let layout = request.layout
    let v = (0..<layout.numInputs).map(direction)
    let w = (0..<layout.numOutputs).map(weight)
    var interpreted: [String: [Double]] = [:]
    for (function, program) in request.derivatives {
      let run = Directional(
        program, weightedSum: request.weightedSum, input: leaves, v: v, w: w)
      switch function {
      case .jvp:
        interpreted["jvp out"] = run.outputs
        interpreted["jvp jv"] = run.jv
      case .vjp:
        interpreted["vjp out"] = run.outputs
        interpreted["vjp vjp"] = run.vjp
      case .hvp:
        interpreted["hvp vjp"] = run.vjp
        interpreted["hvp hv"] = run.hv
      case .forward, .gradient: break
      }
    }
    return Sample(name: name, request: request, leaves: leaves, interpreted: interpreted)
  }

  static let samples: [Sample] = Paths.sampleNames.compactMap { try? sample($0) }

  /// `name kind value` lines, by `name kind`.
  static func parse(_ text: String) -> [String: [Double]] {
    var out: [String: [Double]] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      guard parts.count == 4, let value = Double(parts[3]) else { continue }
      out["\(parts[0]) \(parts[1]) \(parts[2])", default: []].append(value)
    }
    return out
  }

  static func compare(_ native: [String: [Double]], _ language: String) {
    #expect(samples.count == Paths.sampleNames.count)
    for sample in samples {
      for (key, expected) in sample.interpreted.sorted(by: { $0.key < $1.key }) {
        let got = native["\(sample.name) \(key)"] ?? []
        #expect(
          got.map(\.bitPattern) == expected.map(\.bitPattern),
          "\(sample.name) \(key): \(language) \(got.prefix(4)) vs the interpreter \(expected.prefix(4))"
        )
      }
    }
  }

  @Test func cAgreesWithTheInterpreterBitForBit() throws {
    let cc = try #require(Run.tool("cc", "gcc", "clang"), "no C compiler")
    let dir = Paths.scratch("directional-c")
    var sources: [String] = []
    var driver = "#include <math.h>\n#include <stdio.h>\n"
    var calls = ""
    for sample in Self.samples {
      let emitted = CEmitter.emit(sample.request, headerName: "\(sample.name).h")
      try Data(emitted.header.utf8).write(to: dir.appendingPathComponent("\(sample.name).h"))
      try Data(emitted.source.utf8).write(to: dir.appendingPathComponent("\(sample.name).c"))
      sources.append("\(sample.name).c")
      let p = Naming.cPrefix(sample.request.prefix)
      let m = p.uppercased()
      driver += "#include \"\(sample.name).h\"\n"
      calls += """
            {
                static double in[\(m)_NUM_INPUTS], v[\(m)_NUM_INPUTS], w[\(m)_NUM_OUTPUTS];
                static double out[\(m)_NUM_OUTPUTS], jv[\(m)_NUM_OUTPUTS], vjp[\(m)_NUM_INPUTS];
                static double hv[\(m)_NUM_INPUTS], work[\(m)_WORK_SIZE];
                int i, o;
                \(p)_fill_defaults(in);
                for (i = 0; i < \(m)_NUM_INPUTS; i++) v[i] = \(Self.cDirection);
                for (o = 0; o < \(m)_NUM_OUTPUTS; o++) w[o] = \(Self.cWeight);
                /* NaN first: an element an entry point leaves unwritten shows. */
                for (o = 0; o < \(m)_NUM_OUTPUTS; o++) out[o] = jv[o] = NAN;
                for (i = 0; i < \(m)_NUM_INPUTS; i++) vjp[i] = hv[i] = NAN;
                \(p)_jvp_work(in, v, out, jv, work);
                print("\(sample.name) jvp out", out, \(m)_NUM_OUTPUTS);
                print("\(sample.name) jvp jv", jv, \(m)_NUM_OUTPUTS);
                \(p)_vjp(in, w, out, vjp);
                print("\(sample.name) vjp out", out, \(m)_NUM_OUTPUTS);
                print("\(sample.name) vjp vjp", vjp, \(m)_NUM_INPUTS);
                \(p)_hvp_work(in, w, v, out, vjp, hv, work);
                print("\(sample.name) hvp vjp", vjp, \(m)_NUM_INPUTS);
                print("\(sample.name) hvp hv", hv, \(m)_NUM_INPUTS);
            }

        """
    }
    driver += """

      static void print(const char *what, const double *values, int count)
      {
          int k;
          for (k = 0; k < count; k++) printf("%s %.17g\\n", what, values[k]);
      }

      int main(void)
      {
      \(calls)    return 0;
      }

      """
    try Data(driver.utf8).write(to: dir.appendingPathComponent("main.c"))
    let compile = try Run.process(
      cc, CompiledSamples.cFlags + ["-o", "driver", "main.c"] + sources + ["-lm"], directory: dir)
    try #require(compile.status == 0, "cc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
    try #require(run.status == 0, "the driver failed: \(run.stderr)")
    Self.compare(Self.parse(run.stdout), "C")
  }

  @Test func swiftAgreesWithTheInterpreterBitForBit() throws {
    let swiftc = try #require(Run.tool("swiftc"), "no swiftc")
    let dir = Paths.scratch("directional-swift")
    var files: [String] = []
    var main = """
      func show(_ what: String, _ values: [Double]) {
          for v in values { print("\\(what) \\(v)") }
      }

      """
    for sample in Self.samples {
      let source = SwiftEmitter.emit(sample.request)
      try Data(source.utf8).write(to: dir.appendingPathComponent("\(sample.name).swift"))
      files.append("\(sample.name).swift")
      let t = Naming.swiftTypeName(sample.request.prefix)
      let (n, m) = (sample.request.layout.numInputs, sample.request.layout.numOutputs)
      let name = sample.name
      main += """
        do {
            var input = [Double](repeating: 0, count: \(n))
            \(t).fillDefaults(&input)
            let v = (0..<\(n)).map { i in Double((i * 7) % 11 - 5) / 8 }
            let w = (0..<\(m)).map { o in Double((o * 3) % 5 + 1) / 4 }
            // NaN first: an element an entry point leaves unwritten shows.
            var output = [Double](repeating: .nan, count: \(m))
            var jv = [Double](repeating: .nan, count: \(m))
            var vjp = [Double](repeating: .nan, count: \(n))
            var hv = [Double](repeating: .nan, count: \(n))
            \(t).jvp(input, v, &output, &jv)
            show("\(name) jvp out", output)
            show("\(name) jvp jv", jv)
            \(t).vjp(input, w, &output, &vjp)
            show("\(name) vjp out", output)
            show("\(name) vjp vjp", vjp)
            \(t).hvp(input, w, v, &output, &vjp, &hv)
            show("\(name) hvp vjp", vjp)
            show("\(name) hvp hv", hv)
        }

        """
    }
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.swift"))
    let compile = try Run.process(
      swiftc, ["-O", "-warnings-as-errors", "-o", "driver", "main.swift"] + files, directory: dir)
    try #require(compile.status == 0, "swiftc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("driver").path, [], directory: dir)
    try #require(run.status == 0, "the driver failed: \(run.stderr)")
    Self.compare(Self.parse(run.stdout), "Swift")
  }

  /// The numbers, by independent paths, in the interpreter: vjp with the
  /// unit weight of output element o is the gradient's row o, bit for bit
  /// (SPEC §8.2); jvp is the gradient times v; and for a scalar output,
  /// hvp is `eval --hessian`'s Hessian times v.
  @Test(arguments: Paths.sampleNames)
  func theEntryPointsComputeTheirDerivatives(_ name: String) throws {
    let sample = try Self.sample(name)
    let request = sample.request
    let layout = request.layout
    let (n, m) = (layout.numInputs, layout.numOutputs)
    let gradient = Evaluation(program: request.gradient, input: sample.leaves)
    var rows: [[Double]] = []
    for (o, output) in layout.outputs.enumerated() {
      for e in 0..<output.size {
        rows.append(
          layout.leaves.flatMap { leaf in
            let block = gradient.gradientElements[o][leaf.symbol]
            return (0..<leaf.size).map { block[e * leaf.size + $0] }
          })
      }
    }
    let vjp = try #require(request.derivatives.first { $0.function == .vjp }?.program)
    for o in 0..<m {
      let unit = (0..<m).map { $0 == o ? 1.0 : 0.0 }
      let run = Directional(
        vjp, weightedSum: request.weightedSum, input: sample.leaves, v: [], w: unit)
      // A row through 0-weighted outputs may differ by the sign of a zero.
      #expect(
        zip(run.vjp, rows[o]).allSatisfy { $0 == $1 }, "\(name): vjp with w = e\(o)")
    }
    let v = (0..<n).map(Self.direction)
    let jv = try #require(sample.interpreted["jvp jv"])
    for o in 0..<m {
      let expected = zip(rows[o], v).reduce(0.0) { $0 + $1.0 * $1.1 }
      let scale = zip(rows[o], v).reduce(0.0) { $0 + abs($1.0 * $1.1) }
      #expect(abs(jv[o] - expected) <= 1e-12 * max(1, scale), "\(name): jv[\(o)]")
    }
    guard m == 1, n * n <= 1 << 20 else { return }
    let compilation = Compilation(Paths.sample(name))
    var diagnostics = DiagnosticList()
    let hessian = try #require(
      compilation.hessian(
        sample.leaves, output: layout.outputs[0].symbol, element: [], into: &diagnostics))
    let hv = try #require(sample.interpreted["hvp hv"])
    let w0 = Self.weight(0)
    for i in 0..<n {
      let row = (0..<n).map { hessian.entries[i * n + $0] * v[$0] }
      let expected = w0 * row.reduce(0, +)
      let scale = w0 * row.reduce(0) { $0 + abs($1) }
      #expect(abs(hv[i] - expected) <= 1e-12 * max(1, scale), "\(name): hv[\(i)]")
    }
  }
}
