# WRONG: the weight gradients are overwritten by every chunk instead of summed over the chunks.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def truncated_bptt(x, h0, Wx, Wh, b, dh, k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    N, T, _ = x.shape
    H = Wh.shape[0]
    if dh.shape != (N, T, H):
        raise ValueError(f"dh must have shape (N, T, H) = {(N, T, H)}, got {dh.shape}")
    h = np.zeros((N, T, H))
    h_start = h0
    for start in range(0, T, k):
        stop = min(start + k, T)
        h_chunk, caches = rnn_forward(x[:, start:stop], h_start, Wx, Wh, b)
        h[:, start:stop] = h_chunk
        _, _, dWx, dWh, db = rnn_backward(dh[:, start:stop], caches)
        h_start = h_chunk[:, -1]
    return h, dWx, dWh, db
