# FORBIDDEN: right, but calls course_lib.sampling (imported at the top of the cell).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
from course_lib.sampling import apply_temperature, softmax, top_k_filter


def top_k_temperature_probs(logits, temperature, k):
    if np.ndim(logits) != 1:  # the library also takes a batch of rows (N, V)
        raise ValueError(f"logits must have shape (V,), got shape {np.shape(logits)}")
    if not 1 <= k <= np.size(logits):  # the library keeps min(k, V) entries instead
        raise ValueError(f"k must be an int in [1, {np.size(logits)}], got {k!r}")
    return softmax(top_k_filter(apply_temperature(logits, temperature), k))
