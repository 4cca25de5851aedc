# WRONG: a plain softmax over every position, then the masked weights set to 0 (rows sum below 1).
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def masked_softmax(scores, mask=None):
    scores = np.asarray(scores, dtype=float)
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True) * mask
