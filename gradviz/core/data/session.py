"""A gradviz session (`.gradviz.json`): the network, its data, check and training settings, and
optionally the parameters. Presets and lessons are session files too."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from gradviz.core.check.gradcheck import MAX_EPSILON, METHODS
from gradviz.core.check.objective import DROPOUT_MODES
from gradviz.core.data.datasets import DATASETS, MAX_EXAMPLES
from gradviz.core.data.files import MAX_SESSION_BYTES, as_path, atomic_write, read_text_bounded
from gradviz.core.model import fields as check
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import TERMS, real_array
from gradviz.core.model.spec import MAX_SEED, MAX_UNITS, NetworkSpec

FORMAT = "gradviz-session"
VERSION = 1
OPTIMIZERS = ("sgd", "momentum", "adam")
#: the most bugs a session plants at once, and the longest title and notes
MAX_BUGS = 16
MAX_TEXT = 100_000


def _seed(value: Any) -> int:
    return check.whole("seed", value, low=0, high=MAX_SEED)


def _bug(value: Any) -> str:
    text = check.text("check.bug", value, max_chars=100)
    bug = Bug.parse(text)
    check.choice("bug kind", bug.kind, tuple(BUG_KINDS))
    return str(bug)


@dataclass
class CheckSettings:
    """How to run the gradient check: the keyword arguments of gradient_check, plus a planted bug."""

    epsilon: float = 1e-7
    method: str = "centered"
    dropout: str = "off"
    terms: str = "all"
    sample: int | None = None
    seed: int = 0
    bug: str | list[str] | None = None  # "KIND:LAYER", or a list of them to plant several

    def __post_init__(self) -> None:
        self.epsilon = check.number("epsilon", self.epsilon, low=0.0, high=MAX_EPSILON, low_open=True)
        check.choice("method", self.method, METHODS)
        check.choice("dropout", self.dropout, DROPOUT_MODES)
        check.choice("terms", self.terms, TERMS)
        self.sample = check.optional_whole("sample", self.sample, low=1)
        self.seed = _seed(self.seed)
        if isinstance(self.bug, list | tuple):
            if not 1 <= len(self.bug) <= MAX_BUGS:
                raise ValueError(f"check.bug must list from 1 to {MAX_BUGS} bugs KIND:LAYER; "
                                 f"got {len(self.bug)}")
            bugs = list(dict.fromkeys(_bug(b) for b in self.bug))
            self.bug = bugs[0] if len(bugs) == 1 else bugs
        elif self.bug is not None:
            self.bug = _bug(self.bug)

    @property
    def bugs(self) -> list[Bug]:
        """The bugs to plant, in order (none, one or several)."""
        texts = [] if self.bug is None else [self.bug] if isinstance(self.bug, str) else self.bug
        return [Bug.parse(text) for text in texts]

    def check_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for gradient_check / iter_gradient_check."""
        return {
            "epsilon": self.epsilon, "method": self.method, "dropout": self.dropout,
            "terms": self.terms, "sample": self.sample, "seed": self.seed,
        }


@dataclass
class DataSettings:
    """Where the examples come from: a built-in dataset or a user's .csv/.npz file."""

    dataset: str = "spiral"
    m: int = 300
    n_classes: int | None = None
    noise: float | None = None
    seed: int = 0
    path: str | None = None
    dev_fraction: float = 0.2
    normalize: bool = True
    check_examples: int = 8

    def __post_init__(self) -> None:
        check.choice("dataset", self.dataset, DATASETS)
        self.m = check.whole("m", self.m, low=1, high=MAX_EXAMPLES)
        self.n_classes = check.optional_whole("n_classes", self.n_classes, low=2, high=MAX_UNITS)
        self.check_examples = check.whole("check_examples", self.check_examples, low=1, high=MAX_EXAMPLES)
        self.seed = _seed(self.seed)
        if self.noise is not None:
            self.noise = check.number("noise", self.noise, low=0.0, high=1e6)
        if self.path is not None:
            self.path = check.text("data.path", self.path, max_chars=4096)
            if not self.path or "\0" in self.path:
                raise ValueError("data.path must be a file path (or null for a built-in data set)")
        self.dev_fraction = check.number("dev_fraction", self.dev_fraction, low=0.0, high=1.0,
                                         low_open=True, high_open=True)
        self.normalize = check.flag("normalize", self.normalize)


@dataclass
class TrainingSettings:
    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int | None = 64

    def __post_init__(self) -> None:
        check.choice("optimizer", self.optimizer, OPTIMIZERS)
        self.lr = check.number("lr", self.lr, low=0.0, low_open=True)
        self.batch_size = check.optional_whole("batch_size", self.batch_size, low=1, high=MAX_EXAMPLES)


@dataclass
class Session:
    """Everything the app saves. ``params`` (optional) are the network's arrays by name."""

    spec: NetworkSpec
    data: DataSettings = field(default_factory=DataSettings)
    check: CheckSettings = field(default_factory=CheckSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    params: dict[str, np.ndarray] | None = None
    title: str = ""
    notes: str = ""

    def to_dict(self, include_params: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "title": self.title,
            "notes": self.notes,
            "spec": self.spec.to_dict(),
            "data": asdict(self.data),
            "check": asdict(self.check),
            "training": asdict(self.training),
        }
        if include_params and self.params is not None:
            data["params"] = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in self.params.items()}
        return data

    def to_json(self, include_params: bool = True) -> str:
        return json.dumps(self.to_dict(include_params), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> Session:
        """Read a session, or a bare NetworkSpec object; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a session file must hold a JSON object")
        if "format" not in data and "input_dim" in data:  # a bare network spec
            return cls(NetworkSpec.from_dict(data))
        if data.get("format") != FORMAT:
            raise ValueError(f"not a gradviz session: 'format' must be {FORMAT!r}")
        version = data.get("version")
        if type(version) is not int or version != VERSION:
            raise ValueError(f"session version {check.quote(version)} is not supported "
                             f"(this gradviz reads version {VERSION})")
        unknown = set(data) - {"format", "version", "title", "notes", "spec", "data", "check",
                               "training", "params"}
        if unknown:
            raise ValueError(f"unknown session field(s): {check.quote(', '.join(sorted(map(str, unknown))))}")
        if "spec" not in data:
            raise ValueError("the session has no 'spec' (the network)")
        spec = NetworkSpec.from_dict(data["spec"])
        session = cls(
            spec,
            _section(DataSettings, data.get("data", {}), "data"),
            _section(CheckSettings, data.get("check", {}), "check"),
            _section(TrainingSettings, data.get("training", {}), "training"),
            title=check.text("title", data.get("title", ""), max_chars=MAX_TEXT),
            notes=check.text("notes", data.get("notes", ""), max_chars=MAX_TEXT),
        )
        if data.get("params") is not None:
            session.params = _read_params(spec, data["params"])
        return session

    @classmethod
    def from_json(cls, text: str) -> Session:
        return cls.from_dict(check.parse_json(text))

    @classmethod
    def load(cls, path: str | Path) -> Session:
        """Read a session file (a regular file of at most MAX_SESSION_BYTES). A relative data
        path in it is taken relative to the session file's folder."""
        path = as_path("path", path)
        text = read_text_bounded(path, MAX_SESSION_BYTES)
        try:
            session = cls.from_json(text)
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
        if session.data.path and not os.path.isabs(session.data.path):
            session.data.path = os.path.normpath(path.parent.absolute() / session.data.path)
        return session

    def save(self, path: str | Path, include_params: bool = True) -> None:
        """Write atomically (see files.atomic_write): a failed save raises SaveError and leaves an
        existing file as it was. A data file inside the session's folder is written relative to it."""
        path = as_path("path", path)
        data = self.to_dict(include_params)
        data["data"]["path"] = relative_data_path(self.data.path, path.parent)
        atomic_write(path, json.dumps(data, indent=2).encode("utf-8"))


def relative_data_path(data_path: str | None, folder: Path) -> str | None:
    """data_path relative to ``folder`` when the file lies inside it (so that the session and its
    data can be moved together), else as given."""
    if not data_path:
        return data_path
    absolute = Path(os.path.abspath(data_path))
    try:
        return absolute.relative_to(Path(os.path.abspath(folder))).as_posix()
    except ValueError:
        return data_path


def _section(cls, values: Any, name: str):
    if not isinstance(values, dict):
        raise ValueError(f"'{name}' must be an object")
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {name} setting(s): {check.quote(', '.join(sorted(map(str, unknown))))}; "
                         f"known: {', '.join(sorted(known))}")
    return cls(**values)


def _read_params(spec: NetworkSpec, raw: Any) -> dict[str, np.ndarray]:
    if not isinstance(raw, dict):
        raise ValueError("'params' must be an object of arrays")
    sizes = spec.sizes
    params = {}
    for l in range(1, len(sizes)):
        for name, shape in ((f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (sizes[l], 1))):
            if name not in raw:
                raise ValueError(f"params lack {name}")
            value = real_array(f"params {name}", raw[name])
            if value.shape != shape:
                raise ValueError(f"params {name} must have shape {shape} for this network; got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"params {name} contains NaN or Inf")
            params[name] = value
    return params
