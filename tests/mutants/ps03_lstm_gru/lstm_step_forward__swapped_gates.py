# WRONG: reads the gate blocks in the order (f, i, g, o) instead of PyTorch's (i, f, g, o).
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = np.shape(h_prev)[1]
    if np.shape(c_prev) != np.shape(h_prev) or np.shape(b) != (4 * H,) or np.ndim(x) != 2:
        raise ValueError("shapes do not fit")
    a = x @ Wx + h_prev @ Wh + b
    f, i = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)
