import Foundation
import Testing

@testable import BackpropCore

/// The README tells the truth about what the code does.
@Suite struct DocumentationTests {
  static func readme() throws -> String {
    try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
  }

  /// Adding a row to the builtin table means documenting it.
  @Test(arguments: Callee.callableNames)
  func readmeListsEveryBuiltin(_ name: String) throws {
    let table = try Self.readme().components(separatedBy: "### Builtin functions").last ?? ""
    #expect(
      table.range(of: "\\b\(name)\\b", options: .regularExpression) != nil,
      "README's builtin table lacks \(name)")
  }

  /// CI must run exactly the test command the README gives.
  @Test func ciRunsTheReadmesTestCommand() throws {
    let readme = try Self.readme()
    let ci = try String(
      contentsOf: Paths.packageRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
    #expect(readme.contains("\nswift test\n"))
    #expect(ci.contains("\nswift test 2>&1"))
    #expect(readme.contains("swift run backpropc eval samples/mazur.bp"))
    #expect(ci.contains("backpropc eval samples/mazur.bp"))
  }

  /// The README shows the apple example's gradient as the compiler prints it.
  @Test func readmeShowsTheGeneratedAppleGradient() throws {
    let golden = try String(
      contentsOf: Paths.golden.appendingPathComponent("apple.c"), encoding: .utf8)
    let readme = try Self.readme()
    for line in [
      "const double dC_dB = 2.0 * B;", "const double dC_dA = dC_dB * z;",
      "const double C = B * B;  /* line 7 */",
    ] {
      #expect(golden.contains(line), "golden apple.c lacks \(line)")
      #expect(readme.contains(line), "README lacks \(line)")
    }
  }
}
