// Tests of the `backpropc` executable as a user runs it (SPEC §2): exit
// statuses, `eval` in text and JSON, `--set`, usage errors with suggestions,
// `-o` and `--emit`, files left alone on failure, `--help`/`--version`,
// standard input, and `--name`.
//
// The tests run the built executable as a subprocess. Expected numbers are
// worked out by hand from SPEC §2 and §4 (the apple-tax example), never copied
// from a run.

import Foundation
import Testing

// MARK: - Running the executable (Support/TestSupport.swift: `Backpropc`, `Run`)

/// A fresh directory, removed when the value goes away.
private final class TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("backpropc-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit {
    try? FileManager.default.removeItem(at: url)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  @discardableResult
  func write(_ name: String, _ text: String) throws -> String {
    try write(name, Data(text.utf8))
  }

  @discardableResult
  func write(_ name: String, _ data: Data) throws -> String {
    let path = path(name)
    try data.write(to: URL(fileURLWithPath: path))
    return path
  }

  func read(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }

  func text(_ name: String) -> String? { read(name).map { String(decoding: $0, as: UTF8.self) } }

  func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

  /// The names in the directory, sorted.
  func listing() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
  }
}

// MARK: - Reading the output

/// `a ≈ b` to a relative tolerance (absolute near zero).
private func close(_ a: Double?, _ b: Double, relative: Double = 1e-12) -> Bool {
  guard let a else { return false }
  return abs(a - b) <= relative * max(abs(b), 1e-300)
}

/// The lines `NAME = VALUE` of `eval`'s text output, in order.
private func evalLines(_ text: String) -> [(name: String, value: Double?)] {
  text.split(separator: "\n").map { line in
    guard let range = line.range(of: " = ") else { return (String(line), nil) }
    return (String(line[..<range.lowerBound]), Double(line[range.upperBound...]))
  }
}

/// A JSON number (or nil).
private func number(_ any: Any?) -> Double? {
  if let n = any as? NSNumber { return n.doubleValue }
  return any as? Double
}

/// The keys of the JSON object that `text` starts with (after blanks), in the
/// order they are written, ignoring nested objects' keys.
private func keysInOrder(_ text: Substring) -> [String] {
  var keys: [String] = []
  var depth = 0
  var i = text.startIndex
  while i < text.endIndex {
    let c = text[i]
    if c == "\"" {
      // A string: read to its closing quote.
      var j = text.index(after: i)
      var string = ""
      while j < text.endIndex && text[j] != "\"" {
        if text[j] == "\\" { j = text.index(after: j) }
        if j < text.endIndex { string.append(text[j]) }
        j = text.index(after: j)
      }
      i = j < text.endIndex ? text.index(after: j) : j
      // It is a key when a ':' follows.
      var k = i
      while k < text.endIndex && text[k].isWhitespace { k = text.index(after: k) }
      if depth == 1 && k < text.endIndex && text[k] == ":" { keys.append(string) }
      continue
    }
    if c == "{" || c == "[" { depth += 1 }
    if c == "}" || c == "]" {
      depth -= 1
      if depth == 0 { break }
    }
    i = text.index(after: i)
  }
  return keys
}

/// The text of the object value of key `name`, the first such key in `text`
/// whose value is an object: `"name": { … }` → `{ … }…`.
private func objectText(named name: String, in text: Substring) -> Substring? {
  var search = text[...]
  while let found = search.range(of: "\"\(name)\"") {
    var k = found.upperBound
    while k < text.endIndex && text[k].isWhitespace { k = text.index(after: k) }
    if k < text.endIndex && text[k] == ":" {
      k = text.index(after: k)
      while k < text.endIndex && text[k].isWhitespace { k = text.index(after: k) }
      if k < text.endIndex && text[k] == "{" { return text[k...] }
    }
    search = text[found.upperBound...]
  }
  return nil
}

private let appleTax = "A = x*y; B = A*z; C = B^2"

// MARK: - Tests

@Suite("Command line: backpropc as a subprocess")
struct CommandLineTests {
  // MARK: Exit statuses

  struct StatusCase: Sendable, CustomTestStringConvertible {
    var title: String
    var arguments: [String]
    var stdin: String
    var status: Int32
    var testDescription: String { "exit \(status): \(title)" }
  }

  static let statuses: [StatusCase] = [
    .init(title: "eval of a good program", arguments: ["eval"], stdin: "2*3", status: 0),
    .init(
      title: "--emit c of a good program", arguments: ["--emit", "c"], stdin: "A = x*2", status: 0),
    .init(
      title: "--emit swift of a good program", arguments: ["--emit", "swift"], stdin: "A = x*2",
      status: 0),
    .init(
      title: "eval of a program with an error", arguments: ["eval"], stdin: "A = sigmod(x)",
      status: 1),
    .init(
      title: "--emit c of a program with an error", arguments: ["--emit", "c"], stdin: "A = )",
      status: 1),
    .init(
      title: "eval of a program with no output", arguments: ["eval"], stdin: "x = 1", status: 1),
    .init(title: "an unknown flag", arguments: ["eval", "--frobnicate"], stdin: "2*3", status: 2),
    .init(
      title: "an unknown --emit language", arguments: ["--emit", "fortran"], stdin: "A = x*2",
      status: 2),
    .init(
      title: "a file that does not exist", arguments: ["eval", "no-such-file.bp"], stdin: "",
      status: 2),
    .init(
      title: "--set without '='", arguments: ["eval", "--set", "x"], stdin: "A = x*2", status: 2),
    .init(
      title: "--set with a value that is not a number", arguments: ["eval", "--set", "x=abc"],
      stdin: "A = x*2", status: 2),
  ]

  @Test("exit status: 0 success, 1 program errors, 2 bad usage", arguments: statuses)
  func exitStatus(_ c: StatusCase) throws {
    let result = try Backpropc.run(c.arguments, stdin: c.stdin)
    #expect(result.status == c.status, "\(result)")
    #expect(!result.timedOut)
    if c.status != 0 {
      #expect(!result.stderr.isEmpty, "a failure must say why on standard error")
    }
  }

  // MARK: eval, text

  @Test("SPEC §2: the apple-tax pipe prints C and its three partials")
  func appleTaxText() throws {
    let result = try Backpropc.run(
      ["eval", "--set", "x=100", "--set", "y=2", "--set", "z=1.1"], stdin: appleTax)
    #expect(result.status == 0, "\(result)")
    #expect(result.stderr == "")
    let lines = evalLines(result.stdout)
    // C = (x·y·z)², ∂C/∂x = 2B·y·z, ∂C/∂y = 2B·x·z, ∂C/∂z = 2B·x·y with B = 220.
    let expected: [(String, Double)] = [
      ("C", 48400), ("∂C/∂x", 968), ("∂C/∂y", 48400), ("∂C/∂z", 88000),
    ]
    try #require(lines.count == expected.count, "\(result)")
    for ((name, value), (expectedName, expectedValue)) in zip(lines, expected) {
      #expect(name == expectedName)
      #expect(close(value, expectedValue), "\(name) = \(value.map { "\($0)" } ?? "?")")
    }
  }

  @Test("SPEC §1: echo '2*3' | backpropc eval prints 6, from '-' or no file")
  func anonymousOutputFromStandardInput() throws {
    for arguments in [["eval"], ["eval", "-"]] {
      let result = try Backpropc.run(arguments, stdin: "2*3\n")
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout == "_1 = 6\n", "\(arguments)")
    }
  }

  // MARK: eval --json

  @Test("eval --json: the object of SPEC §2, its keys in order and its numbers")
  func appleTaxJSON() throws {
    let result = try Backpropc.run(
      ["eval", "--json", "--set", "x=100", "--set", "y=2", "--set", "z=1.1"], stdin: appleTax)
    #expect(result.status == 0, "\(result)")
    #expect(result.stderr == "")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
      "not a JSON object: \(result.stdout)")
    #expect(Set(object.keys) == ["outputs", "values", "gradient"])

    let raw = result.stdout[...]
    #expect(keysInOrder(raw) == ["outputs", "values", "gradient"])
    let outputs = try #require(object["outputs"] as? [String: Any])
    #expect(Array(outputs.keys) == ["C"])
    #expect(close(number(outputs["C"]), 48400))

    // Leaves in order of first appearance, then definitions in order.
    let order = ["x", "y", "z", "A", "B", "C"]
    let valuesText = try #require(objectText(named: "values", in: raw))
    #expect(keysInOrder(valuesText) == order)
    let values = try #require(object["values"] as? [String: Any])
    let expectedValues: [String: Double] = [
      "x": 100, "y": 2, "z": 1.1, "A": 200, "B": 220, "C": 48400,
    ]
    for (name, expected) in expectedValues {
      #expect(close(number(values[name]), expected), "values.\(name)")
    }

    let gradientText = try #require(objectText(named: "gradient", in: raw))
    #expect(keysInOrder(gradientText) == ["C"])
    let rowText = try #require(objectText(named: "C", in: gradientText))
    #expect(keysInOrder(rowText) == order)
    let gradient = try #require(object["gradient"] as? [String: Any])
    let row = try #require(gradient["C"] as? [String: Any])
    // ∂C/∂B = 2B = 440, ∂C/∂A = 2B·z = 484, ∂C/∂C = 1 (SPEC §2).
    let expectedRow: [String: Double] = [
      "x": 968, "y": 48400, "z": 88000, "A": 484, "B": 440, "C": 1,
    ]
    for (name, expected) in expectedRow {
      #expect(close(number(row[name]), expected), "gradient.C.\(name)")
    }
  }

  @Test("eval --json: two outputs, zeros where an output does not depend on a name")
  func twoOutputsJSON() throws {
    let source = "x = 2; y = 3\nA = x*x\nB = y + 1\noutput A, B\n"
    let result = try Backpropc.run(["eval", "--json"], stdin: source)
    #expect(result.status == 0, "\(result)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let raw = result.stdout[...]
    let outputsText = try #require(objectText(named: "outputs", in: raw))
    #expect(keysInOrder(outputsText) == ["A", "B"])
    let valuesText = try #require(objectText(named: "values", in: raw))
    #expect(keysInOrder(valuesText) == ["x", "y", "A", "B"])
    let gradientText = try #require(objectText(named: "gradient", in: raw))
    #expect(keysInOrder(gradientText) == ["A", "B"])

    let gradient = try #require(object["gradient"] as? [String: Any])
    let expected: [String: [String: Double]] = [
      "A": ["x": 4, "y": 0, "A": 1, "B": 0],  // A = x², ∂A/∂x = 2x
      "B": ["x": 0, "y": 1, "A": 0, "B": 1],
    ]
    for (output, row) in expected {
      let actual = try #require(gradient[output] as? [String: Any])
      #expect(Set(actual.keys) == ["x", "y", "A", "B"])
      for (name, value) in row {
        #expect(number(actual[name]) == value, "gradient.\(output).\(name)")
      }
    }
    let values = try #require(object["values"] as? [String: Any])
    #expect(number(values["A"]) == 4)
    #expect(number(values["B"]) == 4)
  }

  @Test("eval --json: leaves are keyed in order of first appearance, not by name")
  func leafOrderJSON() throws {
    let result = try Backpropc.run(
      ["eval", "--json", "--set", "a=2", "--set", "b=3"], stdin: "A = b * a")
    #expect(result.status == 0, "\(result)")
    let raw = result.stdout[...]
    let valuesText = try #require(objectText(named: "values", in: raw))
    #expect(keysInOrder(valuesText) == ["b", "a", "A"])
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let row = try #require((object["gradient"] as? [String: Any])?["A"] as? [String: Any])
    #expect(number(row["b"]) == 2)
    #expect(number(row["a"]) == 3)
  }

  @Test("eval --json: non-finite numbers are the strings NaN, Infinity, -Infinity, with a warning")
  func nonFiniteJSON() throws {
    let directory = try TemporaryDirectory()
    // log(0) = -Infinity (line 2, column 5, where the first one arises),
    // 0/0 = NaN, and ∂A/∂x = 1/x = +Infinity.
    try directory.write("model.bp", "x = 0\nA = log(x)\nB = x / x\noutput A, B\n")
    let result = try Backpropc.run(["eval", "--json", "model.bp"], in: directory.url)
    #expect(result.status == 0, "\(result)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
      "not JSON: \(result.stdout)")
    let values = try #require(object["values"] as? [String: Any])
    #expect(values["A"] as? String == "-Infinity")
    #expect(values["B"] as? String == "NaN")
    #expect(number(values["x"]) == 0)
    let row = try #require((object["gradient"] as? [String: Any])?["A"] as? [String: Any])
    #expect(row["x"] as? String == "Infinity")
    #expect(result.stderr.contains("model.bp:2:5: warning: "), "\(result.stderr)")
    #expect(result.stderr.contains("'A'"), "the warning names the variable: \(result.stderr)")
  }

  // MARK: eval: leaf values

  @Test("a leaf with no value: exit 1, every missing name listed")
  func missingLeafValues() throws {
    let result = try Backpropc.run(["eval", "--set", "y=1"], stdin: "A = x * y + z\n")
    #expect(result.status == 1, "\(result)")
    #expect(result.stdout == "")
    #expect(result.stderr.contains("'x'"), "\(result.stderr)")
    #expect(result.stderr.contains("'z'"), "\(result.stderr)")
    #expect(!result.stderr.contains("'y'"), "y has a value: \(result.stderr)")
  }

  @Test("--set of a name the program does not have: exit 2 with did-you-mean")
  func setUnknownName() throws {
    let result = try Backpropc.run(["eval", "--set", "xx=1"], stdin: "A = x * y\n")
    #expect(result.status == 2, "\(result)")
    #expect(result.stdout == "")
    #expect(result.stderr.contains("xx"), "\(result.stderr)")
    #expect(result.stderr.contains("did you mean 'x'?"), "\(result.stderr)")
  }

  @Test("--set of a computed name: exit 2 with did-you-mean")
  func setNonLeaf() throws {
    let result = try Backpropc.run(
      ["eval", "--set", "rate=1", "--set", "rates=3"], stdin: "rates = rate * 2\nC = rates + 1\n")
    #expect(result.status == 2, "\(result)")
    #expect(result.stdout == "")
    #expect(result.stderr.contains("'rates'"), "\(result.stderr)")
    #expect(result.stderr.contains("did you mean 'rate'?"), "\(result.stderr)")
  }

  // MARK: Usage

  struct UsageCase: Sendable, CustomTestStringConvertible {
    var title: String
    var arguments: [String]
    /// Every one of these must appear on standard error.
    var mentions: [String]
    var testDescription: String { title }
  }

  static let usages: [UsageCase] = [
    .init(
      title: "eval --jsn suggests --json", arguments: ["eval", "--jsn"],
      mentions: ["'--jsn'", "did you mean '--json'?"]),
    .init(
      title: "--emitt suggests --emit", arguments: ["model.bp", "--emitt", "c"],
      mentions: ["'--emitt'", "did you mean '--emit'?"]),
    .init(
      title: "eval --sett suggests --set", arguments: ["eval", "--sett", "x=1"],
      mentions: ["'--sett'", "did you mean '--set'?"]),
    .init(
      title: "compiling without -o or --emit says what to add", arguments: ["model.bp"],
      mentions: ["-o", "--emit"]),
    .init(
      title: "compiling standard input without -o or --emit says what to add", arguments: ["-"],
      mentions: ["-o", "--emit"]),
    .init(
      title: "-o with an extension that is neither .swift nor .c",
      arguments: ["model.bp", "-o", "out.txt"],
      mentions: ["out.txt", ".swift", ".c"]),
  ]

  @Test("bad usage: exit 2, and standard error says what to do", arguments: usages)
  func usage(_ c: UsageCase) throws {
    let directory = try TemporaryDirectory()
    try directory.write("model.bp", appleTax)
    let before = directory.listing()
    let result = try Backpropc.run(c.arguments, stdin: appleTax, in: directory.url)
    #expect(result.status == 2, "\(result)")
    #expect(result.stdout == "")
    for mention in c.mentions {
      #expect(result.stderr.contains(mention), "'\(mention)' missing from: \(result.stderr)")
    }
    #expect(directory.listing() == before, "bad usage must not write files")
  }

  @Test("an unreadable input (missing file, directory) is bad usage, exit 2")
  func unreadableInput() throws {
    let directory = try TemporaryDirectory()
    try FileManager.default.createDirectory(
      atPath: directory.path("folder.bp"), withIntermediateDirectories: false)
    for arguments in [
      ["eval", "missing.bp"], ["missing.bp", "--emit", "c"], ["eval", "folder.bp"],
      ["folder.bp", "--emit", "swift"], ["missing.bp", "-o", "out.swift"],
    ] {
      let result = try Backpropc.run(arguments, in: directory.url)
      #expect(result.status == 2, "\(arguments): \(result)")
      #expect(result.stdout == "")
      let name = arguments.first { $0.hasSuffix(".bp") } ?? ""
      #expect(result.stderr.contains(name), "\(arguments): \(result.stderr)")
    }
    #expect(!directory.exists("out.swift"), "a failed run must not create its output")
  }

  @Test("an output that cannot be written is bad usage, exit 2, saying why, and writes nothing")
  func unwritableOutput() throws {
    let directory = try TemporaryDirectory()
    try directory.write("apple.bp", appleTax)
    for (arguments, file) in [
      (["apple.bp", "-o", "nowhere/apple.c"], "nowhere/apple.h"),
      (["apple.bp", "-o", "nowhere/Apple.swift"], "nowhere/Apple.swift"),
      (["apple.bp", "-o", "apple.bp/x.c"], "apple.bp/x.h"),
    ] {
      let result = try Backpropc.run(arguments, in: directory.url)
      #expect(result.status == 2, "\(arguments): \(result)")
      // The reason is the C library's: "No such file or directory", "Not a directory".
      #expect(
        result.stderr.hasPrefix("backpropc: error: cannot write '\(file)': "),
        "\(arguments): \(result.stderr)")
      #expect(
        result.stderr.split(separator: "\n")[0].count
          > "backpropc: error: cannot write '\(file)': ".count)
    }
    #expect(directory.listing() == ["apple.bp"], "a failed write must leave nothing behind")
  }

  @Test(
    "a file without read permission is bad usage, exit 2",
    .enabled(if: getuid() != 0, "root can read a file whatever its permissions"))
  func unreadableFile() throws {
    let directory = try TemporaryDirectory()
    let path = try directory.write("secret.bp", appleTax)
    try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
    let result = try Backpropc.run(["eval", "secret.bp"], in: directory.url)
    #expect(result.status == 2, "\(result)")
    #expect(result.stderr.contains("secret.bp"), "\(result.stderr)")
  }

  @Test(
    "--help and --version work on every command, exit 0",
    arguments: [
      ["--help"], ["--version"], ["eval", "--help"], ["eval", "--version"],
    ])
  func helpAndVersion(_ arguments: [String]) throws {
    let result = try Backpropc.run(arguments)
    #expect(result.status == 0, "\(result)")
    #expect(result.stderr == "")
    #expect(!result.stdout.isEmpty)
    if arguments.last == "--version" {
      #expect(result.stdout.contains("backpropc"), "\(result.stdout)")
    } else if arguments.first == "eval" {
      #expect(result.stdout.contains("--set"), "eval's help lists its options: \(result.stdout)")
      #expect(result.stdout.contains("--json"), "eval's help lists its options: \(result.stdout)")
    } else {
      #expect(result.stdout.contains("-o"), "the help lists -o: \(result.stdout)")
      #expect(result.stdout.contains("--emit"), "the help lists --emit: \(result.stdout)")
      #expect(result.stdout.contains("eval"), "the help names the eval command: \(result.stdout)")
    }
  }

  // MARK: Writing files

  @Test("-o X.c writes X.c and X.h")
  func writesCSourceAndHeader() throws {
    let directory = try TemporaryDirectory()
    try directory.write("apple.bp", appleTax)
    let result = try Backpropc.run(["apple.bp", "-o", "X.c"], in: directory.url)
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "")
    let header = try #require(directory.text("X.h"), "X.h was not written")
    let source = try #require(directory.text("X.c"), "X.c was not written")
    // SPEC §3: prefix from the file name, lowercased; constants uppercased.
    for expected in [
      "#define APPLE_NUM_INPUTS 3", "#define APPLE_NUM_OUTPUTS 1", "apple_forward(",
      "apple_gradient(", "apple_input_names", "extern \"C\"", "#ifndef",
    ] {
      #expect(header.contains(expected), "X.h lacks \(expected)")
    }
    #expect(source.contains("apple_gradient("), "X.c lacks apple_gradient")
    #expect(directory.listing() == ["X.c", "X.h", "apple.bp"], "no stray files")
  }

  @Test("-o X.swift writes X.swift")
  func writesSwift() throws {
    let directory = try TemporaryDirectory()
    try directory.write("apple.bp", appleTax)
    let result = try Backpropc.run(["apple.bp", "-o", "X.swift"], in: directory.url)
    #expect(result.status == 0, "\(result)")
    let swift = try #require(directory.text("X.swift"), "X.swift was not written")
    #expect(swift.contains("enum Apple"), "the type is named after the file")
    #expect(swift.contains("static func gradient("))
    #expect(directory.listing() == ["X.swift", "apple.bp"], "no stray files")
  }

  @Test(
    "a program with errors leaves an existing output byte for byte, and creates none",
    arguments: ["out.swift", "out.c"])
  func errorsTouchNoFile(_ output: String) throws {
    let directory = try TemporaryDirectory()
    try directory.write("bad.bp", "A = sigmod(x)\n")

    // Absent: nothing is created (for C, neither the .c nor the .h).
    let before = directory.listing()
    let first = try Backpropc.run(["bad.bp", "-o", output], in: directory.url)
    #expect(first.status == 1, "\(first)")
    #expect(directory.listing() == before, "a failed run created files")

    // Present: left exactly as it was.
    let precious = Data([0x2F, 0x2F, 0x20, 0x6B, 0x65, 0x65, 0x70, 0x0A, 0x00, 0xFF, 0xC3])
    try directory.write(output, precious)
    let header = (output as NSString).deletingPathExtension + ".h"
    if output.hasSuffix(".c") { try directory.write(header, precious) }
    let listing = directory.listing()
    let second = try Backpropc.run(["bad.bp", "-o", output], in: directory.url)
    #expect(second.status == 1, "\(second)")
    #expect(directory.read(output) == precious, "\(output) was touched")
    if output.hasSuffix(".c") {
      #expect(directory.read(header) == precious, "\(header) was touched")
    }
    #expect(directory.listing() == listing)
    #expect(
      second.stderr.contains("bad.bp:1:5: error: unknown function 'sigmod'"), "\(second.stderr)")
  }

  @Test("SPEC §2's diagnostic, exactly, on standard error")
  func specDiagnostic() throws {
    let directory = try TemporaryDirectory()
    try directory.write("model.bp", "x = 100; y = 2; z = 1.1\nA = x * y\nB = A * sigmod(z)\n")
    let result = try Backpropc.run(["model.bp", "--emit", "c"], in: directory.url)
    #expect(result.status == 1, "\(result)")
    #expect(result.stdout == "")
    #expect(
      result.stderr == """
        model.bp:3:9: error: unknown function 'sigmod'; did you mean 'sigmoid'?
          B = A * sigmod(z)
                  ^~~~~~
        1 error generated.

        """)
  }

  // MARK: Names

  struct NameCase: Sendable, CustomTestStringConvertible {
    var title: String
    var file: String?
    var arguments: [String]
    var expected: [String]
    var testDescription: String { title }
  }

  static let names: [NameCase] = [
    .init(
      title: "my-model.bp gives C symbols my_model_*", file: "my-model.bp",
      arguments: ["my-model.bp", "--emit", "c"],
      expected: ["my_model_forward(", "my_model_gradient("]),
    .init(
      title: "my-model.bp gives the Swift enum MyModel", file: "my-model.bp",
      arguments: ["my-model.bp", "--emit", "swift"], expected: ["enum MyModel"]),
    .init(
      title: "--name my-model gives C symbols my_model_*", file: nil,
      arguments: ["--name", "my-model", "--emit", "c"],
      expected: ["my_model_forward(", "my_model_gradient("]),
    .init(
      title: "--name my-model gives the Swift enum MyModel", file: nil,
      arguments: ["--name", "my-model", "--emit", "swift"], expected: ["enum MyModel"]),
    .init(
      title: "--name overrides the file's name", file: "my-model.bp",
      arguments: ["my-model.bp", "--name", "net", "--emit", "c"], expected: ["net_forward("]),
    .init(
      title: "standard input is 'model'", file: nil, arguments: ["-", "--emit", "c"],
      expected: ["model_forward("]),
    .init(
      title: "standard input is 'Model' in Swift", file: nil, arguments: ["--emit", "swift"],
      expected: ["enum Model"]),
  ]

  @Test("the generated symbols' prefix", arguments: names)
  func prefix(_ c: NameCase) throws {
    let directory = try TemporaryDirectory()
    if let file = c.file { try directory.write(file, appleTax) }
    let result = try Backpropc.run(c.arguments, stdin: appleTax, in: directory.url)
    #expect(result.status == 0, "\(result)")
    for expected in c.expected {
      #expect(result.stdout.contains(expected), "output lacks \(expected)")
    }
    if c.arguments.contains("net") {
      #expect(!result.stdout.contains("my_model_"), "--name must replace the file's name")
    }
  }

  @Test("-o X.c with --name: the header's constants use the prefix")
  func headerWithName() throws {
    let directory = try TemporaryDirectory()
    let result = try Backpropc.run(
      ["--name", "my-model", "-o", "X.c"], stdin: appleTax, in: directory.url)
    #expect(result.status == 0, "\(result)")
    let header = try #require(directory.text("X.h"))
    #expect(header.contains("#define MY_MODEL_NUM_INPUTS 3"))
    #expect(header.contains("my_model_forward("))
  }
}
