import Foundation
import Testing

@testable import BackpropCore

/// The shape of `Sources/BackpropCore`, checked from its text: data flows one
/// way through the folders, and the message catalog stays in order.
@Suite struct ArchitectureTests {
  static let sources = Paths.packageRoot.appendingPathComponent("Sources/BackpropCore")

  /// The phases, lowest first: a folder may use only folders before it.
  static let layers = [
    "Support", "Diagnostics", "Builtins", "Syntax", "Semantics", "IR", "Derivatives", "Optimize",
    "Eval", "Emit", "Pipeline", "Explain", "Train", "Driver",
  ]

  /// Each folder's Swift text, with comments and string literals blanked.
  static func code() throws -> [String: String] {
    var code: [String: String] = [:]
    let folders = try FileManager.default.contentsOfDirectory(atPath: sources.path)
    for folder in folders {
      let url = sources.appendingPathComponent(folder)
      let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
      for file in files.sorted() where file.hasSuffix(".swift") {
        let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
        code[folder, default: ""] += stripped(text) + "\n"
      }
    }
    return code
  }

  /// Comments and the insides of string literals removed, so words in them
  /// do not count as uses.
  static func stripped(_ text: String) -> String {
    var out = ""
    var inString = false
    var inMultiline = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.contains("\"\"\"") {
        inMultiline.toggle()
        out += "\n"
        continue
      }
      if inMultiline {
        out += "\n"
        continue
      }
      var previous: Character = " "
      var kept = ""
      for c in line {
        if !inString && c == "/" && previous == "/" {
          kept.removeLast()
          break
        }
        if c == "\"" && previous != "\\" { inString.toggle() } else if !inString { kept.append(c) }
        previous = c
      }
      inString = false
      out += kept + "\n"
    }
    return out
  }

  /// The top-level types (and the members of extensions of library types)
  /// each folder declares.
  static func declarations(_ code: [String: String]) -> [String: String] {
    var owner: [String: String] = [:]
    let type = try! Regex(
      #"^(?:public |private |fileprivate |internal |final |indirect )*(?:struct|enum|class|protocol|typealias|actor) (\w+)"#
    )
    let member = try! Regex(#"^  (?:public |static |private |fileprivate |mutating )*func (\w+)"#)
    for (folder, text) in code {
      var inForeignExtension = false
      for line in text.split(separator: "\n") {
        if let match = line.firstMatch(of: type), let name = match.output[1].substring {
          owner[String(name)] = folder
        }
        if line.hasPrefix("extension ") {
          let extended = line.dropFirst("extension ".count).prefix { $0.isLetter || $0.isNumber }
          inForeignExtension = ["String", "Double", "Array", "Int"].contains(String(extended))
        } else if line.hasPrefix("}") {
          inForeignExtension = false
        } else if inForeignExtension, let match = line.firstMatch(of: member),
          let name = match.output[1].substring
        {
          owner[String(name)] = folder
        }
      }
    }
    return owner
  }

  /// folder → the folders whose declarations it uses.
  static func dependencies() throws -> [String: Set<String>] {
    let code = try code()
    let owner = declarations(code)
    var edges: [String: Set<String>] = [:]
    let word = try! Regex(#"[A-Za-z_][A-Za-z0-9_]*"#)
    for (folder, text) in code {
      for match in text.matches(of: word) {
        if let other = owner[String(text[match.range])], other != folder {
          edges[folder, default: []].insert(other)
        }
      }
    }
    return edges
  }

  @Test func everyFolderIsALayer() throws {
    let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter {
      !$0.hasPrefix(".")
    }
    #expect(
      Set(folders) == Set(Self.layers), "folders \(folders.sorted()) vs layers \(Self.layers)")
  }

  /// Data flows one way: no folder uses one above it, so there is no cycle.
  @Test func foldersDependOnlyOnLowerLayers() throws {
    let rank = Dictionary(uniqueKeysWithValues: Self.layers.enumerated().map { ($1, $0) })
    let edges = try Self.dependencies()
    #expect(!edges.isEmpty)
    for (folder, uses) in edges.sorted(by: { $0.key < $1.key }) {
      for used in uses.sorted() {
        #expect(
          (rank[used] ?? 99) < (rank[folder] ?? -1), "\(folder) uses \(used), which is not below it"
        )
      }
    }
  }

  /// The check itself can fail: a use of an upper layer is found.
  @Test func theLayerCheckSeesAUse() throws {
    let code = ["IR": "struct Kernel {}\n", "Syntax": "let k = Kernel()\n"]
    #expect(Self.declarations(code)["Kernel"] == "IR")
    #expect(!Self.stripped("let a = \"Kernel\" // Kernel\n").contains("Kernel"))
  }

  /// The catalog is alphabetical, as it says, and its switch follows it.
  @Test func messageCatalogIsAlphabetical() throws {
    let url = Self.sources.appendingPathComponent("Diagnostics/DiagnosticMessage.swift")
    let text = try String(contentsOf: url, encoding: .utf8)
    let declared = text.split(separator: "\n").compactMap { line -> String? in
      guard line.hasPrefix("  case ") else { return nil }
      return String(line.dropFirst(7).prefix { $0.isLetter || $0.isNumber })
    }
    let described = text.split(separator: "\n").compactMap { line -> String? in
      guard line.hasPrefix("    case .") else { return nil }
      return String(line.dropFirst(10).prefix { $0.isLetter || $0.isNumber })
    }
    #expect(declared.count > 50)
    #expect(
      declared == declared.sorted(),
      "out of order: \(zip(declared, declared.sorted()).first { $0 != $1 }.map { "\($0)" } ?? "")")
    #expect(described == declared)
  }

  /// `id` is the case name, whatever the payload.
  @Test func messageIdIsTheCaseName() {
    #expect(DiagnosticMessage.redefinition("x").id == "redefinition")
    #expect(DiagnosticMessage.noOutput.id == "noOutput")
    #expect(DiagnosticMessage.dataEmpty(hasHeader: true).id == "dataEmpty")
    #expect(
      DiagnosticMessage.unknownOption("--x", command: "eval", suggestion: nil).id == "unknownOption"
    )
  }

  /// "; did you mean …" is spelled once, for program and command line alike.
  @Test func suggestionsAreSpelledAlike() {
    let messages: [DiagnosticMessage] = [
      .unknownFunction("sigmod", suggestion: "sigmoid"),
      .unknownOption("--jsn", command: "eval", suggestion: "--json"),
      .settingOfUnknownName("xx", suggestion: "x"),
      .optionNamesUnknownName(option: "--loss", name: "los", suggestion: "loss"),
    ]
    for message in messages {
      #expect(
        message.text.range(of: #"; did you mean '[^']+'\?$"#, options: .regularExpression) != nil,
        "\(message.text)")
    }
  }
}
