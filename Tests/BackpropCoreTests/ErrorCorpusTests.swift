import Foundation
import Testing

@testable import BackpropCore

/// Programs with mistakes, one file per theme in `Tests/BackpropCoreTests/Errors/`,
/// each stating what the compiler must say (STYLE H11, Go's `/* ERROR */`):
///
///     # error: 3:9 unknown function 'sigmod'; did you mean 'sigmoid'?
///     # warning: 1:29 leaf 'unused' is never used; the outputs do not depend on it
///     # note: 6:1 'x' was first defined here
///     # args: eval --set prcie=1          (the command; `eval` by default)
///
/// Each file is run through the executable. Its diagnostics must be exactly
/// the annotated ones, the exit status 1 when one is an error (else 0), and
/// standard error byte for byte its golden `NAME.stderr`, rewritten by
/// `UPDATE_GOLDEN=1 swift test --filter Golden`.
@Suite struct ErrorCorpusTests {
  static let directory = Paths.packageRoot.appendingPathComponent("Tests/BackpropCoreTests/Errors")

  static let names: [String] = {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return files.filter { $0.hasSuffix(".bp") }.map { String($0.dropLast(3)) }.sorted()
  }()

  static func text(_ name: String) throws -> String {
    try String(contentsOf: directory.appendingPathComponent(name + ".bp"), encoding: .utf8)
  }

  /// `severity line:column message` for each annotation.
  static func annotations(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      for severity in ["error", "warning", "note"] where line.hasPrefix("# \(severity): ") {
        return severity + " " + line.dropFirst("# \(severity): ".count)
      }
      return nil
    }
  }

  /// The same, from what the compiler printed about `file`.
  static func reported(_ stderr: String, file: String) -> [String] {
    stderr.split(separator: "\n").compactMap { line in
      guard line.hasPrefix(file + ":") else { return nil }
      let fields = line.dropFirst(file.count + 1).split(separator: ":", maxSplits: 3)
      guard fields.count == 4 else { return nil }
      let severity = fields[2].trimmingCharacters(in: .whitespaces)
      return "\(severity) \(fields[0]):\(fields[1]) " + fields[3].dropFirst()
    }
  }

  @Test(arguments: names)
  func fileSaysWhatIsWrong(_ name: String) throws {
    let text = try Self.text(name)
    let expected = Self.annotations(text)
    #expect(!expected.isEmpty, "\(name).bp states no diagnostic")
    let args =
      text.split(separator: "\n").first { $0.hasPrefix("# args: ") }
      .map { $0.dropFirst("# args: ".count).split(separator: " ").map(String.init) } ?? ["eval"]
    let result = try Backpropc.run(args + ["\(name).bp"], in: Self.directory)
    #expect(
      Self.reported(result.stderr, file: "\(name).bp").sorted() == expected.sorted(), "\(result)")
    #expect(result.status == (expected.contains { $0.hasPrefix("error") } ? 1 : 0), "\(result)")
    Golden.check(result.stderr, file: "\(name).stderr")
  }

  /// Every message the lexer, parser and checker can emit appears in the
  /// corpus or in the byte-level cases of DiagnosticsTests.
  @Test func theCorpusCoversTheCompileTimeMessages() throws {
    var covered = Set(SingleErrorTests.ErrorCase.all.map(\.id))
    for name in Self.names {
      let compilation = Compilation(SourceFile(name: name + ".bp", text: try Self.text(name)))
      for diagnostic in compilation.diagnostics.items {
        covered.insert(diagnostic.message.id)
        for note in diagnostic.notes { covered.insert(note.message.id) }
      }
    }
    let compileTime: Set<String> = [
      "definedHere", "duplicateOutput", "expectedClosingParen", "expectedExpression",
      "expectedName",
      "expectedDefault", "expectedStatementEnd", "firstDefinedHere", "invalidAssignmentTarget",
      "invalidCharacter", "invalidNumber", "nestingTooDeep", "noOutput", "numberOutOfRange",
      "redefinition", "reservedName", "undefinedNameLooksLikeTypo", "unknownAnonymousOutput",
      "unknownFunction", "unknownOutput", "unusedName", "useBeforeDefinition", "wrongArity",
    ]
    #expect(
      compileTime.subtracting(covered).isEmpty,
      "uncovered: \(compileTime.subtracting(covered).sorted())")
  }
}
