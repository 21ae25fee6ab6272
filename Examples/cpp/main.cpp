// The 2-2-2 network of samples/mazur_array.bp from C++17, through the C that
// backpropc generates: the gradient at the defaults, one gradient-descent
// step, and a check of both against the tutorial's numbers (SPEC §4, §6).
// check.sh builds and runs it; exit 1 on a mismatch.
#include "mazur_array.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kInputs = MAZUR_ARRAY_NUM_INPUTS;

// The layout table's entry for a leaf, found by name.
const mazur_array_variable &leaf(const char *name) {
    for (int v = 0; v < mazur_array_num_leaves; v++) {
        if (std::strcmp(mazur_array_leaves[v].name, name) == 0) return mazur_array_leaves[v];
    }
    std::fprintf(stderr, "no leaf %s\n", name);
    std::exit(2);
}

std::string shape(const mazur_array_variable &v) {
    std::string s;
    for (int d = 0; d < v.rank; d++) s += (d ? ", " : "[") + std::to_string(v.shape[d]);
    return v.rank ? s + "]" : "scalar";
}

int failures = 0;

// The reference numbers are rounded; a value matches when it is within one
// unit of the last digit shown, as the samples' `# expect: E ≈ …` lines mean.
void expect(const char *what, double actual, const char *shown) {
    const char *dot = std::strchr(shown, '.');
    const int decimals = dot ? static_cast<int>(std::strlen(dot + 1)) : 0;
    const bool ok = std::fabs(actual - std::strtod(shown, nullptr)) <= std::pow(10.0, -decimals);
    std::printf("%-4s %-14s = %.17g (expected %s)\n", ok ? "ok" : "FAIL", what, actual, shown);
    if (!ok) failures++;
}

}  // namespace

int main() {
    std::vector<double> in(kInputs), out(MAZUR_ARRAY_NUM_OUTPUTS);
    std::vector<double> grad(MAZUR_ARRAY_NUM_OUTPUTS * kInputs);
    std::vector<double> work(MAZUR_ARRAY_WORK_SIZE);
    mazur_array_fill_defaults(in.data());

    std::printf("leaves:");
    for (int v = 0; v < mazur_array_num_leaves; v++) {
        const mazur_array_variable &l = mazur_array_leaves[v];
        std::printf(" %s %s at %d;", l.name, shape(l).c_str(), l.offset);
    }
    std::printf("\n");

    // grad[o * NUM_INPUTS + i] = d out[o] / d in[i]: E's row starts at
    // OFFSET_E * NUM_INPUTS, and W2[k][j] is input OFFSET_W2 + k * 2 + j.
    mazur_array_gradient(in.data(), out.data(), grad.data());
    const double *dE = &grad[MAZUR_ARRAY_OFFSET_E * kInputs];
    const double *dE_dW1 = dE + MAZUR_ARRAY_OFFSET_W1;
    const double *dE_dW2 = dE + MAZUR_ARRAY_OFFSET_W2;
    const int columns = leaf("W2").shape[1];
    // The tutorial's numbers (seeds/003), as SPEC §4 and §6 give them.
    expect("E", out[MAZUR_ARRAY_OFFSET_E], "0.298371109");
    expect("dE/dW2[0,0]", dE_dW2[0 * columns + 0], "0.082167041");
    expect("dE/dW2[0,1]", dE_dW2[0 * columns + 1], "0.082667628");
    expect("dE/dW2[1,0]", dE_dW2[1 * columns + 0], "-0.022602540");
    expect("dE/dW2[1,1]", dE_dW2[1 * columns + 1], "-0.022740242");

    // One step of gradient descent at rate 0.5 on the params W1 and W2 (the
    // C layout does not mark params; this program knows them by name).
    const double rate = 0.5;
    for (int e = 0; e < MAZUR_ARRAY_SIZE_W1; e++) in[MAZUR_ARRAY_OFFSET_W1 + e] -= rate * dE_dW1[e];
    for (int e = 0; e < MAZUR_ARRAY_SIZE_W2; e++) in[MAZUR_ARRAY_OFFSET_W2 + e] -= rate * dE_dW2[e];
    const double *W1 = &in[MAZUR_ARRAY_OFFSET_W1];
    const double *W2 = &in[MAZUR_ARRAY_OFFSET_W2];
    expect("W2[0,0]", W2[0], "0.35891648");
    expect("W2[0,1]", W2[1], "0.408666186");
    expect("W2[1,0]", W2[2], "0.511301270");
    expect("W2[1,1]", W2[3], "0.561370121");
    expect("W1[0,0]", W1[0], "0.149780716");
    // The loss at the new weights (SPEC §5: train's final_loss after one
    // step), through the form that takes work memory.
    mazur_array_forward_work(in.data(), out.data(), work.data());
    expect("E after step", out[MAZUR_ARRAY_OFFSET_E], "0.29102777");

    if (failures) {
        std::printf("cpp example: %d mismatch(es)\n", failures);
        return 1;
    }
    std::printf("cpp example: ok\n");
    return 0;
}
