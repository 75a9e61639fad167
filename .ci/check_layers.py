#!/usr/bin/env python3
"""Fails when a workspace crate depends on a workspace crate that DESIGN.md's
dependency table does not allow (edges point down only)."""
import json
import subprocess
import sys

# DESIGN.md section 2: crate -> workspace crates it may depend on.
ALLOWED = {
    "hvp-tensor": set(),
    "hvp-ir": {"hvp-tensor"},
    "hvp-transforms": {"hvp-ir", "hvp-tensor"},
    "hvp-exec": {"hvp-ir", "hvp-tensor"},
    "hvp-linop": {"hvp-tensor"},
    "hvp-solvers": {"hvp-linop", "hvp-tensor"},
    "hvp-optim": {"hvp-solvers", "hvp-linop", "hvp-tensor"},
    "hvp": {"hvp-tensor", "hvp-ir", "hvp-transforms", "hvp-exec", "hvp-linop", "hvp-solvers", "hvp-optim"},
    "hvp-problems": {"hvp"},
    "hvp-nn": {"hvp"},
    "hvp-cli": {"hvp", "hvp-problems", "hvp-nn"},
    "hvp-testkit": {"hvp-tensor"},
}
# Test-only crates every crate may use as a dev-dependency.
DEV_EXTRA = {"hvp-testkit"}

meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps"]))
members = {p["name"] for p in meta["packages"]}
errors = []
for pkg in meta["packages"]:
    name = pkg["name"]
    if name not in ALLOWED:
        errors.append(f"{name}: not in the dependency table of DESIGN.md section 2 (add it there and here)")
        continue
    for dep in pkg["dependencies"]:
        d = dep["name"]
        if d not in members:
            continue
        kind = dep["kind"]  # None (normal), "dev" or "build"
        allowed = ALLOWED[name] | (DEV_EXTRA if kind == "dev" else set())
        # A dev-dependency may also reach below through an allowed crate:
        # tests of a crate may use anything its allowed crates may use.
        if kind == "dev":
            for a in list(allowed):
                allowed |= ALLOWED.get(a, set())
        if d not in allowed:
            errors.append(f"{name} -> {d} ({kind or 'normal'}) breaks the dependency rule")
if errors:
    print("layer check failed:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print(f"layer check: {len(meta['packages'])} crates, all edges allowed")
