"""course_lib.clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

import numpy as np
import pytest
import torch

from course_lib.clipping import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value,
    clip_grad_value_,
    global_norm,
    grad_norm,
)
from course_lib.gradcheck import rel_error

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def _torch_params(arrays):
    params = []
    for a in arrays:
        p = torch.zeros(a.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(a)
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
def test_clip_grad_norm_matches_torch(rng, max_norm):
    grads = [rng.standard_normal(s) for s in SHAPES]
    before = [g.copy() for g in grads]
    clipped, total = clip_grad_norm(grads, max_norm)
    ref = _torch_params(grads)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm)
    assert total == pytest.approx(ref_total.item(), rel=1e-12)
    for ours, p in zip(clipped, ref, strict=True):
        assert rel_error(ours, p.grad.numpy()) < 1e-12
    assert all(np.array_equal(g, b) for g, b in zip(grads, before, strict=True))  # not in place


def test_clip_grad_norm_caps_norm_and_keeps_direction(rng):
    grads = {"W": rng.standard_normal((5, 5)) * 10, "b": rng.standard_normal(5) * 10}
    clipped, total = clip_grad_norm(grads, 1.0)
    assert total > 1.0
    assert set(clipped) == {"W", "b"}
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-5)
    assert rel_error(clipped["W"] * total, grads["W"]) < 1e-5  # same direction
    small, _ = clip_grad_norm(grads, 1e6)
    assert rel_error(small["W"], grads["W"]) == 0.0  # below the threshold: untouched


@pytest.mark.parametrize("clip", [0.1, 1.0])
def test_clip_grad_value_matches_torch(rng, clip):
    grads = tuple(rng.standard_normal(s) for s in SHAPES)
    clipped = clip_grad_value(grads, clip)
    assert isinstance(clipped, tuple)
    ref = _torch_params(grads)
    torch.nn.utils.clip_grad_value_(ref, clip)
    for ours, p in zip(clipped, ref, strict=True):
        assert np.array_equal(ours, p.grad.numpy())
    assert max(np.abs(g).max() for g in clipped) <= clip


@pytest.mark.parametrize("max_norm", [0.5, 50.0])
def test_torch_in_place_variants_match_torch(rng, max_norm):
    grads = [rng.standard_normal(s) for s in SHAPES]
    ours, ref = _torch_params(grads), _torch_params(grads)
    ours.append(torch.zeros(2, requires_grad=True))  # no .grad: skipped
    assert grad_norm(ours) == pytest.approx(global_norm(grads), rel=1e-12)
    total = clip_grad_norm_(ours, max_norm)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm)
    assert total == pytest.approx(ref_total.item(), rel=1e-12)
    for p, q in zip(ours, ref, strict=False):
        assert torch.allclose(p.grad, q.grad, rtol=1e-12, atol=0)

    ours, ref = _torch_params(grads), _torch_params(grads)
    clip_grad_value_(ours, 0.3)
    torch.nn.utils.clip_grad_value_(ref, 0.3)
    for p, q in zip(ours, ref, strict=True):
        assert torch.equal(p.grad, q.grad)


def test_torch_clipping_on_a_model():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    (model(torch.randn(8, 4)) * 100).sum().backward()
    before = grad_norm(model.parameters())
    total = clip_grad_norm_(model.parameters(), 1.0)
    assert total == pytest.approx(before)
    assert before > 1.0
    assert grad_norm(model.parameters()) == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0) == 0.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="max_norm must be a positive"):
        clip_grad_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="clip must be a positive"):
        clip_grad_value([np.ones(2)], -1)
    with pytest.raises(ValueError, match="grads must hold"):
        clip_grad_norm([], 1.0)
    with pytest.raises(TypeError, match=r"grads\[1\] must be a floating"):
        clip_grad_norm([np.ones(2), np.ones(2, dtype=int)], 1.0)
    with pytest.raises(TypeError, match="grads must be a list"):
        clip_grad_norm(np.ones(3), 1.0)
    with pytest.raises(TypeError, match="parameters must be"):
        clip_grad_norm_(3.0, 1.0)
