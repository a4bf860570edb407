"""The builder's data controls: the data set (built in or a file), how many examples, their noise,
the train/dev split, input normalization and how many examples the gradient check uses. They
show a DataSettings and report each edit; the builder makes it an undoable command. Numbers
typed outside their range are refused visibly (gradviz.ui.common.fields)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QGridLayout, QLabel, QWidget
from superqt.utils import signals_blocked

from gradviz.core.data.datasets import DATASETS, DEFAULT_CLASSES, DEFAULT_NOISE
from gradviz.core.data.session import DataSettings
from gradviz.ui.common.fields import FloatField, IntField, NumberRange

MAX_EXAMPLES = 1_000_000
MAX_CHECK_EXAMPLES = 10_000
EXAMPLES = NumberRange("The number of examples", 10, MAX_EXAMPLES, integer=True)
NOISE = NumberRange("The noise", 0.0, 10.0)
#: dev share of the examples, in percent
DEV_PERCENT = NumberRange("The dev share", 1, 90, integer=True)
CHECK_EXAMPLES = NumberRange("The check's examples", 1, MAX_CHECK_EXAMPLES, integer=True)


def dataset_label(name: str, classes: int | None = None) -> str:
    """The data set's name, input size and classes (``classes``: the session's own count)."""
    classes = DEFAULT_CLASSES[name] if classes is None else classes
    size = "any input size" if name == "blobs" else "2-D"
    return f"{name} ({size}, {classes} classes)"


class DataControls(QWidget):
    """Editors for DataSettings: the data set (``datasetCombo``), m, noise, dev_fraction, normalize
    and check_examples.

    Signals: dataset_chosen(str) — a built-in data set was picked; file_chosen(str) — a data
    file was picked (from "From file…"); edited(str field, object value) — one of the other
    settings changed (noise a float; the others as DataSettings stores them). ``show_settings``
    updates the editors without emitting.
    """

    dataset_chosen = Signal(str)
    file_chosen = Signal(str)
    edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = DataSettings()
        self.datasetCombo = QComboBox(objectName="datasetCombo")
        self.datasetCombo.currentIndexChanged.connect(self._on_dataset)
        self.examplesInput = IntField(EXAMPLES, "examplesInput")
        self.examplesInput.setToolTip("Number of examples, train and dev together (built-in data sets)")
        self.noiseInput = FloatField(NOISE, "noiseInput")
        self.noiseInput.setSingleStep(0.05)
        self.noiseInput.setToolTip("Noise of the built-in data set: angle jitter (spiral), coordinate "
                                   "jitter (circles, moons, xor), blob spread (blobs)")
        self.devSplitInput = IntField(DEV_PERCENT, "devSplitInput")
        self.devSplitInput.setSuffix(" % dev")
        self.devSplitInput.setToolTip("Share of the examples held out as the dev set (the rest trains)")
        self.normalizeCheck = QCheckBox("Normalize inputs", objectName="normalizeCheck")
        self.normalizeCheck.setToolTip("Subtract the mean and divide by the standard deviation of "
                                       "each feature, with the training set's statistics for dev too")
        self.checkExamplesInput = IntField(CHECK_EXAMPLES, "checkExamplesInput")
        self.checkExamplesInput.setToolTip("How many training examples the gradient check uses "
                                           "(few: fewer kinks and a faster check)")
        self.splitLabel = QLabel(objectName="splitLabel")
        self.examplesInput.valueChanged.connect(lambda v: self.edited.emit("m", v))
        self.noiseInput.valueChanged.connect(lambda v: self.edited.emit("noise", v))
        self.devSplitInput.valueChanged.connect(lambda v: self.edited.emit("dev_fraction", v / 100))
        self.normalizeCheck.toggled.connect(lambda on: self.edited.emit("normalize", on))
        self.checkExamplesInput.valueChanged.connect(lambda v: self.edited.emit("check_examples", v))

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel("Data"), 0, 0)
        grid.addWidget(self.datasetCombo, 0, 1, 1, 3)
        grid.addWidget(QLabel("Examples"), 1, 0)
        grid.addWidget(self.examplesInput, 1, 1)
        grid.addWidget(QLabel("Noise"), 1, 2)
        grid.addWidget(self.noiseInput, 1, 3)
        grid.addWidget(QLabel("Split"), 2, 0)
        grid.addWidget(self.devSplitInput, 2, 1)
        grid.addWidget(self.splitLabel, 2, 2, 1, 2)
        grid.addWidget(self.normalizeCheck, 3, 0, 1, 2)
        grid.addWidget(QLabel("Check on"), 3, 2)
        grid.addWidget(self.checkExamplesInput, 3, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def editors(self) -> list[QWidget]:
        return [self.datasetCombo, self.examplesInput, self.noiseInput, self.devSplitInput,
                self.normalizeCheck, self.checkExamplesInput]

    def show_settings(self, data: DataSettings) -> None:
        """Show ``data`` (the noise of a file is not editable) without emitting."""
        self._data = data
        with signals_blocked(*self.editors()):
            from_file = bool(data.path)
            self._fill_dataset_combo(data)
            self.examplesInput.setValue(data.m)
            noise = DEFAULT_NOISE.get(data.dataset, 0.0) if data.noise is None else data.noise
            self.noiseInput.setValue(noise)
            self.devSplitInput.setValue(round(100 * data.dev_fraction))
            self.normalizeCheck.setChecked(data.normalize)
            self.checkExamplesInput.setValue(data.check_examples)
            for widget in (self.examplesInput, self.noiseInput):
                widget.setEnabled(not from_file)
        n_dev = min(max(round(data.m * data.dev_fraction), 1), data.m - 1)  # as datasets.split
        self.splitLabel.setText("from the file" if from_file else f"{data.m - n_dev:,} train · {n_dev:,} dev")
        self.checkExamplesInput.setSuffix(" example" if data.check_examples == 1 else " examples")

    def ask_data_path(self) -> str:
        """The data file the user picks ("" if none)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a data file", "",
                                              "Data files (*.csv *.npz);;All files (*)")
        return path

    def _fill_dataset_combo(self, data: DataSettings) -> None:
        combo = self.datasetCombo
        combo.clear()
        for name in DATASETS:
            own = data.n_classes if name == data.dataset and not data.path else None
            combo.addItem(dataset_label(name, own), name)
        if data.path:
            combo.addItem(f"File: {Path(data.path).name}", "file")
            combo.setItemData(combo.count() - 1, data.path, Qt.ItemDataRole.ToolTipRole)
        combo.addItem("From file…", "choose")
        combo.setCurrentIndex(combo.findData("file" if data.path else data.dataset))

    def _on_dataset(self, index: int) -> None:
        key, data = self.datasetCombo.itemData(index), self._data
        if key == "choose":
            path = self.ask_data_path()
            if path:
                self.file_chosen.emit(path)
            else:
                self.show_settings(data)
        elif key != "file" and (key != data.dataset or data.path):
            self.dataset_chosen.emit(key)
