# WRONG: exponentiates the raw scores without subtracting the largest: scores of 1000 overflow.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def masked_softmax(scores, mask=None):
    scores = np.asarray(scores, dtype=float)
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    exp = np.where(mask, np.exp(scores), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)
