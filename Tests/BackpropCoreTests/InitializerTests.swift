import Foundation
import Testing

@testable import BackpropCore

/// The initialisers and their seeded generator (SPEC §6.2, README "Arrays"):
/// the generator's published reference values, the statistics each
/// initialiser promises, determinism per seed and per leaf, and the same
/// bits in the generated C's `fill_defaults` as in `eval`.
@Suite struct InitializerTests {
  /// The elements of `name` at the defaults, with `seed`.
  static func elements(_ source: String, _ name: String, seed: UInt64 = 0) throws -> [Double] {
    let (compilation, program) = try Compilation.valid(source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(
      compilation.leafValues([LeafSetting](), seed: seed, into: &diagnostics))
    let l = try #require(program.leaves.firstIndex { $0.name == name })
    let layout = Layout(program)
    return (0..<program.symbols[l].size).map { leaves[layout.input(l, element: $0)] }
  }

  static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
  static func variance(_ v: [Double]) -> Double {
    let m = mean(v)
    return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
  }

  // MARK: The generator against its definitions

  /// FNV-1a's published test vectors, and SplitMix64's first outputs from
  /// state 0 (the reference implementation's, Vigna 2015).
  @Test func generatorMatchesItsReferenceValues() {
    #expect(SeededGenerator.hash("") == 0xCBF2_9CE4_8422_2325)
    #expect(SeededGenerator.hash("a") == 0xAF63_DC4C_8601_EC8C)
    #expect(SeededGenerator.hash("foobar") == 0x8594_4171_F739_67E8)
    var generator = SeededGenerator(state: 0)
    #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
    #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(generator.next() == 0x06C4_5D18_8009_454F)
  }

  /// A stream starts at FNV-1a(name) ^ seed · 0x9E3779B97F4A7C15, and a
  /// uniform is a draw's top 53 bits times 2^-53.
  @Test func streamsAreKeyedByNameAndSeed() {
    var a = SeededGenerator(name: "W1", seed: 7)
    var b = SeededGenerator(state: SeededGenerator.hash("W1") ^ (7 &* 0x9E37_79B9_7F4A_7C15))
    let draw = b.next()
    #expect(a.uniform() == Double(draw >> 11) / 9_007_199_254_740_992)
  }

  // MARK: Statistics

  @Test func xavierIsUniformWithinItsLimit() throws {
    let v = try Self.elements("param W[200, 300] = xavier\ny = sum(i, j, W[i, j])", "W")
    let limit = (6.0 / 500).squareRoot()
    #expect(v.allSatisfy { abs($0) < limit })
    #expect(v.max()! > 0.99 * limit && v.min()! < -0.99 * limit)
    // Uniform on ±limit: mean 0, variance limit²/3; n = 60,000, so 5σ bounds.
    let n = Double(v.count)
    #expect(abs(Self.mean(v)) < 5 * limit / (3 * n).squareRoot())
    #expect(abs(Self.variance(v) / (limit * limit / 3) - 1) < 0.03)
  }

  @Test func heIsNormalWithItsDeviation() throws {
    let v = try Self.elements("param W[200, 300] = he\ny = sum(i, j, W[i, j])", "W")
    let std = (2.0 / 300).squareRoot()  // fan_in 300
    #expect(abs(Self.mean(v)) < 5 * std / Double(v.count).squareRoot())
    #expect(abs(Self.variance(v).squareRoot() / std - 1) < 0.02)
    // A normal's tails: about 4.6% beyond 2σ.
    let beyond = Double(v.filter { abs($0) > 2 * std }.count) / Double(v.count)
    #expect(abs(beyond - 0.0455) < 0.005)
  }

  @Test func uniformAndNormalTakeTheirArguments() throws {
    let u = try Self.elements("param w[50000] = uniform(-2, 3)\ny = sum(i, w[i])", "w")
    #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
    #expect(abs(Self.mean(u) - 0.5) < 5 * (25.0 / 12 / 50000).squareRoot())
    let g = try Self.elements("param w[50000] = normal(1, 0.5)\ny = sum(i, w[i])", "w")
    #expect(abs(Self.mean(g) - 1) < 5 * 0.5 / (50000.0).squareRoot())
    #expect(abs(Self.variance(g).squareRoot() / 0.5 - 1) < 0.02)
    let zero = try Self.elements("param w[10] = normal(3, 0)\ny = sum(i, w[i])", "w")
    #expect(zero == [Double](repeating: 3, count: 10))
  }

  /// fan_in and fan_out (SPEC §6.2): first extent out, the rest in; rank ≤ 1 uses the count.
  @Test func fansFollowTheShape() {
    #expect(Initializer.fans([32, 16]) == (16, 32))
    #expect(Initializer.fans([4, 3, 2]) == (6, 4))
    #expect(Initializer.fans([10]) == (10, 10))
    #expect(Initializer.fans([]) == (1, 1))
  }

  // MARK: Determinism

  @Test func theSameSeedGivesTheSameBitsAndAnotherSeedOthers() throws {
    let source = "param W[8, 8] = xavier, V[8] = he\ny = sum(i, V[i] * sum(j, W[i, j]))"
    let first = try Self.elements(source, "W", seed: 42)
    #expect(first.map(\.bitPattern) == (try Self.elements(source, "W", seed: 42)).map(\.bitPattern))
    #expect(first != (try Self.elements(source, "W", seed: 43)))
    #expect(first != (try Self.elements(source, "W", seed: 0)))
  }

  /// One stream per leaf: a new param, before or after, changes no other's values.
  @Test func addingAParamChangesNoOther() throws {
    let alone = try Self.elements("param W[4, 4] = uniform(-1, 1)\ny = sum(i, j, W[i, j])", "W")
    let withOthers = try Self.elements(
      "param A[3] = he, W[4, 4] = uniform(-1, 1), B[5] = xavier\ny = sum(i, j, W[i, j]) + sum(i, A[i]) + sum(i, B[i])",
      "W")
    #expect(alone == withOthers)
    // Two params with the same initialiser draw different numbers.
    let both = "param P[16] = xavier, Q[16] = xavier\ny = sum(i, P[i] + Q[i])"
    #expect(try Self.elements(both, "P") != Self.elements(both, "Q"))
  }

  /// `--seed` on the command line: the values change with it; a bad seed is bad usage.
  @Test func seedOption() throws {
    let dir = Paths.scratch("seed")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("param w[3] = uniform(0, 1)\ny = sum(i, w[i])\n".utf8).write(
      to: dir.appendingPathComponent("s.bp"))
    let zero = try Backpropc.run(["eval", "s.bp"], in: dir)
    let explicitZero = try Backpropc.run(["eval", "s.bp", "--seed", "0"], in: dir)
    let five = try Backpropc.run(["eval", "--seed", "5", "s.bp"], in: dir)
    #expect(zero.status == 0 && five.status == 0)
    #expect(zero.stdout == explicitZero.stdout)
    #expect(zero.stdout != five.stdout)
    let largest = try Backpropc.run(["eval", "s.bp", "--seed", "18446744073709551615"], in: dir)
    #expect(largest.status == 0)
    for bad in ["-1", "18446744073709551616", "1.5", "x", ""] {
      let result = try Backpropc.run(["eval", "s.bp", "--seed", bad], in: dir)
      #expect(result.status == 2, "--seed \(bad): \(result)")
    }
    // The generated code bakes the seed in and says so.
    let swift = try Backpropc.run(["s.bp", "--emit", "swift", "--seed", "5"], in: dir)
    #expect(swift.stdout.contains("drawn with --seed 5"))
  }

  // MARK: The same numbers in the generated C

  /// `fill_defaults` in C draws what `eval` draws: bit for bit for uniform
  /// and xavier, and for he and normal with the same C math library.
  @Test func generatedFillDefaultsMatchesEval() throws {
    guard let cc = Run.tool("cc", "gcc", "clang") else {
      print("skipped: no C compiler on PATH")
      return
    }
    let source = """
      param A[3, 4] = xavier, B[5] = he, C[2, 2] = uniform(-3, 0.5), D[7] = normal(2, 0.25)
      input x[2] = [1, 2], s = 4
      param e[3] = 0.5
      y = sum(i, j, A[i, j]) + sum(i, B[i]) + sum(i, j, C[i, j]) + sum(i, D[i]) + sum(i, x[i]) * s + sum(i, e[i])
      """
    let (compilation, program) = try Compilation.valid(source, name: "init.bp")
    var diagnostics = DiagnosticList()
    let expected = try #require(
      compilation.leafValues([LeafSetting](), seed: 9, into: &diagnostics))
    let request = EmitRequest(optimizing: program, file: compilation.file, prefix: "init", seed: 9)
    let emitted = CEmitter.emit(request, headerName: "init.h")
    let dir = Paths.scratch("fill")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(emitted.source.utf8).write(to: dir.appendingPathComponent("init.c"))
    try Data(emitted.header.utf8).write(to: dir.appendingPathComponent("init.h"))
    let main = """
      #include <stdio.h>
      #include "init.h"
      int main(void) {
          double in[INIT_NUM_INPUTS];
          init_fill_defaults(in);
          for (int i = 0; i < INIT_NUM_INPUTS; i++) printf("%a\\n", in[i]);
          return 0;
      }
      """
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.c"))
    let build = try Run.process(
      cc,
      [
        "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror", "-o", "fill", "main.c",
        "init.c", "-lm",
      ], directory: dir)
    try #require(build.status == 0, "cc failed:\n\(build.stderr)")
    let run = try Run.process(dir.appendingPathComponent("fill").path, [], directory: dir)
    let printed = run.stdout.split(separator: "\n").map { Double(String($0)) }
    #expect(printed.count == expected.count)
    for (i, (c, e)) in zip(printed, expected).enumerated() {
      #expect(
        c?.bitPattern == e.bitPattern, "input \(i): C fills \(c.map { "\($0)" } ?? "?"), eval \(e)")
    }
  }
}
