/// What differs between the target languages, for the parts of emission they
/// share: literals, reserved words, the builtin spellings and the syntax of
/// the few statements a function body is made of. One body printer
/// (``KernelBody``) serves both languages through it.
struct Dialect: Sendable {
  var literal: @Sendable (Double) -> String
  var spelling: @Sendable (Builtin) -> Spelling
  var powerFunction: String
  var reserved: Set<String>
  /// The generated functions' buffers: the leaves, the outputs, the gradient.
  var inputBuffer: String
  var outputBuffer: String
  var gradientBuffer: String
  /// Memory the function may use as it likes: an array program's
  /// intermediates, the values passing between a split function's parts.
  var workBuffer = "work"
  /// What starts a constant local's declaration: `const double `, `let `.
  var declaration: String
  /// What ends a statement: `;`, nothing.
  var statementEnd: String
  /// What opens and closes a comment: `/* `, ` */`; `// `, nothing.
  var commentOpen: String
  var commentClose: String
  /// Whether a bare integer literal would be an integer (Swift's `0` is an
  /// `Int` where no type is expected): a declared value is made `0.0`.
  var integerLiterals: Bool
  /// An element of a buffer: `in[3]`
  var element: @Sendable (_ buffer: String, _ index: String) -> String
  /// A loop's first line, `for (int j = 0; j < 4; j++) {`, `for j in 0..<4 {`;
  /// its body is indented and closed by `}`.
  var loop: @Sendable (_ index: String, _ extent: Int) -> String
  /// `for (int j = 0; j < 252; j += 4) {`, `for j in stride(from: 0, to: 252, by: 4) {`
  var steppedLoop: @Sendable (_ index: String, _ from: Int, _ to: Int, _ step: Int) -> String
  /// `for (int j = 252; j < 255; j++) {`, `for j in 252..<255 {`
  var rangeLoop: @Sendable (_ index: String, _ from: Int, _ to: Int) -> String
  /// The line before a loop whose iterations write distinct elements, telling
  /// the compiler so where it cannot see it (C: gcc, through offsets of one
  /// buffer); nil where the compiler needs no telling.
  var independentLoop: String?
  /// The comment on a store of ∂O/∂L: `dC/dx`, `∂C/∂x`.
  var partial: @Sendable (_ output: String, _ leaf: String) -> String
  /// A local the code writes more than once: `double t;`, `var t = 0.0`,
  /// or with its first value, `double t = -0.0;`, `var t = -0.0`.
  var mutableLocal: @Sendable (_ name: String, _ initial: String?) -> String
  /// A view of `count` elements of a buffer from `offset`: `double *restrict h = work + 3;`.
  /// `rows` holds the extents after the first, for C's pointers to rows
  /// (`(*W1)[2]`, indexed `W1[j][i]`); empty for a flat view.
  var view:
    @Sendable (
      _ name: String, _ buffer: String, _ offset: Int, _ count: Int, _ rows: [Int], _ mutable: Bool
    ) -> String
  /// Whether views index by rows (`W1[j][i]`) rather than flat (`W1[j &* 2 &+ i]`).
  var indexesRows: Bool
  /// `a * b` and `a + b` on indices.
  var indexProduct: @Sendable (String, String) -> String
  var indexSum: @Sendable (String, String) -> String
  /// `a - b` on indices (a shifted subscript's negative constant).
  var indexDifference: @Sendable (String, String) -> String
  /// An index as a value (SPEC §7.5): `bp_index(i)` (opaque to gcc), `Double(i)`.
  var indexValue: @Sendable (String) -> String
  /// A flat index of many terms, typed where the type checker would
  /// otherwise search too long (Swift: `(o &* 32 &+ k &* 4 &+ j &* 2 &+ i) as Int`).
  var longIndex: @Sendable (String) -> String
  /// `element := the larger, NaN once NaN`.
  var maximum: @Sendable (_ target: String, _ value: String) -> String
  /// `element := fmax(element, value)` (or `min`): `m = fmax(m, v);`, `m = Double.maximum(m, v)`.
  var fold: @Sendable (_ target: String, _ function: String, _ value: String) -> String

  /// A source name made into a legal local name: reserved words get a `_`.
  func legal(_ name: String) -> String {
    var name = name
    if name.hasPrefix("__") || (name.hasPrefix("_") && name.dropFirst().first?.isUppercase == true)
    {
      name = "v" + name
    }
    while reserved.contains(name) { name += "_" }
    return name
  }

  /// `const double A = x * y;`, `let A = x * y`
  func declare(_ name: String, _ value: String) -> String {
    declaration + name + " = " + (integerLiterals ? asDouble(value) : value) + statementEnd
  }

  /// ``declare(_:_:)`` appended to `out`, the value written by `value`.
  func declare(_ name: String, into out: inout String, value: (inout String) -> Void) {
    out += declaration
    out += name
    out += " = "
    guard integerLiterals else {
      value(&out)
      out += statementEnd
      return
    }
    // A bare integer literal needs `.0`: only a short value can be one.
    var text = ""
    value(&text)
    out += asDouble(text)
    out += statementEnd
  }

  /// `out[0] = C;`, `output[0] = C`
  func assign(_ target: String, _ value: String) -> String { target + " = " + value + statementEnd }

  /// `s += x;`
  func accumulate(_ target: String, _ value: String) -> String {
    target + " += " + value + statementEnd
  }

  /// `/* line 5 */`, `// line 5`
  func comment(_ text: String) -> String { commentOpen + text + commentClose }

  func call(_ builtin: Builtin) -> String {
    switch spelling(builtin) {
    case .library(let name): name
    case .helper(let name, _): name
    }
  }

  /// Function names that a local must not shadow.
  static var functionNames: Set<String> {
    var names: Set<String> = ["pow"]
    for b in Builtin.allCases {
      for s in [b.spec.c, b.spec.swift] {
        switch s {
        case .library(let n), .helper(let n, _): names.insert(n)
        }
      }
    }
    return names
  }

  static let c = Dialect(
    literal: { NumberFormat.cLiteral($0) },
    spelling: { $0.spec.c },
    powerFunction: "pow",
    reserved: functionNames.union([
      // C99/C11 keywords and the C++ ones a header might meet
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
      "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
      "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
      "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
      "true", "false", "asm", "typeof", "alignas", "alignof", "noreturn",
      "static_assert", "thread_local",
      // <math.h> macros and names, and the generated functions' parameters
      "NAN", "INFINITY", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "isnan", "isinf",
      "isfinite", "isnormal", "signbit", "fpclassify", "isgreater", "isgreaterequal",
      "isless", "islessequal", "islessgreater", "isunordered", "math_errhandling",
      "MATH_ERRNO", "MATH_ERREXCEPT", "FP_NAN", "FP_INFINITE", "FP_ZERO", "FP_NORMAL",
      "FP_SUBNORMAL", "FP_FAST_FMA", "FP_ILOGB0", "FP_ILOGBNAN", "DOMAIN", "SING",
      "OVERFLOW", "UNDERFLOW", "TLOSS", "PLOSS", "M_E", "M_LOG2E", "M_LOG10E", "M_LN2",
      "M_LN10", "M_PI", "M_PI_2", "M_PI_4", "M_1_PI", "M_2_PI", "M_2_SQRTPI", "M_SQRT2",
      "M_SQRT1_2", "NULL", "EOF", "errno", "in", "out", "grad", "work", "int", "uint64_t",
    ]),
    inputBuffer: "in", outputBuffer: "out", gradientBuffer: "grad",
    declaration: "const double ", statementEnd: ";", commentOpen: "/* ", commentClose: " */",
    integerLiterals: false,
    element: { "\($0)[\($1)]" },
    loop: { "for (int \($0) = 0; \($0) < \($1); \($0)++) {" },
    steppedLoop: { "for (int \($0) = \($1); \($0) < \($2); \($0) += \($3)) {" },
    rangeLoop: { "for (int \($0) = \($1); \($0) < \($2); \($0)++) {" },
    independentLoop: "BP_INDEPENDENT",
    partial: { "d\($0)/d\($1)" },
    mutableLocal: { name, initial in initial.map { "double \(name) = \($0);" } ?? "double \(name);"
    },
    view: { name, buffer, offset, _, rows, mutable in
      let element = mutable ? "double" : "const double"
      let base = offset == 0 ? buffer : "\(buffer) + \(offset)"
      guard !rows.isEmpty else { return "\(element) *restrict \(name) = \(base);" }
      let row = rows.map { "[\($0)]" }.joined()
      return "\(element) (*restrict \(name))\(row) = (\(element) (*)\(row))(\(base));"
    },
    indexesRows: true,
    indexProduct: { "\($0) * \($1)" },
    indexSum: { "\($0) + \($1)" },
    indexDifference: { "\($0) - \($1)" },
    indexValue: { "bp_index(\($0))" },
    longIndex: { $0 },
    maximum: { "if (!isnan(\($0)) && (isnan(\($1)) || \($1) > \($0))) \($0) = \($1);" },
    fold: { "\($0) = f\($1)(\($0), \($2));" })

  static let swift = Dialect(
    literal: { NumberFormat.swiftLiteral($0) },
    spelling: { $0.spec.swift },
    powerFunction: "pow",
    reserved: functionNames.union([
      "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func",
      "import", "init", "inout", "internal", "let", "open", "operator", "private",
      "precedencegroup", "protocol", "public", "rethrows", "static", "struct",
      "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
      "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
      "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is",
      "nil", "self", "Self", "super", "throws", "true", "try", "_", "async", "some",
      "any", "Type", "Protocol", "consume", "copy", "borrowing", "consuming", "sending",
      // names the generated code refers to
      "Double", "String", "Int", "Foundation", "Swift", "Array", "input", "output",
      "gradient", "precondition", "withUnsafeBufferPointer", "sqrt", "work", "Variable",
      "leaves", "outputs", "numInputs", "numOutputs", "workSize", "fillDefaults",
      "UnsafeBufferPointer",
      "UnsafeMutableBufferPointer",
    ]),
    inputBuffer: "input", outputBuffer: "output", gradientBuffer: "gradient",
    declaration: "let ", statementEnd: "", commentOpen: "// ", commentClose: "",
    integerLiterals: true,
    element: { "\($0)[\($1)]" },
    loop: { "for \($0) in 0..<\($1) {" },
    steppedLoop: { "for \($0) in stride(from: \($1), to: \($2), by: \($3)) {" },
    rangeLoop: { "for \($0) in \($1)..<\($2) {" },
    independentLoop: nil,
    partial: { "∂\($0)/∂\($1)" },
    mutableLocal: { name, initial in
      // `-.infinity` has no type of its own here: `-Double.infinity`.
      var value = asDouble(initial ?? "0.0")
      if value.hasPrefix(".") { value = "Double" + value }
      if value.hasPrefix("-.") { value = "-Double" + value.dropFirst() }
      return "var \(name) = \(value)"
    },
    view: { name, buffer, offset, count, _, mutable in
      let type = mutable ? "UnsafeMutableBufferPointer" : "UnsafeBufferPointer"
      return "let \(name) = \(type)(rebasing: \(buffer)[\(offset)..<\(offset + count)])"
    },
    indexesRows: false,
    indexProduct: { "\($0) &* \($1)" },
    indexSum: { "\($0) &+ \($1)" },
    indexDifference: { "\($0) &- \($1)" },
    indexValue: { "Double(\($0))" },
    longIndex: { "(\($0)) as Int" },
    maximum: { "if !\($0).isNaN && (\($1).isNaN || \($1) > \($0)) { \($0) = \($1) }" },
    fold: { "\($0) = Double.\($1 == "max" ? "maximum" : "minimum")(\($0), \($2))" })
}

/// A Swift initial value that is a bare integer literal (`0`, `-1`) would
/// make its variable an `Int`: it is written as a `Double` literal instead.
private func asDouble(_ value: String) -> String {
  if isIntegerLiteral(Substring(value)) { return value + ".0" }
  // `c ? 0 : -1`, a select between two literals (a branch's guarded
  // adjoint): Swift would make it an Int, so the first becomes `0.0`.
  guard let question = value.range(of: " ? ", options: .backwards),
    let colon = value.range(of: " : ", range: question.upperBound..<value.endIndex),
    isIntegerLiteral(value[question.upperBound..<colon.lowerBound]),
    isIntegerLiteral(value[colon.upperBound...])
  else { return value }
  return value[..<colon.lowerBound] + ".0" + value[colon.lowerBound...]
}

/// `2`, `-1`: what Swift would type as an Int.
private func isIntegerLiteral(_ text: Substring) -> Bool {
  let digits = text.hasPrefix("-") ? text.dropFirst() : text
  return !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit)
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
