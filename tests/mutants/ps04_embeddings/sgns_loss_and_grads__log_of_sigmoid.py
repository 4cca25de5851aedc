# WRONG: takes np.log(sigmoid(x)): sigma rounds to 0 for scores below about -40, and the loss is inf.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v_c, u_o, U = (np.asarray(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v_c.ndim != 1 or u_o.shape != v_c.shape or U.ndim != 2 or U.shape[1] != v_c.shape[0]:
        raise ValueError("shapes do not fit")
    s_0, s = u_o @ v_c, U @ v_c
    loss = -np.log(sigmoid(s_0)) - np.sum(np.log(sigmoid(-s)))
    g_0, g = sigmoid(s_0) - 1.0, sigmoid(s)
    return float(loss), g_0 * u_o + g @ U, g_0 * v_c, np.outer(g, v_c)
