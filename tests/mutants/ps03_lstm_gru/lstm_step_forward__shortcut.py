# FORBIDDEN: correct, but calls course_lib.lstm.lstm_step_forward and reshapes its cache.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
import course_lib.lstm


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    h, c, cache = course_lib.lstm.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    return h, c, cache[:5] + cache[6:11]
