# WRONG: checks x, Wx and b only, so an h_prev of shape (1, H) is broadcast over the batch silently.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    if x.ndim != 2 or Wx.ndim != 2 or x.shape[1] != Wx.shape[0]:
        raise ValueError("x must be (N, D) and Wx (D, H)")
    if b.shape != (Wx.shape[1],):
        raise ValueError("b must have shape (H,)")
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)
