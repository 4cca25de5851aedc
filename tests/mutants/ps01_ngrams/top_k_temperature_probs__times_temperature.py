# WRONG: multiplies the logits by the temperature instead of dividing them.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def top_k_temperature_probs(logits, temperature, k):
    z = np.asarray(logits, dtype=float)
    if z.ndim != 1 or z.size == 0 or not temperature > 0 or not 1 <= k <= z.size:
        raise ValueError("bad logits, temperature or k")
    scaled = z * temperature
    keep = np.argsort(scaled)[-k:]
    weights = np.exp(scaled[keep] - scaled[keep].max())
    probs = np.zeros_like(scaled)
    probs[keep] = weights / weights.sum()
    return probs
