/// "Did you mean" for names: the closest candidate by edit distance, if it is
/// close enough to be a likely typo.
enum Suggestion {
  static func closest(to name: String, among candidates: [String]) -> String? {
    let target = Array(name.utf8)
    guard target.count <= 64 else { return nil }
    let limit = max(1, min(3, target.count / 3))
    var best: (distance: Int, lengthDifference: Int, name: String)?
    for candidate in candidates where candidate != name {
      let bytes = Array(candidate.utf8)
      let lengthDifference = abs(bytes.count - target.count)
      guard lengthDifference <= limit else { continue }
      let d = distance(target, bytes)
      // Nearest first; at equal distance, a mistyped letter (`Wl` for `W1`)
      // before a missing or extra one.
      if d <= limit,
        best.map({ (d, lengthDifference) < ($0.distance, $0.lengthDifference) }) ?? true
      {
        best = (d, lengthDifference, candidate)
      }
    }
    return best?.name
  }

  /// Levenshtein distance, with a transposition counting as one edit.
  static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          current[j] = min(current[j], previous2[j - 2] + 1)
        }
      }
      (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
  }
}
