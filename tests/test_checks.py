import numpy as np
import pytest

from course_lib.checks import check_array, check_float_array, check_shape


def test_accepts_matching_arrays():
    check_float_array("x", np.zeros((2, 3)), 2)
    check_shape("x", np.zeros((2, 3)), (None, 3), "(N, D)")
    check_array("x", np.zeros((2, 3), dtype=np.float32), (2, None), "(N, D)")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: check_float_array("x", [1.0]), TypeError, "x must be a numpy array"),
        (lambda: check_float_array("x", np.arange(3)), TypeError, "x must have a floating dtype"),
        (lambda: check_float_array("x", np.zeros(3), 2), ValueError, "x must be 2-D"),
        (
            lambda: check_shape("W", np.zeros((2, 3)), (2, 4), "(D, H)"),
            ValueError,
            r"W must have shape \(D, H\) = \(2, 4\), got \(2, 3\)",
        ),
        (
            lambda: check_shape("W", np.zeros(3), (None, 3), "(D, H)"),
            ValueError,
            "W must have shape",
        ),
        (
            lambda: check_array("h", None, (1,), "(H,)"),
            TypeError,
            r"h must be a numpy array of shape",
        ),
    ],
)
def test_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
