# WRONG: recomputes the weights from hidden @ v without the mask: padded keys get gradients.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def additive_attention_backward(dcontext, cache):
    query, keys, W_q, W_k, v, hidden, weights = cache
    N, T, Dk = keys.shape
    if np.shape(dcontext) != (N, Dk):
        raise ValueError(f"dcontext must have shape (N, Dk) = {(N, Dk)}, got {np.shape(dcontext)}")
    scores = hidden @ v
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)
    dweights = np.einsum("nd,ntd->nt", dcontext, keys)
    dkeys = weights[:, :, None] * dcontext[:, None, :]
    dscores = weights * (dweights - np.sum(weights * dweights, axis=1, keepdims=True))
    dv = np.einsum("nt,nta->a", dscores, hidden)
    dpre = dscores[:, :, None] * v * (1.0 - hidden**2)
    dkeys = dkeys + dpre @ W_k
    dquery_pre = dpre.sum(axis=1)
    dW_k = np.einsum("nta,ntd->ad", dpre, keys)
    return dquery_pre @ W_q, dkeys, dquery_pre.T @ query, dW_k, dv
