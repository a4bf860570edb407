"""The training panel: Play / Pause / Step / Reset, learning rate, optimizer, batch size, and the
live plots. Training runs in a TrainingThread; the panel only shows what it reports. It trains
the built-in network of a Problem, or a model file's own model on its X and y (full batch)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from gradviz.core.data.problem import Problem
from gradviz.core.data.session import OPTIMIZERS, TrainingSettings
from gradviz.core.model.training import StepRecord, Trainer
from gradviz.ui.common.fields import IntField
from gradviz.ui.training.live_plots import LivePlots
from gradviz.ui.training.training_fields import (
    DEFAULT_ITERATIONS,
    ITERATIONS_RULE,
    MAX_BATCH,
    LearningRateBox,
    batch_rule,
)
from gradviz.ui.training.training_worker import TrainingRunner

OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum (β = 0.9)", "adam": "Adam"}
FULL_BATCH_ONLY = ("A model file trains on the full batch: gradviz cannot tell which axis of its X "
                   "holds the examples")
NO_EXAMPLES = ("Training needs examples: return (model, X, y) from gradviz_model() to train your "
               "model here.")


class TrainingPanel(QWidget):
    """Trains the problem given to ``set_problem`` and draws its curves live.

    Signals: training_step(StepRecord) — the newest record, once per batch of records (about
    20 times a second while running) and once per Step; training_stopped(str) — training ended by
    itself (the reason, e.g. a NaN loss); check_now_requested() — after pausing;
    running_changed(bool); training_reset() — the parameters are back at their initial values;
    problem_changed(Problem | None) — a new problem to train (``set_problem``).
    ``exclusive()`` is a turn of the GUI thread for drawing (the training thread waits).
    """

    training_step = Signal(object)
    training_stopped = Signal(str)
    check_now_requested = Signal()
    running_changed = Signal(bool)
    training_reset = Signal()
    problem_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trainer: Trainer | None = None
        self._problem: Problem | None = None
        self._model: tuple[object, object, object] | None = None  # a model file's model, X, y
        self._runner = TrainingRunner(self)
        self._runner.records_ready.connect(self._on_records)
        self._runner.stopped.connect(self._on_runner_stopped)
        self._build_controls()
        self.plots = LivePlots(self)
        self.exclusive = self._runner.exclusive
        self.plots.exclusive = self.exclusive
        self.lossPlot = self.plots.lossPlot
        self.accuracyPlot = self.plots.accuracyPlot
        self.updateRatioPlot = self.plots.updateRatioPlot
        layout = QVBoxLayout(self)
        layout.addLayout(self._controls)
        layout.addWidget(self.trainingMessage)
        layout.addWidget(self.plots, stretch=1)
        self.set_training_settings(TrainingSettings())
        self._sync_buttons()

    def _build_controls(self) -> None:
        style = self.style()
        self.trainButton = QPushButton()
        self.trainButton.setObjectName("trainButton")
        self.trainButton.setCheckable(True)
        self.trainButton.setMinimumWidth(80)
        self.trainButton.clicked.connect(self._on_train_clicked)
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.stepButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step")
        self.stepButton.setObjectName("stepButton")
        self.stepButton.setToolTip("Train one iteration (one minibatch)")
        self.stepButton.clicked.connect(self.step_once)
        self.resetTrainingButton = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Reset")
        self.resetTrainingButton.setObjectName("resetTrainingButton")
        self.resetTrainingButton.setToolTip("Back to the initial parameters; clears the curves")
        self.resetTrainingButton.clicked.connect(self.reset)
        self.trainItersInput = IntField(ITERATIONS_RULE, "trainItersInput")
        self.trainItersInput.setValue(DEFAULT_ITERATIONS)
        self.trainItersInput.setToolTip("How many iterations Train N runs before it pauses")
        self.trainItersButton = QPushButton("Train N")
        self.trainItersButton.setObjectName("trainItersButton")
        self.trainItersButton.setToolTip("Train exactly this many iterations, then pause")
        self.trainItersButton.clicked.connect(self._on_train_n)
        self.checkNowButton = QPushButton("Check now")
        self.checkNowButton.setObjectName("checkNowButton")
        self.checkNowButton.setToolTip("Pause and run the gradient check at the current parameters")
        self.checkNowButton.clicked.connect(self._on_check_now)

        self.lrInput = LearningRateBox()
        self.lrInput.setObjectName("lrInput")
        self.lrInput.setToolTip("Learning rate α > 0: type a value (e.g. 0.003 or 3e-3); "
                                "the arrows step 1, 2, 5 × 10^k")
        self.lrInput.valueChanged.connect(self._on_lr_changed)
        self.optimizerCombo = QComboBox()
        self.optimizerCombo.setObjectName("optimizerCombo")
        for name in OPTIMIZERS:
            self.optimizerCombo.addItem(OPTIMIZER_LABELS[name], name)
        self.optimizerCombo.currentIndexChanged.connect(self._on_optimizer_settings)
        self.batchSizeInput = IntField(batch_rule(), "batchSizeInput")
        self.batchSizeInput.setToolTip("Examples per minibatch (0: the whole training set)")
        self.batchSizeInput.valueChanged.connect(self._on_optimizer_settings)

        self.logLossCheck = QCheckBox("Log loss axis")
        self.logLossCheck.setObjectName("logLossCheck")
        self.logLossCheck.toggled.connect(lambda on: self.plots.set_log_loss(on))
        self.smoothCheck = QCheckBox("Smoothed loss")
        self.smoothCheck.setObjectName("smoothCheck")
        self.smoothCheck.setChecked(True)
        self.smoothCheck.setToolTip("Exponential moving average of the minibatch loss")
        self.smoothCheck.toggled.connect(lambda on: self.plots.set_smooth(on))
        self.trainingStatus = QLabel()
        self.trainingStatus.setObjectName("trainingStatus")
        self.trainingMessage = QLabel()
        self.trainingMessage.setObjectName("trainingMessage")
        self.trainingMessage.setWordWrap(True)
        self.trainingMessage.setVisible(False)

        # laid out to fit a dock about 340 px wide
        buttons = QHBoxLayout()
        for button in (self.trainButton, self.stepButton, self.resetTrainingButton):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.checkNowButton)
        settings = QGridLayout()
        settings.addWidget(QLabel("Learning rate"), 0, 0)
        settings.addWidget(self.lrInput, 0, 1)
        settings.addWidget(QLabel("Batch"), 0, 2)
        settings.addWidget(self.batchSizeInput, 0, 3)
        settings.addWidget(QLabel("Optimizer"), 1, 0)
        settings.addWidget(self.optimizerCombo, 1, 1, 1, 3)
        settings.addWidget(QLabel("Iterations"), 2, 0)
        settings.addWidget(self.trainItersInput, 2, 1)
        settings.addWidget(self.trainItersButton, 2, 2, 1, 2)
        settings.setColumnStretch(1, 1)
        settings.setColumnStretch(3, 1)
        options = QHBoxLayout()
        options.addWidget(self.logLossCheck)
        options.addWidget(self.smoothCheck)
        options.addStretch(1)
        self._controls = QVBoxLayout()
        self._controls.addLayout(buttons)
        self._controls.addLayout(settings)
        self._controls.addLayout(options)
        self._controls.addWidget(self.trainingStatus)

    # -- public API ------------------------------------------------------------------------------
    @property
    def trainer(self) -> Trainer | None:
        return self._trainer

    def is_running(self) -> bool:
        return self._runner.is_running()

    def set_problem(self, problem: Problem | None, training_settings: TrainingSettings | None = None) -> None:
        """Train ``problem.net`` on its data from now on (stops any running training); None: nothing
        to train (the buttons are disabled)."""
        self._runner.stop()
        self._problem = problem
        # a minibatch larger than the training set would silently be the full batch
        self._model = None
        with signals_blocked(self.batchSizeInput):
            self.batchSizeInput.set_range_rule(batch_rule(problem.X.shape[-1] if problem else MAX_BATCH))
        self.batchSizeInput.setEnabled(True)
        self.batchSizeInput.setToolTip("Examples per minibatch (0: the whole training set)")
        if training_settings is not None:
            self.set_training_settings(training_settings)
        self._make_trainer()
        self.problem_changed.emit(problem)

    def set_model(self, model, X, y) -> None:
        """Train a model file's ``model`` (the model protocol) on its X and y, full batch, with the
        same optimizers and plots (stops any running training); with X or y None the panel says
        that it needs them."""
        self._runner.stop()
        self._problem = None
        self._model = (model, X, y)
        with signals_blocked(self.batchSizeInput):
            self.batchSizeInput.setValue(0)
        self.batchSizeInput.setEnabled(False)
        self.batchSizeInput.setToolTip(FULL_BATCH_ONLY)
        self._make_trainer()

    def training_settings(self) -> TrainingSettings:
        batch = self.batchSizeInput.value()
        return TrainingSettings(self.optimizerCombo.currentData(), self.lrInput.value(), batch or None)

    def set_training_settings(self, settings: TrainingSettings) -> None:
        """Show ``settings`` in the controls (without restarting training)."""
        with signals_blocked(self.lrInput, self.optimizerCombo, self.batchSizeInput):
            self.lrInput.setValue(settings.lr)
            self.optimizerCombo.setCurrentIndex(OPTIMIZERS.index(settings.optimizer))
            self.batchSizeInput.setValue(settings.batch_size or 0)
        if self._trainer is not None:
            self._trainer.lr = settings.lr

    def play(self, max_steps: int | None = None) -> None:
        """Train in the background until paused, stopped by the trainer, or after ``max_steps``."""
        if self._trainer is None or self.is_running():
            self._sync_buttons()
            return
        if self._trainer.stop_reason is not None:
            self._show_message(f"{_sentence(self._trainer.stop_reason)} Press Reset to train again.",
                               alert=True)
            self._sync_buttons()
            return
        self._show_message("")
        self._runner.start(self._trainer, max_steps)
        self.plots.set_training(True)
        self._sync_buttons()
        self.running_changed.emit(True)

    def train_iterations(self, n: int) -> None:
        """Train exactly ``n`` iterations in the background (pausing first if running), then
        pause."""
        self.pause()
        self.play(max_steps=n)

    def pause(self) -> None:
        """Stop after the current step; Play continues from there."""
        self._runner.stop()

    def step_once(self) -> None:
        """Pause if running, then train exactly one iteration (a model file's in the training
        thread: its code may be slow, or raise)."""
        self.pause()
        if self._trainer is None:
            return
        if self._model is not None:
            self.play(max_steps=1)
            return
        record = next(self._trainer.steps(1), None)
        if record is not None:
            self._on_records([record])
        elif self._trainer.stop_reason is not None:
            self._report_stop(self._trainer.stop_reason)

    def reset(self) -> None:
        """Pause, restore the initial parameters and optimizer state, clear the curves."""
        self.pause()
        if self._trainer is not None:
            self._trainer.reset()
        self.plots.clear()
        self._show_message("")
        self._update_status(None)
        self.training_reset.emit()

    def shutdown(self) -> None:
        """Stop the training thread and wait for it (call before the window closes)."""
        self._runner.stop()

    # -- internals -------------------------------------------------------------------------------
    def _make_trainer(self) -> None:
        problem = self._problem
        self._trainer = None
        self.plots.clear()
        if problem is None:
            if self._model is not None:
                self._make_model_trainer(*self._model)
            self._update_status(None)
            self._sync_buttons()
            return
        settings = self.training_settings()
        has_dev = problem.X_dev is not None and problem.X_dev.shape[-1] > 0
        try:
            self._trainer = Trainer(
                problem.net, problem.X, problem.y,
                problem.X_dev if has_dev else None, problem.y_dev if has_dev else None,
                optimizer=settings.optimizer, lr=settings.lr, batch_size=settings.batch_size,
                seed=problem.net.spec.seed,
            )
        except ValueError as exc:
            self._show_message(f"Cannot train this problem: {exc}", alert=True)
        else:
            self._show_message("")
            self.plots.set_blocks(list(problem.net.params), accuracy=problem.net.spec.loss != "mse")
        self._update_status(None)  # "not trained yet" once there is a trainer
        self._sync_buttons()

    def _make_model_trainer(self, model, X, y) -> None:
        if X is None or y is None:
            self._show_message(NO_EXAMPLES, alert=True)
            return
        settings = self.training_settings()
        try:
            self._trainer = Trainer(model, X, y, optimizer=settings.optimizer, lr=settings.lr)
        except ValueError as exc:
            self._show_message(f"Cannot train this model: {exc}", alert=True)
            return
        self._show_message("")
        self.plots.set_blocks(list(model.params), accuracy=False, by_layer=False,
                              note="gradviz sees only your model's loss: no accuracy")

    def _on_train_clicked(self, checked: bool) -> None:
        if checked:
            self.play()
        else:
            self.pause()

    def _on_train_n(self) -> None:
        field = self.trainItersInput
        field.interpretText()  # typed and not entered yet: used, as shown
        field.revert()  # typed and refused: the count in use is shown again, and used
        self.train_iterations(field.value())

    def _on_check_now(self) -> None:
        self.pause()
        self.check_now_requested.emit()

    def _on_lr_changed(self, value: float) -> None:
        if self._trainer is not None:
            self._trainer.lr = value

    def _on_optimizer_settings(self) -> None:
        """A new optimizer or batch size starts training over from the initial parameters."""
        if self._trainer is None:
            return
        trained = self._trainer.iteration > 0
        self.pause()
        self._trainer.reset()
        self._make_trainer()
        if trained:
            self._show_message("The optimizer settings changed: training starts over from the "
                               "initial parameters.")
            self.training_reset.emit()

    def _on_records(self, records: list[StepRecord]) -> None:
        self.plots.add_records(records)
        self._update_status(records[-1])
        self.training_step.emit(records[-1])

    def _on_runner_stopped(self, error: str | None) -> None:
        self.plots.set_training(False)
        self._sync_buttons()
        self.running_changed.emit(False)
        if error:
            self._report_stop(error)
        elif self._trainer is not None and self._trainer.stop_reason is not None:
            self._report_stop(self._trainer.stop_reason)

    def _report_stop(self, reason: str) -> None:
        self._show_message(f"Training stopped: {_sentence(reason, capital=False)}", alert=True)
        self.training_stopped.emit(reason)

    def _show_message(self, text: str, alert: bool = False) -> None:
        label = self.trainingMessage
        label.setText(text)
        colour = "#D55E00" if alert else "#0072B2"  # Okabe-Ito vermillion / blue, as in the builder
        label.setStyleSheet(f"QLabel {{ border-style: solid; border-color: {colour}; "
                            "border-width: 0px 0px 0px 4px; padding: 3px 6px; }")
        label.setVisible(bool(text))

    def _update_status(self, record: StepRecord | None) -> None:
        if record is None:
            idle = "not trained yet" if self._trainer is not None else "nothing to train"
            self.trainingStatus.setText(idle)
            return
        self.trainingStatus.setText(
            f"epoch {record.epoch} · iteration {record.iteration} · loss {record.loss:.4g}")

    def _sync_buttons(self) -> None:
        running = self.is_running()
        has_trainer = self._trainer is not None
        self.trainButton.setChecked(running)
        self.trainButton.setText("Pause" if running else "Play")
        self.trainButton.setIcon(self._pause_icon if running else self._play_icon)
        self.trainButton.setToolTip("Pause after the current iteration" if running
                                    else "Train until paused")
        for button in (self.trainButton, self.stepButton, self.resetTrainingButton, self.checkNowButton,
                       self.trainItersButton):
            button.setEnabled(has_trainer)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


def _sentence(text: str, capital: bool = True) -> str:
    """``text`` ending in a full stop (and starting with a capital letter if ``capital``)."""
    text = text.strip()
    if not text:
        return text
    if capital:
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
