import Foundation
import Testing

@testable import BackpropCore

/// Second and directional derivatives (SPEC §8): the forward-mode pass
/// (``Tangent``) against the reverse pass, Hessians against hand derivations
/// and central differences of the gradient, and the conventions of §8.1.
@Suite struct SecondDerivativeTests {
  /// The Hessian of one scalar, entry by element names.
  struct Entries {
    var hessian: Hessian

    subscript(_ x: String, _ y: String) -> Double {
      let layout = hessian.layout
      func index(_ name: String) -> Int {
        for leaf in layout.leaves {
          for e in 0..<leaf.size where leaf.elementName(e) == name { return leaf.offset + e }
        }
        Issue.record("no leaf element \(name)")
        return 0
      }
      return hessian.entries[index(x) * layout.numInputs + index(y)]
    }
  }

  static func hessian(
    _ source: String, _ settings: [String: Double] = [:], output: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Entries {
    let (compilation, program) = try Compilation.valid(source, sourceLocation: sourceLocation)
    var diagnostics = DiagnosticList()
    let leaves = try #require(
      compilation.leafValues(settings, into: &diagnostics), sourceLocation: sourceLocation)
    let symbol = try #require(
      output.map { compilation.symbol(named: $0) } ?? program.outputs.first,
      sourceLocation: sourceLocation)
    let hessian = try #require(
      compilation.hessian(leaves, output: symbol, element: [], into: &diagnostics),
      sourceLocation: sourceLocation)
    return Entries(hessian: hessian)
  }

  /// The apple-tax example: C = (x·y·z)², so ∂²C/∂x² = 2y²z², ∂²C/∂x∂y =
  /// 4xyz², and so on, by hand at x = 100, y = 2, z = 1.1.
  @Test func appleTaxHessianByHand() throws {
    let h = try Self.hessian(String(decoding: Paths.sample("apple").bytes, as: UTF8.self))
    let (x, y, z) = (100.0, 2.0, 1.1)
    let expected: [String: [String: Double]] = [
      "x": ["x": 2 * y * y * z * z, "y": 4 * x * y * z * z, "z": 4 * x * y * y * z],
      "y": ["x": 4 * x * y * z * z, "y": 2 * x * x * z * z, "z": 4 * x * x * y * z],
      "z": ["x": 4 * x * y * y * z, "y": 4 * x * x * y * z, "z": 2 * x * x * y * y],
    ]
    for (a, row) in expected {
      for (b, value) in row {
        #expect(close(h[a, b], value, 1e-14), "∂²C/∂\(a)∂\(b) = \(h[a, b]), by hand \(value)")
      }
    }
  }

  /// IPOPT's tutorial problem hs071: the Hessian of its Lagrangian
  /// σ·f + λ₁·g₁ + λ₂·g₂ with respect to x, as IPOPT's own example writes
  /// `eval_h` by hand, at a point off the solution.
  @Test func hs071LagrangianByHand() throws {
    let source = """
      x1 = 1.1; x2 = 4.7; x3 = 3.8; x4 = 1.4
      sigma = 0.7; l1 = 0.3; l2 = -0.45
      f = x1 * x4 * (x1 + x2 + x3) + x3
      g1 = x1 * x2 * x3 * x4
      g2 = x1^2 + x2^2 + x3^2 + x4^2
      L = sigma * f + l1 * g1 + l2 * g2
      output L
      """
    let h = try Self.hessian(source)
    let (x1, x2, x3, x4, s, l1, l2) = (1.1, 4.7, 3.8, 1.4, 0.7, 0.3, -0.45)
    let lower: [(String, String, Double)] = [
      ("x1", "x1", s * 2 * x4 + l2 * 2),
      ("x2", "x1", s * x4 + l1 * x3 * x4),
      ("x2", "x2", l2 * 2),
      ("x3", "x1", s * x4 + l1 * x2 * x4),
      ("x3", "x2", l1 * x1 * x4),
      ("x3", "x3", l2 * 2),
      ("x4", "x1", s * (2 * x1 + x2 + x3) + l1 * x2 * x3),
      ("x4", "x2", s * x1 + l1 * x1 * x3),
      ("x4", "x3", s * x1 + l1 * x1 * x2),
      ("x4", "x4", l2 * 2),
    ]
    for (a, b, value) in lower {
      #expect(close(h[a, b], value, 1e-14), "∂²L/∂\(a)∂\(b) = \(h[a, b]), by hand \(value)")
      #expect(close(h[b, a], value, 1e-14), "∂²L/∂\(b)∂\(a) = \(h[b, a]), by hand \(value)")
    }
    // ∂²L/∂x∂λ₁ = ∂g₁/∂x: the multipliers are leaves too.
    #expect(close(h["x1", "l1"], x2 * x3 * x4, 1e-14))
    #expect(h["sigma", "l1"] == 0)
  }

  /// A logsumexp's Hessian is softmax's Jacobian, diag(p) − p·pᵀ, written
  /// here from p alone.
  @Test func logsumexpHessianIsTheSoftmaxJacobian() throws {
    let x = [0.3, -1.2, 2.5, 0.9]
    let h = try Self.hessian(
      "input x[4] = [0.3, -1.2, 2.5, 0.9]\nL = logsumexp(i, x[i])\noutput L")
    let e = x.map { exp($0) }
    let p = e.map { $0 / e.reduce(0, +) }
    for i in 0..<4 {
      for j in 0..<4 {
        let expected = (i == j ? p[i] : 0) - p[i] * p[j]
        #expect(close(h["x[\(i)]", "x[\(j)]"], expected, 1e-15), "[\(i), \(j)]")
      }
    }
  }

  /// SPEC §8.1: relu, abs, min, max and a `where`'s switch have second
  /// derivative 0, at their kinks and away from them.
  @Test func piecewiseLinearFunctionsHaveNoCurvature() throws {
    let source = "K = relu(a) * 3 + abs(a) + max(a, b) + min(a, b) + where(a > b, a, b)\noutput K"
    for (a, b) in [(0.0, 0.0), (-1.5, 2.0), (2.5, 1.0)] {
      let h = try Self.hessian(source, ["a": a, "b": b])
      #expect(h.hessian.entries.allSatisfy { $0 == 0 }, "at a = \(a), b = \(b)")
    }
  }

  /// `where`'s untaken branch leaks no NaN into the Hessian (SPEC §7.6, §8):
  /// at x = −1, sqrt(x)³ is NaN and so are its derivatives.
  @Test func untakenBranchLeaksNoNaN() throws {
    let h = try Self.hessian("x = -1\ny = where(x > 0, sqrt(x)^3, x^2 * x)\noutput y")
    #expect(h["x", "x"] == -6)  // d²(x³)/dx² = 6x
    let taken = try Self.hessian("x = 4\ny = where(x > 0, sqrt(x)^3, x^2 * x)\noutput y")
    #expect(close(taken["x", "x"], 0.75 / 2, 1e-15))  // d²(x^1.5)/dx² = 0.75/√x
  }

  /// A maximum over an index with a tie: L = m², m = max(x), the gradient
  /// split evenly, so ∂²L/∂xᵢ∂xⱼ = 2·½·½ for the two tied terms, 0 for the rest.
  @Test func aTiedMaximumSplitsItsCurvature() throws {
    let h = try Self.hessian("input x[3] = [1, 3, 3]\nm = max(i, x[i])\nL = m^2\noutput L")
    for (i, j, expected) in [(1, 1, 0.5), (1, 2, 0.5), (2, 1, 0.5), (0, 0, 0.0), (0, 1, 0.0)] {
      #expect(h["x[\(i)]", "x[\(j)]"] == expected, "[\(i), \(j)]")
    }
    let single = try Self.hessian("input x[3] = [1, 4, 3]\nm = max(i, x[i])\nL = m^2\noutput L")
    #expect(single["x[1]", "x[1]"] == 2)
    #expect(single["x[2]", "x[2]"] == 0)
  }

  /// `a ^ b` with both active: ∂²/∂b² = a^b·log²a and ∂²/∂a∂b = a^(b−1)·(1 + b·log a),
  /// the rules of the `powBase` and `powLog` rows.
  @Test func powerWithAnActiveExponent() throws {
    let (a, b) = (1.7, 2.3)
    let h = try Self.hessian("a = 1.7; b = 2.3\ny = a^b\noutput y")
    #expect(close(h["b", "b"], pow(a, b) * log(a) * log(a), 1e-14))
    #expect(close(h["a", "b"], pow(a, b - 1) * (1 + b * log(a)), 1e-14))
    #expect(close(h["b", "a"], pow(a, b - 1) * (1 + b * log(a)), 1e-14))
    #expect(close(h["a", "a"], b * (b - 1) * pow(a, b - 2), 1e-14))
  }

  /// Every callable builtin: the Hessian against central differences of the
  /// gradient, and the tangent (one forward sweep along v) against the
  /// reverse gradient's ∇y·v, two independent paths to J·v.
  @Test(arguments: DerivativeTests.callable)
  func builtinSecondDerivativesAndTangents(_ f: Builtin) throws {
    let source = f.arity == 1 ? "y = \(f.rawValue)(x)" : "y = \(f.rawValue)(x, z)"
    let (compilation, program) = try Compilation.valid(source)
    let v = [0.7, -1.3]
    for (a, b) in DerivativeTests.points(f) {
      let settings = f.arity == 1 ? ["x": a] : ["x": a, "z": b]
      let leaves = program.leaves.map { settings[$0.name] ?? 0 }
      let check = HessianCheck(
        forward: try #require(compilation.forward), gradient: program, input: leaves,
        tolerance: 1e-6)
      let failures = check.failures.count
      #expect(failures == 0, "\(f.rawValue) at \(settings): \(check.text())")

      let evaluation = try compilation.evaluation(settings)
      let expected = program.leaves.indices.reduce(0.0) { $0 + evaluation.gradient[0][$1] * v[$1] }
      let forward = try #require(compilation.forward)
      let jv = Self.jvp(forward, leaves, v)[0]
      #expect(close(jv, expected, 1e-14), "\(f.rawValue) at \(settings): \(jv), ∇y·v = \(expected)")
    }
  }

  /// J·v of a forward program through ``Tangent``, in the interpreter.
  static func jvp(_ forward: Program, _ leaves: [Double], _ v: [Double]) -> [Double] {
    let tangent = Optimizer.optimize(
      Tangent.differentiate(forward), keeping: .jacobianVectorProducts)
    let machine = Interpreter.Machine(tangent)
    var workspace = machine.makeWorkspace(input: leaves)
    for leaf in machine.layout.leaves {
      guard let offset = machine.offset(of: .tangent(.variable(leaf.symbol))) else { continue }
      workspace.memory[offset] = v[leaf.offset]
    }
    machine.run(&workspace)
    return machine.layout.outputs.indices.map { o in
      machine.offset(of: .tangent(.output(o))).map { workspace.memory[$0] } ?? 0
    }
  }

  /// Loops: the samples with arrays, every sampled entry against central
  /// differences of the gradient (what `check --hessian` prints).
  @Test(arguments: ["mlp", "softmax", "conv", "hinge", "mazur_array", "least_squares"])
  func arraySamplesAgreeWithDifferencesOfTheGradient(_ name: String) throws {
    let source = String(decoding: Paths.sample(name).bytes, as: UTF8.self)
    let (compilation, program) = try Compilation.valid(source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let output = try #require(
      program.outputs.first { program.symbols[$0].shape.isEmpty })
    let check = try #require(
      compilation.checkHessian(
        leaves, output: output, element: [], tolerance: 1e-6, into: &diagnostics))
    let failures = check.failures.count
    #expect(
      failures == 0, "\(name): \(failures) entries differ, the first \(check.failures.prefix(3))")
    #expect(check.rows.count >= min(check.entries, 1000))
  }

  /// `--output` picks an element of an array output; an oversized Hessian
  /// is an error at the output, not a run of hours.
  @Test func anElementOutputAndTheLimit() throws {
    let (compilation, _) = try Compilation.valid(
      "input x[2] = [2, 3]\no[i] = x[i]^3\noutput o")
    var diagnostics = DiagnosticList()
    let symbol = try #require(compilation.symbol(named: "o"))
    let h = try #require(
      compilation.hessian([2, 3], output: symbol, element: [1], into: &diagnostics))
    #expect(h.name == "o[1]")
    #expect(h.entries == [0, 0, 0, 18])  // d²(x₁³)/dx₁² = 6·3

    let (large, _) = try Compilation.valid("input x[10000]\nL = sum(i, x[i]^2)")
    let l = try #require(large.symbol(named: "L"))
    var errors = DiagnosticList()
    #expect(
      large.hessian(
        [Double](repeating: 1, count: 10000), output: l, element: [], into: &errors) == nil)
    #expect(errors.sorted().first?.message.id == "hessianTooLarge")
  }

  /// `eval --hessian --json` (SPEC §8.1): `"hessian": {"O": {"x": {"y": …}}}`,
  /// nested lists of shape(x) ++ shape(y), valid JSON; and the text lines.
  @Test func theHessianAsJSONAndText() throws {
    let source = "input x[2] = [2, 3]\nparam a = 0.5\nL = a * sum(i, x[i]^3)\noutput L"
    let (compilation, program) = try Compilation.valid(source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let evaluation = try #require(compilation.evaluate(leaves, into: &diagnostics))
    let hessian = try #require(
      compilation.hessian(leaves, output: program.outputs[0], element: [], into: &diagnostics))
    let json = evaluation.json(hessian: hessian)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let h = try #require((object["hessian"] as? [String: Any])?["L"] as? [String: Any])
    // ∂²L/∂x_i∂x_j = 6·a·x_i [i = j]; ∂²L/∂x_i∂a = 3·x_i²; ∂²L/∂a² = 0.
    #expect((h["x"] as? [String: Any])?["x"] as? [[Double]] == [[6, 0], [0, 9]])
    #expect((h["x"] as? [String: Any])?["a"] as? [Double] == [12, 27])
    #expect((h["a"] as? [String: Any])?["x"] as? [Double] == [12, 27])
    #expect((h["a"] as? [String: Any])?["a"] as? Double == 0)
    let text = hessian.text()
    #expect(text.contains("∂²L/∂x² = [[6, 0], [0, 9]]\n"))
    #expect(text.contains("∂²L/∂x∂a = [12, 27]\n"))
    #expect(text.contains("∂²L/∂a² = 0\n"))
  }

  /// Every row of the builtin table, internal ones too (`powLog`,
  /// `quotientOrZero`, `lseScale`, which only second derivatives
  /// differentiate): each partial its rules give, at g = 1, against central
  /// differences of the row's own value. The one rule that differs on
  /// purpose is `lseResult`'s in m, 0 but at ±∞: a logsumexp's terms drop
  /// their m too, and the two cancel (see `Tangent`).
  @Test(arguments: Builtin.allCases)
  func everyRowsRulesAreItsPartials(_ f: Builtin) {
    let spec = f.spec
    for (x, y) in [(0.7, 1.3), (1.9, 0.4), (-0.6, 2.2)] {
      let r = spec.value(x, y)
      guard r.isFinite else { continue }
      for (side, rule) in [(0, spec.adjoint.x), (1, spec.adjoint.y)] {
        guard let rule, !(f == .lseResult && side == 0) else { continue }
        let h = 1e-6
        let (plus, minus) =
          side == 0
          ? (spec.value(x + h, y), spec.value(x - h, y))
          : (spec.value(x, y + h), spec.value(x, y - h))
        guard plus.isFinite, minus.isFinite else { continue }
        let numeric = (plus - minus) / (2 * h)
        let analytic = Self.evaluate(rule, g: 1, x: x, y: y, r: r)
        #expect(
          close(analytic, numeric, 1e-6),
          "\(f.rawValue) at (\(x), \(y)): ∂/∂\(side == 0 ? "x" : "y") = \(analytic), differences \(numeric)"
        )
      }
    }
  }

  /// A rule's value: a second evaluator of the table's formulas, beside the
  /// reverse pass's, which turns them into IR.
  static func evaluate(_ rule: Rule, g: Double, x: Double, y: Double, r: Double) -> Double {
    func e(_ rule: Rule) -> Double { evaluate(rule, g: g, x: x, y: y, r: r) }
    switch rule {
    case .upstream: return g
    case .x: return x
    case .y: return y
    case .result: return r
    case .constant(let c): return c
    case .negate(let a): return -e(a)
    case .add(let a, let b): return e(a) + e(b)
    case .subtract(let a, let b): return e(a) - e(b)
    case .multiply(let a, let b): return e(a) * e(b)
    case .divide(let a, let b): return e(a) / e(b)
    case .power(let a, let b): return pow(e(a), e(b))
    case .call(let f, let a, let b): return f.spec.value(e(a), b.map(e) ?? 0)
    }
  }

  /// `x ^ n` with both active at x = 0: the Hessian is finite and symmetric,
  /// [[n(n−1)·x^(n−2), 0], [0, 0]] with powLog's convention (0 at a = 0), where
  /// the unguarded y/x made a row of NaN.
  @Test func aPowerOfZeroWithAnActiveExponentStaysFinite() throws {
    let h = try Self.hessian("x = 0; n = 2\ny = x^n\noutput y")
    #expect(h["x", "x"] == 2)
    #expect(h["x", "n"] == 0)
    #expect(h["n", "x"] == 0)
    #expect(h["n", "n"] == 0)
  }
}
