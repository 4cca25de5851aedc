"""Weights and gradients of torch's recurrent layers in the layout of the course's numpy code.

torch stores an input weight as W_ih (G*H, D) and computes x W_ih^T; the numpy code of parts 2
and 3 (course_lib.rnn, course_lib.lstm, course_lib.gru and the homework) computes x @ Wx with
Wx (D, G*H). G is the number of gate blocks: 1 for the tanh RNN, 4 for the LSTM (i, f, g, o),
3 for the GRU (r, z, n), in the same block order on both sides. So

    Wx = W_ih^T (D, G*H),   Wh = W_hh^T (H, G*H),   b_ih, b_hh (G*H,) unchanged,

and the RNN and LSTM formulas of the course use one bias b = b_ih + b_hh (the GRU needs both,
since b_hh sits inside the reset gate's product). These functions do that conversion, for any
torch.nn.RNN / LSTM / GRU, their cells (nn.RNNCell, ...), and the course's own torch layers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _suffix(module: nn.Module, layer: int, reverse: bool) -> str:
    """Parameter-name suffix: "" for a cell, "_l{layer}[_reverse]" for a layer."""
    if hasattr(module, "weight_ih"):  # nn.RNNCell / LSTMCell / GRUCell
        if layer != 0 or reverse:
            raise ValueError(f"a cell has one layer and one direction, got layer={layer}, "
                             f"reverse={reverse}")
        return ""
    if not hasattr(module, "weight_ih_l0"):
        raise TypeError(f"module must be a torch recurrent layer or cell (weight_ih_l0 or "
                        f"weight_ih), got {type(module).__name__}")
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    if not hasattr(module, "weight_ih" + suffix):
        raise ValueError(f"module has no layer {layer}" + (" reverse direction" if reverse else ""))
    return suffix


def _as_numpy(tensors, dtype) -> tuple[np.ndarray, ...]:
    return tuple(None if t is None else t.detach().cpu().numpy().astype(dtype) for t in tensors)


def _parameters(module: nn.Module, layer: int, reverse: bool) -> list:
    suffix = _suffix(module, layer, reverse)
    return [getattr(module, name + suffix, None)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def numpy_weights(module: nn.Module, layer: int = 0, reverse: bool = False,
                  dtype=np.float64) -> tuple[np.ndarray, ...]:
    """The weights of one layer and direction in the numpy code's layout (copies).

    Inputs:
    - module: a torch.nn.RNN / LSTM / GRU, one of their cells, or a course_lib torch layer.
    - layer: which stacked layer (0 for a cell).
    - reverse: the reverse direction of a bidirectional layer.
    - dtype: numpy dtype of the copies.

    Returns a tuple (Wx (D, G*H), Wh (H, G*H), b_ih (G*H,), b_hh (G*H,)); the biases are None
    for a module built with bias=False.
    """
    w_ih, w_hh, b_ih, b_hh = _parameters(module, layer, reverse)
    return _as_numpy((w_ih.T, w_hh.T, b_ih, b_hh), dtype)


def numpy_gradients(module: nn.Module, layer: int = 0, reverse: bool = False,
                    dtype=np.float64) -> tuple[np.ndarray, ...]:
    """The ``.grad`` of the weights numpy_weights returns, in the same layout and order.

    Inputs and returns: as for numpy_weights (dWx, dWh, db_ih, db_hh); ValueError if a
    backward pass has not filled the gradients yet.
    """
    params = _parameters(module, layer, reverse)
    if any(p is not None and p.grad is None for p in params):
        raise ValueError("module has no gradients: call backward() first")
    w_ih, w_hh, b_ih, b_hh = (None if p is None else p.grad for p in params)
    return _as_numpy((w_ih.T, w_hh.T, b_ih, b_hh), dtype)


def load_numpy_weights(module: nn.Module, Wx, Wh, b_ih=None, b_hh=None, layer: int = 0,
                       reverse: bool = False) -> None:
    """Copy numpy weights (the layout of numpy_weights) into one layer and direction of module.

    Inputs:
    - module: as for numpy_weights.
    - Wx: (D, G*H); Wh: (H, G*H); b_ih, b_hh: (G*H,) each, or None to leave a bias unchanged.
    - layer, reverse: which layer and direction.

    ValueError if a shape does not match the module's parameter.
    """
    params = _parameters(module, layer, reverse)
    values = (Wx, Wh, b_ih, b_hh)
    names = ("Wx", "Wh", "b_ih", "b_hh")
    with torch.no_grad():
        for name, param, value in zip(names, params, values, strict=True):
            if value is None or param is None:
                continue
            value = np.asarray(value)
            tensor = torch.as_tensor(value.T if value.ndim == 2 else value)
            if tuple(tensor.shape) != tuple(param.shape):
                want = tuple(param.shape[::-1])
                raise ValueError(f"{name} must have shape {want}, got {value.shape}")
            param.copy_(tensor)
