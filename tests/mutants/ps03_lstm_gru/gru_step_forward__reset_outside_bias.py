# WRONG: n = tanh(a_n^x + r * (h_prev Wh_n) + bh_n), the reset gate does not scale the bias bh_n.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    H = np.shape(h_prev)[1]
    if np.ndim(x) != 2 or np.shape(bx) != (3 * H,) or np.shape(bh) != (3 * H,):
        raise ValueError("shapes do not fit")
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
    ah_n = h_prev @ Wh[:, 2 * H :]
    n = np.tanh(ax[:, 2 * H :] + r * ah_n + bh[2 * H :])
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, ah_n + bh[2 * H :])
