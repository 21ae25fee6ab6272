/// What every emitter needs to know about the program it prints. The
/// programs come optimised (the driver optimises, once), with their layout.
public struct EmitRequest: Sendable {
  let file: SourceFile
  /// The symbol prefix from `--name` or the file name (not yet case-mapped).
  let prefix: String
  /// The forward program: the outputs only.
  let forward: Program
  /// The gradient program: the outputs and every ∂output/∂leaf.
  let gradient: Program
  /// The programs of the entry points `--with` asks for (SPEC §8.2), in
  /// ``EntryPoint/Function/requestable`` order.
  var derivatives: [(function: EntryPoint.Function, program: Program)] = []
  /// The symbol of `vjp` = Σ w·out in the `vjp` and `hvp` programs
  /// (``Lowering/weightedSum(of:)``), whose leaf adjoints are `vjp`.
  var weightedSum = -1
  /// Where leaves, outputs and partials sit in the generated buffers.
  let layout: Layout
  /// The `--seed` of the initialisers, baked into `fill_defaults`.
  let seed: UInt64
  /// `--max-function-size`: a function with more statements
  /// than this is printed as parts of at most this many (``Schedule``,
  /// ``ArrayParts``).
  var maxFunctionSize = EmitRequest.defaultMaxFunctionSize

  /// Small enough that `cc -O2` and `swiftc -O` stay linear in the program
  /// (their cost grows faster than the size of one function), large enough
  /// that the values passed between parts cost little at run time.
  static let defaultMaxFunctionSize = 200

  init(
    forward: Program, gradient: Program, file: SourceFile, prefix: String, seed: UInt64 = 0
  ) {
    self.forward = forward
    self.gradient = gradient
    self.file = file
    self.prefix = prefix
    self.seed = seed
    layout = Layout(gradient)
  }

  /// The file name as the header comment gives it: base name only, so output
  /// does not depend on where the compiler ran.
  var sourceName: String {
    String(file.name.split(separator: "/").last ?? Substring(file.name))
  }

  /// Every entry point printed: SPEC §3's, then those asked for.
  var entryPoints: [EntryPoint] { EntryPoint.rows(with: derivatives.map(\.function)) }

  /// The program an entry point's body runs.
  func program(_ function: EntryPoint.Function) -> Program {
    switch function {
    case .forward: forward
    case .gradient: gradient
    case .jvp, .vjp, .hvp: derivatives.first { $0.function == function }?.program ?? gradient
    }
  }

  var leaves: ArraySlice<Symbol> { gradient.leaves }
  var leafNames: [String] { gradient.leaves.map(\.name) }
  var outputNames: [String] { gradient.outputNames }
}

extension EmitRequest {
  /// Whether any variable is an array: SPEC §6.5's per-element tables and
  /// labelled API exist only for programs without.
  var hasArrays: Bool {
    gradient.symbols.contains { !$0.shape.isEmpty } || gradient.kernels.count > 1
      || gradient.kernels.contains { !$0.loops.isEmpty }
  }

  /// The §3 entry points need their intermediates on the stack: at most this many doubles (64 KiB).
  static let stackBudget = 8192

  /// Where a generated function's buffers hold an array, as
  /// `(buffer, first element's offset, strides, writable)`; nil for an
  /// intermediate. ∂O/∂L of an array output is a block of rows of `grad`;
  /// SPEC §8.2's `v`, `w`, `jv`, `vjp` and `hv` hold one element per input or
  /// output element, where `in` and `out` hold it.
  func interface(_ dialect: Dialect, for function: EntryPoint.Function) -> (ArrayName) -> (
    String, Int, [Int], Bool
  )? {
    let layout = self.layout
    let program = self.program(function)
    let weightedSum = self.weightedSum
    var position: [Int: Int] = [:]
    for (o, s) in program.outputs.enumerated() { position[s] = o }
    func leaf(_ s: Int, _ buffer: EntryPoint.Buffer) -> (String, Int, [Int], Bool) {
      (buffer.c, layout.input(s), Layout.rowMajor(program.symbols[s].shape), buffer.writable)
    }
    func output(_ o: Int, _ buffer: String, writable: Bool) -> (String, Int, [Int], Bool) {
      (
        buffer, layout.output(o), Layout.rowMajor(program.symbols[program.outputs[o]].shape),
        writable
      )
    }
    return { array in
      switch array {
      case .variable(let s) where s < program.leafCount:
        return (
          dialect.inputBuffer, layout.input(s), Layout.rowMajor(program.symbols[s].shape), false
        )
      case .output(let o):
        return output(o, dialect.outputBuffer, writable: true)
      case .adjoint(let output, let s) where s < program.leafCount && function == .gradient:
        guard let o = position[output] else { return nil }
        return (
          dialect.gradientBuffer, layout.gradient(output: o, leaf: s),
          layout.gradientStrides(output: o, leaf: s), true
        )
      case .adjoint(weightedSum, let s) where s < program.leafCount:
        return leaf(s, EntryPoint.vjp)
      case .tangent(.variable(let s)) where s < program.leafCount:
        return leaf(s, EntryPoint.direction)
      case .tangent(.adjoint(weightedSum, let s)) where s < program.leafCount:
        return leaf(s, EntryPoint.hv)
      case .tangent(.output(let o)):
        return output(o, EntryPoint.jv.c, writable: true)
      case .weight(let o):
        return output(o, EntryPoint.weights.c, writable: false)
      case .variable, .adjoint, .temporary, .temporaryAdjoint, .tangent:
        return nil
      }
    }
  }

  /// How `fill_defaults` sets each leaf.
  enum DefaultFill {
    /// one element
    case value(offset: Int, Double)
    /// every element, one number (NaN where the leaf has no default)
    case fill(offset: Int, count: Int, Double)
    /// the numbers of a list
    case list(name: String, offset: Int, [Double])
    /// a seeded initialiser: the generator's start, and each element as a
    /// function of a uniform `u` or a normal `n`
    case random(
      name: String, offset: Int, count: Int, state: UInt64, normal: Bool, scale: Double,
      shift: Double?)
  }

  /// Each leaf's default, as the generated `fill_defaults` writes it.
  func defaultFills(seed: UInt64) -> [DefaultFill] {
    gradient.leaves.enumerated().map { l, leaf in
      let offset = layout.input(l)
      let state = SeededGenerator(name: leaf.name, seed: seed).state
      let (fanIn, fanOut) = Initializer.fans(leaf.shape)
      switch leaf.initializer {
      case .xavier?:
        // (2u - 1)·limit: written as scale·(2u - 1), shift nil.
        return .random(
          name: leaf.name, offset: offset, count: leaf.size, state: state, normal: false,
          scale: (6 / (fanIn + fanOut)).squareRoot(), shift: nil)
      case .he?:
        return .random(
          name: leaf.name, offset: offset, count: leaf.size, state: state, normal: true,
          scale: (2 / fanIn).squareRoot(), shift: nil)
      case .uniform(let a, let b)?:
        return .random(
          name: leaf.name, offset: offset, count: leaf.size, state: state, normal: false,
          scale: b - a, shift: a)
      case .normal(let mean, let std)?:
        return .random(
          name: leaf.name, offset: offset, count: leaf.size, state: state, normal: true, scale: std,
          shift: mean)
      case nil:
        if let list = leaf.defaultElements { return .list(name: leaf.name, offset: offset, list) }
        if leaf.shape.isEmpty { return .value(offset: offset, leaf.defaultValue ?? .nan) }
        return .fill(offset: offset, count: leaf.size, leaf.defaultValue ?? .nan)
      }
    }
  }

  /// Whether `fill_defaults` copies the per-element table of defaults
  /// rather than writing one line per leaf: a program without arrays whose
  /// leaves outnumber the statements of one function.
  var fillsFromDefaultInputs: Bool {
    !hasArrays && gradient.leafCount > maxFunctionSize
  }

  /// Whether a leaf starts from the seeded generator.
  var usesGenerator: Bool { gradient.leaves.contains { $0.initializer != nil } }
}
