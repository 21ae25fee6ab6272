// Trains Network.bp's parameters W1 and W2 by plain gradient descent,
// p ← p − rate·∂E/∂p, starting from the file's defaults, and checks the
// numbers against `backpropc train` on the same file (SPEC §5). `Network` is
// the type BackpropPlugin generates from Network.bp at build time.
import Foundation

let rate = 0.5
let steps = 10_000

var input = [Double](repeating: 0, count: Network.numInputs)
Network.fillDefaults(&input)
var output = [Double](repeating: 0, count: Network.numOutputs)
var gradient = [Double](repeating: 0, count: Network.numOutputs * Network.numInputs)

// The elements of `input` that training moves: those of the `param` leaves.
// W2, the second layer's weights.
let secondLayer = Network.leaves.first { $0.name == "W2" }!
let params = Network.leaves.filter { $0.name == "W1" || $0.name == "W2" }
  .flatMap { $0.offset..<$0.offset + $0.size }

var stepLoss = 0.0
var w5AfterOneStep = 0.0
for step in 1...steps {
  Network.gradient(input, &output, &gradient)  // E, and ∂E/∂(each input element)
  stepLoss = output[0]
  if step == 1 || step % 2_000 == 0 { print("step \(step): loss \(stepLoss)") }
  for i in params { input[i] -= rate * gradient[i] }
  if step == 1 { w5AfterOneStep = input[secondLayer.offset] }  // W2[0, 0], SPEC §4's w5
}
Network.forward(input, &output)
print("trained \(steps) steps; final loss \(output[0])")

/// Whether `value` is within 1e-12 (relative) of `reference`; prints both.
func agrees(_ name: String, _ value: Double, _ reference: Double) -> Bool {
  let ok = abs(value - reference) <= 1e-12 * abs(reference)
  print("\(name) \(value), expected \(reference)\(ok ? "" : ": MISMATCH")")
  return ok
}

// From `backpropc train Network.bp --lr 0.5 --steps 1 --json` (W2[0][0]) and
// `--steps 10000 --json` (the last `loss` entry, `final_loss`); SPEC §4, §5
// give them to 8 digits: 0.35891648, 3.5108548e-05, 3.5101878e-05.
let checks = [
  agrees("w5 after one step", w5AfterOneStep, 0.35891647971788465),
  agrees("loss in the last step", stepLoss, 3.510854812251263e-05),
  agrees("final loss", output[0], 3.510187782978859e-05),
]
exit(checks.allSatisfy { $0 } ? 0 : 1)
