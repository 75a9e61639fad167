#!/usr/bin/env python3
"""The canonical workloads of DESIGN.md section 9 in JAX, for comparison with
`cargo bench -p hvp-problems --bench canonical` and `hvp bench`. Same definitions, same points,
medians of interleaved rounds, ratios measured in one run.

Set-up (outside the repository):
    python3 -m venv ~/venv-jax && ~/venv-jax/bin/pip install "jax[cpu]"
    ~/venv-jax/bin/python scripts/jax_bench.py [quick]
"""
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
# Synchronous dispatch, so a timed call includes its computation.
try:
    jax.config.update("jax_cpu_enable_async_dispatch", False)
except AttributeError:
    pass
QUICK = "quick" in sys.argv


def median_times(fns, rounds, reps):
    for f in fns.values():
        jax.block_until_ready(f())
    samples = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(reps):
                r = f()
            jax.block_until_ready(r)
            samples[k].append((time.perf_counter() - t) / reps)
    return {k: float(np.median(v)) for k, v in samples.items()}


def fmt(s):
    if s < 1e-6:
        return f"{s * 1e9:8.1f} ns"
    if s < 1e-3:
        return f"{s * 1e6:8.2f} µs"
    return f"{s * 1e3:8.3f} ms"


def report(name, fns, rounds, reps):
    t = median_times(fns, rounds, reps)
    t = {k: v / 16 if "k=16, per vector" in k else v for k, v in t.items()}
    print(name)
    for k, v in t.items():
        print(f"  {k:<24} {fmt(v)}   {v / t['grad']:5.2f}× grad")


def hvp_for(f):
    g = jax.grad(f)
    return jax.jit(lambda x, v: jax.jvp(g, (x,), (v,))[1])


def prepared(f, x):
    """JAX's counterpart of a prepared operator: linearize the gradient at x
    once (outside the timing); the apply runs the linear tangent program."""
    _, lin = jax.linearize(jax.grad(f), x)
    return jax.jit(lin)


def batched(lin, v, k=16):
    """The prepared apply on k directions at once (vmap), and its input."""
    vs = jax.tree_util.tree_map(lambda a: jnp.stack([a] * k), v)
    return jax.jit(jax.vmap(lin)), vs


def tiny():
    f = lambda p: p[0] ** 2 * p[1] + jnp.sin(p[1])
    x = jnp.array([1.5, -0.7])
    v = jnp.array([0.3, 1.1])
    g = jax.jit(jax.grad(f))
    h = hvp_for(f)
    report("spec example (latency per call)", {"grad": lambda: g(x), "hvp": lambda: h(x, v)},
           5 if QUICK else 21, 2000 if QUICK else 10000)


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock():
    for n in (1_000, 100_000, 1_000_000):
        x = jnp.array([-1.2 if i % 2 == 0 else 1.0 for i in range(n)])
        v = jnp.full((n,), 1.0 / np.sqrt(n))
        f = jax.jit(rosen)
        g = jax.jit(jax.grad(rosen))
        h = hvp_for(rosen)
        lin = prepared(rosen, x)
        lin_many, vs = batched(lin, v)
        reps = max(1, min(200, 1_000_000 // n))
        report(f"chained Rosenbrock n = {n} (f64)",
               {"f": lambda: f(x), "grad": lambda: g(x), "forward-over-reverse": lambda: h(x, v),
                "linearize apply": lambda: lin(v),
                "vmap apply k=16, per vector": lambda: lin_many(vs)},
               5 if QUICK else 15, reps)


def mlp(dtype):
    rng = np.random.default_rng(42)
    params = []
    for i, o in ((784, 256), (256, 256), (256, 10)):
        lim = np.sqrt(6.0 / (i + o))
        params += [rng.uniform(-lim, lim, (i, o)), np.zeros(o)]
    params = [jnp.asarray(p, dtype) for p in params]
    X = jnp.asarray(rng.standard_normal((256, 784)), dtype)
    y = jnp.asarray(rng.integers(0, 10, 256))

    def loss(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h1 = jnp.tanh(X @ w1 + b1)
        h2 = jnp.tanh(h1 @ w2 + b2)
        logits = h2 @ w3 + b3
        logp = jax.nn.log_softmax(logits, axis=1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    v = [jnp.asarray(rng.standard_normal(p.shape), dtype) for p in params]
    f = jax.jit(loss)
    g = jax.jit(jax.grad(loss))
    h = hvp_for(loss)
    lin = prepared(loss, params)
    lin_many, vs = batched(lin, v)
    report(f"MLP 784-256-256-10, batch 256 ({np.dtype(dtype).name})",
           {"f": lambda: f(params), "grad": lambda: g(params), "forward-over-reverse": lambda: h(params, v),
            "linearize apply": lambda: lin(v),
            "vmap apply k=16, per vector": lambda: lin_many(vs)},
           3 if QUICK else 11, 5)


if __name__ == "__main__":
    print("jax", jax.__version__, "devices", jax.devices())
    tiny()
    rosenbrock()
    mlp(jnp.float64)
    mlp(jnp.float32)
