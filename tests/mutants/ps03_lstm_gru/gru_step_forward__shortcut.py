# FORBIDDEN: correct, but calls course_lib.gru.gru_step_forward.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    import course_lib.gru as gru

    return gru.gru_step_forward(x, h_prev, Wx, Wh, bx, bh)
