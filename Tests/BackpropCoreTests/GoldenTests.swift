import Foundation
import Testing

@testable import BackpropCore

/// The product's face: for each `samples/NAME.bp`, the generated C, header,
/// Swift, optimised IR and `eval --json`, byte for byte.
/// Rewrite with `UPDATE_GOLDEN=1 swift test --filter Golden`, then read the diff.
@Suite struct GoldenTests {
  @Test(arguments: Paths.sampleNames)
  func sampleMatchesGoldens(_ name: String) throws {
    var diagnostics = DiagnosticList()
    let request = try #require(CompiledSamples.request(name), "\(name).bp does not compile")
    let c = CEmitter.emit(request, headerName: "\(name).h")
    Golden.check(c.source, file: "\(name).c")
    Golden.check(c.header, file: "\(name).h")
    Golden.check(SwiftEmitter.emit(request), file: "\(name).swift")
    Golden.check(
      IRPrinter.print(request.gradient),
      file: "\(name).ir")
    let compilation = Compilation(Paths.sample(name))
    let evaluation = try compilation.evaluation()
    Golden.check(evaluation.json(), file: "\(name).json")

    // SPEC §5: explain (text and Markdown) and graph of the first output.
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let output = try #require(compilation.program?.outputs.first)
    let explanation = try #require(Explanation(compilation, leaves: leaves, output: output))
    Golden.check(explanation.rendered(.text), file: "\(name).explain.txt")
    Golden.check(explanation.rendered(.markdown), file: "\(name).explain.md")
    Golden.check(
      try #require(Graph.dot(compilation, leaves: leaves, output: output)), file: "\(name).dot")
  }

  /// A golden whose sample is gone would never be checked again.
  @Test func everyGoldenBelongsToASample() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Paths.golden.path)
    let samples = Set(Paths.sampleNames + ErrorCorpusTests.names)
    let strays = files.filter { !samples.contains(String($0.prefix { $0 != "." })) }
    #expect(strays.isEmpty, "golden files without a sample or an error file: \(strays)")
    #expect(!samples.isEmpty)
  }
}
