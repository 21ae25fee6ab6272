import Foundation
import Testing

@testable import BackpropCore

/// The generated C and Swift compile under SPEC §3's strict flags, and compute
/// what the interpreter computes.
@Suite struct GeneratedCodeTests {
  /// The interpreter's output elements and leaf gradient at the defaults,
  /// as the generated code lays them out: a row of every input element per
  /// output element (SPEC §6.4).
  static func interpreted(_ name: String) throws -> (outputs: [Double], gradient: [Double]) {
    try interpreted(file: Paths.sample(name))
  }

  static func interpreted(file: SourceFile) throws -> (outputs: [Double], gradient: [Double]) {
    let evaluation = try Compilation(file).evaluation()
    let program = evaluation.program
    let outputs = program.outputs.flatMap { evaluation.elements[$0] }
    var gradient: [Double] = []
    for (o, output) in program.outputs.enumerated() {
      for e in 0..<program.symbols[output].size {
        for s in 0..<program.leafCount {
          let n = program.symbols[s].size
          gradient += evaluation.gradientElements[o][s][(e * n)..<(e * n + n)]
        }
      }
    }
    return (outputs, gradient)
  }

  static func expectSame(
    _ actual: [Double], _ expected: [Double], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(
      actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)",
      sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !close(a, e, 1e-12) {
      Issue.record("\(what)[\(i)] = \(a), interpreter says \(e)", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: Paths.sampleNames)
  func generatedCMatchesInterpreter(_ name: String) throws {
    let runs = try CompiledSamples.c.get()
    let run = try #require(runs[name], "the C driver printed nothing for \(name)")
    let expected = try Self.interpreted(name)
    Self.expectSame(run.forward, expected.outputs, "\(name) C forward")
    Self.expectSame(run.outputs, expected.outputs, "\(name) C gradient outputs")
    Self.expectSame(run.gradient, expected.gradient, "\(name) C gradient")
  }

  @Test(arguments: Paths.sampleNames)
  func generatedSwiftMatchesInterpreter(_ name: String) throws {
    let runs = try CompiledSamples.swift.get()
    let run = try #require(runs[name], "the Swift driver printed nothing for \(name)")
    let expected = try Self.interpreted(name)
    Self.expectSame(run.forward, expected.outputs, "\(name) Swift forward")
    Self.expectSame(run.outputs, expected.outputs, "\(name) Swift gradient outputs")
    Self.expectSame(run.gradient, expected.gradient, "\(name) Swift gradient")
    if let labelled = run.labelled {
      // (O1, dO1/dL1, …, O2, …): the same numbers in output-major order.
      let n = expected.gradient.count / max(1, expected.outputs.count)
      var interleaved: [Double] = []
      for o in expected.outputs.indices {
        interleaved.append(expected.outputs[o])
        interleaved += expected.gradient[(o * n)..<(o * n + n)]
      }
      Self.expectSame(labelled, interleaved, "\(name) Swift labelled gradient")
      Self.expectSame(run.labelledForward ?? [], expected.outputs, "\(name) Swift labelled forward")
    }
  }

  /// The batch forms (`prefix_gradient_batch`, `gradientBatch(rows:…)`, with
  /// and without work, forward and gradient) on three rows compute, bit for
  /// bit, what three single calls compute, and write nothing outside the rows.
  @Test(arguments: Paths.sampleNames)
  func batchFormsMatchSingleCalls(_ name: String) throws {
    let cRuns = try CompiledSamples.c.get()
    let c = try #require(cRuns[name], "the C driver printed nothing for \(name)")
    #expect(
      c.batchMismatches == 0,
      "\(name): C batch forms differ from single calls in \(c.batchMismatches.map(String.init) ?? "unknown") values"
    )
    let swiftRuns = try CompiledSamples.swift.get()
    let swift = try #require(swiftRuns[name], "the Swift driver printed nothing for \(name)")
    #expect(
      swift.batchMismatches == 0,
      "\(name): Swift batch forms differ from single calls in \(swift.batchMismatches.map(String.init) ?? "unknown") values"
    )
  }

  /// The reverse pass against central differences of the forward program.
  /// `kinks` is left out: at a kink a difference quotient measures the mean of
  /// the two slopes (relu at 0 gives ½), not the convention, which
  /// DerivativeTests checks by hand.
  @Test(arguments: Paths.sampleNames.filter { $0 != "kinks" })
  func interpreterMatchesFiniteDifferences(_ name: String) throws {
    let compilation = Compilation(Paths.sample(name))
    let evaluation = try compilation.evaluation()
    let program = evaluation.program
    let leaves = evaluation.elements[0..<program.leafCount].flatMap { $0 }
    let numeric = finiteDifferences(try #require(compilation.program), at: leaves).flatMap { $0 }
    let (outputs, analytic) = try Self.interpreted(name)
    #expect(numeric.count == analytic.count && numeric.count == outputs.count * leaves.count)
    for (k, (a, n)) in zip(analytic, numeric).enumerated() {
      let scale = max(1, abs(outputs[k / leaves.count]))
      let tolerance = 1e-6 * max(1, abs(a)) + 1e-9 * scale
      #expect(
        abs(a - n) <= tolerance,
        "\(name): output element \(k / leaves.count), input element \(k % leaves.count): \(a), finite differences say \(n)"
      )
    }
  }

  /// SPEC §3: C++ and Python's cffi use the header as is.
  @Test func headersCompileAsCPlusPlus() throws {
    guard let cxx = Run.tool("c++", "g++", "clang++") else {
      // Recorded, not silently passed: the machine has no C++ compiler.
      print("skipped: no C++ compiler on PATH")
      return
    }
    let dir = Paths.scratch("cxx")
    var includes = ""
    var uses = ""
    for name in Paths.sampleNames {
      let request = try #require(CompiledSamples.request(name))
      let emitted = CEmitter.emit(request, headerName: "\(name).h")
      try Data(emitted.header.utf8).write(to: dir.appendingPathComponent("\(name).h"))
      includes += "#include \"\(name).h\"\n"
      uses += "  (void)&\(Naming.cPrefix(request.prefix))_gradient;\n"
    }
    try Data((includes + "int main() {\n" + uses + "  return 0;\n}\n").utf8)
      .write(to: dir.appendingPathComponent("main.cpp"))
    let result = try Run.process(
      cxx, ["-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "main.cpp"],
      directory: dir)
    #expect(result.status == 0, "the headers do not compile as C++:\n\(result.stderr)")
  }

  /// SPEC §3: nothing is allocated per call. The generated functions are
  /// straight-line code over locals; this guards against an emitter change
  /// that introduces a heap-allocating construct.
  @Test(arguments: Paths.sampleNames)
  func generatedFunctionsAllocateNothing(_ name: String) throws {
    let request = try #require(CompiledSamples.request(name))
    let c = CEmitter.emit(request, headerName: "\(name).h").source
    for word in ["malloc", "calloc", "realloc", "alloca"] {
      #expect(!c.contains(word), "\(name).c contains \(word)")
    }
    let swift = SwiftEmitter.emit(request)
    let bodies = swift.components(separatedBy: "UnsafeBufferPointer<Double>").dropFirst().joined()
    for word in ["[Double](", "Array(", "append(", "map {", ".map(", "String("] {
      #expect(!bodies.contains(word), "\(name).swift computes with \(word)")
    }
  }

  /// SPEC §6.5: the Swift forms without `work:` put the intermediates on the
  /// stack (`withUnsafeTemporaryAllocation`) and allocate nothing per call;
  /// nor do the batch forms, with or without `work:`.
  /// Measured, not assumed: under valgrind, 1,000 calls make as many heap
  /// allocations as 10 (the runtime's and the arrays' own, made once).
  /// `mazur` split into parts of 4 statements passes its values through
  /// `work` on the stack the same way.
  @Test(arguments: ["mlp", "softmax", "mazur split"])
  func swiftStackFormsAllocateNothingPerCall(_ argument: String) throws {
    guard let valgrind = Run.tool("valgrind"), let swiftc = Run.tool("swiftc") else {
      print("skipped: allocation count needs valgrind and swiftc on PATH")
      return
    }
    let name = String(argument.split(separator: " ")[0])
    var request = try #require(CompiledSamples.request(name))
    if argument.hasSuffix(" split") {
      request.maxFunctionSize = 4
      #expect(SwiftEmitter.emit(request).contains("withUnsafeTemporaryAllocation"))
    }
    let type = Naming.swiftTypeName(request.prefix)
    let dir = Paths.scratch("alloc-\(name)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(SwiftEmitter.emit(request).utf8).write(to: dir.appendingPathComponent("\(type).swift"))
    let main = """
      let n = Int(CommandLine.arguments[1])!
      var input = [Double](repeating: 0, count: \(type).numInputs)
      \(type).fillDefaults(&input)
      var output = [Double](repeating: 0, count: \(type).numOutputs)
      var gradient = [Double](repeating: 0, count: \(type).numOutputs * \(type).numInputs)
      var work = [Double](repeating: 0, count: \(type).workSize)
      var total = 0.0
      for _ in 0..<n {
          \(type).gradient(input, &output, &gradient)
          \(type).forward(input, &output)
          total += output[0] + gradient[0]
          \(type).gradientBatch(rows: 1, input, &output, &gradient)
          \(type).forwardBatch(rows: 1, input, &output)
          \(type).gradientBatch(rows: 1, input, &output, &gradient, work: &work)
          total += output[0] + gradient[0]
      }
      print(total)
      """
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.swift"))
    let compile = try Run.process(
      swiftc, ["-O", "-o", "driver", "main.swift", "\(type).swift"], directory: dir)
    try #require(compile.status == 0, "swiftc failed:\n\(compile.stderr)")
    func allocations(_ calls: Int) throws -> Int? {
      let run = try Run.process(valgrind, ["./driver", String(calls)], directory: dir)
      guard
        let line = run.stderr.split(separator: "\n").first(where: {
          $0.contains("total heap usage:")
        })
      else { return nil }
      let words = line.split(separator: " ")
      guard let at = words.firstIndex(of: "allocs,") else { return nil }
      return Int(words[at - 1].replacingOccurrences(of: ",", with: ""))
    }
    let few = try #require(try allocations(10), "valgrind printed no heap summary")
    let many = try #require(try allocations(1000))
    #expect(many == few, "\(name): \(few) heap allocations for 10 calls, \(many) for 1,000")
  }
}
