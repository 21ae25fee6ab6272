import Foundation

/// Evaluates a program: the same optimised IR the emitters print.
public enum Interpreter {
  /// The value of one op on operand values; the constant folder uses it too,
  /// so folding and running can never disagree.
  @inline(__always)
  public static func apply(_ op: Op, _ a: Double, _ b: Double) -> Double {
    switch op {
    case .constant(let c): c
    case .leaf: .nan
    case .copy: a
    case .neg: -a
    case .add: a + b
    case .sub: a - b
    case .mul: a * b
    case .div: a / b
    case .pow: Foundation.pow(a, b)
    case .call(let builtin): builtin.spec.value(a, b)
    }
  }

  /// Every instruction's value, given the leaves' values in leaf order.
  public static func run(_ program: Program, leaves: [Double]) -> [Double] {
    var values = [Double](repeating: 0, count: program.instructions.count)
    values.withUnsafeMutableBufferPointer { v in
      for (i, instruction) in program.instructions.enumerated() {
        switch instruction.op {
        case .leaf(let leaf):
          v[i] = leaves[leaf]
        case .constant(let c):
          v[i] = c
        default:
          let a = instruction.lhs == .none ? 0 : v[instruction.lhs.int]
          let b = instruction.rhs == .none ? 0 : v[instruction.rhs.int]
          v[i] = apply(instruction.op, a, b)
        }
      }
    }
    return values
  }

  /// The first instruction that made a non-finite value out of finite
  /// operands: where a NaN or infinity "arose", for the warning.
  public static func firstNonFinite(_ program: Program, _ values: [Double]) -> Int? {
    for (i, instruction) in program.instructions.enumerated() where !values[i].isFinite {
      if instruction.operands.allSatisfy({ values[$0.int].isFinite }) { return i }
    }
    return nil
  }
}

/// The result of `eval`: values and gradients by name.
public struct Evaluation: Sendable {
  public var program: Program
  /// The value of every symbol, in symbol order.
  public var values: [Double]
  /// `gradient[o][s]` = ∂outputs[o]/∂symbols[s].
  public var gradient: [[Double]]
  /// The first non-finite value, if any, and whether it arose in the backward sweep.
  public var nonFinite: (instruction: Int, value: Double)?
  /// Every instruction's value.
  public var instructionValues: [Double]

  public init(program: Program, leaves: [Double]) {
    self.program = program
    let all = Interpreter.run(program, leaves: leaves)
    instructionValues = all
    func read(_ v: ValueID) -> Double { v == .none ? .nan : all[v.int] }
    values = program.values.map(read)
    gradient = program.gradient.map { $0.map(read) }
    nonFinite = Interpreter.firstNonFinite(program, all).map { ($0, all[$0]) }
  }
}
