"""Model files: import a user's .py file afresh, call its gradviz_model(), show the user's own
exceptions with their frames only, and remember which file a model came from."""

import gc
import pickle
import sys
import weakref

import numpy as np
import pytest

import gradviz
from gradviz.core.check.modelfile import load_model_file, source_of, user_code_error
from tests.modelfiles import MODEL, write_project


def test_a_project_loads_with_its_neighbour_package(tmp_path):
    path = write_project(tmp_path)
    path_before = list(sys.path)
    loaded = load_model_file(path)
    assert sys.path == path_before
    assert loaded.path == path.resolve()
    assert list(loaded.model.params) == ["W1", "b1", "W2", "b2"]
    assert loaded.X.shape == (5, 4)
    report = gradviz.gradient_check(loaded.model, loaded.X, loaded.y)
    assert report.conclusion == "correct"
    assert source_of(loaded.model) == path.resolve()


def test_a_reload_sees_edits_to_the_file_and_to_its_neighbours(tmp_path):
    path = write_project(tmp_path)
    first = load_model_file(path)
    assert gradviz.gradient_check(first.model, first.X, first.y).failing_blocks() == []
    write_project(tmp_path, db_factor="2.0")  # same size, same second: no stale bytecode
    second = load_model_file(path)
    report = gradviz.gradient_check(second.model, second.X, second.y)
    assert report.failing_blocks() == ["b1", "b2"]
    assert report.conclusion == "bug"
    path.write_text(MODEL.replace("(5, 4)", "(7, 4)").replace("0, 3, 5)", "0, 3, 7)"), encoding="utf-8")
    assert load_model_file(path).X.shape == (7, 4)
    assert type(first.model) is not type(second.model)  # a new module each time


def test_the_model_alone_is_returned_with_no_examples(tmp_path):
    path = tmp_path / "layer.py"
    path.write_text(
        "import numpy as np\nimport gradviz\n\n"
        "def gradviz_model():\n"
        "    return gradviz.layer_model(lambda x: (x ** 3, x), lambda d, x: 3 * x ** 2 * d,\n"
        "                               np.linspace(-1, 1, 4))\n",
        encoding="utf-8")
    loaded = load_model_file(path)
    assert loaded.X is None
    assert loaded.y is None
    assert gradviz.gradient_check(loaded.model).failing_blocks() == []


def test_a_user_exception_keeps_only_the_users_frames(tmp_path):
    path = write_project(tmp_path, model=MODEL.replace(
        "    rng = np.random.default_rng(1)\n",
        "    rng = np.random.default_rng(1)\n    helper()\n") + "\n\ndef helper():\n    return 1 / 0\n")
    path_before = list(sys.path)
    with pytest.raises(gradviz.UserCodeError) as caught:
        load_model_file(path)
    error = caught.value
    text = str(error)
    assert isinstance(error, ValueError)
    lines = path.read_text().splitlines()
    helper_line = lines.index("    return 1 / 0") + 1
    call_line = lines.index("    helper()") + 1
    assert error.frames == [(str(path.resolve()), call_line), (str(path.resolve()), helper_line)]
    assert f'model.py", line {helper_line}, in helper' in text
    assert text.splitlines()[-1] == "ZeroDivisionError: division by zero"
    assert "gradviz/" not in text
    assert "importlib" not in text
    assert isinstance(error.exception, ZeroDivisionError)
    assert sys.path == path_before
    again = pickle.loads(pickle.dumps(error))  # for worker processes
    assert str(again) == text
    assert again.frames == error.frames


def test_an_error_in_a_neighbour_module_shows_that_file(tmp_path):
    path = write_project(tmp_path, db_factor="1.0 +")  # a syntax error in cs231n/layers.py
    with pytest.raises(gradviz.UserCodeError) as caught:
        load_model_file(path)
    text = str(caught.value)
    assert 'model.py", line 3, in <module>' in text
    assert "layers.py" in text
    assert "SyntaxError" in text
    assert "gradviz/" not in text


def test_a_syntax_error_in_the_file_names_its_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def gradviz_model():\n    return (\n\nx = 1 +\n", encoding="utf-8")
    with pytest.raises(gradviz.UserCodeError, match=r"broken\.py") as caught:
        load_model_file(path)
    assert caught.value.frames[-1][0] == str(path.resolve())


def test_a_file_without_gradviz_model_says_what_to_define(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("import numpy as np\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"net.py defines no gradviz_model\(\)") as caught:
        load_model_file(path)
    assert not isinstance(caught.value, gradviz.UserCodeError)
    assert "    def gradviz_model():\n" in str(caught.value)
    assert "return model, X, y" in str(caught.value)


@pytest.mark.parametrize(("name", "body", "message"), [
    ("notes.txt", "", r"must be a Python file ending in \.py"),
    ("absent.py", None, "no such model file"),
    ("none.py", "def gradviz_model():\n    return None\n", r"returned NoneType; return a model"),
])
def test_bad_files_are_named(tmp_path, name, body, message):
    path = tmp_path / name
    if body is not None:
        path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_model_file(path)


def test_source_of_forgets_models_that_are_gone(tmp_path):
    from gradviz.core.check import modelfile

    path = write_project(tmp_path)
    loaded = load_model_file(path)
    assert source_of(loaded.model) == path.resolve()
    assert source_of(object()) is None
    key, alive = id(loaded.model), weakref.ref(loaded.model)
    assert key in modelfile._SOURCES
    del loaded
    gc.collect()
    assert alive() is None  # the mapping does not keep the model alive
    assert key not in modelfile._SOURCES


def test_an_exception_in_the_users_loss_is_theirs_and_gradviz_checks_are_not(tmp_path):
    path = write_project(tmp_path, model=MODEL.replace(
        "        N = X.shape[0]\n", "        N = X.shape[0]\n        if np.abs(p['W1']).max() > 1.5:\n"
        "            raise RuntimeError('weights too large')\n"))
    loaded = load_model_file(path)
    loaded.model.params["W1"][0, 0] = 1.5 - 1e-8  # the check's +ε step goes past 1.5
    with pytest.raises(RuntimeError) as caught:
        gradviz.gradient_check(loaded.model, loaded.X, loaded.y)
    error = user_code_error(caught.value)
    assert error is not None
    assert "RuntimeError: weights too large" in str(error)
    assert "model.py" in str(error)
    loaded.model.params["W1"] = np.zeros((4, 5))  # no longer fits b1: numpy raises in their code
    with pytest.raises(ValueError, match="could not be broadcast") as caught:
        gradviz.gradient_check(loaded.model, loaded.X, loaded.y)
    assert 'layers.py", line 5, in affine_forward' in str(user_code_error(caught.value))
    loaded.model.params["W1"] = np.zeros((4, 6))
    loaded.model.params["b1"] = np.zeros((1, 6))  # runs, but db1 comes back (6,)
    with pytest.raises(ValueError, match=r"the gradient of b1 has shape \(6,\), expected \(1, 6\)") as caught:
        gradviz.gradient_check(loaded.model, loaded.X, loaded.y)
    assert user_code_error(caught.value) is None  # gradviz's own message stands
