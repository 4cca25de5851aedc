"""The numpy GRU against torch.nn.GRU / GRUCell, torch autograd, numerical gradients, and the
equivalence of the two update-gate conventions."""

import numpy as np
import pytest
import torch
from torch_refs import torch_reference

from course_lib.activations import sigmoid
from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.gru import (
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    negate_update_gate,
)

SHAPES = [(2, 3, 4), (1, 5, 2), (3, 2, 3)]  # (N, D, H)
TORCH_NAMES = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]  # GRUCell's, our order
NUM_TOL = 1e-6  # centred differences (see test_lstm.py); autograd comparisons use 1e-8


def make_params(rng, D, H):
    return (
        rng.standard_normal((D, 3 * H)) * 0.5,
        rng.standard_normal((H, 3 * H)) * 0.5,
        rng.standard_normal(3 * H) * 0.5,
        rng.standard_normal(3 * H) * 0.5,
    )


def torch_gru_from(Wx, Wh, bx, bh):
    return torch_reference(torch.nn.GRU, Wx, Wh, bx, bh)


def gru_step_convention_b(x, h_prev, Wx, Wh, bx, bh):
    """h = (1 - z) h_prev + z h_tilde (seeds 003/004, Cho et al.), reset placed as in PyTorch."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
    h_tilde = np.tanh(ax[:, 2 * H :] + r * ah[:, 2 * H :])
    return (1 - z) * h_prev + z * h_tilde


@pytest.mark.parametrize("N,D,H", SHAPES)
def test_step_forward_matches_gru_cell(rng, N, D, H):
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, bx, bh = make_params(rng, D, H)
    h, _ = gru_step_forward(x, h0, Wx, Wh, bx, bh)
    cell = torch.nn.GRUCell(D, H).double()
    with torch.no_grad():
        for name, value in zip(TORCH_NAMES, [Wx.T, Wh.T, bx, bh], strict=True):
            getattr(cell, name).copy_(torch.tensor(value))
        ht = cell(torch.tensor(x), torch.tensor(h0))
    assert rel_error(h, ht.numpy()) < 1e-12


@pytest.mark.parametrize("N,D,H", SHAPES)
def test_step_backward_numerical_and_autograd(rng, N, D, H):
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H)
    dh = rng.standard_normal((N, H))
    _, cache = gru_step_forward(x, h0, *params)
    grads = gru_step_backward(dh, cache)
    inputs = [x, h0, *params]
    for value, grad in zip(inputs, grads, strict=True):
        num = numerical_gradient(lambda: gru_step_forward(x, h0, *params)[0], value, dh)
        assert rel_error(num, grad) < NUM_TOL

    cell = torch.nn.GRUCell(D, H).double()
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    with torch.no_grad():
        for name, value in zip(TORCH_NAMES, params, strict=True):
            getattr(cell, name).copy_(torch.tensor(value.T))
    cell(tx, th).backward(torch.tensor(dh))
    torch_grads = [tx.grad, th.grad, cell.weight_ih.grad.T, cell.weight_hh.grad.T,
                   cell.bias_ih.grad, cell.bias_hh.grad]
    for ours, ref in zip(grads, torch_grads, strict=True):
        assert rel_error(ours, ref.numpy()) < 1e-8


@pytest.mark.parametrize("N,T,D,H", [(2, 4, 3, 5), (1, 1, 3, 2), (3, 5, 4, 4)])
def test_sequence_forward_backward_match_nn_gru(rng, N, T, D, H):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H)
    dout = rng.standard_normal((N, T, H))
    h, cache = gru_forward(x, h0, *params)
    dx, dh0, dWx, dWh, dbx, dbh = gru_backward(dout, cache)

    net = torch_gru_from(*params)
    tx, th0 = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, hn = net(tx, th0[None])
    out.backward(torch.tensor(dout))
    assert rel_error(h, out.detach().numpy()) < 1e-12
    assert rel_error(h[:, -1], hn[0].detach().numpy()) < 1e-12
    refs = [tx.grad, th0.grad, net.weight_ih_l0.grad.T, net.weight_hh_l0.grad.T,
            net.bias_ih_l0.grad, net.bias_hh_l0.grad]
    for ours, ref in zip([dx, dh0, dWx, dWh, dbx, dbh], refs, strict=True):
        assert rel_error(ours, ref.numpy()) < 1e-8


def test_sequence_backward_numerical(rng):
    N, T, D, H = 2, 3, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = make_params(rng, D, H)
    dout = rng.standard_normal((N, T, H))
    _, cache = gru_forward(x, h0, *params)
    grads = gru_backward(dout, cache)
    for value, grad in zip([x, h0, *params], grads, strict=True):
        num = numerical_gradient(lambda: gru_forward(x, h0, *params)[0], value, dout)
        assert rel_error(num, grad) < NUM_TOL


def test_two_update_gate_conventions_are_one_model(rng):
    """Convention (B) with the z-block negated computes exactly what convention (A) computes."""
    x, h0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    params = make_params(rng, 4, 5)
    h_a, _ = gru_step_forward(x, h0, *params)
    h_b = gru_step_convention_b(x, h0, *negate_update_gate(*params))
    assert rel_error(h_a, h_b) < 1e-12
    # without the conversion the two conventions disagree (so the check above can fail)
    assert rel_error(h_a, gru_step_convention_b(x, h0, *params)) > 1e-3
    # converting twice gives back the original parameters, and the inputs are left alone
    original = [p.copy() for p in params]
    twice = negate_update_gate(*negate_update_gate(*params))
    for p, q, o in zip(params, twice, original, strict=True):
        assert np.array_equal(p, q) and np.array_equal(p, o)


def test_bad_inputs(rng):
    N, D, H = 2, 3, 4
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, bx, bh = make_params(rng, D, H)
    with pytest.raises(ValueError, match=r"Wh must have shape \(H, 3H\)"):
        gru_step_forward(x, h0, Wx, Wh[:, :-1], bx, bh)
    with pytest.raises(ValueError, match="bh must"):
        gru_step_forward(x, h0, Wx, Wh, bx, bh[:-1])
    with pytest.raises(ValueError, match="h_prev"):
        gru_step_forward(x, h0[:1], Wx, Wh, bx, bh)
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        gru_step_forward(x.astype(np.int64), h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        gru_forward(x, h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match="T = 0"):
        gru_forward(np.zeros((N, 0, D)), h0, Wx, Wh, bx, bh)
    _, cache = gru_forward(x[:, None], h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match="dh must"):
        gru_backward(np.zeros((N, 1, H + 1)), cache)
    with pytest.raises(ValueError, match="Wx must"):
        negate_update_gate(Wx[:, :-1], Wh, bx, bh)
