import BackpropCore
import Foundation

// The command line's files: reading programs and data, writing outputs so
// that a failed run leaves nothing behind, and drawing through Graphviz.

/// Reads a program or a data file: a path, or standard input for nil or "-".
func readSource(_ path: String?) throws -> SourceFile {
  guard let path, path != "-" else {
    return SourceFile(name: "<stdin>", bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
  }
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw UsageError(.fileNotFound(path))
  }
  guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
    throw UsageError(.fileUnreadable(path, isDirectory: isDirectory.boolValue))
  }
  return SourceFile(name: path, bytes: Array(data))
}

/// What a file holds: generated text is written from the string's own bytes
/// (a copy of a 400 MB source would double the peak memory).
enum FileContents {
  case text(String)
  case bytes(Data)

  /// Calls `body` with the bytes.
  func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    switch self {
    case .text(var text): text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    case .bytes(let data): data.withUnsafeBytes(body)
    }
  }
}

/// Writes every file or none: each goes to a temporary file beside it first,
/// and only when all are written are they renamed into place.
func writeAtomically(_ files: [(path: String, contents: FileContents)]) throws {
  try writeAtomically(files.map(\.path)) { piece in
    for (file, (_, contents)) in files.enumerated() { piece(file, contents) }
  }
}

/// ``writeAtomically(_:)`` for text that comes in pieces: `write` hands each
/// to its file, an index into `paths`, as it is made.
func writeAtomically(
  _ paths: [String], write: (@escaping (Int, FileContents) -> Void) -> Void
) throws {
  var temporaries: [(temporary: String, path: String)] = []
  var descriptors: [Int32] = []
  defer {
    for file in descriptors { close(file) }
    for (temporary, _) in temporaries { unlink(temporary) }
  }
  for path in paths {
    let temporary = path + ".backpropc-\(getpid()).tmp"
    let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
    guard file >= 0 else { throw UsageError(.fileUnwritable(path, reason: systemError())) }
    temporaries.append((temporary, path))
    descriptors.append(file)
  }
  var failure: (file: Int, reason: String)?
  write { file, contents in
    guard failure == nil else { return }
    if let reason = contents.withBytes({ writeAll(descriptors[file], $0) }) {
      failure = (file, reason)
    }
  }
  for (file, descriptor) in descriptors.enumerated() where close(descriptor) != 0 {
    if failure == nil { failure = (file, systemError()) }
  }
  descriptors = []
  if let failure { throw UsageError(.fileUnwritable(paths[failure.file], reason: failure.reason)) }
  for (temporary, path) in temporaries { try moveIntoPlace(temporary, path) }
  temporaries = []
}

func moveIntoPlace(_ temporary: String, _ path: String) throws {
  guard rename(temporary, path) == 0 else {
    throw UsageError(.fileUnwritable(path, reason: systemError()))
  }
}

/// Writes all of `bytes` to `file`; the reason when it cannot.
func writeAll(_ file: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
  var done = 0
  while done < bytes.count {
    let n = write(file, bytes.baseAddress! + done, bytes.count - done)
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { return n < 0 ? systemError() : "nothing was written" }
    done += n
  }
  return nil
}

/// The C library's words for the last failed call (`errno`).
private func systemError() -> String { String(cString: strerror(errno)) }

/// Runs Graphviz's `dot` on DOT text: it writes a temporary file beside the
/// target, renamed into place only when dot succeeds.
func draw(_ graph: String, with dot: String, format: String, to path: String) throws {
  let temporary = path + ".backpropc-\(getpid()).tmp"
  defer { unlink(temporary) }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: dot)
  process.arguments = ["-T\(format)", "-o", temporary]
  let (input, errors) = (Pipe(), Pipe())
  (process.standardInput, process.standardError) = (input, errors)
  try process.run()
  input.fileHandleForWriting.write(Data(graph.utf8))
  try? input.fileHandleForWriting.close()
  let message = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    printError(
      "backpropc: error: "
        + DiagnosticMessage.dotFailed(String(decoding: message, as: UTF8.self)).text)
    throw Failure(status: .programErrors)
  }
  try moveIntoPlace(temporary, path)
}
