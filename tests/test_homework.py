"""The helpers the homework set-up cells import."""

import numpy as np
import pytest

from course_lib.homework import max_error, raises, replacing, same_shape_and_close


def test_raises_only_the_given_error():
    def boom(kind):
        raise kind("x")

    assert raises(ValueError, boom, ValueError)
    assert raises((ValueError, TypeError), boom, TypeError)
    assert not raises(ValueError, boom, KeyError)
    assert not raises(ValueError, lambda: 1)


def test_replacing_restores_and_removes():
    namespace = {"f": 1}
    with replacing(namespace, f=2, g=3):
        assert namespace == {"f": 2, "g": 3}
    assert namespace == {"f": 1}
    with pytest.raises(RuntimeError), replacing(namespace, f=5):
        raise RuntimeError
    assert namespace == {"f": 1}


def test_same_shape_and_close_refuses_broadcasting():
    assert same_shape_and_close(np.ones(3), np.ones(3))
    assert not same_shape_and_close(np.ones((1, 3)), np.ones(3))
    assert not same_shape_and_close(np.ones(3), np.zeros(3))
    assert "shape" in max_error(np.ones((1, 3)), np.ones(3))
    assert "1.00e+00" in max_error(np.ones(3), np.zeros(3))
