"""The pytest plugin gradviz installs (entry point ``pytest11``, ``-p no:gradviz`` turns it off): a
``gradviz`` fixture that checks gradients and, when they are wrong, fails the test with the
diagnosis and leaves the heatmap, CSV and HTML report in the test's ``tmp_path``.

    def test_affine_layer(gradviz):
        gradviz(affine_forward, affine_backward, x, w, b)

Loading the plugin imports the engine (numpy, no Qt); the fixture imports the rest.
"""

from __future__ import annotations

import pytest

_current: list[pytest.FixtureRequest] = []  # the running test's request, innermost last


@pytest.fixture(autouse=True)
def _gradviz_current_test(request: pytest.FixtureRequest):
    """Lets ``gradviz.testing.assert_gradients`` find the running test's ``tmp_path``."""
    _current.append(request)
    yield
    _current.remove(request)


def current_tmp_path():
    """The running test's ``tmp_path`` (created on first use), or None outside a test."""
    return _current[-1].getfixturevalue("tmp_path") if _current else None


@pytest.fixture
def gradviz():
    """``gradviz.testing.assert_gradients``: ``gradviz(model, X, y)`` or
    ``gradviz(forward, backward, *args)``; a failing check leaves its files in ``tmp_path``."""
    from gradviz.testing import assert_gradients

    return assert_gradients
