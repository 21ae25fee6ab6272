#!/usr/bin/env python3
"""Checks backprop.py against the interpreter, for CI.

For each sample: compiles it to C with backpropc, builds a shared library,
loads it with backprop.Model and compares, at the defaults, the layout (leaf
and output names in order, defaults) and forward()/gradient() with
`backpropc eval FILE --json` to 1e-12 relative; then checks that
gradient_batch() and forward_batch() on perturbed rows give, bit for bit,
what one gradient() call per row gives; and that jvp(), vjp() and hvp()
(compiled `--with jvp,vjp,hvp`) give J·v and wᵀJ from that gradient, and,
for a scalar first output, hvp() the Hessian of `eval --hessian --json`
times v, to 1e-12 relative.

    python3 check.py [--backpropc PATH]   # default $BACKPROPC, else
                                          # ../../.build/release/backpropc

Exit 1 on any mismatch; 0 with `skipped: <why>` only when numpy or a C
compiler is missing.
"""
import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time

try:
    import numpy as np
except ImportError:  # main() says skipped
    np = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
# Scalars only; arrays with several leaves of several shapes; several outputs.
SAMPLES = ["mazur", "mazur_array", "mlp", "softmax", "language", "logistic"]
# Not samples: the same network with array outputs (d(output)/d(leaf) up to
# rank 3), three of them; leaves that are outputs too (their place in out is
# not their place in in); and a program whose work memory is past the 64 KiB
# stack budget, which has only the _work forms.
EXTRA = [("mazur_outputs", "mazur_array", "\noutput o, h, E\n"),
         ("leaf_outputs", None, "x = 3\nv = [1, 2]\n"
          "y = x * x * sum(i, v[i])\noutput y, v, x\n"),
         ("large_work", None, "input x[5000] = 0.5\n"
          "param W[4, 5000] = xavier, b[4] = 0.1\n"
          "h[j] = tanh(sum(i, W[j, i] * x[i]) + b[j])\n"
          "s[i] = sin(x[i]) * sum(j, h[j])\n"
          "E = sum(i, s[i] * s[i])\n")]
TOLERANCE = 1e-12
ROWS = 4


def numbers(value):
    """eval --json's value with its non-finite strings made floats."""
    if isinstance(value, list):
        return [numbers(v) for v in value]
    return float(value)


def relative_error(actual, expected):
    """max |a - e| / max(|a|, |e|) over the elements (0 where equal, NaNs
    included); inf when the shapes differ."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    a, e = a.ravel(), e.ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(a - e) / np.maximum(np.abs(a), np.abs(e))
    error[(a == e) | (np.isnan(a) & np.isnan(e))] = 0
    error[np.isnan(error)] = float("inf")
    return float(error.max(initial=0))


def same_bits(a, b):
    def bits(x):
        return np.asarray(x, np.float64).tobytes()
    return np.shape(a) == np.shape(b) and bits(a) == bits(b)


def check_sample(name, source, backpropc, directory):
    """The problems found with one program (empty when it passes), and a
    summary of what was compared."""
    import backprop  # beside this file; needs numpy

    bp_file = os.path.join(directory, name + ".bp")
    with open(bp_file, "w") as f:
        f.write(source)
    c_file = os.path.join(directory, name + ".c")
    backprop.run([backpropc, bp_file, "--name", name, "-o", c_file,
                  "--with", "jvp,vjp,hvp"])
    model = backprop.Model(backprop.compile_library(
        c_file, os.path.join(directory, "lib%s.so" % name)), name)
    expected = json.loads(backprop.run([backpropc, "eval", bp_file, "--json"]))
    problems = []
    worst = 0.0

    def compare(what, actual, wanted):
        nonlocal worst
        error = relative_error(actual, numbers(wanted))
        worst = max(worst, error)
        if error > TOLERANCE:
            problems.append("%s = %s, eval --json says %s (relative error "
                            "%.1e)" % (what, actual, wanted, error))

    # Layout: eval's `values` lists the leaves first, in leaf order.
    leaf_names = [v.name for v in model.leaves]
    output_names = [o.name for o in model.outputs]
    if leaf_names != list(expected["values"])[:len(leaf_names)]:
        problems.append("leaves %s, eval --json has %s"
                        % (leaf_names, list(expected["values"])))
    if output_names != list(expected["outputs"]):
        problems.append("outputs %s, eval --json has %s"
                        % (output_names, list(expected["outputs"])))
    if problems:
        return problems, ""
    for leaf, value in model.defaults().items():
        compare("default " + leaf, value, expected["values"][leaf])
    for output, value in model.forward().items():
        compare("forward " + output, value, expected["outputs"][output])
    outputs, grads = model.gradient()
    for output, value in outputs.items():
        compare("gradient's " + output, value, expected["outputs"][output])
    for (output, leaf), value in grads.items():
        compare("d%s/d%s" % (output, leaf), value,
                expected["gradient"][output][leaf])

    # The batch forms against one call per row, on rows near the defaults.
    rng = np.random.default_rng(7)
    base = model.row()
    rows = base + 1e-3 * np.maximum(1, np.abs(base)) * rng.standard_normal(
        (ROWS, model.num_inputs))
    out, grad = model.gradient_batch(rows)
    if not same_bits(model.forward_batch(rows), out):
        problems.append("forward_batch differs from gradient_batch's outputs")
    for r, row in enumerate(rows):
        leaves = {v.name: row[v.offset:v.offset + v.size].reshape(v.shape)
                  for v in model.leaves}
        single_out, single_grads = model.gradient(**leaves)
        for o in model.outputs:
            o_rows = slice(o.offset, o.offset + o.size)
            if not same_bits(out[r, o_rows].reshape(o.shape),
                             single_out[o.name]):
                problems.append("row %d: batch %s differs" % (r, o.name))
            for v in model.leaves:
                block = grad[r, o_rows, v.offset:v.offset + v.size]
                if not same_bits(block.reshape(o.shape + v.shape),
                                 single_grads[o.name, v.name]):
                    problems.append("row %d: batch d%s/d%s differs"
                                    % (r, o.name, v.name))
    problems += check_directional(model, bp_file, backpropc, grads)
    summary = ("%d input and %d output elements: as eval --json (max "
               "relative error %.1e); batch of %d rows = single calls, bit "
               "for bit; jvp, vjp, hvp" % (model.num_inputs, model.num_outputs,
                                           worst, ROWS))
    return problems, summary


def check_directional(model, bp_file, backpropc, grads):
    """jvp and vjp against the gradient's J; hvp against eval --hessian."""
    problems = []
    jacobian = np.zeros((model.num_outputs, model.num_inputs))
    for o in model.outputs:
        for v in model.leaves:
            block = np.asarray(grads[o.name, v.name], dtype=np.float64)
            jacobian[o.offset:o.offset + o.size, v.offset:v.offset + v.size] = \
                block.reshape(o.size, v.size)
    rng = np.random.default_rng(11)
    v = rng.uniform(-1, 1, model.num_inputs)
    w = rng.uniform(-1, 1, model.num_outputs)

    def close(what, actual, wanted, scale):
        error = np.max(np.abs(np.ravel(actual) - np.ravel(wanted)) /
                       np.maximum(1, np.ravel(scale)), initial=0)
        if not error <= 1e-12:
            problems.append("%s differs by %.1e" % (what, error))

    def flat(by_name, variables, size):
        out = np.zeros(size)
        for x in variables:
            out[x.offset:x.offset + x.size] = np.ravel(by_name[x.name])
        return out

    _, jv = model.jvp(v)
    close("jvp", flat(jv, model.outputs, model.num_outputs), jacobian @ v,
          np.abs(jacobian) @ np.abs(v))
    _, vjp = model.vjp(w)
    close("vjp", flat(vjp, model.leaves, model.num_inputs), w @ jacobian,
          np.abs(w) @ np.abs(jacobian))
    first = model.outputs[0]
    if first.shape != () or model.num_inputs > 200:
        return problems
    import backprop  # beside this file, as check_sample imports it
    expected = json.loads(backprop.run([backpropc, "eval", bp_file, "--json",
                                        "--hessian", "--output", first.name]))
    hessian = np.zeros((model.num_inputs, model.num_inputs))
    for x in model.leaves:
        for y in model.leaves:
            block = np.asarray(numbers(expected["hessian"][first.name][x.name][y.name]))
            hessian[x.offset:x.offset + x.size, y.offset:y.offset + y.size] = \
                block.reshape(x.size, y.size)
    unit = np.zeros(model.num_outputs)
    unit[first.offset] = 1
    _, _, hv = model.hvp(unit, v)
    close("hvp", flat(hv, model.leaves, model.num_inputs), hessian @ v,
          np.abs(hessian) @ np.abs(v))
    return problems



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backpropc", default=os.environ.get("BACKPROPC") or
                        os.path.join(ROOT, ".build", "release", "backpropc"))
    args = parser.parse_args()
    if np is None:
        print("skipped: numpy is not installed")
        return 0
    cc = shlex.split(os.environ.get("CC") or "cc")
    if not cc or shutil.which(cc[0]) is None:
        print("skipped: no C compiler (%s)" % (os.environ.get("CC") or "cc"))
        return 0
    if not os.access(args.backpropc, os.X_OK):
        print("check.py: no backpropc at %s" % args.backpropc, file=sys.stderr)
        return 1
    sys.dont_write_bytecode = True  # no __pycache__ in the repository
    sys.path.insert(0, HERE)

    start = time.monotonic()
    programs = []
    for name in SAMPLES:
        with open(os.path.join(ROOT, "samples", name + ".bp")) as f:
            programs.append((name, f.read()))
    for name, sample, text in EXTRA:
        if sample:
            with open(os.path.join(ROOT, "samples", sample + ".bp")) as f:
                text = f.read() + text
        programs.append((name, text))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="backprop-python-") as directory:
        for name, source in programs:
            try:
                problems, summary = check_sample(name, source, args.backpropc,
                                                 directory)
            except Exception as error:  # a failed compile or load fails too
                problems = ["%s: %s" % (type(error).__name__, error)]
            if problems:
                failed += 1
                print("FAIL %-14s %s" % (name, problems[0]))
                for problem in problems[1:10]:
                    print("     %-14s %s" % ("", problem))
                if len(problems) > 10:
                    print("     %-14s (%d more)" % ("", len(problems) - 10))
            else:
                print("ok   %-14s %s" % (name, summary))
    elapsed = time.monotonic() - start
    if failed:
        print("python example: %d of %d programs failed (%.1f s)"
              % (failed, len(programs), elapsed))
        return 1
    print("python example: ok, %d programs (%.1f s)"
          % (len(programs), elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
