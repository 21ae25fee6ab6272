/// `where`'s branches in a body (SPEC §7.6): which values are computed
/// for one branch only. The reverse pass guards what such a value passes
/// to a value needed outside the branch; `eval` does not warn about what a
/// branch not taken computes.
enum Branches {
  /// Where each value of a body is computed only for one branch of a
  /// select (SPEC §7.6): per instruction, the sorted list of `2·c` (used
  /// only where the condition value c holds) and `2·c + 1` (only where it
  /// fails), through every use; empty for a value some use needs whatever
  /// the conditions (a stored value, or one used outside every branch), and
  /// for a value nothing uses.
  /// Selects on the same condition share their branches. Nil for a body
  /// without selects.
  static func guards(_ instructions: [Instruction], stored: [Int]) -> [[Int32]]? {
    guard instructions.contains(where: { $0.op == .select }) else { return nil }
    var guards = [[Int32]?](repeating: nil, count: instructions.count)
    for v in stored { guards[v] = [] }
    for i in stride(from: instructions.count - 1, through: 0, by: -1) {
      // A value nothing uses constrains nothing (a contribution to a
      // constant, say, that no pass reads): it must not unguard its operands.
      guard let own = guards[i] else { continue }
      let instruction = instructions[i]
      for (position, operand) in instruction.operands.enumerated() where operand != .none {
        var through = own
        if instruction.op == .select && position > 0 {
          through.append(Int32(2 * instruction.lhs.int + position - 1))
          through.sort()
        }
        if let known = guards[operand.int] {
          guards[operand.int] = known.filter(through.contains)
        } else {
          guards[operand.int] = through
        }
      }
    }
    return guards.map { $0 ?? [] }
  }

  /// Whether every branch in `guards` is taken at this point.
  static func taken(
    _ guards: [Int32], _ values: UnsafeMutableBufferPointer<Double>
  ) -> Bool {
    guards.allSatisfy { g in
      (values[Int(g / 2)] != 0) == (g % 2 == 0)
    }
  }
}
