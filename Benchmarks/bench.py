#!/usr/bin/env python3
"""backpropc's benchmark: compiler speed, generated C and Swift speed, Swift's
own automatic differentiation, and the interpreter. Run through Scripts/bench.sh;
prints the tables and writes BENCHMARKS.md.

Every time is a median over repeats within this one run; compare ratios, not
absolute numbers, across machines.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build-bench")
BIN = os.path.join(ROOT, ".build", "release")
QUICK = os.environ.get("BENCH_QUICK") == "1"
SIZES = [1000, 10000, 100000] if QUICK else [1000, 10000, 100000, 1000000]
RUNTIME = ["mazur", "mlp", "chain-1000", "dag-2000"]
AD_TIMEOUT = 120


def run(cmd, cwd=WORK, timeout=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=True).stdout


def fields(line):
    return {k: v for k, v in re.findall(r"(\w+)=([^\s]+)", line)}


def timed(cmd, cwd=WORK, timeout=None):
    start = time.monotonic()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True, timeout=timeout)
    return time.monotonic() - start


def prefix(model):
    return re.sub(r"[^A-Za-z0-9_]", "_", model).lower()


def camel(model):
    return "".join(p[:1].upper() + p[1:] for p in prefix(model).split("_") if p)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    swift = run(["swift", "--version"], cwd=ROOT).splitlines()[0]
    cc = run(["cc", "--version"], cwd=ROOT).splitlines()[0]
    return "%s, %d cores, %s; %s; %s" % (cpu, os.cpu_count(), platform.platform(), swift, cc)


# 1. Compiler speed ---------------------------------------------------------

def compiler_speed():
    rows = []
    for kind in ["chain", "dag"]:
        for n in SIZES:
            path = os.path.join(WORK, "%s-%d.bp" % (kind, n))
            repeats = "1" if n >= 1000000 else "3"
            f = fields(run([os.path.join(BIN, "backpropc-bench"), "compile", path, repeats]))
            rows.append(("%s-%d" % (kind, n), f))
            print("compile %-14s %s" % ("%s-%d" % (kind, n), " ".join("%s=%s" % kv for kv in f.items())), flush=True)
    return rows


# 2./4. Generated C and Swift --------------------------------------------------

C_DRIVER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "%(p)s.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double in[%(N)s_NUM_INPUTS + 1], out[%(N)s_NUM_OUTPUTS], grad[%(N)s_NUM_OUTPUTS * %(N)s_NUM_INPUTS + 1];
static volatile double sink;

static double measure(int gradient, long n)
{
    double start = now();
    for (long k = 0; k < n; k++) {
        if (gradient) %(p)s_gradient(in, out, grad); else %(p)s_forward(in, out);
        sink += out[0];
    }
    return (now() - start) / n * 1e9;
}

int main(void)
{
    for (int i = 0; i < %(N)s_NUM_INPUTS; i++) in[i] = %(p)s_default_inputs[i];
    for (int g = 0; g < 2; g++) {
        long n = 1;
        while (measure(g, n) * n < 2e7) n *= 2;   /* about 20 ms a repeat */
        double best[9];
        for (int r = 0; r < 9; r++) best[r] = measure(g, n);
        for (int i = 0; i < 9; i++) for (int j = i + 1; j < 9; j++) if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
        printf("%%s=%%.1f ", g ? "gradient_ns" : "forward_ns", best[4]);
    }
    printf("\n");
    return 0;
}
"""

SWIFT_DRIVER = r"""
import Foundation
import _Differentiation

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
var sink = 0.0
func median(_ body: (Int) -> Void) -> Double {
    var n = 1
    while true {
        let start = now(); body(n)
        if (now() - start) > 0.02 { break }
        n *= 2
    }
    var times: [Double] = []
    for _ in 0..<9 { let start = now(); body(n); times.append((now() - start) / Double(n) * 1e9) }
    return times.sorted()[4]
}
let input = %(T)s.defaultInputs
var output = [Double](repeating: 0, count: %(T)s.outputNames.count)
var grad = [Double](repeating: 0, count: %(T)s.outputNames.count * input.count)
let forward = median { n in for _ in 0..<n { %(T)s.forward(input, &output); sink += output[0] } }
let backward = median { n in for _ in 0..<n { %(T)s.gradient(input, &output, &grad); sink += output[0] } }
%(AD)s
print("swift_forward_ns=\(forward) swift_gradient_ns=\(backward) \(adResult) sink=\(sink.isNaN ? 0 : 1)")
"""

AD_MEASURE = r"""
let adForward = median { n in for _ in 0..<n { sink += adModel(input) } }
let adGradient = median { n in for _ in 0..<n { sink += _Differentiation.gradient(at: input, of: adModel)[0] } }
let adResult = "ad_forward_ns=\(adForward) ad_gradient_ns=\(adGradient)"
"""


def swift_ad_source(model):
    """Swift's own AD on the same function: the generated forward body (of the
    program printed whole), made a @differentiable(reverse) function of an array."""
    text = open(os.path.join(WORK, "whole", "%s.swift" % model)).read()
    body = re.search(r"public static func forward\(_ input: UnsafeBufferPointer<Double>, _ output: UnsafeMutableBufferPointer<Double>\) \{\n(.*?)\n    \}\n", text, re.S).group(1)
    body = re.sub(r"output\[0\] = (.*)", r"return \1", body)
    lines = [l for l in body.splitlines() if not re.match(r"\s*output\[\d+\]", l)]
    body = "\n".join(lines).replace("input[", "p[")
    helpers = re.findall(r"(    private static func \w+\(.*?\n    \})", text, re.S)
    helper_text = "\n".join("@differentiable(reverse)\n" + h.replace("    private static func", "func").replace("\n    ", "\n") for h in helpers)
    return "import _Differentiation\nimport Foundation\n\n%s\n\n@differentiable(reverse)\nfunc adModel(_ p: [Double]) -> Double {\n%s\n}\n" % (helper_text, body)


def runtime():
    rows = {}
    for model in RUNTIME:
        src = os.path.join(ROOT, "samples", "mazur.bp") if model == "mazur" else os.path.join(WORK, model + ".bp")
        p = prefix(model)
        row = {}
        run([os.path.join(BIN, "backpropc"), src, "-o", "%s.c" % p, "--name", p])
        with open(os.path.join(WORK, "%s_main.c" % p), "w") as f:
            f.write(C_DRIVER % {"p": p, "N": p.upper()})
        row["cc_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % p, "-o", "%s.o" % p])
        run(["cc", "-std=c99", "-O2", "%s_main.c" % p, "%s.o" % p, "-lm", "-o", "%s_c" % p])
        row.update({k: float(v) for k, v in fields(run(["./%s_c" % p])).items()})
        # The same C printed as one function per entry point (no split), for
        # the cost of splitting at run time and its saving in cc.
        whole = os.path.join(WORK, "whole")
        os.makedirs(whole, exist_ok=True)
        run([os.path.join(BIN, "backpropc"), src, "-o", "%s.c" % p, "--name", p, "--max-function-size", "1000000000"], cwd=whole)
        with open(os.path.join(whole, "%s_main.c" % p), "w") as f:
            f.write(C_DRIVER % {"p": p, "N": p.upper()})
        row["whole_cc_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % p, "-o", "%s.o" % p], cwd=whole)
        run(["cc", "-std=c99", "-O2", "%s_main.c" % p, "%s.o" % p, "-lm", "-o", "%s_c" % p], cwd=whole)
        row.update({"whole_" + k: float(v) for k, v in fields(run(["./%s_c" % p], cwd=whole)).items()})
        row.update({k: float(v) for k, v in fields(run(["./%s_c" % p])).items()})

        run([os.path.join(BIN, "backpropc"), src, "-o", "%s.swift" % model, "--name", p])
        # Swift AD differentiates the forward function written whole.
        run([os.path.join(BIN, "backpropc"), src, "-o", "%s.swift" % model, "--name", p, "--max-function-size", "1000000000"], cwd=whole)
        ad_ok = model != "mlp"   # Swift AD on the mlp: swiftc did not finish in 300 s (PEERS §5)
        if ad_ok:
            with open(os.path.join(WORK, "%s_ad.swift" % p), "w") as f:
                f.write(swift_ad_source(model))
        with open(os.path.join(WORK, "main.swift"), "w") as f:
            f.write(SWIFT_DRIVER % {"T": camel(model), "AD": AD_MEASURE if ad_ok else 'let adResult = ""'})
        files = ["main.swift", "%s.swift" % model] + (["%s_ad.swift" % p] if ad_ok else [])
        # Our Swift alone (the timing below builds the Swift AD model too), split and whole.
        row["swiftc_own_s"] = timed(["swiftc", "-O", "-parse-as-library", "-module-name", camel(model),
                                     "-c", "%s.swift" % model, "-o", "%s_own.o" % p], timeout=600)
        try:
            row["whole_swiftc_own_s"] = timed(["swiftc", "-O", "-parse-as-library", "-module-name", camel(model),
                                               "-c", "%s.swift" % model, "-o", "%s_own.o" % p], cwd=whole, timeout=600)
        except subprocess.TimeoutExpired:
            row["whole_swiftc_own_s"] = float("nan")
        try:
            row["swiftc_s"] = timed(["swiftc", "-O", "-o", "%s_swift" % p] + files, timeout=600)
            row.update({k: float(v) for k, v in fields(run(["./%s_swift" % p])).items()})
        except subprocess.TimeoutExpired:
            row["swiftc_s"] = float("nan")
        row["interp_per_s"] = float(fields(run([os.path.join(BIN, "backpropc-bench"), "interpret", src, "1"]))["gradient_per_s"])
        rows[model] = row
        print("runtime %-12s %s" % (model, " ".join("%s=%.4g" % kv for kv in row.items())), flush=True)
    return rows


# 6. Arrays (SPEC §6) ----------------------------------------------------------

ARRAY_C_DRIVER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "%(p)s.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double *in, *out, *grad, *work;
static volatile double sink;

static double measure(int gradient, long n)
{
    double start = now();
    for (long k = 0; k < n; k++) {
        if (gradient) %(p)s_gradient_work(in, out, grad, work); else %(p)s_forward_work(in, out, work);
        sink += out[0];
    }
    return (now() - start) / n * 1e9;
}

int main(void)
{
    in = calloc(%(N)s_NUM_INPUTS, sizeof(double));
    out = calloc(%(N)s_NUM_OUTPUTS, sizeof(double));
    grad = calloc((size_t)%(N)s_NUM_OUTPUTS * %(N)s_NUM_INPUTS, sizeof(double));
    work = calloc(%(N)s_WORK_SIZE, sizeof(double));
    %(p)s_fill_defaults(in);
    for (int g = 0; g < 2; g++) {
        long n = 1;
        while (measure(g, n) * n < 2e7) n *= 2;   /* about 20 ms a repeat */
        double best[9];
        for (int r = 0; r < 9; r++) best[r] = measure(g, n);
        for (int i = 0; i < 9; i++) for (int j = i + 1; j < 9; j++) if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
        printf("%%s=%%.1f ", g ? "gradient_ns" : "forward_ns", best[4]);
    }
    printf("\n");
    return 0;
}
"""

ARRAY_SWIFT_DRIVER = r"""
var input = [Double](repeating: 0, count: %(T)s.numInputs)
%(T)s.fillDefaults(&input)
var output = [Double](repeating: 0, count: %(T)s.numOutputs)
var gradient = [Double](repeating: 0, count: %(T)s.numOutputs * %(T)s.numInputs)
var work = [Double](repeating: 0, count: %(T)s.workSize)
%(T)s.gradient(input, &output, &gradient, work: &work)
print(output[0])
"""


def dense_bp(n):
    return ("# dense-%d: one %dx%d linear layer, E = sum of half squares\n"
            "input x[%d] = 0.25\nparam W[%d, %d] = xavier\n"
            "y[j] = sum(i, W[j, i] * x[i])\nE = sum(j, 0.5 * y[j]^2)\n") % (n, n, n, n, n, n)


def logsumexp_bp(n):
    return ("# logsumexp-%d: L = logsumexp(z) - t.z\n"
            "param z[%d] = uniform(-4, 4)\ninput t[%d] = %r\n"
            "L = logsumexp(i, z[i]) - sum(i, t[i] * z[i])\n") % (n, n, n, 1.0 / n)


def layer_bp(n):
    return ("# layer-%d: the same program at any extent, fill and initialiser defaults\n"
            "input x[%d] = 0.5\nparam W[%d, %d] = xavier, b[%d] = 0\n"
            "h[j] = tanh(sum(i, W[j, i] * x[i]) + b[j])\nL = sum(j, h[j]^2)\n") % (n, n, n, n, n)


ARRAY_MODELS = [
    ("mlp (index form)", os.path.join(ROOT, "samples", "mlp.bp"), None),
    ("dense-256", "dense-256.bp", dense_bp(256)),
    ("logsumexp-100000", "logsumexp-100000.bp", logsumexp_bp(100000)),
    ("layer-4", "layer-4.bp", layer_bp(4)),
    ("layer-4000", "layer-4000.bp", layer_bp(4000)),
]


def arrays():
    rows = {}
    for model, path, text in ARRAY_MODELS:
        if text is not None:
            path = os.path.join(WORK, path)
            with open(path, "w") as f:
                f.write(text)
        p = "arr_" + prefix(os.path.basename(path)[:-3])
        row = {}
        run([os.path.join(BIN, "backpropc"), path, "-o", "%s.c" % p, "--name", p])
        row["c_kb"] = os.path.getsize(os.path.join(WORK, "%s.c" % p)) / 1024
        row["cc_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % p, "-o", "%s.o" % p])
        with open(os.path.join(WORK, "%s_main.c" % p), "w") as f:
            f.write(ARRAY_C_DRIVER % {"p": p, "N": p.upper()})
        run(["cc", "-std=c99", "-O2", "%s_main.c" % p, "%s.o" % p, "-lm", "-o", "%s_c" % p])
        row.update({k: float(v) for k, v in fields(run(["./%s_c" % p])).items()})
        if model.startswith("mlp"):
            t = camel(p)
            run([os.path.join(BIN, "backpropc"), path, "-o", "%s.swift" % t, "--name", p])
            with open(os.path.join(WORK, "main.swift"), "w") as f:
                f.write(ARRAY_SWIFT_DRIVER % {"T": t})
            row["swiftc_s"] = timed(["swiftc", "-O", "-o", "%s_swift" % p, "main.swift", "%s.swift" % t], timeout=600)
        if model == "dense-256":
            row["gflops"] = 2 * 256 * 256 / row["forward_ns"]
        rows[model] = row
        print("arrays  %-18s %s" % (model, " ".join("%s=%.4g" % kv for kv in row.items())), flush=True)
    return rows


WINDOWS_SECTION = "## 8. Windows (SPEC §7): a convolution against NumPy"


def conv_bp(n, w):
    return ("# conv-%d-%d: a window of %d weights over a signal of %d samples (SPEC §7)\n"
            "input s[%d] = 0.25\nparam w[%d] = xavier\n"
            "y[i] = sum(k, w[k] * s[i + k])\nE = 0.5 * sum(i, y[i]^2)\n") % (n, w, w, n, n, w)


NUMPY_CONV = r"""
import sys, time
import numpy as np
n, w = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
s = np.full(n, 0.25)
k = rng.uniform(-1, 1, w)
def forward():
    y = np.convolve(s, k[::-1], 'valid')   # y[i] = sum_k w[k] s[i + k]
    return 0.5 * np.dot(y, y)
def best(f):
    reps = 1
    while True:
        t = time.perf_counter(); [f() for _ in range(reps)]; t = time.perf_counter() - t
        if t > 0.02: break
        reps *= 2
    times = []
    for _ in range(9):
        t = time.perf_counter(); [f() for _ in range(reps)]; times.append((time.perf_counter() - t) / reps)
    return sorted(times)[4] * 1e9
print("numpy_forward_ns=%.1f" % best(forward))
"""


def windows():
    """The convolution of the issue: signal 10^5, window 16, our C against
    NumPy's np.convolve(..., 'valid') in one run; and the same program over
    a signal of 10^3, whose source must be the same size."""
    rows = {}
    for n, w in [(1000, 16), (100000, 16)]:
        model = "conv-%d-%d" % (n, w)
        path = os.path.join(WORK, model + ".bp")
        with open(path, "w") as f:
            f.write(conv_bp(n, w))
        p = "arr_" + prefix(model)
        run([os.path.join(BIN, "backpropc"), path, "-o", "%s.c" % p, "--name", p])
        row = {"c_kb": os.path.getsize(os.path.join(WORK, "%s.c" % p)) / 1024}
        row["cc_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % p, "-o", "%s.o" % p])
        with open(os.path.join(WORK, "%s_main.c" % p), "w") as f:
            f.write(ARRAY_C_DRIVER % {"p": p, "N": p.upper()})
        run(["cc", "-std=c99", "-O2", "%s_main.c" % p, "%s.o" % p, "-lm", "-o", "%s_c" % p])
        row.update({k: float(v) for k, v in fields(run(["./%s_c" % p])).items()})
        with open(os.path.join(WORK, "numpy_conv.py"), "w") as f:
            f.write(NUMPY_CONV)
        row.update({k: float(v) for k, v in fields(
            run([sys.executable, "numpy_conv.py", str(n), str(w)])).items()})
        rows[model] = row
        print("windows %-18s %s" % (model, " ".join("%s=%.4g" % kv for kv in row.items())), flush=True)
    return rows


def windows_report(rows):
    out = ["", WINDOWS_SECTION, "",
           "`y[i] = sum(k, w[k] * s[i + k])`, `E = 0.5 * sum(i, y[i]^2)`: our C through the `_work`",
           "entry points, `cc -O2`; NumPy computes the same forward with",
           "`np.convolve(s, w[::-1], 'valid')` and a dot product. Medians of 9 repeats, one run.",
           "Run on %s." % machine(), "",
           "| model | C KB | cc s | C fwd ns | C grad ns | **grad/fwd** | NumPy fwd ns | **C fwd / NumPy** |",
           "|---|---|---|---|---|---|---|---|"]
    for model, r in rows.items():
        out.append("| %s | %s | %s | %s | %s | **%s** | %s | **%s** |" % (
            model, fmt(r["c_kb"]), fmt(r["cc_s"]), fmt(r["forward_ns"]), fmt(r["gradient_ns"]),
            fmt(r["gradient_ns"] / r["forward_ns"]), fmt(r["numpy_forward_ns"]),
            fmt(r["forward_ns"] / r["numpy_forward_ns"])))
    small, large = rows["conv-1000-16"], rows["conv-100000-16"]
    out += ["", "Targets (issue 22): the forward within 2x of NumPy's, the gradient at most 3x the",
            "forward, and the source independent of the signal's length (this run: %s KB and %s KB)." % (
                fmt(small["c_kb"]), fmt(large["c_kb"]))]
    return "\n".join(out) + "\n"


SECOND_SECTION = "## 9. Second order (SPEC §8): jvp, vjp and Hessian-vector products"

SECOND_C_DRIVER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "%(p)s.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double *in, *out, *grad, *work, *v, *w, *jv, *vjp, *hv;
static volatile double sink;

static double measure(int f, long n)
{
    double start = now();
    for (long k = 0; k < n; k++) {
        switch (f) {
        case 0: %(p)s_forward_work(in, out, work); break;
        case 1: %(p)s_gradient_work(in, out, grad, work); break;
        case 2: %(p)s_jvp_work(in, v, out, jv, work); break;
        case 3: %(p)s_vjp_work(in, w, out, vjp, work); break;
        default: %(p)s_hvp_work(in, w, v, out, vjp, hv, work); break;
        }
        sink += out[0];
    }
    return (now() - start) / n * 1e9;
}

int main(void)
{
    static const char *names[] = {"forward_ns", "gradient_ns", "jvp_ns", "vjp_ns", "hvp_ns"};
    in = calloc(%(N)s_NUM_INPUTS, sizeof(double));
    v = calloc(%(N)s_NUM_INPUTS, sizeof(double));
    vjp = calloc(%(N)s_NUM_INPUTS, sizeof(double));
    hv = calloc(%(N)s_NUM_INPUTS, sizeof(double));
    out = calloc(%(N)s_NUM_OUTPUTS, sizeof(double));
    w = calloc(%(N)s_NUM_OUTPUTS, sizeof(double));
    jv = calloc(%(N)s_NUM_OUTPUTS, sizeof(double));
    grad = calloc((size_t)%(N)s_NUM_OUTPUTS * %(N)s_NUM_INPUTS, sizeof(double));
    work = calloc(%(N)s_WORK_SIZE, sizeof(double));
    %(p)s_fill_defaults(in);
    for (int i = 0; i < %(N)s_NUM_INPUTS; i++) v[i] = 0.01 * (i %% 7 - 3);
    for (int o = 0; o < %(N)s_NUM_OUTPUTS; o++) w[o] = 1;
    for (int f = 0; f < 5; f++) {
        long n = 1;
        while (measure(f, n) * n < 2e7) n *= 2;   /* about 20 ms a repeat */
        double best[9];
        for (int r = 0; r < 9; r++) best[r] = measure(f, n);
        for (int i = 0; i < 9; i++) for (int j = i + 1; j < 9; j++) if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
        printf("%%s=%%.1f ", names[f], best[4]);
    }
    printf("\n");
    return 0;
}
"""


def function_bytes(source, prefix_, name):
    """Bytes of an entry point's definitions in generated C: the body, its
    parts, and its forms, everything named `prefix_name...(`."""
    total = 0
    for m in re.finditer(r"^(?:BP_NOIPA |BP_PART )?(?:static )?void (\w+)\((?:.|\n)*?\n\}\n", source, re.M):
        function = m.group(1)
        base = re.sub(r"(_part\d+)?(_work)?$", "", function)
        if base == "%s_%s" % (prefix_, name):
            total += len(m.group(0))
    return total


def second_order():
    """jvp, vjp and hvp of the bench mlp (unrolled scalars, as CasADi's
    frontier/cas_hvp.py builds it) and of the index-form mlp, against the
    forward and the gradient of the same file, same run."""
    rows = {}
    models = [("mlp", os.path.join(WORK, "mlp.bp")),
              ("mlp-index", os.path.join(ROOT, "samples", "mlp.bp"))]
    for model, path in models:
        p = "so_" + prefix(model)
        run([os.path.join(BIN, "backpropc"), path, "-o", "%s.c" % p, "--name", p, "--with", "jvp,vjp,hvp"])
        with open(os.path.join(WORK, "%s.c" % p)) as f:
            source = f.read()
        row = {"c_kb": len(source) / 1024}
        for name in ["gradient", "hvp"]:
            row[name + "_kb"] = function_bytes(source, p, name) / 1024
        row["cc_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % p, "-o", "%s.o" % p])
        plain = "so_plain_" + prefix(model)
        run([os.path.join(BIN, "backpropc"), path, "-o", "%s.c" % plain, "--name", plain])
        row["cc_plain_s"] = timed(["cc", "-std=c99", "-O2", "-c", "%s.c" % plain, "-o", "%s.o" % plain])
        with open(os.path.join(WORK, "%s_main.c" % p), "w") as f:
            f.write(SECOND_C_DRIVER % {"p": p, "N": p.upper()})
        run(["cc", "-std=c99", "-O2", "%s_main.c" % p, "%s.o" % p, "-lm", "-o", "%s_c" % p])
        row.update({k: float(v) for k, v in fields(run(["./%s_c" % p])).items()})
        rows[model] = row
        print("second  %-12s %s" % (model, " ".join("%s=%.4g" % kv for kv in row.items())), flush=True)
    return rows


def second_report(rows, peers):
    out = ["", SECOND_SECTION, "",
           "`--with jvp,vjp,hvp`, our C through the `_work` entry points, `cc -O2`; medians of 9",
           "repeats, one run. `mlp` is the bench's unrolled 16-32-32-1 network (1,650 scalar leaves, the",
           "model of `../shared/bench/frontier/cas_hvp.py`); `mlp-index` is `samples/mlp.bp`, the same",
           "network in index notation. C KB is the whole file; `gradient`/`hvp` KB count each entry",
           "point's definitions (body, parts, forms); cc s compiles the whole file, and without `--with`.",
           "Run on %s." % machine(), "",
           "| model | C KB | gradient KB | hvp KB | **hvp/grad size** | cc s (plain) | fwd ns | grad ns | jvp ns | vjp ns | hvp ns | **jvp/fwd** | **hvp/grad** |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, r in rows.items():
        out.append("| %s | %s | %s | %s | **%s** | %s (%s) | %s | %s | %s | %s | %s | **%s** | **%s** |" % (
            model, fmt(r["c_kb"]), fmt(r["gradient_kb"]), fmt(r["hvp_kb"]),
            fmt(r["hvp_kb"] / r["gradient_kb"]), fmt(r["cc_s"]), fmt(r["cc_plain_s"]),
            fmt(r["forward_ns"]), fmt(r["gradient_ns"]), fmt(r["jvp_ns"]), fmt(r["vjp_ns"]),
            fmt(r["hvp_ns"]), fmt(r["jvp_ns"] / r["forward_ns"]), fmt(r["hvp_ns"] / r["gradient_ns"])))
    out += ["", "Targets (issue 23): HVP at most 3x the gradient (CasADi's C: 2.6-3.1x; JAX 1.1-2.2x),",
            "the HVP's C at most 2.5x the gradient's and compiled in at most 2 s (CasADi's HVP C:",
            "734 KB, 54-108 s), jvp at most 1.5x the forward."]
    if peers:
        out += ["", "Peers in the same run (`../shared/bench/frontier/cas_hvp.py`, `jax_hvp.py`, the peer venv):", "",
                "```"] + peers + ["```"]
    else:
        out += ["", "Peers: CasADi and JAX were not installed in `.build/peer-venv` for this run; the",
                "figures above are FRONTIER.md's, measured on this machine."]
    return "\n".join(out) + "\n"


def second_peers():
    """CasADi's and JAX's HVP against their gradients, when the peer venv has them."""
    python = os.path.join(ROOT, ".build", "peer-venv", "bin", "python")
    frontier = os.path.join(os.path.dirname(ROOT), "shared", "bench", "frontier")
    lines = []
    for script in ["cas_hvp.py", "jax_hvp.py"]:
        if not os.path.exists(python):
            break
        try:
            text = run([python, script], cwd=frontier if os.access(frontier, os.W_OK) else WORK, timeout=1800)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            text = "%s failed: %s" % (script, str(e)[:200])
        lines += ["# " + script] + [l for l in text.splitlines() if l.strip()]
    return lines


def fmt(x, digits=3):
    if x != x:
        return "—"
    return ("%." + str(digits) + "g") % x


def report(compile_rows, runtime_rows):
    out = ["# Benchmarks", "",
           "Written by `Scripts/bench.sh` (do not edit by hand). Machine: " + machine() + ".",
           "Date: %s. Medians of repeats within this one run; the machine is shared and noisy," % time.strftime("%Y-%m-%d"),
           "so compare the ratios.", "",
           "## 1. Compiler speed (release build, `backpropc-bench compile`)", "",
           "Seconds per phase, parse through C emission; `optimize` is simplification and CSE",
           "once plus dead-code elimination for the forward and the gradient function.", "",
           "| model | statements | parse | check | lower | differentiate | optimize | emit C | **total s** | peak MB |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, f in compile_rows:
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | **%s** | %s |" % (
            name, f["statements"], f["parse"], f["check"], f["lower"], f["differentiate"], f["optimize"], f["emit_c"], f["total"], f["peak_mb"]))
    out += ["", "Targets: 10⁵ statements under 1 s, 10⁶ under 10 s, linear growth.", "",
            "## 2.–5. Generated code and the interpreter", "",
            "ns per call (median of 9 repeats of about 20 ms). C: `cc -O2`; Swift: `swiftc -O`;",
            "Swift AD: `import _Differentiation`, `@differentiable(reverse)` on the same straight-line",
            "function, `gradient(at:of:)`. Interpreter: gradient evaluations per second of the same",
            "optimised program; interp/C is how many times longer it takes than the compiled C.", "",
            "| model | C fwd ns | C grad ns | **C grad/fwd** | cc s | Swift grad ns | **Swift/C** | swiftc s | Swift AD grad ns | **AD/ours** | interp grad/s | **interp/C** |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, r in runtime_rows.items():
        c_f, c_g = r.get("forward_ns", float("nan")), r.get("gradient_ns", float("nan"))
        out.append("| %s | %s | %s | **%s** | %s | %s | **%s** | %s | %s | **%s** | %s | **%s** |" % (
            model, fmt(c_f), fmt(c_g), fmt(c_g / c_f), fmt(r["cc_s"], 2),
            fmt(r.get("swift_gradient_ns", float("nan"))), fmt(r.get("swift_gradient_ns", float("nan")) / c_g),
            fmt(r["swiftc_s"], 2), fmt(r.get("ad_gradient_ns", float("nan"))),
            fmt(r.get("ad_gradient_ns", float("nan")) / r.get("swift_gradient_ns", float("nan"))),
            fmt(r["interp_per_s"]), fmt(1e9 / c_g / r["interp_per_s"])))
    out += ["", "Targets: C gradient at most 3× its forward; our Swift faster than Swift AD;",
            "Swift within 1.5× of C; the interpreter within 20× of compiled C.",
            "Swift AD on `mlp` is not measured: `swiftc` did not finish it in 300 s (PEERS §5).", "",
            "### Split functions (`--max-function-size`, default 200)", "",
            "The C above is split into parts of at most 200 statements where a function is longer",
            "(mazur is not); `whole` is the same program printed as one function per entry point",
            "(`--max-function-size 1000000000`), compiled and timed in the same run, split then",
            "whole then split again (the C grad ns above is the second split run).", "",
            "`swiftc` here is `swiftc -O -c` of our Swift file alone (`swiftc s` above also builds",
            "the driver and the Swift AD model, which differentiates the whole forward function).", "",
            "| model | cc s split | cc s whole | **cc whole/split** | swiftc s split | swiftc s whole | **swiftc whole/split** | C grad ns split | C grad ns whole | **split/whole** |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for model, r in runtime_rows.items():
        c_g, w_g = r.get("gradient_ns", float("nan")), r.get("whole_gradient_ns", float("nan"))
        s_own, w_own = r.get("swiftc_own_s", float("nan")), r.get("whole_swiftc_own_s", float("nan"))
        out.append("| %s | %s | %s | **%s** | %s | %s | **%s** | %s | %s | **%s** |" % (
            model, fmt(r["cc_s"], 2), fmt(r.get("whole_cc_s", float("nan")), 2),
            fmt(r.get("whole_cc_s", float("nan")) / r["cc_s"]), fmt(s_own, 2), fmt(w_own, 2), fmt(w_own / s_own),
            fmt(c_g), fmt(w_g), fmt(c_g / w_g)))
    out += ["", "Targets: `cc` of dag-2000 at most 3 s and of mlp at most 2 s, `swiftc` at most 30 s and",
            "15 s (set on the 2026-11-23 machine, where whole took 16–21 s and 4.6 s in cc, 191–234 s",
            "and 38 s in swiftc); split gradient within 10% of whole."]
    return "\n".join(out) + "\n"


def array_report(rows, runtime_rows):
    unrolled = runtime_rows.get("mlp", {})
    out = ["", "## 6. Arrays (SPEC §6)", "",
           "The models in index form; C through the `_work` entry points, `cc -O2`. `unrolled` is",
           "the scalar mlp of section 2 (the same network written out, 1,650 leaf names).", "",
           "| model | C KB | cc s | swiftc s | C fwd ns | C grad ns | **grad/fwd** | GFLOP/s |",
           "|---|---|---|---|---|---|---|---|"]
    for model, r in rows.items():
        out.append("| %s | %s | %s | %s | %s | %s | **%s** | %s |" % (
            model, fmt(r["c_kb"]), fmt(r["cc_s"], 2), fmt(r.get("swiftc_s", float("nan")), 2),
            fmt(r["forward_ns"]), fmt(r["gradient_ns"]), fmt(r["gradient_ns"] / r["forward_ns"]),
            fmt(r.get("gflops", float("nan")))))
    if unrolled:
        out.append("| mlp (unrolled) | — | %s | %s | %s | %s | **%s** | — |" % (
            fmt(unrolled["cc_s"], 2), fmt(unrolled["swiftc_s"], 2), fmt(unrolled.get("forward_ns", float("nan"))),
            fmt(unrolled.get("gradient_ns", float("nan"))),
            fmt(unrolled.get("gradient_ns", float("nan")) / unrolled.get("forward_ns", float("nan")))))
    small, large = rows.get("layer-4"), rows.get("layer-4000")
    ratio = large["c_kb"] / small["c_kb"] if small and large else float("nan")
    out += ["", "Targets: mlp in index form under 20 KB of C, `cc` under 1 s, `swiftc` under 5 s, its",
            "gradient no slower than the unrolled one's; dense-256 gradient at most 3x its forward;",
            "logsumexp gradient at most 1.5x its forward; layer-4000's C within 1.5x of layer-4's",
            "(this run: %sx). NumPy and JAX on the same models: `../shared/bench/arrays.py`." % fmt(ratio)]
    return "\n".join(out) + "\n"


# 7. train against NumPy and JAX ---------------------------------------------

TRAIN_ROWS = 100000
TRAIN_SECTION = "## 7. `train`, `check` and `eval` in the interpreter, against NumPy and JAX"


def moons_csv(path, rows):
    """`rows` of samples/make_moons.py's two moons, from seed 7."""
    import random
    sys.path.insert(0, os.path.join(ROOT, "samples"))
    from make_moons import moons
    with open(path, "w") as f:
        f.write("x[0],x[1],y\n")
        for x0, x1, label in moons(random.Random(7), rows):
            f.write("%.6f,%.6f,%d\n" % (x0, x1, label))


ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def train_threads():
    """Seconds for 5 full-batch Adam steps of samples/moons.bp (337 params)
    over 100,000 rows and the final loss, by thread count, with NumPy and
    JAX doing the same (Benchmarks/train_peers.py) in the same rounds; the
    JSON must be the same bytes for every thread count, and the peers' final
    loss must match ours. Then `check samples/mlp.bp` and `eval` of the
    100,000-term logsumexp, whole commands."""
    csv = os.path.join(WORK, "moons-%d.csv" % TRAIN_ROWS)
    moons_csv(csv, TRAIN_ROWS)
    bp = os.path.join(BIN, "backpropc")
    moons = os.path.join(ROOT, "samples", "moons.bp")
    start = os.path.join(WORK, "moons-start.json")
    with open(start, "w") as f:
        f.write(run([bp, "train", moons, "--data", os.path.join(ROOT, "samples", "moons.csv"),
                     "--lr", "0", "--steps", "1", "--json"]))
    python = os.path.join(ROOT, ".build", "peer-venv", "bin", "python")
    if not os.path.exists(python):
        python = sys.executable
    peers = os.path.join(ROOT, "Benchmarks", "train_peers.py")
    counts = [1, 2] if (os.cpu_count() or 1) <= 2 else [1, 2, os.cpu_count()]
    rows = {"backpropc train --threads %d" % t: [] for t in counts}
    peer_rows = [("NumPy, one BLAS thread", "numpy", ONE_BLAS_THREAD), ("NumPy, every core", "numpy", {}),
                 ("JAX, jit(value_and_grad)", "jax", {})]
    finals = {}
    outputs = {}
    for _ in range(5):
        for t in counts:
            cmd = [bp, "train", moons, "--data", csv, "--optimizer", "adam", "--lr", "0.01", "--steps", "5",
                   "--threads", str(t), "--json"]
            began = time.monotonic()
            outputs[t] = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            rows["backpropc train --threads %d" % t].append(time.monotonic() - began)
        for label, peer, env in peer_rows:
            try:
                text = subprocess.run([python, peers, peer, csv, start], capture_output=True, text=True,
                                      check=True, env=dict(os.environ, **env), timeout=600).stdout
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
                continue  # not installed: the row is left out
            values = dict(line.split() for line in text.splitlines() if line.strip())
            rows.setdefault(label, []).append(float(values["seconds"]))
            finals[label] = float(values["final_loss"])
    same = all(outputs[t] == outputs[1] for t in counts)
    ours = json.loads(outputs[1])["final_loss"]
    agreement = {label: abs(f - ours) / abs(ours) for label, f in finals.items()}
    models = os.path.join(WORK, "logsumexp-100000.bp")
    with open(models, "w") as f:
        f.write(logsumexp_bp(100000))
    commands = [("`check samples/mlp.bp` (1,650 partials, 9,900 forward runs)",
                 [bp, "check", os.path.join(ROOT, "samples", "mlp.bp")]),
                ("`eval logsumexp-100000.bp` (200,001 numbers printed)", [bp, "eval", models])]
    other = {}
    for label, cmd in commands:
        times = []
        for _ in range(5):
            began = time.monotonic()
            subprocess.run(cmd, capture_output=True, check=True)
            times.append(time.monotonic() - began)
        other[label] = statistics.median(times)
    return {k: statistics.median(v) for k, v in rows.items() if v}, same, agreement, other


def train_report(medians, same, agreement, other):
    numpy = medians.get("NumPy, one BLAS thread")
    out = ["", TRAIN_SECTION, "",
           "`backpropc train samples/moons.bp --data moons-100000.csv --optimizer adam --lr 0.01 --steps 5",
           "--threads T --json`: the 2→16→16→1 network, 100,000 rows of the two moons (the generator of",
           "samples/make_moons.py, seeded), five full-batch steps and the final loss, six passes over the",
           "rows, in the interpreter, 256 rows side by side. The peers",
           "([Benchmarks/train_peers.py](Benchmarks/train_peers.py)) train the same network from the same",
           "weights, written by hand as a learner would: NumPy's forward and backward with `@`, and JAX's",
           "`jit(value_and_grad)`, each reading the CSV with `np.loadtxt` inside its time (JAX's time",
           "includes its compile, not its import). Whole-command wall seconds, median of 5 rounds.",
           "Run on %s: %s." % (time.strftime("%Y-%m-%d"), machine()), "",
           "| | s | **NumPy (one thread) / this** |", "|---|---|---|"]
    for label, v in medians.items():
        out.append("| %s | %s | **%s** |" % (label, fmt(v), fmt(numpy / v) if numpy else "—"))
    out += ["", "The JSON output is %s for every thread count (each sum is taken in row order)." % (
        "the same bytes" if same else "**NOT** the same bytes")]
    if agreement:
        out.append("The peers' final loss agrees with ours to %s (relative)." % fmt(max(agreement.values())))
    one, two = medians.get("backpropc train --threads 1"), medians.get("backpropc train --threads 2")
    if numpy and one and two:
        out += ["", "Targets: within 2x of NumPy (one thread) on one thread (this run: %sx, %s); faster"
                " than it on two (this run: %sx its time, %s)." % (
                    fmt(one / numpy), "met" if one <= 2 * numpy else "missed",
                    fmt(two / numpy), "met" if two < numpy else "missed")]
    out += ["", "Other commands on many evaluations, whole-command wall seconds, median of 5:", "",
            "| command | s |", "|---|---|"]
    for label, v in other.items():
        out.append("| %s | %s |" % (label, fmt(v)))
    return "\n".join(out) + "\n"


def replace_section(path, title, section):
    """Prints `section` and writes it into BENCHMARKS.md in place of the one
    headed `title` (or at the end), keeping the sections after it."""
    print(section)
    with open(path) as f:
        text = f.read()
    after = ""
    if title in text:
        start = text.index(title)
        end = text.find("\n## ", start + 1)
        after = text[end:] if end >= 0 else ""
        text = text[:start].rstrip("\n") + "\n"
    with open(path, "w") as f:
        f.write(text + section + after)


def main():
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(ROOT, "BENCHMARKS.md")
    if os.environ.get("BENCH_ONLY") == "windows":
        replace_section(path, WINDOWS_SECTION, windows_report(windows()))
        return
    if os.environ.get("BENCH_ONLY") == "second":
        run([sys.executable, os.path.join(ROOT, "Benchmarks", "models.py"), WORK], cwd=ROOT)
        replace_section(path, SECOND_SECTION, second_report(second_order(), second_peers()))
        return
    if os.environ.get("BENCH_ONLY") == "train":
        replace_section(path, TRAIN_SECTION, train_report(*train_threads()))
        return
    run([sys.executable, os.path.join(ROOT, "Benchmarks", "models.py"), WORK] + [str(n) for n in sorted(set(SIZES + [2000]))], cwd=ROOT)
    compile_rows = compiler_speed()
    runtime_rows = runtime()
    array_rows = arrays()
    text = (report(compile_rows, runtime_rows) + array_report(array_rows, runtime_rows)
            + train_report(*train_threads()) + windows_report(windows())
            + second_report(second_order(), second_peers()))
    print(text)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
