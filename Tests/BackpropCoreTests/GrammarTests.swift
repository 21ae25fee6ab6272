import Foundation
import Testing

@testable import BackpropCore

/// The grammar is written down in Grammar/backprop.ebnf and again, production
/// by production, in the doc comments of the parse functions: the two must
/// hold exactly the same productions (STYLE H12).
@Suite struct GrammarTests {
  /// Lines of the form `name = … .` outside EBNF comments.
  static func productions(inGrammar text: String) -> Set<String> {
    var inComment = false
    var result = Set<String>()
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("(*") { inComment = true }
      if !inComment, line.range(of: #"^[a-z]+ = .* \.$"#, options: .regularExpression) != nil {
        result.insert(line)
      }
      if line.hasSuffix("*)") { inComment = false }
    }
    return result
  }

  /// Doc-comment lines of the form `/// name = … .`
  static func productions(inSource text: String) -> Set<String> {
    var result = Set<String>()
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard line.hasPrefix("/// ") else { continue }
      let body = String(line.dropFirst(4))
      if body.range(of: #"^[a-z]+ = .* \.$"#, options: .regularExpression) != nil {
        result.insert(body)
      }
    }
    return result
  }

  @Test func grammarFileAndParserAgree() throws {
    let root = Paths.packageRoot
    let grammar = try String(
      contentsOf: root.appendingPathComponent("Grammar/backprop.ebnf"), encoding: .utf8)
    var quoted = Set<String>()
    for file in ["Parser.swift", "Lexer.swift"] {
      let url = root.appendingPathComponent("Sources/BackpropCore/Syntax/\(file)")
      quoted.formUnion(Self.productions(inSource: try String(contentsOf: url, encoding: .utf8)))
    }
    let written = Self.productions(inGrammar: grammar)
    #expect(written.count >= 12)
    #expect(
      written.subtracting(quoted).isEmpty,
      "in the grammar but not quoted by the parser: \(written.subtracting(quoted).sorted())")
    #expect(
      quoted.subtracting(written).isEmpty,
      "quoted by the parser but not in the grammar: \(quoted.subtracting(written).sorted())")
  }

  /// Grammar/backprop.tmLanguage.json, for editors: each keyword, reduction,
  /// initialiser and every callable builtin of the table is matched whole by
  /// the rule of its scope, and so are a comment and the number forms.
  @Test func editorGrammarKnowsEveryKeywordAndBuiltin() throws {
    let url = Paths.packageRoot.appendingPathComponent("Grammar/backprop.tmLanguage.json")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    #expect(json["scopeName"] as? String == "source.backprop")
    let repository = try #require(json["repository"] as? [String: [String: Any]])
    /// Whether the rule's pattern matches `text` from its start, covering `word`.
    func matches(_ rule: String, _ text: String, word: String) throws -> Bool {
      let pattern = try #require(repository[rule]?["match"] as? String, "no rule \(rule)")
      let regex = try NSRegularExpression(pattern: pattern)
      let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
      return match?.range == NSRange(location: 0, length: word.utf16.count)
    }
    for keyword in ["input", "param", "output"] {
      #expect(try matches("keyword", keyword + " x", word: keyword), "\(keyword)")
    }
    for reduction in ["sum", "logsumexp"] {
      #expect(Reduction(rawValue: reduction) != nil)
      #expect(try matches("reduction", reduction + "(i, x[i])", word: reduction), "\(reduction)")
    }
    for initializer in ["xavier", "he", "uniform", "normal"] {
      #expect(try matches("initializer", initializer, word: initializer), "\(initializer)")
    }
    #expect(Callee.callableNames.count >= 20)
    for name in Callee.callableNames {
      #expect(try matches("builtin", name + "(x)", word: name), "the editor grammar lacks \(name)")
      #expect(
        try !matches("builtin", name + "2(x)", word: name), "\(name) matched inside a longer name")
    }
    for number in ["1", "2.5", ".5", "1e-3", "2.5E+4"] {
      #expect(try matches("number", number, word: number), "\(number)")
    }
    #expect(try matches("comment", "# a comment", word: "# a comment"))
    #expect(try matches("comment", "// a comment", word: "// a comment"))
  }
}
