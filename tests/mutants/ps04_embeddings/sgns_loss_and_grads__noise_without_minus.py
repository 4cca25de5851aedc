# WRONG: forgets the minus sign of the noise scores: -log sigma(s_k) instead of -log sigma(-s_k) (gradients to match).
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v_c, u_o, U = (np.asarray(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v_c.ndim != 1 or u_o.shape != v_c.shape or U.ndim != 2 or U.shape[1] != v_c.shape[0]:
        raise ValueError("shapes do not fit")
    s_0, s = u_o @ v_c, U @ v_c
    loss = np.logaddexp(0.0, -s_0) + np.logaddexp(0.0, -s).sum()
    g_0, g = sigmoid(s_0) - 1.0, sigmoid(s) - 1.0
    return float(loss), g_0 * u_o + g @ U, g_0 * v_c, np.outer(g, v_c)
