import Foundation
import Testing

@testable import BackpropCore

/// The interpreter's lanes (rows side by side, strips of the innermost
/// loop) against evaluations one row at a time, bit for bit; and `train`'s
/// status line.
@Suite struct LanesTests {
  /// Every sample's gradient program, run on five rows of different inputs
  /// side by side, leaves every array of each row with the bits of that row
  /// run alone. The rows differ by a scaling of each leaf, so every kernel
  /// sees different values in every lane; then only the first leaf differs
  /// and the others are declared the same in every row, so that what is
  /// computed from them alone runs once per point and is read from lane 0.
  @Test(arguments: Paths.sampleNames)
  func rowsSideBySideAreEachRowAlone(_ name: String) throws {
    let compilation = Compilation(Paths.sample(name))
    var diagnostics = DiagnosticList()
    let base = try #require(compilation.leafValues([:], into: &diagnostics))
    let program = Optimizer.optimize(
      try #require(compilation.program), keeping: .outputsAndLeafGradients)
    let layout = Layout(program)
    let first = 0..<layout.leaves[0].size
    let shared = Set(layout.leaves.dropFirst().map { ArrayName.variable($0.symbol) })
    for sharing in [false, true] {
      let machine = Interpreter.Machine(program, sharedAcrossRows: sharing ? shared : [])
      let rows = 5
      let inputs = (0..<rows).map { r in
        base.enumerated().map { e, x in
          !sharing || first.contains(e)
            ? x * (1 + 0.125 * Double(r)) + 0.01 * Double((e + r) % 3) : x
        }
      }
      var together = machine.makeWorkspace(input: base, rows: rows)
      for (r, input) in inputs.enumerated() {
        for (e, x) in input.enumerated() { together[element: e, row: r] = x }
      }
      machine.run(&together)
      for (r, input) in inputs.enumerated() {
        var alone = machine.makeWorkspace(input: input)
        machine.run(&alone)
        let differing = (0..<machine.memorySize).filter { e in
          alone.memory[e].bitPattern != together[element: e, row: r].bitPattern
        }
        #expect(
          differing.isEmpty,
          "\(name), sharing \(sharing), row \(r): \(differing.count) elements differ, the first at \(differing.first ?? -1)"
        )
      }
    }
  }

  /// Strips of the innermost loop give the bits of the points one at a
  /// time: the values every point shows a watcher, gathered per point, equal
  /// a run of the same program in which each kernel is cut so that no strip
  /// can hold two points (a 1-wide last loop, by an outer loop over it).
  /// Here the reference is simpler: the forward values a watcher sees at each
  /// point are recomputed from the memory by hand for a one-kernel program.
  @Test func stripsMatchPointByPointArithmetic() throws {
    // 70 points: one strip of 64 and one of 6; x[i] * w + i, and a running sum.
    let text = "input x[70] = 0.5\nparam w = 3\ny[i] = x[i] * w + i\nL = sum(i, y[i] * y[i])\n"
    let compilation = Compilation(SourceFile(name: "s.bp", bytes: Array(text.utf8)))
    var diagnostics = DiagnosticList()
    var leaves = try #require(compilation.leafValues([:], into: &diagnostics))
    for e in 0..<70 { leaves[e] = sin(Double(e)) }
    let program = Optimizer.optimize(
      try #require(compilation.program), keeping: .outputsAndLeafGradients)
    let (machine, memory) = Interpreter.run(program, input: leaves)
    // By hand, in point order: the sum is one chain of additions.
    var sum = 0.0
    var dw = 0.0
    for i in 0..<70 {
      let y = leaves[i] * 3 + Double(i)
      sum += y * y
    }
    for i in 0..<70 {
      let y = leaves[i] * 3 + Double(i)
      dw += (y + y) * leaves[i]
    }
    let output = try #require(machine.offset(of: .output(0)))
    #expect(memory[output].bitPattern == sum.bitPattern, "L = \(memory[output]), by hand \(sum)")
    let w = program.symbols.firstIndex { $0.name == "w" }!
    let gradient = try #require(machine.offset(of: .adjoint(output: program.outputs[0], of: w)))
    #expect(
      abs(memory[gradient] - dw) <= 1e-12 * abs(dw), "∂L/∂w = \(memory[gradient]), by hand \(dw)")
  }

  /// The status line: nothing in the first second, then at most four
  /// redraws a second (and always the last step), each erasing the line
  /// first; `clear` erases it only when it is shown.
  @Test func statusLineIsThrottledAndErasable() {
    var meter = TrainingMeter(steps: 1000, now: 100)
    #expect(meter.tick(step: 1, rows: 500, now: 100.5) == nil)
    #expect(meter.clear() == "")
    let first = meter.tick(step: 2, rows: 500, now: 101)
    #expect(first == "\r\u{1B}[Kstep    2/1000  1,000 rows/s  1.0 s")
    #expect(meter.tick(step: 3, rows: 500, now: 101.1) == nil)
    #expect(
      meter.tick(step: 4, rows: 500, now: 101.3) == "\r\u{1B}[Kstep    4/1000  1,538 rows/s  1.3 s")
    #expect(meter.clear() == "\r\u{1B}[K")
    #expect(meter.clear() == "")
    // Right after a clear the line comes back at once; the last step always shows.
    #expect(meter.tick(step: 5, rows: 0, now: 101.35) != nil)
    #expect(meter.tick(step: 1000, rows: 0, now: 101.36) != nil)
    #expect(TrainingMeter.seconds(125.5) == "2 min 05 s")
    #expect(TrainingMeter.grouped(1_234_567) == "1,234,567")
    #expect(TrainingMeter.grouped(999) == "999")
  }
}
