"""Gradient clipping: the standard fix for exploding gradients in recurrent networks.

Two ways to clip a gradient g (all the parameters' gradients together):

- by value (per element):   g_i <- min(max(g_i, -c), c). Simple, but it changes the direction of g.
- by global norm:           ||g|| = sqrt(sum over every parameter array of sum(g^2));
                            if ||g|| > max_norm:  g <- g * max_norm / ||g||.
  The direction is kept and only the step length is capped; this is what practitioners use.

The numpy functions (clip_grad_norm, clip_grad_value) take a list, tuple or dict of arrays and
return new arrays in a container of the same kind. The torch functions with a trailing underscore
(clip_grad_norm_, clip_grad_value_) change the ``.grad`` of torch parameters in place, like
torch.nn.utils.clip_grad_norm_ and clip_grad_value_, and give the same numbers: the scale factor
is max_norm / (||g|| + 1e-6), capped at 1.

References: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural
networks" (clipping by norm); Mikolov (2012) thesis (clipping by value).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

EPS = 1e-6  # added to the norm before dividing, as torch does


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _as_named_arrays(grads) -> list[tuple[object, np.ndarray]]:
    """(key, array) pairs of a list/tuple/dict of float numpy arrays, validated."""
    if isinstance(grads, dict):
        items = list(grads.items())
    elif isinstance(grads, list | tuple):
        items = list(enumerate(grads))
    else:
        raise TypeError(f"grads must be a list, tuple or dict of numpy arrays, got "
                        f"{type(grads).__name__}")
    if not items:
        raise ValueError("grads must hold at least one array")
    for key, g in items:
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"grads[{key!r}] must be a floating numpy array, got "
                            f"{getattr(g, 'dtype', type(g).__name__)}")
    return items


def _rebuild(grads, arrays: list[np.ndarray]):
    """A container of the same kind as grads holding arrays (in the same order)."""
    if isinstance(grads, dict):
        return dict(zip(grads.keys(), arrays, strict=True))
    return type(grads)(arrays)


def _scale(total_norm: float, max_norm: float) -> float:
    return min(1.0, max_norm / (total_norm + EPS))


def global_norm(grads) -> float:
    """sqrt of the sum of squares of every entry of every array in grads (list/tuple/dict)."""
    squares = (np.sum(g.astype(np.float64) ** 2) for _, g in _as_named_arrays(grads))
    return float(np.sqrt(sum(squares)))


def clip_grad_norm(grads, max_norm: float):
    """Rescale all gradients together so that their global L2 norm is at most max_norm.

    Inputs:
    - grads: list, tuple or dict of floating numpy arrays (any shapes).
    - max_norm: positive float.

    Returns a tuple of:
    - clipped: container of the same kind with new arrays (the inputs are not changed).
    - total_norm: the global norm BEFORE clipping (handy for plotting exploding gradients).
    """
    max_norm = _check_positive("max_norm", max_norm)
    total_norm = global_norm(grads)
    factor = _scale(total_norm, max_norm)
    return _rebuild(grads, [g * factor for _, g in _as_named_arrays(grads)]), total_norm


def clip_grad_value(grads, clip: float):
    """Clip every gradient entry into [-clip, clip].

    Inputs:
    - grads: list, tuple or dict of floating numpy arrays.
    - clip: positive float.

    Returns:
    - clipped: container of the same kind with new arrays.
    """
    clip = _check_positive("clip", clip)
    return _rebuild(grads, [np.clip(g, -clip, clip) for _, g in _as_named_arrays(grads)])


def _torch_grads(parameters) -> list:
    """The existing .grad tensors of an iterable of torch parameters (or of one tensor)."""
    import torch

    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if not isinstance(parameters, Iterable):
        raise TypeError(f"parameters must be a tensor or an iterable of tensors, got "
                        f"{type(parameters).__name__}")
    return [p.grad for p in parameters if p.grad is not None]


def grad_norm(parameters) -> float:
    """Global L2 norm of the ``.grad`` of torch parameters (0.0 when none has a gradient).

    Inputs:
    - parameters: a tensor or an iterable of tensors (e.g. model.parameters()).

    Returns:
    - total_norm: float, computed in float64.
    """
    return _torch_norm(_torch_grads(parameters))


def _torch_norm(grads: list) -> float:
    """Global L2 norm of a list of gradient tensors, in float64 (0.0 for an empty list)."""
    if not grads:
        return 0.0
    squares = sum(float(g.detach().double().pow(2).sum()) for g in grads)
    return float(np.sqrt(squares))


def clip_grad_norm_(parameters, max_norm: float) -> float:
    """In place: rescale the ``.grad`` of torch parameters so that their global norm <= max_norm.

    Inputs:
    - parameters: a tensor or an iterable of tensors (e.g. model.parameters()); those without a
      gradient are skipped.
    - max_norm: positive float.

    Returns:
    - total_norm: float, the global norm before clipping (0.0 when no parameter has a gradient).
    """
    import torch

    max_norm = _check_positive("max_norm", max_norm)
    grads = _torch_grads(parameters)
    total_norm = _torch_norm(grads)
    factor = _scale(total_norm, max_norm)
    with torch.no_grad():
        for g in grads:
            g.mul_(factor)
    return total_norm


def clip_grad_value_(parameters, clip: float) -> None:
    """In place: clip every entry of the ``.grad`` of torch parameters into [-clip, clip].

    Inputs:
    - parameters: a tensor or an iterable of tensors.
    - clip: positive float.
    """
    import torch

    clip = _check_positive("clip", clip)
    with torch.no_grad():
        for g in _torch_grads(parameters):
            g.clamp_(-clip, clip)
