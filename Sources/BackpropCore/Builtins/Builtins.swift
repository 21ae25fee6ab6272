import Foundation

/// The builtin functions. Everything the compiler knows about one of them is
/// its row in ``spec``: the checker, the reverse pass, the simplifier, the
/// interpreter and both emitters read that row and nothing else. Adding a
/// function is adding a case and a row; the tests iterate `allCases`.
///
/// The table is data and depends on no phase: its derivative rules are
/// ``Rule`` formulas (PyTorch's `derivatives.yaml`), which the reverse pass
/// turns into IR.
///
/// `pow(a, b)` is not here: it is the `^` operator (see ``Callee``).
enum Builtin: String, CaseIterable, Hashable, Sendable {
  case exp, log, sqrt, sin, cos, tan, tanh, sigmoid, relu, abs, softplus, min, max
  case asin, acos, atan, sinh, cosh, log1p, expm1

  // Internal: made by derivative rules, never callable from a program.
  /// relu's adjoint: `gate(x, g) = x > 0 ? g : 0` (relu'(0) = 0)
  case gate
  /// abs's local derivative: `sign(x)`, with sign(0) = 0 (abs'(0) = 0)
  case sign
  /// max's share of the gradient for its first argument: 1, ½ at a tie, else 0
  case maxShare
  /// the exponent's partial of `a ^ b`: `powLog(a, r) = a == 0 ? 0 : r·log(a)`, r = a^b
  case powLog
  /// the base's partial of `a ^ b` for an exponent that is not a constant:
  /// `powBase(a, b) = b == 0 ? 0 : b·a^(b−1)` (SPEC §1: exactly 0 where b = 0)
  case powBase
  /// `quotientOrZero(v, a) = a == 0 ? 0 : v / a`: powLog's partial in its base,
  /// 0 at a = 0 as powLog's value is (a second derivative of `a ^ b`, SPEC §8)
  case quotientOrZero
  /// `equal(a, b) = a == b ? 1 : 0`: counts a logsumexp's terms at its
  /// maximum, and is `where`'s `==`
  case equal
  /// `where`'s other comparisons (SPEC §7.6): 1 where they hold, else 0; with
  /// a NaN operand only `notEqual` holds. No derivative.
  case less, lessOrEqual, greater, greaterOrEqual, notEqual
  /// a logsumexp term: `lseExp(e, m) = e == m ? 1 : exp(e − m)` (1 also at e = m = ±∞)
  case lseExp
  /// a logsumexp's value: `lseResult(m, s) = isinf(m) ? m : m + log(s)`
  case lseResult
  /// `isInfinite(m) = isinf(m) ? 1 : 0`: ∂lseResult/∂m
  case isInfinite
  /// `lseScale(m, s) = isinf(m) ? 0 : 1 / s`: ∂lseResult/∂s
  case lseScale
}

/// How one target language spells a builtin.
enum Spelling: Sendable {
  /// a function of the language's math library, called as `name(x)`
  case library(String)
  /// a small function the emitter writes into the generated file once, if used
  case helper(name: String, definition: String)
}

/// One row of the builtin table.
struct BuiltinSpec: Sendable {
  typealias Value = @Sendable (_ x: Double, _ y: Double) -> Double
  /// Contributions to the adjoints of the first and second argument, as
  /// ``Rule``s in the upstream adjoint `g`, the arguments `x` and `y` and the
  /// call's result `r`. `nil` means "no contribution" (a structural zero,
  /// never a `0` constant).
  ///
  /// Every rule is linear in `g`: it is `g` times the partial (or, as
  /// `gate`, `g` where the partial is 1). So the same rules are the tangent
  /// rules of forward mode (SPEC §8, ``Tangent``) with `g` read as the
  /// argument's tangent: ṙ = x-rule(g = ẋ) + y-rule(g = ẏ). One formula per
  /// partial serves both directions, and a test holds every row to it.
  typealias Adjoint = (x: Rule?, y: Rule?)

  var arity: Int
  var callable: Bool
  var value: Value
  var adjoint: Adjoint
  var swift: Spelling
  var c: Spelling
  /// One line for the README's table and `--help`.
  var summary: String
  /// Where the function has a kink, whether the arguments sit exactly on it,
  /// and the convention its derivative follows there (for `eval`'s warning).
  var kink: Kink? = nil
  /// How `explain` writes the derivative in terms of the result y when a
  /// statement is just this call (`out = sigmoid(net)`: `out·(1 − out)`);
  /// otherwise it writes `f'(x)`.
  var derivativeOfResult: ResultForm? = nil
  /// Whether the second derivative is 0 wherever it is defined, the first
  /// being piecewise constant (SPEC §8.1: relu, abs, min, max, the
  /// comparisons): such a call adds no entry to the Hessian's structure
  /// (``Sparsity``), while every other call couples all its arguments.
  var isPiecewiseLinear = false

  /// The derivative as a formula in the result y.
  enum ResultForm: Sendable {
    /// y
    case result
    /// y·(1 − y)
    case resultTimesOneMinusResult
    /// 1 − y²
    case oneMinusResultSquared
    /// 1 + y²
    case onePlusResultSquared
    /// 1 / (2·y)
    case halfReciprocalOfResult
    /// y + 1
    case resultPlusOne
  }

  struct Kink: Sendable {
    var isHit: @Sendable (_ x: Double, _ y: Double) -> Bool
    var convention: String
  }
}

extension Builtin {
  var arity: Int { Builtin.arities[ordinal] }

  /// The case's position in `allCases`, for hash keys: a raw-value enum
  /// would otherwise hash (and compare) its name. A payload-free enum is
  /// stored as its case index in one byte; a test checks the two agree.
  var ordinal: Int { Int(unsafeBitCast(self, to: UInt8.self)) }

  /// The row of the table (see the type's documentation), made once.
  var spec: BuiltinSpec { Builtin.specs[ordinal] }

  private static let specs = allCases.map(\.definition)
  private static let arities = specs.map(\.arity)

  /// The single source of truth (see the type's documentation).
  private var definition: BuiltinSpec {
    let (g, x, y, r): (Rule, Rule, Rule, Rule) = (.upstream, .x, .y, .result)
    return switch self {
    //       arity  value                          adjoint (g upstream, x y arguments, r result)
    case .exp:
      .unary(
        { x in Foundation.exp(x) }, (g * r, nil),
        "exp", "e^x", explain: .result)
    case .log:
      .unary(
        { x in Foundation.log(x) }, (g / x, nil),
        "log", "natural logarithm")
    case .sqrt:
      .unary(
        { x in x.squareRoot() },
        (g / (2 * r), nil),
        "sqrt", "square root", explain: .halfReciprocalOfResult)
    case .sin:
      .unary(
        { x in Foundation.sin(x) }, (g * .call(.cos, x), nil),
        "sin", "sine")
    case .cos:
      .unary(
        { x in Foundation.cos(x) },
        (-(g * .call(.sin, x)), nil),
        "cos", "cosine")
    case .tan:
      .unary(
        { x in Foundation.tan(x) },
        (g * (1 + r * r), nil),
        "tan", "tangent", explain: .onePlusResultSquared)
    case .tanh:
      .unary(
        { x in Foundation.tanh(x) },
        (g * (1 - r * r), nil),
        "tanh", "hyperbolic tangent", explain: .oneMinusResultSquared)
    case .sigmoid:
      .init(
        arity: 1, callable: true, value: { x, _ in Self.sigmoid(x) },
        adjoint: (g * (r * (1 - r)), nil),
        swift: .helper(
          name: "sigmoid",
          definition: """
            private static func sigmoid(_ x: Double) -> Double {
                // Stable for large |x|: exp never overflows.
                if x >= 0 { return 1 / (1 + exp(-x)) }
                let e = exp(x)
                return e / (1 + e)
            }
            """),
        c: .helper(
          name: "bp_sigmoid",
          definition: """
            static double bp_sigmoid(double x)
            {
                /* Stable for large |x|: exp never overflows. */
                if (x >= 0.0) {
                    return 1.0 / (1.0 + exp(-x));
                }
                const double e = exp(x);
                return e / (1.0 + e);
            }
            """),
        summary: "1 / (1 + e^-x), stable for large |x|",
        derivativeOfResult: .resultTimesOneMinusResult)
    case .relu:
      .init(
        arity: 1, callable: true, value: { x, _ in x < 0 ? 0 : x },
        adjoint: (.call(.gate, x, g), nil),
        swift: .helper(
          name: "relu",
          definition: """
            private static func relu(_ x: Double) -> Double {
                x < 0 ? 0 : x
            }
            """),
        c: .helper(
          name: "bp_relu",
          definition: """
            static double bp_relu(double x)
            {
                return x < 0.0 ? 0.0 : x;
            }
            """),
        summary: "max(x, 0); relu'(0) = 0",
        kink: .init(isHit: { x, _ in x == 0 }, convention: "relu'(0) is taken as 0"),
        isPiecewiseLinear: true)
    case .abs:
      .init(
        arity: 1, callable: true, value: { x, _ in x.magnitude },
        adjoint: (g * .call(.sign, x), nil),
        swift: .library("abs"), c: .library("fabs"),
        summary: "absolute value; abs'(0) = 0",
        kink: .init(isHit: { x, _ in x == 0 }, convention: "abs'(0) is taken as 0"),
        isPiecewiseLinear: true)
    case .softplus:
      .init(
        arity: 1, callable: true, value: { x, _ in Self.softplus(x) },
        adjoint: (g * .call(.sigmoid, x), nil),
        swift: .helper(
          name: "softplus",
          definition: """
            private static func softplus(_ x: Double) -> Double {
                // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
                Double.maximum(x, 0) + log1p(exp(-abs(x)))
            }
            """),
        c: .helper(
          name: "bp_softplus",
          definition: """
            static double bp_softplus(double x)
            {
                /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). */
                return fmax(x, 0.0) + log1p(exp(-fabs(x)));
            }
            """),
        summary: "log(1 + e^x), stable for large |x|")
    case .min:
      .init(
        arity: 2, callable: true, value: { x, y in Double.minimum(x, y) },
        adjoint: (g * .call(.maxShare, y, x), g * .call(.maxShare, x, y)),
        swift: .library("Double.minimum"), c: .library("fmin"),
        summary: "smaller argument; a tie splits the gradient evenly",
        kink: .init(
          isHit: { x, y in x == y },
          convention: "at a tie each argument of 'min' gets half of the gradient"),
        isPiecewiseLinear: true)
    case .max:
      .init(
        arity: 2, callable: true, value: { x, y in Double.maximum(x, y) },
        adjoint: (g * .call(.maxShare, x, y), g * .call(.maxShare, y, x)),
        swift: .library("Double.maximum"), c: .library("fmax"),
        summary: "larger argument; a tie splits the gradient evenly",
        kink: .init(
          isHit: { x, y in x == y },
          convention: "at a tie each argument of 'max' gets half of the gradient"),
        isPiecewiseLinear: true)
    case .asin:
      .unary(
        { x in Foundation.asin(x) },
        (g / .call(.sqrt, 1 - x * x), nil),
        "asin", "arcsine")
    case .acos:
      .unary(
        { x in Foundation.acos(x) },
        (-(g / .call(.sqrt, 1 - x * x)), nil),
        "acos", "arccosine")
    case .atan:
      .unary(
        { x in Foundation.atan(x) },
        (g / (1 + x * x), nil),
        "atan", "arctangent")
    case .sinh:
      .unary(
        { x in Foundation.sinh(x) }, (g * .call(.cosh, x), nil),
        "sinh", "hyperbolic sine")
    case .cosh:
      .unary(
        { x in Foundation.cosh(x) }, (g * .call(.sinh, x), nil),
        "cosh", "hyperbolic cosine")
    case .log1p:
      .unary(
        { x in Foundation.log1p(x) },
        (g / (1 + x), nil),
        "log1p", "log(1 + x), accurate near 0")
    case .expm1:
      .unary(
        { x in Foundation.expm1(x) },
        (g * (r + 1), nil),
        "expm1", "e^x - 1, accurate near 0", explain: .resultPlusOne)

    // MARK: Internal rows
    case .gate:
      .init(
        arity: 2, callable: false, value: { x, g in x > 0 ? g : 0 },
        adjoint: (nil, .call(.gate, x, g)),
        swift: .helper(
          name: "gate",
          definition: """
            private static func gate(_ x: Double, _ g: Double) -> Double {
                x > 0 ? g : 0
            }
            """),
        c: .helper(
          name: "bp_gate",
          definition: """
            static double bp_gate(double x, double g)
            {
                return x > 0.0 ? g : 0.0;
            }
            """),
        summary: "relu's adjoint: g where x > 0, else 0", isPiecewiseLinear: true)
    case .sign:
      .init(
        arity: 1, callable: false, value: { x, _ in Self.sign(x) },
        adjoint: (nil, nil),
        swift: .helper(
          name: "sign",
          definition: """
            private static func sign(_ x: Double) -> Double {
                x > 0 ? 1 : (x < 0 ? -1 : 0)
            }
            """),
        c: .helper(
          name: "bp_sign",
          definition: """
            static double bp_sign(double x)
            {
                return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
            }
            """),
        summary: "abs's derivative: -1, 0 or 1", isPiecewiseLinear: true)
    case .maxShare:
      .init(
        arity: 2, callable: false, value: { x, y in x > y ? 1 : (x == y ? 0.5 : 0) },
        adjoint: (nil, nil),
        swift: .helper(
          name: "maxShare",
          definition: """
            private static func maxShare(_ x: Double, _ y: Double) -> Double {
                x > y ? 1 : (x == y ? 0.5 : 0)
            }
            """),
        c: .helper(
          name: "bp_max_share",
          definition: """
            static double bp_max_share(double x, double y)
            {
                return x > y ? 1.0 : (x == y ? 0.5 : 0.0);
            }
            """),
        summary: "max's share of the gradient: 1, 0.5 at a tie, else 0", isPiecewiseLinear: true)
    case .powLog:
      .init(
        arity: 2, callable: false, value: { a, r in a == 0 ? 0 : r * Foundation.log(a) },
        adjoint:  // d/da (y·log x) = y/x; d/dy = log x, both guarded at x = 0 like the value.
        (.call(.quotientOrZero, g * y, x), .call(.powLog, x, g)),
        swift: .helper(
          name: "powLog",
          definition: """
            private static func powLog(_ a: Double, _ r: Double) -> Double {
                // The exponent's partial of a^b (r = a^b): 0 at a = 0, NaN for a < 0.
                a == 0 ? 0 : r * log(a)
            }
            """),
        c: .helper(
          name: "bp_pow_log",
          definition: """
            static double bp_pow_log(double a, double r)
            {
                /* The exponent's partial of a^b (r = a^b): 0 at a = 0, NaN for a < 0. */
                return a == 0.0 ? 0.0 : r * log(a);
            }
            """),
        summary: "the exponent's partial of a^b")
    case .powBase:
      // d/da (b·a^(b−1)) = b·powBase(a, b − 1); d/db = a^(b−1) + b·a^(b−1)·log(a),
      // which the Hessian of a^b with an active exponent needs (SPEC §8).
      .init(
        arity: 2, callable: false, value: { a, b in b == 0 ? 0 : b * Foundation.pow(a, b - 1) },
        adjoint: (
          g * y * .call(.powBase, x, y - 1),
          g * (.power(x, y - 1) + .call(.powLog, x, .call(.powBase, x, y)))
        ),
        swift: .helper(
          name: "powBase",
          definition: """
            private static func powBase(_ a: Double, _ b: Double) -> Double {
                // The base's partial of a^b: 0 where b = 0, even at a = 0 (x^0 is constant).
                b == 0 ? 0 : b * pow(a, b - 1)
            }
            """),
        c: .helper(
          name: "bp_pow_base",
          definition: """
            static double bp_pow_base(double a, double b)
            {
                /* The base's partial of a^b: 0 where b = 0, even at a = 0 (x^0 is constant). */
                return b == 0.0 ? 0.0 : b * pow(a, b - 1.0);
            }
            """),
        summary: "the base's partial of a^b: b * a^(b - 1), exactly 0 where b = 0")
    case .quotientOrZero:
      .internal(
        { v, a in a == 0 ? 0 : v / a },
        (.call(.quotientOrZero, g, y), -.call(.quotientOrZero, g * r, y)), "quotientOrZero",
        "bp_quotient_or_zero", ("v", "a"),
        swift: "a == 0 ? 0 : v / a", c: "a == 0.0 ? 0.0 : v / a",
        summary: "v / a, and 0 where a = 0: powLog's partial in its base")
    case .equal:
      .internal(
        { a, b in a == b ? 1 : 0 }, (nil, nil), "equal", "bp_equal", ("a", "b"),
        swift: "a == b ? 1 : 0", c: "a == b ? 1.0 : 0.0",
        summary: "1 where the arguments are equal, else 0", isPiecewiseLinear: true)
    case .less:
      .internal(
        { a, b in a < b ? 1 : 0 }, (nil, nil), "less", "bp_less", ("a", "b"),
        swift: "a < b ? 1 : 0", c: "a < b ? 1.0 : 0.0", summary: "1 where a < b, else 0",
        isPiecewiseLinear: true)
    case .lessOrEqual:
      .internal(
        { a, b in a <= b ? 1 : 0 }, (nil, nil), "lessOrEqual", "bp_less_or_equal", ("a", "b"),
        swift: "a <= b ? 1 : 0", c: "a <= b ? 1.0 : 0.0", summary: "1 where a <= b, else 0",
        isPiecewiseLinear: true)
    case .greater:
      .internal(
        { a, b in a > b ? 1 : 0 }, (nil, nil), "greater", "bp_greater", ("a", "b"),
        swift: "a > b ? 1 : 0", c: "a > b ? 1.0 : 0.0", summary: "1 where a > b, else 0",
        isPiecewiseLinear: true)
    case .greaterOrEqual:
      .internal(
        { a, b in a >= b ? 1 : 0 }, (nil, nil), "greaterOrEqual", "bp_greater_or_equal",
        ("a", "b"), swift: "a >= b ? 1 : 0", c: "a >= b ? 1.0 : 0.0",
        summary: "1 where a >= b, else 0", isPiecewiseLinear: true)
    case .notEqual:
      .internal(
        { a, b in a != b ? 1 : 0 }, (nil, nil), "notEqual", "bp_not_equal", ("a", "b"),
        swift: "a != b ? 1 : 0", c: "a != b ? 1.0 : 0.0",
        summary: "1 where a != b (also where either is NaN), else 0", isPiecewiseLinear: true)
    case .lseExp:
      .internal(
        { e, m in e == m ? 1 : Foundation.exp(e - m) }, (g * r, nil), "lseExp", "bp_lse_exp",
        ("e", "m"),
        swift: "e == m ? 1 : exp(e - m)", c: "e == m ? 1.0 : exp(e - m)",
        summary: "a logsumexp term, exp(e - m), 1 where e is the maximum m")
    case .lseResult:
      .internal(
        { m, s in m.isInfinite ? m : m + Foundation.log(s) },
        (g * .call(.isInfinite, x), g * .call(.lseScale, x, y)), "lseResult", "bp_lse_result",
        ("m", "s"),
        swift: "m.isInfinite ? m : m + log(s)", c: "isinf(m) ? m : m + log(s)",
        summary: "a logsumexp, m + log(s), m itself where m is infinite")
    case .isInfinite:
      .internal(
        { m, _ in m.isInfinite ? 1 : 0 }, (nil, nil), "isInfinite", "bp_is_infinite", ("m", nil),
        swift: "m.isInfinite ? 1 : 0", c: "isinf(m) ? 1.0 : 0.0",
        summary: "1 where the argument is infinite, else 0", isPiecewiseLinear: true)
    case .lseScale:
      .internal(
        { m, s in m.isInfinite ? 0 : 1 / s }, (nil, -(g * r * r)), "lseScale", "bp_lse_scale",
        ("m", "s"),
        swift: "m.isInfinite ? 0 : 1 / s", c: "isinf(m) ? 0.0 : 1.0 / s",
        summary: "the partial of a logsumexp by its sum")
    }
  }

  static func sigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
  }

  static func softplus(_ x: Double) -> Double {
    Double.maximum(x, 0) + Foundation.log1p(Foundation.exp(-x.magnitude))
  }

  static func sign(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

extension BuiltinSpec {
  /// A one-argument function that both languages' math libraries spell alike.
  static func unary(
    _ value: @escaping @Sendable (Double) -> Double, _ adjoint: Adjoint,
    _ name: String, _ summary: String, explain: ResultForm? = nil
  ) -> BuiltinSpec {
    BuiltinSpec(
      arity: 1, callable: true, value: { x, _ in value(x) }, adjoint: adjoint,
      swift: .library(name), c: .library(name), summary: summary, derivativeOfResult: explain)
  }
}

extension BuiltinSpec {
  /// An internal function (never callable from a program) that both languages
  /// get as a small helper whose body is one expression.
  static func `internal`(
    _ value: @escaping Value, _ adjoint: Adjoint, _ swiftName: String, _ cName: String,
    _ parameters: (String, String?), swift: String, c: String, summary: String,
    isPiecewiseLinear: Bool = false
  ) -> BuiltinSpec {
    let (a, b) = parameters
    let swiftParameters = "_ \(a): Double" + (b.map { ", _ \($0): Double" } ?? "")
    let cParameters = "double \(a)" + (b.map { ", double \($0)" } ?? "")
    return BuiltinSpec(
      arity: b == nil ? 1 : 2, callable: false, value: value, adjoint: adjoint,
      swift: .helper(
        name: swiftName,
        definition: """
          private static func \(swiftName)(\(swiftParameters)) -> Double {
              \(swift)
          }
          """),
      c: .helper(
        name: cName,
        definition: """
          static double \(cName)(\(cParameters))
          {
              return \(c);
          }
          """),
      summary: summary, isPiecewiseLinear: isPiecewiseLinear)
  }
}

/// What a call in a program refers to: a builtin, or `pow`, which is `^`.
enum Callee: Sendable, Equatable {
  case builtin(Builtin)
  case power
  /// `where(c, a, b)` (SPEC §7.6)
  case select

  /// Looks up a callable name.
  init?(name: String) {
    if name == "pow" {
      self = .power
    } else if name == "where" {
      self = .select
    } else if let builtin = Builtin(rawValue: name), builtin.spec.callable {
      self = .builtin(builtin)
    } else {
      return nil
    }
  }

  var arity: Int {
    switch self {
    case .builtin(let b): b.arity
    case .power: 2
    case .select: 3
    }
  }

  /// Every name a program may call, for "did you mean" and the docs.
  static let callableNames: [String] =
    (Builtin.allCases.filter { $0.spec.callable }.map(\.rawValue) + ["pow", "where"]).sorted()
}

/// A derivative rule as the table writes it: a formula in the upstream
/// adjoint `g`, the call's arguments `x` and `y` and its result `r`, built
/// from the IR's own operations, so the reverse pass can emit it and the
/// simplifier can work on what it emits. The reverse pass emits a rule's
/// operands before the rule (post-order), left before right.
indirect enum Rule: Sendable, Equatable, ExpressibleByIntegerLiteral {
  /// the upstream adjoint, g
  case upstream
  /// the first argument
  case x
  /// the second argument
  case y
  /// the call's result
  case result
  case constant(Double)
  case negate(Rule)
  case add(Rule, Rule)
  case subtract(Rule, Rule)
  case multiply(Rule, Rule)
  case divide(Rule, Rule)
  /// a call of a builtin of this table, with one or two arguments
  case call(Builtin, Rule, Rule? = nil)
  /// the first to the power of the second, C's `pow` (the `^` operator)
  case power(Rule, Rule)

  init(integerLiteral value: Int) { self = .constant(Double(value)) }

  static func + (a: Rule, b: Rule) -> Rule { .add(a, b) }
  static func - (a: Rule, b: Rule) -> Rule { .subtract(a, b) }
  static func * (a: Rule, b: Rule) -> Rule { .multiply(a, b) }
  static func / (a: Rule, b: Rule) -> Rule { .divide(a, b) }
  static prefix func - (a: Rule) -> Rule { .negate(a) }
}
