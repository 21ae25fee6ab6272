import Foundation
import Testing

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
    let grammar = try String(contentsOf: root.appendingPathComponent("Grammar/backprop.ebnf"), encoding: .utf8)
    var quoted = Set<String>()
    for file in ["Parser.swift", "Lexer.swift"] {
      let url = root.appendingPathComponent("Sources/BackpropCore/Syntax/\(file)")
      quoted.formUnion(Self.productions(inSource: try String(contentsOf: url, encoding: .utf8)))
    }
    let written = Self.productions(inGrammar: grammar)
    #expect(written.count >= 12)
    #expect(written.subtracting(quoted).isEmpty, "in the grammar but not quoted by the parser: \(written.subtracting(quoted).sorted())")
    #expect(quoted.subtracting(written).isEmpty, "quoted by the parser but not in the grammar: \(quoted.subtracting(written).sorted())")
  }
}
