import Foundation
import Testing

@testable import BackpropCore

/// Generated array programs (``ArrayProgramGenerator``), each computed five
/// ways: the interpreter running the loops; the same program unrolled by the
/// test into one scalar statement per element and run by the scalar compiler
/// (to 1e-12 relative); the generated C and the generated Swift, whose
/// outputs, forward and gradient must equal the interpreter's bit for bit
/// (SPEC §6.3: one fold order everywhere); and finite differences.
///
/// `swift test` runs `BACKPROPC_ARRAY_DIFFERENTIAL_COUNT` programs (default
/// 200) from `BACKPROPC_ARRAY_DIFFERENTIAL_SEED` (default 1), in batches of
/// 100 (one `cc` and one `swiftc` call each); the large run is
/// `Scripts/differential.sh --arrays 10000 5` (Swift for one batch in 5).
@Suite(.serialized) struct ArrayDifferentialTests {
  static let environment = ProcessInfo.processInfo.environment
  static let count = Int(environment["BACKPROPC_ARRAY_DIFFERENTIAL_COUNT"] ?? "") ?? 200
  static let firstSeed = UInt64(environment["BACKPROPC_ARRAY_DIFFERENTIAL_SEED"] ?? "") ?? 1
  static let batchSize = 100
  /// Compile the Swift of one batch in this many (swiftc is the slow part:
  /// about 0.8 s a program at -Onone on two cores). Every batch by default.
  static let swiftEvery = max(
    1, Int(environment["BACKPROPC_ARRAY_DIFFERENTIAL_SWIFT_EVERY"] ?? "") ?? 1)
  /// Set to keep the generated C and Swift of each batch for reading
  /// (the test prints nothing of where; Paths.scratch does).
  static let keep = environment["BACKPROPC_ARRAY_DIFFERENTIAL_KEEP"] != nil
  /// An unrolled program longer than this is regenerated: its text grows
  /// with the elements, and a few huge ones would dominate the run.
  static let unrolledLimit = 200_000

  struct Case {
    var seed: UInt64
    /// The generated tree (nil for a program written by hand).
    var program: ArrayProgram?
    var source: String
    /// Differentiated, not optimised.
    var compiled: Program
    var request: EmitRequest
    var leaves: [Double]
    /// The interpreter's, in the flat layout of SPEC §6.5.
    var outputs: [Double]
    var gradient: [Double]
    var cSource: String
    /// Exercise the `_work` entry points instead of the stack ones: for odd
    /// seeds, and where the intermediates exceed the stack budget (SPEC §6.5:
    /// then only the `_work` forms exist).
    var work: Bool {
      seed % 2 == 1
        || !cSource.contains("void \(Naming.cPrefix(request.prefix))_gradient(const double *in")
    }
  }

  struct Tally {
    var programs = 0, statements = 0, loops = 0, elements = 0, partials = 0, regenerated = 0
    var unrolledStatements = 0, swiftPrograms = 0, finiteDifferenceChecked = 0, nearKinkSkipped = 0,
      split = 0, hessianEntries = 0
    var reductions = 0, logsumexps = 0, diagonals = 0, transposes = 0, constants = 0, broadcasts = 0
    var affine = 0, startingAbove0 = 0, indexValues = 0
    var disagreements: [String] = []
    /// Seconds in the compiler and interpreter, finite differences, cc and the C run, swiftc and the Swift run.
    var seconds = (inProcess: 0.0, finiteDifferences: 0.0, c: 0.0, swift: 0.0)
  }

  @Test func generatedArrayProgramsAgreeOnEveryPath() throws {
    var tally = Tally()
    var next = 0
    while next < Self.count {
      let size = min(Self.batchSize, Self.count - next)
      try Self.runBatch(from: next, count: size, &tally)
      next += size
    }
    print(
      """
      array differential: \(tally.programs) programs (\(tally.statements) statements, \(tally.loops) loop \
      nests, \(tally.elements) elements; \(tally.reductions) sums and \(tally.logsumexps) logsumexps; reads with \
      a repeated index \(tally.diagonals), transposed \(tally.transposes), a constant subscript \
      \(tally.constants), a broadcast scalar \(tally.broadcasts), an affine subscript \(tally.affine); \
      \(tally.startingAbove0) reduction indices starting above 0, \(tally.indexValues) indices as values; \
      \(tally.regenerated) regenerated for \
      non-finite, huge or too-long values), \(tally.partials) partials: interpreter = C (\(tally.swiftPrograms) programs = Swift too; \(tally.split) split into parts) bit for bit, \
      = the unrolled scalar program (\(tally.unrolledStatements) statements) to 1e-12; \
      \(tally.finiteDifferenceChecked) against finite differences (\(tally.nearKinkSkipped) skipped: a kink or switch \
      within reach of the step), with the first output's Hessian (\(tally.hessianEntries) entries, SPEC §8) against \
      differences of its gradient; \(tally.disagreements.count) disagreements; seconds: interpreter and \
      unrolling \(Int(tally.seconds.inProcess)), finite differences \(Int(tally.seconds.finiteDifferences)), \
      C \(Int(tally.seconds.c)), Swift \(Int(tally.seconds.swift))
      """)
    #expect(
      tally.disagreements.isEmpty, "\(tally.disagreements.prefix(5).joined(separator: "\n\n"))")
    #expect(tally.programs == Self.count)
    // The new access patterns were there to be checked (SPEC §7.1, §7.2).
    #expect(tally.affine > 0 && tally.startingAbove0 > 0 && tally.indexValues > 0)
    #expect(tally.hessianEntries > 0)
  }

  /// What the first runs found, written small: each gave C or Swift that did
  /// not compile or differed from the interpreter. Every one through both
  /// paths, stack and `_work` entry points alike.
  static let regressions = [
    // A zeroed adjoint fused under a diagonal's loop: the fill's inner loop
    // shadowed the shared `j` and zeroed the diagonal already summed.
    "param a[2, 2] = [[0.5, -0.3], [0.2, 0.7]]\nv1 = sum(j, (max(relu(a[j, j]), a[j, j]))^3)\nv4[k] = a[0, k] * 2\noutput v1, v4\n",
    // A dead statement that reads a scalar output stored the output again
    // from its loops, which then stayed, empty (Swift warns).
    "input a[3, 2] = -0.7\nv0 = a[2, 1] * a[0, 0]\nv1[i, j] = v0 * a[i, j]\nv2 = v0 + 1\noutput v0, v2\n",
    // A scalar output read in a later loop: its adjoint's accumulator was `var … = 0`, an Int in Swift.
    "input a[2] = [0.3, 0.4]\nv5 = sum(i, a[i])\nv6[j] = v5 * a[j]\nv7 = sum(j, v6[j] * v5)\noutput v5, v7\n",
    // gcc 12 -O2 dropped the call to a `_work` entry point whose loops read a
    // diagonal (IPA judged it to write nothing): the stack `forward` returned zeros.
    "input a[3, 3, 1] = -0.145\nv0[i, m, k] = max(0.75, a[i, i, k]) * a[m, i, k]\noutput v0\n",
    // A two-index sum and logsumexp, nested as SPEC §6.3 defines them (they were folded flat).
    "input a[2, 3] = [[0.1, 0.7, -3], [-2, 1, 2]]\ns = sum(i, j, a[i, j] * a[i, j])\nt = logsumexp(j, i, a[i, j] * 2)\noutput s, t\n",
    // Indices as values (SPEC §7.5) in short loops: gcc unrolled them and
    // folded tan, asin and atan of the constants with correctly rounded
    // results, a unit in the last place from the C library's at run time
    // (seeds 20001060709, 20001061080, 20001061560 of a 2,000-program run).
    "param a0[1, 2, 4] = xavier\nparam a1 = -0.401\nparam a2[1, 1] = normal(0.25, 0.5)\nv0[i] = logsumexp(k, (where(a2[0, 0] - a1 != 1.25, (a2[0, 0] - a1)^2, 1.25) + a2[k - 1, 0]) * a0[0, k, i]) * 0.5\nv1[m] = sum(j, n, (asin(0.9 * tanh((n - 1) / 2 * 1.75))) * a0[j, n, 3]) + a2[m, m]\noutput v0, v1\n",
    "input a0[4] = [0.479, -0.816, -0.321, -1.3]\ninput a1[2, 2] = -1.379\ninput a2[4, 2] = 0.611\na3 = [-0.784, 0.783, -1.165, 0.769]\nv0[i, p] = sqrt(0.5 + (sum(l, (p - 1) / 2 + a1[l, i]))^2) + a0[p]\nv1[m] = cosh(tanh(pow(1.2 + (v0[m, 3])^2, tanh(a3[m + 1]))))\nv4[j, l, k] = tan(0.7 * tanh(log(1.1 + ((l - 1) / 2)^2))) + v0[j, 1] + v1[l] + v1[k]\noutput v4\n",
    "param a0[1, 2, 2] = uniform(-0.5, 0.5); param a1 = -0.693; param a2 = 0.35; v0[l] = acos(0.9 * tanh((sum(n, a2 + a0[n, 1, l]) * a2)^2)); v1[n, j] = sin(logsumexp(l, m, (pow(1.2 + (where(v0[j] > 0, sqrt(v0[j]), 1 - v0[j]))^2, tanh(atan((l - 1) / 2))) + a0[l, j, j]) * a0[m, 1, l + n])) + a0[n, j, j]; v2[n, k, i] = ((min((a2) / (1.5 + (a2)^2), sum(p, (v1[0, 0]) * v1[p, 1])) + v1[n, 0]) * v1[k, 1]) * a0[i, 1, 1]; v3[n] = tanh(sum(i, sum(k, a2 + v2[n, k, k]) + a0[i, i + 1, 1])); output v3, v1\n",
    // A `where` whose untaken branch's guarded adjoint folds to a select of
    // two literals, declared alone: Swift made `c ? 0 : -1` an Int (seed
    // 30001090005 of a 1,000-program run).
    "input a0[2, 2] = [[0.953, -1.127], [-1.186, -0.455]]\nv0 = cos(a0[1, 1] * a0[1, 0]) + log(1.1 + (sigmoid(a0[1, 1]))^2)\nv1 = where(sum(p, k, logsumexp(l, ((softplus(v0)) * a0[l - 1, p]) * a0[l, l]) + a0[k, p]) > 0, sqrt(sum(p, k, logsumexp(l, ((softplus(v0)) * a0[l - 1, p]) * a0[l, l]) + a0[k, p])), 1 - sum(p, k, logsumexp(l, ((softplus(v0)) * a0[l - 1, p]) * a0[l, l]) + a0[k, p]))\noutput v1, v0\n",
    // A six-term flat index: Swift's type checker gave up on the line.
    "param a[2, 2, 2] = uniform(-1, 1)\nv[i, j, k] = sigmoid(a[k, j, i]) * (1 - sigmoid(a[i, i, k]))\noutput v\n",
  ]

  @Test func programsThatOnceDisagreedAgree() throws {
    var cases: [Case] = []
    for (k, source) in Self.regressions.enumerated() {
      for seed in [UInt64(2 * k), UInt64(2 * k + 1)] {  // even: stack entry points; odd: `_work`
        switch Self.makeCase(seed: seed, source: source, program: nil) {
        case .valid(let c, _): cases.append(c)
        case .regenerate: Issue.record("regression \(k) has non-finite values")
        case .disagreement(let message): Issue.record("\(message)")
        }
      }
    }
    var tally = Tally()
    try Self.compareNative(cases, swift: true, &tally)
    #expect(tally.disagreements.isEmpty, "\(tally.disagreements.joined(separator: "\n\n"))")
  }

  /// ∂O/∂V is the total derivative for every named V (SPEC §2, §6.4), by
  /// hand: a statement without loops between kernels with loops once
  /// reported ∂E/∂E = 0, and an intermediate used both in its own kernel and
  /// by a later one only the later use.
  @Test func everyNamedAdjointIsTheTotalDerivative() throws {
    // E = 2·x[0] beside an array output: ∂E/∂E = 1, ∂y/∂y the identity.
    let beside = try Compilation.valid(
      "input x[2] = [1.5, -0.5]\nE = x[0] * 2\ny[i] = x[i] * 2\noutput E, y\n"
    ).0.evaluation()
    #expect(beside.derivative("E", "E") == 1)
    #expect(beside.gradientElements[1][2] == [1, 0, 0, 1])
    // y = 2·sum + Σ_i x[i]·lse with lse = 2·sum: ∂y/∂sum = 2 + 2·(x[0] + x[1]) = 8,
    // ∂y/∂lse = x[0] + x[1] = 3, ∂y/∂x[i] = lse + ∂y/∂sum = 6 + 8 = 14.
    let twice = try Compilation.valid(
      """
      input x[2] = [1, 2]
      sum = x[0] + x[1]
      logsumexp = sum * 2
      y = sum * 2 + sum(i, x[i] * logsumexp)
      """
    ).0.evaluation()
    #expect(twice.derivative("y", "sum") == 8)
    #expect(twice.derivative("y", "logsumexp") == 3)
    #expect(twice.gradientElements[0][0] == [14, 14])
    // A scalar output over an array, `output` naming it, an unused statement after.
    let named = try Compilation.valid(
      """
      input x[3] = [1, 2, 3]
      h[i] = x[i] * x[i]
      E = sum(i, h[i])
      F = E * 3
      g[i] = x[i] + 1
      output E
      """
    ).0.evaluation()
    #expect(named.derivative("E", "E") == 1)
    #expect(named.derivative("E", "F") == 0)
    #expect(named.gradientElements[0][1] == [1, 1, 1])
    #expect(named.gradientElements[0][0] == [2, 4, 6])
  }

  /// `sum(i, j, e)` is `sum(i, sum(j, e))` and `logsumexp(i, j, e)` is
  /// `logsumexp(i, logsumexp(j, e))`, to the bit (SPEC §6.3): 1e16 + 1 rounds
  /// to 1e16 in each row, so the nested fold gives 0 where a flat one gives 1.
  @Test func multiIndexReductionsFoldAsTheirNest() throws {
    let (compilation, _) = try Compilation.valid(
      """
      input a[2, 2] = [[1e16, 1], [-1e16, 1]], b[3, 2] = [[0.3, -1.7], [2.5, 0.25], [-0.6, 1.1]]
      s = sum(i, j, a[i, j])
      t = sum(i, sum(j, a[i, j]))
      u = logsumexp(i, j, b[i, j] * 3)
      v = logsumexp(i, logsumexp(j, b[i, j] * 3))
      output s, t, u, v
      """)
    let evaluation = try compilation.evaluation()
    #expect(evaluation.value("s") == 0)
    #expect(evaluation.value("t") == 0)
    let (u, v) = (try #require(evaluation.value("u")), try #require(evaluation.value("v")))
    #expect(u.bitPattern == v.bitPattern)
    let (du, dv) = (
      try #require(evaluation.derivative("u", "b")), try #require(evaluation.derivative("v", "b"))
    )
    #expect(du.bitPattern == dv.bitPattern)
  }

  /// Outputs and gradient of an evaluation in the flat layout of SPEC §6.5:
  /// `out` output by output, `grad[o * NUM_INPUTS + i]`.
  static func flat(_ evaluation: Evaluation) -> (outputs: [Double], gradient: [Double]) {
    let layout = evaluation.layout
    var outputs: [Double] = []
    var gradient: [Double] = []
    for (o, output) in layout.outputs.enumerated() {
      outputs += evaluation.elements[output.symbol]
      for e in 0..<output.size {
        for leaf in layout.leaves {
          gradient +=
            evaluation.gradientElements[o][leaf.symbol][(e * leaf.size)..<((e + 1) * leaf.size)]
        }
      }
    }
    return (outputs, gradient)
  }

  enum Outcome {
    case valid(Case, unrolledStatements: Int)
    /// Values that mean little to compare (non-finite, 1e6 or more), or an
    /// unrolled program too long to be worth it: try another seed.
    case regenerate
    case disagreement(String)
  }

  static func makeCase(seed: UInt64) -> Outcome {
    var generator = ArrayProgramGenerator(seed: seed)
    let program = generator.program()
    return makeCase(seed: seed, source: program.source, program: program)
  }

  /// A case from its source; compared with its unrolled form when `program` is given.
  static func makeCase(seed: UInt64, source: String, program: ArrayProgram?) -> Outcome {
    let file = SourceFile(name: "a\(seed).bp", text: source)
    let compilation = Compilation(file)
    var diagnostics = DiagnosticList()
    guard let compiled = compilation.program,
      let leaves = compilation.leafValues([:], into: &diagnostics)
    else {
      let rendered = compilation.diagnostics.rendered(in: file) + diagnostics.rendered(in: file)
      return .disagreement(
        "seed \(seed): the generated program does not compile:\n\(source)\n\(rendered)")
    }
    let evaluation = Evaluation(
      program: Optimizer.optimize(compiled, keeping: .outputsAndLeafGradients), input: leaves)
    let (outputs, gradient) = flat(evaluation)
    guard (outputs + gradient).allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else {
      return .regenerate
    }
    // Nor do huge intermediates: cos(2e7) turns over every 3e-7, faster than
    // any finite-difference step resolves (seed 1005223: the gradient was
    // right to 1e-9 against 50-digit arithmetic, the differences said 0).
    let named = Evaluation(
      program: Optimizer.optimize(compiled, keeping: .everything), input: leaves)
    guard named.elements.allSatisfy({ $0.allSatisfy { $0.isFinite && abs($0) < 1e6 } }) else {
      return .regenerate
    }

    var request = EmitRequest(optimizing: compiled, file: file, prefix: "a\(seed)")
    // Half the programs are printed as parts of 1 to 8 statements (whatever
    // the entry points): split code must compute what whole code computes.
    if seed / 2 % 2 == 1 { request.maxFunctionSize = 1 + Int(seed / 4 % 8) }
    let c = Case(
      seed: seed, program: program, source: source, compiled: compiled, request: request,
      leaves: leaves, outputs: outputs, gradient: gradient,
      cSource: CEmitter.emit(request, headerName: nil).source)
    guard let program else { return .valid(c, unrolledStatements: 0) }
    let unrolled = program.unrolled(leafValues: leaves)
    guard unrolled.utf8.count <= unrolledLimit else { return .regenerate }
    let scalarFile = SourceFile(name: "u\(seed).bp", text: unrolled)
    let scalar = Compilation(scalarFile)
    var scalarDiagnostics = DiagnosticList()
    guard let scalarProgram = scalar.program,
      let scalarLeaves = scalar.leafValues([:], into: &scalarDiagnostics),
      scalarLeaves == leaves
    else {
      let rendered =
        scalar.diagnostics.rendered(in: scalarFile) + scalarDiagnostics.rendered(in: scalarFile)
      return .disagreement(
        "seed \(seed): the unrolled program does not compile to the same leaves:\n\(source)\n\(rendered.prefix(2000))"
      )
    }
    let reference = flat(
      Evaluation(
        program: Optimizer.optimize(scalarProgram, keeping: .outputsAndLeafGradients), input: leaves
      ))
    func agree(_ a: [Double], _ b: [Double]) -> Bool {
      a.count == b.count && zip(a, b).allSatisfy { close($0, $1, 1e-12) }
    }
    guard agree(outputs, reference.outputs), agree(gradient, reference.gradient) else {
      let o = zip(outputs, reference.outputs).enumerated().first {
        !close($0.element.0, $0.element.1, 1e-12)
      }
      let g = zip(gradient, reference.gradient).enumerated().first {
        !close($0.element.0, $0.element.1, 1e-12)
      }
      return .disagreement(
        """
        seed \(seed): the loops and the unrolled program differ (counts \(outputs.count)/\(reference.outputs.count) \
        outputs, \(gradient.count)/\(reference.gradient.count) partials; first output \(o.map { "\($0)" } ?? "-"), \
        first partial \(g.map { "\($0)" } ?? "-")):
        \(source)
        """)
    }
    // Every named variable's adjoint (SPEC §2, §6.4: leaves, intermediates,
    // the outputs, ∂O/∂O), as `eval --json` reports it, element by element.
    let twin = Evaluation(
      program: Optimizer.optimize(scalarProgram, keeping: .everything), input: leaves)
    if let mismatch = firstAdjointMismatch(named, twin) {
      return .disagreement(
        "seed \(seed): \(mismatch) (the loops against the unrolled program):\n\(source)")
    }
    return .valid(c, unrolledStatements: scalarProgram.symbols.count - scalarProgram.leafCount)
  }

  /// The first ∂O/∂V, over every output element O and every element V of
  /// every named variable, where the array program and its unrolled twin
  /// (one scalar per element, `W_1_0`) disagree beyond 1e-12.
  static func firstAdjointMismatch(_ loops: Evaluation, _ unrolled: Evaluation) -> String? {
    let program = loops.program
    let twin = unrolled.program
    let symbolOf = Dictionary(
      twin.symbols.indices.map { (twin.symbols[$0].name, $0) }, uniquingKeysWith: { a, _ in a })
    let outputOf = Dictionary(
      twin.outputs.indices.map { (twin.symbols[twin.outputs[$0]].name, $0) },
      uniquingKeysWith: { a, _ in a })
    for (o, output) in program.outputs.enumerated() {
      let outputPoints = ArrayProgram.points(program.symbols[output].shape)
      for (e, outputPoint) in outputPoints.enumerated() {
        let outputName = ArrayProgram.elementName(program.symbols[output].name, outputPoint)
        guard let twinOutput = outputOf[outputName] else {
          return "the unrolled program has no output \(outputName)"
        }
        for (s, symbol) in program.symbols.enumerated() {
          let points = ArrayProgram.points(symbol.shape)
          for (f, point) in points.enumerated() {
            let name = ArrayProgram.elementName(symbol.name, point)
            guard let twinSymbol = symbolOf[name] else {
              return "the unrolled program has no \(name)"
            }
            let got = loops.gradientElements[o][s][e * points.count + f]
            let expected = unrolled.gradientElements[twinOutput][twinSymbol][0]
            if !(close(got, expected, 1e-12) || got == expected) {
              return "∂\(outputName)/∂\(name) is \(got), the unrolled program's \(expected)"
            }
          }
        }
      }
    }
    return nil
  }

  static func runBatch(from start: Int, count: Int, _ tally: inout Tally) throws {
    var clock = Date()
    func lap() -> Double {
      defer { clock = Date() }
      return Date().timeIntervalSince(clock)
    }
    var cases: [Case] = []
    for k in start..<(start + count) {
      var attempt: UInt64 = 0
      generating: while true {
        let seed = (firstSeed &* 1_000_003 &+ UInt64(k)) &+ attempt &* 0x1_0000_0000
        switch makeCase(seed: seed) {
        case .valid(let c, let unrolledStatements):
          cases.append(c)
          tally.unrolledStatements += unrolledStatements
          break generating
        case .regenerate:
          attempt += 1
          tally.regenerated += 1
          try #require(attempt < 50, "program \(k) keeps overflowing")
        case .disagreement(let message):
          tally.disagreements.append(message)
          break generating
        }
      }
    }
    tally.seconds.inProcess += lap()
    for c in cases {
      tally.programs += 1
      if c.cSource.contains("BP_PART void") { tally.split += 1 }
      tallyPatterns(c, &tally)
      compareWithFiniteDifferences(c, &tally)
    }
    tally.programs += count - cases.count
    tally.seconds.finiteDifferences += lap()
    guard !cases.isEmpty else { return }
    try compareNative(cases, swift: (start / batchSize) % swiftEvery == 0, &tally)
  }

  /// The C (and Swift) of each case against its interpreter's numbers, bit for bit.
  static func compareNative(_ cases: [Case], swift: Bool, _ tally: inout Tally) throws {
    var clock = Date()
    func lap() -> Double {
      defer { clock = Date() }
      return Date().timeIntervalSince(clock)
    }
    let c = try compileAndRunC(cases)
    tally.seconds.c += lap()
    var native = [("C", c)]
    if swift {
      native.append(("Swift", try compileAndRunSwift(cases)))
      tally.swiftPrograms += cases.count
      tally.seconds.swift += lap()
    }
    for c in cases {
      for (path, runs) in native {
        guard let run = runs["a\(c.seed)"] else {
          tally.disagreements.append("seed \(c.seed): \(path) printed nothing")
          continue
        }
        for (what, got, expected) in [
          ("forward", run.forward, c.outputs), ("outputs", run.outputs, c.outputs),
          ("gradient", run.gradient, c.gradient),
        ] where !sameBits(got, expected) {
          let k =
            zip(got, expected).enumerated().first {
              $0.element.0.bitPattern != $0.element.1.bitPattern
            }?.offset
            ?? min(got.count, expected.count)
          tally.disagreements.append(
            """
            seed \(c.seed): \(path)'s \(what) differs from the interpreter's at element \(k) \
            (\(k < got.count ? "\(got[k])" : "missing") vs \(k < expected.count ? "\(expected[k])" : "missing"))\
            \(c.work ? ", through the _work entry points" : ""):
            \(c.source)
            """)
        }
      }
    }
  }

  static func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
  }

  /// What the programs exercised, so the summary shows the access patterns
  /// were there.
  static func tallyPatterns(_ c: Case, _ tally: inout Tally) {
    guard let program = c.program else { return }
    tally.statements += program.statements.count
    tally.loops += program.statements.filter { !$0.left.isEmpty }.count
    tally.elements +=
      c.leaves.count + program.statements.reduce(0) { $0 + $1.left.reduce(1) { $0 * $1.extent } }
    tally.partials += c.gradient.count
    let scalars = Set(
      program.leaves.filter(\.shape.isEmpty).map(\.name)
        + program.statements.filter(\.left.isEmpty).map(\.name))
    func walk(_ e: ArrayProgram.Expression, left: [String], inLoops: Bool) {
      switch e {
      case .number: break
      case .indexValue: tally.indexValues += 1
      case .reference(let name, let subscripts):
        let indices = subscripts.compactMap { s -> String? in
          if case .index(let i) = s { i } else { nil }
        }
        if Set(indices).count < indices.count { tally.diagonals += 1 }
        if indices.count == subscripts.count, indices.count > 1, left.count > 1, indices != left,
          Set(indices) == Set(left)
        {
          tally.transposes += 1
        }
        if subscripts.contains(where: { if case .constant = $0 { true } else { false } }) {
          tally.constants += 1
        }
        if subscripts.contains(where: { if case .affine = $0 { true } else { false } }) {
          tally.affine += 1
        }
        if scalars.contains(name), inLoops { tally.broadcasts += 1 }
      case .apply(_, let operands):
        for operand in operands { walk(operand, left: left, inLoops: inLoops) }
      case .reduction(let logsumexp, let indices, let body):
        if logsumexp { tally.logsumexps += 1 } else { tally.reductions += 1 }
        tally.startingAbove0 += indices.filter { $0.lower > 0 }.count
        walk(body, left: left + indices.map(\.name), inLoops: true)
      }
    }
    for statement in program.statements {
      walk(statement.body, left: statement.left.map(\.name), inLoops: !statement.left.isEmpty)
    }
  }

  /// As in the scalar suite: skipped where a kink (relu, abs, min, max) or
  /// a `where`'s switch lies within reach of the step, at any point of any loop.
  static func compareWithFiniteDifferences(_ c: Case, _ tally: inout Tally) {
    let optimized = Optimizer.optimize(c.compiled, keeping: .everything)
    var nearKink = false
    let machine = Interpreter.Machine(optimized)
    var workspace = machine.makeWorkspace(input: c.leaves)
    machine.run(&workspace) { k, values, _ in
      for instruction in optimized.kernels[k].instructions {
        guard case .call(let builtin) = instruction.op,
          builtin.spec.kink != nil || builtin.comparison != nil
        else { continue }
        let x = values[instruction.lhs.int]
        let y = instruction.rhs == .none ? 0 : values[instruction.rhs.int]
        if abs(x - y) < 1e-3 { nearKink = true }
      }
    }
    if nearKink {
      tally.nearKinkSkipped += 1
      return
    }
    tally.finiteDifferenceChecked += 1
    let numeric = GradientCheck.numericDerivatives(c.compiled, at: c.leaves)
    let scale = c.outputs.map(abs).max() ?? 1
    let n = c.leaves.count
    for (o, row) in numeric.enumerated() {
      for (i, fd) in row.enumerated() {
        let analytic = c.gradient[o * n + i]
        let tolerance = 1e-6 * max(1, abs(analytic)) + 1e-9 * max(1, scale) + 10 * fd.uncertainty
        if !(abs(analytic - fd.value) <= tolerance) {
          tally.disagreements.append(
            "seed \(c.seed): ∂out[\(o)]/∂in[\(i)] is \(analytic), finite differences say \(fd.value) ± \(fd.uncertainty)\n\(c.source)"
          )
          return
        }
      }
    }
    compareHessianWithFiniteDifferences(c, &tally)
  }

  /// The Hessian of the first output's first element (forward over reverse,
  /// ``Tangent``) against central differences of its analytic gradient,
  /// entry by entry, as `check --hessian` compares them.
  static func compareHessianWithFiniteDifferences(_ c: Case, _ tally: inout Tally) {
    let compilation = Compilation(SourceFile(name: "a\(c.seed).bp", text: c.source))
    guard let program = compilation.program, let output = program.outputs.first,
      let forward = compilation.forward(
        for: output, element: program.symbols[output].shape.map { _ in 0 })
    else { return }
    let gradient = Reverse.differentiate(forward)
    let scalar = gradient.outputs[0]
    // One sweep per group of columns, as `eval --hessian` runs them.
    let hessian = Hessian(forward: forward, gradient: gradient, input: c.leaves)
    let leafGradients = hessian.layout.leaves.map {
      ArrayName.adjoint(output: scalar, of: $0.symbol)
    }
    let numeric = GradientCheck.numericDerivatives(gradient, at: c.leaves, reading: leafGradients)
    let n = c.leaves.count
    let scale = hessian.entries.map(abs).max() ?? 1
    for i in 0..<n {
      for j in 0..<n {
        let analytic = hessian.entries[i * n + j]
        let fd = numeric[i][j]
        let tolerance = 1e-6 * max(1, abs(analytic)) + 1e-9 * max(1, scale) + 10 * fd.uncertainty
        if !(abs(analytic - fd.value) <= tolerance) {
          tally.disagreements.append(
            "seed \(c.seed): ∂²out/∂in[\(i)]∂in[\(j)] is \(analytic), differences of the gradient say \(fd.value) ± \(fd.uncertainty)\n\(c.source)"
          )
          return
        }
      }
    }
    tally.hessianEntries += n * n
  }

  /// One translation unit for the batch, with the strict flags of SPEC §3 and
  /// `-O2`, so the vectorised and jammed loops are the ones compared.
  static func compileAndRunC(_ cases: [Case]) throws -> [String: NativeRun] {
    let cc = try #require(Run.tool("cc", "gcc", "clang"), "no C compiler")
    let dir = Paths.scratch("array-differential-c")
    defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
    var source = "#include <stdio.h>\n"
    var calls = ""
    for c in cases {
      let p = Naming.cPrefix(c.request.prefix)
      let m = p.uppercased()
      source += c.cSource.replacingOccurrences(of: "bp_", with: "\(p)_bp_")
      let gradient =
        c.work
        ? "\(p)_forward_work(in, out, work); show(\"\(p)\", \"forward\", out, \(m)_NUM_OUTPUTS);\n"
          + "        \(p)_gradient_work(in, out, grad, work);"
        : "\(p)_forward(in, out); show(\"\(p)\", \"forward\", out, \(m)_NUM_OUTPUTS);\n"
          + "        \(p)_gradient(in, out, grad);"
      calls += """
            {
                static double in[\(m)_NUM_INPUTS], out[\(m)_NUM_OUTPUTS], grad[\(m)_NUM_OUTPUTS * \(m)_NUM_INPUTS];
                static double work[\(m)_WORK_SIZE];
                (void)work;
                \(p)_fill_defaults(in);
                \(gradient)
                show("\(p)", "outputs", out, \(m)_NUM_OUTPUTS);
                show("\(p)", "gradient", grad, \(m)_NUM_OUTPUTS * \(m)_NUM_INPUTS);
            }

        """
    }
    source += """

      static void show(const char *name, const char *kind, const double *values, int count)
      {
          int i;
          for (i = 0; i < count; i++) printf("%s %s %a\\n", name, kind, values[i]);
      }

      int main(void)
      {
      \(calls)    return 0;
      }

      """
    try Data(source.utf8).write(to: dir.appendingPathComponent("all.c"))
    let compile = try Run.process(
      cc, CompiledSamples.cFlags + ["-o", "run", "all.c", "-lm"], directory: dir)
    try #require(compile.status == 0, "cc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("run").path, [], directory: dir)
    try #require(run.status == 0, "the C program failed: \(run.stderr)")
    return NativeRun.parse(run.stdout)
  }

  static func compileAndRunSwift(_ cases: [Case]) throws -> [String: NativeRun] {
    let swiftc = try #require(Run.tool("swiftc"), "no swiftc")
    let dir = Paths.scratch("array-differential-swift")
    defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
    var main =
      "func emit(_ name: String, _ kind: String, _ values: [Double]) { for v in values { print(\"\\(name) \\(kind) \\(v)\") } }\n"
    var chunks = [String](repeating: "", count: 4)
    for (k, c) in cases.enumerated() {
      if keep { try Data(c.source.utf8).write(to: dir.appendingPathComponent("a\(c.seed).bp")) }
      chunks[k % chunks.count] += SwiftEmitter.emit(c.request).replacingOccurrences(
        of: "import Foundation\n", with: "")
      let type = Naming.swiftTypeName(c.request.prefix)
      let work = c.work ? ", work: &work" : ""
      let workspace =
        c.work
        ? "var work = [Double](repeating: 0, count: \(type).workSize)" : "// the stack entry points"
      main += """
        do {
            var input = [Double](repeating: 0, count: \(type).numInputs)
            \(type).fillDefaults(&input)
            var output = [Double](repeating: 0, count: \(type).numOutputs)
            var gradient = [Double](repeating: 0, count: \(type).numOutputs * \(type).numInputs)
            \(workspace)
            \(type).forward(input, &output\(work))
            emit("a\(c.seed)", "forward", output)
            \(type).gradient(input, &output, &gradient\(work))
            emit("a\(c.seed)", "outputs", output)
            emit("a\(c.seed)", "gradient", gradient)
        }

        """
    }
    var files: [String] = []
    for (k, chunk) in chunks.enumerated() where !chunk.isEmpty {
      try Data(("import Foundation\n" + chunk).utf8).write(
        to: dir.appendingPathComponent("chunk\(k).swift"))
      files.append("chunk\(k).swift")
    }
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.swift"))
    let compile = try Run.process(
      swiftc,
      [
        "-Onone", "-j2", "-warnings-as-errors", "-module-name", "Generated", "-o", "run",
        "main.swift",
      ] + files,
      directory: dir)
    try #require(compile.status == 0, "swiftc failed:\n\(compile.stderr.prefix(3000))")
    let run = try Run.process(dir.appendingPathComponent("run").path, [], directory: dir)
    try #require(run.status == 0, "the Swift program failed: \(run.stderr)")
    return NativeRun.parse(run.stdout)
  }
}
