/// The body of one generated function, in either language: for each kernel,
/// a local for each value that needs one, in instruction order, then the
/// stores. The statements' syntax comes from the ``Dialect``; which values
/// get a local, and their names, from each kernel's ``FunctionPlan``.
struct FunctionBody {
  let program: Program
  let dialect: Dialect
  let plans: [FunctionPlan]
  /// Every helper function the body calls, sorted by name.
  let helpers: [Builtin]

  init(_ program: Program, layout: Layout, dialect: Dialect) {
    self.program = program
    self.dialect = dialect
    let storage = Storage(program, layout, dialect)
    var names = NameTable()
    plans = program.kernels.map { kernel in
      FunctionPlan(program, kernel, dialect: dialect, elements: kernel.accesses.map(storage.element), names: &names)
    }
    var seen = Set<Builtin>()
    helpers = plans.flatMap(\.helpers).filter { seen.insert($0).inserted }.sorted { $0.rawValue < $1.rawValue }
  }

  /// Whether the function reads its input buffer at all.
  var readsInput: Bool {
    program.kernels.contains { kernel in
      kernel.instructions.contains { instruction in
        guard case .load(let a) = instruction.op, case .variable(let s) = kernel.accesses[a].array else { return false }
        return s < program.leafCount
      }
    }
  }

  /// Whether the function writes its gradient buffer at all.
  var writesGradient: Bool {
    program.kernels.contains { kernel in
      kernel.stores.contains { store in
        guard case .adjoint(_, let s) = kernel.accesses[store.access].array else { return false }
        return s < program.leafCount
      }
    }
  }

  /// Prints the statements; `line` gives the source line of a range.
  func print(into p: inout CodePrinter, line: (SourceRange) -> Int) {
    for (kernel, plan) in zip(program.kernels, plans) {
      var announcedBackward = false
      for (i, instruction) in kernel.instructions.enumerated() {
        guard let name = plan.local[i] else { continue }
        let value = ValueID(i)
        if case .load = instruction.op {
          p.line(dialect.declare(name, plan.definition(value)))
          continue
        }
        if case .adjoint = instruction.role, !announcedBackward {
          announcedBackward = true
          p.line(dialect.comment("backward sweep: dO_dV is the partial derivative of O with respect to V"))
        }
        var statement = dialect.declare(name, plan.definition(value))
        if instruction.role == .forward, instruction.name != nil {
          statement += "  " + dialect.comment("line \(line(instruction.range))")
        }
        p.line(statement)
      }
      for store in kernel.stores {
        let access = kernel.accesses[store.access]
        let target = plan.elements[store.access]
        let value = plan.text(store.value)
        var statement = store.mode == .add ? dialect.accumulate(target, value) : dialect.assign(target, value)
        if case .adjoint(let output, let s) = access.array {
          statement += "  " + dialect.comment(dialect.partial(program.symbols[output].name, program.symbols[s].name))
        }
        p.line(statement)
      }
    }
  }
}

/// Where a generated function finds each array: the leaves in the input
/// buffer, the outputs in the output buffer, ∂output/∂leaf in the gradient
/// buffer, all at the offsets of the ``Layout``.
private struct Storage {
  let program: Program
  let layout: Layout
  let dialect: Dialect
  /// Each output symbol's position among the outputs.
  let outputPosition: [Int: Int]

  init(_ program: Program, _ layout: Layout, _ dialect: Dialect) {
    self.program = program
    self.layout = layout
    self.dialect = dialect
    var position: [Int: Int] = [:]
    for (o, s) in program.outputs.enumerated() { position[s] = o }
    outputPosition = position
  }

  func element(_ access: Access) -> String {
    switch access.array {
    case .variable(let s) where s < program.leafCount:
      return dialect.element(dialect.inputBuffer, "\(layout.input(s))")
    case .output(let o):
      return dialect.element(dialect.outputBuffer, "\(layout.output(o))")
    case .adjoint(let output, let s) where s < program.leafCount:
      let o = outputPosition[output] ?? 0
      return dialect.element(dialect.gradientBuffer, "\(layout.gradient(output: o, leaf: s))")
    case .variable, .adjoint, .temporary, .temporaryAdjoint:
      preconditionFailure("a straight-line program keeps its intermediates in locals")
    }
  }
}
