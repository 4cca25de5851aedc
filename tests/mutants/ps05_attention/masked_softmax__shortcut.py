# FORBIDDEN: correct, but calls course_lib.attention.masked_softmax_np.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def masked_softmax(scores, mask=None):
    from course_lib.attention import masked_softmax_np

    scores = np.asarray(scores, dtype=float)
    mask = None if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    return masked_softmax_np(scores, mask)
