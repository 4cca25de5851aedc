# WRONG: the numbers are right, but it rescales the caller's arrays in place.
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def clip_grad_norm(grads, max_norm):
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    if len(grads) == 0:
        raise ValueError("grads must hold at least one array")
    total_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    for g in grads.values():
        g *= scale
    return dict(grads), total_norm
