"""The session a window shows and edits: its file, whether it has unsaved changes, the Problem
built from it, and its autosave.

Opening a session builds everything before anything is shown, and shows it all or nothing: if
showing fails half way, the previous session is shown again, so the window (and what Save
writes) is never a mix of two sessions. Edits are the undo stack's commands (builder and check
panel) plus training-settings changes; undoing back to the saved state clears the modified mark.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox

from gradviz.core.data.problem import Problem, build_problem
from gradviz.core.data.session import DataSettings, Session
from gradviz.core.model.spec import NetworkSpec
from gradviz.ui.autosave import Autosaver, Recovery, orphans
from gradviz.ui.common.dialogs import ask_save, excerpt, show_error

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow


class SessionDocument(QObject):
    """Owns the window's Session and Problem. Uses the window's check_panel, training_panel,
    app_settings, show_session(session, problem) and cancel_check(wait).

    Signals: problem_changed(Problem | None) after the network or data changed (not on open);
    modified_changed(bool); path_changed().
    """

    problem_changed = Signal(object)
    modified_changed = Signal(bool)
    path_changed = Signal()

    def __init__(self, window: MainWindow, session: Session) -> None:
        super().__init__(window)
        self.window = window
        #: every edit of the window's builder and check panel (built before them, gone before them)
        self.undo_stack = QUndoStack(self)
        self._session = session
        self.problem: Problem | None = None
        self.path: Path | None = None
        self._settings_edited = False  # edits that are not undo commands (training settings)
        self._modified = False
        self._tracking = True  # off while the window shows a model file (see set_tracking)
        self.autosaver = Autosaver(self._autosave_snapshot, parent=self)
        self.undo_stack.indexChanged.connect(self._on_edit)

    # -- the session ---------------------------------------------------------------------------
    @property
    def base(self) -> Session:
        """The session as last opened or rebuilt (spec, data, title, notes)."""
        return self._session

    def session(self) -> Session:
        """The session as shown: spec, data, check and training settings, current parameters."""
        s, w = self._session, self.window
        params = None if self.problem is None else {
            k: np.array(v, dtype=np.float64) for k, v in self.problem.net.params.items()}
        return Session(s.spec, s.data, w.check_panel.check_settings(),
                       w.training_panel.training_settings(), params, s.title, s.notes)

    def name(self) -> str:
        return self.path.name if self.path else (self._session.title or "untitled")

    def build(self, session: Session) -> Problem | None:
        """The Problem of ``session``, or None with the reason shown in the verdict."""
        try:
            return build_problem(session)
        except ValueError as exc:
            self.window.verdict.show_error(str(exc), "The network and its data do not fit: ")
            return None

    # -- opening -------------------------------------------------------------------------------
    def open(self, path: str | Path, *, remember: bool = True) -> bool:
        """Like ``load``, after asking to save unsaved changes (Save / Discard / Cancel)."""
        return self.maybe_save("opening another session") and self.load(path, remember=remember)

    def load(self, path: str | Path, *, remember: bool = True) -> bool:
        """Open a session file without asking. On error a plain-text dialog names the problem and
        the window stays exactly as it was."""
        path = Path(path)
        try:
            session = Session.load(path)
            problem = build_problem(session)
        except Exception as exc:  # every failure, even an unexpected one, is a dialog
            show_error(self.window, "Cannot open the session", _reason(path, exc))
            return False
        if not self.replace_with(session, problem, path if remember else None,
                                 f"Cannot open {path.name}"):
            return False
        if remember:
            self.window.app_settings.add_recent_file(path)
        self.window.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def restore(self, recovery: Recovery) -> bool:
        """Show autosaved work (unsaved, so the modified mark is on); False if it cannot be read."""
        try:
            session = recovery.session()
            problem = build_problem(session)
        except Exception as exc:
            show_error(self.window, "Cannot restore the autosaved work", _reason(None, exc))
            return False
        if not self.replace_with(session, problem, recovery.origin, "Cannot restore the work"):
            return False
        self._settings_edited = True
        self._update_modified()
        self.autosaver.save_now()  # the restored work is safe before the old copy goes
        recovery.discard()
        return True

    def show_first(self) -> None:
        """Show the session given at construction (the window is being built)."""
        self._show(self._session, self.build(self._session), None)
        self.set_clean()

    def replace_with(self, session: Session, problem: Problem | None, path: Path | None,
                     title: str) -> bool:
        """Show ``session`` in every panel, or, if that fails, the current one again."""
        old = (self.session(), self.problem, self.path)
        self.window.cancel_check(wait=True)
        try:
            self._show(session, problem, path)
        except Exception as exc:
            self._show(*old)
            show_error(self.window, title, _reason(path, exc))
            return False
        self.undo_stack.clear()
        self.set_clean()
        return True

    def _show(self, session: Session, problem: Problem | None, path: Path | None) -> None:
        self._session, self.problem, self.path = session, problem, path
        self.window.show_session(session, problem)
        self.path_changed.emit()

    def offer_recovery(self) -> bool:
        """Offer the newest autosave left by a window that did not close (see
        MainWindow.offer_recovery); True if it was restored."""
        found = orphans(self.autosaver.folder)
        if not found:
            return False
        work = found[0]
        buttons = (QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        # Qt takes a text for rich text only if its first line has a tag: the name never comes first
        answer = QMessageBox.question(
            self.window, "Restore unsaved work?",
            "gradviz closed without saving this work:\n"
            f"{excerpt(work.name, 120)}\n\nOpen restores it, Discard deletes it, Cancel keeps it "
            "for next time.", buttons, QMessageBox.StandardButton.Open)
        if answer == QMessageBox.StandardButton.Discard:
            work.discard()
        return answer == QMessageBox.StandardButton.Open and self.restore(work)

    # -- saving --------------------------------------------------------------------------------
    def save(self, path: str | Path, include_params: bool | None = None) -> bool:
        """Write the session (with the parameters unless told otherwise by the argument or the
        File menu's choice). On error a dialog says why and nothing else changes."""
        path = Path(path)
        if include_params is None:
            include_params = self.window.app_settings.save_params()
        try:
            self.session().save(path, include_params=include_params)
        except (OSError, ValueError) as exc:
            show_error(self.window, "Cannot save the session", _reason(path, exc))
            return False
        self.path = path
        self.window.app_settings.add_recent_file(path)
        self.set_clean()
        self.path_changed.emit()
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def maybe_save(self, before: str) -> bool:
        """True when it is fine to drop the current work: nothing unsaved, saved now, or
        discarded; False when the user cancels (or the save failed)."""
        if not self._modified:
            return True
        answer = ask_save(self.window, self.name(), before)
        if answer == QMessageBox.StandardButton.Save:
            return self.window.files.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.autosaver.discard()
            return True
        return False

    # -- edits ---------------------------------------------------------------------------------
    def is_modified(self) -> bool:
        return self._modified

    def set_tracking(self, on: bool) -> None:
        """Whether edits mark the session modified (and autosave it). Off while the window shows
        a model file: its saved state is the user's .py file, never a session; turning it off
        forgets the undo history and the modified mark."""
        self._tracking = on
        if not on:
            self.undo_stack.clear()
            self.set_clean()

    def set_clean(self) -> None:
        self._settings_edited = False
        self.undo_stack.setClean()
        self._update_modified()

    def settings_edited(self, *_) -> None:
        """An edit outside the undo stack (the training settings)."""
        self._settings_edited = True
        self._on_edit()

    def _on_edit(self, *_) -> None:
        self._update_modified()
        if self._modified:
            self.autosaver.schedule()

    def _update_modified(self) -> None:
        modified = self._tracking and (self._settings_edited or not self.undo_stack.isClean())
        if modified != self._modified:
            self._modified = modified
            if not modified:
                self.autosaver.discard()
            self.modified_changed.emit(modified)

    def _autosave_snapshot(self) -> tuple[Session, Path | None]:
        return self.session(), self.path

    def spec_edited(self, spec: NetworkSpec) -> None:
        self._session.spec = spec
        self.rebuild(keep_params=False)

    def data_edited(self, data: DataSettings) -> None:
        self._session.data = data
        self.rebuild(keep_params=True)

    def rebuild(self, *, keep_params: bool) -> None:
        """Rebuild the Problem after the spec or data changed (keeping θ if asked and it fits)."""
        w = self.window
        w.cancel_check(wait=True)
        w.training_panel.pause()
        spec = NetworkSpec.from_dict({**self._session.spec.to_dict(), **w.check_panel.network_options()})
        params = self.session().params if keep_params else None
        if params is not None and self.problem is not None and spec.sizes != self.problem.net.spec.sizes:
            params = None
        w.check_panel.set_network(spec)
        self._session = replace(self._session, spec=spec, params=params,
                                check=w.check_panel.check_settings(),
                                training=w.training_panel.training_settings())
        self.problem = self.build(self._session)
        self.problem_changed.emit(self.problem)


def _reason(path: Path | None, exc: BaseException) -> str:
    """One paragraph for a dialog: the file and what is wrong (an unexpected error says so)."""
    what = str(exc) or type(exc).__name__
    if not isinstance(exc, ValueError | OSError):
        what = f"unexpected {type(exc).__name__}: {what}"
    elif isinstance(exc, OSError) and exc.strerror:
        what = exc.strerror
    return f"{path}:\n{what}" if path is not None else what
