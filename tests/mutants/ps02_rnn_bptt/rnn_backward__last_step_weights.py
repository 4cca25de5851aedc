# WRONG: dWh is overwritten at every step instead of summed, so only step 0's term is kept.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_backward(dh, cache):
    if len(cache) == 0:
        raise ValueError("cache must hold at least one step")
    if dh.ndim != 3 or dh.shape[1] != len(cache):
        raise ValueError(f"dh must be (N, T, H) with T = len(cache), got {dh.shape}")
    N, T, H = dh.shape
    _, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, Wx.shape[0]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dWx += dWx_t
        dWh = dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db
