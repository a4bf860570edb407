"""TrainingRunner.exclusive: while the GUI thread takes a turn, the training thread waits between
steps; nested turns hold it until the outermost ends; stopping never waits for a turn."""

from __future__ import annotations

import threading

import pytest

import gradviz.ui.training.training_worker as training_worker
from gradviz.ui.training.training_worker import TrainingRunner


class CountingTrainer:
    """Stands in for Trainer: each step sets ``stepped`` and counts."""

    def __init__(self) -> None:
        self.count = 0
        self.stepped = threading.Event()

    def steps(self, max_steps: int):
        for _ in range(max_steps):
            self.count += 1
            self.stepped.set()
            yield self.count


@pytest.fixture
def runner(qtbot, monkeypatch):
    monkeypatch.setattr(training_worker, "MAX_TURN_S", 60.0)  # a turn never times out here
    runner = TrainingRunner()
    yield runner
    runner.stop()


def blocked(trainer: CountingTrainer) -> bool:
    """True when the thread has stopped stepping: it may finish the step it was in, no more."""
    trainer.stepped.wait(5.0)
    trainer.stepped.clear()
    trainer.stepped.wait(0.3)  # finishes the step under way, if any
    trainer.stepped.clear()
    return not trainer.stepped.wait(0.3)


def test_the_training_thread_waits_during_a_turn_and_resumes_after(runner):
    trainer = CountingTrainer()
    runner.start(trainer)
    assert trainer.stepped.wait(5.0)
    with runner.exclusive():
        assert blocked(trainer)
        with runner.exclusive():  # nested: the inner end does not let the thread go
            pass
        assert blocked(trainer)
    trainer.stepped.clear()
    assert trainer.stepped.wait(5.0)  # running again


def test_stop_during_a_turn_does_not_wait_for_it(qtbot, runner):
    trainer = CountingTrainer()
    runner.start(trainer)
    assert trainer.stepped.wait(5.0)
    with qtbot.waitSignal(runner.stopped, timeout=5000), runner.exclusive():
        runner.stop()
    assert not runner.is_running()
    with runner.exclusive():  # no thread: a turn is a no-op
        pass
