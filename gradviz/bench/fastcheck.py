"""Benchmark the gradient check: the fast engine against the reference loop, side by side.

``python -m gradviz.bench`` (or ``gradviz bench``) checks three tanh / softmax_ce nets (m = 8,
float64, l2 = 0.01) in full with the fast engine, runs the reference loop on a seeded sample of
the same components in the same process, and prints both rates, their ratio, the largest
difference between the two numeric gradients against the rounding bound 50·u·max(|J|, 1)/ε, and the
fast engine's peak memory. With torch installed, torch.autograd.gradcheck (exact mode) runs on
the medium net's loss as a function of a seeded sample of θ's components. ``--json`` prints the
figures as JSON. On a shared machine, ``OPENBLAS_NUM_THREADS=1`` keeps the reference loop's BLAS
calls from waiting on a busy second core, which gives the steadier (and lower) ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from typing import Any

import numpy as np

from gradviz.core import LayerSpec, Network, NetworkSpec, gradient_check, quick_check
from gradviz.core.check.fastcheck import rounding_bound

NETS = {
    "small": (2, 16, 16, 3),
    "medium": (64, 128, 64, 10),
    "large": (784, 256, 128, 10),
}
#: reference-loop components sampled per block (seeded), per net
REFERENCE_SAMPLE = {"small": None, "medium": 150, "large": 100}
#: full fast checks per net; the fastest is reported (the machine may be shared)
FAST_RUNS = 3
EPSILON = 1e-7
M = 8
TARGETS = {"large_seconds": 2.0, "ratio": 100.0, "peak_mib": 512.0, "bound": 1.0}


def build(sizes: tuple[int, ...], seed: int = 0) -> tuple[Network, np.ndarray, np.ndarray]:
    """The benchmark net (tanh hidden layers, linear output, softmax_ce, l2 = 0.01) and its data."""
    layers = [LayerSpec(n, "tanh") for n in sizes[1:-1]] + [LayerSpec(sizes[-1], "linear")]
    spec = NetworkSpec(sizes[0], layers, loss="softmax_ce", l2=0.01, dtype="float64", seed=seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((sizes[0], M))
    y = rng.integers(0, sizes[-1], M)
    return Network(spec), X, y


def measure(name: str, sample: int | None) -> dict[str, Any]:
    """Fast (full) and reference (sampled) checks of one net, timed in the same process."""
    net, X, y = build(NETS[name])
    n = net.spec.n_params
    runs = []
    for _ in range(FAST_RUNS):
        start = time.perf_counter()
        fast = gradient_check(net, X, y, epsilon=EPSILON, engine="fast")
        runs.append(time.perf_counter() - start)
    fast_s = min(runs)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    gradient_check(net, X, y, epsilon=EPSILON, engine="fast")
    peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    start = time.perf_counter()
    ref = gradient_check(net, X, y, epsilon=EPSILON, engine="reference", sample=sample, seed=7)
    ref_s = time.perf_counter() - start
    bound = rounding_bound(np.float64, ref.loss, EPSILON)
    worst = max(
        float(np.max(np.abs(fast.blocks[k].numeric - b.numeric)[b.checked]))
        for k, b in ref.blocks.items()
    )
    start = time.perf_counter()
    quick = quick_check(net, X, y)
    quick_s = time.perf_counter() - start
    fast_rate, ref_rate = n / fast_s, ref.n_checked / ref_s
    return {
        "net": name, "sizes": list(NETS[name]), "params": n, "fast_seconds": fast_s, "fast_runs": runs,
        "fast_rate": fast_rate, "reference_components": ref.n_checked, "reference_seconds": ref_s,
        "reference_rate": ref_rate, "ratio": fast_rate / ref_rate, "max_abs_difference": worst,
        "rounding_bound": bound, "within_bound": worst <= bound, "peak_mib": peak,
        "difference": fast.difference, "quick_check_seconds": quick_s,
        "quick_check_evaluations": quick.evaluations, "quick_check_passed": quick.passed,
    }


def torch_gradcheck(name: str = "medium", sample: int = 400) -> dict[str, Any] | None:
    """torch.autograd.gradcheck (exact mode) on the same J(θ), over a seeded sample of θ's
    components (the others held fixed); its rate is extrapolated. None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # gradcheck is a long series of tiny ops: threads only add waiting
    net, X, y = build(NETS[name])
    shapes = [(k, v.shape) for k, v in net.params.items()]
    full = torch.tensor(np.concatenate([v.ravel() for v in net.params.values()]), dtype=torch.float64)
    index = torch.tensor(np.sort(np.random.default_rng(7).choice(full.numel(), sample, replace=False)))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    L, l2 = net.n_layers, net.spec.l2

    def loss(t):
        params, i = {}, 0
        for k, shape in shapes:
            size = int(np.prod(shape))
            params[k], i = t[i : i + size].reshape(shape), i + size
        A = Xt
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = torch.tanh(Z) if l < L else Z
        data = torch.nn.functional.cross_entropy(A.T, yt)
        reg = l2 / (2 * M) * sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
        return data + reg

    def on_sample(part):
        return loss(full.index_put((index,), part))

    ours = gradient_check(net, X, y, engine="fast").loss
    same = abs(float(loss(full)) - ours) <= 1e-12 * abs(ours)
    part = full[index].clone().requires_grad_(True)
    start = time.perf_counter()
    ok = torch.autograd.gradcheck(on_sample, (part,), eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False)
    seconds = time.perf_counter() - start
    return {"net": name, "components": sample, "seconds": seconds, "rate": sample / seconds,
            "passed": bool(ok), "same_loss": same, "version": torch.__version__}


def run(nets: list[str]) -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rows = [measure(name, REFERENCE_SAMPLE[name]) for name in nets]
    torch_row = torch_gradcheck() if "medium" in nets else None
    skipped = None
    if "medium" not in nets:
        skipped = "it runs with the medium net"
    elif torch_row is None:
        skipped = "torch is not installed"
    else:
        medium = next(r for r in rows if r["net"] == "medium")
        torch_row["fast_over_torch"] = medium["fast_rate"] / torch_row["rate"]
    result = {
        "settings": {"m": M, "dtype": "float64", "activation": "tanh", "loss": "softmax_ce",
                     "l2": 0.01, "epsilon": EPSILON, "method": "centered"},
        "machine": {"cpus": os.cpu_count(), "load_average_1min": load,
                    "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")},
        "nets": rows,
        "torch": torch_row,
        "torch_skipped": skipped,
    }
    large = next((r for r in rows if r["net"] == "large"), None)
    if large is not None:
        result["targets"] = {
            "large_full_check_seconds": [large["fast_seconds"], TARGETS["large_seconds"],
                                         large["fast_seconds"] <= TARGETS["large_seconds"]],
            "ratio": [large["ratio"], TARGETS["ratio"], large["ratio"] >= TARGETS["ratio"]],
            "peak_mib": [large["peak_mib"], TARGETS["peak_mib"], large["peak_mib"] <= TARGETS["peak_mib"]],
            "within_rounding_bound": all(r["within_bound"] for r in rows),
        }
    return result


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"{'net':8} {'params':>8} {'fast s':>8} {'fast comp/s':>12} {'ref comp/s':>11} "
        f"{'(sampled)':>9} {'ratio':>8} {'max|Δ|':>9} {'bound':>9} {'peak MiB':>9} {'quick s':>8}",
    ]
    for r in result["nets"]:
        lines.append(
            f"{r['net']:8} {r['params']:>8} {r['fast_seconds']:>8.3f} {r['fast_rate']:>12,.0f} "
            f"{r['reference_rate']:>11,.0f} {r['reference_components']:>9} {r['ratio']:>7,.0f}x "
            f"{r['max_abs_difference']:>9.1e} {r['rounding_bound']:>9.1e} {r['peak_mib']:>9.1f} "
            f"{r['quick_check_seconds']:>8.3f}"
        )
    t = result["torch"]
    if t is None:
        lines.append(f"torch.autograd.gradcheck comparison skipped: {result['torch_skipped']}")
    else:
        lines.append(
            f"torch {t['version']} gradcheck (exact mode) on {t['net']}: {t['rate']:,.0f} comp/s "
            f"({t['components']} sampled components in {t['seconds']:.2f} s); "
            f"fast engine {t['fast_over_torch']:,.0f}x faster; "
            f"same loss: {t['same_loss']}"
        )
    if "targets" in result:
        g = result["targets"]
        lines.append(
            "targets (large net): full check {:.2f} s (≤ {:.0f} s: {}), ratio {:,.0f}x (≥ {:.0f}x: {}), "
            "peak {:.1f} MiB (≤ {:.0f} MiB: {}), within rounding bound: {}".format(
                *g["large_full_check_seconds"][:2], _yes(g["large_full_check_seconds"][2]),
                *g["ratio"][:2], _yes(g["ratio"][2]), *g["peak_mib"][:2], _yes(g["peak_mib"][2]),
                _yes(g["within_rounding_bound"]))
        )
    m = result["machine"]
    lines.append(f"machine: {m['cpus']} CPUs, 1-minute load average {m['load_average_1min']:.1f}, "
                 f"OPENBLAS_NUM_THREADS={m['openblas_threads'] or 'unset'}; fast: best of {FAST_RUNS} runs")
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "met" if flag else "MISSED"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--user" in argv:
        from gradviz.bench.user import main as user_main

        return user_main([a for a in argv if a != "--user"])
    parser = argparse.ArgumentParser(prog="gradviz bench", description=__doc__.splitlines()[0])
    parser.add_argument("--user", action="store_true",
                        help="instead: a user's numpy model in one process, in workers and executors "
                             "(see gradviz bench --user --help)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--nets", default=",".join(NETS),
                        help=f"comma-separated nets among {', '.join(NETS)} (default: all)")
    args = parser.parse_args(argv)
    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    unknown = [n for n in nets if n not in NETS]
    if unknown or not nets:
        parser.exit(2, f"gradviz bench: --nets must name nets among {', '.join(NETS)}; got {args.nets!r}\n")
    result = run(nets)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
