#!/usr/bin/env python3
"""Writes the benchmark models as .bp files (Scripts/bench.sh calls this).

    python3 Benchmarks/models.py OUTDIR [N ...]

mlp       16 inputs -> 32 tanh -> 32 tanh -> 1, squared error; every weight
          and bias is a `param` leaf (1,633 of them, 1,650 leaves in all).
chain-N   N chained statements mixing sin, exp, * and + over earlier values.
dag-N     a random DAG with heavy fan-out: early values are used hundreds of times.
Seeds are fixed, so the files are the same on every machine.
"""
import random
import sys


def mlp():
    rnd = random.Random(16)
    sizes = [16, 32, 32, 1]
    out = ["# 16 -> 32 tanh -> 32 tanh -> 1 with squared error; weights are params"]
    out.append("input " + ", ".join("x%d = %.3f" % (i, rnd.uniform(-1, 1)) for i in range(16)))
    out.append("input target = 0.5")
    prev = ["x%d" % i for i in range(16)]
    for layer in range(1, 4):
        n_in, n_out = sizes[layer - 1], sizes[layer]
        scale = 1 / n_in ** 0.5
        names = []
        for j in range(n_out):
            ws = ["W%d_%d_%d" % (layer, j, i) for i in range(n_in)]
            for k in range(0, n_in, 8):
                out.append("param " + ", ".join("%s = %.4f" % (w, rnd.uniform(-scale, scale)) for w in ws[k:k + 8]))
            out.append("param b%d_%d = %.4f" % (layer, j, rnd.uniform(-0.1, 0.1)))
            z = " + ".join("%s*%s" % (w, x) for w, x in zip(ws, prev)) + " + b%d_%d" % (layer, j)
            name = "h%d_%d" % (layer, j) if layer < 3 else "y"
            out.append("%s = %s" % (name, ("tanh(%s)" % z) if layer < 3 else z))
            names.append(name)
        prev = names
    out.append("loss = 0.5 * (y - target)^2")
    out.append("output loss")
    return "\n".join(out) + "\n"


def chain(n):
    rnd = random.Random(n)
    out = ["c0 = 0.5", "c1 = 0.25"]
    for i in range(2, n):
        a = i - 1
        b = rnd.randrange(max(0, i - 8), i)
        form = rnd.randrange(4)
        if form == 0:
            e = "sin(c%d) * 0.9 + c%d * 0.1" % (a, b)
        elif form == 1:
            e = "exp(-c%d * c%d) * 0.5 + c%d * 0.5" % (a, a, b)
        elif form == 2:
            e = "c%d * c%d + 0.25" % (a, b)
        else:
            e = "sin(c%d + c%d)" % (a, b)
        out.append("c%d = %s" % (i, e))
    out.append("output c%d" % (n - 1))
    return "\n".join(out) + "\n"


def dag(n):
    rnd = random.Random(n + 1)
    out = ["d0 = 0.5", "d1 = -0.25", "d2 = 0.75", "d3 = 0.1"]
    for i in range(4, n):
        # Operands drawn from the whole past, biased to the start: fan-out.
        a = int(i * rnd.random() ** 3)
        b = int(i * rnd.random() ** 2)
        c = i - 1
        form = rnd.randrange(3)
        if form == 0:
            e = "sin(d%d) * d%d + 0.5 * d%d" % (a, b, c)
        elif form == 1:
            e = "exp(-d%d * d%d) + sin(d%d) * 0.5" % (a, a, c)
        else:
            e = "d%d * 0.5 + d%d * d%d * 0.25" % (c, a, b)
        out.append("d%d = %s" % (i, e))
    out.append("output d%d" % (n - 1))
    return "\n".join(out) + "\n"


def main():
    outdir = sys.argv[1]
    sizes = [int(s) for s in sys.argv[2:]] or [1000, 10000, 100000, 1000000]
    with open("%s/mlp.bp" % outdir, "w") as f:
        f.write(mlp())
    for n in sizes:
        with open("%s/chain-%d.bp" % (outdir, n), "w") as f:
            f.write(chain(n))
        with open("%s/dag-%d.bp" % (outdir, n), "w") as f:
            f.write(dag(n))


if __name__ == "__main__":
    main()
