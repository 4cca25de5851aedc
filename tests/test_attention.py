"""course_lib.attention, scoring and masked softmax: numpy backward against numerical gradients,
torch modules against the numpy version and autograd, masking and batching properties."""

import numpy as np
import pytest
import torch

from course_lib.attention import (
    SCORES,
    AdditiveAttention,
    DotAttention,
    GeneralAttention,
    ScaledDotAttention,
    attention_backward_np,
    attention_np,
    lengths_to_mask,
    masked_softmax,
    masked_softmax_backward_np,
    masked_softmax_np,
)
from course_lib.gradcheck import numerical_gradient, rel_error

B, Q, T, D, DQ, A = 3, 2, 5, 4, 3, 6


def make_params(rng, score, dq, dk):
    if score == "general":
        return {"W": rng.standard_normal((dk, dq))}
    if score == "additive":
        return {"W1": rng.standard_normal((A, dk)), "W2": rng.standard_normal((A, dq)),
                "v": rng.standard_normal(A)}
    return {}


def make_module(score, params, dq, dk):
    """A float64 torch module holding the numpy parameters."""
    module = {"dot": DotAttention, "scaled_dot": ScaledDotAttention}.get(score)
    if module is not None:
        return module()
    if score == "general":
        module = GeneralAttention(dq, dk).double()
        with torch.no_grad():
            module.W.weight.copy_(torch.tensor(params["W"]))
        return module
    module = AdditiveAttention(dq, dk, A).double()
    with torch.no_grad():
        module.W1.weight.copy_(torch.tensor(params["W1"]))
        module.W2.weight.copy_(torch.tensor(params["W2"]))
        module.v.weight.copy_(torch.tensor(params["v"][None]))
    return module


def brute_force_attention(score, params, q, keys, mask):
    """One query, one sequence, a Python loop over positions."""
    real = [t for t in range(len(keys)) if mask[t]]
    if not real:
        return np.zeros(keys.shape[1]), np.zeros(len(keys))
    e = {}
    for t in real:
        h = keys[t]
        if score == "dot":
            e[t] = h @ q
        elif score == "scaled_dot":
            e[t] = h @ q / np.sqrt(len(q))
        elif score == "general":
            e[t] = h @ params["W"] @ q
        else:
            e[t] = params["v"] @ np.tanh(params["W1"] @ h + params["W2"] @ q)
    top = max(e.values())
    total = sum(np.exp(v - top) for v in e.values())
    weights = np.array([np.exp(e[t] - top) / total if t in e else 0.0 for t in range(len(keys))])
    return weights @ keys, weights


def sizes(score):
    return (D, D) if score in ("dot", "scaled_dot") else (DQ, D)


MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)  # (B, T)


# ----------------------------------------------------------------------------- masked softmax
def test_masked_softmax_np_zero_weight_and_no_nan(rng):
    scores = rng.standard_normal((B, T)) * 30
    weights = masked_softmax_np(scores, MASK)
    assert np.all(weights[~MASK] == 0.0)
    assert np.allclose(weights[:2].sum(-1), 1.0) and np.all(weights[2] == 0.0)
    assert np.all(np.isfinite(weights))
    np.testing.assert_allclose(weights[1, :2], np.exp(scores[1, :2]) / np.exp(scores[1, :2]).sum())
    huge = np.array([[1000.0, 999.0, -1000.0]])  # no overflow: the max is subtracted
    np.testing.assert_allclose(masked_softmax_np(huge).sum(), 1.0)


def test_masked_softmax_np_backward_numerically(rng):
    scores, dweights = rng.standard_normal((B, T)), rng.standard_normal((B, T))
    weights = masked_softmax_np(scores, MASK)
    dscores = masked_softmax_backward_np(dweights, weights)
    numeric = numerical_gradient(lambda: masked_softmax_np(scores, MASK), scores, dweights)
    assert rel_error(dscores, numeric) < 1e-8
    assert np.all(dscores[~MASK] == 0.0)


def test_masked_softmax_torch_matches_numpy_and_has_finite_gradients(rng):
    scores = torch.tensor(rng.standard_normal((B, Q, T)), requires_grad=True)
    mask = torch.tensor(MASK)[:, None, :]  # (B, 1, T) broadcasts over the queries
    weights = masked_softmax(scores, mask)
    np.testing.assert_allclose(weights.detach().numpy(),
                               masked_softmax_np(scores.detach().numpy(), MASK[:, None]),
                               atol=1e-15)
    assert torch.all(weights[~mask.expand_as(weights)] == 0.0)
    assert torch.all(weights[2] == 0.0)
    upstream = torch.tensor(rng.standard_normal((B, Q, T)))
    (weights * upstream).sum().backward()
    assert torch.all(torch.isfinite(scores.grad)) and torch.all(scores.grad[2] == 0.0)
    expected = masked_softmax_backward_np(upstream.numpy(), weights.detach().numpy())
    np.testing.assert_allclose(scores.grad.numpy(), expected, atol=1e-14)
    other_dim = masked_softmax(scores.detach().transpose(1, 2), mask.transpose(1, 2), dim=1)
    torch.testing.assert_close(other_dim.transpose(1, 2), weights.detach())
    assert torch.equal(masked_softmax(scores.detach(), None), torch.softmax(scores.detach(), -1))


def test_masked_softmax_float32_and_all_masked_float16():
    scores = torch.tensor([[0.0, 3.0, -2.0]], dtype=torch.float16)
    out = masked_softmax(scores, torch.tensor([[False, False, False]]))
    assert torch.equal(out, torch.zeros_like(out))
    out = masked_softmax(scores.float(), torch.tensor([[True, False, True]]))
    assert out[0, 1] == 0.0 and torch.isclose(out.sum(), torch.tensor(1.0))


def test_lengths_to_mask():
    assert lengths_to_mask([2, 0, 3]).tolist() == [[True, True, False], [False, False, False],
                                                   [True, True, True]]
    assert lengths_to_mask(torch.tensor([1]), max_len=2).tolist() == [[True, False]]
    with pytest.raises(ValueError, match="lengths must be a 1-D tensor of ints"):
        lengths_to_mask([1.5])


# ----------------------------------------------------------------------------- numpy attention
@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("batched", [False, True])
def test_attention_np_forward_against_brute_force(rng, score, batched):
    dq, dk = sizes(score)
    params = make_params(rng, score, dq, dk)
    keys = rng.standard_normal((B, T, dk))
    query = rng.standard_normal((B, Q, dq) if batched else (B, dq))
    context, weights, _ = attention_np(query, keys, MASK, score, params)
    q3 = query if batched else query[:, None]
    for b in range(B):
        for i in range(q3.shape[1]):
            want_c, want_w = brute_force_attention(score, params, q3[b, i], keys[b], MASK[b])
            got_c = context[b, i] if batched else context[b]
            got_w = weights[b, i] if batched else weights[b]
            np.testing.assert_allclose(got_c, want_c, atol=1e-12)
            np.testing.assert_allclose(got_w, want_w, atol=1e-12)


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("batched", [False, True])
def test_attention_np_backward_numerically(rng, score, batched):
    dq, dk = sizes(score)
    params = make_params(rng, score, dq, dk)
    keys = rng.standard_normal((B, T, dk))
    query = rng.standard_normal((B, Q, dq) if batched else (B, dq))
    context, weights, cache = attention_np(query, keys, MASK, score, params)
    dcontext, dweights = rng.standard_normal(context.shape), rng.standard_normal(weights.shape)
    dquery, dkeys, dparams = attention_backward_np(dcontext, cache, dweights)

    def loss():
        c, w, _ = attention_np(query, keys, MASK, score, params)
        return np.sum(c * dcontext) + np.sum(w * dweights)

    assert rel_error(dquery, numerical_gradient(loss, query)) < 1e-7
    assert rel_error(dkeys, numerical_gradient(loss, keys)) < 1e-7
    assert set(dparams) == set(params)
    for name, value in params.items():
        assert rel_error(dparams[name], numerical_gradient(loss, value)) < 1e-7, name
    assert np.all(dkeys[2] == 0.0)  # a fully padded row neither sees nor passes a gradient


# ----------------------------------------------------------------------------- torch modules
@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("batched", [False, True])
def test_torch_modules_match_numpy_forward_and_backward(rng, score, batched):
    dq, dk = sizes(score)
    params = make_params(rng, score, dq, dk)
    keys_np = rng.standard_normal((B, T, dk))
    query_np = rng.standard_normal((B, Q, dq) if batched else (B, dq))
    context_np, weights_np, cache = attention_np(query_np, keys_np, MASK, score, params)
    dcontext = rng.standard_normal(context_np.shape)
    dquery_np, dkeys_np, dparams_np = attention_backward_np(dcontext, cache)

    module = make_module(score, params, dq, dk)
    query, keys = torch.tensor(query_np, requires_grad=True), torch.tensor(keys_np,
                                                                           requires_grad=True)
    context, weights = module(query, keys, torch.tensor(MASK))
    assert context.shape == context_np.shape and weights.shape == weights_np.shape
    np.testing.assert_allclose(context.detach().numpy(), context_np, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), weights_np, atol=1e-12)
    (context * torch.tensor(dcontext)).sum().backward()
    np.testing.assert_allclose(query.grad.numpy(), dquery_np, atol=1e-12)
    np.testing.assert_allclose(keys.grad.numpy(), dkeys_np, atol=1e-12)
    grads = {"W": getattr(getattr(module, "W", None), "weight", None)}
    if score == "additive":
        grads = {"W1": module.W1.weight, "W2": module.W2.weight, "v": module.v.weight}
    for name, value in dparams_np.items():
        np.testing.assert_allclose(grads[name].grad.numpy().reshape(value.shape), value,
                                   atol=1e-12)


@pytest.mark.parametrize("score", SCORES)
def test_batched_queries_equal_one_query_at_a_time_and_padding_is_ignored(rng, score):
    dq, dk = sizes(score)
    torch.manual_seed(0)
    module = make_module(score, make_params(rng, score, dq, dk), dq, dk)
    keys = torch.tensor(rng.standard_normal((B, T, dk)))
    query = torch.tensor(rng.standard_normal((B, Q, dq)))
    mask = torch.tensor(MASK)
    context, weights = module(query, keys, mask)
    for i in range(Q):
        c_i, w_i = module(query[:, i], keys, mask)
        torch.testing.assert_close(c_i, context[:, i])
        torch.testing.assert_close(w_i, weights[:, i])
    junk = keys.clone()
    junk[~mask] = 1e3  # whatever sits at padded positions
    torch.testing.assert_close(module(query, junk, mask)[0], context)
    alone, _ = module(query[1:2], keys[1:2, :2])  # row 1 has 2 real positions
    torch.testing.assert_close(alone, context[1:2])
    assert torch.all(context[2] == 0.0)  # no real position: zero context, no NaN


def test_additive_projected_keys_reused_across_steps(rng):
    module = AdditiveAttention(DQ, D, A).double()
    keys = torch.tensor(rng.standard_normal((B, T, D)), requires_grad=True)
    mask = torch.tensor(MASK)
    projected = module.project_keys(keys)
    assert projected.shape == (B, T, A)
    for _ in range(3):  # a decoder: new query each step, the same projected keys
        query = torch.tensor(rng.standard_normal((B, DQ)))
        fresh = module(query, keys, mask)
        reused = module(query, keys, mask, projected_keys=projected)
        for a, b in zip(fresh, reused, strict=True):
            torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match=r"projected_keys must have shape \(B, T, A\)"):
        module(query, keys, mask, projected_keys=projected[:, :, :2])


def test_general_with_identity_is_dot_and_scaled_dot_is_dot_over_sqrt_d(rng):
    keys = torch.tensor(rng.standard_normal((B, T, D)))
    query = torch.tensor(rng.standard_normal((B, D)))
    general = GeneralAttention(D, D).double()
    with torch.no_grad():
        general.W.weight.copy_(torch.eye(D, dtype=torch.float64))
    for a, b in zip(general(query, keys), DotAttention()(query, keys), strict=True):
        torch.testing.assert_close(a, b)
    scaled = ScaledDotAttention()(query, keys)[1]
    torch.testing.assert_close(scaled, DotAttention()(query / np.sqrt(D), keys)[1])


def test_float32_modules_and_device_of_mask(rng):
    module = AdditiveAttention(DQ, D, A)
    keys, query = torch.randn(B, T, D), torch.randn(B, Q, DQ)
    context, weights = module(query, keys, torch.tensor(MASK))
    assert context.dtype == weights.dtype == torch.float32
    assert torch.allclose(weights[:2].sum(-1), torch.ones(2, Q))


@pytest.mark.parametrize("call,error,match", [
    (lambda: masked_softmax(torch.tensor([1, 2]), None), TypeError, "scores must be a floating"),
    (lambda: masked_softmax(torch.zeros(2, 3), torch.ones(2, 3)), TypeError, "mask must be None"),
    (lambda: masked_softmax(torch.zeros(2, 3), torch.ones(2, 4, dtype=torch.bool)), ValueError,
     "mask must broadcast"),
    (lambda: DotAttention()(torch.zeros(B, 3), torch.zeros(B, T, 4)), ValueError,
     "DotAttention needs query and keys of one size"),
    (lambda: DotAttention()(torch.zeros(B + 1, 4), torch.zeros(B, T, 4)), ValueError,
     r"query must have shape \(B, Dq\) or \(B, Q, Dq\) with B = 3"),
    (lambda: DotAttention()(torch.zeros(B, 4), torch.zeros(B, 4)), ValueError,
     r"keys must have shape \(B, T, Dk\)"),
    (lambda: DotAttention()(torch.zeros(B, 4), torch.zeros(B, T, 4, dtype=torch.long)), TypeError,
     "keys must be a floating"),
    (lambda: DotAttention()(torch.zeros(B, 4), torch.zeros(B, T, 4), torch.ones(B, T + 1).bool()),
     ValueError, r"mask must have shape \(B, T\)"),
    (lambda: masked_softmax_np(np.zeros(3), np.ones(3)), TypeError, "mask must be None or a bool"),
    (lambda: masked_softmax_np(np.zeros(3, dtype=int)), TypeError, "scores must have a floating"),
    (lambda: attention_np(np.zeros((B, 3)), np.zeros((B, T, 4))), ValueError,
     "dot attention needs query and keys of one size"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((B, T, 4)), score="cosine"), ValueError,
     "score must be one of"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((B, T, 4)), score="general"), ValueError,
     r"params must hold \['W'\] for general attention"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((B, T, 4)), score="general",
                          params={"W": np.zeros((3, 4))}), ValueError,
     r"params\['W'\] must have shape \(4, 4\)"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((B, T, 4)), score="additive",
                          params={"W1": np.zeros((2, 4)), "W2": np.zeros((3, 4)),
                                  "v": np.zeros(2)}), ValueError, "must share A"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((B, T, 4)), np.ones((B, T - 1), bool)),
     ValueError, "mask must broadcast"),
    (lambda: attention_np(np.zeros((B, 4)), np.zeros((T, 4))), ValueError, "keys must be 3-D"),
])
def test_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
