/// A named thing of the program: a leaf or a defined variable.
public struct Symbol: Sendable {
  public var name: String
  /// Where it is defined or declared; for a free leaf, its first use.
  public var range: SourceRange
  /// Set for leaves: how the leaf came to be, and its default value.
  public var leaf: LeafKind?
  public var defaultValue: Double?

  public var isLeaf: Bool { leaf != nil }
}

/// A program in IR: the instructions in order (which is a topological order),
/// and how the program's names map onto values.
///
/// Symbols are ordered leaves first (in order of first appearance), then
/// defined names in definition order, which is the key order of `eval --json`.
/// The forward program has ``values``; differentiation adds ``gradient``.
public struct Program: Sendable {
  public var instructions: [Instruction] = []
  public var symbols: [Symbol] = []
  /// `symbols[0..<leafCount]` are the leaves, in leaf order.
  public var leafCount = 0
  /// The outputs, as symbol indices, in output order.
  public var outputs: [Int] = []
  /// The value of each symbol, or `.none` where an optimisation dropped it.
  public var values: [ValueID] = []
  /// `gradient[o][s]` is ∂outputs[o]/∂symbols[s], or `.none` where dropped.
  public var gradient: [[ValueID]] = []

  public init() {}

  public var leaves: ArraySlice<Symbol> { symbols[0..<leafCount] }
  public var outputNames: [String] { outputs.map { symbols[$0].name } }

  public subscript(value: ValueID) -> Instruction { instructions[value.int] }

  /// The value of output `o`.
  public func outputValue(_ o: Int) -> ValueID { values[outputs[o]] }

  /// Where an instruction's value belongs, for messages about it: the
  /// statement's name in the forward sweep, or `the gradient of 'O'`.
  public func origin(of index: Int) -> (name: String, inDerivative: Bool) {
    let instruction = instructions[index]
    switch instruction.role {
    case .forward:
      return (instruction.owner >= 0 ? symbols[Int(instruction.owner)].name : "value", false)
    case .adjoint(let output):
      return ("the gradient of '\(symbols[output].name)'", true)
    }
  }

  /// How a person reads a value's name: `A`, or `dC_dA` for an adjoint.
  public func displayName(_ name: ValueName) -> String {
    switch name {
    case .variable(let s): symbols[s].name
    case .adjoint(let o, let s): "d\(symbols[o].name)_d\(symbols[s].name)"
    }
  }
}
