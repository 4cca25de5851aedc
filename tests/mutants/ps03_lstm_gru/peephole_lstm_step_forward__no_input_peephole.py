# WRONG: the input gate ignores its peephole p_i (the old visible test, with g = 0, missed this).
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def peephole_lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, p_i, p_f, p_o):
    H = np.shape(h_prev)[1]
    if any(np.shape(p) != (H,) for p in (p_i, p_f, p_o)):
        raise ValueError("peepholes must have shape (H,)")
    a = x @ Wx + h_prev @ Wh + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H] + p_f * c_prev)
    c = f * c_prev + i * np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :] + p_o * c)
    return o * np.tanh(c), c
