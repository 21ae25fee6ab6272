/// The front of the pipeline, run once: parse, check, lower, differentiate.
/// Each consumer (an emitter, `eval`) then optimises for the roots it needs.
public struct Compilation: Sendable {
  public let file: SourceFile
  public private(set) var diagnostics = DiagnosticList()
  public private(set) var tree = SyntaxTree()
  /// The checked program; meaningful only when there are no errors.
  public private(set) var checked: CheckedProgram?
  /// The forward program, before differentiation.
  public private(set) var forward: Program?
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
  public func program(differentiating symbol: Int) -> Program? {
    guard var forward else { return nil }
    if forward.outputs == [symbol], let program { return program }
    forward.outputs = [symbol]
    return Reverse.differentiate(forward)
  }

  /// A symbol's index by name.
  public func symbol(named name: String) -> Int? {
    forward?.symbols.firstIndex { $0.name == name }
  }

  public init(name: String = "<input>", source: String) {
    self.init(SourceFile(name: name, text: source))
  }

  /// The leaf values `eval` uses: defaults, overridden by `settings`. Missing
  /// ones are reported together.
  public func leafValues(
    _ settings: [String: Double], into diagnostics: inout DiagnosticList
  ) -> [Double]? {
    guard let program else { return nil }
    var values: [Double] = []
    var missing: [Symbol] = []
    for leaf in program.leaves {
      if let value = settings[leaf.name] ?? leaf.defaultValue {
        values.append(value)
      } else {
        missing.append(leaf)
        values.append(.nan)
      }
    }
    if let first = missing.first {
      diagnostics.error(.missingLeafValues(missing.map(\.name)), at: first.range)
      return nil
    }
    return values
  }

  /// Evaluates values and every gradient, and warns where a non-finite value
  /// first arose.
  public func evaluate(_ leaves: [Double], into diagnostics: inout DiagnosticList) -> Evaluation? {
    guard let program else { return nil }
    let optimized = Optimizer.optimize(program, keeping: .everything)
    let evaluation = Evaluation(program: optimized, leaves: leaves)
    if let (index, value) = evaluation.nonFinite {
      let (name, inDerivative) = optimized.origin(of: index)
      diagnostics.warning(
        .nonFiniteValue(name: name, value: NumberFormat.shortest(value), inDerivative: inDerivative),
        at: optimized.instructions[index].range)
    }
    warnAboutKinks(optimized, values: evaluation.instructionValues, into: &diagnostics)
    return evaluation
  }

  /// Warns where a function with a kink is evaluated exactly on it, naming
  /// the convention its derivative follows there.
  private func warnAboutKinks(_ program: Program, values: [Double], into diagnostics: inout DiagnosticList) {
    for instruction in program.instructions where instruction.role == .forward {
      guard case .call(let builtin) = instruction.op, let kink = builtin.spec.kink else { continue }
      let x = values[instruction.lhs.int]
      let y = instruction.rhs == .none ? 0 : values[instruction.rhs.int]
      if kink.isHit(x, y) {
        diagnostics.warning(.kinkHit(function: builtin.rawValue, convention: kink.convention), at: instruction.range)
      }
    }
  }

  /// The names `--set` may name: the leaves.
  public var leafNames: [String] { program?.leaves.map(\.name) ?? [] }
}
