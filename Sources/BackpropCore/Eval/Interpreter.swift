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
    public let layout: Layout
    /// Where each array's first element sits in the memory.
    private let offsets: [ArrayName: Int]
    /// Doubles of memory a run needs.
    public let memorySize: Int
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
        kernels.append(DecodedKernel(kernel, program, offsets) { builtin in
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
    public func offset(of array: ArrayName) -> Int? { offsets[array] }

    /// Memory and scratch space for runs; the inputs go at `memory[0..<layout.numInputs]`.
    public func makeWorkspace(input: [Double]? = nil) -> Workspace {
      var memory = [Double](repeating: 0, count: memorySize)
      if let input { memory.replaceSubrange(0..<input.count, with: input) }
      return Workspace(
        memory: memory, values: [Double](repeating: 0, count: max(1, valueCount)),
        index: [Int](repeating: 0, count: max(1, loopCount)),
        position: [Int](repeating: 0, count: max(1, accessCount)))
    }

    /// Runs every kernel on the workspace's memory. `observe`, if given, sees
    /// each kernel's values after the body at each point (kernel index,
    /// values), for the warnings of `eval`.
    public func run(
      _ workspace: inout Workspace,
      observe: ((_ kernel: Int, _ values: UnsafeMutableBufferPointer<Double>) -> Void)? = nil
    ) {
      workspace.memory.withUnsafeMutableBufferPointer { memory in
        workspace.values.withUnsafeMutableBufferPointer { values in
          workspace.index.withUnsafeMutableBufferPointer { index in
            workspace.position.withUnsafeMutableBufferPointer { position in
              for (k, kernel) in kernels.enumerated() {
                kernel.run(memory, values, index, position, functions) { observe?(k, values) }
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
    var index: [Int]
    var position: [Int]
  }

  /// Runs a program once on the given leaf values (in ``Layout`` order) and
  /// returns the memory, which ``Machine/offset(of:)`` reads.
  public static func run(_ program: Program, input: [Double]) -> (machine: Machine, memory: [Double]) {
    let machine = Machine(program)
    var workspace = machine.makeWorkspace(input: input)
    machine.run(&workspace)
    return (machine, workspace.memory)
  }
}

/// One kernel as the machine runs it.
private struct DecodedKernel: Sendable {
  enum Code: UInt8 {
    case load, constant, copy, neg, add, sub, mul, div, pow, call
  }
  let codes: [Code]
  let lhs: [Int32]
  let rhs: [Int32]
  /// The constant, or the access's index, or the function's index, per instruction.
  let payload: [Double]
  let extents: [Int]
  /// Each access's offset at the first point of the nest...
  let base: [Int]
  /// ...and how far it moves per step of each loop: `strides[a * loops + l]`.
  let strides: [Int]
  let storeAccess: [Int32]
  let storeValue: [Int32]
  let storeAdds: [Bool]

  init(_ kernel: Kernel, _ program: Program, _ offsets: [ArrayName: Int], function: (Builtin) -> Int) {
    var codes: [Code] = []
    var lhs: [Int32] = []
    var rhs: [Int32] = []
    var payload: [Double] = []
    codes.reserveCapacity(kernel.instructions.count)
    for instruction in kernel.instructions {
      var p = 0.0
      let code: Code
      switch instruction.op {
      case .load(let a): code = .load; p = Double(a)
      case .constant(let c): code = .constant; p = c
      case .copy: code = .copy
      case .neg: code = .neg
      case .add: code = .add
      case .sub: code = .sub
      case .mul: code = .mul
      case .div: code = .div
      case .pow: code = .pow
      case .call(let builtin): code = .call; p = Double(function(builtin))
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
    extents = kernel.loops.map(\.extent)
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
        }
        step *= shape[d]
      }
      base.append(offset)
    }
    self.base = base
    self.strides = strides
    storeAccess = kernel.stores.map { Int32($0.access) }
    storeValue = kernel.stores.map { $0.value.index }
    storeAdds = kernel.stores.map { $0.mode == .add }
  }

  func run(
    _ memory: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
    _ index: UnsafeMutableBufferPointer<Int>, _ position: UnsafeMutableBufferPointer<Int>,
    _ functions: [BuiltinSpec.Value], observe: () -> Void
  ) {
    let loops = extents.count
    if loops == 0 {
      // Straight-line code: every element at its first (only) position.
      straightLine(memory, v, functions)
      observe()
      for s in storeAccess.indices {
        let at = base[Int(storeAccess[s])]
        if storeAdds[s] { memory[at] += v[Int(storeValue[s])] } else { memory[at] = v[Int(storeValue[s])] }
      }
      return
    }
    for a in base.indices { position[a] = base[a] }
    if extents.contains(0) { return }
    for l in 0..<loops { index[l] = 0 }
    while true {
      point(memory, v, position, functions)
      observe()
      for s in storeAccess.indices {
        let at = position[Int(storeAccess[s])]
        let value = v[Int(storeValue[s])]
        if storeAdds[s] { memory[at] += value } else { memory[at] = value }
      }
      // The next point: the last loop fastest, every access moved along.
      var l = loops - 1
      while l >= 0 {
        index[l] += 1
        for a in base.indices { position[a] += strides[a * loops + l] }
        if index[l] < extents[l] { break }
        for a in base.indices { position[a] -= strides[a * loops + l] * extents[l] }
        index[l] = 0
        l -= 1
      }
      if l < 0 { return }
    }
  }

  /// The body of a kernel without loops, each load reading its fixed offset.
  private func straightLine(
    _ memory: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
    _ functions: [BuiltinSpec.Value]
  ) {
    base.withUnsafeBufferPointer { base in
      codes.withUnsafeBufferPointer { codes in
        lhs.withUnsafeBufferPointer { lhs in
          rhs.withUnsafeBufferPointer { rhs in
            payload.withUnsafeBufferPointer { payload in
              for i in 0..<codes.count {
                let a = v[Int(lhs[i])]
                let b = v[Int(rhs[i])]
                switch codes[i] {
                case .load: v[i] = memory[base[Int(payload[i])]]
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

  /// The body at one point.
  @inline(__always)
  private func point(
    _ memory: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
    _ position: UnsafeMutableBufferPointer<Int>, _ functions: [BuiltinSpec.Value]
  ) {
    codes.withUnsafeBufferPointer { codes in
      lhs.withUnsafeBufferPointer { lhs in
        rhs.withUnsafeBufferPointer { rhs in
          payload.withUnsafeBufferPointer { payload in
            for i in 0..<codes.count {
              let a = v[Int(lhs[i])]
              let b = v[Int(rhs[i])]
              switch codes[i] {
              case .load: v[i] = memory[position[Int(payload[i])]]
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
