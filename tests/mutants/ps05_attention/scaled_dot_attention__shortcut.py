# FORBIDDEN: correct, but calls course_lib.attention.scaled_dot_product_attention (torch).
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def scaled_dot_attention(Q, K, V, mask=None):
    from course_lib.attention import scaled_dot_product_attention

    for name, value in (("Q", Q), ("K", K), ("V", V)):
        if np.ndim(value) != 3:
            raise ValueError(f"{name} must be 3-D, got shape {np.shape(value)}")
    (N, Tq, d), Tk = Q.shape, K.shape[1]
    if K.shape != (N, Tk, d) or V.shape[:2] != (N, Tk):
        raise ValueError("K must be (N, Tk, d) and V (N, Tk, dv)")
    if mask is not None:
        try:
            mask = torch.from_numpy(np.broadcast_to(np.asarray(mask, dtype=bool), (N, Tq, Tk)).copy())
        except ValueError:
            raise ValueError("mask must broadcast to (N, Tq, Tk)") from None
    context, weights = scaled_dot_product_attention(
        torch.from_numpy(Q), torch.from_numpy(K), torch.from_numpy(V), mask)
    return context.numpy(), weights.numpy()
