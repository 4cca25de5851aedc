"""The numpy LSTM against torch.nn.LSTM / LSTMCell, torch autograd, and numerical gradients."""

import numpy as np
import pytest
import torch
from torch_refs import torch_reference

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.lstm import (
    LSTMStepCache,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    sigmoid,
)
from course_lib.weights import numpy_gradients

SHAPES = [(2, 3, 4), (1, 5, 2), (3, 2, 3)]  # (N, D, H), D != H and N = 1 included
# centred differences with h = 1e-6 carry ~1e-10 absolute round-off, so tiny entries of a
# gradient reach ~1e-7 relative error; torch autograd comparisons use the strict 1e-8
NUM_TOL = 1e-6


def make_params(rng, D, H, peephole=False):
    Wx = rng.standard_normal((D, 4 * H)) * 0.5
    Wh = rng.standard_normal((H, 4 * H)) * 0.5
    b = rng.standard_normal(4 * H) * 0.5
    p = tuple(rng.standard_normal(H) for _ in range(3)) if peephole else None
    return Wx, Wh, b, p


def torch_lstm_from(Wx, Wh, b):
    """A float64 torch.nn.LSTM holding our weights (all the bias in bias_ih)."""
    return torch_reference(torch.nn.LSTM, Wx, Wh, b)


def torch_peephole_lstm(x, h, c, Wx, Wh, b, p):
    """Reference written directly from Greff et al. (2017), differentiated by torch autograd.

    x (N, T, D) and every argument are torch tensors; returns the hidden states (N, T, H) and
    the last cell state (N, H).
    """
    H = h.shape[1]
    out = []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        z = torch.tanh(a[:, 2 * H : 3 * H])
        i = torch.sigmoid(a[:, :H] + p[0] * c)
        f = torch.sigmoid(a[:, H : 2 * H] + p[1] * c)
        c = z * i + c * f
        o = torch.sigmoid(a[:, 3 * H :] + p[2] * c)
        h = torch.tanh(c) * o
        out.append(h)
    return torch.stack(out, dim=1), c


def tensors(*arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def test_sigmoid_is_stable_and_correct():
    a = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    with np.errstate(over="raise"):
        s = sigmoid(a)
    assert rel_error(s, torch.sigmoid(torch.tensor(a)).numpy()) < 1e-14


@pytest.mark.parametrize("N,D,H", SHAPES)
def test_step_forward_matches_lstm_cell(rng, N, D, H):
    x, (h0, c0) = rng.standard_normal((N, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, _ = make_params(rng, D, H)
    h, c, _ = lstm_step_forward(x, h0, c0, Wx, Wh, b)
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(Wx.T))
        cell.weight_hh.copy_(torch.tensor(Wh.T))
        cell.bias_ih.copy_(torch.tensor(b) / 2)
        cell.bias_hh.copy_(torch.tensor(b) / 2)
        ht, ct = cell(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    assert rel_error(h, ht.numpy()) < 1e-12
    assert rel_error(c, ct.numpy()) < 1e-12


@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("N,D,H", SHAPES)
def test_step_backward_numerical_and_autograd(rng, N, D, H, peephole):
    x, (h0, c0) = rng.standard_normal((N, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, p = make_params(rng, D, H, peephole)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = lstm_step_forward(x, h0, c0, Wx, Wh, b, p)
    grads = lstm_step_backward(dh, dc, cache)
    assert len(grads) == (7 if peephole else 6)
    inputs = [x, h0, c0, Wx, Wh, b]
    ours = list(grads[:6]) + (list(grads[6]) if peephole else [])
    if peephole:
        inputs += list(p)

    def loss_parts():
        h, c, _ = lstm_step_forward(x, h0, c0, Wx, Wh, b, p)
        return np.sum(dh * h) + np.sum(dc * c)

    for value, grad in zip(inputs, ours, strict=True):
        assert rel_error(numerical_gradient(loss_parts, value), grad) < NUM_TOL

    # torch autograd on the same float64 inputs: one step of the Greff reference
    tx, th, tc, tWx, tWh, tb, *tp = tensors(*inputs)
    tp = tp if peephole else [torch.zeros(H, dtype=torch.float64)] * 3
    h_t, c_t = torch_peephole_lstm(tx[:, None], th, tc, tWx, tWh, tb, tp)
    (torch.sum(torch.tensor(dh) * h_t[:, 0]) + torch.sum(torch.tensor(dc) * c_t)).backward()
    leaves = [tx, th, tc, tWx, tWh, tb] + (tp if peephole else [])
    for leaf, grad in zip(leaves, ours, strict=True):
        assert rel_error(leaf.grad.numpy(), grad) < 1e-8


# homework ps03 (and its tests) index the step cache by position: these positions must not move
CACHE_FIELDS = ("x", "h_prev", "c_prev", "Wx", "Wh", "peephole", "i", "f", "g", "o", "c", "tanh_c")


def test_step_cache_fields_by_name_and_position(rng):
    N, D, H = 2, 3, 4
    x, (h0, c0) = rng.standard_normal((N, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, p = make_params(rng, D, H, peephole=True)
    h, c, cache = lstm_step_forward(x, h0, c0, Wx, Wh, b, p)
    assert isinstance(cache, LSTMStepCache) and isinstance(cache, tuple)
    assert LSTMStepCache._fields == CACHE_FIELDS
    for k, name in enumerate(CACHE_FIELDS):
        assert getattr(cache, name) is cache[k]
    assert cache.x is x and cache.h_prev is h0 and cache.c_prev is c0 and cache.peephole is p
    a = x @ Wx + h0 @ Wh + b  # (N, 4H), gates recomputed without the peepholes' terms
    assert np.allclose(cache.g, np.tanh(a[:, 2 * H : 3 * H]))
    assert np.allclose(cache.c, c) and np.allclose(cache.tanh_c, np.tanh(c))
    assert np.allclose(h, cache.o * np.tanh(cache.c))
    assert np.allclose(cache.c, cache.f * c0 + cache.i * cache.g)
    # the backward pass accepts a plain tuple in the same order (as homework tests build it)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    for got, want in zip(lstm_step_backward(dh, dc, tuple(cache))[:6],
                         lstm_step_backward(dh, dc, cache)[:6], strict=True):
        assert np.array_equal(got, want)
    _, seq_cache = lstm_forward(x[:, None], h0, Wx, Wh, b)
    first = seq_cache["steps"][0]
    assert isinstance(first, LSTMStepCache) and first.f.shape == (N, H)


@pytest.mark.parametrize("N,T,D,H", [(2, 4, 3, 5), (1, 1, 3, 2), (3, 6, 4, 4)])
def test_forward_matches_nn_lstm(rng, N, T, D, H):
    x, (h0, c0) = rng.standard_normal((N, T, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, _ = make_params(rng, D, H)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    with torch.no_grad():
        ht, (hn, cn) = torch_lstm_from(Wx, Wh, b)(
            torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None])
        )
    assert h.shape == (N, T, H)
    assert rel_error(h, ht.numpy()) < 1e-12
    assert rel_error(cache["c"][:, -1], cn[0].numpy()) < 1e-12


@pytest.mark.parametrize("N,T,D,H", [(2, 3, 4, 5), (1, 1, 3, 2), (2, 5, 2, 3)])
def test_backward_matches_autograd_and_numerical(rng, N, T, D, H):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, _ = make_params(rng, D, H)
    dout = rng.standard_normal((N, T, H))
    _, cache = lstm_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = lstm_backward(dout, cache)

    net = torch_lstm_from(Wx, Wh, b)
    tx, th0 = tensors(x, h0)
    out, _ = net(tx, (th0[None], torch.zeros(1, N, H, dtype=torch.float64)))
    out.backward(torch.tensor(dout))
    assert rel_error(dx, tx.grad.numpy()) < 1e-8
    assert rel_error(dh0, th0.grad.numpy()) < 1e-8
    dWx_torch, dWh_torch, db_torch, _ = numpy_gradients(net)
    assert rel_error(dWx, dWx_torch) < 1e-8
    assert rel_error(dWh, dWh_torch) < 1e-8
    assert rel_error(db, db_torch) < 1e-8

    def f():
        return lstm_forward(x, h0, Wx, Wh, b)[0]

    for value, grad in [(x, dx), (h0, dh0), (Wx, dWx), (Wh, dWh), (b, db)]:
        assert rel_error(numerical_gradient(f, value, dout), grad) < NUM_TOL


@pytest.mark.parametrize("N,T,D,H", [(2, 4, 3, 5), (1, 1, 2, 3)])
def test_peephole_sequence_matches_torch_reference(rng, N, T, D, H):
    x, (h0, c0) = rng.standard_normal((N, T, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, p = make_params(rng, D, H, peephole=True)
    dout = rng.standard_normal((N, T, H))
    h, cache = lstm_forward(x, h0, Wx, Wh, b, peephole=p, c0=c0)
    dx, dh0, dWx, dWh, db, dp = lstm_backward(dout, cache)

    leaves = tensors(x, h0, Wx, Wh, b, *p)
    tx, th0, tWx, tWh, tb, *tp = leaves
    ht, _ = torch_peephole_lstm(tx, th0, torch.tensor(c0), tWx, tWh, tb, tp)
    ht.backward(torch.tensor(dout))
    assert rel_error(h, ht.detach().numpy()) < 1e-12
    for leaf, grad in zip(leaves, [dx, dh0, dWx, dWh, db, *dp], strict=True):
        assert rel_error(leaf.grad.numpy(), grad) < 1e-8


def test_peepholes_change_the_output_and_zero_peepholes_do_not(rng):
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    Wx, Wh, b, p = make_params(rng, 4, 5, peephole=True)
    plain, _ = lstm_forward(x, h0, Wx, Wh, b)
    zeros = tuple(np.zeros(5) for _ in range(3))
    assert np.array_equal(lstm_forward(x, h0, Wx, Wh, b, peephole=zeros)[0], plain)
    assert rel_error(lstm_forward(x, h0, Wx, Wh, b, peephole=p)[0], plain) > 1e-3


def test_same_inputs_same_numbers(rng):
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    Wx, Wh, b, _ = make_params(rng, 4, 5)
    assert np.array_equal(lstm_forward(x, h0, Wx, Wh, b)[0], lstm_forward(x, h0, Wx, Wh, b)[0])


def test_bad_inputs(rng):
    N, D, H = 2, 3, 4
    x, (h0, c0) = rng.standard_normal((N, D)), rng.standard_normal((2, N, H))
    Wx, Wh, b, p = make_params(rng, D, H, peephole=True)
    with pytest.raises(ValueError, match=r"Wx must have shape \(D, 4H\)"):
        lstm_step_forward(x, h0, c0, Wx[:, :-1], Wh, b)
    with pytest.raises(ValueError, match="c_prev"):
        lstm_step_forward(x, h0, c0[:1], Wx, Wh, b)
    with pytest.raises(ValueError, match="b must"):
        lstm_step_forward(x, h0, c0, Wx, Wh, b[None])
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        lstm_step_forward(x.astype(int), h0, c0, Wx, Wh, b)
    with pytest.raises(TypeError, match="h_prev must be a numpy array"):
        lstm_step_forward(x, h0.tolist(), c0, Wx, Wh, b)
    with pytest.raises(ValueError, match="peephole p_o"):
        lstm_step_forward(x, h0, c0, Wx, Wh, b, (p[0], p[1], p[2][:-1]))
    with pytest.raises(TypeError, match="peephole must be"):
        lstm_step_forward(x, h0, c0, Wx, Wh, b, p[:2])
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        lstm_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="T = 0"):
        lstm_forward(np.zeros((N, 0, D)), h0, Wx, Wh, b)
    _, cache = lstm_forward(x[:, None], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="dh must"):
        lstm_backward(np.zeros((N, 2, H)), cache)
