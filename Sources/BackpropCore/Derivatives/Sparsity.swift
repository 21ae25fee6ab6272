/// The structure of the Jacobian and of the Hessian (SPEC §8.2), found at
/// compile time element by element, and the colorings that group their
/// columns into sweeps.
///
/// Structure comes from running the forward program on sets instead of
/// numbers: the interpreter's walk (``Interpreter``), kernels in order, each
/// body at every point of its nest, where every value and every array element
/// holds the set of input elements (``Layout`` order) it depends on. The rules
/// are ``Tangent``'s structural zeros — a value depends on an input exactly
/// when its tangent along that input is not structurally 0 — so a structural
/// nonzero may be numerically 0, never the reverse. Only the values that an
/// output's adjoint reaches are walked: no other value's set can reach an
/// output, so dead code and the conditions of `where` cost nothing.
///
/// The Hessian of Σ_o w[o]·out[o] is found on the same walk: at each point,
/// each nonlinear operation that an output's adjoint reaches couples the sets
/// of its operands. A product a·b couples D(a) with D(b); a quotient a/b also
/// D(b) with itself; a power and every call with a second derivative all of
/// its arguments' elements with one another. Sums, selects and the calls of
/// ``BuiltinSpec/isPiecewiseLinear`` rows couple nothing (SPEC §8.1).
enum Sparsity {
  /// For each output element, in ``Layout`` order (outputs in order, each
  /// row-major), the input elements it structurally depends on, ascending.
  static func jacobian(_ forward: Program) -> [[Int]] {
    var walk = DependencyWalk(forward, reached: reachedByAdjoints(forward))
    walk.run { _, _ in }
    return walk.layout.outputs.indices.flatMap { o in
      walk.elements(of: .output(o)).map(\.elements)
    }
  }

  /// The structural nonzeros of Σ_o w[o]·∇²out[o] for any weights, as its
  /// lower triangle: for each input element i, the j ≤ i, ascending
  /// (IPOPT's `eval_h` layout, row-major).
  static func hessian(_ forward: Program) -> [[Int]] {
    let reached = reachedByAdjoints(forward)
    var walk = DependencyWalk(forward, reached: reached)
    var pattern = Pattern(walk.universe, count: walk.layout.numInputs)
    let couplings = forward.kernels.indices.map { k in
      Coupling.all(in: forward.kernels[k], reached: reached[k])
    }
    var current = -1
    var last: [(ElementSet, ElementSet)?] = []
    walk.run { k, values in
      if k != current {
        current = k
        last = Array(repeating: nil, count: couplings[k].count)
      }
      for (c, coupling) in couplings[k].enumerated() {
        let x = values[coupling.x]
        let y = coupling.y >= 0 ? values[coupling.y] : ElementSet()
        // A value the nest does not change (a scalar loaded at every point)
        // couples the same pairs again: skip the repeat.
        if let previous = last[c], previous.0 == x, previous.1 == y { continue }
        last[c] = (x, y)
        pattern.couple(coupling, x, y)
      }
    }
    return pattern.rows.map(\.elements)
  }

  /// Both triangles of a symmetric pattern given by its lower triangle.
  static func symmetric(_ lower: [[Int]]) -> [[Int]] {
    var rows = [[Int]](repeating: [], count: lower.count)
    // Row i's own entries (j ≤ i) arrive when i is reached, the ones right
    // of the diagonal (from later rows) after, in ascending order.
    for (i, row) in lower.enumerated() {
      for j in row {
        rows[i].append(j)
        if j != i { rows[j].append(i) }
      }
    }
    return rows
  }

  /// For each of `columns` columns, the rows that have an entry in it,
  /// ascending: a Jacobian's rows grouped instead of its columns (the
  /// reverse direction, one vjp sweep per group).
  static func transpose(_ rows: [[Int]], columns: Int) -> [[Int]] {
    var out = [[Int]](repeating: [], count: columns)
    for (r, row) in rows.enumerated() {
      for c in row { out[c].append(r) }
    }
    return out
  }

  /// Groups of columns that share no row (structurally orthogonal, a
  /// distance-2 coloring of the columns): one sweep along the sum of a
  /// group's unit vectors gives every entry of its columns, each row's from
  /// the one column of the group it has. Greedy, in natural column order,
  /// each column taking the smallest color that no column sharing a row with
  /// it has. On a banded pattern and on hs071 that reaches the lower bound,
  /// the longest row (3 colors for a tridiagonal Hessian); largest-degree-
  /// first gave the same counts there and on every sample, a 300×300 grid
  /// and random programs, and natural order costs nothing to find.
  static func colorColumns(_ rows: [[Int]], columns: Int) -> (colors: [Int], count: Int) {
    // A row with every column (a loss that couples all inputs, a shared
    // weight) gives each column its own color, as the greedy walk would.
    if rows.contains(where: { $0.count == columns }) { return (Array(0..<columns), columns) }
    let byColumn = transpose(rows, columns: columns)
    let universe = Universe(size: columns)
    // The colors taken in each row, and the smallest color it has not: a
    // column's color is at least the largest of those, so a row whose
    // colors are 0..<k (a dense row) costs one word, not k / 64.
    var taken = [ElementSet](repeating: ElementSet(), count: rows.count)
    var firstFree = [Int](repeating: 0, count: rows.count)
    var colors = [Int](repeating: 0, count: columns)
    var count = 0
    for (c, column) in byColumn.enumerated() {
      var color = column.reduce(0) { max($0, firstFree[$1]) }
      while true {
        // The colors of one word that the column's rows have taken, and
        // the ones below `color`.
        let word = color >> 6
        var occupied: UInt64 = (1 << UInt64(color & 63)) - 1
        for r in column { occupied |= taken[r].word(word) }
        if occupied != ~0 {
          color = word << 6 | (~occupied).trailingZeroBitCount
          break
        }
        color = (word + 1) << 6
      }
      colors[c] = color
      count = max(count, color + 1)
      for r in column {
        universe.insert(color, into: &taken[r])
        while taken[r].contains(firstFree[r]) { firstFree[r] += 1 }
      }
    }
    return (colors, count)
  }

  /// Which values of each kernel an output's adjoint reaches: the reverse
  /// pass's walk from the outputs back through every operand with a partial
  /// (not a select's condition, not an argument whose rule is nil), across
  /// kernels through the arrays their loads read. These are the edges along
  /// which dependence flows forward, so no other value's set can reach an
  /// output (the walk skips them: dead code, conditions), and only here does
  /// a nonlinear operation bend an output; a product that only decides a
  /// `where` does not.
  private static func reachedByAdjoints(_ program: Program) -> [[Bool]] {
    var arrays = ArraySet(program.outputs.indices.map { .output($0) })
    var reached = [[Bool]](repeating: [], count: program.kernels.count)
    for (k, kernel) in program.kernels.enumerated().reversed() {
      var live = [Bool](repeating: false, count: kernel.instructions.count)
      // A kernel that loads an array it also stores (a recurrence) may reach
      // more of its stores once a load has reached that array.
      var grew = true
      while grew {
        grew = false
        for store in kernel.stores where arrays.contains(kernel.accesses[store.access].array) {
          live[store.value.int] = true
        }
        for i in kernel.instructions.indices.reversed() where live[i] {
          let instruction = kernel.instructions[i]
          switch instruction.op {
          case .load(let a):
            if arrays.insert(kernel.accesses[a].array) { grew = true }
          case .constant, .index:
            break
          case .copy, .neg, .add, .sub, .mul, .div, .pow:
            for operand in instruction.operands { live[operand.int] = true }
          case .call(let builtin):
            let rule = builtin.spec.adjoint
            if rule.x != nil { live[instruction.lhs.int] = true }
            if rule.y != nil && instruction.rhs != .none { live[instruction.rhs.int] = true }
          case .select:
            live[instruction.rhs.int] = true
            live[instruction.third.int] = true
          }
        }
      }
      reached[k] = live
    }
    return reached
  }
}

// MARK: - The walk

/// The forward program run on sets of input elements, the values an
/// output's adjoint reaches only.
private struct DependencyWalk {
  let layout: Layout
  let universe: Universe
  /// Every array's elements, each at a fixed offset, the leaves first
  /// (element i of `in` depends on input i), as the interpreter's memory.
  private var memory: [ElementSet]
  private let offsets: ArrayMap<Int>
  private let program: Program
  private let kernels: [SetKernel]

  init(_ program: Program, reached: [[Bool]]) {
    self.program = program
    layout = Layout(program)
    universe = Universe(size: layout.numInputs)
    var offsets = ArrayMap<Int>()
    for leaf in layout.leaves { offsets[.variable(leaf.symbol)] = leaf.offset }
    var size = layout.numInputs
    for (kernel, reached) in zip(program.kernels, reached) {
      var used = kernel.stores.filter { reached[$0.value.int] }.map(\.access)
      for (i, instruction) in kernel.instructions.enumerated() where reached[i] {
        if case .load(let a) = instruction.op { used.append(a) }
      }
      for a in used where offsets[kernel.accesses[a].array] == nil {
        offsets[kernel.accesses[a].array] = size
        size += program.shape(of: kernel.accesses[a].array).reduce(1, *)
      }
    }
    self.offsets = offsets
    kernels = program.kernels.indices.map { k in
      SetKernel(program.kernels[k], reached: reached[k], program, offsets)
    }
    let inputs = layout.numInputs
    memory = (0..<size).map { $0 < inputs ? ElementSet(element: $0) : ElementSet() }
  }

  /// The elements of an array, row-major; none depends on anything when
  /// the program never writes it.
  func elements(of array: ArrayName) -> ArraySlice<ElementSet> {
    let size = program.shape(of: array).reduce(1, *)
    guard let offset = offsets[array] else {
      return ArraySlice(repeatElement(ElementSet(), count: size))
    }
    return memory[offset..<(offset + size)]
  }

  /// Runs every kernel, in order; `visit` sees each kernel's values at each
  /// point of its nest, before the stores.
  mutating func run(_ visit: (_ kernel: Int, _ values: [ElementSet]) -> Void) {
    for (k, kernel) in kernels.enumerated() where !kernel.stores.isEmpty {
      var values = [ElementSet](repeating: ElementSet(), count: kernel.valueCount)
      var position = kernel.base
      let loops = kernel.extents.count
      if zip(kernel.lowers, kernel.extents).contains(where: { $0 >= $1 }) { continue }
      var index = kernel.lowers
      while true {
        for (i, step) in kernel.steps {
          if step.access >= 0 {
            values[i] = memory[position[step.access]]
          } else {
            let x = step.x >= 0 ? values[step.x] : ElementSet()
            values[i] = step.y >= 0 ? universe.union(x, values[step.y]) : x
          }
        }
        visit(k, values)
        for store in kernel.stores {
          if store.assigns {
            memory[position[store.access]] = values[store.value]
          } else {
            universe.formUnion(&memory[position[store.access]], values[store.value])
          }
        }
        // The next point: the last loop fastest, every access moved along.
        var l = loops - 1
        while l >= 0 {
          index[l] += 1
          for a in position.indices { position[a] += kernel.strides[a * loops + l] }
          if index[l] < kernel.extents[l] { break }
          for a in position.indices {
            position[a] -= kernel.strides[a * loops + l] * (kernel.extents[l] - kernel.lowers[l])
          }
          index[l] = kernel.lowers[l]
          l -= 1
        }
        if l < 0 { break }
      }
    }
  }
}

/// One kernel as the walk runs it: each reached value a load or the union
/// of at most two operands' sets, the stores of reached values, and each
/// access's offset as the interpreter computes it (at the first point, and
/// its stride per loop).
private struct SetKernel {
  /// A load of access `access`, or (access −1) the union of operands `x`
  /// and `y` (−1: none, the empty set).
  struct Step {
    var access = -1
    var x = -1
    var y = -1
  }
  /// The reached instructions, in order, each with its step.
  let steps: [(value: Int, step: Step)]
  /// Values of the body, reached or not.
  let valueCount: Int
  let lowers: [Int]
  let extents: [Int]
  let base: [Int]
  /// `strides[a * loops + l]`: how far access a moves per step of loop l.
  let strides: [Int]
  let stores: [(access: Int, value: Int, assigns: Bool)]

  init(_ kernel: Kernel, reached: [Bool], _ program: Program, _ offsets: ArrayMap<Int>) {
    lowers = kernel.loops.map(\.lower)
    extents = kernel.loops.map(\.extent)
    let loops = kernel.loops.count
    var base: [Int] = []
    var strides = [Int](repeating: 0, count: kernel.accesses.count * loops)
    for (a, access) in kernel.accesses.enumerated() {
      // An access nothing loads or stores may name an output the program no
      // longer has (`Lowering.withOutputs` drops stores, not accesses).
      guard let at = offsets[access.array] else {
        base.append(0)
        continue
      }
      let shape = program.shape(of: access.array)
      var offset = at
      var step = 1
      for d in stride(from: shape.count - 1, through: 0, by: -1) {
        switch access.subscripts[d] {
        case .constant(let c): offset += c * step
        case .loop(let l): strides[a * loops + l] += step
        case .affine(let terms, let c):
          offset += c * step
          for term in terms { strides[a * loops + term.index] += term.coefficient * step }
        }
        step *= shape[d]
      }
      for (l, lower) in lowers.enumerated() { offset += strides[a * loops + l] * lower }
      base.append(offset)
    }
    self.base = base
    self.strides = strides
    // Tangent's rules (`carriesTangent`): what a value's tangent is made of.
    valueCount = kernel.instructions.count
    steps = kernel.instructions.indices.filter { reached[$0] }.map { i in
      let instruction = kernel.instructions[i]
      let x = instruction.lhs.int
      let y = instruction.rhs.int
      switch instruction.op {
      case .load(let a): return (i, Step(access: a))
      case .constant, .index: return (i, Step())
      case .copy, .neg: return (i, Step(x: x))
      case .add, .sub, .mul, .div, .pow: return (i, Step(x: x, y: y))
      case .call(let builtin):
        let rule = builtin.spec.adjoint
        return (i, Step(x: rule.x != nil ? x : -1, y: rule.y != nil && y >= 0 ? y : -1))
      case .select:
        // The branches, never the condition.
        return (i, Step(x: y, y: instruction.third.int))
      }
    }
    stores = kernel.stores.filter { reached[$0.value.int] }.map { store in
      (store.access, store.value.int, store.mode == .assign)
    }
  }
}

// MARK: - The Hessian's pairs

/// The pairs one nonlinear instruction couples, from the sets of its operands
/// x and y (−1: none).
private struct Coupling {
  enum Kind {
    /// x·y: D(x) with D(y)
    case product
    /// x/y: D(y) with D(x) ∪ D(y)
    case quotient
    /// a power, a call: D(x) ∪ D(y) with itself
    case every
  }
  var kind: Kind
  var x: Int
  var y: Int

  /// The couplings of the instructions of a kernel that an adjoint reaches.
  static func all(in kernel: Kernel, reached: [Bool]) -> [Coupling] {
    kernel.instructions.indices.compactMap { i in
      guard reached[i] else { return nil }
      let instruction = kernel.instructions[i]
      let (x, y) = (instruction.lhs.int, instruction.rhs.int)
      switch instruction.op {
      case .constant, .load, .index, .copy, .neg, .add, .sub, .select: return nil
      case .mul: return Coupling(kind: .product, x: x, y: y)
      case .div: return Coupling(kind: .quotient, x: x, y: y)
      case .pow: return Coupling(kind: .every, x: x, y: y)
      case .call(let builtin):
        guard !builtin.spec.isPiecewiseLinear else { return nil }
        return Coupling(kind: .every, x: x, y: builtin.arity == 2 ? y : -1)
      }
    }
  }
}

/// The lower triangle of the Hessian's pattern, a row per input element.
private struct Pattern {
  let universe: Universe
  var rows: [ElementSet]

  init(_ universe: Universe, count: Int) {
    self.universe = universe
    rows = Array(repeating: ElementSet(), count: count)
  }

  /// Adds what `coupling` couples, given the sets of its operands.
  mutating func couple(_ coupling: Coupling, _ x: ElementSet, _ y: ElementSet) {
    switch coupling.kind {
    case .product: pairs(x, y)
    case .quotient: pairs(y, universe.union(x, y))
    case .every:
      let all = universe.union(x, y)
      pairs(all, all)
    }
  }

  /// Every (i, j) and (j, i), i in `a`, j in `b`, that lies in the lower triangle.
  private mutating func pairs(_ a: ElementSet, _ b: ElementSet) {
    guard !a.isEmpty, !b.isEmpty else { return }
    for i in a { universe.formUnion(&rows[i], b, through: i) }
    guard a != b else { return }
    for j in b { universe.formUnion(&rows[j], a, through: j) }
  }
}

// MARK: - Sets of elements

/// A set of small whole numbers (input elements, colors): a sorted list
/// while it is short, one bit per element of its ``Universe`` once the list
/// would take more memory. A value of a program mostly depends on a few
/// inputs (an element of a layer, a window) and a loss on all of them; both
/// stay cheap: a set over 10⁵ inputs takes 10⁵ bits only once it has more
/// than 3,125 elements.
private struct ElementSet: Equatable {
  /// The elements, ascending, while few; empty once `bits` holds them.
  var list: [Int32] = []
  /// Bit e of word e / 64 for element e; empty while `list` holds them.
  var bits: [UInt64] = []

  init() {}

  init(element: Int) { list = [Int32(element)] }

  var isEmpty: Bool { list.isEmpty && bits.isEmpty }

  func contains(_ element: Int) -> Bool {
    guard bits.isEmpty else { return word(element >> 6) >> UInt64(element & 63) & 1 != 0 }
    let i = list.lowerBound(Int32(element))
    return i < list.count && list[i] == Int32(element)
  }

  /// The elements 64·w ..< 64·w + 64, as the bits of one word.
  func word(_ w: Int) -> UInt64 {
    guard bits.isEmpty else { return w < bits.count ? bits[w] : 0 }
    var out: UInt64 = 0
    var i = list.lowerBound(Int32(w << 6))
    while i < list.count && Int(list[i]) >> 6 == w {
      out |= 1 << (UInt64(list[i]) & 63)
      i += 1
    }
    return out
  }

  /// The elements, ascending.
  var elements: [Int] { Array(self) }
}

extension ElementSet: Sequence {
  /// The elements, ascending.
  struct Iterator: IteratorProtocol {
    let set: ElementSet
    /// The next position in the list, or the next word of the bits.
    var position = 0
    /// The bits of the last word read not yet returned.
    var rest: UInt64 = 0

    mutating func next() -> Int? {
      guard !set.bits.isEmpty else {
        guard position < set.list.count else { return nil }
        position += 1
        return Int(set.list[position - 1])
      }
      while rest == 0 {
        guard position < set.bits.count else { return nil }
        rest = set.bits[position]
        position += 1
      }
      let element = (position - 1) << 6 | rest.trailingZeroBitCount
      rest &= rest - 1
      return element
    }
  }

  func makeIterator() -> Iterator { Iterator(set: self) }
}

/// The sets over the elements 0..<size: how many words their bits take, and
/// the longest list a set keeps before it changes to bits.
private struct Universe {
  let words: Int
  let longestList: Int

  init(size: Int) {
    words = (size + 63) / 64
    // An Int32 is half a word: a list is no larger than the bits.
    longestList = max(16, 2 * words)
  }

  func union(_ a: ElementSet, _ b: ElementSet) -> ElementSet {
    if b.isEmpty || a == b { return a }
    if a.isEmpty { return b }
    // Start from the set of bits, if there is one, so a list adds to it in place.
    var out = a.bits.isEmpty ? b : a
    formUnion(&out, a.bits.isEmpty ? a : b)
    return out
  }

  func insert(_ element: Int, into set: inout ElementSet) {
    guard set.bits.isEmpty else {
      set.bits[element >> 6] |= 1 << UInt64(element & 63)
      return
    }
    let i = set.list.lowerBound(Int32(element))
    guard i == set.list.count || set.list[i] != Int32(element) else { return }
    set.list.insert(Int32(element), at: i)
    if set.list.count > longestList { set = bits(of: set.list) }
  }

  /// Adds to `a` the elements of `b` that are at most `bound`.
  func formUnion(_ a: inout ElementSet, _ b: ElementSet, through bound: Int = .max) {
    guard !b.isEmpty else { return }
    if !a.bits.isEmpty {
      if b.bits.isEmpty {
        for e in b.list {
          guard e <= bound else { break }
          a.bits[Int(e) >> 6] |= 1 << (UInt64(e) & 63)
        }
      } else {
        let last = min(words - 1, bound >> 6)
        for w in 0..<last { a.bits[w] |= b.bits[w] }
        a.bits[last] |= b.bits[last] & Self.mask(through: bound - last * 64)
      }
      return
    }
    if b.bits.isEmpty {
      let end = b.list.firstIndex { $0 > bound } ?? b.list.endIndex
      guard end > 1 else {
        if end == 1 { insert(Int(b.list[0]), into: &a) }
        return
      }
      a.list = Self.merge(a.list, b.list[..<end])
      if a.list.count > longestList { a = bits(of: a.list) }
      return
    }
    // A list and bits: a list still if few of the bits are at most `bound`.
    let last = min(words - 1, bound >> 6)
    let mask = Self.mask(through: bound - last * 64)
    var count = (b.bits[last] & mask).nonzeroBitCount
    for w in 0..<last { count += b.bits[w].nonzeroBitCount }
    if a.list.count + count <= longestList {
      var elements: [Int32] = []
      elements.reserveCapacity(count)
      for e in b where e <= bound { elements.append(Int32(e)) }
      a.list = Self.merge(a.list, elements[...])
    } else {
      var out = bits(of: a.list)
      for w in 0..<last { out.bits[w] |= b.bits[w] }
      out.bits[last] |= b.bits[last] & mask
      a = out
    }
  }

  /// The bits of a word that stand for elements at most `bit` within it.
  private static func mask(through bit: Int) -> UInt64 {
    bit >= 63 ? ~0 : (1 << UInt64(bit + 1)) - 1
  }

  private func bits(of list: [Int32]) -> ElementSet {
    var out = ElementSet()
    out.bits = [UInt64](repeating: 0, count: words)
    for e in list { out.bits[Int(e) >> 6] |= 1 << (UInt64(e) & 63) }
    return out
  }

  private static func merge(_ a: [Int32], _ b: ArraySlice<Int32>) -> [Int32] {
    var out: [Int32] = []
    out.reserveCapacity(a.count + b.count)
    var i = a.startIndex
    var j = b.startIndex
    while i < a.endIndex && j < b.endIndex {
      if a[i] < b[j] {
        out.append(a[i])
        i += 1
      } else if b[j] < a[i] {
        out.append(b[j])
        j += 1
      } else {
        out.append(a[i])
        i += 1
        j += 1
      }
    }
    out += a[i...]
    out += b[j...]
    return out
  }
}

extension [Int32] {
  /// The first position whose element is not below `element` (the list ascending).
  fileprivate func lowerBound(_ element: Int32) -> Int {
    var low = 0
    var high = count
    while low < high {
      let middle = (low + high) / 2
      if self[middle] < element { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
