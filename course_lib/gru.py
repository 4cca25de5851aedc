"""Gated recurrent unit (GRU) in numpy: forward and backward passes, one step and a sequence.

A GRU keeps a single state h_t and two gates: a reset gate r (how much of h_{t-1} the
candidate may use) and an update gate z (how much of h_{t-1} is carried over unchanged). We
follow PyTorch's formulation (``torch.nn.GRU``), gate blocks in the order (r, z, n):

    r_t = sigmoid(x_t Wx_r + bx_r + h_{t-1} Wh_r + bh_r)
    z_t = sigmoid(x_t Wx_z + bx_z + h_{t-1} Wh_z + bh_z)
    n_t = tanh(x_t Wx_n + bx_n + r_t * (h_{t-1} Wh_n + bh_n))      candidate ("h-hat", "h-tilde")
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The reset gate multiplies the *recurrent term including its bias* bh_n, which is why the input
biases bx and the recurrent biases bh are kept apart (for the r and z blocks only their sum
matters). Weights copy from ``torch.nn.GRU``: ``Wx = weight_ih_l0.T``, ``Wh = weight_hh_l0.T``,
``bx = bias_ih_l0``, ``bh = bias_hh_l0``.

Two conventions for the update gate appear in the lectures:

    (A)  h_t = z_t * h_{t-1} + (1 - z_t) * h_hat_t        Cho et al. 2014, seed 000, PyTorch
    (B)  h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde_t      Chung et al. 2014, seeds 001
                                                          (Gamma_u), 003, 004

PyTorch's h_t = (1 - z_t) * n_t + z_t * h_{t-1} (the last line of the equations above) is (A)
with n_t in the place of h_hat_t; this module computes (A). The two are one model: in (A) z is
the "keep" fraction, in (B) the "overwrite" fraction, so z_B = 1 - z_A. Since
1 - sigmoid(a) = sigmoid(-a), a GRU of convention (B) whose update-gate weights and biases are
the negatives of convention (A)'s computes exactly the same h_t (negate_update_gate converts
between the two; the tests check it numerically).

Where the reset gate acts also differs between texts: the lectures (like Cho et al. 2014 and
Chung et al. 2014) write W (r * h_{t-1}), the reset before the matrix product; PyTorch and cuDNN
write r * (W h_{t-1} + b), after it, which lets the product for all gates be computed before r
is known. These are *not* the same function in general. This module implements the PyTorch
placement so that its numbers can be compared with torch's.

Backward pass of one step, with upstream gradient dh of h_t (ah_n = h_{t-1} Wh_n + bh_n):

    dn = dh * (1 - z),   dz = dh * (h_{t-1} - n),   dh_{t-1} = dh * z   (+ the paths below)
    da_n = dn * (1 - n^2),   dr = da_n * ah_n
    da_r = dr * r (1 - r),   da_z = dz * z (1 - z)
    input side:      dax = [da_r, da_z, da_n]       -> dx = dax Wx^T, dWx = x^T dax, dbx = sum dax
    recurrent side:  dah = [da_r, da_z, da_n * r]   -> dh_{t-1} += dah Wh^T, dWh = h^T dah, ...

References: Cho et al. (2014), "Learning phrase representations using RNN encoder-decoder";
Chung et al. (2014), "Empirical evaluation of gated recurrent neural networks";
PyTorch documentation of torch.nn.GRU.
"""

from __future__ import annotations

import numpy as np

from course_lib.activations import sigmoid
from course_lib.checks import check_array


def _check_step(x, h_prev, Wx, Wh, bx, bh) -> None:
    check_array("x", x, (None, None), "(N, D)")
    n, d = x.shape
    check_array("h_prev", h_prev, (n, None), "(N, H)")
    h = h_prev.shape[1]
    check_array("Wx", Wx, (d, 3 * h), "(D, 3H)")
    check_array("Wh", Wh, (h, 3 * h), "(H, 3H)")
    check_array("bx", bx, (3 * h,), "(3H,)")
    check_array("bh", bh, (3 * h,), "(3H,)")


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One GRU time step for a minibatch (PyTorch formulation, blocks r, z, n).

    Inputs:
    - x: input, (N, D).
    - h_prev: previous hidden state, (N, H).
    - Wx: input-to-hidden weights, (D, 3H).
    - Wh: hidden-to-hidden weights, (H, 3H).
    - bx: input biases, (3H,).
    - bh: recurrent biases, (3H,).

    Returns a tuple of:
    - h: next hidden state, (N, H).
    - cache: values needed by gru_step_backward.
    """
    _check_step(x, h_prev, Wx, Wh, bx, bh)
    H = h_prev.shape[1]
    ax = x @ Wx + bx  # (N, 3H)
    ah = h_prev @ Wh + bh  # (N, 3H)
    r = sigmoid(ax[:, :H] + ah[:, :H])  # (N, H)
    z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])  # (N, H)
    ah_n = ah[:, 2 * H :]  # (N, H)
    n = np.tanh(ax[:, 2 * H :] + r * ah_n)  # (N, H)
    h = (1 - z) * n + z * h_prev  # (N, H)
    return h, (x, h_prev, Wx, Wh, r, z, n, ah_n)


def gru_step_backward(dh, cache):
    """Backward pass of one GRU time step.

    Inputs:
    - dh: upstream gradient of the next hidden state, (N, H).
    - cache: from gru_step_forward.

    Returns a tuple (dx, dh_prev, dWx, dWh, dbx, dbh):
    - dx: (N, D).   - dh_prev: (N, H).
    - dWx: (D, 3H).   - dWh: (H, 3H).   - dbx: (3H,).   - dbh: (3H,).
    """
    x, h_prev, Wx, Wh, r, z, n, ah_n = cache
    check_array("dh", dh, h_prev.shape, "(N, H)")
    da_n = dh * (1 - z) * (1 - n**2)  # (N, H)
    da_z = dh * (h_prev - n) * z * (1 - z)  # (N, H)
    da_r = da_n * ah_n * r * (1 - r)  # (N, H)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dah = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (N, 3H)
    dh_prev = dh * z + dah @ Wh.T  # (N, H)
    return dax @ Wx.T, dh_prev, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """GRU over a whole sequence: T calls of gru_step_forward.

    Inputs:
    - x: inputs, (N, T, D).
    - h0: initial hidden state, (N, H).
    - Wx: (D, 3H).   - Wh: (H, 3H).   - bx: (3H,).   - bh: (3H,).

    Returns a tuple of:
    - h: hidden states of every step, (N, T, H).
    - cache: values needed by gru_backward.
    """
    check_array("x", x, (None, None, None), "(N, T, D)")
    check_array("h0", h0, (x.shape[0], None), "(N, H)")
    N, T, _ = x.shape
    if T == 0:
        raise ValueError("x must hold at least one time step, got T = 0")
    hs = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0))
    steps = []
    h_prev = h0
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)
        hs[:, t] = h_prev
        steps.append(step_cache)
    return hs, {"steps": steps, "shape": hs.shape}


def gru_backward(dh, cache):
    """Backward pass of gru_forward (backpropagation through time).

    Inputs:
    - dh: upstream gradients of every hidden state, (N, T, H).
    - cache: from gru_forward.

    Returns a tuple (dx, dh0, dWx, dWh, dbx, dbh):
    - dx: (N, T, D).   - dh0: (N, H).
    - dWx: (D, 3H).   - dWh: (H, 3H).   - dbx: (3H,).   - dbh: (3H,).
    """
    steps = cache["steps"]
    check_array("dh", dh, cache["shape"], "(N, T, H)")
    N, T, H = dh.shape
    dx = np.empty((N, T, steps[0][0].shape[1]), dtype=dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    totals = None
    for t in reversed(range(T)):
        dx[:, t], dh_prev, *param_grads = gru_step_backward(dh[:, t] + dh_prev, steps[t])
        if totals is None:
            totals = param_grads
        else:
            totals = [a + g for a, g in zip(totals, param_grads, strict=True)]
    return (dx, dh_prev, *totals)


def negate_update_gate(Wx, Wh, bx, bh):
    """Convert GRU parameters between the two update-gate conventions (an involution).

    Flips the sign of the z block (columns H..2H) of every parameter, so that sigmoid of the
    new pre-activation equals 1 - z. Parameters of convention (A) (h = z h_prev + (1 - z) n,
    this module) become parameters of convention (B) (h = (1 - z) h_prev + z n), and back.

    Inputs:
    - Wx: (D, 3H).   - Wh: (H, 3H).   - bx: (3H,).   - bh: (3H,).

    Returns:
    - new copies (Wx, Wh, bx, bh), same shapes; the inputs are not modified.
    """
    check_array("Wh", Wh, (None, None), "(H, 3H)")
    H = Wh.shape[0]
    check_array("Wh", Wh, (H, 3 * H), "(H, 3H)")
    check_array("Wx", Wx, (None, 3 * H), "(D, 3H)")
    check_array("bx", bx, (3 * H,), "(3H,)")
    check_array("bh", bh, (3 * H,), "(3H,)")
    flipped = []
    for p in (Wx, Wh, bx, bh):
        q = p.copy()
        q[..., H : 2 * H] *= -1
        flipped.append(q)
    return tuple(flipped)
