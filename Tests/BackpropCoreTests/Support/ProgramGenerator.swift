import Foundation

@testable import BackpropCore

/// SplitMix64: a tiny, seedable generator, so every generated program can be
/// rebuilt from its seed alone.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Builds random valid `.bp` programs: 1–200 statements over every operator
/// and builtin, with fan-out (earlier values reused many times), several
/// outputs, and every function's argument kept inside its domain by
/// construction (`log(1.1 + a^2)`, `asin(0.9 * tanh(a))`, …).
struct ProgramGenerator {
  var rng: SplitMix64
  private var names: [String] = []
  private var depthBudget = 0

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  /// A statement count from 1 to 200, log-uniform: many small programs and
  /// some large ones.
  mutating func size() -> Int {
    Int(exp(Double.random(in: 0..<log(200.5), using: &rng)).rounded(.down)).clamped(1, 200)
  }

  mutating func program() -> String {
    let statements = size()
    names = []
    var lines: [String] = []
    let leafCount = Int.random(in: 1...6, using: &rng)
    for i in 0..<leafCount {
      let value = NumberFormat.shortest(
        (Double.random(in: -2...2, using: &rng) * 1000).rounded() / 1000)
      switch Int.random(in: 0..<3, using: &rng) {
      case 0: lines.append("x\(i) = \(value)")
      case 1: lines.append("input x\(i) = \(value)")
      default: lines.append("param x\(i) = \(value)")
      }
      names.append("x\(i)")
    }
    var defined: [String] = []
    for i in 0..<statements {
      depthBudget = 3
      let name = "v\(i)"
      lines.append("\(name) = \(expression())")
      names.append(name)
      defined.append(name)
    }
    // One to four outputs, named or anonymous, the last statement always among them.
    var outputs = Set([defined.last ?? "x0"])
    for _ in 0..<Int.random(in: 0...3, using: &rng) {
      outputs.insert(defined.randomElement(using: &rng) ?? "x0")
    }
    let ordered = outputs.sorted()
    if Bool.random(using: &rng) {
      lines.append("output " + ordered.joined(separator: ", "))
    } else {
      lines += ordered.map { "\($0) * 1" }
    }
    return lines.joined(separator: Bool.random(using: &rng) ? "\n" : "; ") + "\n"
  }

  /// A reference to an earlier value, recent ones likelier.
  private mutating func operand() -> String {
    if Int.random(in: 0..<8, using: &rng) == 0 {
      return NumberFormat.shortest(Double(Int.random(in: 1...9, using: &rng)) / 4)
    }
    let k = names.count
    let back = Int(pow(Double.random(in: 0..<1, using: &rng), 3) * Double(k))
    return names[k - 1 - min(back, k - 1)]
  }

  private mutating func expression() -> String {
    depthBudget -= 1
    guard depthBudget > 0 else { return operand() }
    let a = expression()
    let choice = Int.random(in: 0..<30, using: &rng)
    switch choice {
    case 0: return "\(a) + \(expression())"
    case 1: return "\(a) - \(expression())"
    case 2: return "\(a) * \(operand())"
    case 3: return "(\(a)) / (1.5 + \(operand())^2)"
    case 4: return "-(\(a))"
    case 5: return "(\(a))^2"
    case 6: return "(\(a))^3"
    case 7: return "(0.5 + (\(a))^2)^-1"
    case 8: return "pow(1.2 + (\(a))^2, tanh(\(operand())))"
    case 9: return "exp(tanh(\(a)))"
    case 10: return "log(1.1 + (\(a))^2)"
    case 11: return "sqrt(0.5 + (\(a))^2)"
    case 12: return "sin(\(a))"
    case 13: return "cos(\(a))"
    case 14: return "tan(0.7 * tanh(\(a)))"
    case 15: return "tanh(\(a))"
    case 16: return "sigmoid(\(a))"
    case 17: return "relu(\(a))"
    case 18: return "abs(\(a))"
    case 19: return "softplus(\(a))"
    case 20: return "min(\(a), \(operand()))"
    case 21: return "max(\(a), \(operand()))"
    case 22: return "asin(0.9 * tanh(\(a)))"
    case 23: return "acos(0.9 * tanh(\(a)))"
    case 24: return "atan(\(a))"
    case 25: return "sinh(tanh(\(a)))"
    case 26: return "cosh(tanh(\(a)))"
    case 27: return "log1p((\(a))^2)"
    case 28: return "expm1(tanh(\(a)))"
    default: return "\(a) * \(a)"  // fan-out within one expression
    }
  }
}

extension Int {
  func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
