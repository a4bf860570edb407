"""Soak test of training memory: Play for a long time and print the resident memory (RSS).

``python -m gradviz.bench.soak --minutes 60`` opens the main window off screen on a session (the
demo by default), presses Play and samples RSS every ``--interval`` seconds while the training
thread, the live plots and the trainer's history run as they do for a user. ``--headless`` runs
the engine's Trainer alone, without Qt. The verdict compares the last sample with the first one
taken after the warm-up (the first tenth of the run, at least one interval): flat means within
±10 %.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from gradviz.resource_paths import presets_dir

DEMO = presets_dir() / "spiral-tanh.gradviz.json"
#: the largest growth after the warm-up that still counts as flat
FLAT = 0.10


def rss_bytes() -> int:
    """This process's resident set size (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Sampler:
    """RSS samples (elapsed s, iterations, bytes) and the verdict over them."""

    def __init__(self, seconds: float, interval: float) -> None:
        self.seconds, self.interval = seconds, interval
        self.start = time.monotonic()
        self.samples: list[tuple[float, int, int]] = []

    def take(self, iterations: int) -> None:
        sample = (time.monotonic() - self.start, iterations, rss_bytes())
        self.samples.append(sample)
        print(f"{sample[0]:8.0f} s  {sample[1]:>10,} iterations  RSS {sample[2] / 2**20:8.1f} MiB",
              flush=True)

    def done(self) -> bool:
        return time.monotonic() - self.start >= self.seconds

    def summary(self) -> dict:
        warm = max(self.seconds / 10, self.interval)
        after = [s for s in self.samples if s[0] >= warm] or self.samples[-1:]
        base, last = after[0], self.samples[-1]
        growth = (last[2] - base[2]) / base[2]
        peak = max(s[2] for s in after)
        return {
            "seconds": last[0], "iterations": last[1], "rss_after_warmup_mib": base[2] / 2**20,
            "rss_last_mib": last[2] / 2**20, "rss_peak_mib": peak / 2**20, "growth": growth,
            "flat": abs(growth) <= FLAT and (peak - base[2]) / base[2] <= FLAT,
            "samples": [{"seconds": s[0], "iterations": s[1], "rss_mib": s[2] / 2**20} for s in self.samples],
        }


def soak_headless(session_path: Path, sampler: Sampler) -> None:
    """The engine alone: Trainer.steps until the time is up."""
    from gradviz.core.data.problem import build_problem
    from gradviz.core.data.session import Session
    from gradviz.core.model.training import Trainer

    session = Session.load(session_path)
    problem = build_problem(session)
    t = session.training
    trainer = Trainer(problem.net, problem.X, problem.y, problem.X_dev, problem.y_dev,
                      optimizer=t.optimizer, lr=t.lr, batch_size=t.batch_size)
    next_sample = 0.0
    while not sampler.done():
        for _ in trainer.steps(200):
            pass
        if trainer.stop_reason:
            raise SystemExit(f"gradviz soak: training stopped: {trainer.stop_reason}")
        if time.monotonic() - sampler.start >= next_sample:
            sampler.take(trainer.iteration)
            next_sample += sampler.interval
    sampler.take(trainer.iteration)


def soak_window(session_path: Path, sampler: Sampler) -> None:
    """The app: the main window off screen, Play pressed, samples from a QTimer."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QTimer

    from gradviz.ui.app import application
    from gradviz.ui.main_window import MainWindow

    app = application([])
    with tempfile.TemporaryDirectory() as folder:  # never touch the user's settings
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        window = MainWindow()
        window.load_session(session_path, remember=False)
        window.resize(1366, 768)
        window.show()
        panel = window.training_panel

        def tick() -> None:
            trainer = panel.trainer
            sampler.take(0 if trainer is None else trainer.iteration)
            if sampler.done() or not panel.is_running():
                panel.pause()
                app.quit()

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(int(sampler.interval * 1000))
        panel.play()
        tick()
        app.exec()
        timer.stop()
        window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradviz.bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to train (default 60)")
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between RSS samples (default: a twentieth of the run, 1 to 60)")
    parser.add_argument("--session", type=Path, default=DEMO, help="the session to train (default: the demo)")
    parser.add_argument("--headless", action="store_true", help="the engine's Trainer alone, without Qt")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if not args.minutes > 0:
        parser.error("--minutes must be > 0")
    seconds = args.minutes * 60
    interval = args.interval or min(max(seconds / 20, 1.0), 60.0)
    sampler = Sampler(seconds, interval)
    (soak_headless if args.headless else soak_window)(args.session, sampler)
    summary = sampler.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{'headless trainer' if args.headless else 'window, Play'}: {summary['iterations']:,} "
              f"iterations in {summary['seconds']:.0f} s; RSS {summary['rss_after_warmup_mib']:.1f} MiB "
              f"after warm-up, {summary['rss_last_mib']:.1f} MiB at the end (peak "
              f"{summary['rss_peak_mib']:.1f}), growth {summary['growth']:+.1%}: "
              f"{'flat' if summary['flat'] else 'NOT flat'} (±{FLAT:.0%})")
    return 0 if summary["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())
