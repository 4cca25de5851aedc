# WRONG: the mask is ignored: the padded keys get weight too.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def additive_attention_forward(query, keys, W_q, W_k, v, mask=None):
    if np.ndim(query) != 2 or np.ndim(keys) != 3 or np.ndim(W_q) != 2:
        raise ValueError("query must be (N, Dq), keys (N, T, Dk), W_q (A, Dq)")
    (N, T, Dk), Dq, A = keys.shape, query.shape[1], W_q.shape[0]
    expected = {"query": (N, Dq), "W_q": (A, Dq), "W_k": (A, Dk), "v": (A,)}
    for (name, shape), value in zip(expected.items(), (query, W_q, W_k, v)):
        if np.shape(value) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {np.shape(value)}")
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    if np.shape(mask) != (N, T):
        raise ValueError(f"mask must have shape (N, T) = {(N, T)}, got {np.shape(mask)}")
    hidden = np.tanh(keys @ W_k.T + (query @ W_q.T)[:, None, :])
    scores = hidden @ v
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = exp / exp.sum(axis=1, keepdims=True)
    context = np.einsum("nt,ntd->nd", weights, keys)
    return context, weights, (query, keys, W_q, W_k, v, hidden, weights)
