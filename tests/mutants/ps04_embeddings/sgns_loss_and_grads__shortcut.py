# FORBIDDEN: correct, but calls course_lib.word2vec.sgns_loss on a two-matrix vocabulary built from the three arguments.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
from course_lib.word2vec import sgns_loss


def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v_c, u_o, U = (np.asarray(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v_c.ndim != 1 or u_o.shape != v_c.shape or U.ndim != 2 or U.shape[1] != v_c.shape[0]:
        raise ValueError("shapes do not fit")
    K, D = U.shape
    # the library's target is "center" (row 0 of W_out) and its input row 0 of W_in: the loss
    # is symmetric in the two roles, so u_o goes to W_out[0] and v_c to W_in[0]
    W_in = np.zeros((K + 1, D))
    W_in[0] = v_c
    W_out = np.vstack([u_o, U])
    loss, d_in, d_out = sgns_loss(W_in, W_out, 0, [0], list(range(1, K + 1)))
    return loss, d_in[0], d_out[0], d_out[1:]
