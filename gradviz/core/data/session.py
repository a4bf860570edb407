"""A gradviz session (`.gradviz.json`): the network, its data, check and training settings, and
optionally the parameters. Presets and lessons are session files too."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from gradviz.core.check.gradcheck import METHODS
from gradviz.core.check.objective import DROPOUT_MODES
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import TERMS
from gradviz.core.model.spec import NetworkSpec

FORMAT = "gradviz-session"
VERSION = 1
OPTIMIZERS = ("sgd", "momentum", "adam")


def _number(name: str, value: Any, *, low: float = 0.0, inclusive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if value < low or (value == low and not inclusive):
        raise ValueError(f"{name} must be {'>=' if inclusive else '>'} {low}; got {value!r}")
    return float(value)


def _count(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
    return int(value)


def _seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"seed must be a whole number >= 0; got {value!r}")
    return int(value)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


@dataclass
class CheckSettings:
    """How to run the gradient check: the keyword arguments of gradient_check, plus a planted bug."""

    epsilon: float = 1e-7
    method: str = "centered"
    dropout: str = "off"
    terms: str = "all"
    sample: int | None = None
    seed: int = 0
    bug: str | None = None  # "KIND:LAYER"

    def __post_init__(self) -> None:
        self.epsilon = _number("epsilon", self.epsilon)
        _choice("method", self.method, METHODS)
        _choice("dropout", self.dropout, DROPOUT_MODES)
        _choice("terms", self.terms, TERMS)
        self.sample = _count("sample", self.sample, allow_none=True)
        self.seed = _seed(self.seed)
        if self.bug is not None:
            bug = Bug.parse(self.bug)
            _choice("bug kind", bug.kind, tuple(BUG_KINDS))

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
        self.m = _count("m", self.m)
        self.n_classes = _count("n_classes", self.n_classes, allow_none=True)
        self.check_examples = _count("check_examples", self.check_examples)
        self.seed = _seed(self.seed)
        if self.noise is not None:
            self.noise = _number("noise", self.noise, inclusive=True)
        if not 0.0 < _number("dev_fraction", self.dev_fraction, inclusive=True) < 1.0:
            raise ValueError(f"dev_fraction must be in (0, 1); got {self.dev_fraction!r}")


@dataclass
class TrainingSettings:
    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int | None = 64

    def __post_init__(self) -> None:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        self.lr = _number("lr", self.lr)
        self.batch_size = _count("batch_size", self.batch_size, allow_none=True)


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
        if version != VERSION:
            raise ValueError(f"session version {version!r} is not supported (this gradviz reads {VERSION})")
        if "spec" not in data:
            raise ValueError("the session has no 'spec' (the network)")
        spec = NetworkSpec.from_dict(data["spec"])
        session = cls(
            spec,
            _section(DataSettings, data.get("data", {}), "data"),
            _section(CheckSettings, data.get("check", {}), "check"),
            _section(TrainingSettings, data.get("training", {}), "training"),
            title=str(data.get("title", "")),
            notes=str(data.get("notes", "")),
        )
        if data.get("params") is not None:
            session.params = _read_params(spec, data["params"])
        return session

    @classmethod
    def from_json(cls, text: str) -> Session:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> Session:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not a text file") from None
        try:
            return cls.from_json(text)
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None

    def save(self, path: str | Path, include_params: bool = True) -> None:
        """Write atomically: a failed write leaves an existing file as it was."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(include_params), encoding="utf-8")
        tmp.replace(path)


def _section(cls, values: Any, name: str):
    if not isinstance(values, dict):
        raise ValueError(f"'{name}' must be an object")
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
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
            try:
                value = np.array(raw[name], dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"params {name} must be an array of numbers") from None
            if value.shape != shape:
                raise ValueError(f"params {name} must have shape {shape} for this network; got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"params {name} contains NaN or Inf")
            params[name] = value
    return params
