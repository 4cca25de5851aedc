"""Homework 5 (attention): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references: torch's softmax and ``F.scaled_dot_product_attention``, torch autograd and centred
differences (course_lib.gradcheck) for the backward pass, a loop over every sequence's unpadded
part for the attention pooling, ``nn.MultiheadAttention`` rebuilt from its weights with the
solution's split/merge and attention, and course_lib.attention (the library the homework
forbids); they also run the whole notebook, measurement cell included. The slow tests
(GradingSuite in tests/grading.py) grade fake students with the real `nbgrader autograde`: the
solution, the untouched release, the mutants of tests/mutants/ps05_attention/ in rounds (a wrong
answer, or a correct one that imports a module of FORBIDDEN in solutions/ps05_attention/checks.py,
absent while grading), and one who deleted a test cell.

PyTorch's own attention cannot be made absent the way a module is (it lives inside torch), so no
shortcut mutant calls it; ``test_torch_attention_returns_no_weights`` records why none is needed.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from grading import (
    GradingSuite,
    autograded_points,
    is_set_up_or_answer,
    run_cells,
    source_notebook,
)
from torch import nn

from course_lib import attention
from course_lib.gradcheck import numerical_gradient, rel_error

ASSIGNMENT = "ps05_attention"


class TestPs05Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("masked_softmax", "scaled_dot_attention", "additive_attention_forward",
                 "additive_attention_backward", "attention_pooling", "split_merge_heads")
    POINTS = {"test_masked_softmax": 2, "test_scaled_dot_attention": 3,
              "test_additive_attention_forward": 3, "test_additive_attention_backward": 3,
              "test_attention_pooling": 2, "test_split_merge_heads": 3}
    WRITTEN_ID = "written_scaling"
    WRITTEN_ANSWER = "Var(q.k) = d: unscaled, the softmax saturates and its Jacobian vanishes."
    DELETED = "test_attention_pooling"
    # passes the visible tests; fails the hidden ones whose padding holds huge scores
    FEEDBACK_STUDENT = "masked_softmax__renormalise_after"
    CORE_FORBIDDEN = ("course_lib.attention",)
    VISIBLE_CATCHES = (
        "masked_softmax__unstable",
        "masked_softmax__mask_after_softmax",
        "masked_softmax__first_axis",
        "scaled_dot_attention__no_scaling",
        "scaled_dot_attention__scale_by_d",
        "scaled_dot_attention__softmax_over_queries",
        "additive_attention_forward__mask_ignored",
        "additive_attention_forward__softmax_over_batch",
        "additive_attention_forward__no_tanh",
        "additive_attention_backward__no_tanh_derivative",
        "additive_attention_backward__no_values_path",
        "additive_attention_backward__masked_positions_gradient",
        "attention_pooling__padding_not_masked",
        "attention_pooling__off_by_one_mask",
        "attention_pooling__no_tanh",
        "split_merge_heads__merge_without_transpose",
        "split_merge_heads__split_without_transpose",
        "split_merge_heads__interleaved_heads",
    )


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    return run_cells(source_notebook(ASSIGNMENT), is_set_up_or_answer, __name__="ps05_solution")


def _lengths_mask(lengths, T: int) -> np.ndarray:
    """(N, T) bool, row n True at its first lengths[n] positions."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


# ------------------------------------------------ solution code against independent references
@pytest.mark.parametrize("shape, mask_shape", [((7,), (7,)), ((4, 6), (4, 6)),
                                               ((3, 4, 5), (3, 1, 5)), ((2, 3, 4, 5), (5,))])
def test_masked_softmax_matches_torch(solution, rng, shape, mask_shape):
    scores = 3 * rng.normal(size=shape)
    mask = rng.random(mask_shape) < 0.6
    mask[..., 0] = True  # torch's softmax of an all -inf row is nan: compare rows with a real key
    got = solution["masked_softmax"](scores, mask)
    full = torch.from_numpy(np.broadcast_to(mask, shape).copy())
    want = torch.softmax(torch.from_numpy(scores).masked_fill(~full, float("-inf")), dim=-1)
    assert got.shape == shape and np.allclose(got, want.numpy())
    assert np.all(got[~full.numpy()] == 0)
    assert np.allclose(solution["masked_softmax"](scores), torch.softmax(
        torch.from_numpy(scores), dim=-1).numpy())


def test_masked_softmax_extremes_agree_with_course_lib(solution, rng):
    scores = rng.normal(size=(5, 6))
    mask = rng.random((5, 6)) < 0.5
    mask[1] = False  # a row with nothing to attend to: zeros, as in course_lib
    mask[[0, 2, 3, 4], 0] = True
    for s in (scores, 1000 * scores, -1000 * scores, np.where(mask, scores, 1e4)):
        got = solution["masked_softmax"](s, mask)
        assert np.all(np.isfinite(got))
        assert np.allclose(got, attention.masked_softmax_np(s, mask))
    assert np.array_equal(solution["masked_softmax"](scores, mask)[1], np.zeros(6))


@pytest.mark.parametrize("masking", ["none", "padding", "causal", "padding & causal", "random"])
def test_scaled_dot_attention_matches_torch_sdpa(solution, rng, masking):
    N, Tq, Tk, d, dv = 3, 4, 6, 5, 7
    Q, K, V = rng.normal(size=(N, Tq, d)), rng.normal(size=(N, Tk, d)), rng.normal(size=(N, Tk, dv))
    padding = _lengths_mask([6, 2, 4], Tk)[:, None, :]  # (N, 1, Tk)
    causal = np.tril(np.ones((Tq, Tk), dtype=bool))  # (Tq, Tk)
    random = rng.random((N, Tq, Tk)) < 0.5
    random[..., 0] = True
    mask = {"none": None, "padding": padding, "causal": causal,
            "padding & causal": padding & causal, "random": random}[masking]
    context, weights = solution["scaled_dot_attention"](Q, K, V, mask)
    q, k, v = (torch.from_numpy(a) for a in (Q, K, V))
    torch_mask = None if mask is None else torch.from_numpy(np.asarray(mask))
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=torch_mask)
    assert context.shape == (N, Tq, dv) and np.allclose(context, want.numpy())
    scores = q @ k.transpose(1, 2) / math.sqrt(d)
    if torch_mask is not None:
        scores = scores.masked_fill(~torch_mask, float("-inf"))
    assert np.allclose(weights, torch.softmax(scores, dim=-1).numpy())
    if masking == "causal":  # torch's own causal flag: the same top-left aligned triangle
        assert np.allclose(context, F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_scaled_dot_attention_is_stable_and_zero_where_nothing_is_visible(solution, rng):
    Q, K = 40 * rng.normal(size=(2, 3, 64)), rng.normal(size=(2, 5, 64))
    V = rng.normal(size=(2, 5, 2))
    mask = np.ones((2, 3, 5), dtype=bool)
    mask[1, 2] = False  # query 2 of sequence 1 sees nothing
    context, weights = solution["scaled_dot_attention"](Q, K, V, mask)
    assert np.all(np.isfinite(context)) and np.all(weights[1, 2] == 0)
    assert np.all(context[1, 2] == 0)
    want, _ = attention.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (Q, K, V)),
                                                     torch.from_numpy(mask))
    assert np.allclose(context, want.numpy())


def _additive_problem(rng, N=3, T=5, Dq=4, Dk=2, A=3, lengths=(5, 2, 1)):
    return (rng.normal(size=(N, Dq)), rng.normal(size=(N, T, Dk)), rng.normal(size=(A, Dq)),
            rng.normal(size=(A, Dk)), rng.normal(size=A), _lengths_mask(lengths, T))


def _torch_additive(query, keys, W_q, W_k, v, mask):
    """course_lib's AdditiveAttention module (torch, autograd) holding the same weights, and the
    inputs as leaf tensors; W1 is W_k and W2 is W_q in its notation."""
    module = attention.AdditiveAttention(W_q.shape[1], W_k.shape[1], len(v)).double()
    with torch.no_grad():
        module.W1.weight.copy_(torch.from_numpy(W_k))
        module.W2.weight.copy_(torch.from_numpy(W_q))
        module.v.weight.copy_(torch.from_numpy(v)[None])
    q, k = (torch.tensor(a, requires_grad=True) for a in (query, keys))
    context, weights = module(q, k, torch.from_numpy(mask))
    return module, q, k, context, weights


def test_additive_forward_matches_torch_module(solution, rng):
    args = _additive_problem(rng)
    context, weights, cache = solution["additive_attention_forward"](*args)
    _, _, _, want_context, want_weights = _torch_additive(*args)
    assert np.allclose(context, want_context.detach().numpy())
    assert np.allclose(weights, want_weights.detach().numpy())
    query, keys, W_q, W_k, v, _ = args
    assert all(a is b for a, b in zip(cache[:5], (query, keys, W_q, W_k, v), strict=True))
    assert np.allclose(cache[5], np.tanh(keys @ W_k.T + (query @ W_q.T)[:, None]))
    assert cache[6] is weights


@pytest.mark.parametrize("lengths", [(5, 5, 5), (5, 2, 1)])
def test_additive_backward_matches_autograd_and_numerical_gradients(solution, rng, lengths):
    args = _additive_problem(rng, lengths=lengths)
    query, keys, W_q, W_k, v, mask = args
    dcontext = rng.normal(size=(3, 2))
    _, _, cache = solution["additive_attention_forward"](*args)
    got = solution["additive_attention_backward"](dcontext, cache)
    module, q, k, context, _ = _torch_additive(*args)
    (context * torch.from_numpy(dcontext)).sum().backward()
    want = (q.grad, k.grad, module.W2.weight.grad, module.W1.weight.grad, module.v.weight.grad[0])
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and np.allclose(g, w.numpy())

    def context_only():
        return solution["additive_attention_forward"](*args)[0]

    for g, x in zip(got, (query, keys, W_q, W_k, v), strict=True):
        assert rel_error(g, numerical_gradient(context_only, x, dcontext)) < 1e-6
    assert np.all(got[1][~mask] == 0)  # padded keys: exactly zero gradient


def test_attention_pooling_matches_a_loop_and_course_lib(solution):
    torch.manual_seed(0)
    pool = solution["AttentionPooling"](4, 3).double()
    with torch.no_grad():
        for p in pool.parameters():
            p.normal_(0.0, 1.5)
    states = torch.randn(4, 6, 4, dtype=torch.float64)
    lengths = torch.tensor([6, 1, 4, 2])
    pooled, weights = pool(states, lengths)
    for n, length in enumerate(lengths.tolist()):  # brute force: one sequence at a time
        real = states[n, :length]  # (L, D)
        u = torch.tanh(real @ pool.proj.weight.T + pool.proj.bias)  # (L, A)
        alpha = torch.softmax(u @ pool.query, 0)
        assert torch.allclose(weights[n, :length], alpha) and torch.all(weights[n, length:] == 0)
        assert torch.allclose(pooled[n], alpha @ real)
    library = attention.AttentionPooling(4, 3).double()
    library.load_state_dict(pool.state_dict())  # the same parameter names and shapes
    want, want_weights = library(states, attention.lengths_to_mask(lengths, 6))
    assert torch.allclose(pooled, want) and torch.allclose(weights, want_weights)
    x = states.clone().requires_grad_(True)
    pool(x, lengths)[0].sum().backward()
    assert torch.all(x.grad[1, 1:] == 0) and pool.query.grad is not None


@pytest.mark.parametrize("E, h, lengths", [(8, 2, [5, 5]), (12, 3, [5, 2, 4]), (6, 6, [3])])
def test_split_merge_rebuild_nn_multihead_attention(solution, E, h, lengths):
    """nn.MultiheadAttention's output, rebuilt from its in_proj and out_proj weights with the
    solution's split_heads, merge_heads and (numpy) scaled_dot_attention."""
    split, merge = solution["split_heads"], solution["merge_heads"]
    torch.manual_seed(E + h)
    mha = nn.MultiheadAttention(E, h, batch_first=True, dtype=torch.float64)
    x = torch.randn(len(lengths), max(lengths), E, dtype=torch.float64)
    real = torch.from_numpy(_lengths_mask(lengths, max(lengths)))
    with torch.no_grad():
        want, want_weights = mha(x, x, x, key_padding_mask=~real, average_attn_weights=False)
        q, k, v = (split(t, h).numpy() for t in
                   F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1))
        N, T = len(lengths), max(lengths)
        flat = [a.reshape(N * h, T, E // h) for a in (q, k, v)]  # the heads as a batch
        mask = np.repeat(real.numpy(), h, axis=0)[:, None, :]  # (N h, 1, T)
        heads, weights = solution["scaled_dot_attention"](*flat, mask)
        got = mha.out_proj(merge(torch.from_numpy(heads.reshape(N, h, T, E // h))))
    assert torch.allclose(got, want)
    assert np.allclose(weights.reshape(N, h, T, T), want_weights.numpy())
    assert torch.equal(merge(split(x, h)), x)
    assert torch.equal(split(x, h), attention.split_heads(x, h))


def test_torch_attention_returns_no_weights():
    """Why no shortcut mutant calls PyTorch's attention: it cannot be made absent like a module,
    and it does not answer the exercises: F.scaled_dot_product_attention returns the context
    only (exercise 2 asks for the weights too), and nn.MultiheadAttention exposes no split/merge
    (exercise 6)."""
    q = torch.randn(1, 2, 4)
    assert isinstance(F.scaled_dot_product_attention(q, q, q), torch.Tensor)
    assert not any(hasattr(nn.MultiheadAttention, name) for name in ("split_heads", "merge_heads"))


def test_bad_inputs_raise_errors_that_name_the_argument(solution):
    s = solution
    with pytest.raises(ValueError, match="^mask must broadcast"):
        s["masked_softmax"](np.zeros((2, 4)), np.ones((2, 3), dtype=bool))
    Q, K, V = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    for name, args in (("Q", (Q[0], K, V)), ("K", (Q, K[:1], V)), ("V", (Q, K, V[:, :4])),
                       ("mask", (Q, K, V, np.ones((2, 3, 4), dtype=bool)))):
        with pytest.raises(ValueError, match=f"^{name} must"):
            s["scaled_dot_attention"](*args)
    query, keys, W_q, W_k, v = np.zeros((2, 3)), np.zeros((2, 4, 5)), np.zeros((6, 3)), \
        np.zeros((6, 5)), np.zeros(6)
    for name, args in (("query", (query[:1], keys, W_q, W_k, v)),
                       ("W_k", (query, keys, W_q, W_k[:, :2], v)),
                       ("v", (query, keys, W_q, W_k, v[:, None])),
                       ("mask", (query, keys, W_q, W_k, v, np.ones((2, 3), dtype=bool)))):
        with pytest.raises(ValueError, match=f"^{name} must"):
            s["additive_attention_forward"](*args)
    _, _, cache = s["additive_attention_forward"](query, keys, W_q, W_k, v)
    with pytest.raises(ValueError, match="^dcontext must"):
        s["additive_attention_backward"](np.zeros((1, 5)), cache)
    pool = s["AttentionPooling"](5, 2)
    with pytest.raises(ValueError, match="^lengths must"):
        pool(torch.zeros(2, 4, 5), torch.tensor([4]))
    with pytest.raises(ValueError, match=re.escape("every length must lie in [1, T = 4]")):
        pool(torch.zeros(2, 4, 5), torch.tensor([4, 5]))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        s["split_heads"](torch.zeros(2, 3, 8), 3)
    with pytest.raises(ValueError, match="^x must be 4-D"):
        s["merge_heads"](torch.zeros(2, 3, 8))


def test_whole_notebook_runs_and_measures_the_scaling(capsys):
    nb = source_notebook(ASSIGNMENT)
    run_cells(nb, __name__="ps05_notebook")
    out = capsys.readouterr().out
    assert out.count("all visible tests passed") == len(autograded_points(nb))
    rows = {int(m[0]): [float(x) for x in m[1:]] for m in
            re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$",
                       out, re.M)}
    assert sorted(rows) == [4, 64, 1024]
    for d, (var_raw, var_scaled, h_raw, h_scaled, h_by_d) in rows.items():
        assert var_raw == pytest.approx(d, rel=0.15) and var_scaled == pytest.approx(1, rel=0.15)
        assert h_raw < h_scaled < h_by_d <= math.log(10)
    assert rows[1024][2] < 0.2 < 1.5 < rows[1024][3]  # unscaled saturates; scaled stays soft
