# FORBIDDEN: correct, but calls course_lib.attention.attention_np with the additive score.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def additive_attention_forward(query, keys, W_q, W_k, v, mask=None):
    from course_lib.attention import attention_np

    if np.ndim(query) != 2 or np.ndim(keys) != 3 or np.ndim(W_q) != 2:
        raise ValueError("query must be (N, Dq), keys (N, T, Dk), W_q (A, Dq)")
    (N, T, Dk), Dq, A = keys.shape, query.shape[1], W_q.shape[0]
    expected = {"query": (N, Dq), "W_q": (A, Dq), "W_k": (A, Dk), "v": (A,)}
    for (name, shape), value in zip(expected.items(), (query, W_q, W_k, v)):
        if np.shape(value) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {np.shape(value)}")
    if mask is not None and np.shape(mask) != (N, T):
        raise ValueError(f"mask must have shape (N, T) = {(N, T)}, got {np.shape(mask)}")
    params = {"W1": W_k, "W2": W_q, "v": v}
    context, weights, cache = attention_np(query, keys, mask, "additive", params)
    hidden = cache[0][4][:, 0]  # the library's (N, 1, T, A) tanh layer
    return context, weights, (query, keys, W_q, W_k, v, hidden, weights)
