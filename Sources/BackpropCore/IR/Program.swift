/// A program in IR: a list of kernels, run in order, over the program's
/// arrays.
///
/// A kernel is a loop nest (empty for straight-line code), a body of scalar
/// SSA instructions evaluated at every point of the nest, and the stores the
/// body makes. Kernels communicate only through arrays: a body reads an
/// element with a `load` and writes one with a store. A program without
/// arrays is one kernel with no loops, whose body is the whole computation,
/// forward and backward; its stores write the outputs and the gradient.
///
/// Symbols are ordered leaves first (in order of first appearance), then
/// defined names in definition order, which is the key order of `eval --json`.
public struct Program: Sendable {
  public var symbols: [Symbol] = []
  /// `symbols[0..<leafCount]` are the leaves, in leaf order.
  public var leafCount = 0
  /// The outputs, as symbol indices, in output order.
  public var outputs: [Int] = []
  public var kernels: [Kernel] = []
  /// The shapes of the ``ArrayName/temporary(_:)`` arrays.
  public var temporaries: [[Int]] = []

  public init() {}

  public var leaves: ArraySlice<Symbol> { symbols[0..<leafCount] }
  /// The instructions of all kernels.
  public var instructionCount: Int { kernels.reduce(0) { $0 + $1.instructions.count } }
  public var outputNames: [String] { outputs.map { symbols[$0].name } }

  /// The extents of an array, outermost first.
  public func shape(of array: ArrayName) -> [Int] {
    switch array {
    case .variable(let s): symbols[s].shape
    case .output(let o): symbols[outputs[o]].shape
    case .adjoint(let output, let s): symbols[output].shape + symbols[s].shape
    case .temporary(let k): temporaries[k]
    case .temporaryAdjoint(let output, let k): symbols[output].shape + temporaries[k]
    }
  }

  /// Where an instruction's value belongs, for messages about it: the
  /// statement's name in the forward sweep, or `the gradient of 'O'`.
  public func origin(of instruction: Instruction) -> (name: String, inDerivative: Bool) {
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

/// An array of the program's memory: what kernels load and store. A scalar
/// is an array of rank 0.
public enum ArrayName: Hashable, Sendable {
  /// the value of symbol s; a leaf's is the caller's input
  case variable(Int)
  /// output o (the position in ``Program/outputs``): the caller's output buffer
  case output(Int)
  /// ∂(symbol `output`)/∂(symbol `of`), of shape shape(output) ++ shape(of);
  /// a leaf's is part of the caller's gradient buffer
  case adjoint(output: Int, of: Int)
  /// a partial result: `Program.temporaries[k]`
  case temporary(Int)
  /// ∂(symbol `output`)/∂(temporary `of`)
  case temporaryAdjoint(output: Int, of: Int)
}

/// One loop of a kernel's nest: an index of the source, running over
/// `0..<extent` in ascending order.
public struct Loop: Hashable, Sendable {
  public var name: String
  public var extent: Int
  public var range: SourceRange
}

/// One subscript of an access.
public enum Subscript: Hashable, Sendable {
  /// the current value of the kernel's loop with this position in the nest
  case loop(Int)
  /// a fixed element
  case constant(Int)
}

/// An element of an array, as the body of a kernel names it.
public struct Access: Hashable, Sendable {
  public var array: ArrayName
  /// One per dimension of the array; none for a scalar.
  public var subscripts: [Subscript]

  public init(_ array: ArrayName, _ subscripts: [Subscript] = []) {
    self.array = array
    self.subscripts = subscripts
  }
}

/// How a store combines its value with the element.
public enum StoreMode: Hashable, Sendable {
  /// element := value
  case assign
  /// element := element + value, at each point in loop order; the element
  /// was written earlier (by a fill, or an earlier store)
  case add
  /// element := the larger of element and value, NaN if either is (a
  /// logsumexp's maximum, from a fill of -∞). `count` is the temporary that
  /// counts the terms equal to the final maximum, for the adjoint's even split.
  case maximum(count: ArrayName)
}

/// A write a kernel makes at each point of its nest.
public struct Store: Sendable {
  /// The index of the element in the kernel's ``Kernel/accesses``.
  public var access: Int
  public var value: ValueID
  public var mode: StoreMode
}

/// A loop nest, a body evaluated at each of its points, and the body's
/// stores (see ``Program``).
public struct Kernel: Sendable {
  /// Outermost first; empty for straight-line code.
  public var loops: [Loop] = []
  /// The body, in order (a topological order): values of one point of the nest.
  public var instructions: [Instruction] = []
  /// The elements the body loads (each listed once, so equal loads are one
  /// value) and stores (one access per store).
  public var accesses: [Access] = []
  /// Done after the body at each point, in order.
  public var stores: [Store] = []

  public init(loops: [Loop] = []) {
    self.loops = loops
  }

  public subscript(value: ValueID) -> Instruction { instructions[value.int] }

  /// The value stored to `array` with no subscripts (a scalar's store), if any.
  public func storedValue(_ array: ArrayName) -> ValueID? {
    stores.first { accesses[$0.access] == Access(array) }?.value
  }
}
