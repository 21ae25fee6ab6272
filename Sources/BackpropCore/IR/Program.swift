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
  var leafCount = 0
  /// The outputs, as symbol indices, in output order.
  var outputs: [Int] = []
  var kernels: [Kernel] = []
  /// The shapes of the ``ArrayName/temporary(_:)`` arrays.
  var temporaries: [[Int]] = []

  public init() {}

  public var leaves: ArraySlice<Symbol> { symbols[0..<leafCount] }
  /// The instructions of all kernels.
  public var instructionCount: Int { kernels.reduce(0) { $0 + $1.instructions.count } }
  var outputNames: [String] { outputs.map { symbols[$0].name } }

  /// The extents of an array, outermost first.
  func shape(of array: ArrayName) -> [Int] {
    switch array {
    case .variable(let s): symbols[s].shape
    case .output(let o): symbols[outputs[o]].shape
    case .adjoint(let output, let s): symbols[output].shape + symbols[s].shape
    case .temporary(let k): temporaries[k]
    case .temporaryAdjoint(let output, let k): symbols[output].shape + temporaries[k]
    case .tangent(let array): shape(of: array)
    case .weight(let o): symbols[outputs[o]].shape
    }
  }

  /// Where an instruction's value belongs, for messages about it: the
  /// statement's name in the forward sweep, or `the gradient of 'O'`.
  func origin(of instruction: Instruction) -> (name: String, inDerivative: Bool) {
    switch instruction.role {
    case .forward:
      return (instruction.owner >= 0 ? symbols[Int(instruction.owner)].name : "value", false)
    case .adjoint(let output):
      return ("the gradient of '\(symbols[output].name)'", true)
    }
  }

  /// How a person reads a value's name: `A`, `dC_dA` for an adjoint, and
  /// `A_dot`, `dC_dA_dot` for their tangents.
  func displayName(_ name: ValueName) -> String {
    switch name {
    case .variable(let s): symbols[s].name
    case .adjoint(let o, let s): "d\(symbols[o].name)_d\(symbols[s].name)"
    case .tangent(let of): displayName(of) + "_dot"
    }
  }
}

/// An array of the program's memory: what kernels load and store. A scalar
/// is an array of rank 0.
enum ArrayName: Hashable, Sendable {
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
  /// The tangent of an array along a direction (SPEC §8, ``Tangent``): the
  /// direction itself for a leaf, of the array's shape
  indirect case tangent(ArrayName)
  /// The caller's weight of each element of output o: `w` of SPEC §8.2's
  /// `vjp` and `hvp`, of the output's shape (``Lowering/weightedSum(of:)``)
  case weight(Int)
}

/// One loop of a kernel's nest: an index of the source, running over
/// `lower..<extent` in ascending order (`lower` is 0 but where a shifted
/// subscript such as `x[t - 1]` needs more, SPEC §7.2).
struct Loop: Hashable, Sendable {
  var name: String
  var extent: Int
  var range: SourceRange
  var lower = 0

  /// How many values it takes.
  var count: Int { extent - lower }
}

/// One subscript of an access.
enum Subscript: Hashable, Sendable {
  /// the current value of the kernel's loop with this position in the nest
  case loop(Int)
  /// a fixed element
  case constant(Int)
  /// Σ coefficient·loop + offset over loops of the nest (SPEC §7.1): the
  /// window's `i + k`, the shift `t - 1`; never a plain loop or a constant
  case affine([AffineTerm], offset: Int)
}

/// An element of an array, as the body of a kernel names it.
struct Access: Hashable, Sendable {
  var array: ArrayName
  /// One per dimension of the array; none for a scalar.
  var subscripts: [Subscript]

  init(_ array: ArrayName, _ subscripts: [Subscript] = []) {
    self.array = array
    self.subscripts = subscripts
  }
}

/// How a store combines its value with the element.
enum StoreMode: Hashable, Sendable {
  /// element := value
  case assign
  /// element := element + value, at each point in loop order; the element
  /// was written earlier (by a fill, or an earlier store)
  case add
  /// element := the larger of element and value, NaN if either is (a
  /// logsumexp's maximum, from a fill of -∞). `count` is the temporary that
  /// counts the terms equal to the final maximum, for the adjoint's even split.
  case maximum(count: ArrayName)
  /// element := fmax(element, value), from a fill of NaN, so a NaN term is
  /// ignored unless all are (a `max` reduction, SPEC §7.5); `count` as above.
  case largest(count: ArrayName)
  /// element := fmin(element, value): a `min` reduction.
  case smallest(count: ArrayName)
}

/// A write a kernel makes at each point of its nest.
struct Store: Sendable {
  /// The index of the element in the kernel's ``Kernel/accesses``.
  var access: Int
  var value: ValueID
  var mode: StoreMode
}

/// A loop nest, a body evaluated at each of its points, and the body's
/// stores (see ``Program``).
struct Kernel: Sendable {
  /// Outermost first; empty for straight-line code.
  var loops: [Loop] = []
  /// The body, in order (a topological order): values of one point of the nest.
  var instructions: [Instruction] = []
  /// The elements the body loads (each listed once, so equal loads are one
  /// value) and stores (one access per store).
  var accesses: [Access] = []
  /// Done after the body at each point, in order.
  var stores: [Store] = []

  init(loops: [Loop] = []) {
    self.loops = loops
  }

  subscript(value: ValueID) -> Instruction { instructions[value.int] }

  /// The value stored to `array` with no subscripts (a scalar's store), if any.
  func storedValue(_ array: ArrayName) -> ValueID? {
    stores.first { accesses[$0.access] == Access(array) }?.value
  }
}
