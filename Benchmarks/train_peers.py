#!/usr/bin/env python3
"""The peers of `backpropc train` on samples/moons.bp (BENCHMARKS.md section 7):
the same 2->16->16->1 tanh network, written by hand as a learner would, trained
with the same five full-batch Adam steps from the same starting weights, then
the loss at the trained weights over all rows.

    python train_peers.py numpy|jax rows.csv start.json

`start.json` is `backpropc train ... --lr 0 --steps 1 --json`'s output: its
params are moons.bp's defaults. Prints `seconds S` (reading the CSV included,
as it is for `backpropc train`) and `final_loss F`, which the caller compares
with backpropc's: an independent check that both trained the same network.

Run NumPy with one BLAS thread (OPENBLAS_NUM_THREADS=1 and friends) for the
one-thread comparison; JAX is run as it comes.
"""
import json
import sys
import time

STEPS, LR, BETA1, BETA2, EPS = 5, 0.01, 0.9, 0.999, 1e-8
NAMES = ["W1", "b1", "W2", "b2", "w3", "b3"]


def adam(xp, p, value_and_grad):
    """Five full-batch Adam steps as SPEC section 5 writes them, with `xp`
    (numpy or jax.numpy); returns the loss at the trained parameters."""
    m = {n: xp.zeros_like(p[n]) for n in NAMES}
    v = {n: xp.zeros_like(p[n]) for n in NAMES}
    for t in range(1, STEPS + 1):
        _, g = value_and_grad(p)
        for n in NAMES:
            m[n] = BETA1 * m[n] + (1 - BETA1) * g[n]
            v[n] = BETA2 * v[n] + (1 - BETA2) * g[n] ** 2
            p[n] = p[n] - LR * (m[n] / (1 - BETA1 ** t)) / (xp.sqrt(v[n] / (1 - BETA2 ** t)) + EPS)
    final, _ = value_and_grad(p)
    return float(final)


def softplus(np, z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def numpy_run(path, start):
    import numpy as np
    began = time.monotonic()
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, 0:2], data[:, 2]
    p = {n: np.array(start[n], dtype=np.float64) for n in NAMES}

    def loss_and_grad(p):
        a1 = x @ p["W1"].T + p["b1"]
        h1 = np.tanh(a1)
        a2 = h1 @ p["W2"].T + p["b2"]
        h2 = np.tanh(a2)
        z = h2 @ p["w3"] + p["b3"]
        n = len(z)
        loss = np.mean(softplus(np, z) - y * z)
        dz = (1 / (1 + np.exp(-z)) - y) / n
        da2 = np.outer(dz, p["w3"]) * (1 - h2 * h2)
        da1 = (da2 @ p["W2"]) * (1 - h1 * h1)
        return loss, {"w3": h2.T @ dz, "b3": dz.sum(), "W2": da2.T @ h1, "b2": da2.sum(0),
                      "W1": da1.T @ x, "b1": da1.sum(0)}

    final = adam(np, p, loss_and_grad)
    return time.monotonic() - began, final


def jax_run(path, start):
    import numpy as np
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    began = time.monotonic()
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = jnp.asarray(data[:, 0:2]), jnp.asarray(data[:, 2])
    p = {n: jnp.asarray(start[n], dtype=jnp.float64) for n in NAMES}

    def loss(p):
        h1 = jnp.tanh(x @ p["W1"].T + p["b1"])
        h2 = jnp.tanh(h1 @ p["W2"].T + p["b2"])
        z = h2 @ p["w3"] + p["b3"]
        return jnp.mean(jax.nn.softplus(z) - y * z)

    final = adam(jnp, p, jax.jit(jax.value_and_grad(loss)))
    return time.monotonic() - began, final


def main():
    peer, path, start_path = sys.argv[1:4]
    with open(start_path) as f:
        start = json.load(f)["params"]
    seconds, final = {"numpy": numpy_run, "jax": jax_run}[peer](path, start)
    print("seconds %.6f" % seconds)
    print("final_loss %.17g" % final)


if __name__ == "__main__":
    main()
