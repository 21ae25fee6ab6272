import Foundation
import Testing

@testable import BackpropCore

/// The worked examples of the seed tutorials (SPEC §4), through all three
/// paths: the interpreter, the generated C and the generated Swift. Expected
/// numbers are the documents' own, to the digits they print.
@Suite struct ReferenceTests {
  /// The leaf gradient of `output` by leaf name, from one execution path.
  typealias Gradient = [String: Double]

  enum Path: String, CaseIterable {
    case interpreter, c, swift
  }

  /// Outputs and ∂output/∂leaf of a sample's first output, by one path.
  static func result(_ sample: String, _ path: Path) throws -> (output: Double, gradient: Gradient) {
    let evaluation = try Compilation(Paths.sample(sample)).evaluation()
    let program = evaluation.program
    let leaves = program.leaves.map(\.name)
    let output: Double
    let row: [Double]
    switch path {
    case .interpreter:
      output = evaluation.values[program.outputs[0]]
      row = Array(evaluation.gradient[0][0..<leaves.count])
    case .c, .swift:
      let runs = try (path == .c ? CompiledSamples.c : CompiledSamples.swift).get()
      let run = try #require(runs[sample])
      output = run.outputs[0]
      row = Array(run.gradient[0..<leaves.count])
    }
    return (output, Dictionary(uniqueKeysWithValues: zip(leaves, row)))
  }

  static func expectNear(
    _ actual: Double?, _ expected: Double, digits: Double, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard let actual else {
      Issue.record("\(what) is missing", sourceLocation: sourceLocation)
      return
    }
    #expect(abs(actual - expected) <= 0.5 * digits, "\(what) = \(actual), expected \(expected)", sourceLocation: sourceLocation)
  }

  @Test(arguments: Path.allCases)
  func appleTax(_ path: Path) throws {
    let (B, d) = try Self.result("apple_tax", path)
    Self.expectNear(B, 220, digits: 1e-9, "B")
    Self.expectNear(d["x"], 2.2, digits: 1e-9, "∂B/∂x")
    Self.expectNear(d["y"], 110, digits: 1e-9, "∂B/∂y")
    Self.expectNear(d["z"], 200, digits: 1e-9, "∂B/∂z")
  }

  @Test(arguments: Path.allCases)
  func appleTaxSquared(_ path: Path) throws {
    let (C, d) = try Self.result("apple", path)
    Self.expectNear(C, 48400, digits: 1e-8, "C")
    Self.expectNear(d["x"], 968, digits: 1e-9, "∂C/∂x")
    Self.expectNear(d["y"], 48400, digits: 1e-8, "∂C/∂y")
    Self.expectNear(d["z"], 88000, digits: 1e-8, "∂C/∂z")
  }

  @Test(arguments: Path.allCases)
  func sigmoidNeuronCrossEntropy(_ path: Path) throws {
    let (L, d) = try Self.result("neuron_xent", path)
    Self.expectNear(L, 0.513, digits: 1e-3, "L")
    Self.expectNear(d["w"], -0.2007, digits: 1e-4, "∂L/∂w")
    if path == .interpreter {
      let evaluation = try Compilation(Paths.sample("neuron_xent")).evaluation()
      Self.expectNear(evaluation.value("p"), 0.5987, digits: 1e-4, "p")
      Self.expectNear(evaluation.derivative("L", "z"), -0.4013, digits: 1e-4, "∂L/∂z")
    }
  }

  @Test func sigmoidNeuronSquaredError() throws {
    let evaluation = try Compilation(Paths.sample("neuron_mse")).evaluation()
    Self.expectNear(evaluation.value("S"), 1.94, digits: 1e-12, "S")
    // The seed truncates 0.874352 to 0.8743: a whole last digit of slack.
    Self.expectNear(evaluation.value("out"), 0.8743, digits: 2e-4, "sigmoid(S)")
  }

  /// The 2-2-2 network: forward values, ∂E/∂w5, and one gradient step with
  /// learning rate 0.5 on w1..w8.
  @Test(arguments: Path.allCases)
  func mazurNetwork(_ path: Path) throws {
    let (E, d) = try Self.result("mazur", path)
    Self.expectNear(E, 0.298371109, digits: 1e-9, "E")
    Self.expectNear(d["w5"], 0.082167041, digits: 1e-9, "∂E/∂w5")
    let before = ["w1": 0.15, "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55]
    let after = [
      "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121, "w1": 0.149780716,
    ]
    for (w, expected) in after {
      let stepped = try #require(before[w]) - 0.5 * (try #require(d[w]))
      let digits = w == "w5" ? 1e-8 : 1e-9
      Self.expectNear(stepped, expected, digits: digits, "\(w) after one step")
    }
    if path == .interpreter {
      let evaluation = try Compilation(Paths.sample("mazur")).evaluation()
      Self.expectNear(evaluation.value("out_o1"), 0.75136507, digits: 1e-8, "out_o1")
      Self.expectNear(evaluation.derivative("E", "out_h1"), 0.036350306, digits: 1e-9, "∂E/∂out_h1")
    }
  }
}
