# WRONG: puts bias_ih + bias_hh in bx and zeros in bh, but r scales bh_n, so they must stay apart.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_params_from_torch(gru):
    if not isinstance(gru, nn.GRU):
        raise TypeError("gru must be an nn.GRU")
    if gru.num_layers != 1 or gru.bidirectional:
        raise ValueError("one layer, one direction")
    with torch.no_grad():
        Wx, Wh = gru.weight_ih_l0.T.double().numpy().copy(), gru.weight_hh_l0.T.double().numpy().copy()
        if not gru.bias:
            return Wx, Wh, np.zeros(Wx.shape[1]), np.zeros(Wx.shape[1])
        bx = (gru.bias_ih_l0 + gru.bias_hh_l0).double().numpy().copy()
    return Wx, Wh, bx, np.zeros_like(bx)
