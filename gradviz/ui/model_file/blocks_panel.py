"""The Network dock for a model file: the file, its blocks (name, shape, components), its examples,
and how the edit–save–see loop works."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.model_file.errors import ShownError
from gradviz.ui.model_file.loader import ModelLoad

HOW_IT_WORKS = ("Edit {name} (or a Python file beside it) in your editor and save: gradviz loads "
                "it again and checks it. The .py file is what you save: a model file is not saved "
                "as a session.")
COLUMNS = ("block", "shape", "components")


def shape_text(shape: tuple[int, ...]) -> str:
    """(3, 4) as "3 × 4", a vector (5,) as "5", a scalar as "scalar"."""
    return " × ".join(str(n) for n in shape) if shape else "scalar"


def _examples(value) -> str:
    return "None" if value is None else f"{shape_text(np.shape(value))} {np.asarray(value).dtype}"


class ModelBlocksPanel(QWidget):
    """Shows a model file: loading, its blocks, or the error it raised. Signal: reload_requested()."""

    reload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="modelBlocksPanel")
        self.title = QLabel(objectName="modelFileTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.reload_button = QPushButton("Reload", objectName="reloadModelButton")
        self.reload_button.setToolTip("Load the model file again and check it (as saving it does)")
        self.reload_button.clicked.connect(self.reload_requested)
        self.status = QLabel(objectName="modelFileStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS), objectName="modelBlocksTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # as tall as its rows (up to the dock's height, then it scrolls)
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.help = QLabel(objectName="modelFileHelp")
        self.help.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.help)
        layout.addStretch(1)

    def blocks(self) -> list[tuple[str, str, int]]:
        """The table's rows: (name, shape text, components)."""
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text(),
                 int(self.table.item(r, 2).data(Qt.ItemDataRole.UserRole)))
                for r in range(self.table.rowCount())]

    def show_loading(self, path: Path) -> None:
        self._title(path)
        self.status.setText(f"Loading {path.name}…")

    def show_model(self, load: ModelLoad) -> None:
        """The model's blocks and examples (the table keeps the model's parameter order)."""
        loaded = load.loaded
        self._title(loaded.path)
        params = loaded.model.params
        self.table.setRowCount(len(params))
        for row, (name, value) in enumerate(params.items()):
            shape = tuple(np.shape(value))
            count = QTableWidgetItem(f"{math.prod(shape):,}")
            count.setData(Qt.ItemDataRole.UserRole, math.prod(shape))
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for col, item in enumerate((QTableWidgetItem(name), QTableWidgetItem(shape_text(shape)), count)):
                item.setToolTip(f"{name}: {shape_text(shape)}, {np.asarray(value).dtype}")
                self.table.setItem(row, col, item)
        dtype = load.dtype() or "mixed precision"
        self.status.setText(
            f"{load.components:,} components in {len(params)} blocks, {dtype}; "
            f"X {_examples(loaded.X)}, y {_examples(loaded.y)}; "
            f"one loss evaluation {load.seconds_per_loss * 1e3:.3g} ms")

    def show_error(self, path: Path, shown: ShownError) -> None:
        """The file did not load: the error; the table keeps the blocks of its last version."""
        self._title(path)
        self.status.setText(f"{path.name} did not load: {shown.message()}")

    def _title(self, path: Path) -> None:
        self.title.setText(f"<b>{html.escape(path.name)}</b><br><small>{html.escape(str(path.parent))}</small>")
        self.title.setToolTip(str(path))
        self.help.setText(HOW_IT_WORKS.format(name=path.name))
