"""Homework 3 (LSTM and GRU cells): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references: torch's nn.LSTM and nn.GRU run over whole sequences (forward, and autograd for the
backward passes chained through time), course_lib.gru and course_lib.torch_lstm_gru's peephole
LSTM; they also check that the visible tests catch the mistakes they are written for. The slow
tests (GradingSuite in tests/grading.py) grade fake students with the real `nbgrader autograde`:
the solution, the untouched release, the mutants of tests/mutants/ps03_lstm_gru/ in rounds (a
wrong answer, or a correct one that imports a module of FORBIDDEN in
solutions/ps03_lstm_gru/checks.py, absent while grading), and one who deleted a test cell.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from grading import (
    GradingSuite,
    is_set_up_or_answer,
    run_cells,
    source_notebook,
)
from torch import nn

from course_lib.torch_lstm_gru import LSTM as TorchPeepholeLSTM

ASSIGNMENT = "ps03_lstm_gru"


class TestPs03Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("lstm_step_forward", "lstm_step_backward", "peephole_lstm_step_forward",
                 "gru_step_forward", "gru_step_backward")
    POINTS = 16
    WRITTEN_ID = "written_gradient_path"
    WRITTEN_ANSWER = "The RNN multiplies by W_h every step; the LSTM cell path only by f."
    DELETED = "test_lstm_step_backward"
    FEEDBACK_STUDENT = "lstm_step_forward__partial_checks"  # passes the visible tests only
    CORE_FORBIDDEN = ("course_lib.lstm", "course_lib.gru", "course_lib.torch_lstm_gru")
    VISIBLE_CATCHES = (
        "peephole_lstm_step_forward__no_input_peephole",
        "peephole_lstm_step_forward__swapped_peepholes",
        "peephole_lstm_step_forward__p_o_on_old_cell",
        "lstm_step_forward__swapped_gates",
        "gru_step_forward__reset_outside_bias",
        "gru_step_backward__reset_on_input_side",
        "gru_step_backward__no_direct_path",
        "gru_step_backward__z_sign",
    )


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    return run_cells(source_notebook(ASSIGNMENT), is_set_up_or_answer)


def _lstm_params(lstm):
    """(Wx, Wh, b) of a one-layer LSTM (torch's or the course's), float64 numpy."""
    with torch.no_grad():
        b = lstm.bias_ih_l0 + lstm.bias_hh_l0
        params = (lstm.weight_ih_l0.T, lstm.weight_hh_l0.T, b)
        return tuple(p.double().numpy().copy() for p in params)


# ------------------------------------------------ solution code against independent references
@pytest.mark.parametrize("n, d, h, t", [(1, 1, 1, 3), (3, 4, 5, 6), (2, 7, 3, 4)])
def test_lstm_step_forward_matches_nn_lstm_over_a_sequence(solution, rng, n, d, h, t):
    torch.manual_seed(n + d + h)
    lstm = nn.LSTM(d, h, batch_first=True, dtype=torch.float64)
    x, h0, c0 = rng.normal(size=(n, t, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None],
                                                     torch.from_numpy(c0)[None]))
    hs, state, c_state = [], h0, c0
    for step in range(t):
        state, c_state, cache = solution["lstm_step_forward"](
            x[:, step], state, c_state, *_lstm_params(lstm))
        hs.append(state)
    assert np.allclose(np.stack(hs, axis=1), out.numpy())
    assert np.allclose(c_state, c_n[0].numpy())
    i, f, g, o = cache[5:9]
    assert np.allclose(cache[9], f * cache[2] + i * g) and np.allclose(state, o * np.tanh(cache[9]))


def test_lstm_step_forward_rejects_bad_shapes(solution, rng):
    forward = solution["lstm_step_forward"]
    n, d, h = 3, 2, 4
    args = [rng.normal(size=s) for s in ((n, d), (n, h), (n, h), (d, 4 * h), (h, 4 * h), (4 * h,))]
    bad = {0: args[0][0], 2: args[2][:1], 3: args[3][:, :-1], 4: args[4].T, 5: args[5][None]}
    names = ["x", "h_prev", "c_prev", "Wx", "Wh", "b"]
    for k, value in bad.items():
        message = f"{names[k]} must have shape" if k else "x and h_prev must be 2-D"
        with pytest.raises(ValueError, match=message):
            forward(*args[:k], value, *args[k + 1 :])


def test_lstm_step_backward_matches_autograd_through_time(solution, rng):
    """BPTT by chaining the solution's steps equals torch autograd through nn.LSTM."""
    n, d, h, t = 2, 3, 4, 5
    torch.manual_seed(1)
    lstm = nn.LSTM(d, h, batch_first=True, dtype=torch.float64)
    x = torch.tensor(rng.normal(size=(n, t, d)), requires_grad=True)
    h0 = torch.tensor(rng.normal(size=(1, n, h)), requires_grad=True)
    c0 = torch.tensor(rng.normal(size=(1, n, h)), requires_grad=True)
    dout = rng.normal(size=(n, t, h))
    out, _ = lstm(x, (h0, c0))
    (out * torch.from_numpy(dout)).sum().backward()

    params = _lstm_params(lstm)
    state, c_state, caches = h0[0].detach().numpy(), c0[0].detach().numpy(), []
    for step in range(t):
        state, c_state, cache = solution["lstm_step_forward"](
            x[:, step].detach().numpy(), state, c_state, *params)
        caches.append(cache)
    dh_next, dc_next = np.zeros((n, h)), np.zeros((n, h))
    dx, totals = np.zeros((n, t, d)), [np.zeros_like(p) for p in params]
    for step in reversed(range(t)):
        dx[:, step], dh_next, dc_next, *grads = solution["lstm_step_backward"](
            dout[:, step] + dh_next, dc_next, caches[step])
        totals = [a + g for a, g in zip(totals, grads, strict=True)]
    assert np.allclose(dx, x.grad.numpy())
    assert np.allclose(dh_next, h0.grad[0].numpy()) and np.allclose(dc_next, c0.grad[0].numpy())
    assert np.allclose(totals[0], lstm.weight_ih_l0.grad.T.numpy())
    assert np.allclose(totals[1], lstm.weight_hh_l0.grad.T.numpy())
    assert np.allclose(totals[2], lstm.bias_ih_l0.grad.numpy())
    with pytest.raises(ValueError, match="dh must have shape"):
        solution["lstm_step_backward"](dout[:, 0, :1], dc_next, caches[0])


@pytest.mark.parametrize("scale", [0.0, 1.0, 3.0])
def test_peephole_step_matches_the_torch_peephole_layer(solution, rng, scale):
    n, d, h, t = 3, 2, 4, 5
    torch.manual_seed(2)
    layer = TorchPeepholeLSTM(d, h, peephole=True).double()
    with torch.no_grad():
        layer.weight_peephole_l0.normal_(0.0, scale)
    x = rng.normal(size=(n, t, d))
    with torch.no_grad():
        out, (_, c_n) = layer(torch.from_numpy(x))
    peepholes = list(layer.weight_peephole_l0.detach().numpy())  # rows p_i, p_f, p_o
    state, c_state = np.zeros((n, h)), np.zeros((n, h))
    hs = []
    for step in range(t):
        state, c_state = solution["peephole_lstm_step_forward"](
            x[:, step], state, c_state, *_lstm_params(layer), *peepholes)
        hs.append(state)
    assert np.allclose(np.stack(hs, axis=1), out.numpy())
    assert np.allclose(c_state, c_n[0].numpy())
    with pytest.raises(ValueError, match="p_o must have shape"):
        solution["peephole_lstm_step_forward"](
            x[:, 0], state, c_state, *_lstm_params(layer), *peepholes[:2], peepholes[2][:-1])


def _gru_params(gru):
    """(Wx, Wh, bx, bh) of a one-layer nn.GRU in the homework's layout (zeros without biases)."""
    zeros = torch.zeros(3 * gru.hidden_size, dtype=torch.float64)
    with torch.no_grad():
        params = (gru.weight_ih_l0.T, gru.weight_hh_l0.T,
                  gru.bias_ih_l0 if gru.bias else zeros, gru.bias_hh_l0 if gru.bias else zeros)
        return tuple(p.numpy().copy() for p in params)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_steps_match_nn_gru_and_autograd_through_time(solution, rng, bias):
    """The solution's GRU step, forward and backward, chained over a sequence, equals nn.GRU's
    output and torch autograd's gradients (inputs, initial state, weights and both biases)."""
    n, d, h, t = 3, 4, 5, 6
    torch.manual_seed(3)
    gru = nn.GRU(d, h, bias=bias, batch_first=True, dtype=torch.float64)
    if bias:
        with torch.no_grad():
            gru.bias_hh_l0.uniform_(-2.0, 2.0)  # r multiplies b_hn: this makes it visible
    x = torch.tensor(rng.normal(size=(n, t, d)), requires_grad=True)
    h0 = torch.tensor(rng.normal(size=(1, n, h)), requires_grad=True)
    dout = rng.normal(size=(n, t, h))
    out, _ = gru(x, h0)
    (out * torch.from_numpy(dout)).sum().backward()

    params = _gru_params(gru)
    state, hs, caches = h0[0].detach().numpy(), [], []
    for step in range(t):
        state, cache = solution["gru_step_forward"](x[:, step].detach().numpy(), state, *params)
        hs.append(state)
        caches.append(cache)
    assert np.allclose(np.stack(hs, axis=1), out.detach().numpy())
    dh_next, dx = np.zeros((n, h)), np.zeros((n, t, d))
    totals = [np.zeros_like(p) for p in params]
    for step in reversed(range(t)):
        dx[:, step], dh_next, *grads = solution["gru_step_backward"](
            dout[:, step] + dh_next, caches[step])
        totals = [a + g for a, g in zip(totals, grads, strict=True)]
    assert np.allclose(dx, x.grad.numpy()) and np.allclose(dh_next, h0.grad[0].numpy())
    assert np.allclose(totals[0], gru.weight_ih_l0.grad.T.numpy())
    assert np.allclose(totals[1], gru.weight_hh_l0.grad.T.numpy())
    if bias:
        assert np.allclose(totals[2], gru.bias_ih_l0.grad.numpy())
        assert np.allclose(totals[3], gru.bias_hh_l0.grad.numpy())


def test_gru_step_backward_matches_course_lib(solution, rng):
    from course_lib import gru as reference

    params = [rng.normal(size=s) for s in ((2, 9), (3, 9), (9,), (9,))]
    x, h0, dh = rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, cache = reference.gru_step_forward(x, h0, *params)
    for got, want in zip(solution["gru_step_backward"](dh, cache),
                         reference.gru_step_backward(dh, cache), strict=True):
        assert np.allclose(got, want)


def test_gru_functions_reject_bad_input(solution, rng):
    params = [rng.normal(size=s) for s in ((2, 9), (3, 9), (9,), (9,))]
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="bh must have shape"):
        solution["gru_step_forward"](x, h0, *params[:3], params[3][None])
    with pytest.raises(ValueError, match="Wx must have shape"):
        solution["gru_step_forward"](x, h0, params[0][:, :-1], *params[1:])
    _, cache = solution["gru_step_forward"](x, h0, *params)
    with pytest.raises(ValueError, match="dh must have shape"):
        solution["gru_step_backward"](h0[:1], cache)
