#!/usr/bin/env python3
"""Merges hvp's side (the mgh_table example, --json) and scipy's side
(scripts/scipy_mgh.py --json) into the markdown tables of
docs/mgh-comparison.md.

    cargo run --release -p hvp-problems --example mgh_table -- --json > hvp.jsonl
    /work/venv-jax/bin/python scripts/scipy_mgh.py --json > scipy.jsonl
    python3 scripts/mgh_comparison.py hvp.jsonl scipy.jsonl > tables.md

Pairs: hvp newton-cg / scipy Newton-CG, tr-cg / trust-ncg, tr-lanczos /
trust-krylov. "evals" is f + ∇f + Hv evaluations (scipy: nfev + njev + nhev).
"""
import json
import sys

PAIRS = [("newton-cg", "Newton-CG"), ("tr-cg", "trust-ncg"), ("tr-lanczos", "trust-krylov")]


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def main():
    hvp = load(sys.argv[1])
    sp = load(sys.argv[2])
    H = {(r["problem"], r["n"], r["method"]): r for r in hvp}
    S = {(r["problem"], r["n"], r["method"], r["setting"]): r for r in sp}
    problems = []
    for r in hvp:
        if (r["problem"], r["n"]) not in problems:
            problems.append((r["problem"], r["n"]))
    print("| problem | n | hvp method | status | iters | f / ∇f / Hv | ‖∇f‖ | scipy method | "
          "success (tight) | nit | nfev / njev / nhev | ‖∇f‖ | default: success, nit, nhev, ‖∇f‖ |")
    print("|---|---:|---|---|---:|---|---:|---|---|---:|---|---:|---|")
    wins = {p: [0, 0, 0] for p, _ in PAIRS}
    for (name, n) in problems:
        sname = "rosen (scipy)" if name == "chained-rosenbrock" and n == 10000 else name
        for hm, sm in PAIRS:
            h = H.get((name, n, hm))
            if h is None:
                continue
            he = h["f_evals"] + h["grad_evals"] + h["hv_products"]
            t = S.get((sname, n, sm, "tight"))
            d = S.get((sname, n, sm, "default"))
            cells = [name, str(n), hm, h["status"], str(h["iterations"]),
                     f'{h["f_evals"]} / {h["grad_evals"]} / {h["hv_products"]}',
                     f'{h["grad_norm"]:.1e}']
            if t is None or "error" in t:
                cells += [sm, "–", "", "", "", ""]
            else:
                se = t["nfev"] + t["njev"] + t["nhev"]
                if h["status"] in ("gradient_tolerance", "step_tolerance", "function_tolerance") \
                        and t["success"]:
                    wins[hm][0 if he < se else 1 if he > se else 2] += 1
                cells += [sm, str(t["success"]), str(t["nit"]),
                          f'{t["nfev"]} / {t["njev"]} / {t["nhev"]}', f'{t["grad_norm"]:.1e}']
                cells.append("" if d is None or "error" in d else
                             f'{d["success"]}, {d["nit"]}, {d["nhev"]}, {d["grad_norm"]:.1e}')
            print("| " + " | ".join(cells) + " |")
    print()
    print("Where both converged (hvp a convergence status, scipy tight `success`), total "
          "evaluations f + ∇f + Hv:")
    print()
    for hm, sm in PAIRS:
        w, l, e = wins[hm]
        print(f"- hvp {hm} vs scipy {sm}: fewer on {w}, more on {l}, equal on {e} problems")


if __name__ == "__main__":
    main()
