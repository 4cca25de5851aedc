import numpy as np
import pytest
import torch

from course_lib.gradcheck import numerical_gradient, rel_error


def test_numerical_gradient_matches_autograd(rng):
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 2))
    num = numerical_gradient(lambda: np.tanh(x @ w), x, dout)
    xt = torch.tensor(x, requires_grad=True)
    torch.tanh(xt @ torch.tensor(w)).backward(torch.tensor(dout))
    assert rel_error(num, xt.grad.numpy()) < 1e-8


def test_scalar_function_and_input_restored(rng):
    x = rng.standard_normal(5)
    before = x.copy()
    num = numerical_gradient(lambda: float(np.sum(x**3)), x)
    assert rel_error(num, 3 * before**2) < 1e-8
    assert np.array_equal(x, before)


def test_rel_error_detects_difference():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [1.1]) > 1e-2


def test_bad_inputs():
    with pytest.raises(TypeError, match="x must"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))
