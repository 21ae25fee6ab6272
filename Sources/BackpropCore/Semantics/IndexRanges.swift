/// Finds the range of each index of a statement from its subscripts
/// (SPEC §7.2), or says why there is none.
///
/// Every index runs over `lower..<upper`. A plain subscript `x[i]` in a
/// dimension of extent D gives `upper = D`; any other subscript `Σ a·i + c`
/// must stay in `0..<D` for every value of its indices. In order:
/// 1. each index is bounded by its plain uses and by every subscript in
///    which it is the only index (`x[i + 1]` shrinks `i` even beside `x[i]`);
/// 2. a subscript with several indices bounds the one index in it whose
///    upper bound is still unknown, once the others' are known (the
///    window's `i` in `s[i + k]`, given `k` from `w[k]`), until nothing changes;
/// 3. a subscript whose indices were all known before it must stay inside
///    its dimension for all their values.
/// An index still without an upper bound, an empty range and a subscript
/// that can leave its dimension are errors naming the subscripts.
struct IndexRanges {
  /// A subscript other than a plain index or a constant, where it is used.
  struct Constraint {
    var terms: [AffineTerm]
    var constant: Int
    /// The extent of the dimension it subscripts.
    var extent: Int
    /// The subscript, and the element as written (`s[i + k]`) for messages.
    var range: SourceRange
    var element: String
    var array: String
  }

  /// Per binding: the first value, and one past the last (nil: unknown).
  private(set) var lower: [Int]
  private(set) var upper: [Int?]
  /// Per binding: the constraint that raised its lower bound, if any.
  private(set) var lowerFrom: [Int?]
  let constraints: [Constraint]
  let names: [String]

  /// - Parameter plain: per binding, the extent of its plain uses (they
  ///   agree; the checker reports those that do not), or nil.
  init(names: [String], plain: [Int?], constraints: [Constraint]) {
    self.names = names
    self.constraints = constraints
    lower = [Int](repeating: 0, count: names.count)
    upper = plain
    lowerFrom = [Int?](repeating: nil, count: names.count)
  }

  /// ⌊a / b⌋ for b > 0.
  static func floorDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
  }

  /// ⌈a / b⌉ for b > 0.
  static func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }

  /// The values of x that keep `a·x + rest` in `0..<extent` for every rest
  /// in `low...high`: `first..<end`.
  static func limits(coefficient a: Int, restLow low: Int, restHigh high: Int, extent: Int)
    -> (first: Int, end: Int)
  {
    (ceilDivide(-low, a), floorDivide(extent - 1 - high, a) + 1)
  }

  /// Bounds binding `b` by `a·b + rest ∈ 0..<extent` for rest in `low...high`.
  private mutating func bound(
    _ b: Int, coefficient a: Int, restLow low: Int, restHigh high: Int, extent: Int,
    constraint: Int
  ) {
    let (first, end) = Self.limits(coefficient: a, restLow: low, restHigh: high, extent: extent)
    if first > lower[b] {
      lower[b] = first
      lowerFrom[b] = constraint
    }
    upper[b] = min(upper[b] ?? end, end)
  }

  /// The least and greatest value of a constraint's terms other than
  /// binding `except`, all of whose ranges must be known. Saturating at
  /// ±2^62: coefficients reach 2^31 and ranges 2^24, over any number of
  /// terms, and a value that large is out of every dimension anyway.
  private func span(_ c: Constraint, except: Int = -1) -> (low: Int, high: Int) {
    var (low, high) = (c.constant, c.constant)
    for term in c.terms where term.index != except {
      low = Self.saturated(low, term.coefficient, lower[term.index])
      high = Self.saturated(high, term.coefficient, (upper[term.index] ?? 1) - 1)
    }
    return (low, high)
  }

  static let saturation = 1 << 62

  /// sum + a·b, kept within ±2^62 (the bounds a subscript can ever need).
  static func saturated(_ sum: Int, _ a: Int, _ b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    let term = overflow ? (b < 0 ? -saturation : saturation) : product
    return max(-saturation, min(saturation, sum + max(-saturation, min(saturation, term))))
  }

  /// Steps 1 to 3; returns the constraints step 3 finds leaving their
  /// dimension, with the value that leaves it.
  mutating func solve() -> [(constraint: Int, reaches: Int)] {
    for (k, c) in constraints.enumerated() where c.terms.count == 1 {
      let term = c.terms[0]
      bound(
        term.index, coefficient: term.coefficient, restLow: c.constant, restHigh: c.constant,
        extent: c.extent, constraint: k)
    }
    var bounding = Set<Int>()
    var changed = true
    while changed {
      changed = false
      for (k, c) in constraints.enumerated() where c.terms.count > 1 && !bounding.contains(k) {
        let unknown = c.terms.filter { upper[$0.index] == nil }
        guard unknown.count == 1, let term = unknown.first else { continue }
        let others = c.terms.filter { $0.index != term.index }
        guard others.allSatisfy({ (upper[$0.index] ?? 0) > lower[$0.index] }) else { continue }
        let (low, high) = span(c, except: term.index)
        bound(
          term.index, coefficient: term.coefficient, restLow: low, restHigh: high,
          extent: c.extent, constraint: k)
        bounding.insert(k)
        changed = true
      }
    }
    var leaving: [(constraint: Int, reaches: Int)] = []
    for (k, c) in constraints.enumerated() where c.terms.count > 1 && !bounding.contains(k) {
      guard c.terms.allSatisfy({ (upper[$0.index] ?? 0) > lower[$0.index] }) else { continue }
      let (low, high) = span(c)
      if low < 0 {
        leaving.append((k, low))
      } else if high >= c.extent {
        leaving.append((k, high))
      }
    }
    return leaving
  }

  /// The constraints in which binding `b` appears.
  func uses(of b: Int) -> [Int] {
    constraints.indices.filter { k in constraints[k].terms.contains { $0.index == b } }
  }

  /// What a constraint gives binding `b` alone, as a note says it: `i < 96`, `t ≥ 1`.
  func bounds(of b: Int, from k: Int) -> String {
    let c = constraints[k]
    guard let term = c.terms.first(where: { $0.index == b }),
      c.terms.allSatisfy({ $0.index == b || upper[$0.index] != nil })
    else { return "" }
    let (low, high) = span(c, except: b)
    let (first, end) = Self.limits(
      coefficient: term.coefficient, restLow: low, restHigh: high, extent: c.extent)
    return (first > 0 ? "\(names[b]) ≥ \(first) and " : "") + "\(names[b]) < \(end)"
  }
}
