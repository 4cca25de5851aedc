# WRONG: clips every array by its own norm, which changes the direction of the whole gradient.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def clip_grad_norm(grads, max_norm):
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    if len(grads) == 0:
        raise ValueError("grads must hold at least one array")
    total_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    clipped = {}
    for name, g in grads.items():
        norm = math.sqrt(float(np.sum(g * g)))
        clipped[name] = g * (max_norm / norm if norm > max_norm else 1.0)
    return clipped, total_norm
