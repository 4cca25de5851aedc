# WRONG: dc_prev = dc_total, the multiplication by the forget gate is missing.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    if np.shape(dh) != np.shape(c) or np.shape(dc) != np.shape(c):
        raise ValueError("dh and dc must have the shape of c")
    tanh_c = np.tanh(c)
    dc_total = dc + dh * o * (1 - tanh_c**2)
    da = np.concatenate([dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
                         dc_total * i * (1 - g**2), dh * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc_total, x.T @ da, h_prev.T @ da, da.sum(axis=0)
