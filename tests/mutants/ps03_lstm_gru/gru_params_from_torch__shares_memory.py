# WRONG: right values, but .detach().numpy() views share the GRU's memory (no copy).
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
def gru_params_from_torch(gru):
    if not isinstance(gru, nn.GRU):
        raise TypeError("gru must be an nn.GRU")
    if gru.num_layers != 1 or gru.bidirectional:
        raise ValueError("one layer, one direction")
    params = [gru.weight_ih_l0.T, gru.weight_hh_l0.T]
    if gru.bias:
        params += [gru.bias_ih_l0, gru.bias_hh_l0]
    else:
        params += [torch.zeros(3 * gru.hidden_size)] * 2
    return tuple(p.detach().numpy() for p in params)
