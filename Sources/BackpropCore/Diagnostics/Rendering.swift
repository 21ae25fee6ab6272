extension Diagnostic {
  /// Renders in clang's classic layout, with the source line indented by two
  /// spaces as SPEC §2 shows:
  ///
  ///     model.bp:3:9: error: unknown function 'sigmod'; did you mean 'sigmoid'?
  ///       B = A * sigmod(z)
  ///               ^~~~~~
  func rendered(in file: SourceFile) -> String {
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
    let whole = file.lineBytes(line)
    var shown = "  "
    var marks = "  "
    // A long line (300 parentheses, a 1 MB identifier) is shown as a
    // window of it around the caret, its cut ends marked `...`.
    var source = whole[...]
    if whole.count > Self.longLine {
      let from = max(
        whole.startIndex, min(range.start - Self.context, whole.endIndex - 2 * Self.context))
      let to = min(whole.endIndex, from + 2 * Self.context)
      source = whole[from..<to]
      if from > whole.startIndex {
        shown += "..."
        marks += "   "
      }
    }
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
    if source.endIndex < whole.endIndex { shown += "..." }
    out += shown + "\n" + marks + "\n"
    return out
  }

  /// Lines longer than this many bytes are shown as a window around the
  /// caret, `context` bytes on each side.
  static let longLine = 500
  static let context = 60
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
