"""course_lib.torch_rnn.RNN against torch.nn.RNN (outputs and gradients, padded batches too)
and a hand loop."""

import pytest
import torch

from course_lib.torch_rnn import RNN

ATOL = 1e-10


def _pair(num_layers, bidirectional, batch_first=True, D=3, H=4):
    torch.manual_seed(0)
    ref = torch.nn.RNN(D, H, num_layers, batch_first=batch_first,
                       bidirectional=bidirectional).double()
    return RNN.from_torch(ref), ref


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [True, False])
def test_matches_nn_rnn_outputs_and_gradients(num_layers, bidirectional, batch_first):
    ours, ref = _pair(num_layers, bidirectional, batch_first)
    assert ours.weight_ih_l0.dtype == torch.float64
    dirs = 2 if bidirectional else 1
    B, T = 2, 5
    shape = (B, T, 3) if batch_first else (T, B, 3)
    x = torch.randn(shape, dtype=torch.float64)
    h0 = torch.randn(num_layers * dirs, B, 4, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h_n = ours(x1, h0)
    ref_out, ref_h = ref(x2, h0)
    assert out.shape == ref_out.shape == (shape[:2] + (4 * dirs,))
    assert torch.allclose(out, ref_out, atol=ATOL, rtol=0)
    assert torch.allclose(h_n, ref_h, atol=ATOL, rtol=0)

    upstream = torch.randn_like(out)
    ((out * upstream).sum() + h_n.pow(2).sum()).backward()
    ((ref_out * upstream).sum() + ref_h.pow(2).sum()).backward()
    assert torch.allclose(x1.grad, x2.grad, atol=ATOL, rtol=0)
    ref_params = dict(ref.named_parameters())
    assert set(dict(ours.named_parameters())) == set(ref_params)
    for name, p in ours.named_parameters():
        assert torch.allclose(p.grad, ref_params[name].grad, atol=ATOL, rtol=0), name


def test_default_h0_is_zeros_and_odd_shapes():
    ours, ref = _pair(1, True, D=5, H=2)
    x = torch.randn(1, 1, 5, dtype=torch.float64)  # B=1, T=1, D != H
    out, h_n = ours(x)
    ref_out, ref_h = ref(x)
    assert torch.allclose(out, ref_out, atol=ATOL) and torch.allclose(h_n, ref_h, atol=ATOL)


def test_weights_load_both_ways():
    torch.manual_seed(1)
    ours = RNN(3, 4, num_layers=2, bidirectional=True).double()
    ref = torch.nn.RNN(3, 4, 2, batch_first=True, bidirectional=True).double()
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    assert torch.allclose(ours(x)[0], ref(x)[0], atol=ATOL)


def test_residual_matches_hand_loop():
    torch.manual_seed(2)
    rnn = RNN(3, 5, residual=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    h0 = torch.randn(1, 2, 5, dtype=torch.float64)
    out, h_n = rnn(x, h0)
    h, expected = h0[0], []
    for t in range(6):
        h = h + torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                           + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        expected.append(h)
    assert torch.allclose(out, torch.stack(expected, 1), atol=ATOL)
    assert torch.allclose(h_n[0], h, atol=ATOL)
    plain = RNN(3, 5).double()
    plain.load_state_dict(rnn.state_dict())
    assert not torch.allclose(plain(x, h0)[0], out)  # the shortcut changes the result


def test_residual_keeps_gradient_alive_over_time():
    """With small recurrent weights, dh_T/dh_0 vanishes for tanh but not for the residual step."""
    torch.manual_seed(3)
    norms = {}
    for residual in (False, True):
        rnn = RNN(2, 8, residual=residual).double()
        with torch.no_grad():
            for p in rnn.parameters():
                p.mul_(0.1)
        h0 = torch.zeros(1, 1, 8, dtype=torch.float64, requires_grad=True)
        _, h_n = rnn(torch.randn(1, 40, 2, dtype=torch.float64), h0)
        h_n.sum().backward()
        norms[residual] = h0.grad.norm().item()
    assert norms[False] < 1e-10 < 1.0 < norms[True]


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(4)
    rnn = RNN(3, 4, num_layers=2, dropout=0.5).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    rnn.eval()
    assert torch.equal(rnn(x)[0], rnn(x)[0])
    rnn.train()
    assert not torch.equal(rnn(x)[0], rnn(x)[0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        RNN(3, 0)
    with pytest.raises(ValueError, match="dropout must be a number in"):
        RNN(3, 4, dropout=1.0)
    rnn = RNN(3, 4)
    with pytest.raises(ValueError, match=r"with input_size = 3"):
        rnn(torch.randn(2, 5, 4))
    with pytest.raises(TypeError, match="x must have the parameters' dtype"):
        rnn(torch.ones(2, 5, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T = 5\]"):
        rnn(torch.randn(2, 5, 3), lengths=[0, 5])
    with pytest.raises(ValueError, match="h0 must have shape"):
        rnn(torch.randn(2, 5, 3), torch.zeros(1, 3, 4))
    with pytest.raises(TypeError, match="module must be a torch.nn.RNN"):
        RNN.from_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="nonlinearity='tanh'"):
        RNN.from_torch(torch.nn.RNN(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_batch_matches_packed_nn_rnn(num_layers, bidirectional):
    """With lengths, every sequence gets what nn.RNN gives on the packed batch: outputs (zeros at
    padding), final states at each sequence's own end in both directions, and gradients."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    ours, ref = _pair(num_layers, bidirectional)
    lengths = torch.tensor([5, 2, 4])
    x = torch.randn(3, 5, 3, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h_n = ours(x1, lengths=lengths)
    packed = pack_padded_sequence(x2, lengths, batch_first=True, enforce_sorted=False)
    ref_packed, ref_h = ref(packed)
    ref_out, _ = pad_packed_sequence(ref_packed, batch_first=True, total_length=5)
    assert torch.allclose(out, ref_out, atol=ATOL) and torch.allclose(h_n, ref_h, atol=ATOL)
    upstream = torch.randn_like(out)
    ((out * upstream).sum() + h_n.sum()).backward()
    ((ref_out * upstream).sum() + ref_h.sum()).backward()
    assert torch.allclose(x1.grad, x2.grad, atol=ATOL)
    ours_packed, ours_h = ours(packed)  # a PackedSequence in, a PackedSequence out
    assert torch.allclose(ours_packed.data, ref_packed.data, atol=ATOL)
    assert torch.allclose(ours_h, ref_h, atol=ATOL)
