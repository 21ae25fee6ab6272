/// What every emitter needs to know about the program it prints. The
/// programs come optimised (the driver optimises, once), with their layout.
public struct EmitRequest: Sendable {
  public let file: SourceFile
  /// The symbol prefix from `--name` or the file name (not yet case-mapped).
  public let prefix: String
  /// The forward program: the outputs only.
  public let forward: Program
  /// The gradient program: the outputs and every ∂output/∂leaf.
  public let gradient: Program
  /// Where leaves, outputs and partials sit in the generated buffers.
  public let layout: Layout

  public init(forward: Program, gradient: Program, file: SourceFile, prefix: String) {
    self.forward = forward
    self.gradient = gradient
    self.file = file
    self.prefix = prefix
    layout = Layout(gradient)
  }

  /// The file name as the header comment gives it: base name only, so output
  /// does not depend on where the compiler ran.
  var sourceName: String {
    String(file.name.split(separator: "/").last ?? Substring(file.name))
  }

  var leaves: ArraySlice<Symbol> { gradient.leaves }
  var leafNames: [String] { gradient.leaves.map(\.name) }
  var outputNames: [String] { gradient.outputNames }
}
