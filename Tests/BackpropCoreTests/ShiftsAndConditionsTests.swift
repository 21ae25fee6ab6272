import Foundation
import Testing

@testable import BackpropCore

/// SPEC §7 by hand: each expected number is derived in the comment above it.
@Suite struct ShiftsAndConditionsTests {
  /// Evaluates `source` at its defaults; fails on errors, returns the evaluation and warnings.
  static func run(_ source: String) throws -> (Evaluation, [Diagnostic]) {
    let (compilation, _) = try Compilation.valid(source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    let evaluation = try #require(compilation.evaluate(leaves, into: &diagnostics))
    return (evaluation, diagnostics.items)
  }

  /// SPEC §7.6's own example: where(x > 0, sqrt(x), 0) at x = −1 has value 0
  /// and derivative 0, and the NaN of sqrt(−1) is neither seen nor warned about.
  @Test func theBranchNotTakenLeaksNoNaN() throws {
    let (at, warnings) = try Self.run("input x = -1\ny = where(x > 0, sqrt(x), 0)\n")
    #expect(at.value("y") == 0)
    #expect(at.derivative("y", "x") == 0)
    #expect(warnings.isEmpty, "\(warnings.map(\.message.text))")
    // Taken: d sqrt(x)/dx = 1/(2·sqrt(4)) = 0.25.
    let (taken, _) = try Self.run("input x = 4\ny = where(x > 0, sqrt(x), 0)\n")
    #expect(taken.value("y") == 2)
    #expect(taken.derivative("y", "x") == 0.25)
  }

  /// A branch value also used outside the branch gets its adjoint from both
  /// uses: y = where(x > 0, log(x), x²) + log(x)... at x = −2 the log is NaN
  /// outside the where too, so use r = x² instead: y = where(x > 0, r, −r) + r
  /// with r = x², x = −2: y = −4 + 4 = 0, dy/dx = −2x + 2x = 0; at x = 3:
  /// y = 18, dy/dx = 4x = 12.
  @Test func aValueUsedInsideAndOutsideGetsBoth() throws {
    let source = "input x = -2\nr = x^2\ny = where(x > 0, r, -r) + r\n"
    let (below, _) = try Self.run(source)
    #expect(below.value("y") == 0)
    #expect(below.derivative("y", "x") == 0)
    #expect(below.derivative("y", "r") == 0)
    let (above, _) = try Self.run(source.replacingOccurrences(of: "-2", with: "3"))
    #expect(above.value("y") == 18)
    #expect(above.derivative("y", "x") == 12)
    #expect(above.derivative("y", "r") == 2)
  }

  /// Each comparison, and NaN: only `!=` holds with a NaN operand (SPEC §7.6).
  @Test func comparisonsFollowIEEE() throws {
    let cases: [(String, Double, Double)] = [
      ("<", 1, 0), ("<=", 1, 1), (">", 0, 0), (">=", 0, 1), ("==", 0, 1), ("!=", 1, 0),
    ]
    for (op, belowValue, equalValue) in cases {
      // where(a OP b, 1, 0) at a = 1, b = 2 (a below b) and at a = b = 2.
      let below = try Self.run("a = 1\nb = 2\ny = where(a \(op) b, 1, 0)\n").0
      #expect(below.value("y") == belowValue, "1 \(op) 2")
      let equal = try Self.run("a = 2\nb = 2\ny = where(a \(op) b, 1, 0)\n").0
      #expect(equal.value("y") == equalValue, "2 \(op) 2")
      let nan = try Self.run("a = -1\nb = sqrt(a)\ny = where(b \(op) 1, 1, 0)\n").0
      #expect(nan.value("y") == (op == "!=" ? 1 : 0), "NaN \(op) 1")
    }
  }

  /// Shifts and windows (SPEC §7.2): d[t] = x[t+1] − x[t] has 3 elements
  /// for x[4]; E = Σ_t d[t]² with x = [1, 2, 4, 7]: d = [1, 2, 3], E = 14;
  /// ∂E/∂x[j] = 2d[j−1] − 2d[j] (terms outside the range dropped):
  /// [−2, 2−4, 4−6, 6] = [−2, −2, −2, 6].
  @Test func aShiftedReadAccumulatesItsAdjoint() throws {
    let (at, _) = try Self.run(
      "input x[4] = [1, 2, 4, 7]\nd[t] = x[t + 1] - x[t]\nE = sum(t, d[t]^2)\n")
    #expect(at.value("E") == 14)
    let x = try #require(at.program.symbols.firstIndex { $0.name == "x" })
    #expect(at.gradientElements[0][x] == [-2, -2, -2, 6])
  }

  /// A reduction starting above 0: Σ_{t=1}^{3} x[t]·x[t−1] with x = [1, 2, 3, 4]
  /// is 2 + 6 + 12 = 20; ∂/∂x = [x1, x0 + x2, x1 + x3, x2] = [2, 4, 6, 3].
  @Test func aReductionFromItsLowerBound() throws {
    let (at, _) = try Self.run("input x[4] = [1, 2, 3, 4]\nE = sum(t, x[t] * x[t - 1])\n")
    #expect(at.value("E") == 20)
    let x = try #require(at.program.symbols.firstIndex { $0.name == "x" })
    #expect(at.gradientElements[0][x] == [2, 4, 6, 3])
  }

  /// An index as a value: Σ_i i·x[i] with x = [5, 6, 7] is 0 + 6 + 14 = 20,
  /// and ∂/∂x[i] = i.
  @Test func anIndexIsItsWholeNumber() throws {
    let (at, _) = try Self.run("input x[3] = [5, 6, 7]\nE = sum(i, i * x[i])\n")
    #expect(at.value("E") == 20)
    let x = try #require(at.program.symbols.firstIndex { $0.name == "x" })
    #expect(at.gradientElements[0][x] == [0, 1, 2])
  }
}

extension ShiftsAndConditionsTests {
  /// max and min over indices (SPEC §7.5), x = [1, 4, −2, 4, 0.5]:
  /// max_i x[i] = 4, tied at 1 and 3, so each gets half of the gradient;
  /// min_i x[i]² = 0.25 at i = 4, ∂/∂x[4] = 2·0.5 = 1; W's row maxima 5 and
  /// 0.5, and max over both indices of 2W = 10 at W[0, 1] (∂ = 2).
  @Test func maxAndMinOverIndicesSplitTiesEvenly() throws {
    let (at, _) = try Self.run(
      """
      input x[5] = [1, 4, -2, 4, 0.5]
      input W[2, 3] = [[1, 5, 2], [-1, -3, 0.5]]
      a = max(i, x[i])
      b = min(i, x[i] * x[i])
      c[j] = max(k, W[j, k])
      d = max(j, k, W[j, k] * 2)
      output a, b, c, d
      """)
    #expect(at.value("a") == 4)
    #expect(at.value("b") == 0.25)
    #expect(at.value("d") == 10)
    let (x, W) = try (
      #require(at.program.symbols.firstIndex { $0.name == "x" }),
      #require(at.program.symbols.firstIndex { $0.name == "W" })
    )
    #expect(at.gradientElements[0][x] == [0, 0.5, 0, 0.5, 0])
    #expect(at.gradientElements[1][x] == [0, 0, 0, 0, 1])
    // ∂c/∂W: c[0] picks W[0, 1], c[1] picks W[1, 2] (rows of the Jacobian).
    #expect(at.gradientElements[2][W] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    #expect(at.gradientElements[3][W] == [0, 2, 0, 0, 0, 0])
  }

  /// fmax's rule: a NaN term is passed over unless every term is NaN.
  @Test func aNaNTermIsIgnoredUnlessAllAre() throws {
    let (some, _) = try Self.run(
      "input x[3] = [-1, 4, 2]\nr[i] = sqrt(x[i])\nm = max(i, r[i])\noutput m\n")
    #expect(some.value("m") == 2)
    let (all, _) = try Self.run(
      "input x[2] = [-1, -4]\nr[i] = sqrt(x[i])\nm = max(i, r[i])\noutput m\n")
    #expect(all.value("m")?.isNaN == true)
  }

  /// `max(a, b)` with names that are no subscripts stays the binary builtin.
  @Test func maxOfTwoValuesIsStillTheBuiltin() throws {
    let (at, _) = try Self.run("input i = 3, x[2] = [1, 7]\nm = max(i, x[1])\n")
    #expect(at.value("m") == 7)
    #expect(at.derivative("m", "i") == 0)
  }
}

extension ShiftsAndConditionsTests {
  /// Found by the differential suite (seed 1000113, 200 programs): a where
  /// inside a where, in a program of scalars with two outputs. A
  /// contribution to a constant, used by nothing, counted as a use outside
  /// every branch, and the second output's sweep passed the NaN of
  /// sqrt(m) out of the branch not taken. By hand: m = min(tan(0.7·tanh(c)),
  /// b) = tan(0.7·tanh(−0.801)) ≈ −0.503 < 0, so W = 1 − m and m does not
  /// depend on b: ∂v1/∂b = ∂v2/∂b = 0; and v1 = W − 1.5c as 1.5c < W.
  @Test func aSecondOutputLeaksNoNaNFromNestedBranches() throws {
    let m = "min(tan(0.7 * tanh(c)), b)"
    let w = "where(\(m) > 0, sqrt(\(m)), 1 - \(m))"
    let (at, warnings) = try Self.run(
      """
      input a = 1.3, b = 0.28, c = -0.801
      v1 = where(c * 1.5 >= \(w), c * 1.5 * \(w), \(w) - c * 1.5)
      v2 = v1 * a
      output v1, v2
      """)
    let expectedM = tan(0.7 * tanh(-0.801))
    #expect(close(try #require(at.value("v1")), 1 - expectedM + 1.5 * 0.801, 1e-15))
    #expect(at.derivative("v1", "b") == 0)
    #expect(at.derivative("v2", "b") == 0)
    #expect(at.derivative("v2", "a") == at.value("v1"))
    #expect(warnings.isEmpty, "\(warnings.map(\.message.text))")
  }
}
