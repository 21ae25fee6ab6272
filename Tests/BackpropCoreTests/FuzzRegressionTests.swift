import Foundation
import Testing

@testable import BackpropCore

/// Every input the fuzzer ever kept (Fuzz/corpus) or crashed on
/// (Fuzz/regressions, one file per crash, named after what it broke) goes
/// through the whole pipeline again, as the fuzz target does.
@Suite struct FuzzRegressionTests {
  static func inputs(_ folder: String) -> [URL] {
    let url = Paths.packageRoot.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.sorted().filter { !$0.hasPrefix(".") }.map { url.appendingPathComponent($0) }
  }

  /// What Fuzz/FuzzEntry.swift does, with the outcome checked: a program
  /// either has errors or compiles, emits and evaluates.
  static func replay(_ url: URL) throws {
    let bytes = Array(try Data(contentsOf: url))
    let file = SourceFile(name: url.lastPathComponent, bytes: bytes)
    let compilation = Compilation(file)
    let rendered = compilation.diagnostics.rendered(in: file)
    guard let program = compilation.program else {
      #expect(
        compilation.diagnostics.hasErrors && rendered.contains("error:"),
        "\(url.lastPathComponent): no program and no error")
      return
    }
    let request = EmitRequest(optimizing: program, file: file, prefix: "fuzz")
    // `fuzz_gradient(`, or only `fuzz_gradient_work(` past the stack budget.
    #expect(CEmitter.emit(request, headerName: "fuzz.h").source.contains("void fuzz_gradient"))
    #expect(SwiftEmitter.emit(request).contains("public enum Fuzz"))
    var diagnostics = DiagnosticList()
    let layout = Layout(program)
    // The fuzz target's bound on what it evaluates (Fuzz/FuzzEntry.swift).
    guard layout.numInputs <= 1 << 16, program.symbols.reduce(0, { $0 + $1.size }) <= 1 << 18 else {
      return
    }
    var leaves = [Double](repeating: 0.75, count: layout.numInputs)
    for (l, leaf) in program.leaves.enumerated() {
      if let value = leaf.defaultValue { leaves[layout.input(l)] = value }
    }
    let evaluation = try #require(compilation.evaluate(leaves, into: &diagnostics))
    #expect(evaluation.values.count == program.symbols.count)
  }

  @Test func corpusAndRegressionsReplay() throws {
    let corpus = Self.inputs("Fuzz/corpus")
    #expect(corpus.count >= Paths.sampleNames.count, "the fuzz corpus is missing")
    for url in corpus + Self.inputs("Fuzz/regressions") { try Self.replay(url) }
  }
}
