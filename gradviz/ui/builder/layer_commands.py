"""What the network builder edits, the rules an edit must keep, and the undo command for an edit.

A BuilderState is an immutable snapshot (input size, layers, loss, default init, data settings);
every edit replaces the whole snapshot, so undo and redo simply restore one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtGui import QUndoCommand

from gradviz.core.data.datasets import DATASETS, DEFAULT_CLASSES, Dataset
from gradviz.core.data.session import DataSettings
from gradviz.core.model.memory import memory_problem, network_estimate
from gradviz.core.model.spec import LayerSpec, NetworkSpec

#: built-in data sets with exactly two features (only blobs takes any input size)
TWO_D = tuple(name for name in DATASETS if name != "blobs")
#: built-in data sets with exactly two classes
TWO_CLASS = ("circles", "moons", "xor")


@dataclass(frozen=True)
class BuilderState:
    """One version of what the builder shows. ``layers`` are never mutated (copy, then replace)."""

    input_dim: int
    layers: tuple[LayerSpec, ...]
    loss: str
    init: str
    data: DataSettings
    init_gain: float = 1.0

    @classmethod
    def of(cls, spec: NetworkSpec, data: DataSettings) -> BuilderState:
        return cls(spec.input_dim, tuple(replace(layer) for layer in spec.layers), spec.loss, spec.init,
                   replace(data), spec.init_gain)

    def spec(self, base: NetworkSpec) -> NetworkSpec:
        """The NetworkSpec (l2, l1, dtype, seed from ``base``); ValueError if it is not valid."""
        return NetworkSpec(self.input_dim, [replace(layer) for layer in self.layers], self.loss,
                           base.l2, base.l1, self.init, base.dtype, base.seed, self.init_gain)

    def network(self) -> tuple:
        """What makes the network (not its data): changes here rebuild its parameters."""
        return self.input_dim, self.layers, self.loss, self.init, self.init_gain

    def with_layer(self, index: int, **changes) -> BuilderState:
        layers = list(self.layers)
        layers[index] = replace(layers[index], **changes)
        return replace(self, layers=tuple(layers))

    def memory_needed(self, spec: NetworkSpec) -> int:
        """Bytes the network, its data and a check need (see core.model.memory)."""
        data = self.data
        return network_estimate(spec, data.m, check_examples=data.check_examples).total

    def problem(self, base: NetworkSpec) -> str | None:
        """Why this state cannot be trained, in one sentence, or None if it can."""
        if not self.layers:
            return "The network needs at least one layer: the output layer."
        try:
            spec = self.spec(base)
        except ValueError as exc:
            text = str(exc)
            return text[0].upper() + text[1:] + "."
        data, last = self.data, self.layers[-1]
        refusal = memory_problem(self.memory_needed(spec))
        if refusal:
            return refusal[0].upper() + refusal[1:] + "."
        if data.path:
            return None  # the file's size and classes are checked when it is loaded
        if data.dataset in TWO_D and self.input_dim != 2:
            return (f"The {data.dataset} data has 2 features: the input size must be 2 "
                    f"(choose blobs or a file for other sizes).")
        if self.loss != "bce" and data.dataset in TWO_CLASS and last.units != 2:
            return (f"The {data.dataset} data has 2 classes: the output layer needs 2 units "
                    f"for {self.loss} (it has {last.units}).")
        if self.loss == "mse" and last.units < 2:
            return "With mse the output layer needs one unit per class: at least 2."
        return None


def output_fix(state: BuilderState, classes: int | None = None) -> tuple[BuilderState, str]:
    """The state with its output layer made right for its loss and data, and a sentence saying what
    changed ("" if nothing did). ``classes``: the number of classes of a data file."""
    last = state.layers[-1]
    units, activation = last.units, last.activation
    if classes is None and not state.data.path:
        two = state.data.dataset in TWO_CLASS
        classes = 2 if two else (units if units >= 2 else DEFAULT_CLASSES[state.data.dataset])
    if state.loss == "bce":
        units, activation = 1, "sigmoid"
    elif state.loss in ("softmax_ce", "svm"):
        activation = "linear"
        units = classes if classes is not None else max(units, 2)
    elif classes is not None:  # mse: one output per class (one-hot targets)
        units = classes
    if (units, activation) == (last.units, last.activation):
        return state, ""
    fixed = state.with_layer(len(state.layers) - 1, units=units, activation=activation)
    plural = "s" if units != 1 else ""
    return fixed, f"The output layer is now {units} {activation} unit{plural} to suit {state.loss}."


def with_dataset(state: BuilderState, key: str) -> tuple[BuilderState, str]:
    """The state on the built-in data set ``key`` (with its own noise), the input size and the
    output layer made to fit it, and a sentence saying what else changed ("" if nothing did)."""
    after = replace(state, data=replace(state.data, dataset=key, path=None, noise=None))
    notes = []
    if key in TWO_D and state.input_dim != 2:
        after = replace(after, input_dim=2)
        notes.append(f"The input size is now 2: the {key} data is 2-D.")
    after, note = output_fix(after)
    return after, " ".join([*notes, note]).strip()


def with_data_file(state: BuilderState, path: str, dataset: Dataset) -> tuple[BuilderState, str]:
    """The state training on the file ``path`` (loaded as ``dataset``): the input size and the
    classes follow the file; and a sentence about the file and what changed. ValueError if the
    loss cannot take the file's classes."""
    name, classes = Path(path).name, max(dataset.n_classes, 2)
    if state.loss == "bce" and classes > 2:
        raise ValueError(f"{name} has {classes} classes but binary cross-entropy is for 2: "
                         "choose softmax cross-entropy first")
    after = replace(state, data=replace(state.data, path=str(path)), input_dim=dataset.input_dim)
    after, note = output_fix(after, classes)
    summary = f"{name}: {dataset.m} examples, {dataset.input_dim} features, {classes} classes."
    return after, f"{summary} {note}".strip()


class EditCommand(QUndoCommand):
    """One builder edit: redo shows ``after``, undo shows ``before`` (through ``show``)."""

    def __init__(self, show: Callable[[BuilderState], None], before: BuilderState, after: BuilderState,
                 text: str) -> None:
        super().__init__(text)
        self._show = show
        self.before = before
        self.after = after

    def redo(self) -> None:
        self._show(self.after)

    def undo(self) -> None:
        self._show(self.before)
