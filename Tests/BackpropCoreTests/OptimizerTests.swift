import Foundation
import Testing

@testable import BackpropCore

/// The simplifier's output, asserted on the instructions themselves (Lua's
/// `testes/code.lua` style), and its IEEE care.
@Suite struct OptimizerTests {
  static func gradientProgram(_ source: String) throws -> Program {
    let (_, program) = try Compilation.valid(source)
    return Optimizer.optimize(program, keeping: .outputsAndLeafGradients)
  }

  static func named(_ name: String, in program: Program) -> Instruction? {
    program.straightLine.instructions.first { $0.name.map(program.displayName) == name }
  }

  /// The chain rule, not a tape: ∂C/∂B of `C = B^2` is `2 * B`.
  @Test func squareDifferentiatesToTwoTimesB() throws {
    let program = try Self.gradientProgram("A = x * y; B = A * z; C = B ^ 2")
    let dB = try #require(Self.named("dC_dB", in: program))
    #expect(dB.op == .mul)
    #expect(program.straightLine[dB.lhs].op == .constant(2))
    #expect(
      program.straightLine[dB.rhs].name == .variable(program.symbols.firstIndex { $0.name == "B" }!)
    )
    // No `0` and no `1` survive as operands anywhere.
    for instruction in program.straightLine.instructions {
      for operand in instruction.operands {
        #expect(program.straightLine[operand].op != .constant(0))
        #expect(program.straightLine[operand].op != .constant(1))
      }
    }
  }

  @Test func commonSubexpressionsAreComputedOnce() throws {
    let (_, program) = try Compilation.valid("A = sin(x) * y; B = sin(x) * y; C = A + B")
    let forward = Optimizer.optimize(program, keeping: .outputs)
    let sines = forward.straightLine.instructions.filter { $0.op == .call(.sin) }
    let products = forward.straightLine.instructions.filter { $0.op == .mul }
    #expect(sines.count == 1)
    #expect(products.count == 1)
  }

  @Test func constantsFoldAndDeadCodeGoes() throws {
    let (_, program) = try Compilation.valid("k = 2 * 3; unused = exp(x); y = k * x")
    let forward = Optimizer.optimize(program, keeping: .outputs)
    #expect(!forward.straightLine.instructions.contains { $0.op == .call(.exp) })
    let product = try #require(forward.straightLine.instructions.first { $0.op == .mul })
    #expect(forward.straightLine[product.lhs].op == .constant(6))
  }

  /// `x + 0 → x` is wrong for x = -0 and `x * 0 → 0` for ∞ and NaN: neither
  /// rewrite may happen; and 1/0 is computed, not folded.
  @Test func rewritesAreExactInIEEEArithmetic() throws {
    let (compilation, _) = try Compilation.valid("a = x + 0; b = x * 0; c = 1 / 0; output a, b, c")
    let negativeZero = try compilation.evaluation(["x": -0.0])
    #expect(negativeZero.value("a")?.sign == .plus)
    let infinite = try compilation.evaluation(["x": .infinity])
    #expect(infinite.value("b")?.isNaN == true)
    #expect(infinite.value("c") == .infinity)
  }

  @Test func negationsFoldIntoSubtraction() throws {
    let program = try Self.gradientProgram("y = a + -b; z = -(-a) - -b; output y, z")
    #expect(!program.straightLine.instructions.contains { $0.op == .neg })
    #expect(program.straightLine.instructions.contains { $0.op == .sub })
  }

  /// Generated names come from the source, and temporaries from their statement.
  @Test func temporariesAreNamedAfterTheirStatement() throws {
    let (compilation, program) = try Compilation.valid("E = 0.5 * (t - o)^2")
    let c = CEmitter.emit(
      EmitRequest(optimizing: program, file: compilation.file, prefix: "m"), headerName: nil
    ).source
    #expect(c.contains("const double E_1 = t - o;"))
    #expect(c.contains("const double E = 0.5 * (E_1 * E_1);"))
    #expect(!c.contains(" t1") && !c.contains("tmp"))
  }

  /// Source names that are keywords or library names in a target language
  /// are renamed so the generated code still compiles.
  @Test func reservedNamesAreRenamed() throws {
    let (compilation, program) = try Compilation.valid("in = 1; exp = 2; y = in * exp + exp(in)")
    let request = EmitRequest(optimizing: program, file: compilation.file, prefix: "m")
    let c = CEmitter.emit(request, headerName: nil).source
    #expect(c.contains("const double in_ = in[0];"))
    #expect(c.contains("const double exp_ = in[1];"))
    let swift = SwiftEmitter.emit(request)
    #expect(swift.contains("let in_ = input[0]"))
  }
}

/// Every pass walks the program's instructions, a million for a 10⁵-statement
/// program: each is 48 bytes (role and name in 32-bit words), a role and a
/// name still read back as set.
@Test func instructionsAreCompactAndKeepTheirRoleAndName() {
  #expect(MemoryLayout<Instruction>.stride == 48)
  var i = Instruction(
    op: .add, lhs: ValueID(0), rhs: ValueID(1), range: SourceRange(0, 0), owner: 3, role: .forward,
    name: nil)
  #expect(i.role == .forward && i.name == nil)
  i.role = .adjoint(output: 7)
  i.name = .adjoint(output: 7, of: 2)
  #expect(i.role == .adjoint(output: 7) && i.name == .adjoint(output: 7, of: 2))
  i.name = .variable(0)
  #expect(i.name == .variable(0) && i.role == .adjoint(output: 7))
}
