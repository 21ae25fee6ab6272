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

/// What one run of a program did.
struct ProcessResult: Sendable, CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String
  var timedOut = false

  var description: String {
    "exit \(status)\(timedOut ? " (killed after the time limit)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
  }
}

/// A pipe's bytes, collected on a background thread.
private final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  func set(_ value: Data) {
    lock.lock()
    data = value
    lock.unlock()
  }
  var value: Data {
    lock.lock()
    defer { lock.unlock() }
    return data
  }
}

/// A child that exits before reading its standard input must not kill the
/// test runner with SIGPIPE when we write to it.
private let ignoreBrokenPipes: Void = {
  signal(SIGPIPE, SIG_IGN)
}()

enum Run {
  /// Runs `executable` with `arguments` in `directory`, feeding `stdin`, and
  /// waits at most `timeLimit` seconds before killing it.
  static func process(
    _ executable: String, _ arguments: [String], stdin: Data = Data(), directory: URL? = nil,
    timeLimit: TimeInterval = 600
  ) throws -> ProcessResult {
    _ = ignoreBrokenPipes
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read both outputs on their own threads while we write the input, so a
    // full pipe on either side can never deadlock the two processes.
    let group = DispatchGroup()
    let collectedOut = Collected()
    let collectedErr = Collected()
    for (pipe, sink) in [(output, collectedOut), (error, collectedErr)] {
      let handle = pipe.fileHandleForReading
      group.enter()
      Thread.detachNewThread {
        sink.set(handle.readDataToEndOfFile())
        group.leave()
      }
    }
    let writer = input.fileHandleForWriting
    try? writer.write(contentsOf: stdin)
    try? writer.close()
    var timedOut = false
    if group.wait(timeout: .now() + timeLimit) == .timedOut {
      timedOut = true
      process.terminate()
      group.wait()
    }
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus,
      stdout: String(decoding: collectedOut.value, as: UTF8.self),
      stderr: String(decoding: collectedErr.value, as: UTF8.self),
      timedOut: timedOut)
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

/// The built `backpropc` executable.
enum Backpropc {
  /// Where the executable may be: next to the test bundle (same build
  /// configuration), or in the package's `.build/debug`.
  static let candidates: [URL] = {
    let bundle = Bundle.main.bundleURL
    return [
      bundle.appendingPathComponent("backpropc"),
      bundle.deletingLastPathComponent().appendingPathComponent("backpropc"),
      Paths.packageRoot.appendingPathComponent(".build/debug/backpropc"),
    ]
  }()

  static let executable: URL? = candidates.first { url in
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: url.path)
  }

  /// Runs `backpropc arguments…` with `stdin` as its standard input, in
  /// `directory` (the current one if nil), and waits at most `timeLimit`.
  static func run(
    _ arguments: [String], stdin: String = "", in directory: URL? = nil,
    timeLimit: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> ProcessResult {
    let executable = try #require(
      executable,
      "the backpropc executable was not found; looked at \(candidates.map(\.path)). Run 'swift build --build-tests' first.",
      sourceLocation: sourceLocation)
    return try Run.process(
      executable.path, arguments, stdin: Data(stdin.utf8), directory: directory,
      timeLimit: timeLimit)
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
      Issue.record(
        "no golden \(name); run UPDATE_GOLDEN=1 swift test --filter Golden",
        sourceLocation: sourceLocation)
      return
    }
    if expected != actual {
      Issue.record(
        "\(name) differs from its golden:\n\(lineDiff(expected, actual))",
        sourceLocation: sourceLocation)
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
      if out.count > 40 {
        out.append("…")
        break
      }
    }
    return out.joined(separator: "\n")
  }
}

/// The pipeline, as the tests drive it.
extension Compilation {
  /// Compiles source that must be free of errors.
  static func valid(
    _ source: String, name: String = "test.bp", sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> (Compilation, Program) {
    let compilation = Compilation(name: name, source: source)
    let rendered = compilation.diagnostics.rendered(in: compilation.file)
    try #require(
      !compilation.diagnostics.hasErrors, "unexpected errors:\n\(rendered)",
      sourceLocation: sourceLocation)
    return (compilation, try #require(compilation.program, sourceLocation: sourceLocation))
  }

  /// Evaluates with defaults overridden by `settings`; fails the test on errors.
  func evaluation(
    _ settings: [String: Double] = [:], sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Evaluation {
    var diagnostics = DiagnosticList()
    let leaves = try #require(
      leafValues(settings, into: &diagnostics), sourceLocation: sourceLocation)
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

extension Program {
  /// The one kernel of a program without arrays: straight-line code.
  var straightLine: Kernel {
    precondition(kernels.count == 1 && kernels[0].loops.isEmpty, "not a straight-line program")
    return kernels[0]
  }
}
