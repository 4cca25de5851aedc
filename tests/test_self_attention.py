"""course_lib.attention, self-attention and pooling: parity with
torch.nn.functional.scaled_dot_product_attention and torch.nn.MultiheadAttention (copied weights),
padding and causal masks, split/merge of heads, attention pooling."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.attention import (
    AdditiveAttention,
    AttentionPooling,
    MultiHeadAttention,
    causal_mask,
    lengths_to_mask,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
LENGTHS = torch.tensor([6, 3, 1])  # B = 3, T = 6: full, padded, a single real position


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_sdpa_matches_torch(dtype, causal, padded):
    torch.manual_seed(0)
    B, h, T, d, dv = 3, 2, 6, 8, 5
    q, k, v = (torch.randn(B, h, T, n, dtype=dtype) for n in (d, d, dv))
    mask = lengths_to_mask(LENGTHS, T)[:, None, None, :] if padded else None  # (B, 1, 1, T)
    ours, weights = scaled_dot_product_attention(q, k, v, mask, causal)
    if mask is None:  # PyTorch's own causal flag
        reference = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    else:  # PyTorch refuses attn_mask together with is_causal: combine the two by hand
        both = mask & causal_mask(T) if causal else mask
        reference = F.scaled_dot_product_attention(q, k, v, attn_mask=both)
    assert (ours - reference).abs().max() < TOL[dtype]
    brute = torch.softmax((q @ k.transpose(-1, -2) / math.sqrt(d)).masked_fill(
        ~(torch.ones(T, T, dtype=torch.bool) if mask is None else mask.expand(B, h, T, T))
        | (~causal_mask(T) if causal else torch.zeros(T, T, dtype=torch.bool)), -math.inf), -1)
    assert (weights - brute).abs().max() < TOL[dtype]


def test_sdpa_cross_attention_lengths_and_gradients():
    torch.manual_seed(1)
    q = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)  # Tq = 3
    k = torch.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)  # Tk = 5
    v = torch.randn(2, 5, 7, dtype=torch.float64, requires_grad=True)
    for causal in (False, True):
        out, weights = scaled_dot_product_attention(q, k, v, causal=causal)
        ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        assert out.shape == (2, 3, 7) and weights.shape == (2, 3, 5)
        grads = torch.autograd.grad(out.sum(), (q, k, v))
        ref_grads = torch.autograd.grad(ref.sum(), (q, k, v))
        for a, b in zip(grads, ref_grads, strict=True):
            assert (a - b).abs().max() < 1e-10
    assert causal_mask(2, 3).tolist() == [[True, False, False], [True, True, False]]


def test_fully_masked_query_gives_zeros_not_nan():
    q = k = v = torch.randn(1, 3, 4)
    out, weights = scaled_dot_product_attention(q, k, v, torch.zeros(1, 1, 3, dtype=torch.bool))
    assert torch.all(out == 0) and torch.all(weights == 0)
    with pytest.raises(ValueError, match="do not fit"):
        scaled_dot_product_attention(q, k[..., :3], v)


def test_split_and_merge_heads():
    x = torch.arange(2 * 3 * 6.0).view(2, 3, 6)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 3, 2)
    assert torch.equal(heads[1, 2, 0], x[1, 0, 4:6])  # head k holds features k*dh .. (k+1)*dh-1
    assert torch.equal(merge_heads(heads), x)
    with pytest.raises(ValueError, match="divisible by num_heads = 4"):
        split_heads(x, 4)


def copied_pair(E, h, dtype, bias=True):
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(E, h, batch_first=True, bias=bias, dtype=dtype)
    ours = MultiHeadAttention(E, h, bias=bias).to(dtype)
    ours.load_state_dict(reference.state_dict())
    with torch.no_grad():  # non-zero biases so that a wrong bias path cannot hide
        for p in reference.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(reference.state_dict())
    return ours, reference


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_self_attention_matches_nn_multihead_attention(dtype, causal, bias):
    B, T, E, h = 3, 6, 8, 2
    ours, reference = copied_pair(E, h, dtype, bias)
    x = torch.randn(B, T, E, dtype=dtype)
    real = lengths_to_mask(LENGTHS, T)
    out, weights = ours(x, key_padding_mask=real, causal=causal)
    ref_out, ref_weights = reference(
        x, x, x, key_padding_mask=~real, need_weights=True, average_attn_weights=False,
        attn_mask=~causal_mask(T) if causal else None)
    assert out.shape == (B, T, E) and weights.shape == (B, h, T, T)
    assert (out - ref_out).abs().max() < TOL[dtype]
    assert (weights - ref_weights).abs().max() < TOL[dtype]
    loss, ref_loss = (out**2).sum(), (ref_out**2).sum()
    for (name, p), q in zip(ours.named_parameters(), reference.parameters(), strict=True):
        g, = torch.autograd.grad(loss, p, retain_graph=True)
        g_ref, = torch.autograd.grad(ref_loss, q, retain_graph=True)
        assert (g - g_ref).abs().max() < TOL[dtype] * max(1.0, g_ref.abs().max()), name


def test_multi_head_cross_attention_matches_torch():
    ours, reference = copied_pair(8, 4, torch.float64)
    query, memory = torch.randn(2, 3, 8, dtype=torch.float64), torch.randn(2, 5, 8,
                                                                         dtype=torch.float64)
    real = lengths_to_mask(torch.tensor([5, 2]), 5)
    out, weights = ours(query, memory, memory, key_padding_mask=real)
    ref_out, ref_weights = reference(query, memory, memory, key_padding_mask=~real)
    assert (out - ref_out).abs().max() < 1e-10
    assert (weights.mean(1) - ref_weights).abs().max() < 1e-10  # torch averages the heads


def test_padding_does_not_change_real_positions_and_causal_ignores_the_future():
    torch.manual_seed(2)
    mha = MultiHeadAttention(8, 2).double()
    x = torch.randn(1, 4, 8, dtype=torch.float64)
    padded = torch.cat([x, 100 * torch.randn(1, 3, 8, dtype=torch.float64)], 1)
    alone, _ = mha(x)
    out, weights = mha(padded, key_padding_mask=lengths_to_mask(torch.tensor([4]), 7))
    assert (out[:, :4] - alone).abs().max() < 1e-12
    assert torch.all(weights[..., 4:] == 0)
    changed = x.clone()
    changed[:, 3] += 5.0  # the last position changes: no earlier output may move
    a, _ = mha(x, causal=True)
    b, _ = mha(changed, causal=True)
    assert (a[:, :3] - b[:, :3]).abs().max() < 1e-12 and (a[:, 3] - b[:, 3]).abs().max() > 1e-3


def test_multi_head_errors():
    with pytest.raises(ValueError, match="embed_dim = 6 must be divisible by num_heads = 4"):
        MultiHeadAttention(6, 4)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"query must have shape \(B, Tq, E = 8\)"):
        mha(torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match="key and value must have shape"):
        mha(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 5, 8))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(B, Tk\)"):
        mha(torch.randn(2, 3, 8), key_padding_mask=torch.ones(2, 4, dtype=torch.bool))


# ----------------------------------------------------------------------------- pooling
def test_attention_pooling_formula_padding_and_additive_equivalence():
    torch.manual_seed(3)
    H, A = 5, 4
    pool = AttentionPooling(H, A).double()
    states = torch.randn(3, 6, H, dtype=torch.float64)
    mask = lengths_to_mask(LENGTHS, 6)
    pooled, weights = pool(states, mask)
    for b, n in enumerate(LENGTHS.tolist()):  # brute force, one sequence at a time
        u = torch.tanh(states[b, :n] @ pool.proj.weight.T + pool.proj.bias)
        alpha = torch.softmax(u @ pool.query, 0)
        torch.testing.assert_close(weights[b, :n], alpha)
        torch.testing.assert_close(pooled[b], alpha @ states[b, :n])
        alone, _ = pool(states[b:b + 1, :n])
        torch.testing.assert_close(alone[0], pooled[b])
    assert torch.all(weights[~mask] == 0) and weights[2, 0] == 1.0
    # the u_w form is additive attention with a constant query: W2 q = b, v = u_w
    additive = AdditiveAttention(1, H, A).double()
    with torch.no_grad():
        additive.W1.weight.copy_(pool.proj.weight)
        additive.W2.weight.copy_(pool.proj.bias[:, None])
        additive.v.weight.copy_(pool.query[None])
    context, alpha = additive(torch.ones(3, 1, dtype=torch.float64), states, mask)
    torch.testing.assert_close(alpha, weights)
    torch.testing.assert_close(context, pooled)
    with pytest.raises(ValueError, match="states must have H = 5 features"):
        pool(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"states must be a \(B, T, H\) tensor"):
        pool(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\)"):
        pool(states, mask[:, :3])
