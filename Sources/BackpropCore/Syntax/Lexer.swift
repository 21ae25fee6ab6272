/// Turns bytes into tokens, one at a time, in a single pass.
///
/// The lexer never fails: a byte that begins no token becomes an `.invalid`
/// token and a diagnostic, and lexing goes on. Outside comments only ASCII is
/// allowed; comments may hold any bytes (the seed tutorials are Korean).
struct Lexer {
  private let bytes: [UInt8]
  private var offset = 0

  init(_ file: SourceFile) {
    self.bytes = file.bytes
  }

  /// The next token; `.endOfFile` forever once the input is used up.
  mutating func next(into diagnostics: inout DiagnosticList) -> Token {
    let newlineBefore = skipSpaceAndComments()
    let start = offset
    guard offset < bytes.count else {
      return Token(kind: .endOfFile, range: SourceRange(start, start), newlineBefore: true)
    }
    let byte = bytes[offset]
    offset += 1
    let kind: Token.Kind
    switch byte {
    case UInt8(ascii: "+"): kind = .plus
    case UInt8(ascii: "-"): kind = .minus
    case UInt8(ascii: "*"): kind = .star
    case UInt8(ascii: "/"): kind = .slash
    case UInt8(ascii: "^"): kind = .caret
    case UInt8(ascii: "("): kind = .leftParen
    case UInt8(ascii: ")"): kind = .rightParen
    case UInt8(ascii: "["): kind = .leftBracket
    case UInt8(ascii: "]"): kind = .rightBracket
    case UInt8(ascii: ","): kind = .comma
    case UInt8(ascii: "=") where offset < bytes.count && bytes[offset] == UInt8(ascii: "="):
      offset += 1
      kind = .comparison(.equal)
    case UInt8(ascii: "="): kind = .equals
    case UInt8(ascii: "!") where offset < bytes.count && bytes[offset] == UInt8(ascii: "="):
      offset += 1
      kind = .comparison(.notEqual)
    case UInt8(ascii: "<"), UInt8(ascii: ">"):
      let orEqual = offset < bytes.count && bytes[offset] == UInt8(ascii: "=")
      if orEqual { offset += 1 }
      kind = .comparison(
        byte == UInt8(ascii: "<")
          ? (orEqual ? .lessOrEqual : .less) : (orEqual ? .greaterOrEqual : .greater))
    case UInt8(ascii: ";"): kind = .semicolon
    case _ where Self.isIdentifierStart(byte):
      while offset < bytes.count && Self.isIdentifierContinue(bytes[offset]) { offset += 1 }
      kind = keyword(SourceRange(start, offset)) ?? .identifier
    case _ where Self.isDigit(byte) || byte == UInt8(ascii: "."):
      kind = lexNumber(from: start, into: &diagnostics)
    default:
      // One diagnostic for a whole run of bad bytes, not one per byte.
      while offset < bytes.count && !Self.isTokenBoundary(bytes[offset]) { offset += 1 }
      diagnostics.error(
        .invalidCharacter(Self.describe(bytes[start..<offset])), at: SourceRange(start, offset))
      kind = .invalid
    }
    return Token(kind: kind, range: SourceRange(start, offset), newlineBefore: newlineBefore)
  }

  /// Skips blanks and comments; says whether a line break was among them.
  private mutating func skipSpaceAndComments() -> Bool {
    var sawNewline = offset == 0
    while offset < bytes.count {
      switch bytes[offset] {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
        offset += 1
      case UInt8(ascii: "\n"):
        sawNewline = true
        offset += 1
      case UInt8(ascii: "#"):
        skipToEndOfLine()
      case UInt8(ascii: "/")
      where offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "/"):
        skipToEndOfLine()
      default:
        return sawNewline
      }
    }
    return sawNewline
  }

  private mutating func skipToEndOfLine() {
    while offset < bytes.count && bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
  }

  /// number = digits [ "." digits ] [ exponent ] | "." digits [ exponent ] .
  /// exponent = ( "e" | "E" ) [ "+" | "-" ] digits .
  ///
  /// Whatever else sticks to a number (`2x`, `1.2.3`, `1e`) makes the whole run
  /// one invalid literal, which is a clearer message than two tokens.
  private mutating func lexNumber(from start: Int, into diagnostics: inout DiagnosticList)
    -> Token.Kind
  {
    offset = start
    var valid = true
    let integerDigits = skipDigits()
    if offset < bytes.count && bytes[offset] == UInt8(ascii: ".") {
      offset += 1
      if skipDigits() == 0 { valid = false }
    } else if integerDigits == 0 {
      valid = false
    }
    if offset < bytes.count && (bytes[offset] | 0x20) == UInt8(ascii: "e") {
      offset += 1
      if offset < bytes.count
        && (bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-"))
      {
        offset += 1
      }
      if skipDigits() == 0 { valid = false }
    }
    while offset < bytes.count
      && (Self.isIdentifierContinue(bytes[offset]) || bytes[offset] == UInt8(ascii: "."))
    {
      valid = false
      offset += 1
    }
    let range = SourceRange(start, offset)
    guard valid else {
      let literal = String(decoding: bytes[start..<min(offset, start + 40)], as: UTF8.self)
      diagnostics.error(.invalidNumber(literal + (offset - start > 40 ? "…" : "")), at: range)
      return .invalid
    }
    return .number
  }

  private mutating func skipDigits() -> Int {
    let start = offset
    while offset < bytes.count && Self.isDigit(bytes[offset]) { offset += 1 }
    return offset - start
  }

  private func keyword(_ range: SourceRange) -> Token.Kind? {
    switch range.end - range.start {
    case 5 where matches(range, "input"): .keywordInput
    case 5 where matches(range, "param"): .keywordParam
    case 6 where matches(range, "output"): .keywordOutput
    default: nil
    }
  }

  private func matches(_ range: SourceRange, _ word: StaticString) -> Bool {
    word.withUTF8Buffer { Array($0) == Array(bytes[range.start..<range.end]) }
  }

  static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  static func isIdentifierStart(_ b: UInt8) -> Bool {
    (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b == UInt8(ascii: "_")
  }
  static func isIdentifierContinue(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

  /// Bytes that can end a run of invalid bytes: anything that starts a token,
  /// a blank, or a line break.
  private static func isTokenBoundary(_ b: UInt8) -> Bool {
    if isIdentifierContinue(b) { return true }
    switch b {
    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
      UInt8(ascii: "#"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"),
      UInt8(ascii: "/"), UInt8(ascii: "^"), UInt8(ascii: "("), UInt8(ascii: ")"),
      UInt8(ascii: "["), UInt8(ascii: "]"),
      UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: ";"), UInt8(ascii: "."),
      UInt8(ascii: "<"), UInt8(ascii: ">"):
      return true
    default:
      return false
    }
  }

  /// Quotes printable ASCII as is and shows anything else as hex bytes, so a
  /// message about binary input is still one readable line.
  static func describe(_ run: ArraySlice<UInt8>) -> String {
    let shown = run.prefix(16)
    let suffix = run.count > shown.count ? "…" : ""
    if shown.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) {
      let noun = run.count == 1 ? "character" : "characters"
      return "invalid \(noun) '" + String(decoding: shown, as: UTF8.self) + suffix + "'"
    }
    let hex = shown.map { "0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) }
    return "invalid byte" + (run.count == 1 ? " " : "s ") + hex.joined(separator: " ") + suffix
      + (shown.contains { $0 >= 0x80 } ? " (only ASCII is allowed outside comments)" : "")
  }
}
