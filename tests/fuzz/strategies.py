"""Hypothesis strategies for hostile input: odd JSON values, sessions with one field replaced,
bytes of data files, command lines and API arguments."""

from __future__ import annotations

import contextlib
import math

from hypothesis import strategies as st

from gradviz.core.data.session import Session
from gradviz.resource_paths import presets_dir

SMALL = presets_dir() / "small-relu.gradviz.json"

#: the values that broke gradviz before: huge integers, bools for numbers, NaN, infinities, ...
EDGE = [0, -1, 1, 2, 3, 7, 2**31, 2**63, -(2**63), 10**309, -(10**309), True, False, None, 0.0, -0.0,
        1e-320, 1e155, 1e308, math.nan, math.inf, -math.inf, 0.5, 1.5, "", " ", "a", "1", "nan",
        "dW_x2:1", "relu", "float32", "\x00", "\u202e", [], {}, [1, 2], {"a": 1}, [[[]]]]

scalars = (st.sampled_from(EDGE) | st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def base_session() -> dict:
    return Session.load(SMALL).to_dict(include_params=False)


def _paths(doc: dict) -> list[tuple]:
    """Every (section, key) and (spec, layers, i, key) of a session document, plus the top."""
    paths = [(key,) for key in doc]
    for section in ("data", "check", "training", "spec"):
        paths += [(section, key) for key in doc[section]]
    for i, layer in enumerate(doc["spec"]["layers"]):
        paths += [("spec", "layers", i, key) for key in layer]
    return paths


SESSION_PATHS = _paths(base_session())


@st.composite
def mutated_sessions(draw) -> dict:
    """The small preset with one to three fields replaced by odd values, deleted, or added."""
    doc = base_session()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(SESSION_PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):
            continue
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(json_values)
        else:
            with contextlib.suppress(IndexError, TypeError):
                parent[path[-1]] = draw(json_values)
    return doc


csv_cells = st.sampled_from(["0", "1", "2", "-1", "0.5", "1e3", "1e400", "nan", "inf", "-inf", "",
                             " ", "a", "label", "x1", "3.", "1,5", '"1"', "9" * 400, "\x00", "0x10"])
csv_texts = st.lists(st.lists(csv_cells, min_size=0, max_size=5).map(",".join), max_size=12).map("\n".join)

OPTIONS = {
    "check": ["--epsilon", "--method", "--dropout", "--terms", "--sample", "--blocks", "--examples",
              "--engine", "--dtype", "--bug", "--data", "--json", "--csv"],
    "sanity": ["--dtype", "--bug", "--data"],
    "sweep": ["--block", "--index", "--dtypes", "--methods", "--dtype", "--json"],
    "train": ["--iterations", "--check-at", "--lr", "--optimizer", "--dtype", "--bug"],
}
FLAG_VALUES = ["", " ", "-", "0", "-1", "1", "2", "3", "5", "1e-7", "1e-3", "1e155", "1e400", "nan", "inf",
               "-inf", "99999999999999999999", "0.5", "1.5", "abc", "W1", "b1", "W1,b1", "W9", "W1,,b1",
               "0,0", "1,2,3", "-1,0", "a,b", "float64", "float32", "float16", "float128", "centered",
               "forward", "complex", "richardson", "secant", "off", "frozen", "resample", "all", "data",
               "reg", "auto", "fast", "reference", "sgd", "adam", "momentum", "dW_x2:1", "db_x4:2",
               "dW_x2", "nonsense:1", "dW_x2:99", "dW_transposed:1", "dscores_sign:1", "/dev/zero",
               "/nonexistent.csv", "--json", "\x00"]


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command, str(SMALL)]
    for _ in range(draw(st.integers(0, 4))):
        argv += [draw(st.sampled_from(OPTIONS[command])), draw(st.sampled_from(FLAG_VALUES))]
    return argv
