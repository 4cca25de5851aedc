# WRONG: dh_prev keeps only the path through the recurrent layer, not the direct z * dh.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_step_backward(dh, cache):
    x, h_prev, Wx, Wh, r, z, n, ah_n = cache
    if np.shape(dh) != np.shape(h_prev):
        raise ValueError("dh must have the shape of h_prev")
    da_n = dh * (1 - z) * (1 - n**2)
    da_z = dh * (h_prev - n) * z * (1 - z)
    da_r = da_n * ah_n * r * (1 - r)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)
    dah = np.concatenate([da_r, da_z, da_n * r], axis=1)
    return dax @ Wx.T, dah @ Wh.T, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0)
