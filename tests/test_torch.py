"""gradviz.torch: custom autograd Functions and nn.Modules as models, checked against gradients
written out here and against torch.autograd.gradcheck's verdict on the same functions."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradviz  # noqa: E402
from gradviz.testing import assert_gradients  # noqa: E402
from gradviz.torch import function_model, module_model  # noqa: E402


def affine(mistake: str | None = None):
    """out = x @ W1 + b1 as an autograd.Function whose backward may carry a planted mistake."""

    class Affine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, W1, b1):
            ctx.save_for_backward(x, W1)
            return x @ W1 + b1

        @staticmethod
        def backward(ctx, dout):
            x, W1 = ctx.saved_tensors
            dW1 = x.T @ dout
            db1 = dout.sum(0)
            if mistake == "transposed":
                dW1 = dW1.T
            if mistake == "doubled":
                db1 = 2 * db1
            return dout @ W1.T, dW1, db1

    return Affine


def inputs(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    shapes = ((5, 3), (3, 3), (3,))
    return [torch.randn(shape, generator=g, dtype=dtype, requires_grad=True) for shape in shapes]


def test_function_model_blocks_are_the_inputs_with_requires_grad_in_float64():
    x, W1, b1 = inputs(torch.float32)
    model = function_model(affine().apply, x, W1, b1.detach())
    assert model.__name__ == "Affine"
    assert list(model.params) == ["x", "W1"]
    assert all(v.dtype == np.float64 for v in model.params.values())
    np.testing.assert_array_equal(model.params["W1"], W1.detach().double().numpy())


def test_function_model_gradients_are_those_of_sum_out_times_dout():
    x, W1, b1 = (t.detach().numpy() for t in inputs())
    model = function_model(affine().apply, *inputs())
    (dout,) = model.dout
    J, grads = model.loss()
    assert pytest.approx(np.sum((x @ W1 + b1) * dout), rel=1e-12) == J
    np.testing.assert_allclose(grads["x"], dout @ W1.T, rtol=1e-12)
    np.testing.assert_allclose(grads["W1"], x.T @ dout, rtol=1e-12)
    np.testing.assert_allclose(grads["b1"], dout.sum(0), rtol=1e-12)


@pytest.mark.parametrize(("mistake", "conclusion"),
                         [(None, "correct"), ("doubled", "bug"), ("transposed", "bug")])
def test_same_verdict_as_torch_gradcheck(mistake, conclusion):
    fn = affine(mistake).apply
    torch_passes = torch.autograd.gradcheck(fn, inputs(), raise_exception=False)
    report = gradviz.gradient_check(function_model(fn, *inputs()), None, None)
    assert report.conclusion == conclusion
    assert (report.conclusion == "correct") == torch_passes
    expected = {None: [], "doubled": ["b1"], "transposed": ["W1"]}[mistake]
    assert report.failing_blocks() == expected


def test_the_failure_names_the_block_and_the_kind_where_gradcheck_names_an_input_number(tmp_path):
    fn = affine("doubled").apply
    with pytest.raises(RuntimeError) as torch_failure:
        torch.autograd.gradcheck(fn, inputs())
    assert "Jacobian mismatch for output 0 with respect to input 2" in str(torch_failure.value)
    with pytest.raises(AssertionError) as ours:
        assert_gradients(function_model(fn, *inputs()), artifacts=tmp_path)
    assert "db1 is 2.00× the numeric gradient everywhere: a scaling bug" in str(ours.value)
    assert (tmp_path / "Affine-heatmap.png").is_file()


def test_module_model_checks_a_copy_in_float64_and_leaves_the_module_alone():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X = torch.randn(6, 3)
    target = torch.tensor([0, 1, 1, 0, 1, 0])
    model = module_model(net, X, loss=lambda out: torch.nn.functional.cross_entropy(out, target))
    assert list(model.params) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    report = gradviz.gradient_check(model, None, None)
    assert report.conclusion == "correct"
    J, grads = model.loss()
    reference = torch.nn.functional.cross_entropy(net.double()(X.double()), target)
    reference.backward()
    assert pytest.approx(reference.item(), rel=1e-12) == J
    np.testing.assert_allclose(grads["0.weight"], net[0].weight.grad.numpy(), rtol=1e-10)
    net.float()
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_dropout_draws_the_same_mask_at_every_evaluation():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 1)).train()
    model = module_model(net, torch.randn(5, 3))
    assert model.loss()[0] == model.loss()[0]
    assert gradviz.gradient_check(model, None, None).conclusion == "correct"


def test_inputs_of_a_module_can_be_blocks_too():
    net = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3, requires_grad=True)
    model = module_model(net, x)
    assert list(model.params) == ["weight", "bias", "input"]
    assert gradviz.gradient_check(model, None, None).conclusion == "correct"


def test_mistakes_in_use_are_named():
    with pytest.raises(ValueError, match="no input requires grad"):
        function_model(torch.tanh, torch.randn(3))
    with pytest.raises(ValueError, match="loss must return a 0-d tensor"):
        module_model(torch.nn.Linear(3, 2), torch.randn(4, 3), loss=lambda out: out)
    with pytest.raises(ValueError, match=r"dout has shape \(2,\), expected \(4, 2\)"):
        module_model(torch.nn.Linear(3, 2), torch.randn(4, 3), dout=np.ones(2))
    with pytest.raises(ValueError, match=r"module must be a torch\.nn\.Module"):
        module_model(torch.tanh, torch.randn(3))
