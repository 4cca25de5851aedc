# FORBIDDEN: correct, but calls course_lib.gru.gru_step_backward (same cache layout).
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
from course_lib.gru import gru_step_backward as library_backward


def gru_step_backward(dh, cache):
    if np.shape(dh) != np.shape(cache[1]):
        raise ValueError("dh must have the shape of h_prev")
    return library_backward(dh, cache)
