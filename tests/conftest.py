"""Shared pytest set-up: quick mode, a headless plotting backend, and no downloads.

The processed-corpus cache stays the user's (``course_lib.config.data_dir()``) so it is built once;
tests of the cache logic itself point ``COURSE_DATA_DIR`` at a temporary folder.
"""

import os

import pytest

os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("COURSE_OFFLINE", "1")


try:  # small models on a shared 2-core machine run fastest on one thread
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(0)
