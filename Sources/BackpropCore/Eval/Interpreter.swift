import Foundation

/// Evaluates a program: the same optimised IR the emitters print.
///
/// Memory is one buffer of doubles: the leaves first, exactly as the
/// generated code's `in` holds them (``Layout``), then every other array the
/// program loads or stores, each row-major at a fixed offset. Kernels run in
/// order; a kernel's body runs once at each point of its loop nest, in
/// ascending order with the last loop fastest, then its stores.
public enum Interpreter {
  /// A program decoded once for many evaluations (training, `check`, the
  /// benchmark): flat operand arrays, builtins resolved to their functions,
  /// every element's offset computed, and a run that allocates nothing.
  public struct Machine: Sendable {
    let layout: Layout
    /// Where each array's first element sits in the memory.
    private let offsets: [ArrayName: Int]
    /// Doubles of memory a run needs.
    let memorySize: Int
    private let kernels: [DecodedKernel]
    private let functions: [BuiltinSpec.Value]
    private let valueCount: Int
    private let loopCount: Int
    private let accessCount: Int

    public init(_ program: Program) {
      let layout = Layout(program)
      self.layout = layout
      var offsets: [ArrayName: Int] = [:]
      for leaf in layout.leaves { offsets[.variable(leaf.symbol)] = leaf.offset }
      var size = layout.numInputs
      var functions: [BuiltinSpec.Value] = []
      var functionIndex: [Builtin: Int] = [:]
      var kernels: [DecodedKernel] = []
      for kernel in program.kernels {
        var used = kernel.stores.map(\.access)
        for instruction in kernel.instructions {
          if case .load(let a) = instruction.op { used.append(a) }
        }
        for a in used where offsets[kernel.accesses[a].array] == nil {
          offsets[kernel.accesses[a].array] = size
          size += program.shape(of: kernel.accesses[a].array).reduce(1, *)
        }
        kernels.append(
          DecodedKernel(kernel, program, offsets) { builtin in
            if let index = functionIndex[builtin] { return index }
            functionIndex[builtin] = functions.count
            functions.append(builtin.spec.value)
            return functions.count - 1
          })
      }
      self.offsets = offsets
      self.memorySize = size
      self.kernels = kernels
      self.functions = functions
      valueCount = program.kernels.map(\.instructions.count).max() ?? 0
      loopCount = program.kernels.map(\.loops.count).max() ?? 0
      accessCount = program.kernels.map(\.accesses.count).max() ?? 0
    }

    /// Where an array's first element is in the memory, or nil when the
    /// program neither loads nor stores it.
    func offset(of array: ArrayName) -> Int? { offsets[array] }

    /// Memory and scratch space for runs; the inputs go at `memory[0..<layout.numInputs]`.
    public func makeWorkspace(input: [Double]? = nil) -> Workspace {
      var memory = [Double](repeating: 0, count: memorySize)
      if let input { memory.replaceSubrange(0..<input.count, with: input) }
      return Workspace(
        memory: memory, values: [Double](repeating: 0, count: max(1, valueCount)),
        counters: [Int](repeating: 0, count: max(1, loopCount + accessCount)))
    }

    /// Runs every kernel on the workspace's memory. `observe`, if given, sees
    /// each kernel's values after the body at each point (kernel index,
    /// values, loop indices), for the warnings of `eval`.
    public func run(
      _ workspace: inout Workspace,
      observe: (
        (
          _ kernel: Int, _ values: UnsafeMutableBufferPointer<Double>,
          _ point: UnsafeMutableBufferPointer<Int>
        ) -> Void
      )? = nil
    ) {
      let loops = loopCount
      workspace.memory.withUnsafeMutableBufferPointer { memory in
        workspace.values.withUnsafeMutableBufferPointer { values in
          workspace.counters.withUnsafeMutableBufferPointer { counters in
            // The loop indices first, then each access's offset at this point.
            let index = UnsafeMutableBufferPointer(rebasing: counters[0..<loops])
            let position = UnsafeMutableBufferPointer(rebasing: counters[loops...])
            kernels.withUnsafeBufferPointer { kernels in
              for k in 0..<kernels.count {
                kernels[k].run(memory, values, index, position, functions, watching: observe != nil)
                { observe?(k, values, index) }
              }
            }
          }
        }
      }
    }
  }

  /// A run's memory and scratch, owned by the caller so runs allocate nothing.
  public struct Workspace: Sendable {
    public var memory: [Double]
    var values: [Double]
    /// Loop indices and access offsets, for kernels with loops.
    var counters: [Int]
  }

  /// Runs a program once on the given leaf values (in ``Layout`` order) and
  /// returns the memory, which ``Machine/offset(of:)`` reads.
  static func run(_ program: Program, input: [Double]) -> (
    machine: Machine, memory: [Double]
  ) {
    let machine = Machine(program)
    var workspace = machine.makeWorkspace(input: input)
    machine.run(&workspace)
    return (machine, workspace.memory)
  }
}

/// One kernel as the machine runs it.
private struct DecodedKernel: Sendable {
  enum Code: UInt8 {
    case load, constant, index, copy, neg, add, sub, mul, div, pow, call, select
  }
  /// One instruction: its code, operands, and the constant, the access's
  /// index (or, without loops, the element's offset) or the function's index.
  struct Step: Sendable {
    var code: Code
    var lhs: Int32
    var rhs: Int32
    /// A select's third operand.
    var third: Int32 = 0
    var payload: Double
  }
  let steps: [Step]
  /// Each loop's first value and one past its last.
  let lowers: [Int]
  let extents: [Int]
  /// Each access's offset at the first point of the nest...
  let base: [Int]
  /// ...and how far it moves per step of each loop: `strides[a * loops + l]`.
  let strides: [Int]
  /// Per store: the access, the value, and 0 assign, 1 add, 2 maximum.
  let stores: [(access: Int, value: Int, mode: UInt8)]

  init(
    _ kernel: Kernel, _ program: Program, _ offsets: [ArrayName: Int], function: (Builtin) -> Int
  ) {
    extents = kernel.loops.map(\.extent)
    lowers = kernel.loops.map(\.lower)
    var base: [Int] = []
    var strides = [Int](repeating: 0, count: kernel.accesses.count * kernel.loops.count)
    for (a, access) in kernel.accesses.enumerated() {
      let shape = program.shape(of: access.array)
      var offset = offsets[access.array] ?? 0
      var step = 1
      for d in stride(from: shape.count - 1, through: 0, by: -1) {
        switch access.subscripts[d] {
        case .constant(let c): offset += c * step
        case .loop(let l): strides[a * kernel.loops.count + l] += step
        case .affine(let terms, let c):
          offset += c * step
          for term in terms {
            strides[a * kernel.loops.count + term.index] += term.coefficient * step
          }
        }
        step *= shape[d]
      }
      for (l, lower) in lowers.enumerated() {
        offset += strides[a * kernel.loops.count + l] * lower
      }
      base.append(offset)
    }
    self.base = base
    self.strides = strides
    let straightLine = kernel.loops.isEmpty
    steps = kernel.instructions.map { instruction in
      var p = 0.0
      let code: Code
      switch instruction.op {
      case .load(let a):
        code = .load
        p = Double(straightLine ? base[a] : a)
      case .constant(let c):
        code = .constant
        p = c
      case .index(let l):
        code = .index
        p = Double(l)
      case .copy: code = .copy
      case .neg: code = .neg
      case .add: code = .add
      case .sub: code = .sub
      case .mul: code = .mul
      case .div: code = .div
      case .pow: code = .pow
      case .call(let builtin):
        code = .call
        p = Double(function(builtin))
      case .select: code = .select
      }
      return Step(
        code: code, lhs: max(0, instruction.lhs.index), rhs: max(0, instruction.rhs.index),
        third: max(0, instruction.third.index), payload: p)
    }
    stores = kernel.stores.map { store in
      let mode: UInt8
      switch store.mode {
      case .assign: mode = 0
      case .add: mode = 1
      case .maximum: mode = 2
      case .largest: mode = 3
      case .smallest: mode = 4
      }
      return (store.access, store.value.int, mode)
    }
  }

  func run(
    _ memory: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
    _ index: UnsafeMutableBufferPointer<Int>, _ position: UnsafeMutableBufferPointer<Int>,
    _ functions: [BuiltinSpec.Value], watching: Bool, observe: () -> Void
  ) {
    steps.withUnsafeBufferPointer { steps in
      let loops = extents.count
      if loops == 0 {
        // Straight-line code: every element at its fixed offset.
        body(steps, memory, v, functions, nil, nil)
        if watching { observe() }
        for store in stores {
          Self.store(store.mode, v[store.value], at: base[store.access], memory)
        }
        return
      }
      for a in base.indices { position[a] = base[a] }
      if zip(lowers, extents).contains(where: { $0 >= $1 }) { return }
      for l in 0..<loops { index[l] = lowers[l] }
      while true {
        body(steps, memory, v, functions, position, index)
        if watching { observe() }
        for store in stores {
          Self.store(store.mode, v[store.value], at: position[store.access], memory)
        }
        // The next point: the last loop fastest, every access moved along.
        var l = loops - 1
        while l >= 0 {
          index[l] += 1
          for a in base.indices { position[a] += strides[a * loops + l] }
          if index[l] < extents[l] { break }
          for a in base.indices {
            position[a] -= strides[a * loops + l] * (extents[l] - lowers[l])
          }
          index[l] = lowers[l]
          l -= 1
        }
        if l < 0 { return }
      }
    }
  }

  @inline(__always)
  private static func store(
    _ mode: UInt8, _ value: Double, at offset: Int, _ memory: UnsafeMutableBufferPointer<Double>
  ) {
    switch mode {
    case 0: memory[offset] = value
    case 1: memory[offset] += value
    case 3: memory[offset] = Double.maximum(memory[offset], value)
    case 4: memory[offset] = Double.minimum(memory[offset], value)
    default:
      // A maximum that stays NaN once a term is NaN.
      let old = memory[offset]
      if !old.isNaN && (value.isNaN || value > old) { memory[offset] = value }
    }
  }

  /// The body at one point. A load's payload is its element's offset, or
  /// (with loops) its access, whose offset at this point is in `position`.
  @inline(__always)
  private func body(
    _ steps: UnsafeBufferPointer<Step>, _ memory: UnsafeMutableBufferPointer<Double>,
    _ v: UnsafeMutableBufferPointer<Double>, _ functions: [BuiltinSpec.Value],
    _ position: UnsafeMutableBufferPointer<Int>?, _ index: UnsafeMutableBufferPointer<Int>?
  ) {
    for i in 0..<steps.count {
      let step = steps[i]
      let a = v[Int(step.lhs)]
      let b = v[Int(step.rhs)]
      switch step.code {
      case .load:
        let p = Int(step.payload)
        v[i] = memory[position.map { $0[p] } ?? p]
      case .constant: v[i] = step.payload
      case .index: v[i] = Double(index.map { $0[Int(step.payload)] } ?? 0)
      case .copy: v[i] = a
      case .neg: v[i] = -a
      case .add: v[i] = a + b
      case .sub: v[i] = a - b
      case .mul: v[i] = a * b
      case .div: v[i] = a / b
      case .pow: v[i] = Foundation.pow(a, b)
      case .call: v[i] = functions[Int(step.payload)](a, b)
      case .select: v[i] = Op.select(a, b, v[Int(step.third)])
      }
    }
  }
}
