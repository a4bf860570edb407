"""The reference loop's first step spread over worker processes, or any ``concurrent.futures.Executor``.

The components to check are cut into chunks (one block each), all queued at once. A worker
builds its copy of J(θ) once, from a pickle of the checking process's objective or, for a model
loaded from a ``.py`` file, by importing the file again and copying the parameters in, and then
runs the same loop as one process (``reference_numeric``, with the kink test read from J where
the check uses one): the same perturbations in the same order of operations, so the numbers are
bit-identical. Chunks last about CHUNK_SECONDS, so the heatmap fills as they finish and a
cancelled check stops quickly even where a running chunk cannot be interrupted (a dask cluster);
local processes and threads also stop between two loss evaluations. The later steps for failing
components (rounding probe, second ε) run in the checking process.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import pickle
import platform
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from threadpoolctl import threadpool_limits

from gradviz.core.check.modelfile import load_model_file, source_of
from gradviz.core.check.objective import ModelObjective
from gradviz.core.check.reference import reference_numeric
from gradviz.core.diagnosis.kinks import KinkTest

#: a chunk's target duration (seconds), from one timed loss evaluation
CHUNK_SECONDS = 0.2
#: at least this many chunks per worker, so that workers finish together
CHUNKS_PER_WORKER = 4
#: a check expected to take less (seconds, in one process) runs in one process: starting worker
#: processes would take about as long
MIN_SECONDS_FOR_WORKERS = 1.0
#: loss evaluations per component, by method
EVALUATIONS = {"centered": 2, "forward": 1, "complex": 1, "richardson": 4}
HOW_TO_SEND = ("define the model's class at the top level of an importable module (no lambdas, "
               "closures or open files in it) or load it from a .py model file")

Chunk = tuple[int, int, np.ndarray, np.ndarray]  # start, stop, numeric, kink (a chunker's results)


class ModelNotSent(RuntimeError):
    """A worker could not rebuild the model (raised in the worker, handled by the caller)."""


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def resolve_workers(workers: int | str | None, executor: Executor | None) -> int:
    """How many local processes to start: 1 means none (one process, or the given executor)."""
    if executor is not None:
        if not isinstance(executor, Executor):
            raise ValueError("executor must be a concurrent.futures.Executor (ProcessPoolExecutor, "
                             f"ThreadPoolExecutor, dask's Client.get_executor()); got {executor!r}")
        if workers is not None:
            raise ValueError("give workers or executor, not both")
        return 1
    if workers is None:
        return 1
    if workers == "auto":
        return available_cores()
    if isinstance(workers, bool) or not isinstance(workers, Integral) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, 'auto' or None; got {workers!r}")
    return int(workers)


@dataclass(frozen=True)
class ModelRecipe:
    """How a worker builds its objective: ``kind`` "pickle" (payload: the pickled objective) or
    "file" (payload: the pickled (path, params, X, y, loss_scale)); ``token`` names the check;
    ``kink_test``: (epsilon, dtype, method) of the check's KinkTest, or None without one."""

    token: str
    kind: str
    payload: bytes
    kink_test: tuple[float, str, str] | None = None


def recipe_for(objective, reimport: bool = True, kinks: KinkTest | None = None) -> ModelRecipe:
    """The recipe of ``objective``; raises whatever pickling raises when it cannot be sent.
    reimport: a model from a .py file is imported again by the worker (other processes), rather
    than unpickled (threads of this process, where its module is loaded)."""
    token = uuid.uuid4().hex
    kink_test = None if kinks is None else (kinks.epsilon, kinks.dtype, kinks.method)
    from_file = reimport and isinstance(objective, ModelObjective)
    path = source_of(objective.model) if from_file else None
    if path is not None:
        params = {k: np.asarray(v) for k, v in objective.params.items()}
        data = (str(path), params, objective.X, objective.y, objective.loss_scale)
        return ModelRecipe(token, "file", pickle.dumps(data), kink_test)
    return ModelRecipe(token, "pickle", pickle.dumps(objective), kink_test)


def _build(recipe: ModelRecipe):
    """The objective a recipe describes, and its KinkTest (or None), built in the worker."""
    try:
        if recipe.kind == "pickle":
            objective = pickle.loads(recipe.payload)
        else:
            path, params, X, y, loss_scale = pickle.loads(recipe.payload)
            model = load_model_file(path).model
            for name, value in params.items():
                target = model.params.get(name)
                if not (isinstance(target, np.ndarray) and target.shape == value.shape
                        and target.dtype == value.dtype):
                    raise ValueError(f"{path} builds a model whose {name!r} differs from the checked one's")
                np.copyto(target, value)
            objective = ModelObjective(model, X, y, loss_scale=loss_scale)
    except Exception as exc:
        raise ModelNotSent(f"{type(exc).__name__}: {exc}") from exc
    kinks = None if recipe.kink_test is None else KinkTest(objective, *recipe.kink_test)
    return objective, kinks


_local = threading.local()  # this thread's objective: (token, objective, kink test)
#: freed memory a worker process keeps for its next loss evaluation (bytes)
KEPT_FREE_BYTES = 128 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_memory_kept = False


def keep_freed_memory(process_is_worker: bool | None = None) -> bool:
    """In a worker process on glibc, keep up to KEPT_FREE_BYTES of freed memory instead of
    returning it to the system at each free: a loss evaluation allocates and frees the same
    arrays again and again, and glibc's defaults made a worker spend as much time in page faults
    as in the loss (4.6 s of system time beside 5.5 s of user time for ``gradviz bench --user``).
    Does nothing in the checking process itself (threads of an executor run there) or elsewhere
    than glibc. Returns whether the setting was made."""
    global _memory_kept
    if process_is_worker is None:
        process_is_worker = multiprocessing.parent_process() is not None
    if _memory_kept or not process_is_worker or platform.libc_ver()[0] != "glibc":
        return _memory_kept
    libc = ctypes.CDLL(None)
    _memory_kept = bool(libc.mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_BYTES)
                        and libc.mallopt(_M_MMAP_THRESHOLD, KEPT_FREE_BYTES))
    return _memory_kept


def _objective_for(recipe: ModelRecipe):
    """This thread's copy of the recipe's objective and kink test, built on first use."""
    cached = getattr(_local, "objective", None)
    if cached is None or cached[0] != recipe.token:
        keep_freed_memory()
        _local.objective = (recipe.token, *_build(recipe))
    return _local.objective[1:]


def evaluate_chunk(recipe: ModelRecipe, name: str, flat: np.ndarray, epsilon: float, method: str,
                   cancel=None) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """The reference loop over components ``flat`` (n,) of block ``name``: (numeric (n,), kink (n,),
    the kink test's slopes of failing components), or None when ``cancel`` (an Event) was set
    before the chunk ended."""
    objective, kinks = _objective_for(recipe)
    values, crossed = np.full(len(flat), np.nan), np.zeros(len(flat), dtype=bool)
    if kinks is not None:
        kinks.slopes.clear()
    if cancel is not None and cancel.is_set():
        return None
    try:
        for i, value, kink in reference_numeric(objective, name, flat, epsilon, method, kinks):
            values[i], crossed[i] = value, kink
            if cancel is not None and cancel.is_set():
                return None
    except Exception as exc:
        if _round_trips(exc):
            raise
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from exc
    return values, crossed, {} if kinks is None else dict(kinks.slopes)


def _round_trips(exc: BaseException) -> bool:
    """Whether the exception survives pickling (so the caller sees its type and message)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True


_worker_state: dict = {}  # in a process of a FirstStep's own pool: recipe, cancel event


def limit_blas_threads(threads: int = 1) -> None:
    """Limit numpy's BLAS to ``threads`` threads in this process: an initializer for process pools
    (``ProcessPoolExecutor(n, initializer=limit_blas_threads)``), where idle BLAS threads spinning
    beside n busy processes would slow every one of them. Importing this module loads numpy's BLAS
    first, so the limit reaches it (threadpoolctl limits only libraries already loaded)."""
    threadpool_limits(threads)


def _start_worker(recipe: ModelRecipe, cancel, blas_threads: int) -> None:
    """Initializer of the own pool's processes: keep the recipe, limit BLAS threads."""
    _worker_state.update(recipe=recipe, cancel=cancel)
    limit_blas_threads(blas_threads)


def _pool_chunk(name: str, flat: np.ndarray, epsilon: float, method: str):
    state = _worker_state
    return evaluate_chunk(state["recipe"], name, flat, epsilon, method, state["cancel"])


@contextmanager
def first_step_chunker(serial: Callable, objective, plan: dict[str, np.ndarray], epsilon: float,
                       method: str, kinks: KinkTest | None, *, workers: int,
                       executor: Executor | None, warnings: list[str]):
    """A chunker for the check's first step (``serial``'s signature and results) that runs it on
    ``workers`` local processes or the ``executor``; ``serial`` itself when neither is asked for.
    Leaving the block (at the end, on error, or when the check is closed) cancels what is left."""
    if workers == 1 and executor is None:
        yield serial
        return
    step = FirstStep(serial, objective, plan, epsilon, method, kinks, workers, executor, warnings)
    try:
        yield step
    finally:
        step.close()


class FirstStep:
    """Submits every chunk of ``plan`` at once, then, called like ``serial`` for one block, yields
    that block's chunks as they finish. Runs ``serial`` (in this process) when the check would
    take less than MIN_SECONDS_FOR_WORKERS there and no executor is given, and falls back to it,
    with a sentence in ``warnings``, when the model cannot be sent."""

    def __init__(self, serial: Callable, objective, plan: dict[str, np.ndarray], epsilon: float,
                 method: str, kinks: KinkTest | None, workers: int, executor: Executor | None,
                 warnings: list[str]) -> None:
        self.serial, self.plan, self.epsilon, self.kinks = serial, plan, epsilon, kinks
        self.warnings, self.executor, self.own, self.cancel = warnings, executor, False, None
        self.pending: dict[str, dict] | None = None  # block -> {future: (start, stop)}
        total = sum(len(flat) for flat in plan.values())
        if not total:
            return
        if getattr(objective, "dropout", "off") == "resample":
            warnings.append("checked in one process: dropout 'resample' draws a fresh mask for each "
                            "evaluation in turn, which workers cannot share")
            return
        per_component = _seconds_per_component(objective, plan, method)
        if executor is None and per_component * total < MIN_SECONDS_FOR_WORKERS:
            return
        try:
            recipe = recipe_for(objective, not isinstance(executor, ThreadPoolExecutor), kinks)
        except Exception as exc:
            warnings.append(f"checked in one process: the model cannot be sent to workers "
                            f"({type(exc).__name__}: {exc}); {HOW_TO_SEND}")
            return
        parallelism = workers if executor is None else getattr(executor, "_max_workers", available_cores())
        size = _chunk_size(per_component, total, parallelism)
        if executor is None:
            context = multiprocessing.get_context("spawn")  # no fork: safe beside Qt and threads
            self.cancel, self.own = context.Event(), True
            blas = max(1, available_cores() // workers)
            self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                                initargs=(recipe, self.cancel, blas))
        elif isinstance(executor, ThreadPoolExecutor):
            self.cancel = threading.Event()
        self.pending = {}
        for name, flat in plan.items():
            self.pending[name] = {}
            for lo in range(0, len(flat), size):
                hi = min(lo + size, len(flat))
                future = (self.executor.submit(_pool_chunk, name, flat[lo:hi], epsilon, method)
                          if self.own else self.executor.submit(evaluate_chunk, recipe, name,
                                                                flat[lo:hi], epsilon, method, self.cancel))
                self.pending[name][future] = (lo, hi)

    def __call__(self, objective, name: str, flat: np.ndarray, epsilon: float,
                 method: str) -> Iterator[Chunk]:
        if self.pending is None or epsilon != self.epsilon or name not in self.pending:
            yield from self.serial(objective, name, flat, epsilon, method)
            return
        futures = self.pending[name]  # stays there until done, for close() to cancel
        for future in as_completed(list(futures)):
            lo, hi = futures.pop(future)
            try:
                values, crossed, slopes = future.result()
            except ModelNotSent as exc:
                self.warnings.append(f"checked in one process: the workers could not rebuild the "
                                     f"model ({exc}); {HOW_TO_SEND}")
                left = [(lo, hi), *futures.values()]
                self.close()
                for a, b in left:
                    for start, stop, v, c in self.serial(objective, name, flat[a:b], epsilon, method):
                        yield a + start, a + stop, v, c
                return
            except BrokenExecutor as exc:
                raise RuntimeError(
                    f"a worker process stopped abruptly ({type(exc).__name__}: out of memory, a crash "
                    "in native code, or a script that checks outside `if __name__ == '__main__':`); "
                    "run the check with workers=1 to see the error in this process") from exc
            if self.kinks is not None:
                self.kinks.slopes.update(slopes)
            yield lo, hi, values, crossed
        del self.pending[name]

    def close(self) -> None:
        """Cancel the chunks not yet done; stop local workers and threads between evaluations."""
        if self.cancel is not None:
            self.cancel.set()
        for futures in (self.pending or {}).values():
            for future in futures:
                future.cancel()
        self.pending = None
        if self.own:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.own = False


def _seconds_per_component(objective, plan: dict[str, np.ndarray], method: str) -> float:
    """The reference loop's time per component, from one timed loss evaluation."""
    name = next(name for name, flat in plan.items() if len(flat))
    start = time.perf_counter()
    objective.value(name, int(plan[name][0]), 0.0)
    return EVALUATIONS[method] * (time.perf_counter() - start)


def _chunk_size(per_component: float, total: int, parallelism: int) -> int:
    """Components per chunk: about CHUNK_SECONDS of work, at least CHUNKS_PER_WORKER chunks each."""
    by_time = max(1, int(CHUNK_SECONDS / max(per_component, 1e-9)))
    return min(by_time, max(1, math.ceil(total / (CHUNKS_PER_WORKER * max(1, parallelism)))))
