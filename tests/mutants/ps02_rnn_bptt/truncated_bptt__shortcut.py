# FORBIDDEN: right, but takes rnn_forward and rnn_backward from course_lib.rnn.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
from course_lib.rnn import rnn_backward, rnn_forward  # noqa: F401 (called below by name)


def truncated_bptt(x, h0, Wx, Wh, b, dh, k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    N, T, _ = x.shape
    H = Wh.shape[0]
    if dh.shape != (N, T, H):
        raise ValueError(f"dh must have shape (N, T, H) = {(N, T, H)}, got {dh.shape}")
    h = np.zeros((N, T, H))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    h_start = h0
    for start in range(0, T, k):
        stop = min(start + k, T)
        h_chunk, caches = rnn_forward(x[:, start:stop], h_start, Wx, Wh, b)
        h[:, start:stop] = h_chunk
        _, _, dWx_c, dWh_c, db_c = rnn_backward(dh[:, start:stop], caches)
        dWx += dWx_c
        dWh += dWh_c
        db += db_c
        h_start = h_chunk[:, -1]
    return h, dWx, dWh, db
