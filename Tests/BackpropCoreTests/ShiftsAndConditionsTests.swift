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
