#!/usr/bin/env python3
"""Full-batch gradient descent on a Dask cluster with backpropc's generated C.

The model is samples/logistic.bp; the data is a CSV of --rows rows made here
with a seeded generator (columns x[0], x[1], y, as `backpropc train --data`
reads them), split into partitions that live on the workers. Each step,
every worker runs the batch gradient over its partitions and returns partial
sums; Dask adds them up, and the driver updates the params.

Checks (exit 1 on a mismatch):
  (a) the distributed mean gradient at the defaults is the gradient of
      `backpropc train --lr 1 --steps 1` (its params p0 - p1), to 1e-12;
  (b) 3 distributed steps at lr 0.5 give the params (to 1e-12) and the
      losses (to train's rounding, (rows - 1) 2^-53, at least 1e-12) of
      `backpropc train --lr 0.5 --steps 3 --every 1`.

    python train_dask.py [--backpropc PATH] [--params w,b] [--scheduler ADDR]

Without --scheduler it starts a LocalCluster of 2 worker processes. Prints
`skipped: <why>` and exits 0 when dask, distributed or numpy cannot be
imported, or there is no C compiler.
"""
import argparse
import contextlib
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
HELPER = os.path.join(ROOT, "Examples", "python", "backprop.py")
MODEL = os.path.join(ROOT, "samples", "logistic.bp")
PREFIX = "logistic"
TOLERANCE = 1e-12


def make_csv(path, rows, seed=2026):
    """Points in the plane, labelled 1 above the line x1 = 0.5 x0 + 0.2 (with
    noise, so the classes overlap). %.17g reads back to the same doubles."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(rows, 2))
    noise = rng.normal(0, 0.3, size=rows)
    y = (x[:, 1] - (0.5 * x[:, 0] + 0.2) + noise > 0).astype(np.float64)
    np.savetxt(path, np.column_stack([x, y]), fmt="%.17g", delimiter=", ",
               header="x[0], x[1], y", comments="")


def partial_sums(library, prefix, data, columns, base, loss):
    """On a worker, over one partition: (sum of losses, sum of gradient
    rows, row count). base is an input row holding the current params and
    the other leaves' defaults; columns[c] is where CSV column c goes."""
    import numpy as np
    import backprop  # shipped by client.upload_file
    from distributed import get_worker
    # The .so came by upload_file too. Loading a library this process has
    # loaded already returns it, so a Model per task costs microseconds.
    model = backprop.Model(
        os.path.join(get_worker().local_directory, library), prefix)
    rows = np.repeat(base[np.newaxis, :], len(data), axis=0)
    rows[:, columns] = data
    out, grad = model.gradient_batch(rows)
    return out[:, loss].sum(), grad[:, loss, :].sum(axis=0), len(data)


def combine(partials):
    """The partitions' sums added in partition order: (mean loss, mean
    gradient with respect to every input element)."""
    n = sum(p[2] for p in partials)
    return (sum(p[0] for p in partials) / n,
            sum(p[1] for p in partials) / n)


def max_norm_error(actual, expected):
    """max |actual - expected| / max |expected|.

    The measure for a gradient: the cluster adds the rows in another order
    than `train` does (pairwise within a partition, then partition by
    partition, against one row after another), and a component that is small
    because its rows' terms cancel keeps the rounding of those larger terms,
    so its own relative error can be far above 1e-16 with nothing wrong.
    Against the size of the whole gradient, rounding stays near 1e-16, and a
    wrong partial or a lost partition still shows at once."""
    import numpy as np
    scale = np.max(np.abs(expected))
    difference = np.max(np.abs(np.subtract(actual, expected)))
    return float(difference / scale if scale else difference)


def main():
    start = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backpropc", default=os.environ.get("BACKPROPC") or
                        os.path.join(ROOT, ".build", "release", "backpropc"))
    parser.add_argument("--params", default="w,b",
                        help="the program's param leaves, comma-separated "
                        "(the C layout does not mark them)")
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--scheduler", help="a scheduler's address (default: "
                        "a LocalCluster of 2 worker processes)")
    args = parser.parse_args()
    try:
        import numpy as np
        import distributed
    except ImportError as error:
        print("skipped: cannot import %s (%s)" % (error.name, error))
        return 0
    cc = shlex.split(os.environ.get("CC") or "cc")
    if not cc or shutil.which(cc[0]) is None:
        print("skipped: no C compiler (%s)" % (os.environ.get("CC") or "cc"))
        return 0
    sys.dont_write_bytecode = True  # no __pycache__ in the repository
    sys.path.insert(0, os.path.dirname(HELPER))
    import backprop

    with contextlib.ExitStack() as stack:
        # On the driver: the data, the C, the library, and train's numbers.
        directory = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="backprop-dask-"))
        csv = os.path.join(directory, "rows.csv")
        make_csv(csv, args.rows)
        c_file = os.path.join(directory, PREFIX + ".c")
        backprop.run([args.backpropc, MODEL, "--name", PREFIX, "-o", c_file])
        library = backprop.compile_library(
            c_file, os.path.join(directory, "lib%s.so" % PREFIX))
        model = backprop.Model(library, PREFIX)
        with open(csv) as f:
            columns = [model.index(name) for name in f.readline().split(",")]
        data = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
        loss = model.outputs[0].offset  # the program's one output, L

        def train(lr, steps):
            return json.loads(backprop.run([
                args.backpropc, "train", MODEL, "--data", csv, "--lr",
                str(lr), "--steps", str(steps), "--every", "1", "--json"]))
        one_step, three_steps = train(1, 1), train(0.5, 3)
        # Every leaf the CSV does not name keeps its default, but the params.
        names = args.params.split(",")
        if sorted(names) != sorted(one_step["params"]):
            raise SystemExit("--params %s, but the program's params are %s"
                             % (args.params, ", ".join(one_step["params"])))
        params = [v for v in model.leaves if v.name in names]

        def param_values(row):
            return np.concatenate(
                [row[v.offset:v.offset + v.size] for v in params])

        def trained(result):
            return np.concatenate(
                [np.ravel(result["params"][v.name]) for v in params])

        # The cluster: every worker, and any that joins later, gets the
        # helper and the library; the partitions are scattered once and stay.
        cluster = args.scheduler or stack.enter_context(
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
        client = stack.enter_context(distributed.Client(cluster))
        cluster_start = time.monotonic()
        client.upload_file(HELPER)
        client.upload_file(library, load=False)
        parts = client.scatter(np.array_split(data, args.partitions))
        workers = len(client.scheduler_info()["workers"])

        def mean_loss_and_gradient(row):
            partials = [client.submit(partial_sums, os.path.basename(library),
                                      PREFIX, part, columns, row, loss)
                        for part in parts]
            return client.submit(combine, partials).result()

        # (a) The gradient at the defaults against train's first step:
        # p1 = p0 - 1 g, so g = p0 - p1, exactly here (p0 = 0) and in general
        # within an ulp of p0.
        p0 = model.row()
        g0 = param_values(mean_loss_and_gradient(p0)[1])
        error_a = max_norm_error(g0, param_values(p0) - trained(one_step))

        # (b) Three steps of p <- p - lr g at lr 0.5, as train takes them.
        row, losses = p0.copy(), []
        for _ in range(3):
            mean_loss, gradient = mean_loss_and_gradient(row)
            losses.append(mean_loss)
            for v in params:
                at = slice(v.offset, v.offset + v.size)
                row[at] -= 0.5 * gradient[at]
        error_params = max_norm_error(param_values(row), trained(three_steps))
        error_losses = max(abs(a - b) / abs(b)
                           for a, b in zip(losses, three_steps["loss"]))
        # train adds a step's losses one row after another (SPEC §5: in the
        # order it takes its rows), which may round by up to (n - 1) 2^-53 of
        # the sum: 1.1e-12 at 10^4 rows, 1.1e-11 at 10^5 (measured against
        # math.fsum: 1.6e-13 and 1.8e-12), while the partial sums are within
        # an ulp of the exact mean. So the losses are held to that bound. (In
        # the max norm, the gradient's and the params' differences stay near
        # 1e-15.)
        loss_tolerance = max(TOLERANCE, (len(data) - 1) * 2.0 ** -53)
        cluster_time = time.monotonic() - cluster_start

    def verdict(error, tolerance=TOLERANCE):
        return "%.1e %s" % (error, "ok" if error <= tolerance else
                            "MISMATCH (> %.1e)" % tolerance)
    print("data: %d rows in %d partitions on %d workers (%s)"
          % (len(data), len(parts), workers, args.scheduler or "LocalCluster"))
    print("(a) mean gradient at the defaults %s; against train --lr 1 "
          "--steps 1 (p0 - p1): max-norm relative error %s"
          % (g0.tolist(), verdict(error_a)))
    print("(b) 3 steps at lr 0.5: losses %s, params %s; against train --lr "
          "0.5 --steps 3: params %s, losses %s"
          % ([float(x) for x in losses], param_values(row).tolist(),
             verdict(error_params), verdict(error_losses, loss_tolerance)))
    ok = (max(error_a, error_params) <= TOLERANCE and
          error_losses <= loss_tolerance)
    print("dask example: %s (wall time %.1f s, %.1f s of it on the cluster)"
          % ("ok" if ok else "FAILED", time.monotonic() - start, cluster_time))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
