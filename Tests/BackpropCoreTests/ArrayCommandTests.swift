import Foundation
import Testing

@testable import BackpropCore

/// The commands on programs with arrays (SPEC §6.4, §6.6), through the
/// executable: `--set` in all its forms, element names, array outputs in
/// JSON, `check`'s sample, `train` on array params and CSV element columns.
/// Expected numbers are derived by hand or computed here on an independent
/// path (plain loops over the data).
@Suite struct ArrayCommandTests {
  /// Runs `backpropc` in a scratch directory holding `files`.
  static func run(_ arguments: [String], files: [String: String] = [:]) throws -> ProcessResult {
    let dir = Paths.scratch("arrays")
    defer { try? FileManager.default.removeItem(at: dir) }
    for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
    return try Backpropc.run(arguments, in: dir)
  }

  static func json(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation)
    throws -> [String: Any]
  {
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    return try #require(
      object as? [String: Any], "not a JSON object:\n\(result)", sourceLocation: sourceLocation)
  }

  /// y = W[0,0]·x[0] + W[0,1]·x[1], W of shape [3, 2] with no default.
  static let row = "input x[2]\nparam W[3, 2]\ny = sum(i, W[0, i] * x[i])\n"

  // MARK: --set

  /// Whole arrays with spaces, then one element over them: y = 1·1 + 10·2,
  /// ∂y/∂x = W[0, :] = [1, 10], ∂y/∂W = x in row 0 and zero elsewhere.
  @Test func setTakesListsFillsAndElementsLeftToRight() throws {
    let result = try Self.run(
      [
        "eval", "m.bp", "--set", "x = [ 1 , 2 ]", "--set", "W=[[1,2],[3,4],[5,6]]", "--set",
        "W[0, 1]=10",
      ],
      files: ["m.bp": Self.row])
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "y = 21\n∂y/∂x = [1, 10]\n∂y/∂W = [[1, 2], [0, 0], [0, 0]]\n")
    // A fill, then an element: y = 3·x[0] + 0·x[1].
    let filled = try Self.run(
      ["eval", "m.bp", "--set", "x=[4, 5]", "--set", "W=0", "--set", "W[0,0]=3"],
      files: ["m.bp": Self.row])
    #expect(filled.stdout.hasPrefix("y = 12\n"), "\(filled)")
  }

  @Test(arguments: [
    (
      ["--set", "x=[1, 2, 3]", "--set", "W=0"],
      "--set x: the list has shape [3], but 'x' has shape [2]"
    ),
    (
      ["--set", "x=[1, 2]", "--set", "W[3,0]=1"],
      "--set W[3,0]: no such element; 'W' has shape [3, 2]"
    ),
    (
      ["--set", "x=[1, 2]", "--set", "W=[[1, 2], [3, 4]]"],
      "--set W: the list has shape [2, 2], but 'W' has shape [3, 2]"
    ),
    (["--set", "x=[1,", "--set", "W=0"], "--set"),
    (["--set", "y=1", "--set", "W=0"], "'y' is not a leaf"),
  ])
  func badSettingsAreBadUsage(_ arguments: [String], _ message: String) throws {
    let result = try Self.run(["eval", "m.bp"] + arguments, files: ["m.bp": Self.row])
    #expect(result.status == 2, "\(result)")
    #expect(result.stderr.contains(message), "\(result)")
    #expect(result.stdout.isEmpty)
  }

  @Test func aSubscriptOnAScalarLeafIsBadUsage() throws {
    let result = try Self.run(
      ["eval", "m.bp", "--set", "s[0]=1"], files: ["m.bp": "input s = 1, x[2] = 0\ny = s * x[0]\n"])
    #expect(result.status == 2, "\(result)")
    #expect(result.stderr.contains("'s'"), "\(result)")
  }

  /// SPEC §6.4: a leaf still missing elements names them, at most 8, then a count.
  @Test func missingElementsAreNamedThenCounted() throws {
    let result = try Self.run(
      ["eval", "m.bp", "--set", "x[3]=1"], files: ["m.bp": "input x[20]\ny = sum(i, x[i])\n"])
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "m.bp:1:7: error: no value for 'x[0]', 'x[1]', 'x[2]', 'x[4]', 'x[5]', 'x[6]', 'x[7]', 'x[8]' and 11 more elements"
      ),
      "\(result)")
    let none = try Self.run(["eval", "m.bp"], files: ["m.bp": "input x[20]\ny = sum(i, x[i])\n"])
    #expect(
      none.stderr.contains("no value for leaf 'x'; give a default in the program or --set x=VALUE"),
      "\(none)")
  }

  // MARK: Outputs

  /// An array output in JSON: r = A x − b and ∂r/∂x = A, by hand, as nested lists.
  @Test func arrayOutputsAndTheirJacobiansAreNestedLists() throws {
    let result = try Backpropc.run([
      "eval", "--json", Paths.samples.appendingPathComponent("least_squares.bp").path,
    ])
    let object = try Self.json(result)
    let outputs = try #require(object["outputs"] as? [String: Any])
    #expect(outputs["r"] as? [Double] == [-1.5, -0.5, -2.5])
    #expect(outputs["L"] as? Double == 4.375)
    let gradient = try #require(object["gradient"] as? [String: [String: Any]])
    #expect(gradient["r"]?["x"] as? [[Double]] == [[1, 2], [3, 4], [5, 6]])
    #expect(
      gradient["r"]?["b"] as? [[Double]] == [
        [-1, -0.0, -0.0], [-0.0, -1, -0.0], [-0.0, -0.0, -1],
      ])
    // ∂r[i]/∂A[k, j] = [i = k]·x[j]: shape [3] ++ [3, 2].
    let dA = try #require(gradient["r"]?["A"] as? [[[Double]]])
    #expect(dA.count == 3 && dA.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.count == 2 } })
    #expect(dA[1][1] == [0.5, -0.5] && dA[1][0].map(abs) == [0, 0])
  }

  @Test func explainAndGraphNeedAScalarOrAnElement() throws {
    let program = "input x[2] = [1, 2]\nh[i] = x[i] * x[i]\noutput h\n"
    for command in ["explain", "graph"] {
      let named = try Self.run([command, "m.bp", "--output", "h"], files: ["m.bp": program])
      #expect(named.status == 2, "\(named)")
      #expect(named.stderr.contains("'h'") && named.stderr.contains("h[0]"), "\(named)")
      let unnamed = try Self.run([command, "m.bp"], files: ["m.bp": program])
      #expect(unnamed.status == 2, "\(unnamed)")
      let element = try Self.run([command, "m.bp", "--output", "h[1]"], files: ["m.bp": program])
      #expect(element.status == 0, "\(element)")
    }
    // ∂h[1]/∂x[1] = 2·x[1] = 4, the other element 0.
    let explained = try Self.run(
      ["explain", "m.bp", "--output", "h[ 1 ]"], files: ["m.bp": program])
    #expect(
      explained.stdout.contains("∂h[1]/∂x[1] = ") && explained.stdout.contains("= 4\n"),
      "\(explained)")
  }

  // MARK: check

  /// Rows by element; past 2^16 pairs, every k-th input element (here 1,640
  /// inputs × 40 outputs = 65,600 pairs, so every 2nd), and the summary says so.
  @Test func checkSamplesPastTheLimitAndSaysSo() throws {
    let program =
      "input x[40] = 0.5\nparam W[40, 40] = uniform(-0.1, 0.1)\nh[j] = sum(i, W[j, i] * x[i])\noutput h\n"
    let result = try Self.run(["check", "m.bp"], files: ["m.bp": program])
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n")
    let rows = lines.dropFirst().filter { $0.hasPrefix("h[") }
    #expect(rows.count == 40 * 820)
    #expect(rows.first?.hasPrefix("h[0]    x[0] ") == true)
    #expect(rows.dropFirst().first?.hasPrefix("h[0]    x[2] ") == true)
    #expect(!rows.contains { $0.contains(" x[1] ") })
    #expect(result.stdout.contains("every 2nd input element, 32800 of the 65600 pairs"))
    #expect(
      GradientCheck.sampledInputs(count: 1640, outputs: 40)
        == Array(stride(from: 0, to: 1640, by: 2)))
    #expect(GradientCheck.sampledInputs(count: 100, outputs: 3) == Array(0..<100))
  }

  // MARK: train

  /// SPEC §6: one step at rate 0.5 gives the tutorial's W2, as nested lists.
  @Test func oneStepOfTheArrayNetworkGivesTheTutorialsWeights() throws {
    let result = try Backpropc.run(
      [
        "train", Paths.samples.appendingPathComponent("mazur_array.bp").path, "--lr", "0.5",
        "--steps", "1", "--json",
      ])
    let params = try #require(Self.json(result)["params"] as? [String: Any])
    let w2 = try #require(params["W2"] as? [[Double]])
    let expected = [[0.35891648, 0.408666186], [0.511301270, 0.561370121]]
    for (row, want) in zip(w2, expected) {
      for (a, b) in zip(row, want) { #expect(abs(a - b) < 5e-9, "\(w2)") }
    }
    #expect(abs(try #require((params["W1"] as? [[Double]])?[0][0]) - 0.149780716) < 5e-9)
  }

  /// Logistic regression on the sample's CSV (element columns `x[0], x[1]`)
  /// against the same descent done here: ∂L/∂z = sigmoid(z) − y, averaged.
  @Test func logisticRegressionTrainsAsByHand() throws {
    let csv = try String(
      contentsOf: Paths.samples.appendingPathComponent("logistic.csv"), encoding: .utf8)
    let rows = csv.split(separator: "\n").dropFirst().map {
      $0.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces))! }
    }
    var (w0, w1, b) = (0.0, 0.0, 0.0)
    for _ in 0..<200 {
      var (g0, g1, gb) = (0.0, 0.0, 0.0)
      for r in rows {
        let z = w0 * r[0] + w1 * r[1] + b
        let d = 1 / (1 + exp(-z)) - r[2]
        (g0, g1, gb) = (g0 + d * r[0], g1 + d * r[1], gb + d)
      }
      let n = Double(rows.count)
      (w0, w1, b) = (w0 - 0.5 * g0 / n, w1 - 0.5 * g1 / n, b - 0.5 * gb / n)
    }
    let result = try Backpropc.run([
      "train", Paths.samples.appendingPathComponent("logistic.bp").path,
      "--data", Paths.samples.appendingPathComponent("logistic.csv").path, "--lr", "0.5", "--steps",
      "200", "--json",
    ])
    let params = try #require(Self.json(result)["params"] as? [String: Any], "\(result)")
    let w = try #require(params["w"] as? [Double])
    #expect(close(w[0], w0, 1e-9) && close(w[1], w1, 1e-9), "\(w) vs \([w0, w1])")
    #expect(close(try #require(params["b"] as? Double), b, 1e-9))
    // The generating line is x1 = 0.5·x0 + 0.2: the boundary w·x + b = 0 leans the same way.
    #expect(w[1] > 0 && -w[0] / w[1] > 0.2 && -w[0] / w[1] < 0.8)
  }

  @Test func csvHeadersNameElementsQuotedOrSpaced() throws {
    let program = "input x[2] = 0, y = 0\nparam w[2] = 0\nL = (sum(i, w[i] * x[i]) - y)^2\n"
    let quoted = "\"x[0]\", x[ 1 ], y\n1, 0, 2\n0, 1, 4\n"
    let result = try Self.run(
      ["train", "m.bp", "--data", "d.csv", "--lr", "0", "--steps", "1", "--json"],
      files: ["m.bp": program, "d.csv": quoted])
    #expect(result.status == 0, "\(result)")
    // At w = 0 the loss is the mean of y²: (4 + 16) / 2.
    #expect(try #require(Self.json(result)["final_loss"] as? Double) == 10)
    let partial = try Self.run(
      ["train", "m.bp", "--data", "d.csv", "--lr", "0.1", "--steps", "1"],
      files: ["m.bp": program, "d.csv": "x[0], y\n1, 2\n"])
    #expect(partial.status == 1, "\(partial)")
    #expect(partial.stderr.contains("d.csv:1:"), "\(partial)")
    #expect(partial.stderr.contains("x[1]"), "\(partial)")
  }

  /// `-o` writes each array default as one nested list in place of its
  /// initialiser, and the rewritten program evaluates to the trained loss.
  @Test func trainedProgramsHoldTheirArraysAsLists() throws {
    let dir = Paths.scratch("trained")
    defer { try? FileManager.default.removeItem(at: dir) }
    let program =
      "input x[2] = [1, 2]\nparam W[3, 2] = xavier, b[3]\ny = sum(j, tanh(sum(i, W[j, i] * x[i]) + b[j])^2)\n"
    try Data(program.utf8).write(to: dir.appendingPathComponent("m.bp"))
    let result = try Backpropc.run(
      ["train", "m.bp", "--lr", "0.1", "--steps", "20", "--set", "b=0.5", "--json", "-o", "t.bp"],
      in: dir)
    #expect(result.status == 0, "\(result)")
    let trained = try String(contentsOf: dir.appendingPathComponent("t.bp"), encoding: .utf8)
    let lines = trained.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[0] == "input x[2] = [1, 2]")
    #expect(
      lines[1].hasPrefix("param W[3, 2] = [[") && lines[1].contains("]], b[3] = ["), "\(trained)")
    #expect(!trained.contains("xavier"))
    #expect(lines[2] == "y = sum(j, tanh(sum(i, W[j, i] * x[i]) + b[j])^2)")
    let final = try #require(Self.json(result)["final_loss"] as? Double)
    let again = try Backpropc.run(["eval", "t.bp", "--json"], in: dir)
    let value = try #require((Self.json(again)["outputs"] as? [String: Double])?["y"])
    #expect(value == final)
  }

  /// The summary prints a param of more than 16 elements by shape and statistics.
  @Test func summariesOfLargeParamsAreStatistics() throws {
    let result = try Backpropc.run([
      "train", Paths.samples.appendingPathComponent("mlp.bp").path, "--lr", "0.01", "--steps", "2",
    ])
    #expect(result.status == 0, "\(result)")
    #expect(result.stderr.contains("W1[32, 16]") && result.stderr.contains("min"), "\(result)")
    #expect(result.stderr.contains("b3 = "), "\(result)")
  }
}
