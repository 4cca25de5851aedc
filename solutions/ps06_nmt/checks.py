"""Hidden checks of homework 6 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks). A case
returns the function's raw outputs (or, for the loss, the gradient it sends back), never a verdict
computed next to the student's code. Fixtures draw every input from seeded torch generators and
build models with the set-up cell's classes, so both processes get the same numbers.
"""

from course_lib.grading.checks import Case, Exercise

# The course's own implementations of the exercises, every course module built on them, and the
# two BLEU libraries (masked while grading: absent modules, not detection).
FORBIDDEN = ("course_lib.seq2seq", "course_lib.decoding", "course_lib.metrics",
             "course_lib.attention", "course_lib.classify", "course_lib.hierarchical",
             "course_lib.lm", "course_lib.ngram", "sacrebleu", "nltk")

MASKED_NLL = """
def nll_problem(seed, N, T, V, pad_id, keep=0.6, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(N, T, V, generator=g, dtype=torch.float64)
    targets = torch.randint(0, V, (N, T), generator=g)
    targets[targets == pad_id] = (pad_id + 1) % V  # padding only where chosen below
    lengths = torch.randint(1, T + 1, (N,), generator=g)
    real = torch.arange(T)[None, :] < lengths[:, None]  # right padding...
    real &= torch.rand(N, T, generator=g) < keep  # ...and holes (keep < 1)
    real[:, 0] = True
    return logits, targets.masked_fill(~real, pad_id)


def nll_of(seed, N, T, V, pad_id, **kwargs):
    logits, targets = nll_problem(seed, N, T, V, pad_id, **kwargs)
    return masked_nll(torch.log_softmax(logits, dim=2), targets, pad_id)


def nll_gradient(seed, N, T, V, pad_id, **kwargs):
    # what training backpropagates: the gradient of the loss with respect to the logits
    logits, targets = nll_problem(seed, N, T, V, pad_id, **kwargs)
    logits.requires_grad_(True)
    loss, _ = masked_nll(torch.log_softmax(logits, dim=2), targets, pad_id)
    loss.backward()
    return logits.grad


def visible_problem():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 6, generator=g, dtype=torch.float64)
    targets = torch.randint(1, 6, (3, 5), generator=g)
    targets[0, 3:] = 0
    targets[2, 1:] = 0
    return torch.log_softmax(logits, dim=2), targets


lp, tg = nll_problem(5, 4, 6, 9, pad_id=3)
lp = torch.log_softmax(lp, dim=2)
"""

DECODER = """
def decoder_problem(seed, N, S, V, E, K, H, A, lengths=None, scale=1.0):
    dec = AttentionDecoder(V, E, K, H, A, seed=seed)
    g = torch.Generator().manual_seed(seed + 100)
    y_prev = torch.randint(0, V, (N,), generator=g)
    h_prev = scale * torch.randn(N, H, generator=g, dtype=torch.float64)
    enc = torch.randn(N, S, K, generator=g, dtype=torch.float64)
    if lengths is None:
        lengths = torch.randint(1, S + 1, (N,), generator=g)
    return y_prev, h_prev, enc, lengths_mask(lengths, S), dec


def holes(seed, N, S, V, E, K, H, A):
    # a mask that is not a prefix: real positions anywhere (position 1 is always real)
    y_prev, h_prev, enc, _, dec = decoder_problem(seed, N, S, V, E, K, H, A)
    g = torch.Generator().manual_seed(seed + 200)
    mask = torch.rand(N, S, generator=g) < 0.5
    mask[:, 1] = True
    return y_prev, h_prev, enc, mask, dec


def visible_problem():
    dec = AttentionDecoder(7, 4, 6, 5, 3, seed=0)
    g = torch.Generator().manual_seed(0)
    h_prev = torch.randn(3, 5, generator=g, dtype=torch.float64)
    enc = torch.randn(3, 5, 6, generator=g, dtype=torch.float64)
    return torch.tensor([2, 5, 3]), h_prev, enc, lengths_mask([5, 3, 1], 5), dec


y, h, enc, mask, dec = decoder_problem(1, 4, 6, 9, 3, 5, 4, 6)
"""

BEAM = """
def beam_of(seed, V, K, max_len, alpha, eos_bias=0.0, bos_id=0, eos_id=1, H=8):
    lm = TinyLM(V, H, bos_id, eos_id, eos_bias, seed)
    return beam_search(lm.step, lm.start, bos_id, eos_id, K, max_len, alpha)


# the visible test's table: 0 = <s>, 1 = </s>, words 2, 3, 4
probs = [[0.0, 0.40, 0.35, 0.25, 0.0],
         [0.0, 0.97, 0.01, 0.01, 0.01],
         [0.0, 0.04, 0.06, 0.85, 0.05],
         [0.0, 0.90, 0.04, 0.03, 0.03],
         [0.0, 0.20, 0.30, 0.30, 0.20]]
table, dummy = table_step(probs), torch.zeros(1, 1)
# a second table: the best output starts with the second-best first token
probs2 = [[0.0, 0.02, 0.53, 0.45, 0.0],
          [0.0, 0.97, 0.01, 0.01, 0.01],
          [0.0, 0.02, 0.01, 0.49, 0.48],
          [0.0, 0.03, 0.47, 0.001, 0.499],
          [0.0, 0.99, 0.005, 0.004, 0.001]]
table2 = table_step(probs2)
"""

BLEU = """
WORDS = "the a cat dog sat on mat . is big red".split()


def corpus(seed, n, max_len, p_empty=0.0, noise=0.3):
    g = torch.Generator().manual_seed(seed)

    def sentence(length):
        return [WORDS[int(i)] for i in torch.randint(0, len(WORDS), (length,), generator=g)]

    refs, hyps = [], []
    for _ in range(n):
        ref = sentence(int(torch.randint(1, max_len + 1, (1,), generator=g)))
        refs.append(ref)
        if float(torch.rand(1, generator=g)) < p_empty:
            hyps.append([])
            continue
        hyp = [WORDS[int(torch.randint(0, len(WORDS), (1,), generator=g))]
               if float(torch.rand(1, generator=g)) < noise else t for t in ref]
        cut = int(torch.randint(-2, 3, (1,), generator=g))  # shorter or longer than ref
        hyps.append(hyp[:cut] if cut < 0 else hyp + sentence(cut))
    return hyps, refs


cat = "the cat is on the mat".split()
sat = "the cat sat on the mat".split()
"""

EITHER = ("ValueError", "TypeError")

EXERCISES = [
    Exercise(
        answer="masked_nll",
        test="test_masked_nll",
        fixture=MASKED_NLL,
        cases=(
            "masked_nll(*visible_problem(), 0)",
            "masked_nll(lp, tg, 3)",
            "nll_of(1, 2, 7, 5, pad_id=0)",
            "nll_of(2, 5, 4, 6, pad_id=2, keep=1.0)",
            "nll_of(3, 1, 1, 3, pad_id=0)",
            "nll_of(4, 3, 8, 4, pad_id=1, keep=0.3, scale=5.0)",
            "nll_gradient(6, 3, 5, 7, pad_id=0)",
            "nll_gradient(7, 4, 6, 5, pad_id=4, keep=0.5)",
            "nll_gradient(8, 2, 3, 4, pad_id=1, keep=1.0)",
            "masked_nll(lp, torch.full_like(tg, 3), 3)",
            Case("masked_nll(lp[0], tg, 3)", errors=EITHER),
            Case("masked_nll(lp, tg[:, :-1], 3)", errors=EITHER),
        ),
    ),
    Exercise(
        answer="decoder_step",
        test="test_decoder_step",
        fixture=DECODER,
        cases=(
            "decoder_step(*visible_problem())",
            "decoder_step(y, h, enc, mask, dec)",
            "decoder_step(*decoder_problem(2, 1, 1, 5, 2, 3, 4, 2))",
            "decoder_step(*decoder_problem(3, 3, 4, 6, 3, 4, 4, 5, lengths=[4, 4, 4]))",
            "decoder_step(*decoder_problem(4, 5, 7, 8, 4, 3, 6, 2, scale=4.0))",
            "decoder_step(*holes(5, 4, 6, 7, 3, 5, 4, 3))",
            "decoder_step(*decoder_problem(6, 2, 9, 4, 2, 6, 6, 4, lengths=[1, 9]))",
            "decoder_step(y, h, enc, mask & torch.tensor([[True]] * 3 + [[False]]), dec)",
            "decoder_step(y, h, enc, mask[:, :-1], dec)",
            "decoder_step(y, h, enc, mask[0], dec)",
        ),
    ),
    Exercise(
        answer="beam_search",
        test="test_beam_search",
        fixture=BEAM,
        cases=(
            "beam_search(table, dummy, 0, 1, 1, 10, 1.0)",
            "beam_search(table, dummy, 0, 1, 2, 10, 0.0)",
            "beam_search(table, dummy, 0, 1, 2, 10, 1.0)",
            "beam_search(table2, dummy, 0, 1, 1, 6, 0.0)",
            "beam_search(table2, dummy, 0, 1, 2, 6, 0.0)",
            "beam_search(table2, dummy, 0, 1, 3, 6, 0.5)",
            "beam_of(14, 5, 2, 6, 0.0, eos_bias=-1.0)",
            "beam_of(16, 5, 3, 6, 0.6)",
            "beam_of(18, 6, 3, 7, 1.0, eos_bias=-0.5)",
            "beam_of(22, 4, 2, 8, 1.0, eos_bias=-1.0)",
            "beam_of(23, 5, 3, 6, 0.6)",
            "beam_of(33, 6, 3, 7, 1.0, eos_bias=-0.5)",
            "beam_of(38, 4, 2, 8, 1.0, eos_bias=-1.0)",
            "beam_of(4, 4, 1, 6, 1.0)",
            "beam_of(5, 4, 50, 5, 0.7, eos_bias=-2.0)",
            "beam_of(6, 7, 4, 3, 1.0, bos_id=3, eos_id=5)",
            "beam_of(7, 5, 3, 1, 1.0)",
            "beam_of(8, 5, 3, 6, 1.0, eos_bias=3.0)",
            "beam_of(9, 5, 3, 4, 0.0, eos_bias=-8.0)",
            Case("beam_search(table, dummy, 0, 1, 0, 10, 1.0)", errors=EITHER),
            Case("beam_search(table, dummy, 0, 1, 2, 0, 1.0)", errors=EITHER),
        ),
    ),
    Exercise(
        answer="corpus_bleu",
        test="test_corpus_bleu",
        fixture=BLEU,
        cases=(
            "corpus_bleu([['the'] * 7], [cat], max_n=1)",
            "corpus_bleu([sat], [cat], max_n=3)",
            "corpus_bleu([cat[:4]], [cat])",
            "corpus_bleu([cat, ['a', 'dog']], [cat, ['a', 'dog', 'barks']])",
            "corpus_bleu([cat], [cat])",
            "corpus_bleu(*corpus(1, 5, 12))",
            "corpus_bleu(*corpus(2, 8, 6, p_empty=0.2), max_n=2)",
            "corpus_bleu(*corpus(3, 3, 15, noise=0.1), max_n=3)",
            "corpus_bleu(*corpus(4, 10, 4), max_n=1)",
            "corpus_bleu(*corpus(5, 6, 20, noise=0.5))",
            "corpus_bleu(*corpus(6, 4, 9, noise=0.0))",
            "corpus_bleu([sat + sat], [cat])",
            "corpus_bleu([sat[:3], sat[3:]], [cat, cat], max_n=4)",
            "corpus_bleu([[], []], [cat, sat])",
            "corpus_bleu([[], cat], [cat, sat])",
            Case("corpus_bleu([cat], [cat, sat])", errors=EITHER),
            Case("corpus_bleu([], [])", errors=EITHER),
        ),
    ),
]
