/// `backpropc graph`: the computation graph in Graphviz DOT (SPEC §5). One
/// node per named value, labelled with its name, value and adjoint ∂O/∂V;
/// one node per operation; edges in data-flow direction. Leaves are boxes,
/// intermediates ellipses, outputs double octagons; operations are small
/// circles and constants plain text. An array (SPEC §6.6) is one node with
/// its shape, and its values and adjoints as nested lists up to 16
/// elements; a reduction is one `Σ_i` node; an edge through a constant
/// subscript is labelled with the subscripts (`[0]`, `[i, 0]`).
public enum Graph {
  public static func dot(
    _ compilation: Compilation, leaves leafValues: [Double], output: Int, element: [Int] = []
  ) -> String? {
    guard let checked = compilation.checked,
      let program = compilation.program(differentiating: output, element: element)
    else {
      return nil
    }
    let evaluation = Evaluation(
      program: Optimizer.optimize(program, keeping: .everything), input: leafValues)
    let symbols = program.symbols
    let o = symbols[program.outputs[0]].name
    let outputs = Set(compilation.program?.outputs ?? [])
    let title = String(compilation.file.name.split(separator: "/").last ?? "program")

    var out = "digraph \(quote(title)) {\n"
    out += "  rankdir=LR;\n"
    out += "  graph [fontname=\"Helvetica\"];\n"
    out += "  node [fontname=\"Helvetica\", fontsize=11];\n"
    out += "  edge [color=\"#555555\", arrowsize=0.7];\n"
    out += "  label=\(quote("\(title): values and ∂\(o)/∂V")); labelloc=t;\n\n"
    // `--output o[1]` differentiates a scalar of its own, drawn as its array o.
    for (s, symbol) in symbols.enumerated() where s < checked.symbols.count {
      var label = symbol.name
      if symbol.shape.isEmpty {
        label +=
          "\\n= \(ExplainStyle.number(evaluation.values[s]))\\n∂\(o)/∂\(symbol.name) = \(ExplainStyle.number(evaluation.gradient[0][s]))"
      } else {
        label += DiagnosticMessage.shape(symbol.shape)
        if symbol.size <= ArrayExplanation.elementLimit {
          let values = Evaluation.nested(evaluation.elements[s], symbol.shape, ExplainStyle.number)
          let adjoints = Evaluation.nested(
            evaluation.gradientElements[0][s], symbol.shape, ExplainStyle.number)
          label += "\\n= \(values)\\n∂\(o)/∂\(symbol.name) = \(adjoints)"
        }
      }
      let shape: String
      if symbol.isLeaf {
        shape = "shape=box, style=\"rounded,filled\", fillcolor=\"#e3ecfa\""
      } else if outputs.contains(s) || s == output {
        shape = "shape=doubleoctagon, style=filled, fillcolor=\"#fbe3e3\""
      } else {
        shape = "shape=ellipse, style=filled, fillcolor=\"#f2f2f2\""
      }
      out += "  \(quote(symbol.name)) [\(shape), label=\(quote(label))];\n"
    }
    out += "\n"
    // Operations: one node per operator or call, per statement, in order.
    var count = 0
    let tree = checked.tree
    for (index, statement) in tree.statements.enumerated() {
      let w = Int(checked.definitions[index])
      guard w >= 0 else { continue }
      let arena = statement.expressions
      var node = [String](repeating: "", count: arena.count)
      // An edge's label, where it leaves an element with a constant subscript.
      var edge = [String?](repeating: nil, count: arena.count)
      func id(_ e: ExpressionID) -> (String, String?) {
        (node[e.index - arena.lowerBound], edge[e.index - arena.lowerBound])
      }
      for e in arena {
        let expression = tree.expressions[e]
        func operation(_ label: String, _ inputs: [(String, String?)]) -> String {
          count += 1
          let name = "#op\(count)"
          out +=
            "  \(quote(name)) [shape=circle, width=0.35, fixedsize=shape, label=\(quote(label))];\n"
          for (input, label) in inputs {
            let attributes = label.map { " [label=\(quote($0))]" } ?? ""
            out += "  \(quote(input)) -> \(quote(name))\(attributes);\n"
          }
          return name
        }
        switch expression.kind {
        case .number(let v):
          count += 1
          node[e - arena.lowerBound] = "#c\(count)"
          out +=
            "  \(quote("#c\(count)")) [shape=plaintext, label=\(quote(ExplainStyle.number(v)))];\n"
        case .name(let index) where checked.indexValues[e] != nil:
          // An index as a value: its name, as a number would be shown.
          count += 1
          node[e - arena.lowerBound] = "#c\(count)"
          out += "  \(quote("#c\(count)")) [shape=plaintext, label=\(quote(index))];\n"
        case .name:
          node[e - arena.lowerBound] = symbols[Int(checked.references[e])].name
        case .element(_, _, let written):
          node[e - arena.lowerBound] = symbols[Int(checked.references[e])].name
          // Labelled where the use is not the whole array: a constant or a repeated index.
          let names = written.compactMap {
            if case .index(let index) = $0 { index.name } else { nil }
          }
          if names.count < written.count || Set(names).count < names.count {
            edge[e - arena.lowerBound] =
              "["
              + written.map { w -> String in
                switch w {
                case .constant, .affine: w.text
                case .index(let index): index.name
                }
              }.joined(separator: ", ") + "]"
          }
        case .reduction(let kind, _, let indices, let body):
          let label =
            kind.symbol + indices.map(\.name).joined(separator: ",")
          node[e - arena.lowerBound] = operation(label, [id(body)])
        case .negate(let x):
          node[e - arena.lowerBound] = operation("-", [id(x)])
        case .binary(let op, let x, let y):
          node[e - arena.lowerBound] = operation(op.rawValue, [id(x), id(y)])
        case .comparison(let op, let x, let y):
          node[e - arena.lowerBound] = operation(op.rawValue, [id(x), id(y)])
        case .call(let f, _, let args):
          node[e - arena.lowerBound] = operation(f, args.map(id))
        case .parenthesized(let inner):
          (node[e - arena.lowerBound], edge[e - arena.lowerBound]) = id(inner)
        case .error:
          break
        }
      }
      if let root = node.last {
        let attributes = edge.last.flatMap { $0 }.map { " [label=\(quote($0))]" } ?? ""
        out += "  \(quote(root)) -> \(quote(symbols[w].name))\(attributes);\n"
      }
    }
    out += "}\n"
    return out
  }

  /// A DOT string literal.
  static func quote(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
