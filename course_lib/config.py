"""Run-time settings shared by the whole course: quick mode, seeding, device and data directory.

Quick mode (environment variable ``COURSE_QUICK=1``, set by CI) shrinks corpora and epochs so that
every notebook runs in seconds on a CPU; models must still visibly learn in quick mode.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np

_TRUE = {"1", "true", "yes", "on"}


def is_quick() -> bool:
    """True when ``COURSE_QUICK`` is set to 1/true/yes/on (read on every call)."""
    return os.environ.get("COURSE_QUICK", "").strip().lower() in _TRUE


def is_offline() -> bool:
    """True when ``COURSE_OFFLINE`` is set: downloads then fail at once with a clear message."""
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in _TRUE


def data_dir() -> Path:
    """Cache directory for processed and downloaded corpora.

    ``COURSE_DATA_DIR`` if set, else ``~/.cache/course_lib``. Created on first use.
    """
    root = os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_lib"
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python's, numpy's and (if installed) torch's generators; return a fresh numpy Generator.

    Same seed, same numbers: every notebook and training run starts with this call.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but keep numpy parts usable
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def get_device(prefer: str | None = None):
    """The torch device to train on: ``prefer`` if given, else CUDA when available, else CPU."""
    import torch

    if prefer is not None:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model):
    """The device of a model's parameters, where its inputs must go (CPU if it has none)."""
    import torch

    return next(model.parameters(), torch.empty(0)).device
