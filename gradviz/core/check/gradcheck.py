"""Gradient checking: compare backprop's dθ with a numeric dθ_approx, component by component.

``iter_gradient_check`` is a generator that yields ``CheckProgress`` per chunk of components
(for progress bars, progressive heatmaps and cancel) and returns the ``CheckReport``;
``gradient_check`` runs it to the end. It measures (the first step at ε; where components
fail, the rounding probe and the second step), then diagnoses, then adds the warnings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Executor
from contextlib import contextmanager
from functools import partial
from numbers import Integral

import numpy as np

from gradviz.core.check.fastcheck import fast_numeric, fast_unavailable, fast_unavailable_at
from gradviz.core.check.objective import DROPOUT_MODES, ModelObjective, NetworkObjective, check_parameter
from gradviz.core.check.parallel import first_step_chunker, resolve_workers
from gradviz.core.check.reference import difference_quotient, first_value, reference_chunks
from gradviz.core.check.steps import (
    CheckProgress,
    measure,
    more_steps,
    refuse_diverged,
    refuse_infinite_loss,
)
from gradviz.core.diagnosis.advice import check_warnings
from gradviz.core.diagnosis.diagnosis import diagnose_check
from gradviz.core.diagnosis.kinks import KinkTest
from gradviz.core.model import fields
from gradviz.core.model.network import TERMS, Network
from gradviz.core.model.spec import MAX_SEED
from gradviz.core.report.check_report import BlockResult, CheckReport

METHODS = ("centered", "forward", "complex", "richardson")
ENGINES = ("auto", "fast", "reference")
#: the largest step ε: beyond it a difference quotient says nothing about a derivative
MAX_EPSILON = 10.0


def numeric_derivative(
    f: Callable[[float], float], x: float, epsilon: float = 1e-7, method: str = "centered"
) -> float:
    """Numeric df/dx of a scalar function: centered, forward, complex or richardson.

    f(θ) = θ³ at θ = 1 with ε = 0.01 gives 3.0001 centered and 3.0301 forward.
    """
    _validate_epsilon(epsilon)
    _one_of("method", method, METHODS)
    epsilon = float(epsilon)
    return float(difference_quotient(lambda delta: f(x + delta), first_value(f(x)), epsilon,
                                     method)[0])


def _one_of(name: str, value: object, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _validate_epsilon(epsilon: object) -> None:
    fields.number("epsilon", epsilon, low=0.0, high=MAX_EPSILON, low_open=True)


def validate_loss_scale(loss_scale: object) -> float:
    """loss_scale as a float: finite and > 0 (0, −0.0, NaN and inf would hide any bug)."""
    return fields.number("loss_scale", loss_scale, low=0.0, low_open=True)


def validate_seed(seed: object) -> int:
    return fields.whole("seed", seed, low=0, high=MAX_SEED)


def make_objective(model, X, y, *, dropout: str, terms: str, loss_scale: float, seed: int):
    """The J(θ) the check differentiates: NetworkObjective for gradviz Networks, else ModelObjective.
    Parameters must be real float arrays (a complex one would lose its imaginary part)."""
    if isinstance(model, Network):
        for name, value in model.params.items():
            check_parameter(f"params[{name!r}]", value)
        return NetworkObjective(model, X, y, dropout=dropout, terms=terms,
                                loss_scale=loss_scale, seed=seed)
    if dropout != "off":
        raise ValueError("dropout modes 'frozen' and 'resample' need the built-in gradviz Network; "
                         "turn your model's dropout off (keep_prob = 1) and use dropout='off'")
    if terms != "all":
        raise ValueError("terms='data' or 'reg' needs the built-in gradviz Network")
    return ModelObjective(model, X, y, loss_scale=loss_scale)


def select_components(
    shapes: dict[str, tuple[int, ...]], blocks: Iterable[str] | None, sample: int | None, seed: int
) -> dict[str, np.ndarray]:
    """Flat indices to check per block: all, or ``sample`` random ones (seeded), sorted."""
    names = list(shapes)
    if blocks is not None:
        if isinstance(blocks, str) or not isinstance(blocks, Iterable):
            blocks = [blocks]
        blocks = list(blocks)
        unknown = [b for b in blocks if not isinstance(b, str) or b not in shapes]
        if unknown or not blocks:
            raise ValueError(f"blocks must name parameters among {', '.join(names)}; got {blocks}")
        names = [n for n in names if n in blocks]
    rng = np.random.default_rng(seed)
    plan = {}
    for name in names:
        size = math.prod(shapes[name])
        if sample is None or sample >= size:
            plan[name] = np.arange(size)
        else:
            plan[name] = np.sort(rng.choice(size, size=sample, replace=False))
    return plan


def iter_gradient_check(
    model,
    X=None,
    y=None,
    *,
    epsilon: float = 1e-7,
    method: str = "centered",
    dropout: str = "off",
    terms: str = "all",
    blocks: Iterable[str] | None = None,
    sample: int | None = None,
    loss_scale: float = 1.0,
    seed: int = 0,
    engine: str = "auto",
    threads: int | None = None,
    workers: int | str | None = None,
    executor: Executor | None = None,
) -> Generator[CheckProgress, None, CheckReport]:
    """Run a gradient check step by step; see ``gradient_check`` for the arguments."""
    workers = resolve_workers(workers, executor)
    _validate_epsilon(epsilon)
    epsilon = float(epsilon)
    validate_seed(seed)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, Integral)
                                or threads < 1):
        raise ValueError(f"threads must be a whole number >= 1 or None; got {threads!r}")
    seed, threads = int(seed), None if threads is None else int(threads)
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, Integral) or sample < 1):
        raise ValueError(f"sample must be a whole number >= 1 (components per block); got {sample!r}")
    sample = None if sample is None else int(sample)
    _one_of("method", method, METHODS)
    _one_of("dropout", dropout, DROPOUT_MODES)
    _one_of("terms", terms, TERMS)
    _one_of("engine", engine, ENGINES)
    loss_scale = validate_loss_scale(loss_scale)
    if method == "complex":
        if not isinstance(model, Network):
            raise ValueError("method 'complex' needs the built-in gradviz Network: a custom "
                             "model's loss may not be analytic; use 'centered'")
        if model.spec.l1 and terms != "data":
            raise ValueError("method 'complex' needs an analytic loss, and the L1 term |W| is not; "
                             "set l1 to 0, check terms='data', or use 'centered'")
        if model.spec.dtype == "float16":
            raise ValueError("method 'complex' has no float16 complex type; use float32 or float64")

    if not isinstance(getattr(model, "params", None), dict) or not callable(
        getattr(model, "loss", None)
    ):
        raise ValueError("a model needs .params (a dict of arrays) and .loss(X, y) -> (J, grads)")
    unavailable = fast_unavailable(model, dropout)
    if engine == "fast" and unavailable:
        raise ValueError(f"engine 'fast' cannot serve this check: {unavailable}; "
                         "use engine 'auto' or 'reference'")
    used_engine = "reference" if engine == "reference" or unavailable else "fast"
    refuse_diverged(model.params)
    start = time.perf_counter()
    with preserved_params(model.params):
        objective = make_objective(model, X, y, dropout=dropout, terms=terms,
                                   loss_scale=loss_scale, seed=seed)
        refuse_infinite_loss(objective.J0)
        if used_engine == "fast":
            unavailable = fast_unavailable_at(objective)
            if unavailable and engine == "fast":
                raise ValueError(f"engine 'fast' cannot serve this check: {unavailable}; "
                                 "use engine 'auto' or 'reference'")
            used_engine = "reference" if unavailable else "fast"
        shapes = {k: v.shape for k, v in objective.params.items()}
        plan = select_components(shapes, blocks, sample, seed)
        progress = [0, sum(len(f) for f in plan.values())]
        kinks = None
        if (not getattr(objective, "tracks_kinks", True) and getattr(objective, "deterministic", True)
                and method in ("centered", "richardson")):
            kinks = KinkTest(objective, epsilon, str(objective.dtype), method)
        if used_engine == "reference":
            chunkers = (partial(reference_chunks, kinks=kinks), reference_chunks)
        else:
            chunkers = (partial(fast_numeric, workers=threads),) * 2
        notes: list[str] = []
        spread = used_engine == "reference"  # workers run the reference loop; the fast engine has threads
        with first_step_chunker(chunkers[0], objective, plan, epsilon, method, kinks,
                                workers=workers if spread else 1, executor=executor if spread else None,
                                warnings=notes) as first:
            numeric, kink = yield from measure(first, objective, plan, epsilon, method, progress,
                                                first=True)
        report = CheckReport(
            {k: BlockResult(k, objective.analytic[k], numeric[k], kink[k]) for k in plan},
            settings={
                "epsilon": epsilon, "method": method, "dropout": dropout, "terms": terms,
                "blocks": list(plan), "sample": sample, "loss_scale": loss_scale, "seed": seed,
                "dtype": str(objective.dtype),
                "examples": objective.X.shape[1] if isinstance(model, Network) else None,
            },
            loss=objective.J0,
            engine=used_engine,
            random_loss=not getattr(objective, "deterministic", True),
        )
        if kinks is not None:
            report.settings["kinks_from_J"] = True
        yield from more_steps(report, objective, chunkers, method, progress, kinks)
        if engine == "auto" and unavailable:
            report.warnings.append(f"checked with the slow reference loop: {unavailable}")
        report.warnings.extend(notes)
        report.warnings.extend(check_warnings(report, objective))
        diagnose_check(report, objective)
        report.elapsed = time.perf_counter() - start
        return report


@contextmanager
def preserved_params(params: dict):
    """Inside the block params may be perturbed; afterwards (even on error) every block is the
    same object as before, holding the same bits."""
    saved = {k: (v, np.array(v, copy=True)) for k, v in params.items()}
    try:
        yield
    finally:
        for name, (original, copy) in saved.items():
            if isinstance(original, np.ndarray):
                np.copyto(original, copy)
            params[name] = original


def gradient_check(
    model,
    X=None,
    y=None,
    *,
    epsilon: float = 1e-7,
    method: str = "centered",
    dropout: str = "off",
    terms: str = "all",
    blocks: Iterable[str] | None = None,
    sample: int | None = None,
    loss_scale: float = 1.0,
    seed: int = 0,
    engine: str = "auto",
    threads: int | None = None,
    workers: int | str | None = None,
    executor: Executor | None = None,
) -> CheckReport:
    """Compare every (or a sample of) component of backprop's gradient with a numeric one.

    model: a gradviz Network or any object with ``.params`` (dict of arrays) and
    ``.loss(X, y) -> (J, grads)`` (``layer_model``, ``function_model`` and model files make one);
    X and y may be left out when the model's loss ignores them.
    method: centered, forward, complex, richardson.
    dropout: off (keep_prob treated as 1), frozen (one mask for every evaluation and backprop),
    resample (a fresh mask per evaluation: shows why the check fails with dropout).
    terms: all, data (no regularization) or reg (regularization alone). blocks: names to check.
    sample: components per block (seeded by ``seed``); the rest are NaN (unchecked).
    engine: auto (the fast engine whenever it can serve the check, else the reference loop with
    the reason in the warnings), fast, or reference (one full loss evaluation per perturbation).
    threads: worker threads of the fast engine (default: up to 2); the numbers do not depend on it.
    workers: processes for the reference loop (a whole number, or "auto" for every core; default
    one process); executor: any concurrent.futures.Executor to run it instead (a process or thread
    pool, dask's ``Client.get_executor()``). Either way the numbers are bit-identical to one process.
    The model's parameters are unchanged afterwards, bit for bit, even on error.

    Where components disagree beyond their rounding floor, the check measures the rounding of J
    and of backprop near θ and evaluates those components again at a second step (ε/4 or 4ε),
    so that ``report.conclusion`` ("correct", "bug", "inconclusive") rests on error bounds
    (see gradviz.core.diagnosis). A diverged network (NaN or Inf in θ, or an infinite loss) is
    refused with a ValueError.
    """
    run = iter_gradient_check(
        model, X, y, epsilon=epsilon, method=method, dropout=dropout, terms=terms,
        blocks=blocks, sample=sample, loss_scale=loss_scale, seed=seed, engine=engine,
        threads=threads, workers=workers, executor=executor,
    )
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value
