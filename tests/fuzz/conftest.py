"""The fuzz suite's one assertion, and its tally.

Every fuzzed call must either succeed or raise ValueError (the CLI: exit 0, 1, 2 or 3 with one
line on stderr), within HANG_SECONDS. ``one_error_path`` enforces it and counts the outcomes per
target; the terminal summary prints the tally (cases, accepted, clean errors, tracebacks, hangs)
that the README's reliability section quotes. The default run tries FAST_CASES per target;
``pytest -m slow tests/fuzz`` tries SLOW_CASES.
"""

from __future__ import annotations

import signal
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, settings

FAST_CASES = 60
SLOW_CASES = 1000
HANG_SECONDS = 20

TALLY: dict[str, Counter] = defaultdict(Counter)


def fuzz_settings(cases: int):
    return settings(max_examples=cases, deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_SECONDS} s")


def one_error_path(target: str, call):
    """Run call(); a ValueError is a clean refusal, anything else (or a hang) fails the test."""
    tally = TALLY[target]
    tally["cases"] += 1
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        result = call()
    except ValueError as exc:
        tally["clean errors"] += 1
        result = exc
    except Hang:
        tally["hangs"] += 1
        raise
    except BaseException:
        tally["tracebacks"] += 1
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if isinstance(result, ValueError):
        assert str(result).strip(), "a ValueError without a message"
    else:
        tally["accepted"] += 1
    return result


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("fuzz tally")
    columns = ("cases", "accepted", "clean errors", "tracebacks", "hangs")
    terminalreporter.write_line(f"{'target':24}" + "".join(f"{c:>14}" for c in columns))
    total = Counter()
    for target, tally in sorted(TALLY.items()):
        total.update(tally)
        terminalreporter.write_line(f"{target:24}" + "".join(f"{tally[c]:>14,}" for c in columns))
    terminalreporter.write_line(f"{'all':24}" + "".join(f"{total[c]:>14,}" for c in columns))


@pytest.fixture
def tmp_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")
