/// Where every leaf, output and partial derivative sits in the flat buffers
/// of the generated code and of the interpreter (SPEC §3, §6.5): `in` holds
/// every leaf's elements, row-major, in leaf order; `out` every output's
/// elements, in output order; and `grad[o * numInputs + i]` is
/// ∂(output element o)/∂(input element i). This is the one place that
/// computes a flat offset; the emitters, `eval`, `check` and `train` read it.
public struct Layout: Sendable {
  /// One leaf or output: SPEC §6.5's `prefix_variable`.
  struct Variable: Sendable, Hashable {
    var name: String
    /// The symbol's index in the program.
    var symbol: Int
    /// The first element's index in its buffer.
    var offset: Int
    /// The number of elements: 1 for a scalar.
    var size: Int
    /// The extents, outermost first; `[]` for a scalar.
    var shape: [Int]

    /// Element `element` (row-major) as a person names it: `W1[1,0]`, or `W1` for a scalar.
    func elementName(_ element: Int) -> String {
      shape.isEmpty ? name : Layout.elementName(name, Layout.element(element, shape: shape))
    }
  }

  /// In leaf order; offsets into `in`.
  let leaves: [Variable]
  /// In output order; offsets into `out`.
  let outputs: [Variable]
  /// Elements of `in`.
  public let numInputs: Int
  /// Elements of `out`.
  let numOutputs: Int

  public init(_ program: Program) {
    var offset = 0
    var leaves: [Variable] = []
    for (s, symbol) in program.leaves.enumerated() {
      leaves.append(
        Variable(
          name: symbol.name, symbol: s, offset: offset, size: symbol.size, shape: symbol.shape))
      offset += symbol.size
    }
    numInputs = offset
    offset = 0
    var outputs: [Variable] = []
    for s in program.outputs {
      let symbol = program.symbols[s]
      outputs.append(
        Variable(
          name: symbol.name, symbol: s, offset: offset, size: symbol.size, shape: symbol.shape))
      offset += symbol.size
    }
    numOutputs = offset
    self.leaves = leaves
    self.outputs = outputs
  }

  /// Elements of `grad`.
  var gradientSize: Int { numOutputs * numInputs }

  /// The index in `in` of element `element` (row-major) of leaf `leaf`.
  public func input(_ leaf: Int, element: Int = 0) -> Int { leaves[leaf].offset + element }

  /// The index in `out` of element `element` of output `output`.
  func output(_ output: Int, element: Int = 0) -> Int { outputs[output].offset + element }

  /// The index in `grad` of ∂(output element)/∂(leaf element).
  func gradient(output: Int, outputElement: Int = 0, leaf: Int, leafElement: Int = 0) -> Int {
    (outputs[output].offset + outputElement) * numInputs + leaves[leaf].offset + leafElement
  }

  /// The index in `grad` of ∂out[o]/∂in[i], for flat element indices.
  func gradient(outputIndex o: Int, inputIndex i: Int) -> Int { o * numInputs + i }

  /// The leaf whose elements hold input element `input`.
  func leaf(containing input: Int) -> Int? { leaves.lastIndex { $0.offset <= input } }

  /// The strides in `grad` of ∂O/∂L as an array of shape shape(O) ++ shape(L)
  /// (SPEC §6.4): an output element's row is `numInputs` apart, a leaf
  /// element's column 1 apart.
  func gradientStrides(output: Int, leaf: Int) -> [Int] {
    Self.rowMajor(outputs[output].shape).map { $0 * numInputs } + Self.rowMajor(leaves[leaf].shape)
  }

  // MARK: Elements

  /// The row-major strides of a shape: `[3, 1]` for `[2, 3]`.
  static func rowMajor(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) {
      strides[d] = strides[d + 1] * shape[d + 1]
    }
    return strides
  }

  /// The row-major position of an element within an array of this shape.
  static func flatIndex(_ element: [Int], shape: [Int]) -> Int {
    var index = 0
    for (d, i) in element.enumerated() { index = index * shape[d] + i }
    return index
  }

  /// The element at a row-major position.
  static func element(_ flat: Int, shape: [Int]) -> [Int] {
    var rest = flat
    var element = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      element[d] = rest % shape[d]
      rest /= shape[d]
    }
    return element
  }

  /// `W[1,0]`, the SPEC's element name; a scalar's is its name.
  static func elementName(_ name: String, _ element: [Int]) -> String {
    element.isEmpty ? name : name + "[" + element.map(String.init).joined(separator: ",") + "]"
  }

  // MARK: One buffer for all three

  /// Where `in`, `out` and `grad` start when they are packed one after the
  /// other in one buffer (the labelled Swift API's temporary).
  var packedOutputBase: Int { numInputs }
  var packedGradientBase: Int { numInputs + numOutputs }
  var packedSize: Int { numInputs + numOutputs + gradientSize }
}
