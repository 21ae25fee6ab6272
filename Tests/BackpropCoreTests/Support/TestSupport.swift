import Foundation
import Testing

@testable import BackpropCore

/// Where the package's files are, found from this file's path.
enum Paths {
  static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let samples = packageRoot.appendingPathComponent("samples")
  static let golden = packageRoot.appendingPathComponent("Tests/BackpropCoreTests/Golden")

  /// Every `samples/*.bp`, sorted, without the extension.
  static let sampleNames: [String] = {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
    return files.filter { $0.hasSuffix(".bp") }.map { String($0.dropLast(3)) }.sorted()
  }()

  static func sample(_ name: String) -> SourceFile {
    let url = samples.appendingPathComponent(name + ".bp")
    let bytes = (try? Data(contentsOf: url)).map(Array.init) ?? []
    return SourceFile(name: name + ".bp", bytes: bytes)
  }

  /// A fresh scratch directory under the system's temporary directory.
  static func scratch(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("backpropc-tests-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

/// Runs a program to completion and captures what it printed.
struct ProcessResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

enum Run {
  /// Runs `executable` with `arguments`; `stdin` is written and closed.
  static func process(
    _ executable: String, _ arguments: [String], stdin: String? = nil, directory: URL? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      outData = out.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// The first of `names` found on PATH.
  static func tool(_ names: String...) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for name in names {
      for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      }
    }
    return nil
  }
}

/// Golden files: compared byte for byte; `UPDATE_GOLDEN=1 swift test` rewrites them.
enum Golden {
  static let updating = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil

  static func check(
    _ actual: String, file name: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let url = Paths.golden.appendingPathComponent(name)
    if updating {
      try? FileManager.default.createDirectory(at: Paths.golden, withIntermediateDirectories: true)
      try? Data(actual.utf8).write(to: url)
      return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      Issue.record("no golden \(name); run UPDATE_GOLDEN=1 swift test --filter Golden", sourceLocation: sourceLocation)
      return
    }
    if expected != actual {
      Issue.record("\(name) differs from its golden:\n\(lineDiff(expected, actual))", sourceLocation: sourceLocation)
    }
  }

  /// The lines that differ, `-` expected and `+` actual.
  static func lineDiff(_ expected: String, _ actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for change in a.difference(from: e) {
      switch change {
      case .remove(let offset, let line, _): out.append("-\(offset + 1): \(line)")
      case .insert(let offset, let line, _): out.append("+\(offset + 1): \(line)")
      }
      if out.count > 40 { out.append("…"); break }
    }
    return out.joined(separator: "\n")
  }
}

/// The pipeline, as the tests drive it.
extension Compilation {
  /// Compiles source that must be free of errors.
  static func valid(_ source: String, name: String = "test.bp", sourceLocation: SourceLocation = #_sourceLocation) throws -> (Compilation, Program) {
    let compilation = Compilation(name: name, source: source)
    let rendered = compilation.diagnostics.rendered(in: compilation.file)
    try #require(!compilation.diagnostics.hasErrors, "unexpected errors:\n\(rendered)", sourceLocation: sourceLocation)
    return (compilation, try #require(compilation.program, sourceLocation: sourceLocation))
  }

  /// Evaluates with defaults overridden by `settings`; fails the test on errors.
  func evaluation(_ settings: [String: Double] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> Evaluation {
    var diagnostics = DiagnosticList()
    let leaves = try #require(leafValues(settings, into: &diagnostics), sourceLocation: sourceLocation)
    return try #require(evaluate(leaves, into: &diagnostics), sourceLocation: sourceLocation)
  }
}

extension Evaluation {
  /// A value by name.
  func value(_ name: String) -> Double? {
    program.symbols.firstIndex { $0.name == name }.map { values[$0] }
  }

  /// ∂output/∂name by names.
  func derivative(_ output: String, _ name: String) -> Double? {
    guard let o = program.outputs.firstIndex(where: { program.symbols[$0].name == output }),
      let s = program.symbols.firstIndex(where: { $0.name == name })
    else { return nil }
    return gradient[o][s]
  }
}

/// |a − b| ≤ tolerance·max(1, |a|, |b|): relative for large values, absolute near 0.
func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
  if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
  if a == b { return true }
  return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

/// Central finite differences through the interpreter's forward program: an
/// independent path from the reverse pass (the library's, shared with `check`).
func finiteDifferences(_ program: Program, at leaves: [Double]) -> [[Double]] {
  GradientCheck.finiteDifferences(program, at: leaves)
}
