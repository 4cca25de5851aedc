# WRONG: exponentiates without subtracting the largest logit, so large logits overflow to nan.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def top_k_temperature_probs(logits, temperature, k):
    z = np.asarray(logits, dtype=float)
    if z.ndim != 1 or z.size == 0 or not temperature > 0 or not 1 <= k <= z.size:
        raise ValueError("bad logits, temperature or k")
    keep = np.argsort(z)[-k:]
    weights = np.exp(z[keep] / temperature)
    probs = np.zeros_like(z)
    probs[keep] = weights / weights.sum()
    return probs
