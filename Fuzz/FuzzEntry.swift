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
  let request = EmitRequest(program: program, file: file, prefix: "fuzz")
  _ = CEmitter.emit(request, headerName: "fuzz.h")
  _ = SwiftEmitter.emit(request)
  var diagnostics = DiagnosticList()
  let leaves = program.leaves.map { $0.defaultValue ?? 0.75 }
  if let evaluation = compilation.evaluate(leaves, into: &diagnostics) {
    _ = evaluation.json()
  }
  _ = diagnostics.rendered(in: file)
  return 0
}
