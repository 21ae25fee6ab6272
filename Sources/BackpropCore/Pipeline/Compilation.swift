/// The front of the pipeline, run once: parse, check, lower, differentiate.
/// Each consumer (an emitter, `eval`) then optimises for the roots it needs.
public struct Compilation: Sendable {
  public let file: SourceFile
  public private(set) var diagnostics = DiagnosticList()
  public private(set) var tree = SyntaxTree()
  /// The checked program; meaningful only when there are no errors.
  private(set) var checked: CheckedProgram?
  /// The forward program, before differentiation.
  private(set) var forward: Program?
  /// The differentiated program, unoptimised; nil when the source has errors.
  public private(set) var program: Program?

  public init(_ file: SourceFile) {
    self.file = file
    tree = Parser.parse(file, into: &diagnostics)
    let checked = Checker.check(tree, into: &diagnostics)
    guard !diagnostics.hasErrors else { return }
    self.checked = checked
    let forward = Lowering.lower(checked)
    self.forward = forward
    program = Reverse.differentiate(forward)
  }

  /// The program differentiated for one symbol as its only output (`explain
  /// --output`, `train --loss`), which need not be one of the outputs.
  func program(differentiating symbol: Int) -> Program? {
    guard let forward else { return nil }
    if forward.outputs == [symbol], let program { return program }
    return Reverse.differentiate(Lowering.withOutputs([symbol], of: forward))
  }

  /// The program differentiated for one element of an array (`o[1]` of
  /// `explain --output`, `train --loss`): a scalar named after the element,
  /// appended to the program, is its only output.
  func program(differentiating symbol: Int, element: [Int]) -> Program? {
    guard !element.isEmpty else { return program(differentiating: symbol) }
    return forward(for: symbol, element: element).map { Reverse.differentiate($0) }
  }

  /// The forward program with one scalar as its only output: `symbol`, or
  /// its `element`, a scalar named after the element appended to the program.
  func forward(for symbol: Int, element: [Int]) -> Program? {
    guard var forward else { return nil }
    guard !element.isEmpty else { return Lowering.withOutputs([symbol], of: forward) }
    let source = forward.symbols[symbol]
    var scalar = Symbol(name: Layout.elementName(source.name, element), range: source.range)
    scalar.shape = []
    forward.symbols.append(scalar)
    let s = forward.symbols.count - 1
    var b = Builder(Kernel())
    b.owner = Int32(s)
    b.range = source.range
    let value = b.emit(.copy, b.load(Access(.variable(symbol), element.map { .constant($0) })))
    b.kernel.instructions[value.int].name = .variable(s)
    b.store(Access(.variable(s)), value)
    forward.kernels.append(b.kernel)
    return Lowering.withOutputs([s], of: forward)
  }

  /// A symbol's index by name.
  func symbol(named name: String) -> Int? {
    forward?.symbols.firstIndex { $0.name == name }
  }

  init(name: String = "<input>", source: String) {
    self.init(SourceFile(name: name, text: source))
  }

  /// SPEC §6.4: a command that computes the gradient first checks that
  /// Σ_O size(O) × Σ_V size(V) ≤ 2²⁶ over the outputs and every named
  /// variable; more is an error at the output that crosses it.
  public func checkGradientSize(into diagnostics: inout DiagnosticList) {
    guard let program else { return }
    let variables = program.symbols.reduce(0) { $0 + $1.size }
    var total = 0
    for output in program.outputs {
      total += program.symbols[output].size * variables
      if total > Checker.programLimit {
        diagnostics.error(
          .gradientTooLarge(program.symbols[output].name, elements: String(total)),
          at: program.symbols[output].range)
        return
      }
    }
  }

  /// Evaluates values and every gradient, and warns where a non-finite value
  /// first arose and where a function was evaluated exactly at its kink.
  public func evaluate(_ leaves: [Double], into diagnostics: inout DiagnosticList) -> Evaluation? {
    guard let program else { return nil }
    let optimized = Optimizer.optimize(program, keeping: .everything)
    let evaluation = Evaluation(program: optimized, input: leaves)
    if let found = evaluation.nonFinite {
      let instruction = evaluation.instruction(found.kernel, found.instruction)
      let (name, inDerivative) = optimized.origin(of: instruction)
      let reported = evaluation.reported(for: found).map {
        ReportedValue(name: $0.name, value: NumberFormat.shortest($0.value))
      }
      diagnostics.warning(
        .nonFiniteValue(
          reported: reported, arose: NumberFormat.shortest(found.value),
          subject: inDerivative ? name : "'\(name)'", inDerivative: inDerivative,
          at: evaluation.occurrence(of: found)),
        at: instruction.range)
    }
    // Once per statement and function (SPEC §6.4): a statement's kernels may
    // each evaluate the same call.
    var warned = Set<[Int]>()
    for found in evaluation.kinksHit {
      let instruction = evaluation.instruction(found.kernel, found.instruction)
      guard case .call(let builtin) = instruction.op, let kink = builtin.spec.kink,
        warned.insert([instruction.range.start, instruction.range.end]).inserted
      else { continue }
      diagnostics.warning(
        .kinkHit(
          function: builtin.rawValue, convention: kink.convention,
          at: evaluation.occurrence(of: found)),
        at: instruction.range)
    }
    return evaluation
  }

  /// `check`: every partial derivative against finite differences, after
  /// the warnings of `eval` (kinks hit and non-finite values explain most
  /// disagreements).
  public func check(_ leaves: [Double], tolerance: Double, into diagnostics: inout DiagnosticList)
    -> GradientCheck?
  {
    guard let program, evaluate(leaves, into: &diagnostics) != nil else { return nil }
    return GradientCheck(program, leaves: leaves, tolerance: tolerance)
  }

  /// `eval --hessian` (SPEC §8.1): the Hessian of one scalar, `symbol` or
  /// its `element`, at the leaf values; nil, with an error at the output,
  /// when it would hold more than §6.4's limit of numbers.
  public func hessian(
    _ leaves: [Double], output symbol: Int, element: [Int], into diagnostics: inout DiagnosticList
  ) -> Hessian? {
    guard let (forward, gradient) = hessianPrograms(symbol, element, into: &diagnostics) else {
      return nil
    }
    return Hessian(forward: forward, gradient: gradient, input: leaves)
  }

  /// `check --hessian`: every entry of that Hessian against central
  /// differences of the gradient.
  public func checkHessian(
    _ leaves: [Double], output symbol: Int, element: [Int], tolerance: Double,
    into diagnostics: inout DiagnosticList
  ) -> HessianCheck? {
    guard let (forward, gradient) = hessianPrograms(symbol, element, into: &diagnostics) else {
      return nil
    }
    return HessianCheck(forward: forward, gradient: gradient, input: leaves, tolerance: tolerance)
  }

  /// The forward program with the Hessian's scalar as its only output, and
  /// that program differentiated, after the check that the n² entries fit
  /// SPEC §6.4's limit.
  private func hessianPrograms(
    _ symbol: Int, _ element: [Int], into diagnostics: inout DiagnosticList
  ) -> (forward: Program, gradient: Program)? {
    guard let program else { return nil }
    let inputs = program.leaves.reduce(0) { $0 + $1.size }
    guard inputs <= Checker.programLimit / max(1, inputs) else {
      let name = Layout.elementName(program.symbols[symbol].name, element)
      diagnostics.error(
        .hessianTooLarge(name, entries: String(inputs * inputs)),
        at: program.symbols[symbol].range)
      return nil
    }
    return forward(for: symbol, element: element).map { ($0, Reverse.differentiate($0)) }
  }

  /// The names `--set` may name: the leaves.
  var leafNames: [String] { program?.leaves.map(\.name) ?? [] }
}

extension EmitRequest {
  /// The optimised programs the emitters print, from a differentiated
  /// program: one simplification, then dead code removed twice (for the
  /// forward and for the gradient function). The entry points of `--with`
  /// (SPEC §8.2) are made from the forward program before differentiation:
  /// `jvp` its tangent; `vjp` the gradient of Σ w·out; `hvp` that
  /// gradient's tangent.
  public init(
    optimizing program: consuming Program, file: SourceFile, prefix: String, seed: UInt64 = 0,
    with requested: [EntryPoint.Function] = [], forward: Program? = nil
  ) {
    let simplified = Optimizer.simplify(program)
    _ = consume program
    self.init(
      forward: Optimizer.eliminateDeadCode(simplified, keeping: .outputs),
      gradient: Optimizer.eliminateDeadCode(simplified, keeping: .outputsAndLeafGradients),
      file: file, prefix: prefix, seed: seed)
    guard let forward, !requested.isEmpty else { return }
    // The gradient of Σ w·out, for vjp and hvp only.
    var vjp = Program()
    if requested.contains(.vjp) || requested.contains(.hvp) {
      let (weighted, symbol) = Lowering.weightedSum(of: forward)
      vjp = Reverse.differentiate(weighted, for: [symbol])
      weightedSum = symbol
    }
    for function in EntryPoint.Function.requestable where requested.contains(function) {
      let program: Program
      switch function {
      case .forward, .gradient: continue
      case .jvp:
        program = Optimizer.optimize(
          Tangent.differentiate(forward), keeping: .jacobianVectorProducts)
      case .vjp: program = Optimizer.optimize(vjp, keeping: .outputsAndLeafGradients)
      case .hvp:
        program = Optimizer.optimize(Tangent.differentiate(vjp), keeping: .hessianVectorProducts)
      }
      derivatives.append((function, program))
    }
  }
}
