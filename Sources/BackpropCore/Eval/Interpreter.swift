import Foundation

/// Evaluates a program: the same optimised IR the emitters print.
///
/// Memory is one buffer of doubles: the leaves first, exactly as the
/// generated code's `in` holds them (``Layout``), then every other array the
/// program loads or stores, each row-major at a fixed offset. Kernels run in
/// order; a kernel's body runs once at each point of its loop nest, in
/// ascending order with the last loop fastest, then its stores.
///
/// The machine runs each instruction over several *lanes* at once, in a tight
/// loop, so that its dispatch is paid once per lane group rather than once per
/// value. The lanes are either
/// - **rows**: a workspace made for R rows holds R independent evaluations
///   side by side (element e of row r at `memory[e·R + r]`), and every point
///   runs all of them; or, with one row,
/// - **a strip of the innermost loop**: up to ``stripWidth`` consecutive
///   points of the last loop run together, where that keeps every memory
///   access in the order of the one-point-at-a-time walk (a kernel that loads
///   an array it stores, or stores one array twice, runs point by point).
///
/// Each lane computes exactly the operations, in exactly the order, that
/// one evaluation alone would: the results are the same bits however many
/// lanes run.
public enum Interpreter {
  /// Points of the innermost loop one lane group takes, with one row.
  static let stripWidth = 64

  /// A program decoded once for many evaluations (training, `check`, the
  /// benchmark): flat operand arrays, builtins resolved to their functions,
  /// every element's offset computed, and a run that allocates nothing.
  public struct Machine: Sendable {
    let layout: Layout
    /// Where each array's first element sits in the memory.
    private let offsets: [ArrayName: Int]
    /// Doubles of memory one row needs.
    let memorySize: Int
    private let kernels: [DecodedKernel]
    private let functions: [BuiltinSpec.Value]
    private let valueCount: Int
    private let loopCount: Int
    private let accessCount: Int

    public init(_ program: Program) { self.init(program, sharedAcrossRows: []) }

    /// - Parameter shared: arrays that hold the same values in every row of
    ///   a many-row workspace (the leaves no row sets: parameters, defaults).
    ///   What is computed from them, constants and loop indices alone is the
    ///   same in every row too, and is computed once per point, not per row.
    init(_ program: Program, sharedAcrossRows shared: Set<ArrayName>) {
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
          DecodedKernel(kernel, program, offsets, shared: shared) { builtin in
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

    /// Memory and scratch space for runs of `rows` evaluations side by side;
    /// `input` (the leaves, in ``Layout`` order) goes to every row.
    public func makeWorkspace(input: [Double]? = nil, rows: Int = 1) -> Workspace {
      let rows = max(1, rows)
      var memory = [Double](repeating: 0, count: memorySize * rows)
      if let input {
        for (e, x) in input.enumerated() {
          for r in 0..<rows { memory[e * rows + r] = x }
        }
      }
      let lanes = rows > 1 ? rows : Interpreter.stripWidth
      return Workspace(
        memory: memory, rows: rows, lanes: lanes,
        values: [Double](repeating: 0, count: max(1, valueCount) * lanes),
        counters: [Int](repeating: 0, count: max(1, loopCount + accessCount)))
    }

    /// Runs every kernel on the workspace's memory, on its first `rows`
    /// rows (all of them by default).
    public func run(_ workspace: inout Workspace, rows: Int? = nil) {
      run(&workspace, rows: rows, watching: false) { _, _ in }
    }

    /// Runs every kernel; `watch` sees each lane group's values after the
    /// body (the kernel's index and the ``Strip``), for the warnings of
    /// `eval` and the switches of `check`.
    public func run(
      _ workspace: inout Workspace, rows: Int? = nil, watch: (_ kernel: Int, Strip) -> Void
    ) {
      run(&workspace, rows: rows, watching: true, watch)
    }

    /// Runs every kernel on a one-row workspace; `observe` sees each point's
    /// values after the body (kernel index, values, loop indices), as if the
    /// points ran one at a time.
    public func run(
      _ workspace: inout Workspace,
      observe: (
        _ kernel: Int, _ values: UnsafeMutableBufferPointer<Double>,
        _ point: UnsafeMutableBufferPointer<Int>
      ) -> Void
    ) {
      precondition(workspace.rows == 1, "points are observed one row at a time")
      var point = [Double](repeating: 0, count: max(1, valueCount))
      var pointIndex = [Int](repeating: 0, count: max(1, loopCount))
      point.withUnsafeMutableBufferPointer { values in
        pointIndex.withUnsafeMutableBufferPointer { index in
          run(&workspace, rows: 1) { k, strip in
            for lane in 0..<strip.lanes {
              strip.gather(lane, values: values, index: index)
              observe(k, values, index)
            }
          }
        }
      }
    }

    private func run(
      _ workspace: inout Workspace, rows: Int?, watching: Bool, _ watch: (Int, Strip) -> Void
    ) {
      let loops = loopCount
      let rowCount = workspace.rows
      let active = min(rows ?? rowCount, rowCount)
      let width = workspace.lanes
      workspace.memory.withUnsafeMutableBufferPointer { memory in
        workspace.values.withUnsafeMutableBufferPointer { values in
          workspace.counters.withUnsafeMutableBufferPointer { counters in
            // The loop indices first, then each access's offset at this point.
            let index = UnsafeMutableBufferPointer(rebasing: counters[0..<loops])
            let position = UnsafeMutableBufferPointer(rebasing: counters[loops...])
            let lanes = Lanes(rows: rowCount, active: active, width: width)
            kernels.withUnsafeBufferPointer { kernels in
              functions.withUnsafeBufferPointer { functions in
                for k in 0..<kernels.count {
                  kernels[k].run(
                    memory.baseAddress!, values.baseAddress!, index, position, functions, lanes,
                    watching: watching
                  ) { strip in watch(k, strip) }
                }
              }
            }
          }
        }
      }
    }
  }

  /// A run's memory and scratch, owned by the caller so runs allocate nothing.
  public struct Workspace: Sendable {
    /// Element e of row r at `memory[e * rows + r]`.
    public var memory: [Double]
    /// Evaluations held side by side.
    public let rows: Int
    /// Values computed per instruction at once: the rows, or a strip.
    let lanes: Int
    /// Instruction i's value in lane k at `values[i * lanes + k]`.
    var values: [Double]
    /// Loop indices and access offsets, for kernels with loops.
    var counters: [Int]

    /// Element `e` of row `row`.
    public subscript(element e: Int, row row: Int) -> Double {
      get { memory[e * rows + row] }
      set { memory[e * rows + row] = newValue }
    }
  }

  /// One lane group's values, as a watcher sees them after the body.
  public struct Strip {
    /// Instruction i's value in lane k at `values[i * width + k]`.
    public let values: UnsafeMutableBufferPointer<Double>
    let width: Int
    /// How many lanes ran.
    public let lanes: Int
    /// The loop indices of lane 0.
    let index: UnsafeMutableBufferPointer<Int>
    /// The kernel's last loop, whose index moves along a strip; nil without loops.
    let innermost: Int?
    /// How far lane k's innermost loop index is from lane 0's: k·step
    /// (1 for a strip, 0 for rows, which share their point).
    let step: Int

    /// Instruction `i`'s value in lane `k`.
    @inline(__always)
    public func value(_ i: Int, lane k: Int) -> Double { values[i * width + k] }

    /// Whether every value of every lane is finite.
    var allFinite: Bool {
      var finite = true
      for i in 0..<(values.count / width) {
        for k in 0..<lanes where !values[i * width + k].isFinite { finite = false }
      }
      return finite
    }

    /// Copies lane `k`'s values (as many as the kernel has, at most) and
    /// loop indices into one-point buffers.
    func gather(
      _ k: Int, values point: UnsafeMutableBufferPointer<Double>,
      index: UnsafeMutableBufferPointer<Int>
    ) {
      for i in 0..<min(point.count, values.count / width) { point[i] = values[i * width + k] }
      for l in 0..<min(index.count, self.index.count) { index[l] = self.index[l] }
      if let innermost { index[innermost] += k * step }
    }
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

/// How a run lays its lanes: the workspace's rows, how many of them run,
/// and the lane width of the values.
private struct Lanes {
  var rows: Int
  var active: Int
  var width: Int
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
    /// Which of the value (`result`) and its operands are the same in every
    /// row (``DecodedKernel/uniform(_:shared:)``).
    var same: Same = []
    var lhs: Int32
    var rhs: Int32
    /// A select's third operand.
    var third: Int32 = 0
    var payload: Double
  }

  struct Same: OptionSet, Sendable {
    let rawValue: UInt8
    static let result = Same(rawValue: 1)
    static let lhs = Same(rawValue: 2)
    static let rhs = Same(rawValue: 4)
    static let third = Same(rawValue: 8)
  }
  let steps: [Step]
  /// Each loop's first value and one past its last.
  let lowers: [Int]
  let extents: [Int]
  /// Each access's offset at the first point of the nest...
  let base: [Int]
  /// ...and how far it moves per step of each loop: `strides[a * loops + l]`.
  let strides: [Int]
  /// Each access's stride along the innermost loop, by which a strip's lanes step.
  let inner: [Int]
  /// Per store: the access, the value, the mode as ``put(_:_:same:count:at:stride:)``
  /// reads it, and whether the value is the same in every row.
  let stores: [(access: Int, value: Int, mode: UInt8, same: Bool)]
  /// Whether points of the innermost loop may run as one strip: no array is
  /// both loaded and stored, and none is stored twice, so no point reads
  /// what another writes and every element is written in point order.
  let strips: Bool

  init(
    _ kernel: Kernel, _ program: Program, _ offsets: [ArrayName: Int], shared: Set<ArrayName>,
    function: (Builtin) -> Int
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
    inner = base.indices.map {
      kernel.loops.isEmpty ? 0 : strides[$0 * kernel.loops.count + kernel.loops.count - 1]
    }
    let straightLine = kernel.loops.isEmpty
    let uniform = Self.uniform(kernel, shared: shared)
    steps = kernel.instructions.enumerated().map { i, instruction in
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
      var same: Same = []
      if uniform[i] { same.insert(.result) }
      for (operand, flag) in [
        (instruction.lhs, Same.lhs), (instruction.rhs, .rhs), (instruction.third, .third),
      ]
      where operand == .none || uniform[operand.int] {
        same.insert(flag)
      }
      return Step(
        code: code, same: same, lhs: max(0, instruction.lhs.index),
        rhs: max(0, instruction.rhs.index), third: max(0, instruction.third.index), payload: p)
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
      return (store.access, store.value.int, mode, uniform[store.value.int])
    }
    let stored = kernel.stores.map { kernel.accesses[$0.access].array }
    let loaded = kernel.instructions.compactMap { instruction -> ArrayName? in
      if case .load(let a) = instruction.op { return kernel.accesses[a].array }
      return nil
    }
    strips = Set(stored).count == stored.count && Set(stored).isDisjoint(with: loaded)
  }

  /// Which values are the same in every row: loads of `shared` arrays,
  /// constants, loop indices, and what is computed from them alone.
  static func uniform(_ kernel: Kernel, shared: Set<ArrayName>) -> [Bool] {
    var uniform = [Bool](repeating: false, count: kernel.instructions.count)
    for (i, instruction) in kernel.instructions.enumerated() {
      switch instruction.op {
      case .load(let a): uniform[i] = shared.contains(kernel.accesses[a].array)
      case .constant, .index: uniform[i] = true
      default: uniform[i] = instruction.operands.allSatisfy { uniform[$0.int] }
      }
    }
    return uniform
  }

  /// Runs the nest. With several rows, each point runs every row as a lane;
  /// with one, the innermost loop runs in strips of up to
  /// ``Interpreter/stripWidth`` points where ``strips`` allows, else point by point.
  func run(
    _ memory: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>,
    _ index: UnsafeMutableBufferPointer<Int>, _ position: UnsafeMutableBufferPointer<Int>,
    _ functions: UnsafeBufferPointer<BuiltinSpec.Value>, _ lanes: Lanes, watching: Bool,
    watch: (Interpreter.Strip) -> Void
  ) {
    steps.withUnsafeBufferPointer { steps in
      base.withUnsafeBufferPointer { base in
        strides.withUnsafeBufferPointer { strides in
          withUnsafeTemporaryAllocation(
            of: UnsafeMutablePointer<Double>.self, capacity: steps.count
          ) { operands in
            // Where each value's lanes are read: its row of `v`, or, for a load
            // whose lanes lie side by side in memory, the memory itself.
            for i in 0..<steps.count { operands.initializeElement(at: i, to: v + i * lanes.width) }
            let operands = operands.baseAddress!
            let loops = extents.count
            let rows = lanes.rows
            func strip(_ count: Int, step: Int) -> Interpreter.Strip {
              Interpreter.Strip(
                values: UnsafeMutableBufferPointer(start: v, count: steps.count * lanes.width),
                width: lanes.width, lanes: count, index: index,
                innermost: loops == 0 ? nil : loops - 1, step: step)
            }
            // As in the body: with rows, a value the same in every row is in lane 0 alone.
            let sharing = rows > 1 && !watching
            if loops == 0 {
              // Straight-line code: every element at its fixed offset.
              body(
                steps, memory, v, operands, lanes, count: lanes.active, functions, nil, nil, nil, 0,
                copying: watching)
              if watching { watch(strip(lanes.active, step: 0)) }
              for store in stores {
                put(
                  store.mode, operands[store.value], same: sharing && store.same,
                  count: lanes.active, at: memory + base[store.access] * rows, stride: 1)
              }
              return
            }
            if zip(lowers, extents).contains(where: { $0 >= $1 }) { return }
            for a in base.indices { position[a] = base[a] }
            for l in 0..<loops { index[l] = lowers[l] }
            let last = loops - 1
            let chunk = rows == 1 && strips ? Interpreter.stripWidth : 1
            inner.withUnsafeBufferPointer { inner in
              while true {
                // The innermost loop, a chunk of points at a time.
                var i = lowers[last]
                while i < extents[last] {
                  let points = min(chunk, extents[last] - i)
                  index[last] = i
                  let count = rows == 1 ? points : lanes.active
                  body(
                    steps, memory, v, operands, lanes, count: count, functions, position, index,
                    inner, last, copying: watching)
                  if watching { watch(strip(count, step: rows == 1 ? 1 : 0)) }
                  for store in stores {
                    let at = memory + position[store.access] * rows
                    put(
                      store.mode, operands[store.value], same: sharing && store.same,
                      count: count, at: at, stride: rows == 1 ? inner[store.access] : 1)
                  }
                  for a in base.indices { position[a] += inner[a] * points }
                  i += points
                }
                for a in base.indices { position[a] -= inner[a] * (extents[last] - lowers[last]) }
                index[last] = lowers[last]
                // The next point of the outer loops, every access moved along.
                var l = last - 1
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
        }
      }
    }
  }

  /// Stores `count` lanes' values in lane order, lane k at `at[k·stride]`
  /// (`same`: lane 0's value in every lane).
  @inline(__always)
  private func put(
    _ mode: UInt8, _ value: UnsafeMutablePointer<Double>, same: Bool, count: Int,
    at memory: UnsafeMutablePointer<Double>, stride: Int
  ) {
    if same {
      // Lane 0's value, in every lane.
      let x = value[0]
      switch mode {
      case 0: for k in 0..<count { memory[k &* stride] = x }
      case 1: for k in 0..<count { memory[k &* stride] += x }
      case 3: for k in 0..<count { memory[k &* stride] = Double.maximum(memory[k &* stride], x) }
      case 4: for k in 0..<count { memory[k &* stride] = Double.minimum(memory[k &* stride], x) }
      default:
        for k in 0..<count {
          let old = memory[k &* stride]
          if !old.isNaN && (x.isNaN || x > old) { memory[k &* stride] = x }
        }
      }
      return
    }
    switch (mode, stride) {
    // Rows, or a strip along an array: one element per lane, a loop the
    // compiler vectorises.
    case (0, 1): memory.update(from: value, count: count)
    case (1, 1): for k in 0..<count { memory[k] += value[k] }
    case (0, _): for k in 0..<count { memory[k &* stride] = value[k] }
    case (1, _): for k in 0..<count { memory[k &* stride] += value[k] }
    case (3, _):
      for k in 0..<count { memory[k &* stride] = Double.maximum(memory[k &* stride], value[k]) }
    case (4, _):
      for k in 0..<count { memory[k &* stride] = Double.minimum(memory[k &* stride], value[k]) }
    default:
      // A maximum that stays NaN once a term is NaN.
      for k in 0..<count {
        let old = memory[k &* stride]
        if !old.isNaN && (value[k].isNaN || value[k] > old) { memory[k &* stride] = value[k] }
      }
    }
  }

  /// The body over `count` lanes. A load's payload is its element's offset,
  /// or (with loops) its access, whose offset at this point is in
  /// `position`; a strip's lane k reads `k · inner[access]` further on, a
  /// row's lane k the element's k-th copy. A load whose lanes are side by
  /// side is not copied: `operands` points at the memory, unless `copying`
  /// (a watcher reads every value from `v`).
  @inline(__always)
  private func body(
    _ steps: UnsafeBufferPointer<Step>, _ memory: UnsafeMutablePointer<Double>,
    _ v: UnsafeMutablePointer<Double>,
    _ operands: UnsafeMutablePointer<UnsafeMutablePointer<Double>>,
    _ lanes: Lanes, count: Int, _ functions: UnsafeBufferPointer<BuiltinSpec.Value>,
    _ position: UnsafeMutableBufferPointer<Int>?, _ index: UnsafeMutableBufferPointer<Int>?,
    _ inner: UnsafeBufferPointer<Int>?, _ last: Int, copying: Bool
  ) {
    let width = lanes.width
    let rows = lanes.rows
    // With rows, a value the same in every row is computed in lane 0 alone
    // and read from there (not when a watcher reads every lane).
    let sharing = rows > 1 && !copying
    for i in 0..<steps.count {
      let step = steps[i]
      let out = v + i * width
      let a = operands[Int(step.lhs)]
      let b = operands[Int(step.rhs)]
      let same = sharing ? step.same : []
      let n = same.contains(.result) ? 1 : count
      switch step.code {
      case .load:
        let p = Int(step.payload)
        let at = position.map { $0[p] } ?? p
        let stride = rows > 1 ? 1 : count == 1 ? 0 : inner![p]
        let from = memory + at * rows
        if stride == 1 && !copying {
          operands[i] = from
          continue
        }
        operands[i] = out
        if stride == 1 {
          out.update(from: from, count: n)
        } else {
          for k in 0..<count { out[k] = from[k &* stride] }
        }
      case .constant:
        for k in 0..<n { out[k] = step.payload }
      case .index:
        let l = Int(step.payload)
        let first = index.map { $0[l] } ?? 0
        let step = rows == 1 && l == last ? 1 : 0
        for k in 0..<n { out[k] = Double(first + k * step) }
      case .copy: Self.each(n, out, a, b, same) { x, _ in x }
      case .neg: Self.each(n, out, a, b, same) { x, _ in -x }
      case .add: Self.each(n, out, a, b, same) { x, y in x + y }
      case .sub: Self.each(n, out, a, b, same) { x, y in x - y }
      case .mul: Self.each(n, out, a, b, same) { x, y in x * y }
      case .div: Self.each(n, out, a, b, same) { x, y in x / y }
      case .pow: Self.each(n, out, a, b, same) { x, y in Foundation.pow(x, y) }
      case .call:
        let f = functions[Int(step.payload)]
        Self.each(n, out, a, b, same, f)
      case .select:
        let c = operands[Int(step.third)]
        let (sa, sb, sc) = (
          same.contains(.lhs) ? 0 : 1, same.contains(.rhs) ? 0 : 1, same.contains(.third) ? 0 : 1
        )
        for k in 0..<n { out[k] = Op.select(a[k &* sa], b[k &* sb], c[k &* sc]) }
      }
    }
  }

  /// `out[k] = f(a[k], b[k])` for `n` lanes, an operand the same in every
  /// row read from its lane 0.
  @inline(__always)
  private static func each(
    _ n: Int, _ out: UnsafeMutablePointer<Double>, _ a: UnsafeMutablePointer<Double>,
    _ b: UnsafeMutablePointer<Double>, _ same: Same, _ f: (Double, Double) -> Double
  ) {
    switch (same.contains(.lhs), same.contains(.rhs)) {
    case (true, false):
      let x = a[0]
      for k in 0..<n { out[k] = f(x, b[k]) }
    case (false, true):
      let y = b[0]
      for k in 0..<n { out[k] = f(a[k], y) }
    default:
      // Both vary, or both are the same and n is 1.
      for k in 0..<n { out[k] = f(a[k], b[k]) }
    }
  }
}
