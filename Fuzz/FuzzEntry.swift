// libFuzzer entry point: every input goes through the whole pipeline, lex →
// parse → check → lower → differentiate → optimise → emit C and Swift →
// evaluate. Built by Scripts/fuzz.sh together with Sources/BackpropCore, so
// none of this is part of the package's build.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = SourceFile(name: "fuzz.bp", bytes: Array(UnsafeBufferPointer(start: data, count: size)))
  let compilation = Compilation(file)
  _ = compilation.diagnostics.rendered(in: file)
  guard let program = compilation.program else { return 0 }
  let request = EmitRequest(optimizing: program, file: file, prefix: "fuzz")
  _ = CEmitter.emit(request, headerName: "fuzz.h")
  _ = SwiftEmitter.emit(request)
  var diagnostics = DiagnosticList()
  let layout = Layout(program)
  // The fuzzer's own bound, so -rss_limit_mb measures leaks and blow-ups,
  // not a valid program at SPEC §6.2's 2^26-element limit.
  guard layout.numInputs <= 1 << 16, program.symbols.reduce(0, { $0 + $1.size }) <= 1 << 18 else { return 0 }
  var leaves = [Double](repeating: 0.75, count: layout.numInputs)
  for (l, leaf) in program.leaves.enumerated() {
    if let value = leaf.defaultValue, leaf.shape.isEmpty { leaves[layout.input(l)] = value }
  }
  if let evaluation = compilation.evaluate(leaves, into: &diagnostics) {
    _ = evaluation.json()
    // explain and graph on the first scalar output, as the commands do.
    if let output = program.outputs.first(where: { program.symbols[$0].shape.isEmpty }) {
      _ = Explanation(compilation, leaves: leaves, output: output)?.rendered(.text)
      _ = Graph.dot(compilation, leaves: leaves, output: output)
    }
  }
  _ = diagnostics.rendered(in: file)
  return 0
}
