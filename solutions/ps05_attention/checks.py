"""Hidden checks of homework 5 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks). A case
returns the function's raw outputs, never a verdict computed next to the student's code.

Exercises 2 and 3 may call masked_softmax (exercise 1): their fixtures define a correct one, which
replaces whatever the answer cell defined under that name, so that a wrong exercise 1 costs only
exercise 1. Exercise 4's caches come from a forward pass of the fixture's own. The fixtures of
exercises 5 and 6 seed torch before building a layer, so that both processes get the same weights.

PyTorch's own attention (F.scaled_dot_product_attention, nn.MultiheadAttention) cannot be made
absent as a module can; it needs no forbidding either: neither returns what exercises 2 and 6 ask
for (the attention weights, the head layout), and the fixture of exercise 6 uses both as trusted
references.
"""

from course_lib.grading.checks import Exercise

# the course's own attention code, and every module built on it
FORBIDDEN = ("course_lib.attention", "course_lib.hierarchical", "course_lib.classify",
             "course_lib.seq2seq")

# a correct exercise 1, for the answers of exercises 2 and 3 that call it
REFERENCE_SOFTMAX = """
def masked_softmax(scores, mask=None):
    values = np.asarray(scores, dtype=float)
    keep = np.ones(values.shape, bool) if mask is None else np.asarray(mask, dtype=bool)
    shifted = np.where(np.broadcast_to(keep, values.shape), values, -np.inf)
    peak = shifted.max(axis=-1, keepdims=True)
    unnormalised = np.exp(shifted - np.where(np.isfinite(peak), peak, 0.0))
    z = unnormalised.sum(axis=-1, keepdims=True)
    return unnormalised / np.where(z > 0, z, 1.0)
"""

MASKED_SOFTMAX = """
rng = np.random.default_rng(5)
s2 = rng.normal(size=(4, 6))
m2 = rng.random((4, 6)) < 0.6
m2[:, 1] = True  # every row has a real position
s3, m3 = rng.normal(size=(3, 2, 5)), rng.random((3, 1, 5)) < 0.7
m3[..., 0] = True
s4, m4 = rng.normal(size=(2, 3, 2, 4)), rng.random((2, 3, 2, 4)) < 0.5
huge_padding = np.where(m2, s2, 1e4)  # padded positions far above the real ones
one_empty_row = m2.copy()
one_empty_row[2] = False
visible_scores = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]])
visible_mask = np.array([[True, True, True, False], [True, False, True, False]])
"""

SCALED_DOT = REFERENCE_SOFTMAX + """
def problem(seed, N, Tq, Tk, d, dv, scale=1.0):
    rng = np.random.default_rng(seed)
    return (scale * rng.normal(size=(N, Tq, d)), rng.normal(size=(N, Tk, d)),
            rng.normal(size=(N, Tk, dv)))


Q, K, V = problem(6, 3, 4, 6, 5, 2)
padding = np.arange(6)[None, None, :] < np.array([6, 2, 4])[:, None, None]  # (N, 1, Tk)
causal = np.tril(np.ones((4, 6), dtype=bool))  # (Tq, Tk)
full = np.random.default_rng(7).random((3, 4, 6)) < 0.5  # (N, Tq, Tk)
full[..., 3] = True
empty_rows = padding & causal
empty_rows[1, 2:] = False  # queries 2 and 3 of sequence 1 see nothing
visible = problem(0, 2, 3, 5, 4, 6)
"""

ADDITIVE_FORWARD = REFERENCE_SOFTMAX + """
def problem(seed, N, T, Dq, Dk, A, scale=1.0, lengths=None):
    rng = np.random.default_rng(seed)
    query, keys = rng.normal(size=(N, Dq)), rng.normal(size=(N, T, Dk))
    W_q, W_k = scale * rng.normal(size=(A, Dq)), scale * rng.normal(size=(A, Dk))
    v = rng.normal(size=A)
    mask = None if lengths is None else np.arange(T)[None, :] < np.array(lengths)[:, None]
    return query, keys, W_q, W_k, v, mask


query, keys, W_q, W_k, v, mask = problem(10, 3, 5, 2, 4, 3, lengths=[5, 1, 3])
worked = (np.array([[2.0, 0.0]] * 2), np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]] * 2),
          np.array([[0.5, 0.0]]), np.array([[1.0, -1.0]]), np.array([2.0]),
          np.array([[True, True, True], [True, False, True]]))
"""

# the caches are built with the forward formulas of exercise 3 (not the exercise graded here)
ADDITIVE_BACKWARD = """
def cache_of(query, keys, W_q, W_k, v, mask=None):
    pre = np.einsum("ak,ntk->nta", W_k, keys) + np.einsum("ad,nd->na", W_q, query)[:, None]
    hidden = np.tanh(pre)
    e = hidden @ v
    e = e if mask is None else np.where(mask, e, -np.inf)
    w = np.exp(e - e.max(axis=1, keepdims=True))
    return (query, keys, W_q, W_k, v, hidden, w / w.sum(axis=1, keepdims=True))


def problem(seed, N, T, Dq, Dk, A, scale=1.0, lengths=None):
    rng = np.random.default_rng(seed)
    query, keys = rng.normal(size=(N, Dq)), rng.normal(size=(N, T, Dk))
    W_q, W_k = scale * rng.normal(size=(A, Dq)), scale * rng.normal(size=(A, Dk))
    v = rng.normal(size=A)
    mask = None if lengths is None else np.arange(T)[None, :] < np.array(lengths)[:, None]
    return rng.normal(size=(N, Dk)), cache_of(query, keys, W_q, W_k, v, mask)


def visible_problem():
    rng = np.random.default_rng(0)
    query, keys = rng.normal(size=(2, 3)), rng.normal(size=(2, 4, 2))
    W_q, W_k, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=3)
    mask = np.array([[True, True, True, True], [True, True, False, False]])
    return rng.normal(size=(2, 2)), cache_of(query, keys, W_q, W_k, v, mask)


dcontext, cache = problem(11, 3, 5, 4, 2, 3, lengths=[5, 2, 1])
"""

POOLING = """
def pooling(seed, D, A):
    torch.manual_seed(seed)
    layer = AttentionPooling(D, A).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.proj.weight.copy_(torch.randn(A, D, generator=gen, dtype=torch.float64))
        layer.proj.bias.copy_(torch.randn(A, generator=gen, dtype=torch.float64))
        layer.query.copy_(2 * torch.randn(A, generator=gen, dtype=torch.float64))
    return layer


def batch(seed, N, T, D):
    return torch.randn(N, T, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def gradients(layer, states, lengths):
    states = states.clone().requires_grad_(True)
    layer.zero_grad()
    pooled, _ = layer(states, lengths)
    upstream = torch.randn(pooled.shape, generator=torch.Generator().manual_seed(0),
                           dtype=torch.float64)
    (pooled * upstream).sum().backward()
    return states.grad, layer.query.grad, layer.proj.weight.grad, layer.proj.bias.grad


pool = pooling(12, 4, 3)
states = batch(13, 4, 6, 4)
lengths = torch.tensor([6, 1, 3, 5])
garbage = states.clone()
garbage[1, 1:] = 50.0
garbage[2, 3:] = -50.0
"""

HEADS = """
x = torch.arange(2 * 3 * 12, dtype=torch.float64).reshape(2, 3, 12)
y = torch.arange(2 * 4 * 3 * 5, dtype=torch.float64).reshape(2, 4, 3, 5)


def mha_by_hand(E, h, seed, lengths):
    # nn.MultiheadAttention's output (key padding as given) rebuilt with split_heads/merge_heads
    torch.manual_seed(seed)
    mha = nn.MultiheadAttention(E, h, batch_first=True, dtype=torch.float64)
    inputs = torch.randn(len(lengths), max(lengths), E, dtype=torch.float64)
    real = torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]
    with torch.no_grad():
        q, k, v = F.linear(inputs, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
        heads = F.scaled_dot_product_attention(split_heads(q, h), split_heads(k, h),
                                               split_heads(v, h), attn_mask=real[:, None, None, :])
        return mha.out_proj(merge_heads(heads))
"""

EXERCISES = [
    Exercise(
        answer="masked_softmax",
        test="test_masked_softmax",
        fixture=MASKED_SOFTMAX,
        cases=(
            "masked_softmax(visible_scores, visible_mask)",
            "masked_softmax(s2, m2)",
            "masked_softmax(s2)",
            "masked_softmax(s2.T, m2.T)",
            "masked_softmax(s3, m3)",
            "masked_softmax(s3, m3[0, 0])",
            "masked_softmax(s2[0], m2[0])",
            "masked_softmax(s4, m4)",
            "masked_softmax(1000 * s2, m2)",
            "masked_softmax(-1000 * s3, m3)",
            "masked_softmax(huge_padding, m2)",
            "masked_softmax(s2, one_empty_row)",
            "masked_softmax(s3, np.zeros((3, 2, 1), dtype=bool))",
            "masked_softmax(s2, m2[:, :5])",
            "masked_softmax(s3, m3[:2])",
            "masked_softmax(s2, np.stack([m2, m2]))",
        ),
    ),
    Exercise(
        answer="scaled_dot_attention",
        test="test_scaled_dot_attention",
        fixture=SCALED_DOT,
        cases=(
            "scaled_dot_attention(*visible)",
            "scaled_dot_attention(Q, K, V)",
            "scaled_dot_attention(Q, K, V, padding)",
            "scaled_dot_attention(Q, K, V, causal)",
            "scaled_dot_attention(Q, K, V, padding & causal)",
            "scaled_dot_attention(Q, K, V, full)",
            "scaled_dot_attention(Q, K, V, empty_rows)",
            "scaled_dot_attention(*problem(8, 1, 1, 1, 3, 4))",
            "scaled_dot_attention(*problem(9, 2, 3, 3, 16, 16))",
            "scaled_dot_attention(*problem(10, 2, 5, 3, 64, 3, scale=30.0))",
            "scaled_dot_attention(*problem(11, 2, 2, 7, 1, 5), np.ones((2, 2, 7), dtype=bool))",
            "scaled_dot_attention(Q[0], K, V)",
            "scaled_dot_attention(Q, K[:1], V[:1])",
            "scaled_dot_attention(Q, K[:, :, :-1], V)",
            "scaled_dot_attention(Q, K, V[:, :-1])",
            "scaled_dot_attention(Q, K, V[0])",
            "scaled_dot_attention(Q, K, V, padding[:, :, :-1])",
        ),
    ),
    Exercise(
        answer="additive_attention_forward",
        test="test_additive_attention_forward",
        fixture=ADDITIVE_FORWARD,
        cases=(
            "additive_attention_forward(*worked)",
            "additive_attention_forward(query, keys, W_q, W_k, v, mask)",
            "additive_attention_forward(query, keys, W_q, W_k, v)",
            "additive_attention_forward(query, keys, W_q, W_k, v, np.ones((3, 5), dtype=bool))",
            "additive_attention_forward(*problem(12, 1, 1, 3, 2, 4))",
            "additive_attention_forward(*problem(13, 4, 6, 3, 5, 1, lengths=[6, 2, 4, 1]))",
            "additive_attention_forward(*problem(14, 2, 7, 2, 3, 5, scale=4.0, lengths=[7, 3]))",
            "additive_attention_forward(query[:1], keys, W_q, W_k, v, mask)",
            "additive_attention_forward(query, keys, W_q, W_k, v[:, None], mask)",
            "additive_attention_forward(query, keys, W_q, W_k[:, :-1], v, mask)",
            "additive_attention_forward(query, keys, W_q.T, W_k, v, mask)",
            "additive_attention_forward(query, keys, W_q, W_k, v, mask[:, :-1])",
            "additive_attention_forward(query, keys[0], W_q, W_k, v)",
        ),
    ),
    Exercise(
        answer="additive_attention_backward",
        test="test_additive_attention_backward",
        fixture=ADDITIVE_BACKWARD,
        cases=(
            "additive_attention_backward(*visible_problem())",
            "additive_attention_backward(dcontext, cache)",
            "additive_attention_backward(np.zeros_like(dcontext), cache)",
            "additive_attention_backward(*problem(15, 2, 4, 3, 3, 2))",
            "additive_attention_backward(*problem(16, 1, 1, 2, 3, 4))",
            "additive_attention_backward(*problem(17, 3, 6, 2, 4, 5, scale=3.0, "
            "lengths=[6, 3, 1]))",
            "additive_attention_backward(*problem(18, 4, 3, 1, 2, 1, lengths=[3, 2, 1, 3]))",
            "additive_attention_backward(dcontext[:1], cache)",
            "additive_attention_backward(dcontext[:, :-1], cache)",
            "additive_attention_backward(dcontext[0], cache)",
        ),
    ),
    Exercise(
        answer="attention_pooling",
        test="test_attention_pooling",
        fixture=POOLING,
        cases=(
            "pool(states, lengths)",
            "pool(garbage, lengths)",
            "pool(states, torch.full((4,), 6))",
            "pool(states[:1, :1], torch.tensor([1]))",
            "pooling(14, 2, 5)(batch(15, 3, 4, 2), torch.tensor([2, 4, 1]))",
            "gradients(pool, states, lengths)",
            "gradients(pooling(16, 3, 2), batch(17, 2, 5, 3), torch.tensor([2, 5]))",
            "sorted((name, tuple(p.shape)) for name, p in AttentionPooling(5, 2).named_parameters())",
            "isinstance(AttentionPooling(5, 2), nn.Module)",
            "pool(states, torch.tensor([6, 0, 3, 5]))",
            "pool(states, torch.tensor([6, 7, 3, 5]))",
            "pool(states, lengths[:3])",
        ),
    ),
    Exercise(
        answer="split_merge_heads",
        test="test_split_merge_heads",
        fixture=HEADS,
        cases=(
            "split_heads(x, 4)",
            "split_heads(x, 1)",
            "split_heads(x, 12)",
            "split_heads(x[:1, :1], 3)",
            "merge_heads(y)",
            "merge_heads(y[:, :1])",
            "merge_heads(split_heads(x, 6))",
            "split_heads(merge_heads(y), 4)",
            "mha_by_hand(8, 2, 0, [5, 5])",
            "mha_by_hand(12, 3, 16, [5, 2, 4])",
            "mha_by_hand(8, 4, 17, [3])",
            "split_heads(x, 5)",
            "split_heads(x[0], 2)",
            "merge_heads(x)",
            "merge_heads(y[0])",
        ),
    ),
]
