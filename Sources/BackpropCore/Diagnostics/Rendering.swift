extension Diagnostic {
  /// Renders in clang's classic layout, with the source line indented by two
  /// spaces as SPEC §2 shows:
  ///
  ///     model.bp:3:9: error: unknown function 'sigmod'; did you mean 'sigmoid'?
  ///       B = A * sigmod(z)
  ///               ^~~~~~
  public func rendered(in file: SourceFile) -> String {
    var out = Self.block(
      file: file, range: range, severity: severity.rawValue, text: message.text)
    for note in notes {
      out += Self.block(file: file, range: note.range, severity: "note", text: note.message.text)
    }
    return out
  }

  private static func block(
    file: SourceFile, range: SourceRange, severity: String, text: String
  ) -> String {
    let (line, column) = file.location(of: range.start)
    var out = "\(file.name):\(line):\(column): \(severity): \(text)\n"
    let source = file.lineBytes(line)
    // Very long lines (a 1 MB identifier) are not echoed: the location says it.
    guard source.count <= 500 else { return out }
    var shown = "  "
    var marks = "  "
    let lineStart = source.startIndex
    let caret = range.start - lineStart
    let lastMarked = min(range.end, lineStart + source.count) - lineStart
    for (i, byte) in source.enumerated() {
      // Tabs stay tabs so the caret lines up; other control bytes and non-ASCII
      // bytes print as '?' so a binary file cannot garble the terminal.
      let visible: Character =
        byte == 9 ? "\t" : (byte >= 32 && byte < 127 ? Character(UnicodeScalar(byte)) : "?")
      shown.append(visible)
      if i < caret {
        marks.append(byte == 9 ? "\t" : " ")
      } else if i == caret {
        marks.append("^")
      } else if i < lastMarked {
        marks.append("~")
      }
    }
    if caret >= source.count { marks.append("^") }
    out += shown + "\n" + marks + "\n"
    return out
  }
}

extension DiagnosticList {
  /// Every diagnostic in file order, then clang's summary line.
  public func rendered(in file: SourceFile) -> String {
    var out = sorted().map { $0.rendered(in: file) }.joined()
    if droppedCount > 0 {
      out += "\(file.name): note: \(DiagnosticMessage.moreDiagnosticsNotShown(droppedCount).text)\n"
    }
    if errorCount > 0 {
      out += "\(errorCount) error\(errorCount == 1 ? "" : "s") generated.\n"
    }
    return out
  }
}
