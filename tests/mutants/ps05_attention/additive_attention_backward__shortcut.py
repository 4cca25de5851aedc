# FORBIDDEN: correct, but calls course_lib.attention.attention_backward_np on a cache in its format.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def additive_attention_backward(dcontext, cache):
    from course_lib.attention import attention_backward_np

    query, keys, W_q, W_k, v, hidden, weights = cache
    N, T, Dk = keys.shape
    if np.shape(dcontext) != (N, Dk):
        raise ValueError(f"dcontext must have shape (N, Dk) = {(N, Dk)}, got {np.shape(dcontext)}")
    params = {"W1": W_k, "W2": W_q, "v": v}
    score_cache = ("additive", query[:, None], keys, params, hidden[:, None])
    dquery, dkeys, dparams = attention_backward_np(dcontext, (score_cache, weights[:, None], keys, True))
    return dquery, dkeys, dparams["W2"], dparams["W1"], dparams["v"]
