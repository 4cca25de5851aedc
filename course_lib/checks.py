"""Argument checks shared by the numpy implementations: every bad input raises an error that names
the argument and says what was expected."""

from __future__ import annotations

import numpy as np


def check_float_array(name: str, a, ndim: int | None = None) -> None:
    """TypeError unless ``a`` is a floating numpy array; ValueError unless it has ``ndim`` axes.

    Inputs:
    - name: the argument's name, used in the message.
    - a: the value to check.
    - ndim: the required number of dimensions, or None for any.
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype, got {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")


def check_shape(name: str, a: np.ndarray, shape: tuple, desc: str) -> None:
    """Raise ValueError unless ``a.shape`` matches ``shape`` (an entry None matches any size).

    ``desc`` is the expected shape in words, e.g. "(N, D)", repeated in the message.
    """
    same_ndim = a.ndim == len(shape)
    if not same_ndim or any(s not in (None, n) for s, n in zip(shape, a.shape, strict=True)):
        wanted = tuple("?" if s is None else s for s in shape)
        raise ValueError(f"{name} must have shape {desc} = {wanted}, got {a.shape}")


def check_array(name: str, a, shape: tuple, desc: str) -> None:
    """A floating numpy array of the given shape: ``check_float_array`` then ``check_shape``."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape {desc}, got {type(a).__name__}")
    check_float_array(name, a)
    check_shape(name, a, shape, desc)


def check_positive_int(name: str, value) -> None:
    """Raise ValueError unless ``value`` is an int >= 1 (a bool is not accepted)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def check_seed(seed) -> None:
    """Raise TypeError unless ``seed`` is an int (a bool is not accepted)."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
