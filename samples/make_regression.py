#!/usr/bin/env python3
"""Writes samples/regression.csv: 40 noisy samples of y = 1.5 x^2 - 0.8 x + 0.3
for x in [-2, 2], with a fixed seed so the file is the same every time.

    python3 samples/make_regression.py > samples/regression.csv
"""
import random

rnd = random.Random(2026)
print("x, y")
for i in range(40):
    x = -2 + 4 * i / 39
    y = 1.5 * x * x - 0.8 * x + 0.3 + rnd.gauss(0, 0.1)
    print("%.4f, %.4f" % (x, y))
