#!/usr/bin/env python3
"""Writes the two-moons set: two interleaved half circles in the plane, one per
class, with Gaussian noise (sd 0.1), from a fixed seed so the files are the same
every time. 200 rows for training, 200 more, from the same stream, held out.

    python3 samples/make_moons.py train > samples/moons.csv
    python3 samples/make_moons.py test > samples/moons_test.csv
"""
import math
import random
import sys

def moons(rnd, n):
    rows = []
    for k in range(n):
        label = k % 2
        t = rnd.uniform(0, math.pi)
        if label == 0:
            x0, x1 = math.cos(t), math.sin(t)
        else:
            x0, x1 = 1 - math.cos(t), 0.5 - math.sin(t)
        rows.append((x0 + rnd.gauss(0, 0.1), x1 + rnd.gauss(0, 0.1), label))
    return rows

if __name__ == "__main__":  # Benchmarks/bench.py imports moons()
    rnd = random.Random(2026)
    train = moons(rnd, 200)
    test = moons(rnd, 200)
    print("x[0], x[1], y")
    for x0, x1, y in (test if sys.argv[1:] == ["test"] else train):
        print("%.4f, %.4f, %d" % (x0, x1, y))
