"""A vanilla RNN in numpy, with backpropagation through time (BPTT) written by hand.

Notation (N sequences in a batch, T time steps, D input features, H hidden units, V classes):

    a_t = x_t Wx + h_{t-1} Wh + b          x_t: (N, D), h_{t-1}: (N, H), Wx: (D, H), Wh: (H, H)
    h_t = tanh(a_t)                         h_t: (N, H)
    s_t = h_t Wy + by                       scores over the vocabulary, (N, V)
    L   = sum_t sum_n -log softmax(s_t)[n, y_tn] / (number of predicted tokens)

Rows are examples (x_t Wx rather than the slides' W_xh x_t): the same model, transposed, so that a
whole batch is one matrix product.

Backward through one step, with g = dL/dh_t (from the output at t AND from step t+1):

    da        = g * (1 - h_t^2)             tanh' = 1 - tanh^2
    dL/dx_t   = da Wx^T,    dL/dh_{t-1} = da Wh^T
    dWx      += x_t^T da,   dWh += h_{t-1}^T da,   db += sum over the batch of da

The weights are the same at every step, so "the gradient with respect to a repeated weight is the
sum of the gradients with respect to each time it appears": rnn_backward adds the per-step terms.
The factor dL/dh_{t-1} = (g * tanh') Wh^T is applied once per step, so a gradient that travels k
steps back is multiplied by k such Jacobians: it shrinks or grows geometrically (vanishing and
exploding gradients).

Truncated BPTT (lm_loss_and_grads with k < T) runs the sequence in chunks of k steps, carries the
hidden state from one chunk to the next but treats it as a constant: gradients flow back at most k
steps. With k >= T it is exactly full BPTT.

References: Elman (1990), "Finding structure in time"; Werbos (1990), "Backpropagation through
time: what it does and how to do it"; Williams & Peng (1990) for truncated BPTT; CS231n
assignment 3 for the layer-by-layer API (forward returns a cache, backward consumes it).
"""

from __future__ import annotations

import numpy as np

from course_lib.checks import check_float_array, check_shape

PARAM_NAMES = ("Wx", "Wh", "b", "Wy", "by")


# ----------------------------------------------------------------------------- validation helpers
def _check_rnn_params(Wx, Wh, b) -> tuple[int, int]:
    """Validate Wx (D, H), Wh (H, H), b (H,); return (D, H)."""
    check_float_array("Wx", Wx, 2)
    D, H = Wx.shape
    check_float_array("Wh", Wh, 2)
    check_shape("Wh", Wh, (H, H), "(H, H)")
    check_float_array("b", b, 1)
    check_shape("b", b, (H,), "(H,)")
    return D, H


# ----------------------------------------------------------------------------- one step
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One tanh RNN step: h = tanh(x Wx + h_prev Wh + b).

    Inputs:
    - x: input at this step, (N, D).
    - h_prev: hidden state of the previous step, (N, H).
    - Wx: input-to-hidden weights, (D, H).
    - Wh: hidden-to-hidden weights, (H, H).
    - b: bias, (H,).

    Returns a tuple of:
    - h: next hidden state, (N, H).
    - cache: what rnn_step_backward needs.
    """
    D, H = _check_rnn_params(Wx, Wh, b)
    check_float_array("x", x, 2)
    check_shape("x", x, (x.shape[0], D), "(N, D)")
    check_float_array("h_prev", h_prev, 2)
    check_shape("h_prev", h_prev, (x.shape[0], H), "(N, H)")
    h = np.tanh(x @ Wx + h_prev @ Wh + b)  # (N, H)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward.

    Inputs:
    - dh: gradient of the loss with respect to the step's output h, (N, H).
    - cache: from rnn_step_forward.

    Returns a tuple of:
    - dx: (N, D).
    - dh_prev: (N, H).
    - dWx: (D, H).
    - dWh: (H, H).
    - db: (H,).
    """
    x, h_prev, Wx, Wh, h = cache
    check_float_array("dh", dh, 2)
    check_shape("dh", dh, h.shape, "(N, H)")
    da = dh * (1.0 - h**2)  # (N, H)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# ----------------------------------------------------------------------------- whole sequence
def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over T steps.

    Inputs:
    - x: inputs, (N, T, D).
    - h0: initial hidden state, (N, H).
    - Wx: (D, H).  Wh: (H, H).  b: (H,).

    Returns a tuple of:
    - h: hidden states of every step, (N, T, H).
    - cache: what rnn_backward needs (one step cache per time step).
    """
    D, H = _check_rnn_params(Wx, Wh, b)
    check_float_array("x", x, 3)
    N, T, _ = x.shape
    check_shape("x", x, (N, T, D), "(N, T, D)")
    check_float_array("h0", h0, 2)
    check_shape("h0", h0, (N, H), "(N, H)")
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    caches = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)  # (N, H)
        h[:, t] = h_t
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    """Full backpropagation through time.

    Inputs:
    - dh: upstream gradients of every hidden state, (N, T, H) (from the loss at each step only;
      the gradient coming from step t+1 is added here).
    - cache: from rnn_forward.

    Returns a tuple of:
    - dx: (N, T, D).
    - dh0: (N, H).
    - dWx: (D, H), dWh: (H, H), db: (H,): sums over the T steps where the weights appear.
    """
    check_float_array("dh", dh, 3)
    x0, _, Wx, Wh, _ = cache[0]
    N, T, H = len(x0), len(cache), Wh.shape[0]
    check_shape("dh", dh, (N, T, H), "(N, T, H)")
    dx = np.empty((N, T, Wx.shape[0]), dtype=dh.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=Wh.dtype)
    dh_next = np.zeros((N, H), dtype=dh.dtype)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


# ----------------------------------------------------------------------------- output layer, loss
def temporal_affine_forward(h, W, b):
    """The same affine map at every time step: scores = h W + b.

    Inputs:
    - h: (N, T, H).
    - W: (H, V).
    - b: (V,).

    Returns a tuple of:
    - scores: (N, T, V).
    - cache: (h, W).
    """
    check_float_array("h", h, 3)
    check_float_array("W", W, 2)
    check_shape("W", W, (h.shape[2], W.shape[1]), "(H, V)")
    check_float_array("b", b, 1)
    check_shape("b", b, (W.shape[1],), "(V,)")
    return h @ W + b, (h, W)


def temporal_affine_backward(dscores, cache):
    """Backward pass of temporal_affine_forward.

    Inputs:
    - dscores: (N, T, V).
    - cache: from temporal_affine_forward.

    Returns a tuple of:
    - dh: (N, T, H).
    - dW: (H, V), summed over batch and time.
    - db: (V,).
    """
    h, W = cache
    check_float_array("dscores", dscores, 3)
    check_shape("dscores", dscores, h.shape[:2] + (W.shape[1],), "(N, T, V)")
    dW = np.einsum("nth,ntv->hv", h, dscores)  # (H, V)
    return dscores @ W.T, dW, dscores.sum(axis=(0, 1))


def _check_targets(y, mask, shape: tuple[int, int, int]):
    """Validate y (N, T) ints in [0, V) where mask, mask (N, T) bool or None; return the mask."""
    N, T, V = shape
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must be an integer numpy array, got {getattr(y, 'dtype', type(y))}")
    check_shape("y", y, (N, T), "(N, T)")
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        raise TypeError(f"mask must be a bool numpy array, got {getattr(mask, 'dtype', mask)}")
    check_shape("mask", mask, (N, T), "(N, T)")
    if mask.sum() == 0:
        raise ValueError("mask must keep at least one position (all targets are masked)")
    if np.any((y[mask] < 0) | (y[mask] >= V)):
        raise ValueError(f"y must lie in [0, V={V}) at unmasked positions")
    return mask


def _softmax_loss_sum(scores, y, mask):
    """Summed cross-entropy over unmasked positions and its gradient (inputs already checked)."""
    shifted = scores - scores.max(axis=2, keepdims=True)  # (N, T, V), for stability
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    rows, steps = np.indices(y.shape)  # (N, T) each
    y_safe = np.where(mask, y, 0)  # masked targets may hold anything (e.g. -100)
    loss = -np.sum(log_probs[rows, steps, y_safe] * mask)
    dscores = np.exp(log_probs)  # softmax
    dscores[rows, steps, y_safe] -= 1.0
    return loss, dscores * mask[..., None]


def temporal_softmax_loss(scores, y, mask=None):
    """Mean cross-entropy over the unmasked positions, and its gradient.

    loss = sum over unmasked (n, t) of -log softmax(scores[n, t])[y[n, t]] / (number unmasked),
    the mean negative log-likelihood per predicted token, so that exp(loss) is the perplexity.

    Inputs:
    - scores: (N, T, V) floats.
    - y: (N, T) integer targets in [0, V) (anything where mask is False).
    - mask: (N, T) bool, True where the target counts (False on padding); None counts all.

    Returns a tuple of:
    - loss: float.
    - dscores: (N, T, V), zero at masked positions.
    """
    check_float_array("scores", scores, 3)
    mask = _check_targets(y, mask, scores.shape)
    count = int(mask.sum())
    loss, dscores = _softmax_loss_sum(scores, y, mask)
    return float(loss / count), dscores / count


# ----------------------------------------------------------------------------- an RNN LM, (T)BPTT
def init_rnn_lm_params(D: int, H: int, V: int, rng: np.random.Generator, scale: float = 0.1):
    """Random parameters for lm_loss_and_grads: a dict with Wx (D, H), Wh (H, H), b (H,),
    Wy (H, V), by (V,), float64, weights drawn from N(0, scale^2), biases zero."""
    for name, value in (("D", D), ("H", H), ("V", V)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    return {
        "Wx": scale * rng.standard_normal((D, H)),
        "Wh": scale * rng.standard_normal((H, H)),
        "b": np.zeros(H),
        "Wy": scale * rng.standard_normal((H, V)),
        "by": np.zeros(V),
    }


def tbptt_chunks(T: int, k: int | None) -> list[slice]:
    """Split time steps 0..T-1 into consecutive chunks of k steps (the last may be shorter).

    Inputs:
    - T: number of time steps, >= 1.
    - k: chunk length >= 1; None means one chunk (full BPTT).

    Returns:
    - list of slices, e.g. T=5, k=2 -> [0:2, 2:4, 4:5].
    """
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    if k is None:
        return [slice(0, T)]
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be None or a positive int, got {k!r}")
    return [slice(start, min(start + k, T)) for start in range(0, T, k)]


def lm_loss_and_grads(x, y, params, h0=None, mask=None, k=None):
    """Loss and gradients of an RNN language model, by full (k=None) or truncated BPTT.

    The time axis is cut into chunks of k steps (tbptt_chunks). Each chunk starts from the last
    hidden state of the previous chunk, but that state is treated as a constant: no gradient
    crosses a chunk boundary. The loss is the mean over ALL unmasked tokens of the sequence, so
    k >= T gives exactly the full-BPTT gradients, and k < T gives a (biased, cheaper) estimate.

    Inputs:
    - x: inputs, (N, T, D), e.g. one-hot characters or embeddings.
    - y: integer targets, (N, T), in [0, V).
    - params: dict with Wx (D, H), Wh (H, H), b (H,), Wy (H, V), by (V,) (init_rnn_lm_params).
    - h0: initial hidden state, (N, H); None means zeros.
    - mask: (N, T) bool, True where the target counts; None counts all.
    - k: truncation length (positive int) or None for full BPTT.

    Returns a tuple of:
    - loss: float, mean negative log-likelihood per unmasked token.
    - grads: dict with the keys and shapes of params.
    - h_last: hidden state after the last step, (N, H), to carry into the next sequence.
    """
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    check_float_array("x", x, 3)
    N, T, _ = x.shape
    h = np.zeros((N, params["Wh"].shape[0])) if h0 is None else h0
    check_float_array("params['Wy']", params["Wy"], 2)
    mask = _check_targets(y, mask, (N, T, params["Wy"].shape[1]))
    count = int(mask.sum())
    grads = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    loss = 0.0
    for chunk in tbptt_chunks(T, k):
        chunk_loss, h = _chunk_loss_and_grads(x[:, chunk], y[:, chunk], mask[:, chunk], h, params,
                                              grads, count)
        loss += chunk_loss
    return loss, grads, h


def _chunk_loss_and_grads(x, y, mask, h0, params, grads, count):
    """Forward and backward over one chunk; add its gradients (scaled by 1/count) into grads.

    Returns the chunk's share of the loss (its summed NLL / count) and its last hidden state.
    """
    hs, rnn_cache = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])  # (N, k, H)
    scores, affine_cache = temporal_affine_forward(hs, params["Wy"], params["by"])  # (N, k, V)
    loss_sum, dscores = _softmax_loss_sum(scores, y, mask)
    dhs, dWy, dby = temporal_affine_backward(dscores / count, affine_cache)
    _, _, dWx, dWh, db = rnn_backward(dhs, rnn_cache)  # dh0 dropped: the truncation
    for name, grad in zip(PARAM_NAMES, (dWx, dWh, db, dWy, dby), strict=True):
        grads[name] += grad
    return float(loss_sum / count), hs[:, -1]
