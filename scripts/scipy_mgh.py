#!/usr/bin/env python3
"""scipy's side of the MGH comparison (docs/mgh-comparison.md).

Runs ``scipy.optimize.minimize`` with ``method`` in Newton-CG, trust-ncg and
trust-krylov, all with a Hessian-vector product ``hessp``, on the
Moré–Garbow–Hillstrom problems of ``crates/hvp-problems`` (same dimensions,
same residuals, same standard starts) and on scipy's own chained Rosenbrock
(``rosen`` / ``rosen_der`` / ``rosen_hess_prod``) at n = 10⁴ from
x_i = -1.2 (even i) / 1.0 (odd i).

The problems are transcribed from the plain-f64 reference of
``crates/hvp-problems/tests/common/mod.rs`` (the paper's formulas with
1-based indices) into jax.numpy, in float64; ``jac`` is ``jax.grad`` and
``hessp`` is forward-over-reverse (``jax.jvp`` of ``jax.grad``).

Each problem runs at two tolerance settings:

* ``default``: scipy's defaults (Newton-CG ``xtol=1e-5``; trust-ncg and
  trust-krylov ``gtol=1e-5``);
* ``tight``: hvp's default gradient tolerance, ``gtol=1.49e-8`` for the
  trust-region methods and ``xtol=1e-8`` for Newton-CG (which has no
  gradient test).

Usage::

    /work/venv-jax/bin/python scripts/scipy_mgh.py            # table
    /work/venv-jax/bin/python scripts/scipy_mgh.py --json     # JSON lines
    /work/venv-jax/bin/python scripts/scipy_mgh.py --only wood,beale --no-big
"""

import argparse
import json
import math
import sys
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess_prod  # noqa: E402

METHODS = ["Newton-CG", "trust-ncg", "trust-krylov"]
GTOL_HVP = float(np.sqrt(np.finfo(float).eps))  # hvp's Termination::default().gtol_abs


# ---------------------------------------------------------------------------
# Residuals, 1-based as printed in the paper: x(j) is x_j.
# ---------------------------------------------------------------------------

def stack(rs):
    return jnp.stack([jnp.asarray(r, dtype=jnp.float64) for r in rs])


def residuals(name, n, m, xs):
    def x(j):
        return xs[j - 1]

    nf, mf = float(n), float(m)
    if name == "rosenbrock":
        return stack([10.0 * (x(2) - x(1) ** 2), 1.0 - x(1)])
    if name == "freudenstein-roth":
        return stack([
            -13.0 + x(1) + ((5.0 - x(2)) * x(2) - 2.0) * x(2),
            -29.0 + x(1) + ((x(2) + 1.0) * x(2) - 14.0) * x(2),
        ])
    if name == "powell-badly-scaled":
        return stack([1e4 * x(1) * x(2) - 1.0, jnp.exp(-x(1)) + jnp.exp(-x(2)) - 1.0001])
    if name == "brown-badly-scaled":
        return stack([x(1) - 1e6, x(2) - 2e-6, x(1) * x(2) - 2.0])
    if name == "beale":
        y = [1.5, 2.25, 2.625]
        return stack([y[i - 1] - x(1) * (1.0 - x(2) ** i) for i in range(1, 4)])
    if name == "jennrich-sampson":
        i = jnp.arange(1, m + 1, dtype=jnp.float64)
        return 2.0 + 2.0 * i - (jnp.exp(i * x(1)) + jnp.exp(i * x(2)))
    if name == "helical-valley":
        theta = jnp.arctan(x(2) / x(1)) / (2.0 * math.pi)
        theta = jnp.where(x(1) < 0.0, theta + 0.5, theta)
        return stack([
            10.0 * (x(3) - 10.0 * theta),
            10.0 * (jnp.sqrt(x(1) ** 2 + x(2) ** 2) - 1.0),
            x(3),
        ])
    if name == "bard":
        y = jnp.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96,
                       1.34, 2.10, 4.39])
        u = jnp.arange(1, 16, dtype=jnp.float64)
        v = 16.0 - u
        w = jnp.minimum(u, v)
        return y - (x(1) + u / (v * x(2) + w * x(3)))
    if name == "gaussian":
        y = jnp.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521,
                       0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])
        t = (8.0 - jnp.arange(1, 16, dtype=jnp.float64)) / 2.0
        return x(1) * jnp.exp(-x(2) * (t - x(3)) ** 2 / 2.0) - y
    if name == "meyer":
        y = jnp.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
                       8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0])
        t = 45.0 + 5.0 * jnp.arange(1, 17, dtype=jnp.float64)
        return x(1) * jnp.exp(x(2) / (t + x(3))) - y
    if name == "gulf-research":
        t = jnp.arange(1, m + 1, dtype=jnp.float64) / 100.0
        y = 25.0 + (-50.0 * jnp.log(t)) ** (2.0 / 3.0)
        return jnp.exp(-jnp.abs(y - x(2)) ** x(3) / x(1)) - t
    if name == "box-3d":
        t = 0.1 * jnp.arange(1, m + 1, dtype=jnp.float64)
        return jnp.exp(-t * x(1)) - jnp.exp(-t * x(2)) - x(3) * (jnp.exp(-t) - jnp.exp(-10.0 * t))
    if name == "powell-singular":
        return stack([
            x(1) + 10.0 * x(2),
            math.sqrt(5.0) * (x(3) - x(4)),
            (x(2) - 2.0 * x(3)) ** 2,
            math.sqrt(10.0) * (x(1) - x(4)) ** 2,
        ])
    if name == "wood":
        return stack([
            10.0 * (x(2) - x(1) ** 2),
            1.0 - x(1),
            math.sqrt(90.0) * (x(4) - x(3) ** 2),
            1.0 - x(3),
            math.sqrt(10.0) * (x(2) + x(4) - 2.0),
            (x(2) - x(4)) / math.sqrt(10.0),
        ])
    if name == "kowalik-osborne":
        y = jnp.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
                       0.0235, 0.0246])
        u = jnp.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])
        return y - x(1) * (u * u + u * x(2)) / (u * u + u * x(3) + x(4))
    if name == "brown-dennis":
        t = jnp.arange(1, m + 1, dtype=jnp.float64) / 5.0
        return (x(1) + t * x(2) - jnp.exp(t)) ** 2 + (x(3) + x(4) * jnp.sin(t) - jnp.cos(t)) ** 2
    if name == "osborne-1":
        y = jnp.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
                       0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
                       0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
                       0.414, 0.411, 0.406])
        t = 10.0 * (jnp.arange(1, 34, dtype=jnp.float64) - 1.0)
        return y - (x(1) + x(2) * jnp.exp(-t * x(4)) + x(3) * jnp.exp(-t * x(5)))
    if name == "biggs-exp6":
        t = 0.1 * jnp.arange(1, m + 1, dtype=jnp.float64)
        y = jnp.exp(-t) - 5.0 * jnp.exp(-10.0 * t) + 3.0 * jnp.exp(-4.0 * t)
        return (x(3) * jnp.exp(-t * x(1)) - x(4) * jnp.exp(-t * x(2))
                + x(6) * jnp.exp(-t * x(5)) - y)
    if name == "osborne-2":
        y = jnp.array([
            1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
            0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
            0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
            0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
            0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
            0.428, 0.292, 0.162, 0.098, 0.054])
        t = (jnp.arange(1, 66, dtype=jnp.float64) - 1.0) / 10.0
        return y - (x(1) * jnp.exp(-t * x(5))
                    + x(2) * jnp.exp(-(t - x(9)) ** 2 * x(6))
                    + x(3) * jnp.exp(-(t - x(10)) ** 2 * x(7))
                    + x(4) * jnp.exp(-(t - x(11)) ** 2 * x(8)))
    if name == "watson":
        t = jnp.arange(1, 30, dtype=jnp.float64) / 29.0
        j = jnp.arange(1, n + 1)
        # s1 = Σ_{j≥2} (j−1) x_j t^{j−2}; s2 = Σ_j x_j t^{j−1}
        pw = t[:, None] ** (j[None, :] - 1).astype(jnp.float64)  # t^{j-1}
        s2 = pw @ xs
        pw2 = t[:, None] ** jnp.maximum(j[None, :] - 2, 0).astype(jnp.float64)
        coef = (j - 1).astype(jnp.float64)
        s1 = pw2 @ (coef * xs)
        r = s1 - s2 ** 2 - 1.0
        return jnp.concatenate([r, stack([x(1), x(2) - x(1) ** 2 - 1.0])])
    if name == "extended-rosenbrock":
        odd, even = xs[0::2], xs[1::2]
        return jnp.stack([10.0 * (even - odd ** 2), 1.0 - odd], axis=1).reshape(-1)
    if name == "extended-powell-singular":
        a, b, c, d = xs[0::4], xs[1::4], xs[2::4], xs[3::4]
        return jnp.stack([a + 10.0 * b, math.sqrt(5.0) * (c - d), (b - 2.0 * c) ** 2,
                          math.sqrt(10.0) * (a - d) ** 2], axis=1).reshape(-1)
    if name == "penalty-1":
        a = 1e-5
        return jnp.concatenate([math.sqrt(a) * (xs - 1.0), stack([jnp.sum(xs ** 2) - 0.25])])
    if name == "penalty-2":
        a = 1e-5
        i = jnp.arange(2, n + 1, dtype=jnp.float64)
        y = jnp.exp(i / 10.0) + jnp.exp((i - 1.0) / 10.0)
        r2 = math.sqrt(a) * (jnp.exp(xs[1:] / 10.0) + jnp.exp(xs[:-1] / 10.0) - y)
        r3 = math.sqrt(a) * (jnp.exp(xs[1:] / 10.0) - math.exp(-0.1))
        w = nf - jnp.arange(1, n + 1, dtype=jnp.float64) + 1.0
        return jnp.concatenate([stack([x(1) - 0.2]), r2, r3, stack([jnp.sum(w * xs ** 2) - 1.0])])
    if name == "variably-dimensioned":
        j = jnp.arange(1, n + 1, dtype=jnp.float64)
        s = jnp.sum(j * (xs - 1.0))
        return jnp.concatenate([xs - 1.0, stack([s, s * s])])
    if name == "trigonometric":
        i = jnp.arange(1, n + 1, dtype=jnp.float64)
        return nf - jnp.sum(jnp.cos(xs)) + i * (1.0 - jnp.cos(xs)) - jnp.sin(xs)
    if name == "brown-almost-linear":
        s = jnp.sum(xs)
        return jnp.concatenate([xs[:-1] + s - (nf + 1.0), stack([jnp.prod(xs) - 1.0])])
    if name == "discrete-boundary-value":
        h = 1.0 / (nf + 1.0)
        t = jnp.arange(1, n + 1, dtype=jnp.float64) * h
        xp = jnp.concatenate([jnp.zeros(1), xs, jnp.zeros(1)])
        return 2.0 * xs - xp[:-2] - xp[2:] + h * h * (xs + t + 1.0) ** 3 / 2.0
    if name == "discrete-integral-equation":
        h = 1.0 / (nf + 1.0)
        t = jnp.arange(1, n + 1, dtype=jnp.float64) * h
        c = (xs + t + 1.0) ** 3
        lower = jnp.cumsum(t * c)  # Σ_{j≤i}
        upper = jnp.sum((1.0 - t) * c) - jnp.cumsum((1.0 - t) * c)  # Σ_{j>i}
        return xs + h * ((1.0 - t) * lower + t * upper) / 2.0
    if name == "broyden-tridiagonal":
        xp = jnp.concatenate([jnp.zeros(1), xs, jnp.zeros(1)])
        return (3.0 - 2.0 * xs) * xs - xp[:-2] - 2.0 * xp[2:] + 1.0
    if name == "broyden-banded":
        out = []
        for i in range(1, n + 1):
            lo, hi = max(i - 5, 1), min(i + 1, n)
            s = sum(x(j) * (1.0 + x(j)) for j in range(lo, hi + 1) if j != i)
            out.append(x(i) * (2.0 + 5.0 * x(i) ** 2) + 1.0 - s)
        return stack(out)
    if name == "linear-full-rank":
        s = jnp.sum(xs)
        xi = jnp.concatenate([xs, jnp.zeros(m - n)])
        return xi - 2.0 / mf * s - 1.0
    if name == "linear-rank-1":
        s = jnp.sum(jnp.arange(1, n + 1, dtype=jnp.float64) * xs)
        return jnp.arange(1, m + 1, dtype=jnp.float64) * s - 1.0
    if name == "linear-rank-1-zero-columns-rows":
        s = jnp.sum(jnp.arange(2, n, dtype=jnp.float64) * xs[1:n - 1])
        mid = (jnp.arange(2, m, dtype=jnp.float64) - 1.0) * s - 1.0
        return jnp.concatenate([jnp.array([-1.0]), mid, jnp.array([-1.0])])
    if name == "chebyquad":
        y = 2.0 * xs - 1.0
        t0, t1 = jnp.ones_like(y), y
        out = []
        for i in range(1, m + 1):
            if i > 1:
                t0, t1 = t1, 2.0 * y * t1 - t0
            integral = -1.0 / (i * i - 1.0) if i % 2 == 0 else 0.0
            out.append(jnp.mean(t1) - integral)
        return stack(out)
    if name == "chained-rosenbrock":
        return jnp.stack([10.0 * (xs[1:] - xs[:-1] ** 2), 1.0 - xs[:-1]], axis=1).reshape(-1)
    raise KeyError(name)


def alt(n, a, b):
    return [a if j % 2 == 0 else b for j in range(n)]


def tt1(n):
    h = 1.0 / (n + 1)
    return [(j * h) * (j * h - 1.0) for j in range(1, n + 1)]


# (name, n, m, x0, f*) at the catalog's default dimensions (crates/hvp-problems/src/mgh.rs).
PROBLEMS = [
    ("rosenbrock", 2, 2, [-1.2, 1.0], 0.0),
    ("freudenstein-roth", 2, 2, [0.5, -2.0], 0.0),
    ("powell-badly-scaled", 2, 2, [0.0, 1.0], 0.0),
    ("brown-badly-scaled", 2, 3, [1.0, 1.0], 0.0),
    ("beale", 2, 3, [1.0, 1.0], 0.0),
    ("jennrich-sampson", 2, 10, [0.3, 0.4], 124.362),
    ("helical-valley", 3, 3, [-1.0, 0.0, 0.0], 0.0),
    ("bard", 3, 15, [1.0, 1.0, 1.0], 8.21487e-3),
    ("gaussian", 3, 15, [0.4, 1.0, 0.0], 1.12793e-8),
    ("meyer", 3, 16, [0.02, 4000.0, 250.0], 87.9458),
    ("gulf-research", 3, 99, [5.0, 2.5, 0.15], 0.0),
    ("box-3d", 3, 10, [0.0, 10.0, 20.0], 0.0),
    ("powell-singular", 4, 4, [3.0, -1.0, 0.0, 1.0], 0.0),
    ("wood", 4, 6, [-3.0, -1.0, -3.0, -1.0], 0.0),
    ("kowalik-osborne", 4, 11, [0.25, 0.39, 0.415, 0.39], 3.07505e-4),
    ("brown-dennis", 4, 20, [25.0, 5.0, -5.0, -1.0], 85822.2),
    ("osborne-1", 5, 33, [0.5, 1.5, -1.0, 0.01, 0.02], 5.46489e-5),
    ("biggs-exp6", 6, 13, [1.0, 2.0, 1.0, 1.0, 1.0, 1.0], 0.0),
    ("osborne-2", 11, 65, [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5], 4.01377e-2),
    ("watson", 6, 31, [0.0] * 6, 2.28767e-3),
    ("extended-rosenbrock", 10, 10, alt(10, -1.2, 1.0), 0.0),
    ("extended-powell-singular", 12, 12, [[3.0, -1.0, 0.0, 1.0][j % 4] for j in range(12)], 0.0),
    ("penalty-1", 10, 11, [float(j) for j in range(1, 11)], 7.08765e-5),
    ("penalty-2", 10, 20, [0.5] * 10, 2.93660e-4),
    ("variably-dimensioned", 10, 12, [1.0 - j / 10.0 for j in range(1, 11)], 0.0),
    ("trigonometric", 10, 10, [0.1] * 10, 0.0),
    ("brown-almost-linear", 10, 10, [0.5] * 10, 0.0),
    ("discrete-boundary-value", 10, 10, tt1(10), 0.0),
    ("discrete-integral-equation", 10, 10, tt1(10), 0.0),
    ("broyden-tridiagonal", 10, 10, [-1.0] * 10, 0.0),
    ("broyden-banded", 10, 10, [-1.0] * 10, 0.0),
    ("linear-full-rank", 10, 20, [1.0] * 10, 10.0),
    ("linear-rank-1", 10, 20, [1.0] * 10, 20 * 19 / (2 * 41)),
    ("linear-rank-1-zero-columns-rows", 10, 20, [1.0] * 10, (400 + 60 - 6) / (2 * 37)),
    ("chebyquad", 8, 8, [j / 9.0 for j in range(1, 9)], 3.51687e-3),
    ("chained-rosenbrock", 1000, 1998, alt(1000, -1.2, 1.0), 0.0),
]


def jax_problem(name, n, m):
    def f(x):
        r = residuals(name, n, m, x)
        return jnp.sum(r * r)

    fj = jax.jit(f)
    gj = jax.jit(jax.grad(f))
    hj = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
    return (lambda x: float(fj(jnp.asarray(x))),
            lambda x: np.asarray(gj(jnp.asarray(x))),
            lambda x, v: np.asarray(hj(jnp.asarray(x), jnp.asarray(v))))


def options(method, setting):
    if setting == "default":
        return {}
    if method == "Newton-CG":
        return {"xtol": 1e-8}
    return {"gtol": GTOL_HVP}


def run(problem, n, m, x0, f_star, fun, jac, hessp, method, setting, maxiter=None):
    opts = options(method, setting)
    if maxiter is not None:
        opts["maxiter"] = maxiter
    x0 = np.asarray(x0, dtype=float)
    # warm the jit caches so the wall time measures the iterations
    fun(x0), jac(x0), hessp(x0, x0)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = minimize(fun, x0, jac=jac, hessp=hessp, method=method, options=opts)
        except Exception as e:  # report, keep going
            return {"problem": problem, "n": n, "m": m, "method": method, "setting": setting,
                    "error": repr(e)}
    dt = time.perf_counter() - t
    g = jac(r.x)
    return {
        "problem": problem, "n": n, "m": m, "method": method, "setting": setting,
        "options": opts, "f0": fun(x0),
        "success": bool(r.success), "message": str(r.message),
        "nit": int(getattr(r, "nit", -1)), "nfev": int(getattr(r, "nfev", 0)),
        "njev": int(getattr(r, "njev", 0)), "nhev": int(getattr(r, "nhev", 0)),
        "f": float(r.fun), "f_star": f_star,
        "grad_norm": float(np.linalg.norm(g)), "time_s": dt,
    }


def print_row(row, as_json):
    if as_json:
        print(json.dumps(row), flush=True)
        return
    if "error" in row:
        print(f"{row['problem']:<32} {row['n']:>5} {row['method']:<12} {row['setting']:<8} "
              f"ERROR {row['error']}", flush=True)
        return
    fs = "-" if row["f_star"] is None else f"{row['f_star']:.6e}"
    print(f"{row['problem']:<32} {row['n']:>5} {row['method']:<12} {row['setting']:<8} "
          f"{str(row['success']):<5} {row['nit']:>6} {row['nfev']:>6} {row['njev']:>6} "
          f"{row['nhev']:>7} {row['f']:>13.6e} {fs:>13} {row['grad_norm']:>9.2e} "
          f"{row['time_s']:>8.2f}  {row['message'][:60]}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--only", help="comma-separated problem names")
    ap.add_argument("--no-big", action="store_true", help="skip rosen at n = 10^4")
    ap.add_argument("--settings", default="default,tight")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    settings = args.settings.split(",")
    if not args.json:
        print(f"# scipy {scipy.__version__}, jax {jax.__version__}, numpy {np.__version__}")
        print(f"{'problem':<32} {'n':>5} {'method':<12} {'setting':<8} {'ok':<5} {'nit':>6} "
              f"{'nfev':>6} {'njev':>6} {'nhev':>7} {'final f':>13} {'f*':>13} {'|g|':>9} "
              f"{'time[s]':>8}  message")
    for (name, n, m, x0, f_star) in PROBLEMS:
        if only is not None and name not in only:
            continue
        fun, jac, hessp = jax_problem(name, n, m)
        for setting in settings:
            for method in METHODS:
                print_row(run(name, n, m, x0, f_star, fun, jac, hessp, method, setting), args.json)
    if not args.no_big and only is None:
        # DESIGN.md §9: scipy's own rosen at n = 10^4, from x_i = -1.2 (even i) / 1 (odd i).
        n = 10_000
        x0 = alt(n, -1.2, 1.0)
        for setting in settings:
            for method in METHODS:
                print_row(run("rosen (scipy)", n, 2 * n - 2, x0, 0.0, rosen, rosen_der,
                              rosen_hess_prod, method, setting), args.json)


if __name__ == "__main__":
    sys.exit(main())
