"""The reference loop over worker processes and executors: bit-identical numbers, progress, cancel,
fallback for models that cannot be sent, and the user's errors as in one process."""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import threading
import types
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
from helpers import drain, numeric_gradient, rel_error, snapshot
from parallel_models import (
    CountingNet,
    RaisesWhenMoved,
    TwoLayerNet,
    WantsFreedMemoryKept,
    WantsOneBlasThread,
    WrongBias,
    data,
)

from gradviz.core import LayerSpec, Network, NetworkSpec, gradient_check, iter_gradient_check, quick_check
from gradviz.core.check import parallel
from gradviz.core.check.modelfile import load_model_file, source_of
from gradviz.core.check.reference import reference_chunks
from tests.modelfiles import write_project


@pytest.fixture(scope="module")
def pool():
    """One process pool for the module's executor tests (spawn, as a Qt app would use)."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


@pytest.fixture
def threads():
    with ThreadPoolExecutor(2) as executor:
        yield executor


@pytest.fixture(autouse=True)
def workers_for_any_check(monkeypatch):
    """Small checks would run in one process; these tests want the workers."""
    monkeypatch.setattr(parallel, "MIN_SECONDS_FOR_WORKERS", 0.0)


def evaluations(counter) -> list[int]:
    """The process ids of a CountingNet's loss evaluations."""
    return [int(line) for line in counter.read_text().split()]


def same_numbers(a, b) -> bool:
    return a.blocks.keys() == b.blocks.keys() and all(
        np.array_equal(a.blocks[k].numeric, b.blocks[k].numeric, equal_nan=True)
        and np.array_equal(a.blocks[k].kink, b.blocks[k].kink)
        and np.array_equal(a.blocks[k].analytic, b.blocks[k].analytic)
        and np.array_equal(*(np.asarray(r.blocks[k].numeric_second, dtype=float) for r in (a, b)),
                           equal_nan=True)  # the second step reads the first step's kink slopes
        and np.array_equal(a.blocks[k].kinds, b.blocks[k].kinds)
        for k in a.blocks
    )


def one_process_notes(report) -> list[str]:
    return [w for w in report.warnings if "one process" in w]


def test_the_serial_loop_agrees_with_an_independent_numeric_gradient():
    model, (X, y) = WrongBias(), data()
    report = gradient_check(model, X, y, engine="reference", epsilon=1e-6)
    expected = numeric_gradient(lambda: model.loss(X, y)[0], model.params["W1"])
    assert rel_error(report.blocks["W1"].numeric, expected) < 1e-7
    assert report.failing_blocks() == ["b2"]


@pytest.mark.parametrize("options", [{}, {"method": "forward"}, {"blocks": ["W1", "b2"], "sample": 5}])
def test_workers_and_executors_give_the_serial_numbers_bit_for_bit(pool, threads, options):
    model, (X, y) = WrongBias(), data()
    before = snapshot(model.params)
    serial = gradient_check(model, X, y, **options)
    for route in ({"executor": pool}, {"executor": threads}):
        report = gradient_check(model, X, y, **options, **route)
        assert same_numbers(report, serial)
        assert report.failing_blocks() == serial.failing_blocks() == ["b2"]
        assert not one_process_notes(report)
    assert snapshot(model.params) == before


def test_local_worker_processes_give_the_serial_numbers_bit_for_bit():
    model, (X, y) = TwoLayerNet(D=6, H=8), data(D=6)
    report = gradient_check(model, X, y, workers=2)
    assert same_numbers(report, gradient_check(model, X, y))
    assert not one_process_notes(report)


def test_a_check_shorter_than_starting_workers_runs_in_this_process(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_SECONDS_FOR_WORKERS", 60.0)
    counter = tmp_path / "evaluations"
    model, (X, y) = CountingNet(counter), data()
    report = gradient_check(model, X, y, workers=2)
    assert set(evaluations(counter)) == {os.getpid()}
    assert not one_process_notes(report)
    monkeypatch.setattr(parallel, "MIN_SECONDS_FOR_WORKERS", 0.0)
    counter.unlink()
    gradient_check(model, X, y, workers=2)
    assert set(evaluations(counter)) - {os.getpid()}  # worker processes evaluated the loss


def test_worker_processes_run_one_blas_thread_each():
    model, (X, y) = WantsOneBlasThread(D=2, H=3, C=2), data(D=2, C=2)
    assert not gradient_check(model, X, y, workers=2).failing_blocks()  # its loss raises otherwise
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=parallel.limit_blas_threads) as limited:
        assert not gradient_check(model, X, y, executor=limited).failing_blocks()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_worker_processes_keep_freed_memory_and_the_checking_process_does_not(pool):
    model, (X, y) = WantsFreedMemoryKept(D=2, H=3, C=2), data(D=2, C=2)
    assert not gradient_check(model, X, y, workers=2).failing_blocks()  # its loss raises otherwise
    assert not gradient_check(model, X, y, executor=pool).failing_blocks()
    assert parallel.keep_freed_memory() is False  # pytest's own process is no worker
    assert parallel._memory_kept is False


def test_a_network_checked_by_the_reference_loop_in_workers(pool):
    spec = NetworkSpec(3, [LayerSpec(5, "relu"), LayerSpec(2, "linear")], loss="softmax_ce", l2=0.1,
                       dtype="float64", seed=3)
    net = Network(spec)
    X, y = np.random.default_rng(0).standard_normal((3, 6)), np.array([0, 1, 1, 0, 1, 0])
    serial = gradient_check(net, X, y, engine="reference")
    assert same_numbers(gradient_check(net, X, y, engine="reference", executor=pool), serial)
    resampled = gradient_check(net, X, y, engine="reference", dropout="resample", executor=pool)
    assert one_process_notes(resampled)


def _closure_model():
    class Local(TwoLayerNet):
        pass

    return Local()


class WithOpenFile(TwoLayerNet):
    def __init__(self, path):
        super().__init__()
        self.log = open(path, "w")  # noqa: SIM115 (the model keeps it open, as user code may)


@pytest.mark.parametrize("kind", ["closure", "open file"])
def test_a_model_that_cannot_be_sent_is_checked_in_one_process_with_a_warning(tmp_path, kind):
    model = _closure_model() if kind == "closure" else WithOpenFile(tmp_path / "log.txt")
    X, y = data()
    try:
        report = gradient_check(model, X, y, workers=2)
        assert same_numbers(report, gradient_check(model, X, y))
    finally:
        if kind == "open file":
            model.log.close()
    (note,) = one_process_notes(report)
    assert ("local object" if kind == "closure" else "TextIOWrapper") in note
    assert "top level" in note
    assert ".py model file" in note


def test_a_model_the_workers_cannot_rebuild_is_checked_in_one_process(pool, monkeypatch):
    ghost = types.ModuleType("ghost_models")  # importable here only, as a notebook's classes are
    ghost.Ghost = type("Ghost", (TwoLayerNet,), {"__module__": "ghost_models"})
    monkeypatch.setitem(sys.modules, "ghost_models", ghost)
    model, (X, y) = ghost.Ghost(), data()
    report = gradient_check(model, X, y, executor=pool)
    (note,) = one_process_notes(report)
    assert "could not rebuild" in note
    assert "ghost_models" in note
    assert same_numbers(report, gradient_check(model, X, y))


@pytest.mark.parametrize("route", ["workers", "threads"])
def test_closing_the_check_cancels_the_remaining_chunks_and_restores_params(
    tmp_path, monkeypatch, threads, route
):
    monkeypatch.setattr(parallel, "CHUNKS_PER_WORKER", 16)  # many chunks: most are still queued
    counter = tmp_path / "evaluations"
    # a few ms per loss: the 31 chunks take far longer than closing after the first one does
    model, (X, y) = CountingNet(counter, D=8, H=10), data(D=8, N=4000)
    before, children = snapshot(model.params), set(multiprocessing.active_children())
    options = {"workers": 2} if route == "workers" else {"executor": threads}
    run = iter_gradient_check(model, X, y, **options)
    first = next(run)
    run.close()
    components = sum(v.size for v in model.params.values())
    assert first.done < components
    assert snapshot(model.params) == before
    if route == "threads":
        threads.shutdown(wait=True)  # running chunks stop at the cancel flag
    assert set(multiprocessing.active_children()) <= children  # the check's own pool is gone
    # the loss ran for the chunks that finished or were running, not for the queued rest
    assert len(evaluations(counter)) < components


class SetAfter:
    """An Event-like flag that reads as set from its ``n + 1``-th look on."""

    def __init__(self, n):
        self.looks, self.n = 0, n

    def is_set(self):
        self.looks += 1
        return self.looks > self.n


def test_a_running_chunk_stops_at_the_cancel_flag_between_evaluations(tmp_path):
    counter = tmp_path / "evaluations"
    model, (X, y) = CountingNet(counter), data()
    objective = parallel.ModelObjective(model, X, y, loss_scale=1.0)
    recipe = parallel.recipe_for(objective)
    flat = np.arange(model.params["W1"].size)
    calls = len(evaluations(counter))
    assert parallel.evaluate_chunk(recipe, "W1", flat, 1e-7, "centered", SetAfter(0)) is None
    assert len(evaluations(counter)) == calls  # set before the chunk began: no evaluation at all
    assert parallel.evaluate_chunk(recipe, "W1", flat, 1e-7, "centered", SetAfter(3)) is None
    assert len(evaluations(counter)) == calls + 2 * 3  # three components, two evaluations each
    values, kink, _ = parallel.evaluate_chunk(recipe, "W1", flat, 1e-7, "centered", threading.Event())
    assert values.shape == flat.shape
    assert not kink.any()


@pytest.mark.parametrize("route", ["pool", "threads"])
def test_a_user_exception_in_a_worker_is_the_error_of_one_process(pool, threads, route):
    model, (X, y) = RaisesWhenMoved(), data()
    before = snapshot(model.params)
    with pytest.raises(FloatingPointError) as serial:
        gradient_check(model, X, y)
    executor = pool if route == "pool" else threads
    with pytest.raises(FloatingPointError) as parallel_error:
        gradient_check(model, X, y, executor=executor)
    assert str(parallel_error.value) == str(serial.value)
    assert snapshot(model.params) == before


class Unsendable(Exception):
    def __init__(self, where, why):
        super().__init__(f"{where}: {why}")


class RaisesUnsendable(TwoLayerNet):
    def loss(self, X, y):
        raise Unsendable("layer 2", "shape mismatch (pretend)")


def test_an_exception_that_cannot_be_pickled_keeps_its_name_and_message():
    model, (X, y) = TwoLayerNet(), data()
    objective = parallel.ModelObjective(model, X, y, loss_scale=1.0)
    model.__class__ = RaisesUnsendable
    recipe = parallel.recipe_for(objective)
    with pytest.raises(RuntimeError, match=r"^Unsendable: layer 2: shape mismatch \(pretend\)$"):
        parallel.evaluate_chunk(recipe, "b1", np.arange(2), 1e-7, "centered")


def test_progress_records_cover_every_component_exactly_once(pool):
    model, (X, y) = TwoLayerNet(D=6, H=7), data(D=6)
    records, report = drain(iter_gradient_check(model, X, y, executor=pool))
    seen = {k: np.zeros(v.size, dtype=int) for k, v in model.params.items()}
    for r in records:
        np.add.at(seen[r.block], r.flat, 1)
        assert np.array_equal(r.numeric, report.blocks[r.block].numeric.flat[r.flat])
    assert all((s == 1).all() for s in seen.values())
    assert len(records) > 4
    assert [r.done for r in records] == sorted({r.done for r in records})
    assert records[-1].done == records[-1].total
    assert [r.stamp for r in records] == sorted(r.stamp for r in records)  # for components/s


def test_a_model_file_is_imported_again_in_each_worker(tmp_path, pool, threads):
    path = write_project(tmp_path, db_factor="2.0")  # model.py imports its cs231n/layers.py neighbour
    loaded = load_model_file(path)
    assert source_of(loaded.model) == path
    loaded.model.params["W1"] += 0.5  # the workers must check these values, not the file's
    serial = gradient_check(loaded.model, loaded.X, loaded.y)
    assert serial.failing_blocks() == ["b1", "b2"]
    for executor in (pool, threads):  # processes import the file again; threads unpickle a copy
        report = gradient_check(loaded.model, loaded.X, loaded.y, executor=executor)
        assert not one_process_notes(report)
        assert same_numbers(report, serial)


def test_dask_cluster_gives_the_serial_numbers_and_the_users_error():
    distributed = pytest.importorskip("distributed")
    model, (X, y) = WrongBias(), data()
    serial = gradient_check(model, X, y)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=":0") as cluster,  # any free port
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor()
        assert same_numbers(gradient_check(model, X, y, executor=executor), serial)
        with pytest.raises(FloatingPointError, match="left the range"):
            gradient_check(RaisesWhenMoved(), X, y, executor=executor)


@pytest.mark.parametrize(
    ("options", "field"),
    [({"workers": 0}, "workers"), ({"workers": "many"}, "workers"), ({"workers": 1.5}, "workers"),
     ({"workers": True}, "workers"), ({"executor": "dask"}, "executor"),
     ({"executor": Executor(), "workers": 2}, "executor")],
)
def test_bad_workers_or_executor_raise_naming_the_field(options, field):
    model, (X, y) = TwoLayerNet(), data()
    with pytest.raises(ValueError, match=field):
        gradient_check(model, X, y, **options)


def test_auto_means_every_core_this_process_may_use():
    assert parallel.resolve_workers("auto", None) == len(os.sched_getaffinity(0))
    assert parallel.resolve_workers(None, None) == 1


def test_quick_check_works_on_user_models_with_its_caveat():
    X, y = data()
    good = TwoLayerNet()
    before = snapshot(good.params)
    assert quick_check(good, X, y).passed
    assert snapshot(good.params) == before
    report = quick_check(WrongBias(), X, y)
    assert report.failing_blocks() == ["b2"]
    assert sorted(report.blocks["b2"].located.tolist()) == [0, 1, 2]
    assert any("can miss a wrong component" in w for w in report.warnings)


def test_bench_user_is_dispatched_and_checks_its_arguments(capsys):
    from gradviz.bench import fastcheck

    with pytest.raises(SystemExit) as exit_:
        fastcheck.main(["--user", "--rounds", "0"])
    assert exit_.value.code == 2
    assert "--rounds must be a whole number >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_user_runs_every_route_with_the_same_numbers():
    from gradviz.bench import user

    result = user.run(1, use_dask=False)
    assert [r["route"] for r in result["routes"]] == ["one process", "workers=2",
                                                      "ProcessPoolExecutor (started)"]
    assert all(r["same_numbers"] for r in result["routes"])
    assert "same numbers" in user.table(result)


def test_workers_hand_back_the_kink_slopes_of_failing_components(threads):
    model, (X, y) = WrongBias(), data()
    objective = parallel.ModelObjective(model, X, y, loss_scale=1.0)
    plan = {k: np.arange(v.size) for k, v in model.params.items()}
    tests = [parallel.KinkTest(objective, 1e-7, "float64", "centered") for _ in range(2)]
    for kinks, executor in zip(tests, (None, threads), strict=True):
        serial = partial(reference_chunks, kinks=kinks)
        with parallel.first_step_chunker(serial, objective, plan, 1e-7, "centered", kinks, workers=1,
                                         executor=executor, warnings=[]) as chunker:
            for name, flat in plan.items():
                list(chunker(objective, name, flat, 1e-7, "centered"))
    assert tests[0].slopes  # b2's components fail: their slopes wait for the second step
    assert tests[1].slopes == tests[0].slopes
