import Foundation

/// `backpropc check`: the reverse-mode gradient against central finite
/// differences of the forward program, partial by partial.
public struct GradientCheck: Sendable {
  public struct Row: Sendable {
    var output: String
    var leaf: String
    var analytic: Double
    var numeric: Double
    /// |analytic − numeric| / max(1, |analytic|, |numeric|): relative for
    /// large derivatives, absolute below 1, so a zero derivative with 1e-11 of
    /// difference noise is not a failure.
    var error: Double
    /// Whether a step of the finite differences flips the condition of a
    /// `where` (SPEC §7.6): they then see the jump, not the derivative.
    var crossesSwitch = false
  }

  var rows: [Row]
  var tolerance: Double
  /// All (output element, input element) pairs, of which `rows` are a
  /// sample when there are more than ``pairLimit``; and the sample's step.
  var pairs = 0
  var step = 1

  public var failures: [Row] { rows.filter { !($0.error <= tolerance) && !$0.crossesSwitch } }
  /// The rows that differ where a step crosses a `where`'s switch: a warning, not a failure.
  var acrossSwitches: [Row] { rows.filter { !($0.error <= tolerance) && $0.crossesSwitch } }
  var maxError: Double { rows.map(\.error).max() ?? 0 }

  /// The default tolerance: extrapolated central differences are accurate to
  /// about 1e-10 of the output's scale on smooth programs.
  static let defaultTolerance = 1e-6

  /// At most this many (output element, leaf element) pairs are checked
  /// (SPEC §6.6); past it, every output element against an evenly spaced
  /// sample of the input elements (``sampledInputs(count:outputs:)``).
  static let pairLimit = 1 << 16

  /// Checks every ∂output/∂leaf of `program` (differentiated, unoptimised) at
  /// the given leaf values, element by element.
  init(
    _ program: Program, leaves: [Double], tolerance: Double = GradientCheck.defaultTolerance
  ) {
    self.tolerance = tolerance
    let evaluation = Evaluation(
      program: Optimizer.optimize(program, keeping: .outputsAndLeafGradients), input: leaves)
    let layout = evaluation.layout
    let inputs = Self.sampledInputs(count: layout.numInputs, outputs: layout.numOutputs)
    pairs = layout.numInputs * layout.numOutputs
    step = inputs.count > 1 ? inputs[1] - inputs[0] : 1
    let numeric = Self.numericDerivatives(program, at: leaves, inputs: inputs)
    rows = []
    for (o, output) in layout.outputs.enumerated() {
      for e in 0..<output.size {
        for (column, i) in inputs.enumerated() {
          guard let l = layout.leaf(containing: i) else { continue }
          let leaf = layout.leaves[l]
          let a = evaluation.gradientElements[o][l][e * leaf.size + (i - leaf.offset)]
          let estimate = numeric[layout.output(o, element: e)][column]
          let n = estimate.value
          let error = Self.error(a, n)
          rows.append(
            Row(
              output: output.elementName(e), leaf: leaf.elementName(i - leaf.offset),
              analytic: a, numeric: n, error: error, crossesSwitch: estimate.crossesSwitch))
        }
      }
    }
  }

  /// The input elements `check` perturbs: all of them when the pairs fit the
  /// limit, else every k-th from the first, k = ⌈inputs·outputs / limit⌉.
  static func sampledInputs(count: Int, outputs: Int) -> [Int] {
    let pairs = count * max(1, outputs)
    guard pairs > pairLimit else { return Array(0..<count) }
    let step = (pairs + pairLimit - 1) / pairLimit
    return Array(stride(from: 0, to: count, by: step))
  }

  /// ∂outputs/∂inputs by finite differences, `[o][i]` for output element o and
  /// input element i, through the forward program only: a path independent of
  /// the reverse pass.
  static func finiteDifferences(_ program: Program, at leaves: [Double]) -> [[Double]] {
    numericDerivatives(program, at: leaves).map { $0.map(\.value) }
  }

  /// A derivative estimated from values, with how far it may be off.
  struct NumericDerivative: Sendable {
    var value: Double
    /// The size of the error the extrapolation removed, |D(h) − D(h/2)|, or
    /// how far D(h/64) lands from the estimate, whichever is larger.
    var uncertainty: Double
    /// Whether the steps flip a `where`'s condition somewhere.
    var crossesSwitch = false
  }

  /// Central differences D(h) and D(h/2), Richardson-extrapolated to
  /// (4·D(h/2) − D(h))/3, which cancels the h² error term. The step is
  /// 1e-4·max(1, |x|), scaled to each leaf. A third quotient at h/64 guards
  /// the error bound against aliasing: when a program oscillates fast
  /// (cos of a large value), D(h) and D(h/2) can agree on a wrong slope,
  /// and D(h/64) then disagrees with both.
  ///
  /// What is differentiated is the outputs, or, given `reading`, the elements
  /// of those arrays in order (`check --hessian` reads the leaves' gradient).
  static func numericDerivatives(
    _ program: Program, at leaves: [Double], inputs: [Int]? = nil, reading: [ArrayName]? = nil
  ) -> [[NumericDerivative]] {
    let forward = Optimizer.optimize(
      program, keeping: reading == nil ? .outputs : .outputsAndLeafGradients)
    let machine = Interpreter.Machine(forward)
    let arrays = reading ?? machine.layout.outputs.indices.map { .output($0) }
    let outputOffsets = arrays.flatMap { array in
      (0..<forward.shape(of: array).reduce(1, *)).map { e in
        machine.offset(of: array).map { $0 + e }
      }
    }
    // Each select's condition, by kernel: a step that changes one crosses a switch.
    let conditions = forward.kernels.map { kernel in
      kernel.instructions.filter { $0.op == .select }.map(\.lhs.int)
    }
    let hasSelects = conditions.contains { !$0.isEmpty }
    // Six evaluations per perturbed input (±h, ±h/2, ±h/64), side by side:
    // as many inputs' as fit in 256 rows, or in 4 MB of memory.
    let perInput = 6
    let inputsPerRun = max(1, min(256, (1 << 19) / max(1, machine.memorySize)) / perInput)
    var workspace = machine.makeWorkspace(input: leaves, rows: inputsPerRun * perInput)
    /// Runs the rows' inputs; returns each row's outputs and, with selects,
    /// its conditions in the order the points take them.
    func run(_ count: Int) -> (outputs: [[Double]], seen: [[Bool]]) {
      var seen = [[Bool]](repeating: [], count: count)
      if hasSelects {
        machine.run(&workspace, rows: count) { k, strip in
          for c in conditions[k] {
            for row in 0..<strip.lanes { seen[row].append(strip.value(c, lane: row) != 0) }
          }
        }
      } else {
        machine.run(&workspace, rows: count)
      }
      let outputs = (0..<count).map { row in
        outputOffsets.map { $0.map { workspace[element: $0, row: row] } ?? .nan }
      }
      return (outputs, seen)
    }
    let base = run(1).seen[0]
    let empty = NumericDerivative(value: 0, uncertainty: 0)
    let perturbed = inputs ?? Array(leaves.indices)
    var result = [[NumericDerivative]](
      repeating: [NumericDerivative](repeating: empty, count: perturbed.count),
      count: outputOffsets.count)
    var first = 0
    while first < perturbed.count {
      let columns = first..<min(first + inputsPerRun, perturbed.count)
      // Row 6c + 2s is input c's + step s, the next row its − step s.
      var steps: [(width: Double, h: Double)] = []
      for (c, column) in columns.enumerated() {
        let i = perturbed[column]
        let h = 1e-4 * max(1, abs(leaves[i]))
        for (s, step) in [h, h / 2, h / 64].enumerated() {
          let plus = leaves[i] + step
          let minus = leaves[i] - step
          workspace[element: i, row: perInput * c + 2 * s] = plus
          workspace[element: i, row: perInput * c + 2 * s + 1] = minus
          steps.append((plus - minus, step))  // the step actually taken, after rounding
        }
      }
      let (outputs, seen) = run(columns.count * perInput)
      for (c, column) in columns.enumerated() {
        let i = perturbed[column]
        for row in (perInput * c)..<(perInput * (c + 1)) {
          workspace[element: i, row: row] = leaves[i]
        }
        let crossed =
          hasSelects && seen[(perInput * c)..<(perInput * (c + 1))].contains { $0 != base }
        func central(_ s: Int) -> [Double] {
          let up = outputs[perInput * c + 2 * s]
          let down = outputs[perInput * c + 2 * s + 1]
          let width = steps[3 * c + s].width
          return zip(up, down).map { ($0 - $1) / width }
        }
        let (coarse, fine, tiny) = (central(0), central(1), central(2))
        for o in result.indices {
          let value = (4 * fine[o] - coarse[o]) / 3
          result[o][column] = NumericDerivative(
            value: value, uncertainty: max(abs(fine[o] - coarse[o]), abs(tiny[o] - value)),
            crossesSwitch: crossed)
        }
      }
      first = columns.upperBound
    }
    return result
  }

  /// The table `check` prints, then a verdict line.
  public func text() -> String {
    let header = ["output", "leaf", "analytic", "numeric", "error", ""]
    var table = [header]
    for row in rows {
      table.append([
        row.output, row.leaf, NumberFormat.shortest(row.analytic),
        NumberFormat.shortest(row.numeric),
        Self.short(row.error),
        row.error <= tolerance ? "ok" : row.crossesSwitch ? "switch" : "FAIL",
      ])
    }
    var out = Self.columns(table)
    let bad = failures.count
    let across = acrossSwitches.count
    if bad == 0 && across > 0 {
      let largest = rows.filter { !$0.crossesSwitch }.map(\.error).max() ?? 0
      out +=
        "\(rows.count - across) of \(rows.count) partial derivatives agree with central differences (largest error \(Self.short(largest)), tolerance \(Self.short(tolerance))); the other \(across) are marked 'switch'\n"
    } else if bad == 0 {
      out +=
        "all \(rows.count) partial derivatives agree with central differences (largest error \(Self.short(maxError)), tolerance \(Self.short(tolerance)))\n"
    } else {
      out +=
        "\(bad) of \(rows.count) partial derivatives differ from central differences by more than \(Self.short(tolerance))\n"
    }
    if across > 0 {
      out +=
        "warning: \(across) differ where a finite-difference step crosses a where's switch (marked 'switch'): the differences see the jump between the branches, not the derivative; the analytic value is the taken branch's\n"
    }
    if rows.count < pairs {
      out +=
        "(a sample: every output element against every \(Self.ordinal(step)) input element, \(rows.count) of the \(pairs) pairs; check compares at most \(Self.pairLimit) in full)\n"
    }
    return out
  }

  /// A table's lines, each cell but the last padded to its column's width.
  static func columns(_ table: [[String]]) -> String {
    let widths = (table.first ?? []).indices.map { c in table.map { $0[c].count }.max() ?? 0 }
    var out = ""
    for line in table {
      let cells = line.enumerated().map { c, cell in
        c == line.count - 1 ? cell : cell.padding(to: widths[c])
      }
      out += cells.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
    }
    return out
  }

  /// |a − n| / max(1, |a|, |n|), 0 where they are equal (∞ = ∞): the error
  /// measure of `check` and `check --hessian` (see ``Row/error``).
  static func error(_ a: Double, _ n: Double) -> Double {
    a == n ? 0 : abs(a - n) / max(1, abs(a), abs(n))
  }

  /// `2nd`, `3rd`, `11th`.
  static func ordinal(_ n: Int) -> String {
    let suffix =
      (11...13).contains(n % 100)
      ? "th" : ["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"][n % 10]
    return "\(n)\(suffix)"
  }

  /// Two significant digits: errors are magnitudes, not values to read back.
  static func short(_ x: Double) -> String {
    guard x.isFinite else { return NumberFormat.shortest(x) }
    return x == 0 ? "0" : String(format: "%.1e", x)
  }
}
