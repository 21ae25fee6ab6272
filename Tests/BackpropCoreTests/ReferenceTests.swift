import Foundation
import Testing

@testable import BackpropCore

/// Every sample states its expected numbers in comments (STYLE H11), and
/// this suite checks each one through every path that can see it: the
/// interpreter (any name), the generated C and the generated Swift (outputs
/// and ∂output/∂leaf). The numbers come from the seed tutorials (SPEC §4),
/// hand derivation, or Python's math module, never from a run of backpropc.
///
///     # expect: C = 48400                 equal to 1e-12, relative
///     # expect: ∂C/∂x = 968
///     # expect: p ≈ 0.5987                within one unit of the last digit shown
///     # expect after one step at rate 0.5: w5 ≈ 0.35891648      w − 0.5·∂O/∂w
@Suite struct ReferenceTests {
  enum Path: String, CaseIterable, Sendable {
    case interpreter, c, swift
  }

  /// One `# expect` line.
  struct Expectation: Sendable, CustomStringConvertible {
    enum Quantity: Sendable {
      case value(String)
      case derivative(output: String, of: String)
      /// the leaf after one gradient step on the first output
      case stepped(String, rate: Double)
    }
    var quantity: Quantity
    var expected: Double
    /// nil: to 1e-12 relative; else the largest difference allowed.
    var within: Double?
    var line: String
    var description: String { line }

    /// Parses the `# expect` lines of a program's text.
    static func all(in text: String) -> [Expectation] {
      text.split(separator: "\n").compactMap { line in
        let line = String(line)
        guard line.hasPrefix("# expect") else { return nil }
        var rest = Substring(line.dropFirst("# expect".count))
        var rate: Double?
        if rest.hasPrefix(" after one step at rate ") {
          rest = rest.dropFirst(" after one step at rate ".count)
          rate = Double(rest.prefix { $0 != ":" })
          rest = rest.drop { $0 != ":" }
        }
        guard rest.hasPrefix(": ") else { return nil }
        rest = rest.dropFirst(2)
        let approximate = rest.contains("≈")
        let parts = rest.split(separator: approximate ? "≈" : "=", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        let number = parts[1].trimmingCharacters(in: .whitespaces)
        guard let expected = Double(number) else { return nil }
        let quantity: Quantity
        if let rate {
          quantity = .stepped(name, rate: rate)
        } else if name.hasPrefix("∂"), let slash = name.firstIndex(of: "/") {
          let output = String(name[name.index(after: name.startIndex)..<slash])
          let of = String(name[name.index(after: slash)...].dropFirst())
          quantity = .derivative(output: output, of: of)
        } else {
          quantity = .value(name)
        }
        return Expectation(
          quantity: quantity, expected: expected,
          within: approximate ? Self.unitOfLastDigit(number) : nil, line: line)
      }
    }

    /// `0.5987` → 0.0001: the place of the last digit written.
    static func unitOfLastDigit(_ number: String) -> Double {
      guard let point = number.firstIndex(of: ".") else { return 1 }
      return pow(10, -Double(number.distance(from: point, to: number.endIndex) - 1))
    }
  }

  /// Every (sample, path) pair with the expectations of the sample.
  static let cases: [(sample: String, path: Path)] = Paths.sampleNames.flatMap { name in
    Path.allCases.map { (name, $0) }
  }

  @Test func everySampleStatesItsNumbers() {
    for name in Paths.sampleNames {
      let text = String(decoding: Paths.sample(name).bytes, as: UTF8.self)
      let lines = text.split(separator: "\n").filter { $0.hasPrefix("# expect") }
      #expect(!lines.isEmpty, "samples/\(name).bp has no '# expect' line")
      #expect(
        Expectation.all(in: text).count == lines.count,
        "samples/\(name).bp has an '# expect' line that does not parse")
    }
  }

  @Test func theParserReadsEachForm() {
    let e = Expectation.all(
      in:
        "# expect: ∂C/∂x = 968\n# expect: p ≈ 0.5987\n# expect after one step at rate 0.5: w ≈ 0.15\n"
    )
    #expect(e.count == 3)
    #expect(e[0].within == nil && e[0].expected == 968)
    #expect(e[1].within == 0.0001)
    #expect(e[2].within == 0.01)
    if case .derivative(let o, let v) = e[0].quantity {
      #expect(o == "C" && v == "x")
    } else {
      Issue.record("not ∂")
    }
    if case .stepped(let w, let rate) = e[2].quantity {
      #expect(w == "w" && rate == 0.5)
    } else {
      Issue.record("not a step")
    }
  }

  @Test(arguments: cases.map { "\($0.sample) \($0.path.rawValue)" })
  func sampleNumbers(_ label: String) throws {
    let parts = label.split(separator: " ")
    let (name, path) = (String(parts[0]), try #require(Path(rawValue: String(parts[1]))))
    let compilation = Compilation(Paths.sample(name))
    let evaluation = try compilation.evaluation()
    let program = evaluation.program
    let layout = evaluation.layout
    let native: NativeRun?
    switch path {
    case .interpreter: native = nil
    case .c:
      let run: NativeRun = try #require(try CompiledSamples.c.get()[name])
      native = run
    case .swift:
      let run: NativeRun = try #require(try CompiledSamples.swift.get()[name])
      native = run
    }
    /// A name or an element name (`W2[0,1]`): its symbol and row-major element.
    func element(_ text: String) -> (symbol: Int, element: Int)? {
      let parsed = LeafSetting(parsing: text + "=0")
      guard let name = parsed?.name, let s = program.symbols.firstIndex(where: { $0.name == name })
      else { return nil }
      return (s, Layout.flatIndex(parsed?.element ?? [], shape: program.symbols[s].shape))
    }
    func output(_ text: String) -> (position: Int, element: Int)? {
      guard let (s, e) = element(text), let o = program.outputs.firstIndex(of: s) else {
        return nil
      }
      return (o, e)
    }
    /// A value as this path computes it, or nil when the path cannot see it.
    func value(_ name: String) -> Double? {
      guard let native else {
        return element(name).map { evaluation.elements[$0.symbol][$0.element] }
      }
      return output(name).map { native.outputs[layout.output($0.position, element: $0.element)] }
    }
    func derivative(_ o: String, _ v: String) -> Double? {
      guard let (position, e) = output(o), let (s, f) = element(v) else { return nil }
      guard let native else {
        return evaluation.gradientElements[position][s][e * program.symbols[s].size + f]
      }
      guard s < program.leafCount else { return nil }
      return native.gradient[
        layout.gradient(output: position, outputElement: e, leaf: s, leafElement: f)]
    }
    for expectation in Expectation.all(in: String(decoding: compilation.file.bytes, as: UTF8.self))
    {
      let actual: Double?
      switch expectation.quantity {
      case .value(let v): actual = value(v)
      case .derivative(let o, let v): actual = derivative(o, v)
      case .stepped(let w, let rate):
        let first = program.symbols[program.outputs[0]].name
        let start = element(w).flatMap { w in
          program.symbols[w.symbol].defaultElements(seed: 0)?[w.element]
        }
        actual = start.flatMap { start in derivative(first, w).map { start - rate * $0 } }
      }
      guard let actual else {
        // C and Swift see only outputs and ∂output/∂leaf.
        #expect(path != .interpreter, "\(name): the interpreter cannot find '\(expectation)'")
        continue
      }
      let ok =
        expectation.within.map { abs(actual - expectation.expected) <= $0 }
        ?? close(actual, expectation.expected, 1e-12)
      #expect(ok, "\(name) via \(path): \(expectation) but got \(actual)")
    }
  }
}
