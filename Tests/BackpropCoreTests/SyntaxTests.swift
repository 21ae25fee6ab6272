import Foundation
import Testing

@testable import BackpropCore

/// The lexer's token stream and the parser's trees, phase by phase.
@Suite struct SyntaxTests {
  static func tokens(_ source: String) -> [(Token.Kind, String, Bool)] {
    let file = SourceFile(name: "t.bp", text: source)
    var lexer = Lexer(file)
    var diagnostics = DiagnosticList()
    var out: [(Token.Kind, String, Bool)] = []
    while true {
      let token = lexer.next(into: &diagnostics)
      if token.kind == .endOfFile { return out }
      out.append((token.kind, file.text(token.range), token.newlineBefore))
    }
  }

  @Test func lexerProducesKindsTextsAndLineBreaks() {
    let tokens = Self.tokens(
      "input x = -0.5 # note\nB = .5*x^2e3 // more\n\n  f(a, 1E-3); output B")
    let expected: [(Token.Kind, String, Bool)] = [
      (.keywordInput, "input", true), (.identifier, "x", false), (.equals, "=", false),
      (.minus, "-", false), (.number, "0.5", false),
      (.identifier, "B", true), (.equals, "=", false), (.number, ".5", false), (.star, "*", false),
      (.identifier, "x", false), (.caret, "^", false), (.number, "2e3", false),
      (.identifier, "f", true), (.leftParen, "(", false), (.identifier, "a", false),
      (.comma, ",", false), (.number, "1E-3", false), (.rightParen, ")", false),
      (.semicolon, ";", false), (.keywordOutput, "output", false), (.identifier, "B", false),
    ]
    #expect(tokens.count == expected.count)
    for (actual, wanted) in zip(tokens, expected) {
      #expect(
        actual.0 == wanted.0 && actual.1 == wanted.1 && actual.2 == wanted.2,
        "\(actual) != \(wanted)")
    }
  }

  @Test(arguments: ["2", "1.5", ".5", "1e-3", "2.5E+4", "0", "007", "1e308"])
  func validNumbers(_ literal: String) {
    let tokens = Self.tokens(literal)
    #expect(tokens.count == 1 && tokens[0].0 == .number && tokens[0].1 == literal)
  }

  @Test(arguments: ["1.", "1e", "1e+", "2x", "1.2.3", "3_000"])
  func invalidNumbersAreOneInvalidToken(_ literal: String) {
    let tokens = Self.tokens(literal)
    #expect(tokens.count == 1 && tokens[0].0 == .invalid, "\(literal) lexed as \(tokens)")
  }

  /// The tree as a fully parenthesised string.
  static func shape(_ source: String) -> String {
    var diagnostics = DiagnosticList()
    let tree = Parser.parse(SourceFile(name: "t.bp", text: source), into: &diagnostics)
    guard !diagnostics.hasErrors, let statement = tree.statements.last else { return "error" }
    // Post-order arena: render bottom-up with a plain loop.
    var text = [String](repeating: "", count: tree.expressions.count)
    for (i, e) in tree.expressions.enumerated() {
      switch e.kind {
      case .number(let v): text[i] = NumberFormat.shortest(v)
      case .name(let n): text[i] = n
      case .negate(let x): text[i] = "(-\(text[x.index]))"
      case .binary(let op, let x, let y):
        text[i] = "(\(text[x.index]) \(op.rawValue) \(text[y.index]))"
      case .comparison(let op, let x, let y):
        text[i] = "(\(text[x.index]) \(op.rawValue) \(text[y.index]))"
      case .call(let f, _, let args):
        text[i] = "\(f)(" + args.map { text[$0.index] }.joined(separator: ", ") + ")"
      case .parenthesized(let x): text[i] = text[x.index]
      case .element(let n, _, let subscripts):
        text[i] =
          n + "["
          + subscripts.map { s -> String in
            switch s {
            case .index(let index): index.name
            case .constant(let c, _): String(c)
            case .affine(let terms, let c, _):
              terms.map { "\($0.coefficient)*\($0.index.name)" }.joined(separator: " + ")
                + " + \(c)"
            }
          }.joined(separator: ", ") + "]"
      case .reduction(let r, _, let indices, let body):
        text[i] =
          "\(r.rawValue)(" + indices.map(\.name).joined(separator: ", ") + ", \(text[body.index]))"
      case .error: text[i] = "error"
      }
    }
    switch statement.kind {
    case .assignment(_, _, _, let value), .expression(let value): return text[value.index]
    default: return "not an expression"
    }
  }

  @Test(arguments: [
    ("-x^2", "(-(x ^ 2))"),
    ("2^3^2", "(2 ^ (3 ^ 2))"),
    ("2^-1", "(2 ^ (-1))"),
    ("a - b - c", "((a - b) - c)"),
    ("a + b * c", "(a + (b * c))"),
    ("-a * b", "((-a) * b)"),
    ("a / -b ^ 2", "(a / (-(b ^ 2)))"),
    ("f(a + 1, g(b))", "f((a + 1), g(b))"),
    ("(a + b) * c", "((a + b) * c)"),
    ("y = a +\n b", "(a + b)"),
    ("y = (a\n + b)", "(a + b)"),
    ("y = max(a,\n b)", "max(a, b)"),
  ])
  func precedenceAndContinuation(_ source: String, _ expected: String) {
    #expect(Self.shape(source) == expected)
  }

  /// A newline before an operator ends the statement (SPEC §1).
  @Test func newlineBeforeOperatorEndsTheStatement() {
    var diagnostics = DiagnosticList()
    let tree = Parser.parse(SourceFile(name: "t.bp", text: "y = a\n- b"), into: &diagnostics)
    #expect(!diagnostics.hasErrors)
    #expect(tree.statements.count == 2)
    if case .expression = tree.statements[1].kind {
    } else {
      Issue.record("the second line is not an expression statement")
    }
  }

  @Test func declarationsKeepSignedDefaults() {
    var diagnostics = DiagnosticList()
    let tree = Parser.parse(
      SourceFile(name: "t.bp", text: "param a = -0.5, b, c = 2e1"), into: &diagnostics)
    guard case .declaration(let kind, let leaves)? = tree.statements.first?.kind else {
      Issue.record("not a declaration")
      return
    }
    #expect(kind == .param)
    #expect(leaves.map(\.name) == ["a", "b", "c"])
    #expect(leaves.map(\.defaultValue) == [-0.5, nil, 20])
  }

  /// Leaves by first appearance, defined names by definition, and the
  /// default output rule.
  @Test func checkerOrdersSymbolsAndChoosesTheOutput() throws {
    let (_, program) = try Compilation.valid("b = 2\nA = q * b\ninput z = 1\nB = A + z\nk = 5")
    #expect(program.symbols.map(\.name) == ["b", "q", "z", "k", "A", "B"])
    #expect(program.leaves.map(\.leaf) == [.literal, .free, .input, .literal])
    #expect(program.outputNames == ["B"])
  }

  @Test func outputsFollowSourceOrder() throws {
    let (_, program) = try Compilation.valid(
      "x = 2; x + 1; output B, A; A = x * 2; B = A - 1; A * B")
    #expect(program.outputNames == ["_1", "B", "A", "_2"])
  }
}

/// A misspelt name becomes a free leaf; the checker says which name was
/// probably meant, and that the intended one is unused.
@Test func likelyTypoOfADefinedNameIsAWarning() throws {
  let compilation = Compilation(name: "t.bp", source: "price = 1.1\nA = 2 * prcie\n")
  let messages = compilation.diagnostics.items.map {
    ($0.severity, $0.message.text, compilation.file.location(of: $0.range.start).line)
  }
  #expect(!compilation.diagnostics.hasErrors)
  #expect(
    messages.contains {
      $0.0 == .warning
        && $0.1
          == "'prcie' is never defined, so it is a leaf with no default; did you mean 'price'?"
        && $0.2 == 2
    })
  #expect(
    messages.contains {
      $0.0 == .warning && $0.1 == "leaf 'price' is never used; the outputs do not depend on it"
        && $0.2 == 1
    })
  // Short names, and names far from every defined one, are not typos.
  #expect(Compilation(name: "t.bp", source: "k = 2\nA = k * x * price\n").diagnostics.items.isEmpty)
}
