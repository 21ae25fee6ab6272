// Tests of what the compiler says about a program (SPEC §1, §2; STYLE H6-H8):
// for every error the lexer, parser and checker can produce, the exact words,
// the catalog id, the line:column and the underlined length; recovery at
// statement boundaries; the rendered clang-style form; and, through
// evaluation, the newline and precedence rules of the language.
//
// Every expected value here was worked out by hand from SPEC.md and the
// message catalog (Diagnostics/DiagnosticMessage.swift), never copied from a
// run: columns are 1-based byte offsets counted in the source text.

import Testing

@testable import BackpropCore

// MARK: - Helpers

/// Compiles `source` as `model.bp`.
private func compile(_ source: String) -> Compilation {
  Compilation(name: "model.bp", source: source)
}

/// Compiles raw bytes (for input that is not valid UTF-8) as `model.bp`.
private func compile(bytes: [UInt8]) -> Compilation {
  Compilation(SourceFile(name: "model.bp", bytes: bytes))
}

/// A diagnostic reduced to what a test compares: id, words, place, length.
private struct Seen: Equatable, CustomStringConvertible {
  var id: String
  var text: String
  var line: Int
  var column: Int
  var length: Int

  init(id: String, text: String, line: Int, column: Int, length: Int) {
    (self.id, self.text, self.line, self.column, self.length) = (id, text, line, column, length)
  }

  init(_ diagnostic: Diagnostic, in file: SourceFile) {
    let (line, column) = file.location(of: diagnostic.range.start)
    self.init(
      id: diagnostic.message.id, text: diagnostic.message.text, line: line, column: column,
      length: diagnostic.range.end - diagnostic.range.start)
  }

  var description: String { "\(line):\(column) [\(id), length \(length)] \(text)" }
}

/// The errors of a compilation, in file order.
private func errors(_ compilation: Compilation) -> [Seen] {
  compilation.diagnostics.sorted().filter { $0.severity == .error }.map {
    Seen($0, in: compilation.file)
  }
}

// MARK: - One error per program: id, message, location, underline

/// A program with exactly one error, and everything about that error.
extension SingleErrorTests {
  struct ErrorCase: Sendable, CustomTestStringConvertible {
    var title: String
    var source: String
    /// Raw bytes instead of `source`, for input that is not valid UTF-8.
    var bytes: [UInt8]?
    var id: String
    var message: String
    var line: Int
    var column: Int
    /// Bytes under the caret and tildes; 0 for a point (end of file, end of line).
    var length: Int

    init(
      _ title: String, _ source: String, bytes: [UInt8]? = nil, id: String, _ message: String,
      at line: Int, _ column: Int, length: Int
    ) {
      self.title = title
      self.source = source
      self.bytes = bytes
      self.id = id
      self.message = message
      self.line = line
      self.column = column
      self.length = length
    }

    var testDescription: String { "\(id): \(title)" }

    static let nestedParens =
      "A = " + String(repeating: "(", count: 300) + "x"
      + String(repeating: ")", count: 300)
    static let nestedMinus = "A = " + String(repeating: "-", count: 300) + "x"
    static let powerChain = "A = x" + String(repeating: "^x", count: 300)
    static let longBadNumber = "A = " + String(repeating: "1", count: 50) + "x"

    /// Inputs a text file cannot hold, or that are made by code; every
    /// other mistake lives as a file in `Errors/` that states its diagnostics.
    static let all: [ErrorCase] = [
      .init(
        "a lone 0xFF byte (invalid UTF-8)", "", bytes: Array("A = ".utf8) + [0xFF],
        id: "invalidCharacter",
        "invalid byte 0xFF (only ASCII is allowed outside comments)", at: 1, 5, length: 1),
      .init(
        "a NUL byte", "A = x \u{0} y", id: "invalidCharacter",
        "invalid byte 0x00", at: 1, 7, length: 1),
      .init(
        "a very long bad literal is shortened in the message, not in the range",
        longBadNumber, id: "invalidNumber",
        "invalid number '" + String(repeating: "1", count: 40) + "…'", at: 1, 5, length: 51),
      .init(
        "300 nested parentheses", nestedParens, id: "nestingTooDeep",
        "expression nested too deeply (the limit is 256 levels)", at: 1, 261, length: 1),
      .init(
        "300 unary minuses", nestedMinus, id: "nestingTooDeep",
        "expression nested too deeply (the limit is 256 levels)", at: 1, 261, length: 1),
      .init(
        "a chain of 300 '^' (right associative, so nested)", powerChain, id: "nestingTooDeep",
        "expression nested too deeply (the limit is 256 levels)", at: 1, 517, length: 1),
    ]
  }
}

@Suite("Diagnostics: one error per program")
struct SingleErrorTests {
  @Test("id, exact message, line:column and underline length", arguments: ErrorCase.all)
  func singleError(_ c: ErrorCase) {
    let compilation = c.bytes.map { compile(bytes: $0) } ?? compile(c.source)
    let seen = errors(compilation)
    let expected = Seen(id: c.id, text: c.message, line: c.line, column: c.column, length: c.length)
    #expect(seen == [expected], "source: \(c.source.debugDescription.prefix(120))")
    #expect(compilation.diagnostics.hasErrors)
    #expect(compilation.program == nil, "a program with errors must not be lowered")
  }

  @Test("100,000 '(' give one nesting error, not a crash")
  func hundredThousandParentheses() {
    let compilation = compile("A = " + String(repeating: "(", count: 100_000))
    let seen = errors(compilation)
    #expect(seen.map(\.id) == ["nestingTooDeep"])
    #expect(seen.first?.line == 1)
    #expect(seen.first?.column == 261)
  }

  @Test("binary garbage is reported, not crashed on, and the list is capped")
  func binaryGarbage() {
    // Every byte value, 40 times over, with line breaks now and then.
    var bytes: [UInt8] = []
    for round in 0..<40 {
      for b in 0...255 { bytes.append(UInt8(b)) }
      bytes.append(UInt8(round % 2 == 0 ? 0x0A : 0x3B))
    }
    let compilation = compile(bytes: bytes)
    #expect(compilation.diagnostics.hasErrors)
    #expect(compilation.program == nil)
    #expect(compilation.diagnostics.items.count <= DiagnosticList.limit)
  }
}

// MARK: - Notes

@Suite("Diagnostics: notes point at the other place")
struct NoteTests {
  struct NoteCase: Sendable, CustomTestStringConvertible {
    var title: String
    var source: String
    var error: (line: Int, column: Int)
    var note: (line: Int, column: Int, length: Int)
    var noteText: String
    var testDescription: String { title }
  }

  static let cases: [NoteCase] = [
    .init(
      title: "redefinition points at the first definition", source: "x = 1\ny = 2\nx = 3",
      error: (3, 1), note: (1, 1, 1), noteText: "'x' was first defined here"),
    .init(
      title: "redefinition of a declared leaf points at the declaration",
      source: "input abc = 1\nparam abc", error: (2, 7), note: (1, 7, 3),
      noteText: "'abc' was first defined here"),
    .init(
      title: "use before definition points at the definition",
      source: "A = B + 1\nB = 2", error: (1, 5), note: (2, 1, 1), noteText: "'B' is defined here"),
  ]

  @Test("the note's text and place", arguments: cases)
  func note(_ c: NoteCase) throws {
    let compilation = compile(c.source)
    let diagnostics = compilation.diagnostics.sorted()
    try #require(diagnostics.count == 1)
    let d = diagnostics[0]
    let at = compilation.file.location(of: d.range.start)
    #expect(at.line == c.error.line && at.column == c.error.column)
    try #require(d.notes.count == 1)
    let note = d.notes[0]
    #expect(note.message.text == c.noteText)
    let range = note.range
    let noteAt = compilation.file.location(of: range.start)
    #expect(noteAt.line == c.note.line && noteAt.column == c.note.column)
    #expect(range.end - range.start == c.note.length)
  }
}

// MARK: - Several errors in one run

@Suite("Diagnostics: recovery reports every problem of a file in one run")
struct RecoveryTests {
  struct RecoveryCase: Sendable, CustomTestStringConvertible {
    var title: String
    var source: String
    /// (id, line, column) of every error, in file order.
    var expected: [(String, Int, Int)]
    var testDescription: String { title }
  }

  static let cases: [RecoveryCase] = [
    .init(
      title: "a parse error, a check error, a lex error on three lines",
      source: "A = )\nB = sigmod(x)\nC = 2x",
      expected: [("expectedExpression", 1, 5), ("unknownFunction", 2, 5), ("invalidNumber", 3, 5)]),
    .init(
      title: "three lexer errors on three lines", source: "A = $\nB = 2x\nC = é",
      expected: [("invalidCharacter", 1, 5), ("invalidNumber", 2, 5), ("invalidCharacter", 3, 5)]),
    .init(
      title: "three statements on one line, separated by ';'",
      source: "A = ); B = 2x; C = sigmod(1)",
      expected: [
        ("expectedExpression", 1, 5), ("invalidNumber", 1, 12), ("unknownFunction", 1, 20),
      ]),
    .init(
      title: "three bad declarations", source: "input 2\nparam = 1\noutput",
      expected: [("expectedName", 1, 7), ("expectedName", 2, 7), ("expectedName", 3, 7)]),
    .init(
      title: "four checker errors",
      source: "A = B\nB = 1\nB = 2\n_1 = 3\noutput zzz",
      expected: [
        ("useBeforeDefinition", 1, 5), ("redefinition", 3, 1), ("reservedName", 4, 1),
        ("unknownOutput", 5, 8),
      ]),
    // The parser reports the missing ')' at the end of line 1 so that line 2
    // "parses as the statement it probably is" (Parser.expectClosingParen).
    .init(
      title: "an unclosed '(' does not hide an error on the next line",
      source: "A = (x\nB = sigmod(1)",
      expected: [("expectedClosingParen", 1, 7), ("unknownFunction", 2, 5)]),
    .init(
      title: "an unclosed '(' does not hide a syntax error on the next line",
      source: "A = (x\nB = )",
      expected: [("expectedClosingParen", 1, 7), ("expectedExpression", 2, 5)]),
    .init(
      title: "an unclosed call does not hide an error on the next line",
      source: "A = max(x, 2\nB = 2x",
      expected: [("expectedClosingParen", 1, 13), ("invalidNumber", 2, 5)]),
  ]

  @Test("every error, in line order", arguments: cases)
  func recovery(_ c: RecoveryCase) {
    let compilation = compile(c.source)
    let seen = errors(compilation).map { "\($0.id) \($0.line):\($0.column)" }
    let expected = c.expected.map { "\($0.0) \($0.1):\($0.2)" }
    #expect(seen == expected)
    #expect(compilation.diagnostics.errorCount == c.expected.count)
  }
}

// MARK: - Rendering (SPEC §2, STYLE H8)

@Suite("Diagnostics: rendered in clang's classic layout")
struct RenderingTests {
  struct RenderCase: Sendable, CustomTestStringConvertible {
    var title: String
    var source: String
    var rendered: String
    var testDescription: String { title }
  }

  static let cases: [RenderCase] = [
    .init(
      title: "SPEC §2's example, exactly",
      source: "x = 100; y = 2; z = 1.1\nA = x * y\nB = A * sigmod(z)\n",
      rendered: """
        model.bp:3:9: error: unknown function 'sigmod'; did you mean 'sigmoid'?
          B = A * sigmod(z)
                  ^~~~~~
        1 error generated.

        """),
    .init(
      title: "a redefinition and its note, each with its line",
      source: "x = 1\ny = 2\nx = 3\n",
      rendered: """
        model.bp:3:1: error: 'x' is defined more than once
          x = 3
          ^
        model.bp:1:1: note: 'x' was first defined here
          x = 1
          ^
        1 error generated.

        """),
    .init(
      title: "two errors, in line order, and the plural summary",
      source: "A = )\nB = sigmod(x)\n",
      rendered: """
        model.bp:1:5: error: expected expression, found ')'
          A = )
              ^
        model.bp:2:5: error: unknown function 'sigmod'; did you mean 'sigmoid'?
          B = sigmod(x)
              ^~~~~~
        2 errors generated.

        """),
    .init(
      title: "a caret just past the end of the line",
      source: "A = 2 *",
      rendered: """
        model.bp:1:8: error: expected expression, found end of file
          A = 2 *
                 ^
        1 error generated.

        """),
    .init(
      title: "non-ASCII bytes print as '?', one per byte, so the caret lines up",
      source: "A = é",
      rendered: """
        model.bp:1:5: error: invalid bytes 0xC3 0xA9 (only ASCII is allowed outside comments)
          A = ??
              ^~
        1 error generated.

        """),
    .init(
      title: "a tab before the caret stays a tab",
      source: "\tA = )",
      rendered: "model.bp:1:6: error: expected expression, found ')'\n"
        + "  \tA = )\n"
        + "  \t    ^\n"
        + "1 error generated.\n"),
    .init(
      // 4 + 300 + 1 + 300 bytes: the caret at the 257th '(' (column 261),
      // 60 bytes on each side of it.
      title: "a line over 500 bytes shows a window around the caret, its cut ends marked",
      source: "A = " + String(repeating: "(", count: 300) + "x"
        + String(repeating: ")", count: 300),
      rendered: "model.bp:1:261: error: expression nested too deeply (the limit is 256 levels)\n"
        + "  ..." + String(repeating: "(", count: 104) + "x" + String(repeating: ")", count: 15)
        + "...\n"
        + "     " + String(repeating: " ", count: 60) + "^\n"
        + "1 error generated.\n"),
    .init(
      title: "near the end of a long line the window ends with it",
      source: String(repeating: "a", count: 600) + " = sigmod(2)",
      rendered: "model.bp:1:604: error: unknown function 'sigmod'; did you mean 'sigmoid'?\n"
        + "  ..." + String(repeating: "a", count: 108) + " = sigmod(2)\n"
        + "     " + String(repeating: " ", count: 111) + "^~~~~~\n"
        + "1 error generated.\n"),
    .init(
      title: "a wrong-arity call is underlined whole",
      source: "x = 1\nA = max(x)\n",
      rendered: """
        model.bp:2:5: error: 'max' takes 2 arguments, but 1 was given
          A = max(x)
              ^~~~~~
        1 error generated.

        """),
  ]

  @Test("DiagnosticList.rendered(in:)", arguments: cases)
  func rendered(_ c: RenderCase) {
    let compilation = compile(c.source)
    let actual = compilation.diagnostics.rendered(in: compilation.file)
    #expect(
      actual == c.rendered,
      "line diff (- expected, + actual):\n\(Golden.lineDiff(c.rendered, actual))")
  }

  @Test("a program without problems renders as nothing")
  func cleanProgramRendersNothing() {
    let compilation = compile("x = 3\nA = x * 2\n")
    #expect(compilation.diagnostics.rendered(in: compilation.file) == "")
  }
}

// MARK: - eval's own diagnostics: missing leaf values, non-finite values

@Suite("Diagnostics: leaf values and non-finite results")
struct EvaluationDiagnosticsTests {
  @Test("a missing leaf value is an error at the leaf's first use")
  func oneMissingLeaf() throws {
    let compilation = compile("A = x * 2")
    var diagnostics = DiagnosticList()
    let values = compilation.leafValues([:], into: &diagnostics)
    #expect(values == nil)
    let seen = diagnostics.sorted().map { Seen($0, in: compilation.file) }
    #expect(
      seen == [
        Seen(
          id: "missingLeafValues",
          text: "no value for leaf 'x'; give a default in the program or --set x=VALUE",
          line: 1, column: 5, length: 1)
      ])
  }

  @Test("every missing leaf is listed in one error, given values are not")
  func severalMissingLeaves() throws {
    let compilation = compile("A = x * y + z")
    var diagnostics = DiagnosticList()
    let values = compilation.leafValues(["y": 1], into: &diagnostics)
    #expect(values == nil)
    let seen = diagnostics.sorted().map { Seen($0, in: compilation.file) }
    #expect(
      seen == [
        Seen(
          id: "missingLeafValues",
          text:
            "no value for leaves 'x', 'z'; give a default in the program or --set x=VALUE --set z=VALUE",
          line: 1, column: 5, length: 1)
      ])
  }

  @Test("defaults and settings give every leaf, in leaf order")
  func leafValuesInOrder() throws {
    let compilation = compile("A = b * a\ninput c = 4\nB = A + c")
    var diagnostics = DiagnosticList()
    let maybeValues = compilation.leafValues(["a": 2, "b": 3], into: &diagnostics)
    let values = try #require(maybeValues)
    #expect(values == [3, 2, 4])
    #expect(compilation.leafNames == ["b", "a", "c"])
    #expect(!diagnostics.hasErrors)
  }

  @Test("a forward value that becomes infinite is a warning at its expression")
  func nonFiniteForwardValue() throws {
    let compilation = compile("x = 0\nA = log(x)")
    var diagnostics = DiagnosticList()
    let maybeLeaves = compilation.leafValues([:], into: &diagnostics)
    let leaves = try #require(maybeLeaves)
    let maybeEvaluation = compilation.evaluate(leaves, into: &diagnostics)
    let evaluation = try #require(maybeEvaluation)
    #expect(!diagnostics.hasErrors)
    let d = try #require(diagnostics.sorted().first)
    #expect(diagnostics.items.count == 1)
    #expect(d.severity == .warning)
    #expect(
      Seen(d, in: compilation.file)
        == Seen(
          id: "nonFiniteValue",
          text: "'A' is -Infinity; the first non-finite value arose in this expression",
          line: 2, column: 5, length: 6))
    #expect(value(of: "A", in: evaluation) == -.infinity)
  }

  @Test("a derivative that becomes infinite is a warning naming the gradient")
  func nonFiniteDerivative() throws {
    // sqrt(0) = 0 is finite; its derivative 1 / (2·sqrt(0)) is +Infinity.
    let compilation = compile("x = 0\nA = sqrt(x)")
    var diagnostics = DiagnosticList()
    let maybeLeaves = compilation.leafValues([:], into: &diagnostics)
    let leaves = try #require(maybeLeaves)
    let maybeEvaluation = compilation.evaluate(leaves, into: &diagnostics)
    let evaluation = try #require(maybeEvaluation)
    let d = try #require(diagnostics.sorted().first)
    #expect(diagnostics.items.count == 1)
    #expect(d.severity == .warning)
    let seen = Seen(d, in: compilation.file)
    #expect(seen.id == "nonFiniteValue")
    #expect(
      seen.text
        == "∂A/∂x is Infinity; the first non-finite value arose in the derivative of this expression"
    )
    #expect(seen.line == 2 && seen.column == 5)
    #expect(value(of: "A", in: evaluation) == 0)
    #expect(derivative(of: "A", withRespectTo: "x", in: evaluation) == .infinity)
  }

  /// The warning names what `eval` reports as non-finite, with that value,
  /// and the value that first arose where it differs; in a loop, how many
  /// of its elements were affected and the first.
  @Test(arguments: [
    // exp(1000) = Infinity arises; Infinity · 0 makes y NaN.
    (
      "x = 1000\ny = exp(x) * 0",
      "'y' is NaN; the first non-finite value, Infinity, arose in this expression", 5
    ),
    // The derivative: 0 · (1 / (2·sqrt(0))) is NaN from the start.
    (
      "x = 0\ny = sqrt(x) * 0",
      "∂y/∂x is NaN; the first non-finite value arose in the derivative of this expression", 5
    ),
    // min hides the infinity: nothing reported is non-finite.
    (
      "x = 1000\ny = min(exp(x), 1)",
      "a non-finite value, Infinity, arose in this expression, but 'y' stays finite", 9
    ),
    // Every element: counted plainly.
    (
      "input x[1000] = 0\ny[i] = log(x[i])",
      "'y' is -Infinity at 1000 of 1000 elements, first y[0]; the first non-finite value arose in this expression",
      8
    ),
    // One element of four.
    (
      "input x[4] = [1, 2, 0, 3]\ny[i] = log(x[i])",
      "'y' is -Infinity at y[2]; the first non-finite value arose in this expression", 8
    ),
    // In a sum's loop the place is a point of its loops; the gradient names an element.
    (
      "input x[3] = 0\ny = sum(i, sqrt(x[i]))",
      "∂y/∂x[0] is Infinity at 3 of 3 points, first i = 0; the first non-finite value arose in the derivative of this expression",
      12
    ),
  ])
  func nonFiniteWarningsSayWhatIsNonFinite(_ source: String, _ text: String, _ column: Int) throws {
    let compilation = compile(source)
    var diagnostics = DiagnosticList()
    let leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    _ = try #require(compilation.evaluate(leaves, into: &diagnostics))
    let warnings = diagnostics.items.filter { $0.message.id == "nonFiniteValue" }
    #expect(warnings.count == 1)
    let seen = try #require(warnings.first.map { Seen($0, in: compilation.file) })
    #expect(seen.text == text)
    #expect(seen.line == 2 && seen.column == column)
  }
}

// MARK: - Newline and precedence rules, checked by evaluation (SPEC §1)

private func symbolIndex(_ name: String, in evaluation: Evaluation) -> Int? {
  evaluation.program.symbols.firstIndex { $0.name == name }
}

private func value(of name: String, in evaluation: Evaluation) -> Double? {
  symbolIndex(name, in: evaluation).map { evaluation.values[$0] }
}

private func derivative(of output: String, withRespectTo name: String, in evaluation: Evaluation)
  -> Double?
{
  guard let s = symbolIndex(name, in: evaluation),
    let o = evaluation.program.outputNames.firstIndex(of: output)
  else { return nil }
  return evaluation.gradient[o][s]
}

/// A program that compiles, and what evaluating it must give.
extension LanguageRuleTests {
  struct EvalCase: Sendable, CustomTestStringConvertible {
    var title: String
    var source: String
    var settings: [String: Double] = [:]
    /// The outputs in order, when the case is about which names are outputs.
    var outputs: [String]? = nil
    var values: [(String, Double)]
    /// (output, variable, ∂output/∂variable)
    var derivatives: [(String, String, Double)] = []
    var testDescription: String { title }
  }
}

@Suite("Language rules, checked through evaluation")
struct LanguageRuleTests {
  static let precedence: [EvalCase] = [
    .init(
      title: "-x^2 == -(x^2)", source: "x = 3\nA = -x^2",
      values: [("A", -9)], derivatives: [("A", "x", -6)]),
    .init(title: "-2^2 == -4", source: "A = -2^2", values: [("A", -4)]),
    .init(
      title: "2^3^2 == 2^9 == 512 (right associative)", source: "A = 2^3^2", values: [("A", 512)]),
    .init(title: "(2^3)^2 == 64", source: "A = (2^3)^2", values: [("A", 64)]),
    .init(title: "2^-1 == 0.5", source: "A = 2^-1", values: [("A", 0.5)]),
    .init(title: "2^-1^2 == 2^(-(1^2)) == 0.5", source: "A = 2^-1^2", values: [("A", 0.5)]),
    .init(
      title: "echo 2*3 gives the anonymous output _1 = 6", source: "2*3",
      outputs: ["_1"], values: [("_1", 6)]),
    .init(
      title: "x = 3; x^2 gives _1 = 9 and ∂_1/∂x = 6", source: "x = 3; x^2",
      outputs: ["_1"], values: [("_1", 9), ("x", 3)], derivatives: [("_1", "x", 6)]),
    .init(
      title: "unary minus binds tighter than '*'", source: "x = 2\nA = -x * 3",
      values: [("A", -6)], derivatives: [("A", "x", -3)]),
    .init(
      title: "'-' is left associative: 2 - 3 - 4 == -5", source: "A = 2 - 3 - 4",
      values: [("A", -5)]),
    .init(
      title: "'/' is left associative: 8 / 4 / 2 == 1", source: "A = 8 / 4 / 2", values: [("A", 1)]),
    .init(title: "'*' before '+': 2 + 3 * 4 == 14", source: "A = 2 + 3 * 4", values: [("A", 14)]),
    .init(title: "'^' before '*': 2 * 3^2 == 18", source: "A = 2 * 3^2", values: [("A", 18)]),
    .init(
      title: "(-2)^2 has a finite derivative", source: "a = -2\nA = a^2",
      values: [("A", 4)], derivatives: [("A", "a", -4)]),
    .init(
      title: "number forms .5, 1e-3, 2.5E+4", source: "A = .5 + 1e-3 + 2.5E+4",
      values: [("A", 0.5 + 0.001 + 25_000)]),
  ]

  static let newlines: [EvalCase] = [
    .init(
      title: "a newline inside parentheses continues", source: "x = 3\nA = (x\n+ 1)",
      outputs: ["A"], values: [("A", 4)]),
    .init(
      title: "a newline after a binary operator continues", source: "x = 3\nA = x +\n1",
      outputs: ["A"], values: [("A", 4)]),
    .init(
      title: "a newline after '=' continues", source: "x = 3\nA =\nx * 2",
      outputs: ["A"], values: [("A", 6)]),
    .init(
      title: "a newline after ',' in a declaration continues",
      source: "input a = 1,\nb = 2\nA = a + b", outputs: ["A"], values: [("A", 3), ("b", 2)]),
    .init(
      title: "a newline between call arguments continues", source: "x = 5\nA = max(x,\n2)",
      outputs: ["A"], values: [("A", 5)]),
    .init(
      title: "a newline after ',' in output continues",
      source: "x = 2\nA = x * 2\nB = x + 1\noutput A,\nB", outputs: ["A", "B"],
      values: [("A", 4), ("B", 3)]),
    .init(
      title: "a newline before an operator ends the statement", source: "x = 2\nA = x\n- 1",
      outputs: ["_1"], values: [("A", 2), ("_1", -1)]),
    .init(
      title: "a name, a newline, then '(' is not a call", source: "A = exp\n(1)",
      settings: ["exp": 2], outputs: ["_1"], values: [("A", 2), ("_1", 1)]),
    .init(
      title: "comments with '#' and '//', even after an operator",
      source: "x = 3 # price\nA = x + // continues\n1", outputs: ["A"], values: [("A", 4)]),
    .init(
      title: "CRLF line ends", source: "x = 3\r\nA = x +\r\n1\r\nB = A * 2\r\n",
      outputs: ["B"], values: [("A", 4), ("B", 8)]),
    .init(
      title: "';' separates statements on one line", source: "x = 3; A = x * 2; A + 1",
      outputs: ["_1"], values: [("A", 6), ("_1", 7)]),
    .init(
      title: "comments may hold any bytes", source: "# 가격 \u{0} é $\nA = 2 * 3",
      outputs: ["A"], values: [("A", 6)]),
    .init(
      title: "an anonymous output may be used after it appears", source: "2*3\nA = _1 + 1",
      outputs: ["_1"], values: [("_1", 6), ("A", 7)]),
    .init(
      title: "output may name a name defined later", source: "output B\nx = 2\nB = x * 3",
      outputs: ["B"], values: [("B", 6)], derivatives: [("B", "x", 3)]),
    .init(
      title: "a builtin's name without '(' is an ordinary leaf",
      source: "exp = 2\ne = 3\nA = exp * e",
      outputs: ["A"], values: [("A", 6)], derivatives: [("A", "exp", 3), ("A", "e", 2)]),
    .init(
      title: "'_' and '_1a' are ordinary names", source: "_ = 2\n_1a = _ * 3",
      outputs: ["_1a"], values: [("_1a", 6)]),
  ]

  static let outputRules: [EvalCase] = [
    .init(
      title: "output chooses the outputs, in its order",
      source: "x = 2\nA = x*2\nB = x+1\noutput B, A", outputs: ["B", "A"],
      values: [("A", 4), ("B", 3)], derivatives: [("B", "x", 1), ("A", "x", 2)]),
    .init(
      title: "named and anonymous outputs, in source order",
      source: "x = 2\nA = x*2\noutput A\nx + 1", outputs: ["A", "_1"], values: [("_1", 3)]),
    .init(
      title: "an anonymous output before an output statement comes first",
      source: "x = 2\nx + 1\nA = x*2\noutput A", outputs: ["_1", "A"], values: [("A", 4)]),
    .init(
      title: "with neither, the last defined non-leaf name (a literal is a leaf)",
      source: "x = 2\nA = x*2\nB = A+1\nc = 5", outputs: ["B"], values: [("B", 5), ("c", 5)],
      derivatives: [("B", "x", 2), ("B", "A", 1), ("B", "c", 0)]),
    .init(
      title: "output may name an anonymous output before it appears",
      source: "output _1\nx = 2\nx*3", outputs: ["_1"], values: [("_1", 6)],
      derivatives: [("_1", "x", 3)]),
    // SPEC §1: output may name any name of the file, but not the same name
    // twice; here `_1` is named once.
    .init(
      title: "output may name an anonymous output after it appears",
      source: "x = 2\nx*3\noutput _1", outputs: ["_1"], values: [("_1", 6)],
      derivatives: [("_1", "x", 3)]),
  ]

  @Test("which names are the outputs", arguments: outputRules)
  func outputRule(_ c: EvalCase) throws { try check(c) }

  @Test("precedence and associativity", arguments: precedence)
  func precedenceRule(_ c: EvalCase) throws { try check(c) }

  @Test("newlines, ';' and comments", arguments: newlines)
  func newlineRule(_ c: EvalCase) throws { try check(c) }

  private func check(_ c: EvalCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let compilation = compile(c.source)
    #expect(errors(compilation) == [], sourceLocation: sourceLocation)
    var diagnostics = DiagnosticList()
    let maybeLeaves = compilation.leafValues(c.settings, into: &diagnostics)
    let leaves = try #require(maybeLeaves, sourceLocation: sourceLocation)
    let maybeEvaluation = compilation.evaluate(leaves, into: &diagnostics)
    let evaluation = try #require(maybeEvaluation, sourceLocation: sourceLocation)
    #expect(
      diagnostics.items.isEmpty, "\(diagnostics.items.map(\.message.text))",
      sourceLocation: sourceLocation)
    if let outputs = c.outputs {
      #expect(evaluation.program.outputNames == outputs, sourceLocation: sourceLocation)
    }
    for (name, expected) in c.values {
      #expect(
        value(of: name, in: evaluation) == expected, "value of \(name)",
        sourceLocation: sourceLocation)
    }
    for (output, name, expected) in c.derivatives {
      #expect(
        derivative(of: output, withRespectTo: name, in: evaluation) == expected,
        "∂\(output)/∂\(name)", sourceLocation: sourceLocation)
    }
  }

  /// SPEC §1: a newline ends a statement unless it is inside parentheses or
  /// right after a binary operator, '=' or ','. A keyword is none of these.
  @Test("a newline right after 'param' ends the statement")
  func newlineAfterKeywordEndsTheStatement() {
    let compilation = compile("param\nw = 1\nA = w * 2")
    let seen = errors(compilation)
    #expect(seen.map(\.id) == ["expectedName"])
    #expect(seen.first?.text == "expected a name after 'param', found end of line")
    #expect(seen.first?.line == 1)
  }

  /// SPEC §1: a newline *before* ',' is not one of the exceptions, so it ends
  /// `input a`, and the next line, starting with ',', is not a statement.
  @Test("a newline before ',' in a declaration ends the statement")
  func newlineBeforeCommaEndsTheStatement() {
    let compilation = compile("input a = 1\n, b = 2\nA = a * 2")
    let seen = errors(compilation)
    #expect(seen.map(\.id) == ["expectedExpression"])
    #expect(seen.first?.line == 2)
    #expect(seen.first?.column == 1)
  }
}
