/// The result of `eval`: values and gradients by name, and what went wrong
/// along the way.
public struct Evaluation: Sendable {
  var program: Program
  var layout: Layout
  /// Every element of every symbol, row-major, in symbol order (NaN where
  /// the program no longer computes it).
  var elements: [[Double]]
  /// `gradientElements[o][s]`: ∂outputs[o]/∂symbols[s], row-major over
  /// shape(O) ++ shape(V) (NaN where not computed).
  var gradientElements: [[[Double]]]
  /// The first element of each: a scalar's value.
  var values: [Double] { elements.map { $0.first ?? .nan } }
  /// The first element of each gradient: a scalar's ∂O/∂V.
  var gradient: [[Double]] { gradientElements.map { row in row.map { $0.first ?? .nan } } }
  /// Something `eval` warns about: where it happened, at the first point of
  /// the kernel's nest that had it (empty without loops), and at how many.
  struct Finding: Sendable {
    var kernel: Int
    var instruction: Int
    var value: Double
    var point: [Int]
    var count: Int
  }
  /// The first instruction that made a non-finite value from finite
  /// operands: where a NaN or infinity "arose", for the warning.
  var nonFinite: Finding?
  /// Forward calls of a function with a kink (relu, abs, min, max) whose
  /// arguments sat exactly on it, in program order.
  var kinksHit: [Finding] = []

  /// Runs `program` on the leaves' values, in ``Layout`` order.
  init(program: Program, input: [Double]) {
    self.program = program
    let machine = Interpreter.Machine(program)
    layout = machine.layout
    var workspace = machine.makeWorkspace(input: input)
    var nonFinite: Finding?
    var kinks: [[Int]: Int] = [:]
    var kinksHit: [Finding] = []
    let watched = program.kernels.map { kernel in
      kernel.instructions.indices.filter { i in
        if kernel.instructions[i].role == .forward, case .call(let f) = kernel.instructions[i].op {
          return f.spec.kink != nil
        }
        return false
      }
    }
    let guards = program.kernels.map { kernel in
      Branches.guards(kernel.instructions, stored: kernel.stores.map(\.value.int))
    }
    /// The warnings' bookkeeping at one point of kernel `k`.
    func inspect(
      _ k: Int, _ values: UnsafeMutableBufferPointer<Double>,
      _ point: UnsafeMutableBufferPointer<Int>
    ) {
      let kernel = program.kernels[k]
      /// Whether the value is computed for a branch taken here (what a
      /// `where` does not take raises no warning).
      func taken(_ i: Int) -> Bool {
        guards[k].map { Branches.taken($0[i], values) } ?? true
      }
      let here = { Array(point.prefix(kernel.loops.count)) }
      if let found = nonFinite {
        // Count the points where the same instruction goes non-finite.
        if found.kernel == k, !values[found.instruction].isFinite, taken(found.instruction),
          kernel.instructions[found.instruction].operands.allSatisfy({ values[$0.int].isFinite })
        {
          nonFinite?.count += 1
        }
      } else if let i = Evaluation.firstNonFinite(kernel, values, where: taken) {
        nonFinite = Finding(kernel: k, instruction: i, value: values[i], point: here(), count: 1)
      }
      for i in watched[k] {
        let instruction = kernel.instructions[i]
        guard case .call(let f) = instruction.op, let kink = f.spec.kink else { continue }
        let y = instruction.rhs == .none ? 0 : values[instruction.rhs.int]
        guard kink.isHit(values[instruction.lhs.int], y), taken(i) else { continue }
        if let seen = kinks[[k, i]] {
          kinksHit[seen].count += 1
        } else {
          kinks[[k, i]] = kinksHit.count
          kinksHit.append(
            Finding(kernel: k, instruction: i, value: values[i], point: here(), count: 1))
        }
      }
    }
    // A strip at a time: only a lane with a value that is not finite, or on
    // a kink, is looked at point by point.
    var values = [Double](
      repeating: 0, count: max(1, program.kernels.map(\.instructions.count).max() ?? 0))
    var point = [Int](repeating: 0, count: max(1, program.kernels.map(\.loops.count).max() ?? 0))
    values.withUnsafeMutableBufferPointer { values in
      point.withUnsafeMutableBufferPointer { point in
        machine.run(&workspace) { k, strip in
          let kernel = program.kernels[k]
          let allFinite = strip.allFinite
          for lane in 0..<strip.lanes {
            let onKink = watched[k].contains { i in
              let instruction = kernel.instructions[i]
              guard case .call(let f) = instruction.op, let kink = f.spec.kink else { return false }
              let y = instruction.rhs == .none ? 0 : strip.value(instruction.rhs.int, lane: lane)
              return kink.isHit(strip.value(instruction.lhs.int, lane: lane), y)
            }
            guard !allFinite || onKink else { continue }
            let own = UnsafeMutableBufferPointer(rebasing: values[0..<kernel.instructions.count])
            strip.gather(lane, values: own, index: point)
            inspect(k, own, point)
          }
        }
      }
    }
    self.nonFinite = nonFinite
    self.kinksHit = kinksHit
    let memory = workspace.memory
    func read(_ array: ArrayName) -> [Double]? {
      let size = program.shape(of: array).reduce(1, *)
      return machine.offset(of: array).map { Array(memory[$0..<($0 + size)]) }
    }
    var elements = program.symbols.indices.map { s in
      read(.variable(s)) ?? [Double](repeating: .nan, count: program.symbols[s].size)
    }
    for (o, output) in program.outputs.enumerated()
    where machine.offset(of: .variable(output)) == nil {
      elements[output] = read(.output(o)) ?? elements[output]
    }
    self.elements = elements
    gradientElements = program.outputs.map { output in
      program.symbols.indices.map { s in
        read(.adjoint(output: output, of: s))
          ?? [Double](
            repeating: .nan, count: program.symbols[output].size * program.symbols[s].size)
      }
    }
  }

  /// Where a finding happened, as a person reads it: `h[1]` at a point of
  /// the statement's own loops, else the point (`j = 1, i = 0`), and at how
  /// many of the kernel's points; nil without loops.
  func occurrence(of finding: Finding) -> Occurrence? {
    let kernel = program.kernels[finding.kernel]
    guard !kernel.loops.isEmpty else { return nil }
    let total = kernel.loops.reduce(1) { $0 * $1.count }
    if let s = ownSymbol(kernel) {
      return Occurrence(
        place: Layout.elementName(program.symbols[s].name, finding.point), isElement: true,
        count: finding.count, total: total)
    }
    let point = zip(kernel.loops, finding.point).map { "\($0.name) = \($1)" }.joined(
      separator: ", ")
    return Occurrence(place: point, isElement: false, count: finding.count, total: total)
  }

  /// The symbol a kernel defines element by element over its own loops.
  private func ownSymbol(_ kernel: Kernel) -> Int? {
    for store in kernel.stores where store.mode == .assign {
      let access = kernel.accesses[store.access]
      guard case .variable(let s) = access.array, access.isIdentity(ofLoops: kernel.loops.count)
      else { continue }
      return s
    }
    return nil
  }

  /// What `eval` reports as non-finite because of a finding: the statement's
  /// value (at the finding's element, when it is one), or for a derivative
  /// the first ∂O/∂V in `--json` order that is not finite, with its name
  /// (`'y'`, `∂z/∂x`, `∂y[0]/∂W[1,0]`). Nil when the non-finite value did
  /// not reach anything reported (`min(exp(1000), 1)`).
  func reported(for finding: Finding) -> (name: String, value: Double)? {
    let instruction = program.kernels[finding.kernel].instructions[finding.instruction]
    switch instruction.role {
    case .forward:
      guard instruction.owner >= 0 else { return nil }
      let s = Int(instruction.owner)
      let values = elements[s]
      let kernel = program.kernels[finding.kernel]
      let at =
        ownSymbol(kernel) == s
        ? Layout.flatIndex(finding.point, shape: program.symbols[s].shape)
        : values.firstIndex { !$0.isFinite }
      guard let at, at < values.count, !values[at].isFinite else { return nil }
      return ("'\(program.symbols[s].name)'", values[at])
    case .adjoint(let output):
      guard let o = program.outputs.firstIndex(of: output) else { return nil }
      for (s, adjoint) in gradientElements[o].enumerated() {
        guard let flat = adjoint.firstIndex(where: { !$0.isFinite }) else { continue }
        let size = program.symbols[s].size
        let outputName = Layout.elementName(
          program.symbols[output].name,
          Layout.element(flat / size, shape: program.symbols[output].shape))
        let name = Layout.elementName(
          program.symbols[s].name, Layout.element(flat % size, shape: program.symbols[s].shape))
        return ("∂\(outputName)/∂\(name)", adjoint[flat])
      }
      return nil
    }
  }

  /// The first value of a body that is not finite while its operands are.
  static func firstNonFinite(
    _ kernel: Kernel, _ values: UnsafeMutableBufferPointer<Double>,
    where taken: (Int) -> Bool = { _ in true }
  ) -> Int? {
    for (i, instruction) in kernel.instructions.enumerated() where !values[i].isFinite && taken(i) {
      // A constant is finite but for a logsumexp's start, -∞, which is no trouble.
      if case .constant = instruction.op { continue }
      if instruction.operands.allSatisfy({ values[$0.int].isFinite }) { return i }
    }
    return nil
  }

  /// The instruction a finding refers to.
  func instruction(_ kernel: Int, _ index: Int) -> Instruction {
    program.kernels[kernel].instructions[index]
  }
}
