# WRONG: multiplies by Wh transposed (h_prev @ Wh.T), the column-vector formula copied as is.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    if x.ndim != 2 or Wx.ndim != 2 or x.shape[1] != Wx.shape[0]:
        raise ValueError("x must be (N, D) and Wx (D, H)")
    N, H = x.shape[0], Wx.shape[1]
    for name, array, shape in (("h_prev", h_prev, (N, H)), ("Wh", Wh, (H, H)), ("b", b, (H,))):
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}")
    h = np.tanh(x @ Wx + h_prev @ Wh.T + b)
    return h, (x, h_prev, Wx, Wh, h)
