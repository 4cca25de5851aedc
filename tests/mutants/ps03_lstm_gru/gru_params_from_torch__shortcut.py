# FORBIDDEN: correct, but copies the GRU with course_lib.torch_lstm_gru.GRU.from_torch first.
# ruff: noqa: F821 (a notebook cell: np, torch, nn, sigmoid come from the set-up cell)
from course_lib.torch_lstm_gru import GRU


def gru_params_from_torch(gru):
    if not isinstance(gru, nn.GRU):
        raise TypeError("gru must be an nn.GRU")
    if gru.num_layers != 1 or gru.bidirectional:
        raise ValueError("one layer, one direction")
    copy = GRU.from_torch(gru)
    zeros = torch.zeros(3 * gru.hidden_size)
    params = (copy.weight_ih_l0.T, copy.weight_hh_l0.T,
              copy.bias_ih_l0 if gru.bias else zeros, copy.bias_hh_l0 if gru.bias else zeros)
    return tuple(p.detach().double().numpy().copy() for p in params)
