"""How much the live plots slow training, and how long the window's event loop stalls while a
check or training runs: ``python -m gradviz.bench.ui``.

Trains the same network for the same number of steps in the TrainingPanel with its plots hidden
and shown (off screen). Each round times both, in alternating order, and gives one ratio
shown / hidden; the median ratio over the rounds is robust to other load on the machine.
Then, in the main window, a 5 ms timer measures the longest gap between its ticks while the
largest preset is checked (until half a second after its report arrived, so that showing the
report counts) and while the demo preset trains. Last, on the largest preset, the app's quick
check (until its verdict and heatmap are drawn), the app's full check and the engine's own quick
check are timed side by side, on the correct network and with a bug planted in its biggest block.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _run(panel, app, steps: int) -> float:
    """Seconds to train ``steps`` iterations from the initial parameters."""
    from PySide6.QtCore import QEventLoop

    panel.reset()
    loop = QEventLoop()

    def stopped(running: bool) -> None:
        if not running:
            loop.quit()

    panel.running_changed.connect(stopped)
    start = time.perf_counter()
    panel.play(max_steps=steps)
    if panel.is_running():
        loop.exec()
    elapsed = time.perf_counter() - start
    panel.running_changed.disconnect(stopped)
    app.processEvents()
    if panel.trainer.iteration != steps:
        raise RuntimeError(f"trained {panel.trainer.iteration} steps instead of {steps}")
    return elapsed


def _settle(seconds: float = 0.5) -> None:
    """Run the event loop for a while: a session just opened finishes its layout and painting."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _stalls(start, finished, seconds: float | None = None, after: float = 0.5) -> tuple[float, float]:
    """(longest, 99th percentile) gap in ms between 5 ms timer ticks while ``start()`` runs
    until ``after`` seconds after ``finished`` fires (or ``seconds`` pass)."""
    from PySide6.QtCore import QEventLoop, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    loop = QEventLoop()

    def done(*_args) -> None:
        QTimer.singleShot(int(after * 1000), loop.quit)

    finished.connect(done)
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start(5)
    last[0] = time.perf_counter()
    start()
    loop.exec()
    timer.stop()
    finished.disconnect(done)
    gaps.sort()
    return 1000 * gaps[-1], 1000 * gaps[int(0.99 * (len(gaps) - 1))]


def responsiveness(app) -> None:
    """Print the event loop's longest stalls in the main window during a check and training."""
    import tempfile

    from PySide6.QtCore import QSettings

    from gradviz.resource_paths import presets_dir
    from gradviz.ui.main_window import MainWindow

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    window.load_session(presets_dir() / "large-784.gradviz.json")
    _settle()
    worst, p99 = _stalls(window.run_check, window.check_finished)
    print(f"  event loop during a full check of large-784 (235,146 components) and its report: "
          f"longest stall {worst:.0f} ms, 99th percentile {p99:.0f} ms")
    window.load_session(presets_dir() / "spiral-tanh.gradviz.json")
    window.training_dock.raise_()  # as a user does before pressing Play
    _settle()
    panel = window.training_panel
    worst, p99 = _stalls(panel.play, panel.training_stopped, seconds=4.0)
    panel.pause()
    print(f"  event loop during 4 s of training spiral-tanh with live plots: "
          f"longest stall {worst:.0f} ms, 99th percentile {p99:.0f} ms")
    window.close()


def _timed(start, finished) -> float:
    """Seconds from ``start()`` until ``finished`` fired and the window has drawn the result."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    loop = QEventLoop()
    finished.connect(loop.quit)
    began = time.perf_counter()
    start()
    loop.exec()
    QApplication.processEvents()  # the verdict and heatmap paint
    elapsed = time.perf_counter() - began
    finished.disconnect(loop.quit)
    return elapsed


def quick_versus_full(app, rounds: int = 3) -> None:
    """Print the app's quick check against its full check and the engine's quick check on
    large-784 (median of ``rounds``), without and with a planted bug."""
    import tempfile

    from PySide6.QtCore import QSettings

    from gradviz.core.check.quickcheck import quick_check
    from gradviz.core.model.bugs import Bug
    from gradviz.resource_paths import presets_dir
    from gradviz.ui.check.check_controller import planted_copy
    from gradviz.ui.main_window import MainWindow

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    window.load_session(presets_dir() / "large-784.gradviz.json")
    panel = window.check_panel
    for bug in (None, "dW_x2:1"):
        panel.bug_combo.setCurrentIndex(panel.bug_combo.findData(bug.split(":")[0] if bug else ""))
        _settle()
        times: dict[str, list[float]] = {"app quick": [], "app full": [], "engine quick": [],
                                         "engine quick, bisecting": []}
        problem = window.problem
        for _ in range(rounds):
            times["app quick"].append(_timed(window.run_quick_check, window.quick_check_finished))
            times["app full"].append(_timed(window.run_check, window.check_finished))
            net, _ = planted_copy(problem.net, [Bug.parse(bug)] if bug else [], None)
            for key, localize in (("engine quick", False), ("engine quick, bisecting", True)):
                began = time.perf_counter()
                quick_check(net, problem.X_check, problem.y_check, localize=localize)
                times[key].append(time.perf_counter() - began)
        median = {key: statistics.median(values) for key, values in times.items()}
        print(f"  large-784 {'with bug ' + bug if bug else 'correct'} (median of {rounds}): "
              + ", ".join(f"{key} {seconds:.3f} s" for key, seconds in median.items()))
        print(f"    app quick / app full = {median['app quick'] / median['app full']:.2f} "
              f"(target <= 1); app quick - engine quick = "
              f"{median['app quick'] - median['engine quick']:.3f} s")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradviz.bench.ui", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="iterations per run (default 2000)")
    parser.add_argument("--rounds", type=int, default=9, help="paired runs (default 9)")
    # a small net trains fastest, so drawing weighs most on it: the worst case is the default
    parser.add_argument("--hidden", type=int, default=16, help="units in each of the 2 hidden layers")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from gradviz.core.data.problem import build_problem
    from gradviz.core.data.session import DataSettings, Session, TrainingSettings
    from gradviz.core.model.spec import LayerSpec, NetworkSpec
    from gradviz.ui.training.training_panel import TrainingPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    spec = NetworkSpec(2, [LayerSpec(args.hidden, "relu"), LayerSpec(args.hidden, "relu"),
                           LayerSpec(3, "linear")], seed=0)
    data = DataSettings("spiral", m=600)
    settings = TrainingSettings("adam", 0.01, 64)
    panel = TrainingPanel()
    panel.resize(900, 900)
    panel.show()
    panel.set_problem(build_problem(Session(spec, data)), settings)

    times: dict[str, list[float]] = {"hidden": [], "shown": []}
    for r in range(args.rounds):
        order = ("hidden", "shown") if r % 2 == 0 else ("shown", "hidden")
        for kind in order:
            panel.plots.setVisible(kind == "shown")
            app.processEvents()
            times[kind].append(_run(panel, app, args.steps))
    panel.shutdown()

    sizes = "-".join(str(n) for n in spec.sizes)
    print(f"gradviz UI benchmark: {sizes} net on spiral (m={data.m}), batch {settings.batch_size}, "
          f"{settings.optimizer}, {args.steps} steps per run, {args.rounds} rounds")
    for kind, values in times.items():
        seconds = statistics.median(values)
        print(f"  plots {kind:6s}: median {seconds:6.3f} s  ({args.steps / seconds:7.0f} steps/s)")
    ratios = sorted(s / h for s, h in zip(times["shown"], times["hidden"], strict=True))
    ratio = statistics.median(ratios)
    print(f"  ratio shown / hidden per round: {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"  median ratio {ratio:.3f}: the live plots slow training by {(ratio - 1) * 100:+.1f}% "
          f"(target <= +10%)")
    responsiveness(app)
    quick_versus_full(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
