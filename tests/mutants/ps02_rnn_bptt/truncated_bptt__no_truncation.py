# WRONG: ignores k: one forward and one backward pass over the whole sequence (full BPTT).
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def truncated_bptt(x, h0, Wx, Wh, b, dh, k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    N, T, _ = x.shape
    H = Wh.shape[0]
    if dh.shape != (N, T, H):
        raise ValueError(f"dh must have shape (N, T, H) = {(N, T, H)}, got {dh.shape}")
    h, caches = rnn_forward(x, h0, Wx, Wh, b)
    _, _, dWx, dWh, db = rnn_backward(dh, caches)
    return h, dWx, dWh, db
