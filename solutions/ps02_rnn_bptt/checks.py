"""Hidden checks of homework 2 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks). A case
returns the function's raw outputs (and, where the answer must not change its inputs, the inputs
after the call), never a verdict computed next to the student's code.
"""

from course_lib.grading.checks import Case, Exercise

# the course's own RNN code, and the modules built on it (torch_lstm_gru and lm import torch_rnn,
# training imports clipping)
FORBIDDEN = ("course_lib.rnn", "course_lib.clipping", "course_lib.torch_rnn",
             "course_lib.torch_lstm_gru", "course_lib.lm", "course_lib.training",
             "course_lib.classify")

STEP_FORWARD = """
rng = np.random.default_rng(101)
x, hp = rng.normal(size=(3, 4)), rng.normal(size=(3, 5))
Wx, Wh, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 5)), rng.normal(size=5)
# the visible test's inputs
vx, vh = np.array([[1.0, -1.0]]), np.array([[1.0, 2.0]])
vWx, vWh, vb = np.array([[0.5, 0.0], [0.0, 0.25]]), np.array([[0.0, 0.1], [0.0, 0.0]]), np.array([0.0, 0.2])
"""

# a step cache built with the forward formula of exercise 1 (another exercise than the graded one)
STEP_BACKWARD = """
def step_problem(seed, N, D, H, scale=1.0):
    r = np.random.default_rng(seed)
    x, hp = r.normal(size=(N, D)), r.normal(size=(N, H))
    wx, wh, b = scale * r.normal(size=(D, H)), scale * r.normal(size=(H, H)), r.normal(size=H)
    return r.normal(size=(N, H)), (x, hp, wx, wh, np.tanh(x @ wx + hp @ wh + b))


def inputs_after_call(seed, N, D, H, scale=1.0):
    dh, cache = step_problem(seed, N, D, H, scale)
    rnn_step_backward(dh, cache)
    return dh, cache


def visible_problem():
    rng = np.random.default_rng(2)
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    return rng.normal(size=(2, 4)), (x, h_prev, Wx, Wh, np.tanh(x @ Wx + h_prev @ Wh + b))
"""

# rnn_backward runs with a correct rnn_step_backward (exercise 2) or a stand-in in its place
BPTT = """
def reference_step_backward(dh, cache):
    xs, hp, wx, wh, h = cache
    da = dh * (1 - h * h)
    return da @ wx.T, da @ wh.T, xs.T @ da, hp.T @ da, da.sum(axis=0)


def stand_in_step_backward(dh, cache):
    x, h_prev, Wx, Wh, h = cache
    g = float(dh.sum())
    return (np.full(x.shape, g), 0.5 * dh, np.full(Wx.shape, g), np.full(Wh.shape, 10 * g),
            np.full(Wh.shape[0], g))


def run_with(step_backward, dh, cache):
    with replacing(globals(), rnn_step_backward=step_backward):
        return rnn_backward(dh, cache)


def unrolled(N, T, D, H, seed, scale=1.0, upstream_at=None):
    r = np.random.default_rng(seed)
    xs, h = r.normal(size=(N, T, D)), r.normal(size=(N, H))
    wx, wh, bb = scale * r.normal(size=(D, H)), scale * r.normal(size=(H, H)), r.normal(size=H)
    steps = []
    for t in range(T):
        new = np.tanh(xs[:, t] @ wx + h @ wh + bb)
        steps.append((xs[:, t].copy(), h, wx, wh, new))
        h = new
    g = r.normal(size=(N, T, H))
    if upstream_at is not None:  # a gradient from the loss at one step only
        g[:, [t for t in range(T) if t != upstream_at]] = 0.0
    return g, steps


one = np.ones((1, 1))
visible_steps = [(one, one, one, one, one) for _ in range(3)]
visible_dh = np.array([1.0, 2.0, 4.0]).reshape(1, 3, 1)
"""

CLIP = """
rng = np.random.default_rng(4)


def big():
    return {"Wx": 3 * rng.normal(size=(4, 5)), "Wh": rng.normal(size=(5, 5)),
            "b": 0.1 * rng.normal(size=5), "s": np.array(2.0)}


def clip_and_inputs(grads, max_norm):
    clipped, total = clip_grad_norm(grads, max_norm)
    return clipped, total, grads


def visible():
    return {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}
"""

LOSS = """
def problem(seed, N, T, V, scale=1.0, keep_fraction=0.6):
    r = np.random.default_rng(seed)
    s = scale * r.normal(size=(N, T, V))
    targets = r.integers(0, V, size=(N, T))
    keep = r.random((N, T)) < keep_fraction
    keep[0, 0] = True
    return s, targets, keep


def loss_and_inputs(s, targets, keep):
    loss, ds = temporal_softmax_loss(s, targets, keep)
    return loss, ds, s, targets, keep


vs = np.zeros((1, 2, 3))
vs[0, 1] = [5.0, -5.0, 0.0]
vy, vmask = np.array([[2, 0]]), np.array([[True, False]])
s, y, mask = problem(5, 2, 3, 4)
"""

# truncated_bptt runs with correct rnn_forward / rnn_backward (exercises 1-3, written another way)
# or with stand-ins that record their calls
TBPTT = """
def rnn_forward(x, h0, Wx, Wh, b):
    states, steps, hp = [], [], h0
    for t in range(x.shape[1]):
        hn = np.tanh(x[:, t] @ Wx + hp @ Wh + b)
        steps.append((x[:, t], hp, Wx, Wh, hn))
        states.append(hn)
        hp = hn
    return np.stack(states, axis=1), steps


def rnn_backward(dh, cache):
    carry, dxs, grads = np.zeros_like(dh[:, 0]), [], [0.0, 0.0, 0.0]
    for t in reversed(range(len(cache))):
        xs, hp, wx, wh, hn = cache[t]
        da = (dh[:, t] + carry) * (1 - hn ** 2)
        dxs.insert(0, da @ wx.T)
        carry = da @ wh.T
        grads = [grads[0] + xs.T @ da, grads[1] + hp.T @ da, grads[2] + da.sum(axis=0)]
    return (np.stack(dxs, axis=1), carry, *grads)


log = []


def fake_forward(x, h0, Wx, Wh, b):
    log.append(("f", x.shape[1], h0.copy()))
    return h0[:, None, :] + np.cumsum(x, axis=1), ["step"] * x.shape[1]


def fake_backward(dh, cache):
    log.append(("b", dh.shape[1], float(dh.sum())))
    g = float(dh.sum())
    return (np.zeros(dh.shape), np.full(dh[:, 0].shape, -7.0), np.full((1, 1), g * g),
            np.full((1, 1), 10 * g), np.full(1, g))


def with_stand_ins(N, T, k, seed):
    log.clear()
    r = np.random.default_rng(seed)
    xs, start, up = r.normal(size=(N, T, 1)), r.normal(size=(N, 1)), r.normal(size=(N, T, 1))
    with replacing(globals(), rnn_forward=fake_forward, rnn_backward=fake_backward):
        result = truncated_bptt(xs, start, np.ones((1, 1)), np.ones((1, 1)), np.ones(1), up, k)
    forwards = [(n, h.tolist()) for kind, n, h in log if kind == "f"]
    backwards = sorted((n, round(g, 9)) for kind, n, g in log if kind == "b")
    return result, forwards, backwards


def problem(seed, N, T, D, H, scale=1.0):
    r = np.random.default_rng(seed)
    return (r.normal(size=(N, T, D)), r.normal(size=(N, H)), scale * r.normal(size=(D, H)),
            scale * r.normal(size=(H, H)), r.normal(size=H), r.normal(size=(N, T, H)))


p1 = problem(60, 2, 7, 3, 4)
"""

EXERCISES = [
    Exercise(
        answer="rnn_step_forward",
        test="test_rnn_step_forward",
        fixture=STEP_FORWARD,
        cases=(
            "rnn_step_forward(vx, vh, vWx, vWh, vb)",
            "rnn_step_forward(x, hp, Wx, Wh, b)",
            "rnn_step_forward(x[:1, :1], hp[:1], Wx[:1], Wh, b)",
            "rnn_step_forward(50 * x, hp, Wx, Wh, b)",
            "rnn_step_forward(x, np.zeros((3, 5)), Wx, np.zeros((5, 5)), np.zeros(5))",
            "rnn_step_forward(vx, vh, vWx.T[:1], vWh, vb)",
            "rnn_step_forward(x, hp[:2], Wx, Wh, b)",
            "rnn_step_forward(x, hp[:1], Wx, Wh, b)",
            "rnn_step_forward(x, hp, Wx, Wh[:4], b)",
            "rnn_step_forward(x, hp, Wx, Wh, b[:4])",
            "rnn_step_forward(x, hp, Wx, Wh, b[None])",
            "rnn_step_forward(x[0], hp, Wx, Wh, b)",
        ),
    ),
    Exercise(
        answer="rnn_step_backward",
        test="test_rnn_step_backward",
        fixture=STEP_BACKWARD,
        cases=(
            "rnn_step_backward(*visible_problem())",
            "rnn_step_backward(*step_problem(20, 1, 1, 3))",
            "rnn_step_backward(*step_problem(21, 5, 2, 2))",
            "rnn_step_backward(*step_problem(22, 3, 4, 3, 3.0))",
            "rnn_step_backward(*step_problem(23, 4, 3, 6, 0.1))",
            "inputs_after_call(24, 3, 2, 4)",
            "rnn_step_backward(np.ones((2, 3)), visible_problem()[1])",
            "rnn_step_backward(np.ones((3, 2)), step_problem(25, 2, 2, 3)[1])",
        ),
    ),
    Exercise(
        answer="rnn_backward",
        test="test_rnn_backward",
        fixture=BPTT,
        cases=(
            "run_with(stand_in_step_backward, visible_dh, visible_steps)",
            "run_with(stand_in_step_backward, np.arange(8.0).reshape(2, 4, 1), "
            "[(np.ones((2, 3)), np.ones((2, 1)), np.ones((3, 1)), one, np.ones((2, 1)))] * 4)",
            "run_with(reference_step_backward, *unrolled(2, 4, 3, 3, 30))",
            "run_with(reference_step_backward, *unrolled(1, 1, 2, 2, 31))",
            "run_with(reference_step_backward, *unrolled(3, 5, 1, 2, 32, 0.5, upstream_at=4))",
            "run_with(reference_step_backward, *unrolled(2, 6, 2, 4, 33, 2.0, upstream_at=0))",
            "run_with(reference_step_backward, *unrolled(4, 3, 2, 1, 34, 1.5))",
            "run_with(reference_step_backward, visible_dh[:, :2], visible_steps)",
            "run_with(reference_step_backward, np.ones((1, 3)), visible_steps)",
            "run_with(reference_step_backward, np.ones((1, 0, 1)), [])",
        ),
    ),
    Exercise(
        answer="clip_grad_norm",
        test="test_clip_grad_norm",
        fixture=CLIP,
        cases=(
            "clip_and_inputs(visible(), 1.0)",
            "clip_and_inputs(visible(), 10.0)",
            "clip_and_inputs(big(), 1.0)",
            "clip_and_inputs(big(), 0.01)",
            "clip_and_inputs(big(), 1e3)",
            'clip_and_inputs({"a": np.array([0.3, 0.4]), "b": np.array([[12.0]])}, 6.5)',
            'clip_and_inputs({"a": np.array([0.6, 0.8])}, 1.0)',
            'clip_and_inputs({"a": np.array([1e-3, -1e-3]), "b": np.array([1e3])}, 2.0)',
            'clip_and_inputs({"z": np.zeros((2, 2))}, 1.0)',
            "clip_grad_norm(visible(), 0.0)",
            "clip_grad_norm(big(), -1.0)",
            "clip_grad_norm({}, 1.0)",
        ),
    ),
    Exercise(
        answer="temporal_softmax_loss",
        test="test_temporal_softmax_loss",
        fixture=LOSS,
        cases=(
            "temporal_softmax_loss(vs, vy, vmask)",
            "temporal_softmax_loss(s, y, mask)",
            "temporal_softmax_loss(np.array([[[1000.0, 999.0]]]), np.array([[1]]), "
            "np.array([[True]]))",
            "loss_and_inputs(*problem(50, 3, 4, 5, keep_fraction=1.0))",
            "loss_and_inputs(*problem(51, 4, 6, 3, keep_fraction=0.5))",
            "loss_and_inputs(*problem(52, 2, 3, 7, scale=1000.0, keep_fraction=0.7))",
            "loss_and_inputs(*problem(53, 1, 1, 2, keep_fraction=1.0))",
            "loss_and_inputs(*problem(54, 3, 4, 5))",
            "temporal_softmax_loss(np.array([[[800.0, 0.0], [0.0, 900.0]]]), np.array([[1, 1]]), "
            "np.array([[True, True]]))",
            "temporal_softmax_loss(s, y, mask & False)",
            "temporal_softmax_loss(np.zeros((2, 3)), y, mask)",
            "temporal_softmax_loss(s, y[:, :2], mask)",
            "temporal_softmax_loss(s, y, mask[:1])",
        ),
    ),
    Exercise(
        answer="truncated_bptt",
        test="test_truncated_bptt",
        fixture=TBPTT,
        cases=(
            "with_stand_ins(1, 5, 2, 61)",
            "with_stand_ins(2, 6, 3, 62)",
            "with_stand_ins(2, 4, 1, 63)",
            "with_stand_ins(1, 3, 5, 64)",
            "truncated_bptt(*p1, 1)",
            "truncated_bptt(*p1, 2)",
            "truncated_bptt(*p1, 3)",
            "truncated_bptt(*p1, 7)",
            "truncated_bptt(*p1, 10)",
            "truncated_bptt(*problem(65, 3, 9, 2, 5, 1.5), 4)",
            "truncated_bptt(*problem(66, 1, 1, 1, 2), 2)",
            Case("truncated_bptt(*p1, 0)", errors=("ValueError", "TypeError")),
            Case("truncated_bptt(*p1, 2.0)", errors=("ValueError", "TypeError")),
            Case("truncated_bptt(*p1, True)", errors=("ValueError", "TypeError")),
            "truncated_bptt(*p1[:5], p1[5][:, :6], 2)",
        ),
    ),
]
