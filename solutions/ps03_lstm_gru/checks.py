"""Hidden checks of homework 3 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks). A case
returns the function's raw outputs, never a verdict computed next to the student's code. The
fixtures seed torch before building a layer, so that both processes get the same weights.
"""

from course_lib.grading.checks import Exercise

# the course's own LSTM/GRU code, and the modules built on it
FORBIDDEN = ("course_lib.lstm", "course_lib.gru", "course_lib.torch_lstm_gru", "course_lib.lm",
             "course_lib.seq2seq",
             "course_lib.classify")

LSTM_FORWARD = """
def lstm_problem(seed, N, D, H, c_scale=1.0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell(D, H, dtype=torch.float64)
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), c_scale * rng.normal(size=(N, H))
    return [x, h, c, *lstm_cell_params(cell)]


visible = lstm_problem(0, 3, 4, 5)
x, h, c, Wx, Wh, b = lstm_problem(1, 6, 2, 3, c_scale=3.0)
"""

# the caches are built with the forward formulas of exercise 1 (not the exercise graded here)
LSTM_BACKWARD = """
def lstm_cache(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    return (x, h_prev, c_prev, Wx, Wh, i, f, g, o, f * c_prev + i * g)


def backward_problem(seed, N, D, H, scale=1.0):
    rng = np.random.default_rng(seed)
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh = scale * rng.normal(size=(D, 4 * H)), scale * rng.normal(size=(H, 4 * H))
    b = rng.normal(size=4 * H)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return dh, dc, lstm_cache(x, h, c, Wx, Wh, b)


def visible_problem():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cell = nn.LSTMCell(3, 4, dtype=torch.float64)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    dh, dc = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    return dh, dc, lstm_cache(x, h, c, *lstm_cell_params(cell))


dh, dc, cache = backward_problem(2, 3, 2, 2)
"""

PEEPHOLE = """
rng = np.random.default_rng(3)
N, D, H = 4, 3, 2
args = [rng.normal(size=s) for s in ((N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))]
args[2] = 2 * args[2]  # a larger old cell makes the peepholes matter more
p_i, p_f, p_o = (2 * rng.normal(size=H) for _ in range(3))
zero = np.zeros(H)
first = [a[:1] if a.shape[0] == N else a for a in args]
# the visible test's inputs
torch.manual_seed(0)
rng = np.random.default_rng(0)
cell = nn.LSTMCell(2, 4, dtype=torch.float64)
visible = [rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)),
           *lstm_cell_params(cell)]
visible_peep = [rng.normal(size=4) for _ in range(3)]
g_bias_only = np.zeros(16)
g_bias_only[8:12] = 1.0  # zero weights, g = tanh(1): every peephole changes h
"""

GRU_FORWARD = """
def gru_problem(seed, N, D, H, bias_hh=None):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cell = nn.GRUCell(D, H, dtype=torch.float64)
    if bias_hh is not None:
        with torch.no_grad():
            cell.bias_hh.uniform_(-bias_hh, bias_hh)  # a large recurrent bias shows where r acts
    return [rng.normal(size=(N, D)), 2 * rng.normal(size=(N, H)), *gru_cell_params(cell)]


visible = gru_problem(0, 3, 4, 5)
x, h, Wx, Wh, bx, bh = gru_problem(4, 5, 2, 3, bias_hh=2.0)
"""

# the caches are built with the forward formulas of exercise 4 (not the exercise graded here)
GRU_BACKWARD = """
def gru_cache(x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    r, z = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
    n = np.tanh(ax[:, 2 * H :] + r * ah[:, 2 * H :])
    return (x, h_prev, Wx, Wh, r, z, n, ah[:, 2 * H :])


def backward_problem(seed, N, D, H, bias=1.0, scale=1.0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cell = nn.GRUCell(D, H, dtype=torch.float64)
    with torch.no_grad():
        cell.bias_hh.uniform_(-bias, bias)
    Wx, Wh, bx, bh = gru_cell_params(cell)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return dh, gru_cache(x, h_prev, scale * Wx, scale * Wh, bx, bh)


def visible_problem():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cell = nn.GRUCell(2, 4, dtype=torch.float64)
    with torch.no_grad():
        cell.bias_hh.uniform_(-1.0, 1.0)
    x, h_prev, dh = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    return dh, gru_cache(x, h_prev, *gru_cell_params(cell))


dh, cache = backward_problem(6, 5, 3, 2, bias=2.0)
"""

EXERCISES = [
    Exercise(
        answer="lstm_step_forward",
        test="test_lstm_step_forward",
        fixture=LSTM_FORWARD,
        cases=(
            "lstm_step_forward(*visible)",
            "lstm_step_forward(x, h, c, Wx, Wh, b)",
            "lstm_step_forward(x[:1], h[:1], c[:1], Wx, Wh, b)",
            "lstm_step_forward(x, h, c, 3 * Wx, 3 * Wh, b)",
            "lstm_step_forward(*lstm_problem(7, 2, 1, 1))",
            "lstm_step_forward(*visible[:2], visible[2][:1], *visible[3:])",
            "lstm_step_forward(x, h, c, Wx, Wh, b[None, :])",
            "lstm_step_forward(x[0], h, c, Wx, Wh, b)",
            "lstm_step_forward(x, h, c[:, 0], Wx, Wh, b)",
            "lstm_step_forward(x, h[:1], c, Wx, Wh, b)",
            "lstm_step_forward(x, h, c, Wx[:, :-1], Wh, b)",
            "lstm_step_forward(x, h, c, Wx, Wh.T, b)",
        ),
    ),
    Exercise(
        answer="lstm_step_backward",
        test="test_lstm_step_backward",
        fixture=LSTM_BACKWARD,
        cases=(
            "lstm_step_backward(*visible_problem())",
            "lstm_step_backward(dh, dc, cache)",
            "lstm_step_backward(dh, np.zeros_like(dc), cache)",
            "lstm_step_backward(np.zeros_like(dh), dc, cache)",
            "lstm_step_backward(*backward_problem(8, 1, 1, 1))",
            "lstm_step_backward(*backward_problem(9, 4, 3, 5, scale=2.0))",
            "lstm_step_backward(dh, dc[0], cache)",
            "lstm_step_backward(dh[:1], dc, cache)",
            "lstm_step_backward(dh, dc[:, :1], cache)",
        ),
    ),
    Exercise(
        answer="peephole_lstm_step_forward",
        test="test_peephole_lstm_step_forward",
        fixture=PEEPHOLE,
        cases=(
            "peephole_lstm_step_forward(*visible, *visible_peep)",
            "peephole_lstm_step_forward(*visible, np.zeros(4), np.zeros(4), np.zeros(4))",
            "peephole_lstm_step_forward(*visible[:3], 0 * visible[3], 0 * visible[4], g_bias_only,"
            " *visible_peep)",
            "peephole_lstm_step_forward(*args, p_i, p_f, p_o)",
            "peephole_lstm_step_forward(*args, p_i, zero, zero)",
            "peephole_lstm_step_forward(*args, zero, p_f, zero)",
            "peephole_lstm_step_forward(*args, zero, zero, p_o)",
            "peephole_lstm_step_forward(*first, p_i, p_f, p_o)",
            "peephole_lstm_step_forward(*args, p_i[None], p_f, p_o)",
            "peephole_lstm_step_forward(*args, p_i, p_f[:1], p_o)",
            "peephole_lstm_step_forward(*args, p_i, p_f, p_o[None])",
        ),
    ),
    Exercise(
        answer="gru_step_forward",
        test="test_gru_step_forward",
        fixture=GRU_FORWARD,
        cases=(
            "gru_step_forward(*visible)",
            "gru_step_forward(x, h, Wx, Wh, bx, bh)",
            "gru_step_forward(x[:1], h[:1], Wx, Wh, bx, bh)",
            "gru_step_forward(x, h, Wx, Wh, bx, np.zeros(9))",
            "gru_step_forward(x, h, Wx, Wh, np.zeros(9), bh)",
            "gru_step_forward(*visible[:5], visible[5][None, :])",
            "gru_step_forward(x[0], h, Wx, Wh, bx, bh)",
            "gru_step_forward(x, h, Wx, Wh, bx[None], bh)",
            "gru_step_forward(x, h, Wx[:, :-1], Wh, bx, bh)",
            "gru_step_forward(x, h, Wx, Wh[:2], bx, bh)",
        ),
    ),
    Exercise(
        answer="gru_step_backward",
        test="test_gru_step_backward",
        fixture=GRU_BACKWARD,
        cases=(
            "gru_step_backward(*visible_problem())",
            "gru_step_backward(dh, cache)",
            "gru_step_backward(np.zeros_like(dh), cache)",
            "gru_step_backward(*backward_problem(10, 1, 1, 1))",
            "gru_step_backward(*backward_problem(11, 4, 5, 3, bias=0.0))",
            "gru_step_backward(*backward_problem(12, 2, 3, 6, scale=3.0))",
            "gru_step_backward(dh[:1], cache)",
            "gru_step_backward(dh[:, :1], cache)",
            "gru_step_backward(dh[0], cache)",
        ),
    ),
]
