# WRONG: the loss is right, but dscores is not zeroed at the masked (padding) positions.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def temporal_softmax_loss(scores, y, mask):
    if scores.ndim != 3:
        raise ValueError(f"scores must be (N, T, V), got shape {scores.shape}")
    N, T, V = scores.shape
    for name, array in (("y", y), ("mask", mask)):
        if array.shape != (N, T):
            raise ValueError(f"{name} must have shape (N, T) = {(N, T)}, got {array.shape}")
    count = int(mask.sum())
    if count == 0:
        raise ValueError("mask must have at least one True entry")
    shifted = scores - scores.max(axis=2, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    rows, steps = np.indices((N, T))
    loss = -np.sum(log_probs[rows, steps, y] * mask) / count
    dscores = np.exp(log_probs)
    dscores[rows, steps, y] -= 1.0
    return float(loss), dscores / count
