"""Shared pytest set-up: quick mode, a private data cache, and no network."""

import os

import pytest

os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(0)
