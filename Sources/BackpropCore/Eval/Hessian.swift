import Foundation

/// `eval --hessian` (SPEC §8.1): ∂²O/∂x∂y for one scalar O and every ordered
/// pair of leaf elements, as Hessian-vector products: the program's gradient
/// differentiated forward (``Tangent``), run with a direction v, gives the
/// tangents of every ∂O/∂x, H·v.
///
/// One sweep per group of columns that share no row of the Hessian's
/// structure (``Sparsity``): the direction is 1 on the group's inputs, and
/// each structural entry (i, j) is hv[i] of j's group, as the generated
/// `hessian` reads it. The other entries are structurally 0.
public struct Hessian: Sendable {
  /// O as a person names it: `E`, or an element, `o[1]`.
  var name: String
  var layout: Layout
  /// ∂²O/∂in[i]∂in[j] at `entries[i * numInputs + j]`.
  var entries: [Double]

  /// Evaluates the Hessian of the one output of `forward` at the leaf
  /// values `input`; `gradient` is `forward` differentiated (unoptimised).
  init(forward: Program, gradient: Program, input: [Double]) {
    self.init(
      gradient: gradient, input: input, structure: Sparsity.symmetric(Sparsity.hessian(forward)))
  }

  /// The same from a structure (each row's structural nonzeros, both
  /// triangles), or, without one, densely: one sweep per input element, every
  /// entry computed, a path independent of ``Sparsity`` for the tests.
  init(gradient: Program, input: [Double], structure given: [[Int]]?) {
    let output = gradient.outputs[0]
    name = gradient.symbols[output].name
    let program = Optimizer.optimize(
      Tangent.differentiate(gradient), keeping: .hessianVectorProducts)
    let machine = Interpreter.Machine(program)
    layout = machine.layout
    let n = layout.numInputs
    let structure = given ?? [[Int]](repeating: Array(0..<n), count: n)
    let (colors, count) = given.map { Sparsity.colorColumns($0, columns: n) } ?? (Array(0..<n), n)
    var workspace = machine.makeWorkspace(input: input)
    let directions = layout.leaves.map { machine.offset(of: .tangent(.variable($0.symbol))) }
    let products = layout.leaves.map {
      machine.offset(of: .tangent(.adjoint(output: output, of: $0.symbol)))
    }
    // Each input's leaf, and where the leaf's product sits in the memory.
    var hv = [Int?](repeating: nil, count: n)
    for (l, leaf) in layout.leaves.enumerated() {
      for e in 0..<leaf.size { hv[leaf.offset + e] = products[l].map { $0 + e } }
    }
    // Each sweep's columns; column j's entries are rows structure[j] (the
    // structure is symmetric), so a sweep reads O(its entries).
    var members = [[Int]](repeating: [], count: count)
    for j in 0..<n { members[colors[j]].append(j) }
    var entries = [Double](repeating: 0, count: n * n)
    for sweep in 0..<count {
      for (l, leaf) in layout.leaves.enumerated() {
        guard let offset = directions[l] else { continue }
        for e in 0..<leaf.size {
          workspace.memory[offset + e] = colors[leaf.offset + e] == sweep ? 1 : 0
        }
      }
      machine.run(&workspace)
      for j in members[sweep] {
        for i in structure[j] {
          // No tangent array: ∂O/∂leaf does not depend on the leaves, its rows are 0.
          guard let at = hv[i] else { continue }
          entries[i * n + j] = workspace.memory[at]
        }
      }
    }
    self.entries = entries
  }

  /// The block ∂²O/∂x∂y of leaves x and y, row-major over shape(x) ++ shape(y).
  func block(_ x: Int, _ y: Int) -> [Double] {
    let (a, b) = (layout.leaves[x], layout.leaves[y])
    var out: [Double] = []
    out.reserveCapacity(a.size * b.size)
    for i in 0..<a.size {
      let row = (a.offset + i) * layout.numInputs + b.offset
      out += entries[row..<(row + b.size)]
    }
    return out
  }

  /// `∂²O/∂x∂y = …` per ordered pair of leaves, `∂²O/∂x²` for x = y.
  public func text() -> String {
    var out = ""
    for (x, a) in layout.leaves.enumerated() {
      for (y, b) in layout.leaves.enumerated() {
        let denominator = x == y ? "∂\(a.name)²" : "∂\(a.name)∂\(b.name)"
        let value = Evaluation.nested(block(x, y), a.shape + b.shape, NumberFormat.shortest)
        out += "∂²\(name)/\(denominator) = \(value)\n"
      }
    }
    return out
  }

  /// `"hessian": {"O": {"x": {"y": …}}}`, one line per leaf x, for
  /// `eval --json`.
  func json() -> String {
    guard !layout.leaves.isEmpty else { return "  \"hessian\": {\"\(name)\": {}}" }
    let rows = layout.leaves.enumerated().map { x, a in
      let pairs = layout.leaves.enumerated().map { y, b in
        "\"\(b.name)\": "
          + Evaluation.nested(block(x, y), a.shape + b.shape, NumberFormat.json)
      }
      return "      \"\(a.name)\": {" + pairs.joined(separator: ", ") + "}"
    }
    return "  \"hessian\": {\n    \"\(name)\": {\n" + rows.joined(separator: ",\n") + "\n    }\n  }"
  }
}

/// `check --hessian` (SPEC §8.1): every entry of O's Hessian against central
/// differences of the analytic gradient, with `check`'s error measure and
/// extrapolation; beyond ``GradientCheck/pairLimit`` entries, every row
/// against an evenly spaced sample of the columns, as `check` samples.
public struct HessianCheck: Sendable {
  public struct Row: Sendable {
    var x: String
    var y: String
    var analytic: Double
    var numeric: Double
    var error: Double
    var crossesSwitch = false
  }

  var name: String
  var rows: [Row]
  var tolerance: Double
  /// All entries, of which `rows` are a sample when there are more than the
  /// limit; and the sample's step.
  var entries = 0
  var step = 1

  public var failures: [Row] { rows.filter { !($0.error <= tolerance) && !$0.crossesSwitch } }

  init(forward: Program, gradient: Program, input: [Double], tolerance: Double) {
    self.tolerance = tolerance
    let output = gradient.outputs[0]
    let hessian = Hessian(forward: forward, gradient: gradient, input: input)
    name = hessian.name
    let layout = hessian.layout
    let n = layout.numInputs
    entries = n * n
    let columns = GradientCheck.sampledInputs(count: n, outputs: n)
    step = columns.count > 1 ? columns[1] - columns[0] : 1
    let leafGradients = layout.leaves.map { ArrayName.adjoint(output: output, of: $0.symbol) }
    let numeric = GradientCheck.numericDerivatives(
      gradient, at: input, inputs: columns, reading: leafGradients)
    rows = []
    for i in 0..<n {
      guard let x = layout.leaf(containing: i) else { continue }
      for (column, j) in columns.enumerated() {
        guard let y = layout.leaf(containing: j) else { continue }
        let a = hessian.entries[i * n + j]
        let estimate = numeric[i][column]
        let e = estimate.value
        rows.append(
          Row(
            x: layout.leaves[x].elementName(i - layout.leaves[x].offset),
            y: layout.leaves[y].elementName(j - layout.leaves[y].offset),
            analytic: a, numeric: e, error: GradientCheck.error(a, e),
            crossesSwitch: estimate.crossesSwitch))
      }
    }
  }

  /// The table `check --hessian` prints, then a verdict line.
  public func text() -> String {
    let header = ["output", "x", "y", "analytic", "numeric", "error", ""]
    var table = [header]
    for row in rows {
      table.append([
        name, row.x, row.y, NumberFormat.shortest(row.analytic), NumberFormat.shortest(row.numeric),
        GradientCheck.short(row.error),
        row.error <= tolerance ? "ok" : row.crossesSwitch ? "switch" : "FAIL",
      ])
    }
    var out = GradientCheck.columns(table)
    let bad = failures.count
    let across = rows.filter { !($0.error <= tolerance) && $0.crossesSwitch }.count
    let largest = rows.filter { !$0.crossesSwitch }.map(\.error).max() ?? 0
    let limit = GradientCheck.short(tolerance)
    if bad > 0 {
      out +=
        "\(bad) of \(rows.count) second derivatives differ from central differences of the gradient by more than \(limit)\n"
    } else {
      let agree = across > 0 ? "\(rows.count - across) of \(rows.count)" : "all \(rows.count)"
      out +=
        "\(agree) second derivatives agree with central differences of the gradient (largest error \(GradientCheck.short(largest)), tolerance \(limit))"
        + (across > 0 ? "; the other \(across) are marked 'switch'\n" : "\n")
    }
    if rows.count < entries {
      out +=
        "(a sample: every row against every \(GradientCheck.ordinal(step)) column, \(rows.count) of the \(entries) entries; check compares at most \(GradientCheck.pairLimit) in full)\n"
    }
    return out
  }
}
