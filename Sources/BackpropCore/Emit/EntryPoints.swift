/// The generated API as one table (SPEC §3, §6.5): each entry point is a
/// row, its name and the caller's buffers, and every language prints every
/// row the same ways — the `_work` form, the form with work on the stack,
/// and the batch forms over rows — so a new derivative mode adds a row.
public struct EntryPoint {
  /// The functions a body is printed for.
  public enum Function: String, CaseIterable, Sendable {
    /// the outputs: SPEC §3's `forward`
    case forward
    /// the outputs and ∂output/∂input: `gradient`
    case gradient
    /// the outputs and J·v, one forward sweep (SPEC §8.2, `--with jvp`)
    case jvp
    /// the outputs and wᵀJ, one reverse sweep (`--with vjp`)
    case vjp
    /// the outputs, wᵀJ and (Σ_o w[o]·∇²out[o])·v, one sweep (`--with hvp`)
    case hvp

    /// What `--with` may ask for, in the order the entry points are printed.
    static let requestable: [Function] = [.jvp, .vjp, .hvp]
  }

  /// A buffer the caller passes, in argument order.
  struct Buffer {
    /// The C parameter: `in`.
    var c: String
    /// The Swift parameter: `input`; its batch form holds all rows: `inputs`.
    var swift: String
    var swiftRows: String
    var size: Size
    var writable: Bool
  }

  /// How many doubles a buffer holds per row.
  enum Size {
    case inputs, outputs, gradient

    /// `NUM_INPUTS` and the like, after the macro prefix.
    var cMacro: String {
      switch self {
      case .inputs: "NUM_INPUTS"
      case .outputs: "NUM_OUTPUTS"
      case .gradient: "NUM_OUTPUTS * NUM_INPUTS"
      }
    }

    func count(_ layout: Layout) -> Int {
      switch self {
      case .inputs: layout.numInputs
      case .outputs: layout.numOutputs
      case .gradient: layout.gradientSize
      }
    }

    /// The noun of a precondition's message: `2 inputs`.
    var noun: String {
      switch self {
      case .inputs: "input"
      case .outputs: "output"
      case .gradient: "gradient entry"
      }
    }
  }

  let function: Function
  let name: String
  let buffers: [Buffer]

  static let input = Buffer(
    c: "in", swift: "input", swiftRows: "inputs", size: .inputs, writable: false)
  static let output = Buffer(
    c: "out", swift: "output", swiftRows: "outputs", size: .outputs, writable: true)
  static let gradient = Buffer(
    c: "grad", swift: "gradient", swiftRows: "gradients", size: .gradient, writable: true)
  /// SPEC §8.2's direction `v`, output weights `w` and results: each spelled
  /// alike in both languages.
  static let direction = Buffer(c: "v", swift: "v", swiftRows: "vs", size: .inputs, writable: false)
  static let weights = Buffer(c: "w", swift: "w", swiftRows: "ws", size: .outputs, writable: false)
  static let jv = Buffer(c: "jv", swift: "jv", swiftRows: "jvs", size: .outputs, writable: true)
  static let vjp = Buffer(c: "vjp", swift: "vjp", swiftRows: "vjps", size: .inputs, writable: true)
  static let hv = Buffer(c: "hv", swift: "hv", swiftRows: "hvs", size: .inputs, writable: true)

  /// The table: §3's two rows, then the rows `--with` asks for (SPEC §8.2).
  static func rows(with requested: [Function] = []) -> [EntryPoint] {
    let table = [
      EntryPoint(function: .forward, name: "forward", buffers: [input, output]),
      EntryPoint(function: .gradient, name: "gradient", buffers: [input, output, gradient]),
      EntryPoint(function: .jvp, name: "jvp", buffers: [input, direction, output, jv]),
      EntryPoint(function: .vjp, name: "vjp", buffers: [input, weights, output, vjp]),
      EntryPoint(
        function: .hvp, name: "hvp", buffers: [input, weights, direction, output, vjp, hv]),
    ]
    return table.filter {
      [.forward, .gradient].contains($0.function) || requested.contains($0.function)
    }
  }

  /// Whether the row has SPEC §3's batch forms over rows: `forward` and
  /// `gradient`, which training and data run on.
  var hasBatchForms: Bool { function == .forward || function == .gradient }

  // MARK: C

  /// `const double *in, double *out` (with `restrict` in a definition).
  func cParameters(restrict: Bool) -> String {
    let pointer = restrict ? "*restrict " : "*"
    return buffers.map { ($0.writable ? "double " : "const double ") + pointer + $0.c }.joined(
      separator: ", ")
  }

  /// `in, out`
  var cArguments: String { buffers.map(\.c).joined(separator: ", ") }

  // MARK: Swift

  /// `_ input: UnsafeBufferPointer<Double>`, `_ output: UnsafeMutableBufferPointer<Double>`
  var swiftPointerParameters: [String] {
    buffers.map {
      "_ \($0.swift): \($0.writable ? "UnsafeMutableBufferPointer" : "UnsafeBufferPointer")<Double>"
    }
  }

  /// `input, output`
  var swiftArguments: String { buffers.map(\.swift).joined(separator: ", ") }

  /// `_ input: [Double], _ output: inout [Double]`
  var swiftArrayParameters: String {
    buffers.map { "_ \($0.swift): \($0.writable ? "inout " : "")[Double]" }.joined(separator: ", ")
  }

  /// The call of the unsafe form from inside its buffers' closures:
  /// `forward(input, output`, or `self.gradient(` where a parameter shadows the name.
  var swiftCallee: String { buffers.contains { $0.swift == name } ? "self." + name : name }

  /// `input.withUnsafeBufferPointer { input in`, one per buffer.
  func swiftPointerScopes(rows: Bool) -> [String] {
    buffers.map { buffer in
      let method = buffer.writable ? "withUnsafeMutableBufferPointer" : "withUnsafeBufferPointer"
      return "\(buffer.swift).\(method) { \(rows ? buffer.swiftRows : buffer.swift) in"
    }
  }
}

/// The bodies of a program's entry points in one language, and what the
/// API's forms follow from them.
struct Bodies {
  /// The request's entry points, each with its body at the same position.
  let entries: [EntryPoint]
  private let bodies: [KernelBody]
  /// Whether a body lives in the `_work` form (a program with arrays, or a
  /// body in parts), the forms without work calling it; else it lives in
  /// the form without work, which the `_work` form calls.
  let inWorkForm: Bool

  init(_ request: EmitRequest, dialect: Dialect) {
    entries = request.entryPoints
    // The parameters of SPEC §8.2 are names only where they are generated:
    // a program's `w` keeps its name unless `--with` asks for `vjp`.
    var dialect = dialect
    for entry in entries where EntryPoint.Function.requestable.contains(entry.function) {
      for buffer in entry.buffers { dialect.reserved.insert(buffer.c) }
    }
    bodies = entries.map { entry in
      KernelBody(
        request.program(entry.function), dialect: dialect,
        workBuffer: dialect.workBuffer,
        maxPartSize: request.maxFunctionSize,
        interface: request.interface(dialect, for: entry.function))
    }
    inWorkForm = request.hasArrays || bodies.contains(where: \.isSplit)
  }

  subscript(function: EntryPoint.Function) -> KernelBody {
    bodies[entries.firstIndex { $0.function == function } ?? 0]
  }

  var all: [KernelBody] { bodies }
  /// Doubles of work memory, at least 1 (a C array has at least one element).
  var workSize: Int { max(1, bodies.map(\.schedule.workSize).max() ?? 0) }
  var isSplit: Bool { bodies.contains(where: \.isSplit) }
  /// Whether the forms without work exist: the work fits the stack budget.
  var onStack: Bool { workSize <= EmitRequest.stackBudget }
  /// Every helper function a body calls, sorted by name.
  var helpers: [Builtin] { Set(bodies.flatMap(\.helpers)).sorted { $0.rawValue < $1.rawValue } }
}
