import Foundation
import Testing

/// The examples under Examples/ run their own checks against the backpropc
/// this test run built: Python through ctypes against `eval --json`, C++
/// against the tutorial's numbers, Dask training against `train`. Each exits
/// 0 when its numbers are right and prints `skipped: <why>` when the machine
/// lacks what it needs (numpy, a compiler, dask), which the test prints too.
@Suite struct ExampleTests {
  static let examples = Paths.packageRoot.appendingPathComponent("Examples")

  /// Runs `interpreter Examples/script arguments… BACKPROPC` from the
  /// package root, BACKPROPC the executable the other tests run, and expects
  /// exit 0.
  static func check(
    _ example: String, with tool: String, at interpreter: String?, _ script: String,
    _ arguments: [String] = [],
    timeLimit: TimeInterval = 300, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    guard let interpreter else {
      // Recorded, not silently passed.
      print("skipped: \(example) example: no \(tool) on PATH")
      return
    }
    let backpropc = try #require(
      Backpropc.executable,
      "the backpropc executable was not found; looked at \(Backpropc.candidates.map(\.path)). Run 'swift build --build-tests' first.",
      sourceLocation: sourceLocation)
    let path = examples.appendingPathComponent(script).path
    let result = try Run.process(
      interpreter, [path] + arguments + [backpropc.path], directory: Paths.packageRoot,
      timeLimit: timeLimit)
    #expect(
      result.status == 0 && !result.timedOut, "\(example) example failed:\n\(result)",
      sourceLocation: sourceLocation)
    for line in result.stdout.split(separator: "\n") where line.hasPrefix("skipped:") {
      print("\(line) (\(example) example)")
    }
  }

  /// The examples' virtual environment (made by `.ci/run`: numpy, dask,
  /// distributed) when there is one, else the `python3` on PATH.
  static var python: String? {
    let venv = Paths.packageRoot.appendingPathComponent(".build/examples-venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : Run.tool("python3")
  }

  /// Examples/python/check.py: backprop.py's forward, gradient and batch
  /// forms on several samples, against `eval --json` and single calls.
  @Test func pythonHelperMatchesEval() throws {
    try Self.check("python", with: "python3", at: Self.python, "python/check.py", ["--backpropc"])
  }

  /// Examples/cpp/check.sh: main.cpp, strict C++17 over the generated header,
  /// against the tutorial's numbers for mazur_array.
  @Test func cppProgramMatchesTheTutorial() throws {
    try Self.check("cpp", with: "bash", at: Run.tool("bash"), "cpp/check.sh")
  }

  /// Examples/dask/train_dask.py: distributed gradients and three steps of
  /// descent on a LocalCluster, against `train`.
  @Test func daskTrainingMatchesTrain() throws {
    try Self.check(
      "dask", with: "python3", at: Self.python, "dask/train_dask.py", ["--backpropc"],
      timeLimit: 600)
  }
}
