"""course_lib.rnn: every backward pass against numerical gradients AND torch autograd (float64)."""

import numpy as np
import pytest
import torch
from torch_refs import torch_reference

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.rnn import (
    PARAM_NAMES,
    init_rnn_lm_params,
    lm_loss_and_grads,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    tbptt_chunks,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)

TOL = 1e-8
# (N, T, D, H): odd shapes included: a single sequence, a single step, D != H
SHAPES = [(3, 4, 5, 6), (1, 1, 2, 3), (2, 5, 7, 2), (1, 3, 4, 4)]


def _params(rng, D, H):
    return (rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5,
            rng.standard_normal(H) * 0.1)


def _t(*arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def _torch_rnn(x, h0, Wx, Wh, b):
    """Reference: the RNN recurrence with torch ops, autograd does the BPTT."""
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return torch.stack(hs, dim=1)


# ----------------------------------------------------------------------------- one step
@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_step_forward_matches_rnn_cell(rng, N, T, D, H):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    cell = torch.nn.RNNCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(Wx.T))
        cell.weight_hh.copy_(torch.tensor(Wh.T))
        cell.bias_ih.copy_(torch.tensor(b))
        cell.bias_hh.zero_()
    h, _ = rnn_step_forward(x, h_prev, Wx, Wh, b)
    expected = cell(torch.tensor(x), torch.tensor(h_prev)).detach().numpy()
    assert rel_error(h, expected) < TOL


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_step_backward_numerical_and_autograd(rng, N, T, D, H):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    dh = rng.standard_normal((N, H))
    _, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    grads = rnn_step_backward(dh, cache)

    inputs = (x, h_prev, Wx, Wh, b)
    for arr, grad in zip(inputs, grads, strict=True):
        num = numerical_gradient(lambda: rnn_step_forward(*inputs)[0], arr, dh)
        assert rel_error(num, grad) < 1e-7

    tensors = _t(*inputs)
    torch.tanh(tensors[0] @ tensors[2] + tensors[1] @ tensors[3] + tensors[4]).backward(
        torch.tensor(dh))
    for tensor, grad in zip(tensors, grads, strict=True):
        assert rel_error(tensor.grad.numpy(), grad) < TOL


# ----------------------------------------------------------------------------- whole sequence
@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_forward_matches_torch_nn_rnn(rng, N, T, D, H):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    ref = torch_reference(torch.nn.RNN, Wx, Wh, b)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    out, h_n = ref(torch.tensor(x), torch.tensor(h0)[None])
    assert h.shape == (N, T, H)
    assert rel_error(h, out.detach().numpy()) < TOL
    assert rel_error(h[:, -1], h_n[0].detach().numpy()) < TOL


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_bptt_matches_autograd(rng, N, T, D, H):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(dh, cache)
    tensors = _t(x, h0, Wx, Wh, b)
    _torch_rnn(*tensors).backward(torch.tensor(dh))
    for name, tensor, grad in zip(["x", "h0", "Wx", "Wh", "b"], tensors, grads, strict=True):
        assert grad.shape == tensor.shape, name
        assert rel_error(tensor.grad.numpy(), grad) < TOL, name


def test_bptt_numerical(rng):
    N, T, D, H = 2, 3, 4, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    dh = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(dh, cache)
    inputs = (x, h0, Wx, Wh, b)
    for arr, grad in zip(inputs, grads, strict=True):
        num = numerical_gradient(lambda: rnn_forward(*inputs)[0], arr, dh)
        assert rel_error(num, grad) < 1e-7


def test_repeated_weight_gradient_is_sum_over_steps(rng):
    """dWh of T steps is the sum of the per-step terms, not the last step's term alone."""
    N, T, D, H = 2, 4, 3, 3
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng, D, H)
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.standard_normal((N, H))  # loss only on the last state
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    dWh = rnn_backward(dh, cache)[3]
    last_step_only = rnn_step_backward(dh[:, -1], cache[-1])[3]
    assert rel_error(dWh, last_step_only) > 1e-3


# ----------------------------------------------------------------------------- affine and loss
@pytest.mark.parametrize("N,T,H,V", [(2, 3, 4, 5), (1, 1, 3, 2)])
def test_temporal_affine(rng, N, T, H, V):
    h, W, b = rng.standard_normal((N, T, H)), rng.standard_normal((H, V)), rng.standard_normal(V)
    dout = rng.standard_normal((N, T, V))
    scores, cache = temporal_affine_forward(h, W, b)
    grads = temporal_affine_backward(dout, cache)
    tensors = _t(h, W, b)
    ref = tensors[0] @ tensors[1] + tensors[2]
    assert rel_error(scores, ref.detach().numpy()) < TOL
    ref.backward(torch.tensor(dout))
    for arr, tensor, grad in zip((h, W, b), tensors, grads, strict=True):
        assert rel_error(tensor.grad.numpy(), grad) < TOL
        num = numerical_gradient(lambda: temporal_affine_forward(h, W, b)[0], arr, dout)
        assert rel_error(num, grad) < 1e-7


def test_softmax_loss_matches_cross_entropy_with_ignore_index(rng):
    N, T, V = 3, 5, 7
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) > 0.3
    mask[0, 0] = True
    loss, dscores = temporal_softmax_loss(scores, y, mask)

    st = torch.tensor(scores, requires_grad=True)
    yt = torch.tensor(np.where(mask, y, -100))
    ref = torch.nn.functional.cross_entropy(st.reshape(-1, V), yt.reshape(-1), ignore_index=-100)
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    assert rel_error(dscores, st.grad.numpy()) < TOL
    num = numerical_gradient(lambda: temporal_softmax_loss(scores, y, mask)[0], scores)
    assert rel_error(num, dscores) < 1e-7


def test_softmax_loss_is_mean_per_token_so_exp_is_perplexity(rng):
    N, T, V = 2, 6, 11
    y = rng.integers(0, V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    mask[1, 3:] = False
    loss, _ = temporal_softmax_loss(np.zeros((N, T, V)), y, mask)
    assert np.exp(loss) == pytest.approx(V)  # uniform model: perplexity = vocabulary size


def test_masked_positions_are_ignored(rng):
    N, T, V = 2, 3, 4
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = np.array([[True, True, False], [True, False, False]])
    y_odd = y.copy()
    y_odd[~mask] = -100  # anything is allowed where masked
    changed = scores.copy()
    changed[~mask] += 50.0
    loss, dscores = temporal_softmax_loss(scores, y, mask)
    assert temporal_softmax_loss(changed, y_odd, mask)[0] == pytest.approx(loss)
    assert np.all(dscores[~mask] == 0.0)
    assert temporal_softmax_loss(scores, y)[0] != pytest.approx(loss)


# ----------------------------------------------------------------------------- (truncated) BPTT
def _torch_lm_reference(x, y, params, h0, k):
    """Same LM in torch; the state is detached every k steps (truncated BPTT); None = never."""
    p = {name: torch.tensor(v, requires_grad=True) for name, v in params.items()}
    h, total = torch.tensor(h0), 0.0
    T = x.shape[1]
    for t in range(T):
        if k is not None and t > 0 and t % k == 0:
            h = h.detach()
        h = torch.tanh(torch.tensor(x[:, t]) @ p["Wx"] + h @ p["Wh"] + p["b"])
        scores = h @ p["Wy"] + p["by"]
        total = total + torch.nn.functional.cross_entropy(scores, torch.tensor(y[:, t]),
                                                          reduction="sum")
    loss = total / y.size
    loss.backward()
    return loss.item(), {name: t.grad.numpy() for name, t in p.items()}, h.detach().numpy()


def _lm_data(rng, N=2, T=7, D=3, H=4, V=5):
    x = rng.standard_normal((N, T, D))
    y = rng.integers(0, V, size=(N, T))
    params = init_rnn_lm_params(D, H, V, rng, scale=0.8)
    h0 = rng.standard_normal((N, H)) * 0.1
    return x, y, params, h0


@pytest.mark.parametrize("k", [None, 7, 20])
def test_full_bptt_when_k_at_least_T(rng, k):
    x, y, params, h0 = _lm_data(rng)
    loss, grads, h_last = lm_loss_and_grads(x, y, params, h0, k=k)
    ref_loss, ref_grads, ref_h = _torch_lm_reference(x, y, params, h0, None)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert rel_error(h_last, ref_h) < TOL
    for name in PARAM_NAMES:
        assert rel_error(grads[name], ref_grads[name]) < TOL, name


@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_bptt_matches_detached_torch_and_differs_from_full(rng, k):
    x, y, params, h0 = _lm_data(rng)
    loss, grads, h_last = lm_loss_and_grads(x, y, params, h0, k=k)
    ref_loss, ref_grads, ref_h = _torch_lm_reference(x, y, params, h0, k)
    _, full, _ = lm_loss_and_grads(x, y, params, h0)
    assert loss == pytest.approx(ref_loss, rel=1e-12)  # the forward pass is unchanged
    assert rel_error(h_last, ref_h) < TOL  # the state is carried across chunks
    for name in PARAM_NAMES:
        assert rel_error(grads[name], ref_grads[name]) < TOL, name
    assert rel_error(grads["Wh"], full["Wh"]) > 1e-4  # truncation drops long paths
    assert rel_error(grads["Wy"], full["Wy"]) < TOL  # the output layer sees no recurrence


def test_lm_gradients_numerical(rng):
    x, y, params, h0 = _lm_data(rng, N=2, T=3, D=2, H=3, V=4)
    mask = np.array([[True, True, False], [True, False, False]])
    _, grads, _ = lm_loss_and_grads(x, y, params, h0, mask=mask)
    for name in PARAM_NAMES:
        num = numerical_gradient(lambda: lm_loss_and_grads(x, y, params, h0, mask=mask)[0],
                                 params[name])
        assert rel_error(num, grads[name]) < 1e-6, name


def test_tbptt_chunks():
    assert tbptt_chunks(5, 2) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    assert tbptt_chunks(3, None) == [slice(0, 3)]
    assert tbptt_chunks(3, 10) == [slice(0, 3)]
    with pytest.raises(ValueError, match="k must"):
        tbptt_chunks(3, 0)
    with pytest.raises(ValueError, match="T must"):
        tbptt_chunks(0, 2)


# ----------------------------------------------------------------------------- validation
def test_bad_inputs_name_the_argument(rng):
    Wx, Wh, b = _params(rng, 3, 4)
    x, h0 = rng.standard_normal((2, 5, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match="x must have shape"):
        rnn_forward(rng.standard_normal((2, 5, 4)), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="x must be 3-D"):
        rnn_forward(x[0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="h0 must have shape"):
        rnn_forward(x, np.zeros((3, 4)), Wx, Wh, b)
    with pytest.raises(ValueError, match="Wh must have shape"):
        rnn_forward(x, h0, Wx, Wh[:3], b)
    with pytest.raises(ValueError, match="b must have shape"):
        rnn_forward(x, h0, Wx, Wh, b[:2])
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        rnn_forward(x.astype(int), h0, Wx, Wh, b)
    with pytest.raises(TypeError, match="Wx must be a numpy array"):
        rnn_step_forward(x[:, 0], h0, Wx.tolist(), Wh, b)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="dh must have shape"):
        rnn_backward(np.zeros((2, 4, 4)), cache)


def test_bad_loss_inputs(rng):
    scores = rng.standard_normal((2, 3, 4))
    y = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(TypeError, match="y must be an integer"):
        temporal_softmax_loss(scores, y.astype(float))
    with pytest.raises(ValueError, match="y must lie"):
        temporal_softmax_loss(scores, y + 4)
    with pytest.raises(TypeError, match="mask must be a bool"):
        temporal_softmax_loss(scores, y, np.ones((2, 3)))
    with pytest.raises(ValueError, match="mask must keep"):
        temporal_softmax_loss(scores, y, np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="y must have shape"):
        temporal_softmax_loss(scores, y[:, :2])
    with pytest.raises(ValueError, match="params is missing"):
        lm_loss_and_grads(rng.standard_normal((2, 3, 1)), y, {"Wx": np.zeros((1, 1))})
    with pytest.raises(ValueError, match="H must"):
        init_rnn_lm_params(2, 0, 3, rng)
