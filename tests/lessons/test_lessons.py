"""Each lesson's session does what its text tells the class it will do."""

import pytest

import gradviz as gv
from gradviz.core.data.problem import build_problem
from gradviz.core.data.session import Session
from gradviz.core.model.training import Trainer
from gradviz.resource_paths import lessons_dir

LESSONS = sorted(lessons_dir().glob("*.gradviz.json"))


def load(stem: str):
    session = Session.load(lessons_dir() / f"{stem}.gradviz.json")
    return session, build_problem(session)


def check(session, problem, **overrides):
    options = {**session.check.check_kwargs(), **overrides}
    return gv.gradient_check(problem.net, problem.X_check, problem.y_check, **options)


def test_every_lesson_has_a_session_and_a_text():
    assert len(LESSONS) >= 10
    for path in LESSONS:
        text = path.with_name(path.name.replace(".gradviz.json", ".md"))
        assert text.is_file(), text
        assert text.read_text().startswith("# ")
        assert Session.load(path).title


def test_one_sided_fails_where_centered_passes():
    session, problem = load("01-centered-vs-one-sided")
    assert not check(session, problem).passed
    assert check(session, problem, method="centered").difference < 1e-4


def test_planted_bugs_fail_in_their_block():
    session, problem = load("02-planted-bugs")
    assert check(session, problem).failing_blocks() == ["W2"]
    problem.net.inject_bug("db_x4", 1)
    assert check(session, problem).failing_blocks() == ["b1"]


def test_missing_regularization_shows_only_with_the_regularization_term():
    session, problem = load("03-remember-regularization")
    assert check(session, problem).failing_blocks() == ["W1"]
    assert check(session, problem, terms="data").passed


def test_dropout_resample_fails_frozen_and_off_pass():
    session, problem = load("04-dropout")
    assert not check(session, problem).passed
    assert check(session, problem, dropout="frozen").passed
    assert check(session, problem, dropout="off").passed


def test_float32_with_tiny_epsilon_fails_with_the_warning():
    session, problem = load("05-precision")
    report = check(session, problem)
    assert not report.passed
    assert any("below the float32 spacing" in w for w in report.warnings)


def test_kinks_are_flagged_not_failed():
    session, problem = load("06-kinks")
    report = check(session, problem)
    assert report.n_kinks > 0
    assert report.failing_blocks() == []


def test_bug_hidden_at_initialization_shows_after_training():
    session, problem = load("07-check-after-training")
    assert check(session, problem).passed
    trainer = Trainer(problem.net, problem.X, problem.y, optimizer=session.training.optimizer,
                      lr=session.training.lr, batch_size=session.training.batch_size)
    for _ in trainer.steps(100):
        pass
    assert check(session, problem).failing_blocks() == ["W2"]


def test_regularization_overwhelms_the_data_loss():
    session, problem = load("08-regularization-overwhelms")
    overall, data = check(session, problem), check(session, problem, terms="data")
    assert overall.difference < 1e-3 < data.difference
    assert any("outweighs the data loss" in w for w in overall.warnings)
    assert check(session, problem, terms="reg").passed


@pytest.mark.parametrize("stem", ["09-sanity-checks", "10-normalization-and-init"])
def test_correct_lesson_networks_pass(stem):
    session, problem = load(stem)
    assert check(session, problem).passed
