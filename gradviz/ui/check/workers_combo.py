"""The worker processes that check a model file: auto (every core), or 1 to the core count."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from gradviz.core.check.parallel import available_cores

TOOLTIP = ("Processes that run the reference loop of a model file's check (auto: every core); "
           "a check that would take under a second runs in this process anyway")
BUILT_IN_TOOLTIP = ("The built-in network is checked by the fast engine in this process: worker "
                    "processes check model files")


class WorkersCombo(QComboBox):
    """Choose "auto" or a number of worker processes (``value()``: "auto" or "N" as text;
    ``workers()``: the same as gradient_check's ``workers`` argument)."""

    def __init__(self, cores: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="workersCombo")
        cores = cores or available_cores()
        self.addItem(f"auto ({cores} core{'s' if cores > 1 else ''})", "auto")
        self.addItem("1 (this process)", "1")
        for n in range(2, cores + 1):
            self.addItem(str(n), str(n))
        self.setToolTip(TOOLTIP)

    def value(self) -> str:
        return self.currentData()

    def set_value(self, value: str) -> None:
        """Select ``value``; more workers than this machine's cores select the most it has."""
        index = self.findData(str(value))
        if index < 0 and str(value).isdigit():
            index = self.count() - 1
        self.setCurrentIndex(max(index, 0))

    def workers(self) -> int | str:
        value = self.value()
        return value if value == "auto" else int(value)
