"""Calls the C that backpropc generates, from Python, through ctypes.

Copy this file beside your code; it needs numpy only.

    compile_library("model.c", "libmodel.so")   # backpropc model.bp -o model.c
    m = Model("libmodel.so", "model")           # the C prefix: model_forward
    outputs, grads = m.gradient(W=np.ones((2, 2)))
    grads["E", "W"]                             # dE/dW, shaped like W

Values are float64. A scalar (shape ()) is a Python float, an array a numpy
array of its declared shape; d(output)/d(leaf) has shape output.shape +
leaf.shape (SPEC §6.4). Only the `_work` entry points are called, so every
program works, however much work memory it needs.
"""
import ctypes
import os
import shlex
import subprocess
from collections import namedtuple

import numpy as np

Variable = namedtuple("Variable", "name offset size shape")


class _CVariable(ctypes.Structure):
    # typedef struct { const char *name; int offset, size, rank, shape[4]; }
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_int),
                ("size", ctypes.c_int), ("rank", ctypes.c_int),
                ("shape", ctypes.c_int * 4)]


def run(command):
    """Runs a command (backpropc, cc); its standard output, or RuntimeError
    with its standard error when it fails."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (
            " ".join(command), result.returncode, result.stderr))
    return result.stdout


def compile_library(c_file, out_so):
    """Builds a shared library from a generated .c (its .h beside it) with
    $CC, else cc; returns out_so."""
    run(shlex.split(os.environ.get("CC") or "cc") + [
        "-O2", "-shared", "-fPIC", "-o", out_so, c_file, "-lm"])
    return out_so


def _value(flat, shape):
    return float(flat[0]) if shape == () else flat.reshape(shape).copy()


class Model:
    """One generated program, loaded from a shared library.

    Each call allocates its own work buffer, so one Model may be used from
    several threads at once (ctypes releases the GIL during the call).
    """

    def __init__(self, library_path, prefix):
        lib = ctypes.CDLL(os.path.abspath(library_path))

        def count(what):
            return ctypes.c_int.in_dll(lib, prefix + what).value

        def table(what, n):
            return [Variable(v.name.decode(), v.offset, v.size,
                             tuple(v.shape[:v.rank]))
                    for v in (_CVariable * n).in_dll(lib, prefix + what)]

        self.num_inputs = count("_num_inputs")
        self.num_outputs = count("_num_outputs")
        self.work_size = count("_work_size")
        self.leaves = table("_leaves", count("_num_leaves"))
        self.outputs = table("_outputs", count("_num_output_variables"))
        self._leaf = {v.name: v for v in self.leaves}
        vec = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
        n = ctypes.c_size_t
        for name, args in [("_fill_defaults", [vec]),
                           ("_forward_work", [vec] * 3),
                           ("_gradient_work", [vec] * 4),
                           ("_forward_batch_work", [n] + [vec] * 3),
                           ("_gradient_batch_work", [n] + [vec] * 4)]:
            function = getattr(lib, prefix + name)
            function.argtypes, function.restype = args, None
            setattr(self, "_c" + name, function)
        # SPEC §8.2's entry points, where `--with` generated them.
        self.entry_points = set()
        for name, count in [("jvp", 5), ("vjp", 5), ("hvp", 7)]:
            try:
                function = getattr(lib, "%s_%s_work" % (prefix, name))
            except AttributeError:
                continue
            function.argtypes, function.restype = [vec] * count, None
            setattr(self, "_c_%s_work" % name, function)
            self.entry_points.add(name)
        self._defaults = np.empty(self.num_inputs)
        self._c_fill_defaults(self._defaults)

    def defaults(self):
        """Leaf name -> default value; NaN where the program gives none."""
        return {v.name: _value(self._defaults[v.offset:v.offset + v.size],
                               v.shape) for v in self.leaves}

    def index(self, element):
        """The position in a row of an element named as in a CSV header:
        'b', 'x[1]', 'W[1, 0]'."""
        name, _, subscripts = element.strip().partition("[")
        v = self._leaf.get(name.strip())
        at = [int(s) for s in subscripts.rstrip("] ").split(",") if subscripts]
        if v is None or len(at) != len(v.shape) or not all(
                0 <= i < n for i, n in zip(at, v.shape)):
            raise KeyError("no leaf element %r" % element)
        return v.offset + int(np.ravel_multi_index(at, v.shape))

    def row(self, **leaves):
        """The flat input vector: the leaves given, defaults for the rest."""
        row = self._defaults.copy()
        for name, value in leaves.items():
            v = self._leaf.get(name)
            if v is None:
                raise TypeError("%r is not a leaf; leaves: %s"
                                % (name, ", ".join(self._leaf)))
            value = np.asarray(value, dtype=np.float64)
            if value.shape != v.shape:
                raise ValueError("%s has shape %s, not %s"
                                 % (name, v.shape, value.shape))
            row[v.offset:v.offset + v.size] = value.ravel()
        missing = [v.name for v in self.leaves if v.name not in leaves and
                   np.isnan(row[v.offset:v.offset + v.size]).any()]
        if missing:
            raise ValueError("no value for " + ", ".join(missing))
        return row

    def _named(self, out):
        return {o.name: _value(out[o.offset:o.offset + o.size], o.shape)
                for o in self.outputs}

    def forward(self, **leaves):
        """Output name -> value."""
        out = np.empty(self.num_outputs)
        self._c_forward_work(self.row(**leaves), out, np.empty(self.work_size))
        return self._named(out)

    def gradient(self, **leaves):
        """(outputs by name, d(output)/d(leaf) by (output, leaf) name)."""
        out = np.empty(self.num_outputs)
        grad = np.empty((self.num_outputs, self.num_inputs))
        self._c_gradient_work(self.row(**leaves), out, grad,
                              np.empty(self.work_size))
        return self._named(out), {
            (o.name, v.name): _value(grad[o.offset:o.offset + o.size,
                                          v.offset:v.offset + v.size].ravel(),
                                     o.shape + v.shape)
            for o in self.outputs for v in self.leaves}

    def _entry(self, name):
        if name not in self.entry_points:
            raise AttributeError("the library has no %s: compile with "
                                 "backpropc --with %s" % (name, name))
        return getattr(self, "_c_%s_work" % name)

    def _vector(self, values, size, what):
        values = np.ascontiguousarray(values, dtype=np.float64).ravel()
        if values.size != size:
            raise ValueError("%s has %d elements, not %d"
                             % (what, values.size, size))
        return values

    def _by_leaf(self, flat):
        return {v.name: _value(flat[v.offset:v.offset + v.size], v.shape)
                for v in self.leaves}

    def jvp(self, v, **leaves):
        """(outputs by name, J·v by output name): v holds one number per
        input element, laid out as row(); one forward sweep."""
        out, jv = np.empty(self.num_outputs), np.empty(self.num_outputs)
        self._entry("jvp")(self.row(**leaves),
                           self._vector(v, self.num_inputs, "v"), out, jv,
                           np.empty(self.work_size))
        return self._named(out), self._named(jv)

    def vjp(self, w, **leaves):
        """(outputs by name, wᵀJ by leaf name): w holds one weight per
        output element, laid out as out; one reverse sweep."""
        out, vjp = np.empty(self.num_outputs), np.empty(self.num_inputs)
        self._entry("vjp")(self.row(**leaves),
                           self._vector(w, self.num_outputs, "w"), out, vjp,
                           np.empty(self.work_size))
        return self._named(out), self._by_leaf(vjp)

    def hvp(self, w, v, **leaves):
        """(outputs, wᵀJ by leaf, (Σ_o w[o]·∇²out[o])·v by leaf): one
        sweep, no Hessian formed."""
        out = np.empty(self.num_outputs)
        vjp, hv = np.empty(self.num_inputs), np.empty(self.num_inputs)
        self._entry("hvp")(self.row(**leaves),
                           self._vector(w, self.num_outputs, "w"),
                           self._vector(v, self.num_inputs, "v"), out, vjp, hv,
                           np.empty(self.work_size))
        return self._named(out), self._by_leaf(vjp), self._by_leaf(hv)

    def _count(self, rows):
        if not (isinstance(rows, np.ndarray) and rows.dtype == np.float64 and
                rows.ndim == 2 and rows.shape[1] == self.num_inputs and
                rows.flags.c_contiguous):
            raise ValueError("rows must be a C-contiguous float64 array of "
                             "shape (n, %d)" % self.num_inputs)
        return rows.shape[0]

    def forward_batch(self, rows):
        """out (n, num_outputs) for rows (n, num_inputs), each laid out as
        row() lays one out."""
        n = self._count(rows)
        out = np.empty((n, self.num_outputs))
        self._c_forward_batch_work(n, rows, out, np.empty(self.work_size))
        return out

    def gradient_batch(self, rows):
        """(out (n, num_outputs), grad (n, num_outputs, num_inputs)), where
        grad[r, o, i] = d out[r, o] / d rows[r, i]."""
        n = self._count(rows)
        out = np.empty((n, self.num_outputs))
        grad = np.empty((n, self.num_outputs, self.num_inputs))
        self._c_gradient_batch_work(n, rows, out, grad,
                                    np.empty(self.work_size))
        return out, grad
