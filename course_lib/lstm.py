"""Long short-term memory (LSTM) in numpy: forward and backward passes, one step and a sequence.

An LSTM keeps two vectors per time step: a hidden state h_t (what the layer outputs) and a cell
state c_t (its memory). Three sigmoid gates, each a number in (0, 1) per unit, decide how much of
the old memory is kept (forget gate f), how much new content is written (input gate i) and how
much of the memory is shown (output gate o). With x_t of size D and H hidden units:

    a_t = x_t Wx + h_{t-1} Wh + b                        (N, 4H), split into a_i, a_f, a_g, a_o
    i_t = sigmoid(a_i)        input gate
    f_t = sigmoid(a_f)        forget gate
    g_t = tanh(a_g)           candidate content (the c-tilde of the lectures)
    o_t = sigmoid(a_o)        output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Because c_t = f_t * c_{t-1} + ..., the gradient reaches c_{t-1} multiplied element-wise by f_t,
not by a weight matrix: with f close to 1 it survives many steps (the "additive memory" that
lets an LSTM bridge about a hundred steps where a plain RNN manages a handful).

Notations met in the lectures, all describing this same cell:

- Gers et al. (2000) / CS224n: f, i, o, c-tilde = g, c, h (as above).
- Ng's Gamma notation: Gamma_u = i (update gate), Gamma_f = f, Gamma_o = o, c-tilde = g,
  a^<t> = h_t; the weights act on the concatenation [a^<t-1>, x^<t>], which is our
  ``[h_{t-1}, x_t] @ [[Wh], [Wx]]`` written as one matrix.
- Greff et al. (2017), "LSTM: A Search Space Odyssey": block input z = g, y^t = h_t, input
  weights W and recurrent weights R (our Wx.T and Wh.T), plus *peephole* weights p_i, p_f, p_o
  (vectors of size H) that let the gates look at the cell directly:

      a_i += p_i * c_{t-1},    a_f += p_f * c_{t-1},    a_o += p_o * c_t

  (the output gate peeks at the *new* cell, so it is computed after c_t). Pass
  ``peephole=(p_i, p_f, p_o)`` to get this variant; ``peephole=None`` is the Gers cell.

Layout: the 4H columns of Wx, Wh and b are the blocks (i, f, g, o) in this order, which is
PyTorch's order, so weights copy across from ``torch.nn.LSTM``:
``Wx = weight_ih_l0.T``, ``Wh = weight_hh_l0.T``, ``b = bias_ih_l0 + bias_hh_l0``.

Backward pass of one step, given upstream dh (to h_t) and dc (to c_t, from step t+1):

    do = dh * tanh(c_t)                      da_o = do * o (1 - o)
    dc_t = dc + dh * o * (1 - tanh(c_t)^2)   [+ da_o * p_o with peepholes]
    di = dc_t * g,  df = dc_t * c_{t-1},  dg = dc_t * i,  dc_{t-1} = dc_t * f
    da_i = di * i (1 - i),  da_f = df * f (1 - f),  da_g = dg * (1 - g^2)
    [dc_{t-1} += da_i * p_i + da_f * p_f with peepholes]
    dx = da Wx^T,  dh_{t-1} = da Wh^T,  dWx = x^T da,  dWh = h_{t-1}^T da,  db = sum_n da

References: Hochreiter & Schmidhuber (1997); Gers, Schmidhuber & Cummins (2000), "Learning to
forget"; Greff et al. (2017), IEEE TNNLS; CS231n assignment 3 (array shapes and caches).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib.activations import sigmoid
from course_lib.checks import check_array


class LSTMStepCache(NamedTuple):
    """What lstm_step_forward keeps for the backward pass: a tuple whose fields have names.

    The positions are fixed (homework ps03 reads the cache by index), so read it either way:
    ``cache.f`` or ``cache[7]``. All arrays are (N, H) unless stated otherwise.

    - x: the step's input, (N, D).   - h_prev, c_prev: the previous states.
    - Wx: (D, 4H).   - Wh: (H, 4H).   - peephole: None or (p_i, p_f, p_o), each (H,).
    - i, f, g, o: input gate, forget gate, candidate content, output gate.
    - c: the new cell state.   - tanh_c: tanh(c).
    """

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    peephole: tuple | None
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray


def _check_step(x, h_prev, c_prev, Wx, Wh, b, peephole) -> None:
    check_array("x", x, (None, None), "(N, D)")
    n, d = x.shape
    check_array("h_prev", h_prev, (n, None), "(N, H)")
    h = h_prev.shape[1]
    check_array("c_prev", c_prev, (n, h), "(N, H)")
    check_array("Wx", Wx, (d, 4 * h), "(D, 4H)")
    check_array("Wh", Wh, (h, 4 * h), "(H, 4H)")
    check_array("b", b, (4 * h,), "(4H,)")
    if peephole is not None:
        if not isinstance(peephole, (tuple, list)) or len(peephole) != 3:
            raise TypeError("peephole must be None or a tuple (p_i, p_f, p_o) of (H,) arrays")
        for name, p in zip(("p_i", "p_f", "p_o"), peephole, strict=True):
            check_array(f"peephole {name}", p, (h,), "(H,)")


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, peephole=None):
    """One LSTM time step for a minibatch.

    Inputs:
    - x: input, (N, D).
    - h_prev: previous hidden state, (N, H).
    - c_prev: previous cell state, (N, H).
    - Wx: input-to-hidden weights, (D, 4H), column blocks (i, f, g, o).
    - Wh: hidden-to-hidden weights, (H, 4H), same blocks.
    - b: biases, (4H,).
    - peephole: None, or a tuple (p_i, p_f, p_o) of (H,) arrays (Greff et al. 2017).

    Returns a tuple of:
    - h: next hidden state, (N, H).
    - c: next cell state, (N, H).
    - cache: LSTMStepCache (x, h_prev, c_prev, Wx, Wh, peephole, i, f, g, o, c, tanh_c).
    """
    _check_step(x, h_prev, c_prev, Wx, Wh, b, peephole)
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b  # (N, 4H)
    a_i, a_f, a_g, a_o = (a[:, k * H : (k + 1) * H] for k in range(4))  # each (N, H)
    if peephole is not None:
        p_i, p_f, p_o = peephole
        a_i = a_i + p_i * c_prev
        a_f = a_f + p_f * c_prev
    i, f, g = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g)  # (N, H) each
    c = f * c_prev + i * g  # (N, H)
    if peephole is not None:
        a_o = a_o + p_o * c
    o = sigmoid(a_o)  # (N, H)
    tanh_c = np.tanh(c)  # (N, H)
    h = o * tanh_c  # (N, H)
    cache = LSTMStepCache(x, h_prev, c_prev, Wx, Wh, peephole, i, f, g, o, c, tanh_c)
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM time step.

    Inputs:
    - dh: upstream gradient of the hidden state h, (N, H).
    - dc: upstream gradient of the cell state c, (N, H) (zeros at the last step).
    - cache: from lstm_step_forward (an LSTMStepCache, or a plain tuple in its field order).

    Returns a tuple (dx, dh_prev, dc_prev, dWx, dWh, db) without peepholes, and
    (dx, dh_prev, dc_prev, dWx, dWh, db, dpeephole) with them:
    - dx: (N, D).   - dh_prev: (N, H).   - dc_prev: (N, H).
    - dWx: (D, 4H).   - dWh: (H, 4H).   - db: (4H,).
    - dpeephole: tuple (dp_i, dp_f, dp_o), each (H,).
    """
    x, h_prev, c_prev, Wx, Wh, peephole, i, f, g, o, c, tanh_c = cache
    check_array("dh", dh, c.shape, "(N, H)")
    check_array("dc", dc, c.shape, "(N, H)")
    da_o = dh * tanh_c * o * (1 - o)  # (N, H)
    dc_t = dc + dh * o * (1 - tanh_c**2)  # (N, H)
    if peephole is not None:
        dc_t = dc_t + da_o * peephole[2]
    da_i = dc_t * g * i * (1 - i)  # (N, H)
    da_f = dc_t * c_prev * f * (1 - f)  # (N, H)
    da_g = dc_t * i * (1 - g**2)  # (N, H)
    dc_prev = dc_t * f  # (N, H)
    if peephole is not None:
        dc_prev = dc_prev + da_i * peephole[0] + da_f * peephole[1]
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
    grads = (da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0))
    if peephole is None:
        return grads
    dpeephole = (
        (da_i * c_prev).sum(axis=0),
        (da_f * c_prev).sum(axis=0),
        (da_o * c).sum(axis=0),
    )
    return grads + (dpeephole,)


def lstm_forward(x, h0, Wx, Wh, b, peephole=None, c0=None):
    """LSTM over a whole sequence: T calls of lstm_step_forward.

    Inputs:
    - x: inputs, (N, T, D).
    - h0: initial hidden state, (N, H).
    - Wx: (D, 4H).   - Wh: (H, 4H).   - b: (4H,).   (blocks i, f, g, o)
    - peephole: None, or a tuple (p_i, p_f, p_o) of (H,) arrays.
    - c0: initial cell state, (N, H); None means zeros. It is treated as a constant
      (lstm_backward returns no gradient for it).

    Returns a tuple of:
    - h: hidden states of every step, (N, T, H).
    - cache: values needed by lstm_backward, a dict: cache["steps"] is the list of the T
      LSTMStepCache (so cache["steps"][t].f is the forget gate at step t, (N, H)) and
      cache["c"] holds the cell states, (N, T, H).
    """
    check_array("x", x, (None, None, None), "(N, T, D)")
    check_array("h0", h0, (x.shape[0], None), "(N, H)")
    N, T, _ = x.shape
    H = h0.shape[1]
    if T == 0:
        raise ValueError("x must hold at least one time step, got T = 0")
    c_prev = np.zeros_like(h0) if c0 is None else c0
    h_prev = h0
    hs = np.empty((N, T, H), dtype=np.result_type(x, h0))
    cs = np.empty_like(hs)
    steps = []
    for t in range(T):
        h_prev, c_prev, step_cache = lstm_step_forward(
            x[:, t], h_prev, c_prev, Wx, Wh, b, peephole
        )
        hs[:, t], cs[:, t] = h_prev, c_prev
        steps.append(step_cache)
    return hs, {"steps": steps, "c": cs}


def lstm_backward(dh, cache):
    """Backward pass of lstm_forward (backpropagation through time).

    Inputs:
    - dh: upstream gradients of every hidden state, (N, T, H).
    - cache: from lstm_forward.

    Returns a tuple (dx, dh0, dWx, dWh, db) without peepholes, and
    (dx, dh0, dWx, dWh, db, dpeephole) with them:
    - dx: (N, T, D).   - dh0: (N, H).
    - dWx: (D, 4H).   - dWh: (H, 4H).   - db: (4H,).
    - dpeephole: tuple (dp_i, dp_f, dp_o), each (H,).
    """
    steps = cache["steps"]
    check_array("dh", dh, cache["c"].shape, "(N, T, H)")
    N, T, H = dh.shape
    D = steps[0][0].shape[1]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    dc_prev = np.zeros((N, H), dtype=dh.dtype)
    totals = None
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dc_prev, *param_grads = lstm_step_backward(
            dh[:, t] + dh_prev, dc_prev, steps[t]
        )
        totals = param_grads if totals is None else _add(totals, param_grads)
    return (dx, dh_prev, *totals)


def _add(a, b):
    """Element-wise sum of two equally nested lists/tuples of arrays."""
    out = [_add(u, v) if isinstance(u, (tuple, list)) else u + v for u, v in zip(a, b, strict=True)]
    return tuple(out) if isinstance(a, tuple) else out
