import Foundation
import Testing

@testable import BackpropCore

/// The structure of the Jacobian and of the Hessian (SPEC §8.2,
/// ``Sparsity``): patterns derived by hand; every numeric nonzero of the
/// reverse-mode gradient and of the dense Hessian (one forward-over-reverse
/// sweep per input, ``Hessian``) inside the pattern, on the samples and on
/// random programs; colorings that are valid; and entries recovered from one
/// sweep per color that agree with the dense ones.
@Suite struct SparsityTests {
  /// A program's compilation and forward IR.
  static func forward(
    _ source: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> (Compilation, Program) {
    let (compilation, _) = try Compilation.valid(source, sourceLocation: sourceLocation)
    return (compilation, try #require(compilation.forward, sourceLocation: sourceLocation))
  }

  /// Whether no two columns of one color share a row.
  static func isValid(_ colors: [Int], for rows: [[Int]]) -> Bool {
    rows.allSatisfy { row in Set(row.map { colors[$0] }).count == row.count }
  }

  /// The lower triangle of a dense n×n Hessian's nonzeros, as
  /// ``Sparsity/hessian(_:)`` writes a pattern.
  static func nonzeros(_ hessian: Hessian) -> [[Int]] {
    let n = hessian.layout.numInputs
    return (0..<n).map { i in (0...i).filter { j in hessian.entries[i * n + j] != 0 } }
  }

  /// The dense Hessian of output `o` (element `element`) at the leaves' values.
  static func dense(
    _ compilation: Compilation, output o: Int, element: [Int] = [],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Hessian {
    var diagnostics = DiagnosticList()
    let leaves = try #require(
      compilation.leafValues([:], into: &diagnostics), sourceLocation: sourceLocation)
    let symbol = try #require(compilation.program?.outputs[o], sourceLocation: sourceLocation)
    let forward = try #require(
      compilation.forward(for: symbol, element: element), sourceLocation: sourceLocation)
    // One sweep per input, every entry computed: not through the pattern
    // under test (`compilation.hessian` reads only the pattern's entries).
    return Hessian(gradient: Reverse.differentiate(forward), input: leaves, structure: nil)
  }

  // MARK: - Patterns by hand

  /// IPOPT's hs071: f = x1·x4·(x1 + x2 + x3) + x3, g1 = x1·x2·x3·x4, g2 = Σ xᵢ².
  /// Every output depends on every x; the Lagrangian's Hessian has all ten
  /// entries of its lower triangle. By hand, f alone has ∂²f/∂x1² = 2·x4,
  /// ∂²f/∂x2∂x1 = ∂²f/∂x3∂x1 = x4, ∂²f/∂x4∂x1 = 2·x1 + x2 + x3 and
  /// ∂²f/∂x4∂x2 = ∂²f/∂x4∂x3 = x1, and nothing else; g1 every pair but the
  /// diagonal; g2 only the diagonal.
  @Test func hs071() throws {
    let leaves = "x1 = 1.1; x2 = 4.7; x3 = 3.8; x4 = 1.4\n"
    let f = "f = x1 * x4 * (x1 + x2 + x3) + x3\n"
    let g1 = "g1 = x1 * x2 * x3 * x4\n"
    let g2 = "g2 = x1^2 + x2^2 + x3^2 + x4^2\n"
    let (_, all) = try Self.forward(leaves + f + g1 + g2 + "output f, g1, g2")
    let jacobian = Sparsity.jacobian(all)
    #expect(jacobian == [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]])
    let hessian = Sparsity.hessian(all)
    #expect(hessian == [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]])

    for (statement, name, expected) in [
      (f, "f", [[0], [0], [0], [0, 1, 2]]),
      (g1, "g1", [[], [0], [0, 1], [0, 1, 2]]),
      (g2, "g2", [[0], [1], [2], [3]]),
    ] {
      let (compilation, forward) = try Self.forward(leaves + statement + "output \(name)")
      #expect(Sparsity.hessian(forward) == expected, "\(name)")
      // At this point no entry of the pattern happens to be 0: the pattern
      // is exactly the numeric one.
      #expect(Self.nonzeros(try Self.dense(compilation, output: 0)) == expected, "\(name)")
    }

    // The Hessian is dense: 4 colors, one per column. The Jacobian needs 4
    // sweeps forward (its columns) and 3 in reverse (its rows).
    let symmetric = Sparsity.symmetric(hessian)
    let (colors, count) = Sparsity.colorColumns(symmetric, columns: 4)
    #expect(count == 4 && Self.isValid(colors, for: symmetric))
    #expect(Sparsity.colorColumns(jacobian, columns: 4).count == 4)
    let transposed = Sparsity.transpose(jacobian, columns: 4)
    #expect(transposed == [[0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 2]])
    #expect(Sparsity.colorColumns(transposed, columns: 3).count == 3)
  }

  /// A chain, L = Σᵢ (x[i+1] − x[i])²: by hand ∂²L/∂x[i]² ≠ 0, ∂²L/∂x[i+1]∂x[i]
  /// = −2 and nothing else, a tridiagonal Hessian whose columns need exactly
  /// 3 colors (a row has 3 entries), i mod 3 in natural order.
  @Test func chainHasATridiagonalHessian() throws {
    let (compilation, forward) = try Self.forward(
      "input x[8] = [1, 3, 2, 5, 4, 8, 6, 7]\nL = sum(i, (x[i + 1] - x[i])^2)\noutput L")
    let hessian = Sparsity.hessian(forward)
    let expected = [[0]] + (1..<8).map { [$0 - 1, $0] }
    #expect(hessian == expected)
    #expect(Self.nonzeros(try Self.dense(compilation, output: 0)) == expected)
    let symmetric = Sparsity.symmetric(hessian)
    #expect(symmetric == (0..<8).map { i in Array(max(0, i - 1)...min(7, i + 1)) })
    let (colors, count) = Sparsity.colorColumns(symmetric, columns: 8)
    #expect(count == 3)
    #expect(colors == (0..<8).map { $0 % 3 })

    // One output that depends on everything: 8 sweeps forward, 1 in reverse.
    let jacobian = Sparsity.jacobian(forward)
    #expect(jacobian == [Array(0..<8)])
    #expect(Sparsity.colorColumns(jacobian, columns: 8).count == 8)
    #expect(Sparsity.colorColumns(Sparsity.transpose(jacobian, columns: 8), columns: 1).count == 1)
  }

  /// A program whose one output is y, and its patterns by hand.
  struct Case: Sendable, CustomTestStringConvertible {
    var source: String
    var jacobian: [[Int]]
    var hessian: [[Int]]
    var testDescription: String { source.replacingOccurrences(of: "\n", with: "; ") }
  }

  /// SPEC §8.1: relu, abs, min, max and a `where`'s switch have no second
  /// derivative, and the condition of a `where` no derivative at all; a
  /// product couples its two factors only (no diagonal), a quotient its
  /// numerator with the denominator and the denominator with itself. At
  /// these points every entry of each pattern is numerically nonzero too.
  static let cases = [
    Case(
      source:
        "a = 0.5; b = -1\ny = relu(a) * 3 + abs(a) + max(a, b) + min(a, b) + where(a > b, a, b)",
      jacobian: [[0, 1]], hessian: [[], []]),
    Case(source: "x = 2; z = 3\ny = x * z", jacobian: [[0, 1]], hessian: [[], [0]]),
    Case(source: "x = 2\ny = exp(x)", jacobian: [[0]], hessian: [[0]]),
    Case(source: "x = 2; z = 3\ny = x / z", jacobian: [[0, 1]], hessian: [[], [0, 1]]),
    Case(source: "x = 2; z = 3\ny = x^3 + z", jacobian: [[0, 1]], hessian: [[0], []]),
    Case(source: "a = 1.5; b = 2\ny = a^b", jacobian: [[0, 1]], hessian: [[0], [0, 1]]),
    // The product only decides the branch: no derivative reaches it.
    Case(
      source: "x = 2; z = 3; w = 1\ny = where(x * z > 0, w^2, 2 * w)", jacobian: [[2]],
      hessian: [[], [], [2]]),
    // Inside relu and max, the product still bends the output.
    Case(source: "x = 2; z = 3\ny = relu(x * z)", jacobian: [[0, 1]], hessian: [[], [0]]),
    Case(
      source: "x = 2; z = 3; w = 1\ny = max(x * z, w)", jacobian: [[0, 1, 2]],
      hessian: [[], [0], []]),
    // A maximum over an index picks its terms: no curvature between them.
    Case(
      source: "input x[3] = [1, 4, 3]\nm = max(i, x[i])\ny = 2 * m", jacobian: [[0, 1, 2]],
      hessian: [[], [], []]),
  ]

  @Test(arguments: cases)
  func patternsByHand(_ c: Case) throws {
    let (compilation, forward) = try Self.forward(c.source + "\noutput y")
    #expect(Sparsity.jacobian(forward) == c.jacobian)
    #expect(Sparsity.hessian(forward) == c.hessian)
    #expect(Self.nonzeros(try Self.dense(compilation, output: 0)) == c.hessian)
  }

  /// Every callable builtin's row says whether it bends: a piecewise
  /// linear one (relu, abs, min, max) adds nothing to the Hessian's pattern,
  /// every other its argument's diagonal entry, which the dense Hessian has
  /// too, at a point where no second derivative is 0.
  @Test(arguments: DerivativeTests.callable)
  func builtinRowsSayWhetherTheyBend(_ f: Builtin) throws {
    let source =
      f.arity == 1 ? "x = 0.3\ny = \(f.rawValue)(x)" : "x = 0.3; z = -0.2\ny = \(f.rawValue)(x, z)"
    let (compilation, forward) = try Self.forward(source + "\noutput y")
    let bends = f.arity == 1 ? [[0]] : [[0], [0, 1]]
    let expected = f.spec.isPiecewiseLinear ? Array(repeating: [], count: f.arity) : bends
    #expect(Sparsity.hessian(forward) == expected)
    #expect(Self.nonzeros(try Self.dense(compilation, output: 0)) == expected)
  }

  // MARK: - Against the numbers

  /// What the checks against the numbers looked at.
  struct Tally {
    var programs = 0
    /// Nonzero partial derivatives and Hessian entries found inside the patterns.
    var gradientNonzeros = 0
    var hessianNonzeros = 0
    /// Hessians not computed because their pattern is already complete.
    var completePatterns = 0
    /// Entries compared after a sweep per color.
    var recovered = 0
    /// Non-finite entries, which say nothing about structure.
    var notFinite = 0
    /// What disagreed, one line each.
    var violations: [String] = []
  }

  /// A compiled program with its patterns, at its leaves' values.
  struct Subject {
    var compilation: Compilation
    var program: Program
    var layout: Layout
    var leaves: [Double]
    var jacobian: [[Int]]
    var hessian: [[Int]]

    init(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let (compilation, forward) = try SparsityTests.forward(source, sourceLocation: sourceLocation)
      self.compilation = compilation
      program = try #require(compilation.program, sourceLocation: sourceLocation)
      layout = Layout(forward)
      var diagnostics = DiagnosticList()
      leaves = try #require(
        compilation.leafValues([:], into: &diagnostics), sourceLocation: sourceLocation)
      jacobian = Sparsity.jacobian(forward)
      hessian = Sparsity.hessian(forward)
    }

    /// Each output element as `Compilation.hessian` names it: the output's
    /// symbol and the element's subscripts; at most `limit`, evenly spread.
    func outputElements(limit: Int) -> [(symbol: Int, element: [Int])] {
      let all = layout.outputs.flatMap { output in
        (0..<output.size).map { e in (output.symbol, Layout.element(e, shape: output.shape)) }
      }
      guard all.count > limit else { return all }
      return (0..<limit).map { all[$0 * all.count / limit] }
    }

    /// The gradient program for one output element, as `eval --hessian` makes it.
    func gradient(_ symbol: Int, _ element: [Int]) throws -> Program {
      try #require(compilation.program(differentiating: symbol, element: element))
    }
  }

  /// Every nonzero of the reverse-mode gradient lies in the Jacobian's
  /// pattern, every nonzero of each output element's dense Hessian in the
  /// Hessian's pattern, and every coloring is valid. The gradient is run as
  /// `eval` runs it, but read from the interpreter's memory, where a block
  /// the reverse pass never computes is absent (`Evaluation` shows NaN).
  static func checkAgainstNumbers(
    _ subject: Subject, _ label: String, elementLimit: Int = .max, _ tally: inout Tally
  ) throws {
    tally.programs += 1
    let n = subject.layout.numInputs
    let (jacobian, hessian) = (subject.jacobian, subject.hessian)
    #expect(jacobian.count == subject.layout.numOutputs, "\(label)")
    #expect(hessian.count == n, "\(label)")

    let gradient = Optimizer.optimize(subject.program, keeping: .outputsAndLeafGradients)
    let (machine, memory) = Interpreter.run(gradient, input: subject.leaves)
    for (o, output) in subject.layout.outputs.enumerated() {
      for leaf in subject.layout.leaves {
        // No adjoint array: the reverse pass found the block structurally 0.
        guard let offset = machine.offset(of: .adjoint(output: output.symbol, of: leaf.symbol))
        else { continue }
        for e in 0..<output.size {
          let row = jacobian[subject.layout.output(o, element: e)]
          for k in 0..<leaf.size {
            let value = memory[offset + e * leaf.size + k]
            guard value.isFinite else {
              tally.notFinite += 1
              continue
            }
            guard value != 0 else { continue }
            tally.gradientNonzeros += 1
            guard !row.contains(leaf.offset + k) else { continue }
            tally.violations.append(
              "\(label): ∂\(output.elementName(e))/∂\(leaf.elementName(k)) = \(value) is outside the Jacobian's pattern \(row)"
            )
          }
        }
      }
    }

    if hessian.reduce(0, { $0 + $1.count }) == n * (n + 1) / 2 {
      tally.completePatterns += 1
    } else {
      for (symbol, element) in subject.outputElements(limit: elementLimit) {
        let gradient = try subject.gradient(symbol, element)
        let dense = Hessian(gradient: gradient, input: subject.leaves, structure: nil)
        for i in 0..<n {
          for j in 0...i {
            for value in [dense.entries[i * n + j], dense.entries[j * n + i]] {
              guard value.isFinite else {
                tally.notFinite += 1
                continue
              }
              guard value != 0 else { continue }
              tally.hessianNonzeros += 1
              guard !hessian[i].contains(j) else { continue }
              tally.violations.append(
                "\(label): ∂²\(dense.name)/∂in[\(i)]∂in[\(j)] = \(value) is outside the Hessian's pattern \(hessian[i])"
              )
            }
          }
        }
      }
    }

    let symmetric = Sparsity.symmetric(hessian)
    let transposed = Sparsity.transpose(jacobian, columns: n)
    for (name, rows, columns) in [
      ("Hessian's columns", symmetric, n), ("Jacobian's columns", jacobian, n),
      ("Jacobian's rows", transposed, jacobian.count),
    ] where !Self.isValid(Sparsity.colorColumns(rows, columns: columns).colors, for: rows) {
      tally.violations.append("\(label): two of the \(name) of one color share a row")
    }
  }

  /// No violation, or the first few.
  static func expectNone(_ tally: Tally, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(
      tally.violations.isEmpty,
      "\(tally.violations.count) violations:\n\(tally.violations.prefix(5).joined(separator: "\n"))",
      sourceLocation: sourceLocation)
  }

  static let samples = [
    "mlp", "softmax", "conv", "hinge", "least_squares", "logistic", "mazur_array", "apple",
  ]

  @Test(arguments: samples)
  func samplesAgreeWithTheNumbers(_ name: String) throws {
    let subject = try Subject(String(decoding: Paths.sample(name).bytes, as: UTF8.self))
    var tally = Tally()
    try Self.checkAgainstNumbers(subject, name, &tally)
    Self.expectNone(tally)
    #expect(tally.gradientNonzeros > 0)
    #expect(tally.hessianNonzeros + tally.completePatterns > 0)
  }

  /// Random programs of both generators, scalar and with arrays (every
  /// builtin, `where`, reductions, shifts and windows).
  @Test func randomProgramsAgreeWithTheNumbers() throws {
    var tally = Tally()
    for seed: UInt64 in 1...30 {
      var generator = ProgramGenerator(seed: seed)
      try Self.checkAgainstNumbers(Subject(generator.program()), "scalar seed \(seed)", &tally)
    }
    for seed: UInt64 in 1...30 {
      var generator = ArrayProgramGenerator(seed: seed)
      let source = generator.program().source
      try Self.checkAgainstNumbers(
        Subject(source), "array seed \(seed):\n\(source)", elementLimit: 6, &tally)
    }
    Self.expectNone(tally)
    #expect(tally.programs == 60)
    #expect(tally.gradientNonzeros > 1000 && tally.hessianNonzeros > 1000, "\(tally)")
  }

  // MARK: - Recovery: one sweep per color

  /// hv = (∇²O)·v for each direction v: the gradient program differentiated
  /// forward and run once per direction by the interpreter (``Directional``),
  /// as ``Hessian`` runs it.
  static func hessianVectorProducts(
    _ gradient: Program, input: [Double], directions: [[Double]]
  ) -> [[Double]] {
    let program = Optimizer.optimize(
      Tangent.differentiate(gradient), keeping: .hessianVectorProducts)
    return directions.map { v in
      Directional(program, weightedSum: gradient.outputs[0], input: input, v: v, w: []).hv
    }
  }

  /// J·v for each direction v: the forward program differentiated forward.
  static func jacobianVectorProducts(
    _ forward: Program, input: [Double], directions: [[Double]]
  ) -> [[Double]] {
    let program = Optimizer.optimize(
      Tangent.differentiate(forward), keeping: .jacobianVectorProducts)
    return directions.map { v in
      Directional(program, weightedSum: -1, input: input, v: v, w: []).jv
    }
  }

  /// The sum of the unit vectors of each color's columns.
  static func directions(_ colors: [Int], count: Int) -> [[Double]] {
    (0..<count).map { k in colors.map { $0 == k ? 1 : 0 } }
  }

  /// Each entry (i, j) of the pattern read from hv[i] of j's color equals the
  /// dense Hessian's (one sweep per input); each (o, j) of the Jacobian's,
  /// from J·v of j's color, the reverse-mode gradient's.
  static func checkRecovery(
    _ subject: Subject, _ label: String, elementLimit: Int = .max, _ tally: inout Tally
  ) throws {
    let n = subject.layout.numInputs
    let symmetric = Sparsity.symmetric(subject.hessian)
    let (colors, count) = Sparsity.colorColumns(symmetric, columns: n)
    for (symbol, element) in subject.outputElements(limit: elementLimit) {
      let gradient = try subject.gradient(symbol, element)
      let dense = Hessian(gradient: gradient, input: subject.leaves, structure: nil)
      let hv = Self.hessianVectorProducts(
        gradient, input: subject.leaves, directions: Self.directions(colors, count: count))
      for (i, row) in symmetric.enumerated() {
        for j in row {
          let (swept, expected) = (hv[colors[j]][i], dense.entries[i * n + j])
          tally.recovered += 1
          guard !close(swept, expected, 1e-12) else { continue }
          tally.violations.append(
            "\(label): ∂²\(dense.name)/∂in[\(i)]∂in[\(j)] = \(swept) from color \(colors[j]), \(expected) alone"
          )
        }
      }
    }

    let forward = try #require(subject.compilation.forward)
    let (columns, sweeps) = Sparsity.colorColumns(subject.jacobian, columns: n)
    let jv = Self.jacobianVectorProducts(
      forward, input: subject.leaves, directions: Self.directions(columns, count: sweeps))
    let reverse = Evaluation(
      program: Optimizer.optimize(subject.program, keeping: .outputsAndLeafGradients),
      input: subject.leaves)
    for (o, output) in subject.layout.outputs.enumerated() {
      for e in 0..<output.size {
        let row = subject.layout.output(o, element: e)
        for j in subject.jacobian[row] {
          guard let l = subject.layout.leaf(containing: j) else { continue }
          let leaf = subject.layout.leaves[l]
          let expected =
            reverse.gradientElements[o][leaf.symbol][e * leaf.size + j - leaf.offset]
          tally.recovered += 1
          guard !close(jv[columns[j]][row], expected, 1e-12) else { continue }
          tally.violations.append(
            "\(label): ∂\(output.elementName(e))/∂in[\(j)] = \(jv[columns[j]][row]) from color \(columns[j]), \(expected) in reverse"
          )
        }
      }
    }
  }

  @Test func entriesRecoveredFromOneSweepPerColor() throws {
    var tally = Tally()
    let hs071 = """
      x1 = 1.1; x2 = 4.7; x3 = 3.8; x4 = 1.4
      f = x1 * x4 * (x1 + x2 + x3) + x3
      g1 = x1 * x2 * x3 * x4
      g2 = x1^2 + x2^2 + x3^2 + x4^2
      output f, g1, g2
      """
    let chain = "input x[8] = [1, 3, 2, 5, 4, 8, 6, 7]\nL = sum(i, (x[i + 1] - x[i])^2)\noutput L"
    try Self.checkRecovery(Subject(hs071), "hs071", &tally)
    try Self.checkRecovery(Subject(chain), "chain", &tally)
    for name in ["conv", "softmax", "least_squares", "mazur_array", "hinge"] {
      let subject = try Subject(String(decoding: Paths.sample(name).bytes, as: UTF8.self))
      try Self.checkRecovery(subject, name, &tally)
    }
    for seed: UInt64 in 1...6 {
      var generator = ArrayProgramGenerator(seed: seed)
      let source = generator.program().source
      try Self.checkRecovery(
        Subject(source), "array seed \(seed):\n\(source)", elementLimit: 4, &tally)
    }
    Self.expectNone(tally)
    #expect(tally.recovered > 500, "\(tally)")
  }
}
