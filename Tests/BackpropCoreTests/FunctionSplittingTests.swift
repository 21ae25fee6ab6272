import Foundation
import Testing

@testable import BackpropCore

/// `--max-function-size`: a straight-line function longer than the limit is
/// printed as parts that pass values through `work`. Split code must compute
/// what whole code computes, bit for bit, through every entry point; small
/// programs stay one function (the goldens hold them to that).
@Suite struct FunctionSplittingTests {
  /// Scalar samples with fan-out, several outputs, builtins with helpers.
  static let samples = ["mazur", "builtins", "neuron_xent", "language"]

  /// Array samples, and a layer followed by a long run of scalar statements
  /// (a controller's tail) that is cut inside.
  static let arraySamples = ["mazur_array", "mlp", "softmax", "tail"]

  static let tail: SourceFile = {
    var lines = [
      "input x[4] = [0.1, 0.2, 0.3, 0.4]",
      "param W[3, 4] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]",
      "h[j] = tanh(sum(i, W[j, i] * x[i]))",
      "a0 = sum(j, h[j] * h[j])",
    ]
    for k in 1..<40 {
      lines.append("a\(k) = sin(a\(k - 1)) * 0.9 + exp(-a\(k / 2)) * 0.1 + h[\(k % 3)]")
    }
    lines += ["g[j] = h[j] * a39", "E = sum(j, g[j] * g[j]) + a20"]
    return SourceFile(name: "tail.bp", text: lines.joined(separator: "\n") + "\n")
  }()

  static func file(_ name: String) -> SourceFile { name == "tail" ? tail : Paths.sample(name) }

  static func request(_ name: String, prefix: String, maxSize: Int) throws -> EmitRequest {
    let compilation = Compilation(file(name))
    var request = EmitRequest(
      optimizing: try #require(compilation.program), file: compilation.file, prefix: prefix)
    request.maxFunctionSize = maxSize
    return request
  }

  /// The statements of a part's body that count against the limit: locals
  /// computed there, stores, and values computed straight into a slot for a
  /// later part; not the reads of leaves and of other parts' values, nor the
  /// copy of a local into its slot.
  static func counted(_ body: [Substring]) -> Int {
    body.filter { line in
      let text = line.trimmingCharacters(in: .whitespaces)
      if text.hasPrefix("const double ") {
        return !text.contains("= in[") && !text.contains("= work[")
      }
      if text.hasPrefix("work[") {
        let value =
          text.split(separator: "=", maxSplits: 1).last?.trimmingCharacters(
            in: CharacterSet(charactersIn: " ;")) ?? ""
        return !value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
      }
      return text.hasPrefix("out[") || text.hasPrefix("grad[")
    }.count
  }

  @Test(arguments: samples)
  func partsHoldAtMostTheLimitAndSayWhatTheyCover(_ name: String) throws {
    let whole = CEmitter.emit(
      try Self.request(name, prefix: "m", maxSize: EmitRequest.defaultMaxFunctionSize),
      headerName: nil)
    #expect(!whole.source.contains("_part"), "\(name) is small: one function")
    #expect(whole.source.contains("(void)work;"))

    let limit = 3
    let split = CEmitter.emit(try Self.request(name, prefix: "m", maxSize: limit), headerName: nil)
      .source
    let lines = split.split(separator: "\n", omittingEmptySubsequences: false)
    var parts = 0
    var k = 0
    while k < lines.count {
      guard lines[k].hasPrefix("BP_PART void m_") else {
        k += 1
        continue
      }
      parts += 1
      #expect(
        lines[k - 1].hasPrefix("/* m_forward, part ")
          || lines[k - 1].hasPrefix("/* m_gradient, part "))
      #expect(
        lines[k - 1].contains(" of \(name).bp") || lines[k - 1].contains("stores"),
        "\(lines[k - 1])")
      let end = try #require(lines[k...].firstIndex(of: "}"))
      let body = Array(lines[(k + 2)..<end])
      #expect(Self.counted(body) <= limit, "\(lines[k]) holds \(Self.counted(body)) statements")
      #expect(Self.counted(body) >= 1)
      k = end
    }
    #expect(parts >= 4, "\(name) split in \(parts) parts")
    // Every slot the parts use lies within WORK_SIZE.
    let workSize = try #require(
      lines.first { $0.hasPrefix("#define M_WORK_SIZE ") }.flatMap {
        Int($0.split(separator: " ").last!)
      })
    let slots = split.matches(of: /work\[(\d+)\]/).compactMap { Int($0.1) }
    #expect(!slots.isEmpty)
    #expect(slots.allSatisfy { $0 < workSize }, "a slot beyond WORK_SIZE \(workSize)")
  }

  /// An array program's parts: each a function with its comment, its own
  /// views, and what crosses between parts in `work` within WORK_SIZE; the
  /// long scalar run of `tail` is cut (more parts than groups of loops).
  @Test(arguments: arraySamples)
  func arrayProgramsSplitAtGroupsAndInsideStraightLineRuns(_ name: String) throws {
    // `tail`'s gradient is longer than the default limit.
    let limit = name == "tail" ? 1_000 : EmitRequest.defaultMaxFunctionSize
    let whole = CEmitter.emit(try Self.request(name, prefix: "m", maxSize: limit), headerName: nil)
    #expect(!whole.source.contains("_part"), "\(name) is small: one function")
    let split = CEmitter.emit(try Self.request(name, prefix: "m", maxSize: 3), headerName: nil)
      .source
    let lines = split.split(separator: "\n", omittingEmptySubsequences: false)
    let heads = lines.indices.filter { lines[$0].hasPrefix("BP_PART void m_gradient_part") }
    #expect(heads.count >= 2, "\(name) split in \(heads.count) parts")
    for k in heads {
      #expect(lines[k - 1].hasPrefix("/* m_gradient, part "), "\(lines[k - 1])")
      #expect(lines[k - 1].contains(" of \(name).bp"), "\(lines[k - 1])")
    }
    #expect(split.matches(of: /m_gradient_part\d+\(in, out, grad, work\);/).count == heads.count)
    let workSize = try #require(
      lines.first { $0.hasPrefix("#define M_WORK_SIZE ") }.flatMap {
        Int($0.split(separator: " ").last!)
      })
    #expect(
      split.matches(of: /work\[(\d+)\]/).compactMap { Int($0.1) }.allSatisfy { $0 < workSize })
    #expect(
      split.matches(of: /work \+ (\d+)/).compactMap { Int($0.1) }.allSatisfy { $0 < workSize })
    if name == "tail" {
      // 40 scalar statements in parts of 3: the run itself is cut.
      #expect(heads.count >= 13, "\(heads.count) parts")
      // Each part names the lines it computes, not the lines of what it reads:
      // the statements are lines 3 to 45 (1 and 2 declare x and W), and the
      // forward parts, in order, cover them all in spans of a few lines.
      let spans = lines.compactMap { line -> ClosedRange<Int>? in
        guard line.hasPrefix("/* m_forward, part "),
          let m = line.firstMatch(of: /: lines? (\d+)(?:-(\d+))? of tail\.bp/)
        else { return nil }
        let first = Int(m.1)!
        return first...(m.2.map { Int($0)! } ?? first)
      }
      #expect(spans.count >= 13, "\(spans.count) forward parts")
      #expect(spans.first?.lowerBound == 3 && spans.last?.upperBound == 45, "\(spans)")
      #expect(spans.allSatisfy { $0.count <= 4 }, "\(spans)")
      #expect(zip(spans, spans.dropFirst()).allSatisfy { $1.lowerBound <= $0.upperBound + 1 })
      let swift = SwiftEmitter.emit(try Self.request(name, prefix: "m", maxSize: 3))
      #expect(
        swift.matches(of: /@inline\(never\)\n +private static func gradientPart\d+\(/).count
          == heads.count)
    }
  }

  /// Whole and split (parts of 1, 2 and 5 statements) in one translation
  /// unit under SPEC §3's flags at -O2: the same bits from `gradient`,
  /// `gradient_work` and `forward`, and the interpreter's numbers.
  @Test(arguments: samples + arraySamples)
  func splitCodeComputesWhatWholeCodeComputes(_ name: String) throws {
    let cc = try #require(Run.tool("cc", "gcc", "clang"), "no C compiler")
    let dir = Paths.scratch("split-\(name)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let variants = [("whole", 1_000), ("s1", 1), ("s2", 2), ("s5", 5)]
    var source = "#include <stdio.h>\n#include <stdlib.h>\n"
    var calls = ""
    for (prefix, size) in variants {
      source += CEmitter.emit(
        try Self.request(name, prefix: prefix, maxSize: size), headerName: nil
      ).source
        .replacingOccurrences(of: "bp_", with: "\(prefix)_bp_")
        .replacingOccurrences(of: "#define BP_PART", with: "#undef BP_PART\n#define BP_PART")
        .replacingOccurrences(of: "#define BP_NOIPA", with: "#undef BP_NOIPA\n#define BP_NOIPA")
        .replacingOccurrences(
          of: "#define BP_INDEPENDENT", with: "#undef BP_INDEPENDENT\n#define BP_INDEPENDENT")
      let m = prefix.uppercased()
      calls += """
            {
                double in[\(m)_NUM_INPUTS], out[\(m)_NUM_OUTPUTS], grad[\(m)_NUM_OUTPUTS * \(m)_NUM_INPUTS];
                double *work = malloc(sizeof(double) * \(m)_WORK_SIZE);
                int i;
                \(prefix)_fill_defaults(in);
                \(prefix)_forward(in, out);
                for (i = 0; i < \(m)_NUM_OUTPUTS; i++) printf("\(prefix) forward %a\\n", out[i]);
                \(prefix)_gradient(in, out, grad);
                for (i = 0; i < \(m)_NUM_OUTPUTS; i++) printf("\(prefix) outputs %a\\n", out[i]);
                for (i = 0; i < \(m)_NUM_OUTPUTS * \(m)_NUM_INPUTS; i++) printf("\(prefix) gradient %a\\n", grad[i]);
                for (i = 0; i < \(m)_WORK_SIZE; i++) work[i] = 1e300;
                \(prefix)_gradient_work(in, out, grad, work);
                for (i = 0; i < \(m)_NUM_OUTPUTS * \(m)_NUM_INPUTS; i++) printf("\(prefix)_work gradient %a\\n", grad[i]);
                free(work);
            }

        """
    }
    source += "int main(void)\n{\n\(calls)    return 0;\n}\n"
    try Data(source.utf8).write(to: dir.appendingPathComponent("all.c"))
    let compile = try Run.process(
      cc,
      ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2", "-o", "run", "all.c", "-lm"],
      directory: dir)
    try #require(compile.status == 0, "cc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("run").path, [], directory: dir)
    try #require(run.status == 0)
    let runs = NativeRun.parse(run.stdout)
    let whole = try #require(runs["whole"])
    let expected = try GeneratedCodeTests.interpreted(file: Self.file(name))
    GeneratedCodeTests.expectSame(whole.gradient, expected.gradient, "\(name) whole")
    for (prefix, _) in variants.dropFirst() {
      let split = try #require(runs[prefix])
      let fromWork = try #require(runs[prefix + "_work"])
      // Bit for bit: splitting moves statements, it changes no operation.
      #expect(
        split.forward.map(\.bitPattern) == whole.forward.map(\.bitPattern),
        "\(name) \(prefix) forward")
      #expect(
        split.outputs.map(\.bitPattern) == whole.outputs.map(\.bitPattern),
        "\(name) \(prefix) outputs")
      #expect(
        split.gradient.map(\.bitPattern) == whole.gradient.map(\.bitPattern),
        "\(name) \(prefix) gradient")
      #expect(
        fromWork.gradient.map(\.bitPattern) == whole.gradient.map(\.bitPattern),
        "\(name) \(prefix) gradient_work")
    }
  }

  /// The Swift parts are kept out of line, and the `work:` forms check the
  /// buffer they are given.
  @Test func swiftPartsAreOutOfLineAndTheWorkFormsCheckTheirBuffer() throws {
    let swift = SwiftEmitter.emit(try Self.request("mazur", prefix: "m", maxSize: 4))
    let parts = swift.matches(of: /private static func gradientPart(\d+)\(/).count
    #expect(parts >= 4)
    #expect(
      swift.matches(of: /@inline\(never\)\n +private static func (forward|gradient)Part\d+\(/).count
        == swift.matches(of: /private static func (forward|gradient)Part\d+\(/).count)
    #expect(swift.contains("work.count >= "))
    #expect(
      !SwiftEmitter.emit(try Self.request("mazur", prefix: "m", maxSize: 200)).contains("Part1"))
  }

  /// A scalar program with more leaves than a function's statements: its
  /// `fill_defaults` copies the table, and Swift builds `leaves` from the
  /// names; both still give every leaf its default and offset.
  @Test func manyLeavesFillFromTheTableAndListTheirOffsets() throws {
    let swiftc = try #require(Run.tool("swiftc"), "no swiftc")
    let n = 80
    let text =
      (0..<n).map { "input a\($0) = \(Double($0) / 100)" }.joined(separator: "\n")
      + "\nL = " + (0..<n).map { "a\($0) * a\($0)" }.joined(separator: " + ") + "\noutput L\n"
    let file = SourceFile(name: "many.bp", text: text)
    var request = EmitRequest(
      optimizing: try #require(Compilation(file).program), file: file, prefix: "many")
    request.maxFunctionSize = 10
    let c = CEmitter.emit(request, headerName: nil).source
    #expect(c.contains("for (int i = 0; i < MANY_NUM_INPUTS; i++) in[i] = many_default_inputs[i];"))
    let swift = SwiftEmitter.emit(request)
    #expect(swift.contains("public static let leaves: [Variable] = inputNames.indices.map"))
    let dir = Paths.scratch("many-leaves")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(swift.utf8).write(to: dir.appendingPathComponent("Many.swift"))
    try Data(
      """
      var input = [Double](repeating: 0, count: Many.numInputs)
      Many.fillDefaults(&input)
      var output = [0.0]
      var gradient = [Double](repeating: 0, count: Many.numInputs)
      var work = [Double](repeating: 0, count: Many.workSize)
      Many.gradient(input, &output, &gradient, work: &work)
      print(Many.leaves.count, Many.leaves[79].name, Many.leaves[79].offset, Many.outputs[0].name, input[79], gradient[79])
      """.utf8
    ).write(to: dir.appendingPathComponent("main.swift"))
    let compile = try Run.process(
      swiftc, ["-warnings-as-errors", "-o", "run", "main.swift", "Many.swift"], directory: dir)
    try #require(compile.status == 0, "swiftc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("run").path, [], directory: dir)
    // dL/da79 = 2 · 0.79.
    #expect(run.stdout == "80 a79 79 L 0.79 1.58\n")
  }

  @Test func theLimitIsAWholeNumber() throws {
    func request(_ words: String...) throws -> CompileRequest {
      try CompileRequest(Arguments.parse(["m.bp", "-o", "m.c"] + words), inputIsTerminal: false)
    }
    #expect(try request().maxFunctionSize == EmitRequest.defaultMaxFunctionSize)
    #expect(try request("--max-function-size", "12").maxFunctionSize == 12)
    #expect(
      DriverTests.usageError { _ = try request("--max-function-size", "0") }
        == .notAWholeNumber(option: "--max-function-size", value: "0"))
    #expect(
      DriverTests.usageError { _ = try request("--max-function-size", "many") }
        == .notAWholeNumber(option: "--max-function-size", value: "many"))
  }
}
