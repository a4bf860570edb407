"""Fuzzing every way in: sessions, specs, data files, command lines and API arguments either work
or fail on the one error path (ValueError; exit 2 with one line), never with another exception
or a hang. FAST_CASES per target by default, SLOW_CASES with `pytest -m slow tests/fuzz`."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST_CASES, SLOW_CASES, fuzz_settings, one_error_path
from hypothesis import given
from hypothesis import strategies as st
from strategies import EDGE, command_lines, csv_texts, json_values, mutated_sessions

from gradviz.cli import main
from gradviz.core import (
    LayerSpec,
    Network,
    NetworkSpec,
    Trainer,
    epsilon_sweep,
    gradient_check,
    load_dataset,
    make_dataset,
    quick_check,
)
from gradviz.core.data.problem import build_problem
from gradviz.core.data.session import Session

CASES = {"fast": FAST_CASES, "slow": SLOW_CASES}
SPEED = [pytest.param("fast"), pytest.param("slow", marks=pytest.mark.slow)]
WORK = Path(tempfile.mkdtemp(prefix="gradviz-fuzz-"))


def fuzz(strategy):
    """Run the decorated check(value, speed) on CASES[speed] values of ``strategy``."""
    def decorate(check):
        @pytest.mark.parametrize("speed", SPEED)
        def test(speed):
            given(strategy)(fuzz_settings(CASES[speed])(lambda value: check(value)))()
        test.__name__ = check.__name__
        test.__doc__ = check.__doc__
        return test
    return decorate


def small_enough(session: Session) -> bool:
    return session.spec.n_params <= 20_000 and session.data.m <= 2_000 and not session.data.path


# -- sessions and specs --------------------------------------------------------------------------
@fuzz(mutated_sessions())
def test_sessions(doc):
    session = one_error_path("session", lambda: Session.from_dict(doc))
    if isinstance(session, Session) and small_enough(session):
        one_error_path("session → problem", lambda: build_problem(session))


@fuzz(st.text(max_size=200) | st.integers(1, 3000).map(lambda n: "[" * n + "]" * n)
      | st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n))
def test_session_text(text):
    one_error_path("session text", lambda: Session.from_json(text))


@fuzz(st.dictionaries(st.sampled_from(["input_dim", "layers", "loss", "l2", "l1", "init", "dtype", "seed",
                                       "other"]), json_values, max_size=6)
      | st.builds(lambda units, extra: {"input_dim": 2, "layers": [{"units": units, **extra}]},
                  st.sampled_from(EDGE) | st.integers(), st.dictionaries(
                      st.sampled_from(["activation", "keep_prob", "init", "x"]), json_values, max_size=2)))
def test_specs(data):
    spec = one_error_path("spec", lambda: NetworkSpec.from_dict(data))
    if isinstance(spec, NetworkSpec) and spec.n_params <= 20_000:
        one_error_path("spec → network", lambda: Network(spec))


# -- data files --------------------------------------------------------------------------------
def _npz_bytes(X, y) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, X=X, y=y)
    return out.getvalue()


GOOD_NPZ = _npz_bytes(np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 1, 0]))


@st.composite
def npz_files(draw) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "members", "random"]))
    if kind == "flip":
        data = bytearray(GOOD_NPZ)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "truncate":
        return GOOD_NPZ[: draw(st.integers(0, len(GOOD_NPZ)))]
    if kind == "members":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name in draw(st.lists(st.sampled_from(["X.npy", "y.npy", "X", "y", "z.npy", "a/X.npy"]),
                                      max_size=4, unique=True)):
                archive.writestr(name, draw(st.binary(max_size=200)) if draw(st.booleans())
                                 else _npz_member(draw))
        return out.getvalue()
    return draw(st.binary(max_size=300))


def _npz_member(draw) -> bytes:
    out = io.BytesIO()
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
    dtype = draw(st.sampled_from(["f8", "f4", "i8", "u1", "?", "c16", "U3", "O", "V4"]))
    np.save(out, np.zeros(shape, dtype=dtype), allow_pickle=dtype == "O")
    return out.getvalue()


@fuzz(npz_files())
def test_npz_files(data):
    path = WORK / "data.npz"
    path.write_bytes(data)
    one_error_path("npz file", lambda: load_dataset(path))


@fuzz(csv_texts | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_csv_files(text):
    path = WORK / "data.csv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if text.isascii() else path.write_bytes(
        text.encode("utf-8", "replace"))
    one_error_path("csv file", lambda: load_dataset(path))


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def in_a_scratch_folder():
    """Exports named by the fuzzer land in a scratch folder."""
    before = os.getcwd()
    os.chdir(WORK)
    yield
    os.chdir(before)


@fuzz(command_lines())
def test_command_lines(argv):
    out, err = io.StringIO(), io.StringIO()

    def run():
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(argv)

    code = one_error_path("command line", run)
    assert code in (0, 1, 2, 3), (argv, code, err.getvalue())
    if code == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1, (argv, err.getvalue())
        assert lines[0].startswith("gradviz: error:"), (argv, err.getvalue())
        assert "Traceback" not in err.getvalue()


# -- API arguments ---------------------------------------------------------------------------------
SPEC = NetworkSpec(3, [LayerSpec(4, "tanh", 0.8), LayerSpec(3, "linear")], loss="softmax_ce", l2=0.1)
X0 = np.random.default_rng(0).standard_normal((3, 5))
Y0 = np.array([0, 1, 2, 1, 0])
odd = st.sampled_from(EDGE) | json_values | st.sampled_from([np.float32(1e-3), np.int64(2), 1j, X0, "W1"])


def _kwargs(names):
    return st.dictionaries(st.sampled_from(names), odd, max_size=3)


@fuzz(_kwargs(["epsilon", "method", "dropout", "terms", "blocks", "sample", "loss_scale", "seed", "engine",
               "threads"]))
def test_gradient_check_arguments(kwargs):
    one_error_path("gradient_check", lambda: gradient_check(Network(SPEC), X0, Y0, **kwargs))


@fuzz(_kwargs(["directions", "epsilon", "tolerance", "dropout", "terms", "loss_scale", "seed", "localize",
               "max_evaluations"]))
def test_quick_check_arguments(kwargs):
    if isinstance(kwargs.get("directions"), int) and not isinstance(kwargs["directions"], bool):
        kwargs["directions"] = min(kwargs["directions"], 50)
    one_error_path("quick_check", lambda: quick_check(Network(SPEC), X0, Y0, **kwargs))


@fuzz(st.tuples(odd, odd, odd))
def test_data_arguments(args):
    X, y, model = args
    one_error_path("X, y and model", lambda: gradient_check(Network(SPEC), X, y))
    one_error_path("X, y and model", lambda: gradient_check(model, X0, Y0))


@fuzz(_kwargs(["block", "index", "epsilons", "dtypes", "methods"]))
def test_epsilon_sweep_arguments(kwargs):
    kwargs.setdefault("block", "b2")
    kwargs.setdefault("epsilons", [1e-6, 1e-4, 1e-2])
    one_error_path("epsilon_sweep", lambda: epsilon_sweep(Network(SPEC), X0, Y0, **kwargs))


@fuzz(_kwargs(["name", "m", "n_classes", "input_dim", "noise", "seed"]))
def test_make_dataset_arguments(kwargs):
    kwargs.setdefault("name", "blobs")
    if isinstance(kwargs.get("m"), int) and not isinstance(kwargs["m"], bool) and kwargs["m"] > 5000:
        kwargs["m"] = 10**9  # large but valid sizes are refused by the limit, not built
    one_error_path("make_dataset", lambda: make_dataset(**kwargs))


@fuzz(_kwargs(["optimizer", "lr", "batch_size", "seed", "patience"]) | st.just({"lr": 1e6}))
def test_trainer_arguments(kwargs):
    def train():
        trainer = Trainer(Network(SPEC), X0, Y0, X0, Y0, **kwargs)
        return list(trainer.steps(30))

    one_error_path("Trainer", train)


@fuzz(odd)
def test_paths(value):
    one_error_path("paths", lambda: Session.load(value))
    one_error_path("paths", lambda: load_dataset(value))
