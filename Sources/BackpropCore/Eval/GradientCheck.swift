import Foundation

/// `backpropc check`: the reverse-mode gradient against central finite
/// differences of the forward program, partial by partial.
public struct GradientCheck: Sendable {
  public struct Row: Sendable {
    public var output: String
    public var leaf: String
    public var analytic: Double
    public var numeric: Double
    /// |analytic − numeric| / max(1, |analytic|, |numeric|): relative for
    /// large derivatives, absolute below 1, so a zero derivative with 1e-11 of
    /// difference noise is not a failure.
    public var error: Double
  }

  public var rows: [Row]
  public var tolerance: Double

  public var failures: [Row] { rows.filter { !($0.error <= tolerance) } }
  public var maxError: Double { rows.map(\.error).max() ?? 0 }

  /// The default tolerance: central differences with a step of ∛ε·max(1, |x|)
  /// are accurate to about 1e-10 of the output's scale.
  public static let defaultTolerance = 1e-6

  /// Checks every ∂output/∂leaf of `program` (differentiated, unoptimised) at
  /// the given leaf values.
  public init(_ program: Program, leaves: [Double], tolerance: Double = GradientCheck.defaultTolerance) {
    self.tolerance = tolerance
    let evaluation = Evaluation(program: Optimizer.optimize(program, keeping: .outputsAndLeafGradients), leaves: leaves)
    let numeric = Self.finiteDifferences(program, at: leaves)
    rows = []
    for (o, output) in program.outputs.enumerated() {
      for leaf in 0..<program.leafCount {
        let a = evaluation.gradient[o][leaf]
        let n = numeric[o][leaf]
        let error = a == n ? 0 : abs(a - n) / max(1, abs(a), abs(n))
        rows.append(Row(output: program.symbols[output].name, leaf: program.symbols[leaf].name,
                        analytic: a, numeric: n, error: error))
      }
    }
  }

  /// ∂outputs/∂leaves by central differences, `[o][leaf]`, through the
  /// forward program only: a path independent of the reverse pass.
  public static func finiteDifferences(_ program: Program, at leaves: [Double]) -> [[Double]] {
    let forward = Optimizer.optimize(program, keeping: .outputs)
    func outputs(_ x: [Double]) -> [Double] {
      let all = Interpreter.run(forward, leaves: x)
      return forward.outputs.map { all[forward.values[$0].int] }
    }
    let step = 6.0554544523933395e-06  // ∛(2⁻⁵²)
    var rows = [[Double]](repeating: [Double](repeating: 0, count: leaves.count), count: program.outputs.count)
    for i in leaves.indices {
      let h = step * max(1, abs(leaves[i]))
      var plus = leaves
      var minus = leaves
      plus[i] += h
      minus[i] -= h
      let up = outputs(plus)
      let down = outputs(minus)
      for o in rows.indices { rows[o][i] = (up[o] - down[o]) / (plus[i] - minus[i]) }
    }
    return rows
  }

  /// The table `check` prints, then a verdict line.
  public func text() -> String {
    let header = ["output", "leaf", "analytic", "numeric", "error", ""]
    var table = [header]
    for row in rows {
      table.append([
        row.output, row.leaf, NumberFormat.shortest(row.analytic), NumberFormat.shortest(row.numeric),
        Self.short(row.error), row.error <= tolerance ? "ok" : "FAIL",
      ])
    }
    let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
    var out = ""
    for line in table {
      let cells = line.enumerated().map { c, cell in
        c == line.count - 1 ? cell : cell.padding(to: widths[c])
      }
      out += cells.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
    }
    let bad = failures.count
    if bad == 0 {
      out += "all \(rows.count) partial derivatives agree with central differences (largest error \(Self.short(maxError)), tolerance \(Self.short(tolerance)))\n"
    } else {
      out += "\(bad) of \(rows.count) partial derivatives differ from central differences by more than \(Self.short(tolerance))\n"
    }
    return out
  }

  /// Two significant digits: errors are magnitudes, not values to read back.
  static func short(_ x: Double) -> String {
    guard x.isFinite else { return NumberFormat.shortest(x) }
    if x == 0 { return "0" }
    let exponent = Int((log10(abs(x))).rounded(.down))
    let mantissa = x / pow(10, Double(exponent))
    let digits = (mantissa * 10).rounded() / 10
    return exponent == 0 ? "\(digits)" : "\(digits)e\(exponent)"
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = Substring(self)
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
