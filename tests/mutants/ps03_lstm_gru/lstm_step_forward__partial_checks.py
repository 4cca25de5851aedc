# WRONG: right values, but only checks c_prev: a (1, 4H) bias or a 1-D x is broadcast silently.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = np.shape(h_prev)[1]
    if np.shape(c_prev) != np.shape(h_prev):
        raise ValueError("c_prev must have the shape of h_prev")
    a = x @ Wx + h_prev @ Wh + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)
