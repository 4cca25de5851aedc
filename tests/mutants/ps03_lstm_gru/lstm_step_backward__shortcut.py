# FORBIDDEN: correct, but rebuilds the library's cache and calls course_lib.lstm's backward.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def lstm_step_backward(dh, dc, cache):
    from course_lib.lstm import lstm_step_backward as backward

    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    if np.shape(dh) != np.shape(c) or np.shape(dc) != np.shape(c):
        raise ValueError("dh and dc must have the shape of c")
    return backward(dh, dc, (x, h_prev, c_prev, Wx, Wh, None, i, f, g, o, c, np.tanh(c)))
