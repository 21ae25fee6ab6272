import Foundation
import Testing

@testable import BackpropCore

/// Input that must end in a result or a diagnostic, never a crash or a
/// stack overflow (SPEC §2).
@Suite struct HostileInputTests {
  @Test func hundredThousandOpenParenthesesIsADiagnostic() {
    let compilation = Compilation(
      name: "deep.bp", source: "y = " + String(repeating: "(", count: 100_000) + "x")
    #expect(compilation.diagnostics.items.contains { $0.message.id == "nestingTooDeep" })
    #expect(compilation.program == nil)
  }

  @Test func deepParenthesesThatCloseAreADiagnosticToo() {
    let n = 100_000
    let source =
      "y = " + String(repeating: "(", count: n) + "x" + String(repeating: ")", count: n)
      + "\nz = 2 +"
    let compilation = Compilation(name: "deep.bp", source: source)
    let ids = compilation.diagnostics.items.map(\.message.id)
    // The deep line is one error; the parser recovers and finds the next line's.
    #expect(ids == ["nestingTooDeep", "expectedExpression"])
  }

  @Test func deepUnaryMinusAndPowerChainsAreBounded() {
    for source in [
      "y = " + String(repeating: "-", count: 50_000) + "x",
      "y = " + Array(repeating: "x", count: 50_000).joined(separator: "^"),
    ] {
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
    let c = CEmitter.emit(
      EmitRequest(optimizing: program, file: compilation.file, prefix: "m"), headerName: nil)
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

/// The hostile inputs of issue 3, through the real executable: each ends with
/// exit 0 or 1 and a bounded amount of output, within the time limit, with
/// peak memory proportional to the input (measured with /usr/bin/time when
/// the machine has it).
@Suite struct HostileCommandLineTests {
  struct Outcome {
    var result: ProcessResult
    var seconds: Double
    var peakKilobytes: Int?
  }

  /// Runs `backpropc eval FILE` on `bytes` written to a temporary file.
  static func evaluate(_ bytes: [UInt8], name: String, arguments: [String] = []) throws -> Outcome {
    let dir = Paths.scratch("hostile")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent(name)
    try Data(bytes).write(to: file)
    let executable = try #require(Backpropc.executable, "build the backpropc executable first")
    let time = "/usr/bin/time"
    let measured = FileManager.default.isExecutableFile(atPath: time)
    let start = Date()
    let command = ["eval", file.path] + arguments
    var result =
      measured
      ? try Run.process(time, ["-f", "peak-kb %M"] + [executable.path] + command, timeLimit: 300)
      : try Backpropc.run(command, timeLimit: 300)
    let seconds = Date().timeIntervalSince(start)
    var peak: Int?
    if measured, let line = result.stderr.split(separator: "\n").last, line.hasPrefix("peak-kb ") {
      peak = Int(line.dropFirst(8))
      result.stderr = result.stderr.split(separator: "\n").dropLast().joined(separator: "\n")
    }
    print(
      "hostile \(name): \(bytes.count) bytes, exit \(result.status), \(String(format: "%.2f", seconds)) s, peak \(peak.map { "\($0 / 1024) MB" } ?? "not measured")"
    )
    return Outcome(result: result, seconds: seconds, peakKilobytes: peak)
  }

  /// Exit 0 or 1, never a signal; diagnostics bounded; memory linear.
  static func expectGraceful(
    _ outcome: Outcome, inputBytes: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(!outcome.result.timedOut, "timed out", sourceLocation: sourceLocation)
    #expect(
      [0, 1].contains(outcome.result.status), "\(outcome.result)", sourceLocation: sourceLocation)
    #expect(
      outcome.result.stderr.utf8.count < 64 * 1024,
      "stderr holds \(outcome.result.stderr.utf8.count) bytes", sourceLocation: sourceLocation)
    if let peak = outcome.peakKilobytes {
      // A generous linear bound: 200 bytes of memory per byte of input, plus
      // the runtime's own 256 MB.
      #expect(
        peak * 1024 <= 256 * 1024 * 1024 + 200 * inputBytes,
        "peak \(peak) KB for \(inputBytes) bytes", sourceLocation: sourceLocation)
    }
  }

  @Test func tenMegabyteProgram() throws {
    // 2,000 sums of 500 products each, then their total: 10 MB of text.
    var lines = ["x = 0.5"]
    var expected = 0.0
    var generator = SplitMix64(seed: 10)
    for i in 0..<2000 {
      var terms: [String] = []
      var sum = 0.0
      for _ in 0..<500 {
        let k = Double(Int.random(in: 0..<100, using: &generator)) + 0.25
        terms.append("x * \(NumberFormat.shortest(k))")
        sum += k
      }
      lines.append("s\(i) = " + terms.joined(separator: " + "))
      expected += sum
    }
    lines.append("total = " + (0..<2000).map { "s\($0)" }.joined(separator: " + "))
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    #expect(bytes.count > 10_000_000)
    let outcome = try Self.evaluate(bytes, name: "ten-mb.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 0)
    // d total/dx is the sum of all coefficients; total is half of it.
    let lines2 = outcome.result.stdout.split(separator: "\n")
    let derivative = lines2.first { $0.hasPrefix("∂total/∂x = ") }.flatMap {
      Double($0.split(separator: " ").last ?? "")
    }
    #expect(close(try #require(derivative), expected, 1e-9))
  }

  @Test func threeHundredThousandChainedStatements() throws {
    let n = 300_000
    var lines = ["v0 = 0.5"]
    var v = [0.5]
    for i in 1..<n {
      lines.append("v\(i) = v\(i - 1) * 1.000001 + sin(v\(max(0, i - 7))) * 1e-6")
      v.append(v[i - 1] * 1.000001 + sin(v[max(0, i - 7)]) * 1e-6)
    }
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    let outcome = try Self.evaluate(bytes, name: "chain.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 0)
    let value = outcome.result.stdout.split(separator: "\n").first.flatMap {
      Double($0.split(separator: " ").last ?? "")
    }
    #expect(close(try #require(value), v[n - 1], 1e-12))
  }

  @Test func randomBytes() throws {
    var generator = SplitMix64(seed: 99)
    let bytes = (0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let outcome = try Self.evaluate(bytes, name: "random.bin")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains("errors generated."))
  }

  @Test func invalidUTF8IsReportedWhereItIs() throws {
    let bytes: [UInt8] = Array("x = 1".utf8) + [0xFF, 0xFE] + Array("\ny = x * 2\n".utf8)
    let outcome = try Self.evaluate(bytes, name: "utf8.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 1)
    #expect(
      outcome.result.stderr.contains(
        "utf8.bp:1:6: error: invalid bytes 0xFF 0xFE (only ASCII is allowed outside comments)"))
  }

  @Test func oneMegabyteIdentifier() throws {
    let name = String(repeating: "a", count: 1_000_000)
    let bytes = Array("y = \(name) * 2\n".utf8)
    let outcome = try Self.evaluate(bytes, name: "ident.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    // A free leaf with no value: an error that names it, briefly.
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains("(1000000 characters)"))
  }

  @Test func nulBytes() throws {
    let bytes: [UInt8] = Array("x = 1".utf8) + [0, 0, 0] + Array("; y = x * 2\n".utf8)
    let outcome = try Self.evaluate(bytes, name: "nul.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains("nul.bp:1:6: error: invalid bytes 0x00 0x00 0x00"))
  }

  @Test(arguments: [("empty.bp", ""), ("comments.bp", "# nothing\n// at all\n")])
  func nothingToCompute(_ name: String, _ text: String) throws {
    let outcome = try Self.evaluate(Array(text.utf8), name: name)
    Self.expectGraceful(outcome, inputBytes: text.utf8.count)
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains("error: the program has no output"))
  }

  @Test func hundredThousandParentheses() throws {
    let bytes = Array(("y = " + String(repeating: "(", count: 100_000) + "x\n").utf8)
    let outcome = try Self.evaluate(bytes, name: "deep.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 1)
    #expect(
      outcome.result.stderr.contains("expression nested too deeply (the limit is 256 levels)"))
  }

  // MARK: Arrays (SPEC §6.6's robustness list)

  /// A 1 MB list literal: parsed in a loop, evaluated, summed exactly.
  @Test func oneMegabyteListLiteral() throws {
    let n = 210_000
    let items = (0..<n).map { String($0 % 10) + ".5" }
    let text = "input x[\(n)] = [" + items.joined(separator: ", ") + "]\ny = sum(i, x[i])\n"
    let bytes = Array(text.utf8)
    #expect(bytes.count > 1_000_000)
    let outcome = try Self.evaluate(bytes, name: "list.bp")
    Self.expectGraceful(outcome, inputBytes: bytes.count)
    #expect(outcome.result.status == 0, "\(outcome.result)")
    // Σ (k mod 10 + 0.5): 21,000 of each digit, all sums exact in binary.
    let expected = Double(n / 10) * (0..<10).reduce(0.0) { $0 + Double($1) + 0.5 }
    #expect(outcome.result.stdout.hasPrefix("y = \(NumberFormat.shortest(expected))\n"))
  }

  /// 10,000 nested brackets: one diagnostic (a list is at most 4 deep), no recursion.
  @Test func tenThousandNestedBrackets() throws {
    let text =
      "input x[1] = " + String(repeating: "[", count: 10_000) + "1"
      + String(repeating: "]", count: 10_000) + "\ny = x[0]\n"
    let outcome = try Self.evaluate(Array(text.utf8), name: "brackets.bp")
    Self.expectGraceful(outcome, inputBytes: text.utf8.count)
    #expect(outcome.result.status == 1)
    #expect(
      outcome.result.stderr.contains(
        "brackets.bp:1:18: error: a list nests at most 4 deep (arrays have rank 1 to 4)"))
  }

  /// Nested subscripts and reductions deep enough to overflow a recursive parser.
  @Test func tenThousandNestedSums() throws {
    let text =
      "input x[2] = 1\ny = " + String(repeating: "sum(i, ", count: 10_000) + "x[i]"
      + String(repeating: ")", count: 10_000) + "\n"
    let outcome = try Self.evaluate(Array(text.utf8), name: "sums.bp")
    Self.expectGraceful(outcome, inputBytes: text.utf8.count)
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains("nested too deeply"))
  }

  /// Declarations past the limits are errors before anything is allocated.
  @Test(arguments: [
    (
      "input x[100000, 100000]\ny = x[0, 0]\n",
      "'x' has 10000000000 elements; an array holds at most 16777216 (2^24)"
    ),
    ("input x[2] = 0\ny = x[99999999999999999999]\n", "subscript beyond 2^63 is out of range"),
    ("input x[99999999999999999999]\ny = x[0]\n", "'x' has more than 9223372036854775807 elements"),
    ("input a[65536] = 0\ny = sum(i, j, k, a[i] * a[j] * a[k])\n", "at most 4294967296 (2^32)"),
    // SPEC §7: huge coefficients and constants, and a window of 300 indices
    // whose reach overflows a 64-bit sum without the saturating arithmetic.
    ("input x[2] = 0\ny = sum(i, x[99999999999*i])\n", "at most 2147483648 (2^31)"),
    ("input x[2] = 0\ny = sum(i, x[i + 2147483648])\n", "needs i < -2147483646"),
    (
      "input x[2] = 1, s[3] = 1\nE = sum("
        + (0..<300).map { "a\($0)" }.joined(separator: ", ") + ", "
        + (0..<300).map { "x[a\($0)]" }.joined(separator: " * ") + " * s["
        + (0..<300).map { "2147483648*a\($0)" }.joined(separator: " + ") + "])\n",
      "297 more indices at their largest"
    ),
  ])
  func hugeShapes(_ text: String, _ message: String) throws {
    let outcome = try Self.evaluate(Array(text.utf8), name: "huge.bp")
    Self.expectGraceful(outcome, inputBytes: text.utf8.count)
    #expect(outcome.result.status == 1)
    #expect(outcome.result.stderr.contains(message), "\(outcome.result)")
    if let peak = outcome.peakKilobytes { #expect(peak < 128 * 1024, "peak \(peak) KB") }
  }
}
