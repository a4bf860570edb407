"""Benchmark the reference loop on a user's own model: one process against workers and executors.

``gradviz bench --user`` checks a CS231n-style numpy two-layer net (64 → 48 → 10, 3,610
components, N = 1,200 examples, about 1 ms per loss) in full, side by side in one run: in this
process, with ``workers=2``, with a ProcessPoolExecutor started beforehand and, with dask
installed, on a LocalCluster (2 processes, 1 thread each) started after those rounds. Rounds
alternate the routes, so a busy machine slows them alike; the medians are reported with the
speed-up over one process, the CPU time and the cores the run got (CPU time / wall time, where
measurable: the CPU time of a started pool's processes is not known until they end) and
whether the numbers are bit-identical. Every process runs one BLAS thread (limit_blas_threads), so the
speed-up compares cores, not BLAS threading. Linux shares a busy machine's cores between login
sessions (autogroup), so other sessions' work can hold the workers to one core: "cores used" shows it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from gradviz.core import gradient_check
from gradviz.core.check.parallel import limit_blas_threads

D, H, C, N = 64, 48, 10, 1200
WORKERS = 2
TARGET = 1.6  # speed-up with 2 workers on a 2-core machine


class TwoLayerNet:
    """A user's model as CS231n writes it: affine - relu - affine - softmax, L2 0.5·reg·Σ‖W‖².
    X (N, D), W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); loss(X, y) -> (loss, grads)."""

    def __init__(self, D: int = D, H: int = H, C: int = C, reg: float = 0.01, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((D, H)) / np.sqrt(D), "b1": 0.1 * rng.standard_normal(H),
                       "W2": rng.standard_normal((H, C)) / np.sqrt(H), "b2": 0.1 * rng.standard_normal(C)}
        self.reg = reg

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        z = X @ W1 + b1
        h = np.maximum(0, z)
        scores = h @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean() + 0.5 * self.reg * (np.sum(W1**2) + np.sum(W2**2))
        dscores = probs.copy()
        dscores[np.arange(n), y] -= 1
        dscores /= n
        dz = dscores @ W2.T * (z > 0)
        return float(loss), {"W1": X.T @ dz + self.reg * W1, "b1": dz.sum(axis=0),
                             "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}


def data(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(0, C, N)


def _same(a, b) -> bool:
    return all(np.array_equal(a.blocks[k].numeric, b.blocks[k].numeric) for k in a.blocks)


def run(rounds: int, use_dask: bool) -> dict[str, Any]:
    """Seconds per route per round, medians, speed-ups and bit-identity against one process."""
    model, (X, y) = TwoLayerNet(), data()
    components = sum(v.size for v in model.params.values())
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        stack.enter_context(threadpool_limits(1))
        start = time.perf_counter()
        for _ in range(20):
            model.loss(X, y)
        loss_ms = (time.perf_counter() - start) / 20 * 1e3
        pool = stack.enter_context(ProcessPoolExecutor(
            WORKERS, mp_context=multiprocessing.get_context("spawn"),
            initializer=limit_blas_threads))
        list(pool.map(abs, range(WORKERS)))  # started beforehand, as a user's pool would be
        timings = _rounds(model, X, y, rounds, {
            "one process": {}, f"workers={WORKERS}": {"workers": WORKERS},
            "ProcessPoolExecutor (started)": {"executor": pool}})
        dask_note = "not asked for (--no-dask)"
        if use_dask:  # started afterwards: its idle processes share this session's CPU time
            dask_note, executor = _dask_executor(stack)
            if executor is not None:
                timings.update(_rounds(model, X, y, rounds, {"dask LocalCluster (started)":
                                                             {"executor": executor}}))
    serial_report = timings["one process"][2]
    serial = statistics.median(timings["one process"][0])
    rows = []
    for name, (times, cores, report) in timings.items():
        median = statistics.median(times)
        rows.append({"route": name, "seconds": times, "median_seconds": median,
                     "components_per_second": components / median, "speed_up": serial / median,
                     "cores_used": statistics.median(cores) if cores else None,
                     "cpu_seconds": statistics.median(c * t for c, t in zip(cores, times, strict=True))
                     if cores else None,
                     "same_numbers": _same(report, serial_report)})
    speed_up = next(r["speed_up"] for r in rows if r["route"] == f"workers={WORKERS}")
    return {
        "model": {"sizes": [D, H, C], "examples": N, "components": components, "loss_ms": loss_ms},
        "machine": {"cores": len(os.sched_getaffinity(0)),
                    "load_average_1min": [load_before, os.getloadavg()[0]]},
        "rounds": rounds, "routes": rows, "dask": dask_note,
        "target": {"speed_up": speed_up, "wanted": TARGET, "met": speed_up >= TARGET},
    }


def _rounds(model, X, y, rounds: int, routes: dict[str, dict]) -> dict[str, tuple[list, list, Any]]:
    """Each route once per round: {route: (seconds per round, cores used per round, last report)}.
    Cores used = CPU time of this process and its finished children / wall time (known where the
    route's processes end within the check: one process and the check's own workers)."""
    out = {name: ([], [], None) for name in routes}
    for _ in range(rounds):
        for name, options in routes.items():
            before, start = os.times(), time.perf_counter()
            report = gradient_check(model, X, y, **options)
            seconds, after = time.perf_counter() - start, os.times()
            times, cores, _ = out[name]
            times.append(seconds)
            if "executor" not in options:
                cpu = sum(after[:4]) - sum(before[:4])  # user, system, children user, children system
                cores.append(cpu / seconds)
            out[name] = (times, cores, report)
    return out


def _dask_executor(stack: ExitStack) -> tuple[str, Any]:
    """(what was started, or why not; a started LocalCluster's executor, or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return "skipped: dask is not installed (pip install 'gradviz[dask]')", None
    cluster = stack.enter_context(LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                               dashboard_address=":0"))
    client = stack.enter_context(Client(cluster))
    return "LocalCluster(n_workers=2, threads_per_worker=1, processes=True)", client.get_executor()


def table(result: dict[str, Any]) -> str:
    m, machine = result["model"], result["machine"]
    lines = [f"user model {'-'.join(map(str, m['sizes']))} on {m['examples']} examples: "
             f"{m['components']:,} components, {m['loss_ms']:.2f} ms per loss; "
             f"median of {result['rounds']} round(s)",
             f"{'route':32} {'seconds':>8} {'comp/s':>8} {'speed-up':>9} {'CPU s':>7} {'cores used':>11}"
             "  same numbers"]
    for r in result["routes"]:
        cpu, cores = ("n/a", "n/a") if r["cores_used"] is None else (f"{r['cpu_seconds']:.2f}",
                                                                     f"{r['cores_used']:.2f}")
        lines.append(f"{r['route']:32} {r['median_seconds']:>8.2f} {r['components_per_second']:>8,.0f} "
                     f"{r['speed_up']:>8.2f}x {cpu:>7} {cores:>11}  {'yes' if r['same_numbers'] else 'NO'}")
    t = result["target"]
    lines.append(f"target: {t['speed_up']:.2f}x with {WORKERS} workers (≥ {t['wanted']}x: "
                 f"{'met' if t['met'] else 'MISSED'}); dask: {result['dask']}")
    before, after = machine["load_average_1min"]
    lines.append(f"machine: {machine['cores']} cores, 1-minute load average {before:.1f} before, "
                 f"{after:.1f} after; one BLAS thread per process. Cores used below the workers' "
                 "count mean other work held the rest")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradviz bench --user", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every route (default 3)")
    parser.add_argument("--no-dask", action="store_true", help="leave the dask LocalCluster out")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.exit(2, f"gradviz bench --user: --rounds must be a whole number >= 1; got {args.rounds}\n")
    result = run(args.rounds, not args.no_dask)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
