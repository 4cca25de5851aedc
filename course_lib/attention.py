"""Attention: a weighted average of a sequence's states, the weights a softmax of similarities.

A query q asks "which of the states h_1 .. h_T matter to me?". Each state gets a score
phi(h_t, q), the scores become weights by a softmax over the real (unpadded) positions, and the
answer is the weighted average of the states (here the values are the keys themselves):

    e_t     = phi(h_t, q)                                   scores,           (B, Q, T)
    alpha_t = exp(e_t) / sum_{s real} exp(e_s)              weights,          (B, Q, T)
    c       = sum_t alpha_t h_t                             context,          (B, Q, Dk)

The four scoring functions (keys h: (B, T, Dk), queries q: (B, Q, Dq)):

    dot          phi = h^T q                      needs Dk = Dq                (Luong 2015)
    scaled dot   phi = h^T q / sqrt(D)            D = Dk = Dq                  (Vaswani 2017)
    general      phi = h^T W q                    W: (Dk, Dq)                  (Luong 2015)
    additive     phi = v^T tanh(W1 h + W2 q)      W1: (A, Dk), W2: (A, Dq), v: (A,)  (Bahdanau 2015)

Conventions. Deck 004 writes the scale as sqrt(N) with N the vector size: that is the same
sqrt(D) as here. Its additive score q^T tanh(W h_i) with a trainable q is the attention pooling of
Yang et al. (2016), u_t = tanh(W h_t + b), alpha = softmax(u_t^T u_w), with q = u_w; it is also
the additive score with a query that never changes (W2 q then acts as the bias b and v = u_w).

Masking. A bool mask marks the real positions (True = real). Padded positions get exactly zero
weight; a row whose positions are all padding gets all-zero weights (no NaN), so its context is 0.

Contents:
- numpy, forward and backward by hand (checked with course_lib.gradcheck in the tests):
  ``masked_softmax_np``/``masked_softmax_backward_np``, ``scores_np``/``scores_backward_np`` for
  the four scoring functions, ``attention_np``/``attention_backward_np`` for the whole step.
- torch (autograd does the backward): ``masked_softmax``, the modules ``DotAttention``,
  ``ScaledDotAttention``, ``GeneralAttention``, ``AdditiveAttention``; ``AttentionPooling`` (a
  trainable query, for classifiers) and ``HierarchicalAttentionClassifier`` (words -> sentences ->
  document); self-attention from scratch: ``scaled_dot_product_attention``, ``causal_mask``,
  ``split_heads``/``merge_heads`` and ``MultiHeadAttention`` (weights laid out as
  ``torch.nn.MultiheadAttention``'s, so its state_dict loads directly).

References:
- D. Bahdanau, K. Cho, Y. Bengio, "Neural machine translation by jointly learning to align and
  translate", ICLR 2015 (additive attention).
- M.-T. Luong, H. Pham, C. Manning, "Effective approaches to attention-based neural machine
  translation", EMNLP 2015 (dot and general scores).
- Z. Yang et al., "Hierarchical attention networks for document classification", NAACL 2016.
- Z. Lin et al., "A structured self-attentive sentence embedding", ICLR 2017 (LSTM + self-attn).
- A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (scaled dot product, multi-head).
- A. Rush, "The Annotated Transformer" (2018); the torch.nn.functional.scaled_dot_product_attention
  and torch.nn.MultiheadAttention documentation.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from course_lib.checks import check_float_array

SCORES = ("dot", "scaled_dot", "general", "additive")

# --------------------------------------------------------------------------------------------
# numpy: forward and backward by hand
# --------------------------------------------------------------------------------------------


def _check_np_mask(mask, shape: tuple) -> np.ndarray | None:
    """mask None or a bool array broadcastable to the scores' shape (..., T)."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        raise TypeError(f"mask must be None or a bool numpy array (True = real position), got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        raise ValueError(f"mask must broadcast to the scores' shape {shape}, "
                         f"got {mask.shape}") from None
    return mask


def masked_softmax_np(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, ignoring masked positions.

        alpha_t = m_t exp(e_t - max_s e_s) / sum_s m_s exp(e_s - max_s e_s),  max over real s

    Inputs:
    - scores: (..., T) float array.
    - mask: None, or a bool array broadcastable to scores, True = real position.

    Returns:
    - weights: (..., T), each row sums to 1 over its real positions, exactly 0 at masked ones;
      a row with no real position is all zeros.
    """
    check_float_array("scores", scores)
    mask = _check_np_mask(mask, scores.shape)
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(mask, scores.shape)
    filled = np.where(mask, scores, -np.inf)
    top = np.max(filled, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)  # all-masked rows: any finite shift will do
    exp = np.where(mask, np.exp(np.where(mask, scores - top, 0.0)), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)


def masked_softmax_backward_np(dweights: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Gradient of the masked softmax: de_t = alpha_t (dalpha_t - sum_s alpha_s dalpha_s).

    Masked positions have alpha_t = 0, so they get zero gradient without seeing the mask.

    Inputs:
    - dweights: (..., T) upstream gradient.
    - weights: (..., T) the forward output.

    Returns:
    - dscores: (..., T).
    """
    return weights * (dweights - np.sum(weights * dweights, axis=-1, keepdims=True))


def _as_batched_np(query: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, bool]:
    check_float_array("keys", keys, ndim=3)
    check_float_array("query", query)
    if query.ndim not in (2, 3) or query.shape[0] != keys.shape[0]:
        raise ValueError(f"query must have shape (B, Dq) or (B, Q, Dq) with B = {keys.shape[0]}, "
                         f"got {query.shape}")
    single = query.ndim == 2
    return (query[:, None, :] if single else query), single


def _check_np_params(score: str, params: dict, Dq: int, Dk: int) -> None:
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    if score in ("dot", "scaled_dot") and Dq != Dk:
        raise ValueError(f"{score} attention needs query and keys of one size, got Dq = {Dq} and "
                         f"Dk = {Dk}")
    needed = {"general": {"W": (Dk, Dq)},
              "additive": {"W1": (None, Dk), "W2": (None, Dq), "v": (None,)}}.get(score, {})
    for name, shape in needed.items():
        if name not in params:
            raise ValueError(f"params must hold {sorted(needed)} for {score} attention, "
                             f"missing {name!r}")
        check_float_array(f"params[{name!r}]", params[name], ndim=len(shape))
        got = params[name].shape
        if any(s is not None and s != n for s, n in zip(shape, got, strict=True)):
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {got}")
    if score == "additive" and not (params["W1"].shape[0] == params["W2"].shape[0]
                                    == params["v"].shape[0]):
        raise ValueError("params W1 (A, Dk), W2 (A, Dq) and v (A,) must share A, got "
                         f"{params['W1'].shape}, {params['W2'].shape}, {params['v'].shape}")


def scores_np(score: str, query: np.ndarray, keys: np.ndarray, params: dict | None = None):
    """Scores e[b, i, t] = phi(keys[b, t], query[b, i]) for one of the four scoring functions.

    Inputs:
    - score: "dot", "scaled_dot", "general" or "additive".
    - query: (B, Q, Dq).
    - keys: (B, T, Dk).
    - params: {} for dot/scaled_dot; {"W": (Dk, Dq)} for general; {"W1": (A, Dk), "W2": (A, Dq),
      "v": (A,)} for additive.

    Returns:
    - scores: (B, Q, T).
    - cache: what scores_backward_np needs.
    """
    params = params or {}
    if score in ("dot", "scaled_dot"):
        scale = 1.0 / math.sqrt(query.shape[-1]) if score == "scaled_dot" else 1.0
        return scale * query @ keys.transpose(0, 2, 1), (score, query, keys, params, scale)
    if score == "general":
        projected = query @ params["W"].T  # (B, Q, Dk): W q
        return projected @ keys.transpose(0, 2, 1), (score, query, keys, params, projected)
    hidden = np.tanh((keys @ params["W1"].T)[:, None, :, :]       # (B, 1, T, A)
                     + (query @ params["W2"].T)[:, :, None, :])   # (B, Q, 1, A)
    return hidden @ params["v"], (score, query, keys, params, hidden)


def scores_backward_np(dscores: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray, dict]:
    """Backward of scores_np.

    Inputs:
    - dscores: (B, Q, T) upstream gradient.
    - cache: from scores_np.

    Returns:
    - dquery (B, Q, Dq), dkeys (B, T, Dk), dparams (same keys and shapes as params).
    """
    score, query, keys, params, saved = cache
    if score in ("dot", "scaled_dot"):
        return saved * dscores @ keys, saved * dscores.transpose(0, 2, 1) @ query, {}
    if score == "general":
        dprojected = dscores @ keys  # (B, Q, Dk)
        dkeys = dscores.transpose(0, 2, 1) @ saved
        dW = np.einsum("bqk,bqd->kd", dprojected, query)
        return dprojected @ params["W"], dkeys, {"W": dW}
    hidden = saved  # (B, Q, T, A)
    dv = np.einsum("bqt,bqta->a", dscores, hidden)
    dpre = dscores[..., None] * params["v"] * (1.0 - hidden**2)  # (B, Q, T, A)
    dkey_proj, dquery_proj = dpre.sum(axis=1), dpre.sum(axis=2)  # (B, T, A), (B, Q, A)
    dW1 = np.einsum("bta,btk->ak", dkey_proj, keys)
    dW2 = np.einsum("bqa,bqd->ad", dquery_proj, query)
    return dquery_proj @ params["W2"], dkey_proj @ params["W1"], {"W1": dW1, "W2": dW2, "v": dv}


def attention_np(query: np.ndarray, keys: np.ndarray, mask: np.ndarray | None = None,
                 score: str = "dot", params: dict | None = None):
    """One attention step in numpy: scores -> masked softmax -> weighted average of the keys.

    Inputs:
    - query: (B, Dq) one query per sequence, or (B, Q, Dq) Q queries per sequence.
    - keys: (B, T, Dk) the states to attend over; they are also the values.
    - mask: None or (B, T) bool, True = real position.
    - score, params: see scores_np.

    Returns:
    - context: (B, Dk) or (B, Q, Dk).
    - weights: (B, T) or (B, Q, T).
    - cache: for attention_backward_np.
    """
    q, single = _as_batched_np(query, keys)
    _check_np_params(score, params or {}, q.shape[-1], keys.shape[-1])
    if mask is not None:
        _check_np_mask(mask, keys.shape[:2])
        if mask.shape != keys.shape[:2]:
            raise ValueError(f"mask must have shape (B, T) = {keys.shape[:2]}, got {mask.shape}")
        mask = mask[:, None, :]  # (B, 1, T)
    e, score_cache = scores_np(score, q, keys, params)  # (B, Q, T)
    weights = masked_softmax_np(e, mask)  # (B, Q, T)
    context = weights @ keys  # (B, Q, Dk)
    cache = (score_cache, weights, keys, single)
    if single:
        return context[:, 0], weights[:, 0], cache
    return context, weights, cache


def attention_backward_np(dcontext: np.ndarray, cache, dweights: np.ndarray | None = None):
    """Backward of attention_np.

    Inputs:
    - dcontext: (B, Dk) or (B, Q, Dk), upstream gradient of the context.
    - cache: from attention_np.
    - dweights: optional upstream gradient of the weights (B, T) or (B, Q, T) (e.g. from a
      penalty on the weights); None = 0.

    Returns:
    - dquery (shape of query), dkeys (B, T, Dk) (keys are used twice: scores and values),
      dparams (dict like params).
    """
    score_cache, weights, keys, single = cache
    if single:
        dcontext = dcontext[:, None]
        dweights = None if dweights is None else dweights[:, None]
    dweights_total = dcontext @ keys.transpose(0, 2, 1)  # (B, Q, T)
    if dweights is not None:
        dweights_total = dweights_total + dweights
    dkeys_values = weights.transpose(0, 2, 1) @ dcontext  # (B, T, Dk)
    dscores = masked_softmax_backward_np(dweights_total, weights)
    dquery, dkeys, dparams = scores_backward_np(dscores, score_cache)
    return (dquery[:, 0] if single else dquery), dkeys + dkeys_values, dparams


# --------------------------------------------------------------------------------------------
# torch: the same, with autograd
# --------------------------------------------------------------------------------------------


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim`` over the real positions only.

    Masked scores are replaced by the most negative finite number before the softmax (so their
    exp underflows to 0 and no inf - inf appears), then the weights are multiplied by the mask:
    a row with no real position therefore gets all zeros instead of NaN, and gradients stay finite.

    Inputs:
    - scores: float tensor of any shape, e.g. (B, Q, T).
    - mask: None (all real) or a bool tensor broadcastable to scores, True = real position.
    - dim: the axis to normalise over.

    Returns:
    - weights: shape of scores; sums to 1 along dim over the real positions (0 for an all-masked
      row), exactly 0 at masked positions.
    """
    if not isinstance(scores, torch.Tensor) or not scores.is_floating_point():
        raise TypeError(f"scores must be a floating torch tensor, got "
                        f"{getattr(scores, 'dtype', type(scores).__name__)}")
    if mask is None:
        return torch.softmax(scores, dim=dim)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError(f"mask must be None or a bool torch tensor (True = real position), got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        torch.broadcast_shapes(mask.shape, scores.shape)
    except RuntimeError:
        raise ValueError(f"mask must broadcast to the scores' shape {tuple(scores.shape)}, "
                         f"got {tuple(mask.shape)}") from None
    mask = mask.to(scores.device)
    filled = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(filled, dim=dim) * mask


def lengths_to_mask(lengths, max_len: int | None = None) -> torch.Tensor:
    """(B,) lengths -> (B, T) bool mask, row b True at positions 0 .. lengths[b] - 1.

    Inputs:
    - lengths: (B,) ints >= 0 (tensor or list).
    - max_len: T; None = max(lengths).

    Returns:
    - mask: (B, T) bool, on the lengths' device.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(f"lengths must be a 1-D tensor of ints, got {lengths!r}")
    T = int(lengths.max()) if max_len is None else max_len
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


class _Attention(nn.Module):
    """Shared forward: scores (from the subclass's ``score``) -> masked softmax -> context."""

    def score(self, query: torch.Tensor, keys: torch.Tensor, **kwargs) -> torch.Tensor:
        """(B, Q, Dq), (B, T, Dk) -> scores (B, Q, T)."""
        raise NotImplementedError

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None,
                **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from the query (or each of Q queries) over the keys.

        Inputs:
        - query: (B, Dq) or (B, Q, Dq).
        - keys: (B, T, Dk); also the values.
        - mask: None or (B, T) bool, True = real position.

        Returns:
        - context: (B, Dk) or (B, Q, Dk), the weighted average of the keys.
        - weights: (B, T) or (B, Q, T).
        """
        for name, value in (("query", query), ("keys", keys)):
            if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                raise TypeError(f"{name} must be a floating torch tensor, got "
                                f"{getattr(value, 'dtype', type(value).__name__)}")
        if keys.dim() != 3:
            raise ValueError(f"keys must have shape (B, T, Dk), got {tuple(keys.shape)}")
        if query.dim() not in (2, 3) or query.shape[0] != keys.shape[0]:
            raise ValueError(f"query must have shape (B, Dq) or (B, Q, Dq) with B = "
                             f"{keys.shape[0]}, got {tuple(query.shape)}")
        if mask is not None and tuple(mask.shape) != tuple(keys.shape[:2]):
            raise ValueError(f"mask must have shape (B, T) = {tuple(keys.shape[:2])}, "
                             f"got {tuple(mask.shape)}")
        single = query.dim() == 2
        q = query[:, None, :] if single else query  # (B, Q, Dq)
        scores = self.score(q, keys, **kwargs)  # (B, Q, T)
        weights = masked_softmax(scores, None if mask is None else mask[:, None, :])
        context = weights @ keys  # (B, Q, Dk)
        if single:
            return context[:, 0], weights[:, 0]
        return context, weights


def _check_same_size(query: torch.Tensor, keys: torch.Tensor, name: str) -> None:
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(f"{name} needs query and keys of one size, got Dq = {query.shape[-1]} "
                         f"and Dk = {keys.shape[-1]}")


class DotAttention(_Attention):
    """phi(h, q) = h^T q. No parameters; query and keys must have the same size D."""

    def score(self, query, keys):
        _check_same_size(query, keys, "DotAttention")
        return query @ keys.transpose(1, 2)  # (B, Q, T)


class ScaledDotAttention(_Attention):
    """phi(h, q) = h^T q / sqrt(D): keeps the scores' spread ~1 as D grows (Vaswani et al.)."""

    def score(self, query, keys):
        _check_same_size(query, keys, "ScaledDotAttention")
        return query @ keys.transpose(1, 2) / math.sqrt(query.shape[-1])  # (B, Q, T)


class GeneralAttention(_Attention):
    """Luong's "general" score phi(h, q) = h^T W q, W: (Dk, Dq) (``self.W.weight``).

    Inputs (constructor): query_dim Dq, key_dim Dk.
    """

    def __init__(self, query_dim: int, key_dim: int):
        super().__init__()
        self.W = nn.Linear(query_dim, key_dim, bias=False)  # weight (Dk, Dq)

    def score(self, query, keys):
        return self.W(query) @ keys.transpose(1, 2)  # (B, Q, Dk) @ (B, Dk, T) -> (B, Q, T)


class AdditiveAttention(_Attention):
    """Bahdanau's score phi(h, q) = v^T tanh(W1 h + W2 q).

    Inputs (constructor): query_dim Dq, key_dim Dk, hidden_dim A.
    Parameters: ``W1.weight`` (A, Dk), ``W2.weight`` (A, Dq), ``v.weight`` (1, A); no biases.

    W1 h does not depend on the query: a decoder that attends over one source sentence at every
    step computes ``projected = project_keys(keys)`` once and passes
    ``forward(query, keys, mask, projected_keys=projected)`` at each step.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int):
        super().__init__()
        self.W1 = nn.Linear(key_dim, hidden_dim, bias=False)
        self.W2 = nn.Linear(query_dim, hidden_dim, bias=False)
        self.v = nn.Linear(hidden_dim, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """(B, T, Dk) -> W1 h: (B, T, A)."""
        return self.W1(keys)

    def score(self, query, keys, projected_keys: torch.Tensor | None = None):
        if projected_keys is None:
            projected_keys = self.project_keys(keys)
        elif projected_keys.shape != (*keys.shape[:2], self.W1.out_features):
            raise ValueError(f"projected_keys must have shape (B, T, A) = "
                             f"{(*keys.shape[:2], self.W1.out_features)}, "
                             f"got {tuple(projected_keys.shape)}")
        hidden = torch.tanh(projected_keys[:, None, :, :]     # (B, 1, T, A)
                            + self.W2(query)[:, :, None, :])  # (B, Q, 1, A)
        return self.v(hidden).squeeze(-1)  # (B, Q, T)


# --------------------------------------------------------------------------------------------
# attention pooling: a trainable query sums a sequence up for a classifier
# --------------------------------------------------------------------------------------------


class AttentionPooling(nn.Module):
    """Attention pooling with a trainable query (Yang et al. 2016, word attention):

        u_t     = tanh(W h_t + b)                      (B, T, A)
        alpha_t = softmax_t(u_t^T u_w)                 (B, T), over the real positions
        s       = sum_t alpha_t h_t                    (B, H)

    The context vector u_w (``self.query``, shape (A,)) is learned with the rest of the model: it
    encodes "what an informative position looks like" for the task. Deck 004 writes the same
    model as phi(h_t, q) = q^T tanh(W h_t) with q = u_w (its W has no bias).

    Inputs (constructor): input_dim H (the states' size), attention_dim A.
    Parameters: ``proj`` (W: (A, H), b: (A,)), ``query`` u_w: (A,).
    """

    def __init__(self, input_dim: int, attention_dim: int):
        super().__init__()
        self.proj = nn.Linear(input_dim, attention_dim)
        bound = 1.0 / math.sqrt(attention_dim)
        self.query = nn.Parameter(torch.empty(attention_dim).uniform_(-bound, bound))

    def forward(self, states: torch.Tensor, mask: torch.Tensor | None = None):
        """Pool every sequence into one vector.

        Inputs:
        - states: (B, T, H), e.g. the outputs of a recurrent encoder.
        - mask: None or (B, T) bool, True = real position.

        Returns:
        - pooled: (B, H) the weighted average s.
        - weights: (B, T) alpha, 0 at padded positions.
        """
        if not isinstance(states, torch.Tensor) or states.dim() != 3:
            raise ValueError(f"states must be a (B, T, H) tensor, got "
                             f"{tuple(getattr(states, 'shape', ())) or type(states).__name__}")
        if states.shape[-1] != self.proj.in_features:
            raise ValueError(f"states must have H = {self.proj.in_features} features, "
                             f"got {states.shape[-1]}")
        if mask is not None and tuple(mask.shape) != tuple(states.shape[:2]):
            raise ValueError(f"mask must have shape (B, T) = {tuple(states.shape[:2])}, "
                             f"got {tuple(mask.shape)}")
        u = torch.tanh(self.proj(states))  # (B, T, A)
        weights = masked_softmax(u @ self.query, mask)  # (B, T)
        return (weights[:, :, None] * states).sum(dim=1), weights  # (B, H), (B, T)


# --------------------------------------------------------------------------------------------
# self-attention from scratch (Vaswani et al. 2017)
# --------------------------------------------------------------------------------------------


def causal_mask(query_len: int, key_len: int | None = None, device=None) -> torch.Tensor:
    """(Tq, Tk) bool, True where query position i may look at key position j, i.e. j <= i.

    Same alignment as ``scaled_dot_product_attention(..., is_causal=True)`` in PyTorch (the lower
    triangle starting at the top-left corner).
    """
    key_len = query_len if key_len is None else key_len
    return torch.ones(query_len, key_len, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 mask: torch.Tensor | None = None, causal: bool = False):
    """softmax(Q K^T / sqrt(d) + masks) V, from scratch.

    Inputs:
    - query: (..., Tq, d).
    - key: (..., Tk, d).
    - value: (..., Tk, dv).
    - mask: None or bool broadcastable to (..., Tq, Tk), True = may attend (as the bool
      attn_mask of torch.nn.functional.scaled_dot_product_attention); e.g. a key padding mask
      (B, Tk) becomes (B, 1, Tk) or (B, 1, 1, Tk) for heads.
    - causal: also forbid looking ahead (``causal_mask``).

    Returns:
    - out: (..., Tq, dv).
    - weights: (..., Tq, Tk); a query row with nothing to attend to gets zeros (PyTorch's gives
      NaN there).
    """
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"query (..., Tq, d), key (..., Tk, d), value (..., Tk, dv) do not fit: "
                         f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., Tq, Tk)
    if causal:
        future = causal_mask(query.shape[-2], key.shape[-2], device=query.device)
        mask = future if mask is None else mask & future
    weights = masked_softmax(scores, mask)
    return weights @ value, weights  # (..., Tq, dv), (..., Tq, Tk)


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, T, E) -> (B, h, T, E / h): head k gets features k*E/h .. (k+1)*E/h - 1."""
    B, T, E = x.shape
    if E % num_heads:
        raise ValueError(f"the feature size {E} must be divisible by num_heads = {num_heads}")
    return x.view(B, T, num_heads, E // num_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, h, T, dh) -> (B, T, h * dh): the inverse of split_heads."""
    B, h, T, dh = x.shape
    return x.transpose(1, 2).reshape(B, T, h * dh)


class MultiHeadAttention(nn.Module):
    """Multi-head attention, parameters laid out as torch.nn.MultiheadAttention's (batch first):

        [Q | K | V] = [x_q W_q^T + b_q | x_k W_k^T + b_k | x_v W_v^T + b_v]   in_proj (3E, E)
        head_k      = attention(Q_k, K_k, V_k),  Q_k = Q[:, :, k dh:(k+1) dh], dh = E / h
        out         = concat(head_1 .. head_h) W_o^T + b_o                    out_proj (E, E)

    so ``load_state_dict(torch_mha.state_dict())`` copies a torch module's weights.

    Inputs (constructor): embed_dim E, num_heads h (E divisible by h), bias.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim = {embed_dim} must be divisible by num_heads = "
                             f"{num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor | None = None,
                value: torch.Tensor | None = None, key_padding_mask: torch.Tensor | None = None,
                causal: bool = False):
        """Attend from every query position over the keys (self-attention: key = value = query).

        Inputs:
        - query: (B, Tq, E).
        - key, value: (B, Tk, E); None = query (self-attention).
        - key_padding_mask: None or (B, Tk) bool, True = real position (the OPPOSITE of
          torch.nn.MultiheadAttention's key_padding_mask, where True means "ignore").
        - causal: position i sees only keys j <= i.

        Returns:
        - out: (B, Tq, E).
        - weights: (B, h, Tq, Tk), every head's attention weights.
        """
        key = query if key is None else key
        value = key if value is None else value
        if query.dim() != 3 or query.shape[-1] != self.embed_dim:
            raise ValueError(f"query must have shape (B, Tq, E = {self.embed_dim}), "
                             f"got {tuple(query.shape)}")
        if key.shape != value.shape or key.shape[::2] != query.shape[::2]:
            raise ValueError(f"key and value must have shape (B, Tk, E) = "
                             f"({query.shape[0]}, Tk, {self.embed_dim}), got {tuple(key.shape)} "
                             f"and {tuple(value.shape)}")
        mask = None
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != tuple(key.shape[:2]):
                raise ValueError(f"key_padding_mask must have shape (B, Tk) = "
                                 f"{tuple(key.shape[:2])}, got {tuple(key_padding_mask.shape)}")
            mask = key_padding_mask[:, None, None, :]  # (B, 1, 1, Tk)
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        q = split_heads(nn.functional.linear(query, w_q, b_q), self.num_heads)  # (B, h, Tq, dh)
        k = split_heads(nn.functional.linear(key, w_k, b_k), self.num_heads)  # (B, h, Tk, dh)
        v = split_heads(nn.functional.linear(value, w_v, b_v), self.num_heads)  # (B, h, Tk, dh)
        heads, weights = scaled_dot_product_attention(q, k, v, mask, causal)  # (B, h, Tq, dh)
        return self.out_proj(merge_heads(heads)), weights  # (B, Tq, E), (B, h, Tq, Tk)
