# WRONG: forgets the tanh derivative 1 - h^2 (backpropagates as if h were the affine map).
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_step_backward(dh, cache):
    x, h_prev, Wx, Wh, h = cache
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of h, {h.shape}")
    da = dh
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
