# WRONG: normalises over the first axis (the batch) instead of the last one (the positions).
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def masked_softmax(scores, mask=None):
    scores = np.asarray(scores, dtype=float)
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    filled = np.where(mask, scores, -np.inf)
    top = np.max(filled, axis=0, keepdims=True)
    exp = np.exp(filled - np.where(np.isfinite(top), top, 0.0))
    total = exp.sum(axis=0, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)
