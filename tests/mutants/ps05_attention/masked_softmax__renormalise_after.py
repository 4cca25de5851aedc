# WRONG: softmax over every position, masked, renormalised: a huge padded score starves the real ones.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def masked_softmax(scores, mask=None):
    scores = np.asarray(scores, dtype=float)
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))  # the max of every position
    weights = exp / exp.sum(axis=-1, keepdims=True) * mask
    total = weights.sum(axis=-1, keepdims=True)
    return weights / np.where(total > 0, total, 1.0)
