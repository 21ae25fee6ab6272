import Foundation

/// The seeded generator of the initialisers (SPEC §6.2), and every leaf's
/// default elements.
///
/// One stream per leaf, so adding a param never changes another's values:
/// SplitMix64 started at `fnv1a64(name) ^ (seed · 0x9E3779B97F4A7C15)`.
/// A uniform is the top 53 bits of a draw times 2⁻⁵³, in [0, 1); a normal is
/// Box–Muller from two uniforms, `sqrt(-2·log(1 − u₁))·cos(2π·u₂)`. Elements
/// are drawn in row-major order. The generated C and Swift carry the same
/// generator, so `uniform` and `xavier` give the same bits everywhere, and
/// `normal` and `he` wherever the math library's log, cos and sqrt agree.
struct SeededGenerator: Sendable {
  private(set) var state: UInt64

  static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// The stream of one leaf.
  init(name: String, seed: UInt64) {
    state = Self.hash(name) ^ (seed &* Self.increment)
  }

  /// SplitMix64 from a given state.
  init(state: UInt64) {
    self.state = state
  }

  /// FNV-1a, 64 bits, of the name's UTF-8 bytes.
  static func hash(_ name: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01B3
    }
    return h
  }

  mutating func next() -> UInt64 {
    state = state &+ Self.increment
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// In [0, 1), 53 random bits.
  mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Standard normal, Box–Muller.
  mutating func normal() -> Double {
    let u1 = uniform()
    let u2 = uniform()
    return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }
}

extension Initializer {
  /// fan_out is the first extent and fan_in the product of the others; a
  /// rank-1 or scalar param uses its element count for both (SPEC §6.2).
  static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
    guard shape.count >= 2 else {
      let count = Double(shape.reduce(1, *))
      return (count, count)
    }
    return (Double(shape.dropFirst().reduce(1, *)), Double(shape[0]))
  }

  /// The element values, row-major, for a param of this shape and name.
  func values(shape: [Int], name: String, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(name: name, seed: seed)
    let count = shape.reduce(1, *)
    let (fanIn, fanOut) = Self.fans(shape)
    switch self {
    case .xavier:
      let limit = (6 / (fanIn + fanOut)).squareRoot()
      return (0..<count).map { _ in (2 * generator.uniform() - 1) * limit }
    case .he:
      let std = (2 / fanIn).squareRoot()
      return (0..<count).map { _ in std * generator.normal() }
    case .uniform(let a, let b):
      return (0..<count).map { _ in a + (b - a) * generator.uniform() }
    case .normal(let mean, let std):
      return (0..<count).map { _ in mean + std * generator.normal() }
    }
  }
}

extension Symbol {
  /// Every element's default, row-major, or nil when the leaf has none.
  func defaultElements(seed: UInt64) -> [Double]? {
    if let list = defaultElements { return list }
    if let initializer { return initializer.values(shape: shape, name: name, seed: seed) }
    return defaultValue.map { [Double](repeating: $0, count: size) }
  }
}
