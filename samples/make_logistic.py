#!/usr/bin/env python3
"""Writes samples/logistic.csv: 60 points in the plane, labelled 1 above the
line x1 = 0.5·x0 + 0.2 and 0 below it (a few near the line flipped, so the
classes overlap a little), with a fixed seed so the file is the same every time.

    python3 samples/make_logistic.py > samples/logistic.csv
"""
import random

rnd = random.Random(2026)
print("x[0], x[1], y")
for i in range(60):
    x0 = rnd.uniform(-2, 2)
    x1 = rnd.uniform(-2, 2)
    margin = x1 - (0.5 * x0 + 0.2)
    y = 1 if margin + rnd.gauss(0, 0.2) > 0 else 0
    print("%.4f, %.4f, %d" % (x0, x1, y))
