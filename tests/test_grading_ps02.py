"""Homework 2 (RNNs and BPTT): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references (torch.nn.RNN and autograd, torch's clip_grad_norm_ and cross_entropy, course_lib),
run the whole notebook, ungraded demo included, and check that the visible tests catch the
mistakes they are written for. The slow tests (GradingSuite in tests/grading.py) grade fake
students with the real `nbgrader autograde`: the solution, the untouched release, one student per
mutant of tests/mutants/ps02_rnn_bptt/ (a wrong answer, or a correct one that imports a module of
FORBIDDEN in solutions/ps02_rnn_bptt/checks.py, absent while grading), and one who deleted a test
cell.

Exercise 3 (rnn_backward) calls exercise 2 (rnn_step_backward); its visible test and its hidden
cases swap in a stand-in or a correct rnn_step_backward, so that a wrong exercise 2 costs only
exercise 2's points: the mutants of exercise 2 check exactly that.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from grading import (
    GradingSuite,
    autograded_points,
    nbgrader_meta,
    run_cells,
    source_notebook,
)
from torch_refs import torch_reference

from course_lib import clipping, rnn
from course_lib.weights import numpy_gradients

ASSIGNMENT = "ps02_rnn_bptt"


class TestPs02Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("rnn_step_forward", "rnn_step_backward", "rnn_backward", "clip_grad_norm",
                 "temporal_softmax_loss", "truncated_bptt")
    POINTS = {"test_rnn_step_forward": 2, "test_rnn_step_backward": 3, "test_rnn_backward": 3,
              "test_clip_grad_norm": 2, "test_temporal_softmax_loss": 3, "test_truncated_bptt": 3}
    WRITTEN_ID = "written_vanishing"
    WRITTEN_ANSWER = (
        "The Jacobian product is bounded by sigma_max^k; clipping caps exploding steps."
    )
    DELETED = "test_clip_grad_norm"
    FEEDBACK_STUDENT = "rnn_step_forward__broadcast_h_prev"  # passes the visible tests only
    CORE_FORBIDDEN = ("course_lib.rnn", "course_lib.clipping", "course_lib.torch_rnn")
    VISIBLE_CATCHES = (
        "temporal_softmax_loss__no_max_shift",
        "rnn_step_forward__transposed_wh",
        "clip_grad_norm__in_place",
        "truncated_bptt__state_reset",
        "truncated_bptt__no_truncation",
        "truncated_bptt__last_chunk_only",
    )


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell, the read-only rnn_forward and every answer cell."""
    return run_cells(
        source_notebook(ASSIGNMENT),
        lambda cell: nbgrader_meta(cell).get("solution")
        or nbgrader_meta(cell).get("locked") and not nbgrader_meta(cell).get("grade"),
        __name__="ps02_solution",
    )


# ------------------------------------------------ solution code against independent references
def _torch_rnn(Wx, Wh, b):
    """torch.nn.RNN (float64, batch first) with the weights of our row-convention RNN."""
    return torch_reference(torch.nn.RNN, Wx, Wh, b)


def _rnn_problem(rng, N=3, T=5, D=4, H=6, scale=0.8):
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), scale * rng.normal(size=(D, H)),
            scale * rng.normal(size=(H, H)), rng.normal(size=H))


def test_forward_and_bptt_match_torch_rnn_and_autograd(solution, rng):
    x, h0, Wx, Wh, b = _rnn_problem(rng)
    h, caches = solution["rnn_forward"](x, h0, Wx, Wh, b)  # built on rnn_step_forward
    layer = _torch_rnn(Wx, Wh, b)
    tx = torch.from_numpy(x).requires_grad_()
    th0 = torch.from_numpy(h0)[None].requires_grad_()
    out, _ = layer(tx, th0)
    assert np.allclose(h, out.detach().numpy(), atol=1e-12)
    dh = rng.normal(size=h.shape)
    (out * torch.from_numpy(dh)).sum().backward()
    dx, dh0, dWx, dWh, db = solution["rnn_backward"](dh, caches)  # built on rnn_step_backward
    assert np.allclose(dx, tx.grad.numpy())
    assert np.allclose(dh0, th0.grad[0].numpy())
    dWx_torch, dWh_torch, db_torch, _ = numpy_gradients(layer)
    assert np.allclose(dWx, dWx_torch)
    assert np.allclose(dWh, dWh_torch)
    assert np.allclose(db, db_torch)


def test_step_backward_matches_autograd(solution, rng):
    x, h_prev = rng.normal(size=(4, 3)), rng.normal(size=(4, 5))
    Wx, Wh, b = 2 * rng.normal(size=(3, 5)), rng.normal(size=(5, 5)), rng.normal(size=5)
    h, cache = solution["rnn_step_forward"](x, h_prev, Wx, Wh, b)
    assert cache[0] is x and cache[1] is h_prev and cache[4] is h
    tensors = [torch.from_numpy(a).requires_grad_() for a in (x, h_prev, Wx, Wh, b)]
    th = torch.tanh(tensors[0] @ tensors[2] + tensors[1] @ tensors[3] + tensors[4])
    assert np.allclose(h, th.detach().numpy())
    dh = rng.normal(size=h.shape)
    (th * torch.from_numpy(dh)).sum().backward()
    for got, tensor in zip(solution["rnn_step_backward"](dh, cache), tensors, strict=True):
        assert np.allclose(got, tensor.grad.numpy())


def test_solution_agrees_with_course_lib(solution, rng):
    x, h0, Wx, Wh, b = _rnn_problem(rng, T=7)
    h, caches = solution["rnn_forward"](x, h0, Wx, Wh, b)
    h_ref, caches_ref = rnn.rnn_forward(x, h0, Wx, Wh, b)
    assert np.allclose(h, h_ref)
    dh = rng.normal(size=h.shape)
    for got, want in zip(solution["rnn_backward"](dh, caches), rnn.rnn_backward(dh, caches_ref),
                         strict=True):
        assert np.allclose(got, want)
    grads = {"Wx": Wx, "Wh": Wh, "b": b}
    clipped, total = solution["clip_grad_norm"](grads, 0.5)
    clipped_ref, total_ref = clipping.clip_grad_norm(grads, 0.5)
    assert math.isclose(total, total_ref)
    assert all(np.allclose(clipped[k], clipped_ref[k]) for k in grads)


@pytest.mark.parametrize("max_norm", [0.1, 2.0, 1e4])
def test_clip_grad_norm_matches_torch(solution, rng, max_norm):
    grads = {"a": rng.normal(size=(3, 4)), "b": 5 * rng.normal(size=7), "c": np.array(0.3)}
    copies = {k: g.copy() for k, g in grads.items()}
    clipped, total = solution["clip_grad_norm"](grads, max_norm)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
              for g in copies.values()]
    for p, g in zip(params, copies.values(), strict=True):
        p.grad = torch.from_numpy(g.copy())
    want_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert math.isclose(total, float(want_total), rel_tol=1e-12)
    for p, (name, g) in zip(params, copies.items(), strict=True):
        assert np.allclose(clipped[name], p.grad.numpy(), rtol=1e-5)  # torch adds 1e-6 to norm
        assert np.array_equal(grads[name], g)  # the input is not changed
    assert math.isclose(math.sqrt(sum(np.sum(g**2) for g in clipped.values())),
                        min(total, max_norm), rel_tol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 500.0])
def test_temporal_softmax_loss_matches_torch_cross_entropy(solution, rng, scale):
    N, T, V = 4, 6, 9
    scores = scale * rng.normal(size=(N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = np.arange(T)[None] < rng.integers(1, T + 1, size=(N, 1))  # (N, T) padded lengths
    loss, dscores = solution["temporal_softmax_loss"](scores, y, mask)
    ts = torch.from_numpy(scores).requires_grad_()
    targets = torch.from_numpy(np.where(mask, y, -100))  # -100: torch's ignore_index
    want = torch.nn.functional.cross_entropy(ts.reshape(N * T, V), targets.reshape(-1))
    want.backward()
    assert np.isfinite(loss) and math.isclose(loss, want.item(), rel_tol=1e-10)
    assert np.allclose(dscores, ts.grad.numpy())
    ref_loss, ref_dscores = rnn.temporal_softmax_loss(scores, y, mask)
    assert math.isclose(loss, ref_loss) and np.allclose(dscores, ref_dscores)


def test_bad_inputs_raise_errors_that_name_the_argument(solution):
    s = solution
    x, h, W, b = np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 4)), np.ones(4)
    Wh = np.ones((4, 4))
    with pytest.raises(ValueError, match="x must be"):
        s["rnn_step_forward"](np.ones((2, 2)), h, W, Wh, b)
    for name, args in (("h_prev", (x, h[:1], W, Wh, b)), ("Wh", (x, h, W, Wh[:3], b)),
                       ("b", (x, h, W, Wh, b[:3]))):
        with pytest.raises(ValueError, match=f"^{name} must have shape"):
            s["rnn_step_forward"](*args)
    _, cache = s["rnn_step_forward"](x, h, W, Wh, b)
    with pytest.raises(ValueError, match="dh must have the shape of h"):
        s["rnn_step_backward"](np.ones((2, 3)), cache)
    with pytest.raises(ValueError, match="dh must be"):
        s["rnn_backward"](np.ones((2, 2, 4)), [cache])
    with pytest.raises(ValueError, match="cache must hold"):
        s["rnn_backward"](np.ones((2, 0, 4)), [])
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        s["clip_grad_norm"]({"b": b}, 0)
    with pytest.raises(ValueError, match="grads must hold"):
        s["clip_grad_norm"]({}, 1.0)
    scores, y, mask = np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int), np.ones((2, 3), bool)
    with pytest.raises(ValueError, match="scores must be"):
        s["temporal_softmax_loss"](scores[0], y, mask)
    with pytest.raises(ValueError, match="^y must have shape"):
        s["temporal_softmax_loss"](scores, y[:1], mask)
    with pytest.raises(ValueError, match="^mask must have shape"):
        s["temporal_softmax_loss"](scores, y, mask[:, :2])
    with pytest.raises(ValueError, match="mask must have at least one True"):
        s["temporal_softmax_loss"](scores, y, ~mask)


def test_whole_notebook_runs_and_the_demo_shows_vanishing_and_exploding(capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = source_notebook(ASSIGNMENT)
    namespace = run_cells(nb, __name__="ps02_notebook")
    out = capsys.readouterr().out
    assert out.count("all visible tests passed") == len(autograded_points(nb))
    norms, _ = namespace["gradient_reaching"](0.5, 1e-6)
    assert norms[10] == pytest.approx(0.5**10, rel=0.05)  # linear regime: sigma^k exactly
    norms, _ = namespace["gradient_reaching"](1.5, 1e-6)
    assert norms[25] > 1e3  # explodes
    norms, _ = namespace["gradient_reaching"](1.5, 0.5)
    assert norms[25] < 1.0  # saturated tanh units stop the explosion
    assert "clipped to 1" in out


@pytest.mark.parametrize("k", [1, 2, 3, 7, 9])
def test_truncated_bptt_matches_autograd_with_detached_chunk_starts(solution, rng, k):
    """Truncated BPTT = autograd on the unrolled RNN whose state is detached every k steps."""
    x, h0, Wx, Wh, b = _rnn_problem(rng, N=2, T=7, D=3, H=4)
    dh = rng.normal(size=(2, 7, 4))
    h, dWx, dWh, db = solution["truncated_bptt"](x, h0, Wx, Wh, b, dh, k)
    weights = [torch.tensor(w, requires_grad=True) for w in (Wx, Wh, b)]
    state, states = torch.from_numpy(h0), []
    for t in range(x.shape[1]):
        if t % k == 0:
            state = state.detach()  # a chunk starts from a constant
        state = torch.tanh(torch.from_numpy(x[:, t]) @ weights[0] + state @ weights[1]
                           + weights[2])
        states.append(state)
    states = torch.stack(states, dim=1)  # (N, T, H)
    (states * torch.from_numpy(dh)).sum().backward()
    assert np.allclose(h, states.detach().numpy(), atol=1e-12)
    for got, weight in zip((dWx, dWh, db), weights, strict=True):
        assert np.allclose(got, weight.grad.numpy(), atol=1e-12)
    if k >= x.shape[1]:  # full BPTT
        _, _, *full = rnn.rnn_backward(dh, rnn.rnn_forward(x, h0, Wx, Wh, b)[1])
        for got, want in zip((dWx, dWh, db), full, strict=True):
            assert np.allclose(got, want)
