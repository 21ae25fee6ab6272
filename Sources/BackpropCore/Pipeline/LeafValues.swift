/// One `--set`: a leaf, or one element of it, and its value (SPEC §6.4).
public struct LeafSetting: Sendable, Equatable {
  var name: String
  /// `W[1, 0]=3` sets one element.
  var element: [Int]?
  /// One number (which fills an array), or a list's numbers, row-major.
  var values: [Double]
  /// The list's shape; nil for one number.
  var shape: [Int]?

  init(name: String, element: [Int]? = nil, values: [Double], shape: [Int]? = nil) {
    self.name = name
    self.element = element
    self.values = values
    self.shape = shape
  }

  /// Parses `NAME=VALUE`, `NAME[i, j]=VALUE`, VALUE a finite number or a
  /// nested list of them, spaces allowed; nil when it is neither.
  init?(parsing text: String) {
    guard case .success(let setting) = Self.parse(text) else { return nil }
    self = setting
  }

  /// ``init(parsing:)`` with the reason when the text is not a setting.
  static func parse(_ text: String) -> Result<LeafSetting, SettingProblem> {
    var scanner = Scanner(Array(text.utf8))
    guard let target = scanner.elementName() else { return .failure(.syntax) }
    var setting = LeafSetting(name: target.name, element: target.element, values: [])
    guard scanner.take(UInt8(ascii: "=")) else { return .failure(.syntax) }
    scanner.skipSpaces()
    do {
      if scanner.peek == UInt8(ascii: "[") {
        (setting.values, setting.shape) = try scanner.list()
      } else {
        setting.values = [try scanner.number()]
      }
    } catch {
      return .failure(error)
    }
    scanner.skipSpaces()
    return scanner.atEnd ? .success(setting) : .failure(.malformed)
  }
}

/// A name or one element of it, as SPEC §6.4 writes it wherever one element
/// is named (`--set`, CSV headers, `--output`, `--loss`): `W1[1, 0]`,
/// spaces allowed inside the brackets and around the whole.
struct ElementName: Sendable, Equatable {
  var name: String
  /// The subscripts; nil for a bare name.
  var element: [Int]?

  /// Nil unless the whole text is a name or an element.
  init?(parsing text: String) {
    var scanner = Scanner(Array(text.utf8))
    guard let parsed = scanner.elementName(), scanner.atEnd else { return nil }
    self = parsed
  }

  init(name: String, element: [Int]?) {
    self.name = name
    self.element = element
  }
}

/// A cursor over `--set`'s bytes.
private struct Scanner {
  let bytes: [UInt8]
  var at = 0
  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var atEnd: Bool { at >= bytes.count }
  var peek: UInt8? { atEnd ? nil : bytes[at] }

  mutating func skipSpaces() { while peek == 32 || peek == 9 { at += 1 } }

  mutating func take(_ byte: UInt8) -> Bool {
    guard peek == byte else { return false }
    at += 1
    return true
  }

  /// `W1[1, 0]` or `W1`, with the spaces around it.
  mutating func elementName() -> ElementName? {
    skipSpaces()
    guard let name = name() else { return nil }
    skipSpaces()
    var element: [Int]?
    if peek == UInt8(ascii: "[") {
      guard let subscripts = wholeNumbers() else { return nil }
      element = subscripts
      skipSpaces()
    }
    return ElementName(name: name, element: element)
  }

  mutating func name() -> String? {
    guard let first = peek, Lexer.isIdentifierStart(first) else { return nil }
    let start = at
    while let b = peek, Lexer.isIdentifierContinue(b) { at += 1 }
    return String(decoding: bytes[start..<at], as: UTF8.self)
  }

  /// `[1, 0]`
  mutating func wholeNumbers() -> [Int]? {
    guard take(UInt8(ascii: "[")) else { return nil }
    var numbers: [Int] = []
    repeat {
      skipSpaces()
      let start = at
      while let b = peek, Lexer.isDigit(b) { at += 1 }
      guard at > start, let n = Int(String(decoding: bytes[start..<at], as: UTF8.self)) else {
        return nil
      }
      numbers.append(n)
      skipSpaces()
    } while take(UInt8(ascii: ","))
    return take(UInt8(ascii: "]")) ? numbers : nil
  }

  mutating func number() throws(SettingProblem) -> Double {
    let start = at
    while let b = peek, b != UInt8(ascii: ","), b != UInt8(ascii: "]"), b != 32, b != 9 { at += 1 }
    let text = String(decoding: bytes[start..<at], as: UTF8.self)
    guard let value = Double(text), value.isFinite else {
      throw .notANumber(DiagnosticMessage.shortened(text))
    }
    return value
  }

  /// A nested list, iteratively; its shape from the first item at each
  /// depth, every list at a depth as long as the first.
  mutating func list() throws(SettingProblem) -> ([Double], [Int]) {
    var values: [Double] = []
    var length: [Int?] = []
    var counts: [Int] = []
    var isList: [Bool?] = []
    while true {
      skipSpaces()
      if take(UInt8(ascii: "[")) {
        if let d = counts.indices.last {
          if isList[d] == false { throw .mixed }
          isList[d] = true
        }
        guard counts.count < Parser.rankLimit else { throw .tooDeep }
        counts.append(0)
        if length.count < counts.count {
          length.append(nil)
          isList.append(nil)
        }
        continue
      }
      guard let d = counts.indices.last else { throw .malformed }
      if isList[d] == true { throw .mixed }
      let value = try number()
      isList[d] = false
      values.append(value)
      while true {
        skipSpaces()
        let d = counts.count - 1
        counts[d] += 1
        if take(UInt8(ascii: ",")) { break }
        guard take(UInt8(ascii: "]")) else { throw .malformed }
        if let n = length[d], n != counts[d] { throw .ragged(expected: n, got: counts[d]) }
        length[d] = counts[d]
        counts.removeLast()
        if counts.isEmpty { return (values, length.map { $0 ?? 0 }) }
      }
    }
  }
}

extension Compilation {
  /// The leaf values a command uses, in ``Layout`` order: defaults (lists,
  /// fills, initialisers from `seed`), then each setting, left to right.
  /// Settings are assumed checked (``Settings/check(against:)``). Leaves
  /// still missing elements are reported together.
  public func leafValues(
    _ settings: [LeafSetting], seed: UInt64 = 0, into diagnostics: inout DiagnosticList
  ) -> [Double]? {
    guard let program else { return nil }
    let layout = Layout(program)
    var values = [Double](repeating: .nan, count: layout.numInputs)
    var known = [Bool](repeating: false, count: layout.numInputs)
    for (l, leaf) in program.leaves.enumerated() {
      guard let elements = leaf.defaultElements(seed: seed) else { continue }
      for (k, value) in elements.enumerated() {
        values[layout.input(l, element: k)] = value
        known[layout.input(l, element: k)] = true
      }
    }
    for setting in settings {
      guard let l = program.leaves.firstIndex(where: { $0.name == setting.name }) else { continue }
      let leaf = layout.leaves[l]
      if let element = setting.element {
        let k = layout.input(l, element: Layout.flatIndex(element, shape: leaf.shape))
        values[k] = setting.values[0]
        known[k] = true
      } else {
        for k in 0..<leaf.size {
          values[layout.input(l, element: k)] =
            setting.values.count == 1 ? setting.values[0] : setting.values[k]
          known[layout.input(l, element: k)] = true
        }
      }
    }
    var missing: [String] = []
    var more = 0
    var first: SourceRange?
    for (l, leaf) in program.leaves.enumerated() {
      let variable = layout.leaves[l]
      let absent = (0..<variable.size).filter { !known[layout.input(l, element: $0)] }
      guard !absent.isEmpty else { continue }
      first = first ?? leaf.range
      if absent.count == variable.size {
        missing.append(leaf.name)
      } else {
        missing += absent.prefix(8).map {
          Layout.elementName(leaf.name, Layout.element($0, shape: variable.shape))
        }
        more += max(0, absent.count - 8)
      }
    }
    if let first {
      diagnostics.error(.missingLeafValues(missing, moreElements: more), at: first)
      return nil
    }
    return values
  }

  /// Scalar settings by name, for tests and simple callers.
  func leafValues(
    _ settings: [String: Double], seed: UInt64 = 0, into diagnostics: inout DiagnosticList
  ) -> [Double]? {
    leafValues(
      settings.sorted { $0.key < $1.key }.map { LeafSetting(name: $0.key, values: [$0.value]) },
      seed: seed, into: &diagnostics)
  }
}
