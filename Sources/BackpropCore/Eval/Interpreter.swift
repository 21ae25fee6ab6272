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
    Machine(program).run(leaves: leaves, into: &values)
    return values
  }

  /// A program decoded once for many evaluations (training, `check`, the
  /// benchmark): flat operand arrays, builtins resolved to their functions,
  /// and a run that allocates nothing.
  public struct Machine: Sendable {
    private enum Code: UInt8 {
      case leaf, constant, copy, neg, add, sub, mul, div, pow, call
    }
    private let codes: [Code]
    private let lhs: [Int32]
    private let rhs: [Int32]
    /// The constant, or the leaf's index, or the function's index, per instruction.
    private let payload: [Double]
    private let functions: [BuiltinSpec.Value]

    public init(_ program: Program) {
      var codes: [Code] = []
      var lhs: [Int32] = []
      var rhs: [Int32] = []
      var payload: [Double] = []
      var functions: [BuiltinSpec.Value] = []
      var functionIndex: [Builtin: Int] = [:]
      codes.reserveCapacity(program.instructions.count)
      for instruction in program.instructions {
        var p = 0.0
        let code: Code
        switch instruction.op {
        case .leaf(let i): code = .leaf; p = Double(i)
        case .constant(let c): code = .constant; p = c
        case .copy: code = .copy
        case .neg: code = .neg
        case .add: code = .add
        case .sub: code = .sub
        case .mul: code = .mul
        case .div: code = .div
        case .pow: code = .pow
        case .call(let builtin):
          code = .call
          if let index = functionIndex[builtin] {
            p = Double(index)
          } else {
            functionIndex[builtin] = functions.count
            p = Double(functions.count)
            functions.append(builtin.spec.value)
          }
        }
        codes.append(code)
        lhs.append(max(0, instruction.lhs.index))
        rhs.append(max(0, instruction.rhs.index))
        payload.append(p)
      }
      self.codes = codes
      self.lhs = lhs
      self.rhs = rhs
      self.payload = payload
      self.functions = functions
    }

    /// Fills `values` (one per instruction) from the leaves' values.
    public func run(leaves: [Double], into values: inout [Double]) {
      values.withUnsafeMutableBufferPointer { v in
        codes.withUnsafeBufferPointer { codes in
          lhs.withUnsafeBufferPointer { lhs in
            rhs.withUnsafeBufferPointer { rhs in
              payload.withUnsafeBufferPointer { payload in
                for i in 0..<codes.count {
                  let a = v[Int(lhs[i])]
                  let b = v[Int(rhs[i])]
                  switch codes[i] {
                  case .leaf: v[i] = leaves[Int(payload[i])]
                  case .constant: v[i] = payload[i]
                  case .copy: v[i] = a
                  case .neg: v[i] = -a
                  case .add: v[i] = a + b
                  case .sub: v[i] = a - b
                  case .mul: v[i] = a * b
                  case .div: v[i] = a / b
                  case .pow: v[i] = Foundation.pow(a, b)
                  case .call: v[i] = functions[Int(payload[i])](a, b)
                  }
                }
              }
            }
          }
        }
      }
    }
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
  /// The first instruction that made a non-finite value from finite
  /// operands, and that value.
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
