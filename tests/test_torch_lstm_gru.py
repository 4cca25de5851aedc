"""course_lib.torch_lstm_gru against torch.nn.LSTM / nn.GRU (outputs, states, gradients) and
against the numpy LSTM (peepholes)."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.gradcheck import rel_error
from course_lib.lstm import lstm_backward, lstm_forward
from course_lib.torch_lstm_gru import GRU, LSTM
from course_lib.weights import numpy_gradients, numpy_weights

PAIRS = [(nn.LSTM, LSTM), (nn.GRU, GRU)]
TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-4}, torch.float64: {"atol": 1e-10, "rtol": 1e-10}}
B, T, D, H = 4, 6, 3, 5
LENGTHS = torch.tensor([6, 2, 5, 1])  # unsorted, with a length-1 sequence


def make_pair(torch_cls, ours_cls, dtype=torch.float64, **kwargs):
    torch.manual_seed(0)
    reference = torch_cls(D, H, batch_first=kwargs.pop("batch_first", True), **kwargs).to(dtype)
    return reference, ours_cls.from_torch(reference)


def initial_state(torch_cls, layers, dirs, dtype):
    g = torch.Generator().manual_seed(1)
    shape = (layers * dirs, B, H)
    h0 = torch.randn(shape, generator=g, dtype=dtype, requires_grad=True)
    if torch_cls is nn.GRU:
        return h0
    return h0, torch.randn(shape, generator=g, dtype=dtype, requires_grad=True)


def as_list(state):
    return list(state) if isinstance(state, tuple) else [state]


def run_and_backward(module, x, state, lengths=None):
    """Forward, then backward of a fixed random loss on outputs and final states.

    Returns (out, final states as a list, {parameter name / "x" / "state<i>": gradient}).
    """
    x = x.detach().clone().requires_grad_(True)
    state = [s.detach().clone().requires_grad_(True) for s in as_list(state)]
    packed_state = state[0] if len(state) == 1 else tuple(state)
    if lengths is None:
        out, final = module(x, packed_state)
    elif isinstance(module, (nn.LSTM, nn.GRU)):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, final = module(packed, packed_state)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    else:
        out, final = module(x, packed_state, lengths=lengths)
    final = as_list(final)
    g = torch.Generator().manual_seed(2)
    loss = sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum() for t in [out, *final])
    module.zero_grad()
    loss.backward()
    grads = {name: p.grad for name, p in module.named_parameters()}
    grads["x"] = x.grad
    grads.update({f"state{i}": s.grad for i, s in enumerate(state)})
    return out, final, grads


def assert_same(ours, reference, dtype):
    out_o, final_o, grads_o = ours
    out_r, final_r, grads_r = reference
    torch.testing.assert_close(out_o, out_r, **TOL[dtype])
    for a, b in zip(final_o, final_r, strict=True):
        torch.testing.assert_close(a, b, **TOL[dtype])
    assert grads_o.keys() == grads_r.keys()
    for name in grads_r:
        torch.testing.assert_close(grads_o[name], grads_r[name], **TOL[dtype], msg=name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("torch_cls,ours_cls", PAIRS)
def test_parity_with_torch(torch_cls, ours_cls, layers, bidirectional, dtype):
    reference, ours = make_pair(torch_cls, ours_cls, dtype, num_layers=layers,
                                bidirectional=bidirectional)
    x = torch.randn(B, T, D, dtype=dtype, generator=torch.Generator().manual_seed(3))
    state = initial_state(torch_cls, layers, 1 + bidirectional, dtype)
    result = run_and_backward(ours, x, state)
    assert result[0].shape == (B, T, H * (1 + bidirectional))
    assert result[1][0].shape == (layers * (1 + bidirectional), B, H)
    assert_same(result, run_and_backward(reference, x, state), dtype)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("torch_cls,ours_cls", PAIRS)
def test_padded_batch_matches_packed_sequence(torch_cls, ours_cls, layers, bidirectional):
    dtype = torch.float64
    reference, ours = make_pair(torch_cls, ours_cls, dtype, num_layers=layers,
                                bidirectional=bidirectional)
    x = torch.randn(B, T, D, dtype=dtype, generator=torch.Generator().manual_seed(4))
    state = initial_state(torch_cls, layers, 1 + bidirectional, dtype)
    result = run_and_backward(ours, x, state, LENGTHS)
    assert_same(result, run_and_backward(reference, x, state, LENGTHS), dtype)
    # padding neither shows in the outputs nor receives gradient
    assert torch.all(result[0][1, 2:] == 0)
    assert torch.all(result[2]["x"][1, 2:] == 0)


def test_padding_matters_without_lengths():
    """The check above can fail: ignoring the lengths changes the final states."""
    reference, ours = make_pair(nn.LSTM, LSTM, bidirectional=True)
    x = torch.randn(B, T, D, dtype=torch.float64)
    with torch.no_grad():
        _, (h_len, _) = ours(x, lengths=LENGTHS)
        _, (h_all, _) = ours(x)
    assert not torch.allclose(h_len, h_all)


@pytest.mark.parametrize("torch_cls,ours_cls", PAIRS)
def test_packed_sequence_in_packed_sequence_out(torch_cls, ours_cls):
    reference, ours = make_pair(torch_cls, ours_cls, num_layers=2, bidirectional=True)
    x = torch.randn(B, T, D, dtype=torch.float64)
    packed = pack_padded_sequence(x, LENGTHS, batch_first=True, enforce_sorted=False)
    with torch.no_grad():
        out_o, state_o = ours(packed)
        out_r, state_r = reference(packed)
    assert torch.equal(out_o.batch_sizes, out_r.batch_sizes)
    assert torch.equal(out_o.sorted_indices, out_r.sorted_indices)
    torch.testing.assert_close(out_o.data, out_r.data, **TOL[torch.float64])
    for a, b in zip(as_list(state_o), as_list(state_r), strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float64])


@pytest.mark.parametrize("torch_cls,ours_cls", PAIRS)
def test_time_major_and_no_bias(torch_cls, ours_cls):
    reference, ours = make_pair(torch_cls, ours_cls, batch_first=False, bias=False)
    assert not ours.batch_first and "bias_ih_l0" not in dict(ours.named_parameters())
    x = torch.randn(T, B, D, dtype=torch.float64)
    with torch.no_grad():
        out_o, state_o = ours(x)
        out_r, state_r = reference(x)
    assert out_o.shape == (T, B, H)
    torch.testing.assert_close(out_o, out_r, **TOL[torch.float64])
    for a, b in zip(as_list(state_o), as_list(state_r), strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float64])


@pytest.mark.parametrize("ours_cls,torch_cls", [(LSTM, nn.LSTM), (GRU, nn.GRU)])
def test_state_dict_loads_into_torch(ours_cls, torch_cls):
    torch.manual_seed(0)
    ours = ours_cls(D, H, num_layers=2, bidirectional=True)
    reference = torch_cls(D, H, num_layers=2, bidirectional=True, batch_first=True)
    reference.load_state_dict(ours.state_dict())  # strict: same names and shapes
    x = torch.randn(B, T, D)
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], reference(x)[0], **TOL[torch.float32])


def test_peephole_lstm_matches_numpy_lstm():
    """Peepholes have no torch.nn counterpart: compare with course_lib.lstm in float64."""
    torch.manual_seed(0)
    layer = LSTM(D, H, peephole=True).double()
    assert layer.weight_peephole_l0.shape == (3, H)
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)
    c0 = torch.zeros(1, B, H, dtype=torch.float64)
    dout = torch.randn(B, T, H, dtype=torch.float64)
    out, _ = layer(x, (h0, c0))
    out.backward(dout)

    p = tuple(layer.weight_peephole_l0.detach().numpy())
    Wx, Wh, b_ih, b_hh = numpy_weights(layer)
    h_np, cache = lstm_forward(x.detach().numpy(), h0[0].detach().numpy(), Wx, Wh, b_ih + b_hh,
                               peephole=p)
    dx, dh0, dWx, dWh, db, dp = lstm_backward(dout.numpy(), cache)
    assert rel_error(out.detach().numpy(), h_np) < 1e-10
    assert rel_error(x.grad.numpy(), dx) < 1e-8
    assert rel_error(h0.grad[0].numpy(), dh0) < 1e-8
    dWx_torch, dWh_torch, _, db_torch = numpy_gradients(layer)
    assert rel_error(dWx_torch, dWx) < 1e-8
    assert rel_error(dWh_torch, dWh) < 1e-8
    assert rel_error(db_torch, db) < 1e-8
    assert rel_error(layer.weight_peephole_l0.grad.numpy(), np.stack(dp)) < 1e-8


def test_zero_peepholes_give_the_plain_lstm():
    reference, plain = make_pair(nn.LSTM, LSTM, num_layers=2, bidirectional=True)
    peep = LSTM(D, H, num_layers=2, bidirectional=True, peephole=True).double()
    peep.load_state_dict(plain.state_dict(), strict=False)
    x = torch.randn(B, T, D, dtype=torch.float64)
    with torch.no_grad():
        for name, p in peep.named_parameters():
            if "peephole" in name:
                p.zero_()
        torch.testing.assert_close(peep(x)[0], reference(x)[0], **TOL[torch.float64])
        peep.weight_peephole_l0.fill_(0.5)
        assert not torch.allclose(peep(x)[0], reference(x)[0])


def test_dropout_between_layers_only_in_training():
    reference, ours = make_pair(nn.LSTM, LSTM, num_layers=2, dropout=0.5)
    x = torch.randn(B, T, D, dtype=torch.float64)
    ours.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], reference(x)[0], **TOL[torch.float64])
        ours.train()
        torch.manual_seed(5)
        first = ours(x)[0]
        torch.manual_seed(5)
        assert torch.equal(first, ours(x)[0])  # same seed, same numbers
        assert not torch.allclose(first, reference(x)[0])


def test_same_seed_same_weights():
    torch.manual_seed(7)
    a = GRU(D, H, num_layers=2)
    torch.manual_seed(7)
    b = GRU(D, H, num_layers=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    bound = 1 / H**0.5
    assert all(p.abs().max() <= bound for p in a.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="hidden_size"):
        LSTM(D, 0)
    with pytest.raises(ValueError, match="num_layers"):
        GRU(D, H, num_layers=1.5)
    with pytest.raises(ValueError, match="dropout"):
        LSTM(D, H, dropout=1.0)
    with pytest.raises(TypeError, match="module must be a torch.nn.LSTM"):
        LSTM.from_torch(nn.GRU(D, H))
    with pytest.raises(ValueError, match="proj_size"):
        LSTM.from_torch(nn.LSTM(D, 4, proj_size=2))
    layer = LSTM(D, H)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, input_size\)"):
        layer(torch.randn(B, T, D + 1))
    with pytest.raises(ValueError, match="x must have shape"):
        layer(torch.randn(T, D))
    with pytest.raises(TypeError, match="x must have the parameters' dtype"):
        layer(torch.randn(B, T, D, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        layer(np.zeros((B, T, D), dtype=np.float32))
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T"):
        layer(x, lengths=[6, 0, 2, 3])
    with pytest.raises(ValueError, match="lengths must hold 4 ints"):
        layer(x, lengths=[6, 2])
    with pytest.raises(ValueError, match="lengths must be None"):
        layer(pack_padded_sequence(x, LENGTHS, batch_first=True, enforce_sorted=False),
              lengths=LENGTHS)
    with pytest.raises(ValueError, match="state h0 must have shape"):
        layer(x, (torch.zeros(1, B + 1, H), torch.zeros(1, B, H)))
    with pytest.raises(ValueError, match="state c0 must have shape"):
        layer(x, (torch.zeros(1, B, H), torch.zeros(2, B, H)))
    with pytest.raises(TypeError, match=r"state must be None or a tuple \(h0, c0\)"):
        layer(x, torch.zeros(1, B, H))
    with pytest.raises(TypeError, match="state h0 must have dtype"):
        GRU(D, H)(x, torch.zeros(1, B, H, dtype=torch.float64))


@pytest.mark.parametrize("torch_cls,ours_cls", PAIRS)
def test_drop_in_recurrent_layer_of_the_language_model(torch_cls, ours_cls):
    """RecurrentLM (course_lib.lm) runs on our layer exactly as on torch's."""
    from course_lib.lm import RecurrentLM

    torch.manual_seed(0)
    reference = torch_cls(4, H, num_layers=2, batch_first=True)
    lm_torch = RecurrentLM(10, 4, H, cell=reference)
    lm_ours = RecurrentLM(10, 4, H, cell=ours_cls.from_torch(reference))
    lm_ours.load_state_dict(lm_torch.state_dict())
    tokens = torch.randint(0, 10, (B, T))
    with torch.no_grad():
        logits_o, state_o = lm_ours.forward_state(tokens)
        logits_r, state_r = lm_torch.forward_state(tokens)
    torch.testing.assert_close(logits_o, logits_r, **TOL[torch.float32])
    for a, b in zip(as_list(state_o), as_list(state_r), strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float32])


@pytest.mark.parametrize("peephole", [False, True])
def test_padded_peephole_lstm_passes_gradcheck(peephole):
    """Gradients through the time loop, padding and peepholes against finite differences."""
    torch.manual_seed(6)
    layer = LSTM(2, 2, bidirectional=True, peephole=peephole).double()
    x = torch.randn(3, 4, 2, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in layer.named_parameters()]
    weights = [p.detach().clone().requires_grad_() for p in layer.parameters()]
    lengths = torch.tensor([4, 2, 1])

    def run(x, *params):
        out, (h, c) = torch.func.functional_call(
            layer, dict(zip(names, params, strict=True)), (x,), {"lengths": lengths})
        return out, h, c

    assert torch.autograd.gradcheck(run, [x, *weights])


def test_peephole_padded_batch_matches_one_sequence_at_a_time():
    """Padding with peepholes (no torch.nn counterpart): each sequence alone, without padding."""
    torch.manual_seed(0)
    layer = LSTM(D, H, num_layers=2, bidirectional=True, peephole=True).double()
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    dout = torch.randn(B, T, 2 * H, dtype=torch.float64)
    dh = torch.randn(4, B, H, dtype=torch.float64)
    out, (h_n, c_n) = layer(x, lengths=LENGTHS)
    ((out * dout).sum() + (h_n * dh).sum() + c_n.sum()).backward()
    batch_grads = {name: p.grad.clone() for name, p in layer.named_parameters()}
    layer.zero_grad()
    for b, n in enumerate(LENGTHS.tolist()):
        x_b = x[b : b + 1, :n].detach().requires_grad_(True)
        out_b, (h_b, c_b) = layer(x_b)
        torch.testing.assert_close(out_b[0], out[b, :n], **TOL[torch.float64])
        torch.testing.assert_close(h_b[:, 0], h_n[:, b], **TOL[torch.float64])
        torch.testing.assert_close(c_b[:, 0], c_n[:, b], **TOL[torch.float64])
        ((out_b[0] * dout[b, :n]).sum() + (h_b[:, 0] * dh[:, b]).sum() + c_b.sum()).backward()
        torch.testing.assert_close(x_b.grad[0], x.grad[b, :n], **TOL[torch.float64])
    for name, p in layer.named_parameters():
        torch.testing.assert_close(p.grad, batch_grads[name], **TOL[torch.float64], msg=name)


def test_lstm_backward_twice_gives_the_same_gradients():
    """Nothing in the time loop is updated in place: a second backward pass (retain_graph) gives
    the same gradients."""
    torch.manual_seed(0)
    layer = LSTM(D, H, peephole=True).double()
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    out, _ = layer(x, lengths=LENGTHS)
    loss = (out**2).sum()
    first = torch.autograd.grad(loss, [x, *layer.parameters()], retain_graph=True)
    second = torch.autograd.grad(loss, [x, *layer.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
