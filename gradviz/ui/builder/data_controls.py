"""The builder's data controls: how many examples, their noise, the train/dev split, input
normalization and how many examples the gradient check uses. They show a DataSettings and report
each edit as ``edited(field, value)``; the builder makes it an undoable command."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from gradviz.core.data.datasets import DEFAULT_NOISE
from gradviz.core.data.session import DataSettings

MAX_EXAMPLES = 1_000_000
MAX_CHECK_EXAMPLES = 10_000
#: dev share of the examples, in percent
DEV_PERCENT_RANGE = (1, 90)


def _spin(name: str, low: int, high: int, tip: str, suffix: str = "") -> QSpinBox:
    spin = QSpinBox(objectName=name, minimum=low, maximum=high, suffix=suffix)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin


class DataControls(QWidget):
    """Editors for DataSettings.m, noise, dev_fraction, normalize and check_examples.

    edited(str field, object value): the user changed one (noise: a float; the others as
    DataSettings stores them). ``show_settings`` updates the editors without emitting."""

    edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.examplesInput = _spin("examplesInput", 10, MAX_EXAMPLES,
                                   "Number of examples, train and dev together (built-in data sets)")
        self.noiseInput = QDoubleSpinBox(objectName="noiseInput", minimum=0.0, maximum=10.0,
                                         singleStep=0.05, decimals=2)
        self.noiseInput.setKeyboardTracking(False)
        self.noiseInput.setToolTip("Noise of the built-in data set: angle jitter (spiral), coordinate "
                                   "jitter (circles, moons, xor), blob spread (blobs)")
        self.devSplitInput = _spin("devSplitInput", *DEV_PERCENT_RANGE,
                                   "Share of the examples held out as the dev set (the rest trains)",
                                   suffix=" % dev")
        self.normalizeCheck = QCheckBox("Normalize inputs", objectName="normalizeCheck")
        self.normalizeCheck.setToolTip("Subtract the mean and divide by the standard deviation of "
                                       "each feature, with the training set's statistics for dev too")
        self.checkExamplesInput = _spin("checkExamplesInput", 1, MAX_CHECK_EXAMPLES,
                                        "How many training examples the gradient check uses "
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
        grid.addWidget(QLabel("Examples"), 0, 0)
        grid.addWidget(self.examplesInput, 0, 1)
        grid.addWidget(QLabel("Noise"), 0, 2)
        grid.addWidget(self.noiseInput, 0, 3)
        grid.addWidget(QLabel("Split"), 1, 0)
        grid.addWidget(self.devSplitInput, 1, 1)
        grid.addWidget(self.splitLabel, 1, 2, 1, 2)
        grid.addWidget(self.normalizeCheck, 2, 0, 1, 2)
        grid.addWidget(QLabel("Check on"), 2, 2)
        grid.addWidget(self.checkExamplesInput, 2, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def editors(self) -> list[QWidget]:
        return [self.examplesInput, self.noiseInput, self.devSplitInput, self.normalizeCheck,
                self.checkExamplesInput]

    def show_settings(self, data: DataSettings) -> None:
        """Show ``data`` (the noise of a file is not editable) without emitting ``edited``."""
        for widget in self.editors():
            widget.blockSignals(True)
        from_file = bool(data.path)
        self.examplesInput.setValue(data.m)
        self.noiseInput.setValue(DEFAULT_NOISE.get(data.dataset, 0.0) if data.noise is None else data.noise)
        self.devSplitInput.setValue(round(100 * data.dev_fraction))
        self.normalizeCheck.setChecked(data.normalize)
        self.checkExamplesInput.setValue(data.check_examples)
        for widget in (self.examplesInput, self.noiseInput):
            widget.setEnabled(not from_file)
        for widget in self.editors():
            widget.blockSignals(False)
        n_dev = min(max(round(data.m * data.dev_fraction), 1), data.m - 1)  # as datasets.split
        self.splitLabel.setText("from the file" if from_file else f"{data.m - n_dev:,} train · {n_dev:,} dev")
        self.checkExamplesInput.setSuffix(" example" if data.check_examples == 1 else " examples")
