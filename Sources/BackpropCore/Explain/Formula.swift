/// An index in a formula: a binding (its name, and an id that tells apart
/// two bindings of one name), or a constant.
enum FormulaIndex: Equatable, Sendable {
  case index(String, id: Int)
  case constant(Int)
  /// `i + k`, `t - 1`: indices (name, binding id, coefficient) and a constant
  case affine([AffineIndexTerm], constant: Int)

  /// Added to the ids of a sum that a derivative makes (`Σ_k ∂b_k/∂x`), to
  /// tell it from a copy of the value (`logsumexp_k z[k]` in its own
  /// derivative): only the former collapses where a use fixes its index.
  static let derivativeMark = 1 << 48

  var marked: FormulaIndex {
    if case .index(let name, let id) = self { return .index(name, id: id + Self.derivativeMark) }
    return self
  }
}

/// One index of an affine ``FormulaIndex``, with its coefficient.
struct AffineIndexTerm: Equatable, Sendable {
  var name: String
  var id: Int
  var coefficient: Int
}

/// A formula as `explain` prints it: source names, numbers, builtins and
/// adjoints, never an IR value. Built per statement (so it stays small: a
/// statement's expression is bounded by the parser's nesting limit and by
/// ``Formula/sizeLimit``), and simplified only for display; every number
/// `explain` prints comes from the IR.
indirect enum Formula: Equatable, Sendable {
  case number(Double)
  case name(String)
  case negate(Formula)
  case add(Formula, Formula)
  case subtract(Formula, Formula)
  case multiply(Formula, Formula)
  case divide(Formula, Formula)
  case power(Formula, Formula)
  case call(String, [Formula])
  /// `f'(x)`: a builtin's derivative, by name
  case derivative(String, [Formula])
  /// `∂f(a, b)/∂a` for two-argument builtins; `argument` is 0 or 1
  case partial(String, [Formula], argument: Int)
  /// `∂O/∂V`
  case adjoint(output: String, of: String)
  /// `W[j, 0]`: an element of an array
  case element(String, [FormulaIndex])
  /// `Σ_i body` or `logsumexp_i body`
  case reduction(Reduction, [FormulaIndex], Formula)
  /// `[i = j]`: 1 where the two indices are equal, else 0
  case iverson(FormulaIndex, FormulaIndex)
  /// `∂O/∂h[j]`
  case adjointElement(output: String, of: String, [FormulaIndex])
  /// words in a formula: `Σ_k (4000 terms)`
  case text(String)
  /// `x > 0`: `where`'s condition (SPEC §7.6)
  case comparison(ComparisonOperator, Formula, Formula)
  /// `[x > 0]`: 1 where the condition holds, else 0 (an Iverson bracket)
  case holds(Formula)
  /// an index used as a value (SPEC §7.5): its whole number
  case index(FormulaIndex)

  /// Statements with more nodes than this are shown by name only.
  static let sizeLimit = 400

  /// The formula of a statement's right-hand side, from its arena range.
  ///
  /// `atom` may give a node's formula instead (an element with its indices,
  /// a reduction with its bindings, a placeholder for one use); given the
  /// formulas of the nodes before it.
  static func statement(
    _ tree: SyntaxTree, _ arena: Range<Int>,
    atom: ((Int, (ExpressionID) -> Formula) -> Formula?)? = nil
  ) -> Formula? {
    guard arena.count <= sizeLimit, !arena.isEmpty else { return nil }
    var formulas: [Formula] = []
    formulas.reserveCapacity(arena.count)
    for e in arena {
      func at(_ id: ExpressionID) -> Formula { formulas[id.index - arena.lowerBound] }
      if let atom, let formula = atom(e, at) {
        formulas.append(formula)
        continue
      }
      switch tree.expressions[e].kind {
      case .number(let v): formulas.append(.number(v))
      case .name(let n): formulas.append(.name(n))
      case .element, .reduction: return nil  // an atom's (ArrayExplanation)
      case .negate(let x): formulas.append(.negate(at(x)))
      case .binary(let op, let x, let y):
        switch op {
        case .add: formulas.append(.add(at(x), at(y)))
        case .subtract: formulas.append(.subtract(at(x), at(y)))
        case .multiply: formulas.append(.multiply(at(x), at(y)))
        case .divide: formulas.append(.divide(at(x), at(y)))
        case .power: formulas.append(.power(at(x), at(y)))
        }
      case .call(let f, _, let args): formulas.append(.call(f, args.map(at)))
      case .comparison(let op, let x, let y): formulas.append(.comparison(op, at(x), at(y)))
      case .parenthesized(let inner): formulas.append(at(inner))
      case .error: return nil
      }
    }
    return formulas.last
  }

  func mentions(_ name: String) -> Bool {
    switch self {
    case .number, .adjoint, .element, .iverson, .adjointElement, .text, .index: false
    case .comparison(_, let a, let b): a.mentions(name) || b.mentions(name)
    case .holds(let c): c.mentions(name)
    case .reduction(_, _, let body): body.mentions(name)
    case .name(let n): n == name
    case .negate(let a): a.mentions(name)
    case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b),
      .divide(let a, let b),
      .power(let a, let b):
      a.mentions(name) || b.mentions(name)
    case .call(_, let args), .derivative(_, let args), .partial(_, let args, _):
      args.contains { $0.mentions(name) }
    }
  }

  // MARK: - Differentiation, for display

  /// ∂self/∂name, simplified for a reader. `result` is the statement's own
  /// name, for builtins whose derivative reads best in terms of it.
  func derivative(by name: String, result: Formula?) -> Formula {
    switch self {
    case .number, .adjoint, .derivative, .partial, .element, .iverson, .adjointElement, .text,
      .comparison, .holds, .index:
      return .number(0)
    case .reduction(.sum, let indices, let body):
      let d = body.derivative(by: name, result: nil)
      if case .number(0) = d { return .number(0) }
      return .reduction(.sum, indices.map(\.marked), d)
    case .reduction(.maximum, let indices, let body), .reduction(.minimum, let indices, let body):
      // ∂/∂x max_i b_i = Σ_i [b_i = max_i b_i] · ∂b_i/∂x, split evenly between ties.
      let d = body.derivative(by: name, result: nil)
      if case .number(0) = d { return .number(0) }
      return .reduction(
        .sum, indices.map(\.marked), .product(.holds(.comparison(.equal, body, self)), d))
    case .reduction(.logsumexp, let indices, let body):
      // ∂/∂x logsumexp_i b_i = Σ_i exp(b_i − logsumexp) · ∂b_i/∂x
      let d = body.derivative(by: name, result: nil)
      if case .number(0) = d { return .number(0) }
      return .reduction(
        .sum, indices.map(\.marked), .product(.call("exp", [.difference(body, self)]), d))
    case .name(let n):
      return .number(n == name ? 1 : 0)
    case .negate(let a):
      return .neg(a.derivative(by: name, result: nil))
    case .add(let a, let b):
      return .sum(a.derivative(by: name, result: nil), b.derivative(by: name, result: nil))
    case .subtract(let a, let b):
      return .difference(a.derivative(by: name, result: nil), b.derivative(by: name, result: nil))
    case .multiply(let a, let b):
      return .sum(
        .product(a.derivative(by: name, result: nil), b),
        .product(a, b.derivative(by: name, result: nil)))
    case .divide(let a, let b):
      let da = a.derivative(by: name, result: nil)
      let db = b.derivative(by: name, result: nil)
      return .difference(.quotient(da, b), .quotient(.product(a, db), .raised(b, .number(2))))
    case .power(let a, let b):
      let da = a.derivative(by: name, result: nil)
      let exponentTerm: Formula
      if case .number(let k) = b {
        exponentTerm = .product(.number(k), .raised(a, .number(k - 1)))
      } else {
        exponentTerm = .product(b, .raised(a, .difference(b, .number(1))))
      }
      let baseTerm = Formula.product(exponentTerm, da)
      guard b.mentions(name) else { return baseTerm }
      let db = b.derivative(by: name, result: nil)
      return .sum(baseTerm, .product(.product(self, .call("log", [a])), db))
    case .call(let f, let args):
      let builtin: Builtin
      switch Callee(name: f) {
      case .power? where args.count == 2:
        return Formula.power(args[0], args[1]).derivative(by: name, result: result)
      case .select? where args.count == 3:
        // [c] · ∂a + (1 − [c]) · ∂b: the comparison itself has no derivative.
        return .sum(
          .product(.holds(args[0]), args[1].derivative(by: name, result: nil)),
          .product(
            .difference(.number(1), .holds(args[0])), args[2].derivative(by: name, result: nil)))
      case .builtin(let b)?:
        builtin = b
      case .power?, .select?, nil:
        preconditionFailure("the checker rejects unknown functions and wrong arities")
      }
      if args.count == 1 {
        let local: Formula
        if let result, let form = builtin.spec.derivativeOfResult {
          local = Self.resultForm(form, result)
        } else {
          local = .derivative(f, args)
        }
        return .product(local, args[0].derivative(by: name, result: nil))
      }
      var total = Formula.number(0)
      for (i, arg) in args.enumerated() {
        total = .sum(
          total, .product(.partial(f, args, argument: i), arg.derivative(by: name, result: nil)))
      }
      return total
    }
  }

  private static func resultForm(_ form: BuiltinSpec.ResultForm, _ y: Formula) -> Formula {
    switch form {
    case .result: y
    case .resultTimesOneMinusResult: .multiply(y, .subtract(.number(1), y))
    case .oneMinusResultSquared: .subtract(.number(1), .power(y, .number(2)))
    case .onePlusResultSquared: .add(.number(1), .power(y, .number(2)))
    case .halfReciprocalOfResult: .divide(.number(1), .multiply(.number(2), y))
    case .resultPlusOne: .add(y, .number(1))
    }
  }

  // MARK: - Smart constructors: the display simplifications

  static func neg(_ a: Formula) -> Formula {
    switch a {
    case .number(let v): .number(-v)
    case .negate(let inner): inner
    default: .negate(a)
    }
  }

  static func sum(_ a: Formula, _ b: Formula) -> Formula {
    if case .number(0) = a { return b }
    if case .number(0) = b { return a }
    if case .negate(let inner) = b { return difference(a, inner) }
    if case .number(let x) = a, case .number(let y) = b { return .number(x + y) }
    return .add(a, b)
  }

  static func difference(_ a: Formula, _ b: Formula) -> Formula {
    if case .number(0) = b { return a }
    if case .number(0) = a { return neg(b) }
    if case .number(let x) = a, case .number(let y) = b { return .number(x - y) }
    return .subtract(a, b)
  }

  static func product(_ a: Formula, _ b: Formula) -> Formula {
    switch (a, b) {
    case (.number(0), _), (_, .number(0)): return .number(0)
    case (.number(1), _): return b
    case (_, .number(1)): return a
    case (.number(-1), _): return neg(b)
    case (_, .number(-1)): return neg(a)
    case (.number(let x), .number(let y)): return .number(x * y)
    case (.number(let x), .multiply(.number(let y), let rest)): return product(.number(x * y), rest)
    case (.negate(let x), _): return neg(product(x, b))
    case (_, .negate(let y)): return neg(product(a, y))
    case (_, .number): return product(b, a)  // constants first: 2·B, not B·2
    default: return .multiply(a, b)
    }
  }

  static func quotient(_ a: Formula, _ b: Formula) -> Formula {
    if case .number(0) = a { return .number(0) }
    if case .number(1) = b { return a }
    return .divide(a, b)
  }

  static func raised(_ a: Formula, _ b: Formula) -> Formula {
    if case .number(1) = b { return a }
    if case .number(0) = b { return .number(1) }
    return .power(a, b)
  }
}
