import Foundation
import PackagePlugin

/// Compiles each `.bp` program among a target's source files to Swift.
///
/// One build command per program runs `backpropc PROGRAM.bp -o
/// WORK/PROGRAM.bp.swift`, where WORK is the plugin's work directory in the
/// build folder, so nothing is written to the source tree. The generated type
/// is named from the file, as `backpropc` names it without `--name`:
/// `Network.bp` gives `enum Network`, `my_model.bp` `enum MyModel`. The output
/// ends in `.bp.swift` so that a hand-written `Network.swift` extending the
/// type can sit beside `Network.bp`. SwiftPM reruns the command when the
/// program or the compiler changes. The input path is absolute, so a program
/// with errors fails the build with the compiler's
/// `/path/to/PROGRAM.bp:LINE:COL: error: …`.
@main
struct BackpropPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    guard let target = target as? SourceModuleTarget else { return [] }
    return try Self.commands(
      compiling: target.sourceFiles(withSuffix: ".bp").map(\.url),
      with: context.tool(named: "backpropc").url,
      into: context.pluginWorkDirectoryURL)
  }

  /// Two programs of one target with the same base name would make the same
  /// type and the same output file.
  struct SameName: Error, CustomStringConvertible {
    let first: URL
    let second: URL
    var description: String {
      "two programs named '\(first.lastPathComponent)' in one target, \(first.path(percentEncoded: false)) and "
        + "\(second.path(percentEncoded: false)): both would generate \(first.lastPathComponent).swift and the same type; rename one"
    }
  }

  /// One `backpropc` build command per program, each writing one Swift file
  /// into `directory`.
  static func commands(
    compiling programs: [URL], with backpropc: URL, into directory: URL
  ) throws -> [Command] {
    var seen: [String: URL] = [:]
    for program in programs {
      let name = program.deletingPathExtension().lastPathComponent
      if let first = seen[name] { throw SameName(first: first, second: program) }
      seen[name] = program
    }
    return programs.map { program in
      let name = program.deletingPathExtension().lastPathComponent
      let swift = directory.appending(path: name + ".bp.swift")
      return .buildCommand(
        displayName: "Compiling \(program.lastPathComponent) with backpropc",
        executable: backpropc,
        arguments: [program.path(percentEncoded: false), "-o", swift.path(percentEncoded: false)],
        inputFiles: [program, backpropc],
        outputFiles: [swift])
    }
  }
}

#if canImport(XcodeProjectPlugin)
  import XcodeProjectPlugin

  extension BackpropPlugin: XcodeBuildToolPlugin {
    func createBuildCommands(context: XcodePluginContext, target: XcodeTarget) throws -> [Command] {
      try Self.commands(
        compiling: target.inputFiles.map(\.url).filter { $0.pathExtension == "bp" },
        with: context.tool(named: "backpropc").url,
        into: context.pluginWorkDirectoryURL)
    }
  }
#endif
