# WRONG: multiplies the n block of the input side by r too, as if r scaled a^x_n as well.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_step_backward(dh, cache):
    x, h_prev, Wx, Wh, r, z, n, ah_n = cache
    if np.shape(dh) != np.shape(h_prev):
        raise ValueError("dh must have the shape of h_prev")
    da_n = dh * (1 - z) * (1 - n**2)
    da_z = dh * (h_prev - n) * z * (1 - z)
    da_r = da_n * ah_n * r * (1 - r)
    da = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dh_prev = dh * z + da @ Wh.T
    return da @ Wx.T, dh_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0), da.sum(axis=0)
