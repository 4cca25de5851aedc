# WRONG: einsum with the axes of Q and K swapped: each key's weights are normalised over the queries.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def scaled_dot_attention(Q, K, V, mask=None):
    for name, value in (("Q", Q), ("K", K), ("V", V)):
        if np.ndim(value) != 3:
            raise ValueError(f"{name} must be 3-D, got shape {np.shape(value)}")
    (N, Tq, d), Tk = Q.shape, K.shape[1]
    if K.shape != (N, Tk, d) or V.shape[:2] != (N, Tk):
        raise ValueError("K must be (N, Tk, d) and V (N, Tk, dv)")
    scores = np.einsum("nkd,nqd->nkq", K, Q) / math.sqrt(d)  # (N, Tk, Tq)
    mask = np.ones((N, Tq, Tk), dtype=bool) if mask is None else mask
    try:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (N, Tq, Tk)).transpose(0, 2, 1)
    except ValueError:
        raise ValueError("mask must broadcast to (N, Tq, Tk)") from None
    filled = np.where(mask, scores, -np.inf)
    top = np.max(filled, axis=-1, keepdims=True)
    exp = np.exp(filled - np.where(np.isfinite(top), top, 0.0))
    total = exp.sum(axis=-1, keepdims=True)
    weights = (exp / np.where(total > 0, total, 1.0)).transpose(0, 2, 1)  # (N, Tq, Tk)
    return weights @ V, weights
