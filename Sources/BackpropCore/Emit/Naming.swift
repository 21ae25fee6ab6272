/// The generated symbols' prefix, from `--name` or the input's file name.
enum Naming {
  /// SPEC §2: the base name without extension, every character that cannot be
  /// in an identifier made `_`; `model` for standard input.
  static func defaultPrefix(forPath path: String?) -> String {
    guard let path, path != "-" else { return "model" }
    let base = path.split(separator: "/").last.map(String.init) ?? path
    let stem = base.lastIndex(of: ".").map { String(base[..<$0]) } ?? base
    return sanitize(stem.isEmpty ? base : stem)
  }

  /// Every byte that cannot be in an identifier becomes `_`; a leading digit
  /// gets a `_` before it.
  static func sanitize(_ name: String) -> String {
    var out = String(
      name.unicodeScalars.map { s in
        s.isASCII && (Lexer.isIdentifierContinue(UInt8(s.value))) ? Character(s) : "_"
      })
    if out.isEmpty { out = "model" }
    if let first = out.utf8.first, Lexer.isDigit(first) { out = "_" + out }
    return out
  }

  /// The C prefix: lowercase (SPEC §3).
  static func cPrefix(_ prefix: String) -> String { sanitize(prefix).lowercased() }

  /// The Swift type name: UpperCamelCase, `my_model` → `MyModel`.
  static func swiftTypeName(_ prefix: String) -> String {
    let parts = sanitize(prefix).split(separator: "_")
    var name = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    if name.isEmpty || Lexer.isDigit(name.utf8.first ?? 0) { name = "Model" + name }
    if Dialect.swift.reserved.contains(name) { name += "Model" }
    return name
  }
}
