import Foundation
import Testing

@testable import BackpropCore

/// Every row of the builtin table against finite differences, and the
/// conventions of SPEC §1 (kinks, `^`, stability) by hand derivation.
@Suite struct DerivativeTests {
  /// Points inside each function's domain and away from its kinks.
  static func points(_ f: Builtin) -> [(Double, Double)] {
    switch f {
    case .log, .sqrt: [(0.4, 0), (2.5, 0)]
    case .log1p: [(-0.5, 0), (1.5, 0)]
    case .asin, .acos: [(-0.6, 0), (0.3, 0)]
    case .tan: [(-1.1, 0), (0.7, 0)]
    case .min, .max: [(0.3, 1.2), (-2, -3)]
    default: [(-1.3, 0), (0.4, 0), (2.2, 0)]
    }
  }

  static let callable = Builtin.allCases.filter { $0.spec.callable }

  @Test(arguments: callable)
  func builtinMatchesFiniteDifferences(_ f: Builtin) throws {
    let source = f.arity == 1 ? "y = \(f.rawValue)(x)" : "y = \(f.rawValue)(x, z)"
    let (compilation, program) = try Compilation.valid(source)
    for (a, b) in Self.points(f) {
      let settings = f.arity == 1 ? ["x": a] : ["x": a, "z": b]
      let evaluation = try compilation.evaluation(settings)
      let leaves = program.leaves.map { settings[$0.name] ?? 0 }
      let numeric = finiteDifferences(program, at: leaves)
      for leaf in 0..<program.leafCount {
        let analytic = evaluation.gradient[0][leaf]
        #expect(
          close(analytic, numeric[0][leaf], 1e-6),
          "\(f.rawValue) at \(settings): d/d\(program.symbols[leaf].name) = \(analytic), finite differences \(numeric[0][leaf])"
        )
      }
      // The value row agrees with the math library the generated code calls.
      #expect(evaluation.values[program.outputs[0]].isFinite)
    }
  }

  /// Adding a builtin must add it to the sample that exercises all of them,
  /// so the C and Swift spellings get compiled and run.
  @Test(arguments: callable)
  func everyBuiltinAppearsInTheBuiltinsSample(_ f: Builtin) throws {
    let text = String(decoding: Paths.sample("builtins").bytes, as: UTF8.self)
    #expect(text.contains("\(f.rawValue)("), "samples/builtins.bp does not call \(f.rawValue)")
  }

  @Test func callableNamesAreTheTableAndPow() {
    #expect(Callee.callableNames.contains("pow"))
    #expect(!Callee.callableNames.contains("gate"))
    #expect(Callee(name: "sigmoid") == .builtin(.sigmoid))
    #expect(Callee(name: "maxShare") == nil)
    #expect(Callee(name: "pow") == .power)
  }

  /// relu'(0) = 0, abs'(0) = 0, and max/min ties split the gradient evenly.
  @Test func kinkConventions() throws {
    let (compilation, _) = try Compilation.valid(
      "r = relu(a); s = abs(a); m = max(b, c); n = min(b, c); output r, s, m, n")
    let e = try compilation.evaluation(["a": 0, "b": 2, "c": 2])
    #expect(e.derivative("r", "a") == 0)
    #expect(e.derivative("s", "a") == 0)
    #expect(e.derivative("m", "b") == 0.5)
    #expect(e.derivative("m", "c") == 0.5)
    #expect(e.derivative("n", "b") == 0.5)
    #expect(e.derivative("n", "c") == 0.5)
    let away = try compilation.evaluation(["a": -3, "b": 5, "c": 2])
    #expect(away.derivative("r", "a") == 0)
    #expect(away.derivative("s", "a") == -1)
    #expect(away.derivative("m", "b") == 1)
    #expect(away.derivative("n", "c") == 1)
  }

  /// SPEC §1 on `a ^ b`.
  @Test func powerRule() throws {
    // A constant exponent: only ∂/∂a, so a negative base stays finite.
    let (constant, _) = try Compilation.valid("y = a ^ 2")
    let e1 = try constant.evaluation(["a": -2])
    #expect(e1.value("y") == 4)
    #expect(e1.derivative("y", "a") == -4)
    // An exponent that depends on a leaf: ∂/∂b = a^b·log(a), 0 at a = 0, NaN below.
    let (leafExponent, _) = try Compilation.valid("y = pow(a, b)")
    let e2 = try leafExponent.evaluation(["a": 3, "b": 2])
    #expect(close(try #require(e2.derivative("y", "b")), 9 * log(3.0), 1e-15))
    #expect(e2.derivative("y", "a") == 6)
    let e3 = try leafExponent.evaluation(["a": 0, "b": 2])
    #expect(e3.derivative("y", "b") == 0)
    #expect(e3.derivative("y", "a") == 0)
    let e4 = try leafExponent.evaluation(["a": -2, "b": 2])
    #expect(try #require(e4.derivative("y", "b")).isNaN)
    #expect(e4.derivative("y", "a") == -4)
  }

  /// SPEC §1: no overflow to NaN at ±1000.
  @Test func sigmoidAndSoftplusAreStable() throws {
    let (compilation, _) = try Compilation.valid("s = sigmoid(x); p = softplus(x); output s, p")
    let high = try compilation.evaluation(["x": 1000])
    #expect(high.value("s") == 1)
    #expect(high.value("p") == 1000)
    #expect(high.derivative("s", "x") == 0)
    #expect(high.derivative("p", "x") == 1)
    let low = try compilation.evaluation(["x": -1000])
    #expect(low.value("s") == 0)
    #expect(low.value("p") == 0)
    #expect(low.derivative("s", "x") == 0)
    #expect(low.derivative("p", "x") == 0)
  }

  /// Fan-out: a value used twice collects both contributions (micrograd's `+=`).
  @Test func fanOutAccumulates() throws {
    let (compilation, _) = try Compilation.valid("a = x * x; b = a + a * x")
    let e = try compilation.evaluation(["x": 3])
    // b = x² + x³, so db/dx = 2x + 3x² = 33; db/da = 1 + x = 4.
    #expect(e.derivative("b", "x") == 33)
    #expect(e.derivative("b", "a") == 4)
  }

  /// Each name is its own node: equal right-hand sides and plain copies keep
  /// their own partial derivatives.
  @Test func namedValuesKeepTheirOwnPartials() throws {
    let (compilation, _) = try Compilation.valid(
      "A = x * y; B = x * y; C = A + 2 * B; D = A; E = A + D; output C, E")
    let e = try compilation.evaluation(["x": 2, "y": 5])
    #expect(e.derivative("C", "A") == 1)
    #expect(e.derivative("C", "B") == 2)
    #expect(e.derivative("C", "x") == 15)
    #expect(e.derivative("E", "D") == 1)
    #expect(e.derivative("E", "A") == 2)
    #expect(e.derivative("C", "E") == 0)
    #expect(e.derivative("C", "C") == 1)
  }
}

/// `Builtin.ordinal` reads the case index from the enum's storage; it must
/// be each case's position in `allCases`.
@Test func builtinOrdinalsAreTheCasePositions() {
  #expect(Builtin.allCases.map(\.ordinal) == Array(Builtin.allCases.indices))
  #expect(MemoryLayout<Builtin>.size == 1)
}
