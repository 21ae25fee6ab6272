import Foundation
import Testing

@testable import BackpropCore

/// Input that must end in a result or a diagnostic, never a crash or a
/// stack overflow (SPEC §2).
@Suite struct HostileInputTests {
  @Test func hundredThousandOpenParenthesesIsADiagnostic() {
    let compilation = Compilation(name: "deep.bp", source: "y = " + String(repeating: "(", count: 100_000) + "x")
    #expect(compilation.diagnostics.items.contains { $0.message.id == "nestingTooDeep" })
    #expect(compilation.program == nil)
  }

  @Test func deepParenthesesThatCloseAreADiagnosticToo() {
    let n = 100_000
    let source = "y = " + String(repeating: "(", count: n) + "x" + String(repeating: ")", count: n) + "\nz = 2 +"
    let compilation = Compilation(name: "deep.bp", source: source)
    let ids = compilation.diagnostics.items.map(\.message.id)
    // The deep line is one error; the parser recovers and finds the next line's.
    #expect(ids == ["nestingTooDeep", "expectedExpression"])
  }

  @Test func deepUnaryMinusAndPowerChainsAreBounded() {
    for source in ["y = " + String(repeating: "-", count: 50_000) + "x",
                   "y = " + Array(repeating: "x", count: 50_000).joined(separator: "^")] {
      let compilation = Compilation(name: "deep.bp", source: source)
      #expect(compilation.diagnostics.items.contains { $0.message.id == "nestingTooDeep" })
    }
  }

  /// A flat sum is a loop in the parser and a left-deep chain in the IR:
  /// nothing on the way may recurse over it.
  @Test func longSumCompilesEvaluatesAndEmits() throws {
    let n = 20_000
    let source = "y = " + (0..<n).map { "x\($0 % 50) * w\($0 % 7)" }.joined(separator: " + ")
    let (compilation, program) = try Compilation.valid(source)
    let settings = Dictionary(uniqueKeysWithValues: program.leaves.map { ($0.name, 1.0) })
    let evaluation = try compilation.evaluation(settings)
    #expect(evaluation.value("y") == Double(n))
    let c = CEmitter.emit(EmitRequest(program: program, file: compilation.file, prefix: "m"), headerName: nil)
    #expect(c.source.contains("void m_gradient("))
  }

  @Test func emptyAndCommentOnlyFilesSayThereIsNoOutput() {
    for source in ["", "# only a comment\n// and another\n", "\n\n;;\n"] {
      let compilation = Compilation(name: "empty.bp", source: source)
      #expect(compilation.diagnostics.items.map(\.message.id) == ["noOutput"])
    }
  }

  @Test func binaryGarbageIsDiagnosedNotCrashed() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let compilation = Compilation(SourceFile(name: "random.bin", bytes: bytes))
      #expect(compilation.diagnostics.hasErrors || compilation.program != nil)
      // Rendering must not trap on invalid UTF-8 or control bytes either.
      _ = compilation.diagnostics.rendered(in: compilation.file)
    }
  }
}
