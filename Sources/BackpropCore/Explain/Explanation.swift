/// `backpropc explain`: the forward pass and the backward pass of one output,
/// the way the seed tutorials work them out by hand (SPEC §5, §6.6), in index
/// form for arrays (``ArrayExplanation``, whose formulas for a scalar are the
/// plain ones: `∂C/∂A = ∂C/∂B · z`).
///
/// Every number is read from the one evaluation of the differentiated
/// program, the one `eval` runs: values and adjoints, and the values
/// substituted into each formula (`440 · 1.1`). The formulas come from the
/// statements' source, so every name a reader sees is a name in the program;
/// they are only displayed, never evaluated.
public struct Explanation: Sendable {
  private let body: ArrayExplanation

  /// The output explained: a scalar's name, or an element's (`o[1]`).
  public var output: String { body.output }

  /// Explains `output` (a symbol index; `element` for one element of an
  /// array) at the given leaf values.
  public init?(
    _ compilation: Compilation, leaves leafValues: [Double], output: Int, element: [Int] = []
  ) {
    guard
      let body = ArrayExplanation(compilation, leaves: leafValues, output: output, element: element)
    else {
      return nil
    }
    self.body = body
  }

  public enum Format: String, Sendable {
    case text, markdown
  }

  public func rendered(_ format: Format) -> String { body.rendered(format) }
}
