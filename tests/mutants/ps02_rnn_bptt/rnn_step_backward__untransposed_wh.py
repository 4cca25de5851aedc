# WRONG: dh_prev = da @ Wh instead of da @ Wh.T (the shapes fit, the numbers do not).
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_step_backward(dh, cache):
    x, h_prev, Wx, Wh, h = cache
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of h, {h.shape}")
    da = dh * (1.0 - h**2)
    return da @ Wx.T, da @ Wh, x.T @ da, h_prev.T @ da, da.sum(axis=0)
