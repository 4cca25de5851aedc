"""Numerical gradients by centred differences, for checking every hand-written backward pass.

For a function f and an upstream gradient dout (the gradient of some scalar loss L with respect to
f's output), the gradient of L with respect to an input x is, entry by entry,

    dL/dx_i  ~=  sum( dout * (f(x + h e_i) - f(x - h e_i)) ) / (2h),

which has error O(h^2). Use float64 inputs: with float32 the round-off swamps the difference.

Reference: CS231n assignment notes on gradient checking.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(
    f: Callable[[], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:
    """Gradient of ``sum(dout * f())`` with respect to ``x``, by centred differences.

    Inputs:
    - f: a function of no arguments that reads ``x`` (changed in place here) and returns an array
      of any shape, or a scalar.
    - x: float array of any shape; restored exactly before returning.
    - dout: upstream gradient, same shape as ``f()``; None means f returns a scalar (dout = 1).
    - h: step size.

    Returns:
    - grad: array with the shape of x.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must have a floating dtype, got {x.dtype}")
    if h <= 0:
        raise ValueError(f"h must be positive, got {h}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.array(f(), dtype=np.float64, copy=True)
        x[i] = old - h
        minus = np.array(f(), dtype=np.float64, copy=True)
        x[i] = old
        weight = 1.0 if dout is None else dout
        grad[i] = np.sum(weight * (plus - minus)) / (2 * h)
    return grad


def rel_error(a, b, eps: float = 1e-12) -> float:
    """Largest relative error max |a - b| / max(|a| + |b|, eps), entry by entry."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps), initial=0.0))
