"""A session file (`.gradviz.json`) field by field: every setting's refusal names the field and
what it accepts, boundaries are accepted, and a session with parameters round-trips exactly."""

import json

import numpy as np
import pytest
from helpers import exactly

from gradviz.core.data.session import CheckSettings, DataSettings, Session, TrainingSettings
from gradviz.core.model.bugs import BUG_KINDS
from gradviz.core.model.spec import NetworkSpec

SPEC = {"input_dim": 2, "layers": [{"units": 3, "activation": "tanh"}, {"units": 3, "activation": "linear"}]}
SEED = "seed must be a whole number from 0 to 9,223,372,036,854,775,807; got"


def doc(**sections):
    return {"format": "gradviz-session", "version": 1, "spec": SPEC, **sections}


@pytest.mark.parametrize(("settings", "kwargs", "message"), [
    (CheckSettings, {"method": "x"}, "method must be one of centered, forward, complex, richardson; got 'x'"),
    (CheckSettings, {"dropout": "x"}, "dropout must be one of off, frozen, resample; got 'x'"),
    (CheckSettings, {"terms": "x"}, "terms must be one of all, data, reg; got 'x'"),
    (CheckSettings, {"sample": 0}, "sample must be a whole number >= 1; got 0"),
    (CheckSettings, {"seed": -1}, f"{SEED} -1"),
    (CheckSettings, {"seed": 2**63}, f"{SEED} 9223372036854775808"),
    (CheckSettings, {"bug": "dW_x2:1" + "0" * 94}, "check.bug must be at most 100 characters; it has 101"),
    (CheckSettings, {"bug": "nope:1"}, f"bug kind must be one of {', '.join(BUG_KINDS)}; got 'nope'"),
    (CheckSettings, {"bug": ["dW_x2:1"] * 17}, "check.bug must list from 1 to 16 bugs KIND:LAYER; got 17"),
    (DataSettings, {"dataset": "x"}, "dataset must be one of spiral, circles, moons, xor, blobs; got 'x'"),
    (DataSettings, {"m": 0}, "m must be a whole number from 1 to 10,000,000; got 0"),
    (DataSettings, {"n_classes": 1}, "n_classes must be a whole number from 2 to 10,000; got 1"),
    (DataSettings, {"n_classes": 10_001}, "n_classes must be a whole number from 2 to 10,000; got 10001"),
    (DataSettings, {"check_examples": 0},
     "check_examples must be a whole number from 1 to 10,000,000; got 0"),
    (DataSettings, {"check_examples": 10**7 + 1},
     "check_examples must be a whole number from 1 to 10,000,000; got 10000001"),
    (DataSettings, {"seed": 2**63}, f"{SEED} 9223372036854775808"),
    (DataSettings, {"noise": -1}, "noise must be a number in [0, 1e+06]; got -1"),
    (DataSettings, {"noise": 1e6 + 1}, "noise must be a number in [0, 1e+06]; got 1000001.0"),
    (DataSettings, {"path": "a\0b"}, "data.path must be a file path (or null for a built-in data set)"),
    (DataSettings, {"path": "a" * 4097}, "data.path must be at most 4,096 characters; it has 4,097"),
    (DataSettings, {"dev_fraction": 0.0}, "dev_fraction must be a number in (0, 1); got 0.0"),
    (DataSettings, {"dev_fraction": 1.0}, "dev_fraction must be a number in (0, 1); got 1.0"),
    (TrainingSettings, {"optimizer": "x"}, "optimizer must be one of sgd, momentum, adam; got 'x'"),
    (TrainingSettings, {"lr": 0}, "lr must be a number in (0, inf]; got 0"),
    (TrainingSettings, {"batch_size": 0}, "batch_size must be a whole number from 1 to 10,000,000; got 0"),
    (TrainingSettings, {"batch_size": 10**7 + 1},
     "batch_size must be a whole number from 1 to 10,000,000; got 10000001"),
])
def test_each_setting_is_refused_by_its_name_and_what_it_accepts(settings, kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        settings(**kwargs)


def test_every_boundary_is_accepted():
    check = CheckSettings(epsilon=10, sample=1, seed=2**63 - 1, bug=["dW_x2:1"] * 16)
    assert (check.sample, check.seed, check.bug) == (1, 2**63 - 1, "dW_x2:1")
    longest = "dW_x2:1" + "0" * 93  # 100 characters
    assert CheckSettings(bug=longest).bug == longest
    data = DataSettings(m=1, n_classes=2, check_examples=10**7, noise=1e6, dev_fraction=0.999,
                        path="a" * 4096, seed=2**63 - 1)
    assert (data.m, data.n_classes, data.check_examples, data.noise) == (1, 2, 10**7, 1e6)
    assert DataSettings(n_classes=10_000, check_examples=1, noise=0.0, dev_fraction=1e-9).n_classes == 10_000
    training = TrainingSettings(lr=1e-300, batch_size=1)
    assert (training.lr, training.batch_size) == (1e-300, 1)
    assert TrainingSettings(batch_size=10**7).batch_size == 10**7


def test_check_settings_become_gradient_check_arguments():
    check = CheckSettings(epsilon=1e-5, method="forward", dropout="frozen", terms="data", sample=3, seed=7)
    assert check.check_kwargs() == {"epsilon": 1e-5, "method": "forward", "dropout": "frozen",
                                    "terms": "data", "sample": 3, "seed": 7}


@pytest.mark.parametrize(("data", "message"), [
    (5, "a session file must hold a JSON object"),
    ({"format": "x"}, "not a gradviz session: 'format' must be 'gradviz-session'"),
    ({"format": "gradviz-session", "version": 2}, "session version 2 is not supported (this gradviz reads "
                                                  "version 1)"),
    ({"format": "gradviz-session", "version": 1}, "the session has no 'spec' (the network)"),
    (doc(more=1, extra=2), "unknown session field(s): 'extra, more'"),
    (doc(input_dim=2), "unknown session field(s): 'input_dim'"),
    (doc(check=5), "'check' must be an object"),
    (doc(training=[]), "'training' must be an object"),
    (doc(check={"zz": 1, "aa": 2}),
     "unknown check setting(s): 'aa, zz'; known: bug, dropout, epsilon, method, sample, seed, terms"),
    (doc(training={"momentum": 0.9}), "unknown training setting(s): 'momentum'; known: batch_size, lr, "
                                      "optimizer"),
    (doc(title="t" * 100_001), "title must be at most 100,000 characters; it has 100,001"),
    (doc(notes=5), "notes must be a string; got 5"),
    (doc(params=5), "'params' must be an object of arrays"),
    (doc(params={}), "params lack W1"),
    (doc(params={"W1": "a"}), "params W1 must be numeric"),
    (doc(params={"W1": np.ones((3, 2)).tolist(), "b1": [[0.0], [0.0]]}),
     "params b1 must have shape (3, 1) for this network; got (2, 1)"),
    (doc(params={"W1": np.ones((2, 2)).tolist()}),
     "params W1 must have shape (3, 2) for this network; got (2, 2)"),
    (doc(params={"W1": np.ones((3, 2)).tolist(), "b1": [[0.0], [0.0], [float("nan")]]}),
     "params b1 contains NaN or Inf"),
])
def test_a_session_file_is_refused_naming_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=exactly(message)):
        Session.from_dict(data)


def test_a_bare_network_spec_is_a_session_with_default_settings():
    session = Session.from_dict(SPEC)
    assert session.spec == NetworkSpec.from_dict(SPEC)
    assert (session.data, session.check, session.training) == (DataSettings(), CheckSettings(),
                                                              TrainingSettings())
    not_a_session = "not a gradviz session: 'format' must be 'gradviz-session'"
    with pytest.raises(ValueError, match=exactly(not_a_session)):
        Session.from_dict({"layers": []})


def test_a_session_with_parameters_round_trips_exactly(tmp_path):
    spec = NetworkSpec.from_dict(SPEC)
    rng = np.random.default_rng(2)
    params = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1)),
              "W2": rng.standard_normal((3, 3)), "b2": rng.standard_normal((3, 1))}
    session = Session(spec, DataSettings("moons", 50, noise=0.3), CheckSettings(bug="db_x4:2"),
                      TrainingSettings("adam", 0.01, None), params, title="lab", notes="n")
    data = session.to_dict()
    assert list(data) == ["format", "version", "title", "notes", "spec", "data", "check", "training",
                          "params"]
    assert data["params"]["W1"] == params["W1"].tolist()
    assert "params" not in session.to_dict(include_params=False)
    assert json.loads(session.to_json()) == data
    assert session.to_json() == json.dumps(data, indent=2)
    assert "params" not in json.loads(session.to_json(include_params=False))
    back = Session.from_json(session.to_json())
    assert (back.title, back.notes, back.data, back.check, back.training) == (
        "lab", "n", session.data, session.check, session.training)
    for name, value in params.items():
        np.testing.assert_array_equal(back.params[name], value)
    session.save(tmp_path / "lab.gradviz.json")
    text = (tmp_path / "lab.gradviz.json").read_text(encoding="utf-8")
    assert text == json.dumps({**data, "data": {**data["data"], "path": None}}, indent=2)
    session.save(tmp_path / "bare.gradviz.json", include_params=False)
    assert Session.load(tmp_path / "bare.gradviz.json").params is None
    assert Session.load(str(tmp_path / "lab.gradviz.json")).title == "lab"


def test_a_broken_file_is_named_with_its_reason(tmp_path):
    path = tmp_path / "broken.gradviz.json"
    path.write_text(json.dumps(doc(check={"method": "x"})))
    with pytest.raises(ValueError, match=exactly("broken.gradviz.json: method must be one of centered, "
                                                 "forward, complex, richardson; got 'x'")):
        Session.load(path)
    with pytest.raises(ValueError, match=exactly("path must be a file path; got 5")):
        Session.load(5)
    with pytest.raises(ValueError, match=exactly("path must be a file path; got 5")):
        Session.from_dict(SPEC).save(5)
    untitled = Session.from_dict(doc())
    assert (untitled.title, untitled.notes, untitled.params) == ("", "", None)
