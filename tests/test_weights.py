"""course_lib.weights: torch recurrent weights <-> the numpy layout, checked by the numpy code."""

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.lstm import lstm_forward
from course_lib.torch_lstm_gru import GRU
from course_lib.weights import load_numpy_weights, numpy_gradients, numpy_weights


def test_numpy_lstm_with_converted_weights_matches_nn_lstm(rng):
    torch.manual_seed(0)
    layer = nn.LSTM(3, 4, batch_first=True, bidirectional=True).double()
    x = rng.normal(size=(2, 5, 3))
    want, _ = layer(torch.from_numpy(x))  # (2, 5, 8)
    Wx, Wh, b_ih, b_hh = numpy_weights(layer)  # the forward direction
    assert Wx.shape == (3, 16) and Wh.shape == (4, 16) and b_ih.shape == (16,)
    got, _ = lstm_forward(x, np.zeros((2, 4)), Wx, Wh, b_ih + b_hh)  # (2, 5, 4)
    np.testing.assert_allclose(got, want[:, :, :4].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 4, 2, bidirectional=True),
                                  lambda: nn.GRUCell(3, 4), lambda: GRU(3, 4, 2),
                                  lambda: nn.LSTM(3, 4, bias=False)])
def test_weights_load_back_and_gradients_follow_the_layout(make):
    torch.manual_seed(1)
    source, target = make().double(), make().double()
    layers = getattr(source, "num_layers", 1)
    directions = [False, True] if getattr(source, "bidirectional", False) else [False]
    for layer in range(layers):
        for reverse in directions:
            weights = numpy_weights(source, layer, reverse)
            load_numpy_weights(target, *weights, layer=layer, reverse=reverse)
    for (name, p), q in zip(source.named_parameters(), target.parameters(), strict=True):
        assert torch.equal(p, q), name
    x = torch.randn(2, 3, dtype=torch.float64) if hasattr(source, "weight_ih") else \
        torch.randn(2, 5, 3, dtype=torch.float64)
    out = source(x)
    (out if isinstance(out, torch.Tensor) else out[0]).sum().backward()
    dWx, dWh, *_ = numpy_gradients(source)
    suffix = "" if hasattr(source, "weight_ih") else "_l0"
    assert np.array_equal(dWx, getattr(source, "weight_ih" + suffix).grad.numpy().T)
    assert np.array_equal(dWh, getattr(source, "weight_hh" + suffix).grad.numpy().T)


def test_bad_arguments():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(TypeError, match="module must be a torch recurrent layer"):
        numpy_weights(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="module has no layer 1"):
        numpy_weights(lstm, layer=1)
    with pytest.raises(ValueError, match="a cell has one layer"):
        numpy_weights(nn.LSTMCell(3, 4), reverse=True)
    with pytest.raises(ValueError, match="module has no gradients"):
        numpy_gradients(lstm)
    with pytest.raises(ValueError, match=r"Wx must have shape \(3, 16\)"):
        load_numpy_weights(lstm, np.zeros((4, 16)), np.zeros((4, 16)))
