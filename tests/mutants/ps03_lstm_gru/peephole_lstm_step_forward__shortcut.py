# FORBIDDEN: correct, but calls course_lib.lstm.lstm_step_forward with its peephole argument.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
from course_lib import lstm as reference


def peephole_lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, p_i, p_f, p_o):
    H = np.shape(h_prev)[1]
    if any(np.shape(p) != (H,) for p in (p_i, p_f, p_o)):
        raise ValueError("peepholes must have shape (H,)")
    return reference.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, peephole=(p_i, p_f, p_o))[:2]
