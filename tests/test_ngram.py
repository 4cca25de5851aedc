import itertools
import math
import warnings
from collections import Counter
from functools import cache

import numpy as np
import pytest

from course_lib.ngram import SMOOTHINGS, NGramLM, ngrams, pad, tune_kneser_ney
from course_lib.sampling import sample_from_logits
from course_lib.text import BOS, EOS, UNK

TOY = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat saw the dog",
    "the cat ran",
    "a dog ran on the mat",
    "the cat sat",
]
TOY = [s.split() for s in TOY]
TOY_DISCOUNTS = (0.6, 1.1, 1.7)  # TOY is too small to estimate three discounts per order


def toy_model(order, smoothing):
    """NGramLM(order, smoothing) fitted on TOY (modified Kneser-Ney with fixed discounts)."""
    if smoothing == "modified_kneser_ney":
        return NGramLM(order, smoothing, discounts=TOY_DISCOUNTS).fit(TOY)
    return NGramLM(order, smoothing).fit(TOY)


def zipf_corpus(n_sentences=500, n_words=400, seed=0):
    """Random sentences of Zipf-distributed words: enough n-grams seen 1-4 times for modified KN."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, n_words + 1)
    p /= p.sum()
    return [[f"w{i}" for i in rng.choice(n_words, size=rng.integers(2, 9), p=p)]
            for _ in range(n_sentences)]


def test_pad_and_ngrams():
    assert pad(["a", "b"], 3) == [BOS, BOS, "a", "b", EOS]
    assert pad([], 1) == [EOS]
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert ngrams(["a", "b"], 3) == []
    assert ngrams(pad(["x"], 2), 1) == [(BOS,), ("x",), (EOS,)]


def test_vocab_contents_and_order():
    lm = NGramLM(2).fit([["b", "a", "b"], ["c", "a", "b"]])
    assert lm.vocab == [UNK, EOS, "b", "a", "c"]  # then by frequency, ties alphabetical
    assert BOS not in lm.vocab
    assert lm.probs(("a",)).shape == (5,)


def test_bos_is_never_predicted():
    lm = NGramLM(3, "mle").fit(TOY)
    assert lm.prob(BOS, ("the",)) == 0.0
    assert lm.logprob(BOS) == -math.inf
    # the first word is predicted from the <s> <s> context: its MLE is a sentence-start frequency
    assert lm.prob("the", ()) == pytest.approx(4 / 6)
    assert lm.prob("the", (BOS, BOS)) == lm.prob("the", ())
    assert lm.prob("a", ("zzz", BOS, BOS)) == lm.prob("a", ())  # only the last n-1 are used


def test_perplexity_by_hand():
    lm = NGramLM(2, "mle").fit([["a", "b"], ["b"]])
    # padded: <s> a b </s> | <s> b </s>; P(a|<s>) = 1/2, P(b|a) = 1, P(</s>|b) = 1
    assert lm.perplexity([["a", "b"]]) == pytest.approx(math.exp(-math.log(0.5) / 3))
    # two sentences: 5 predicted tokens (no <s>), P(b|<s>) = 1/2 as well
    assert lm.perplexity([["a", "b"], ["b"]]) == pytest.approx(math.exp(-2 * math.log(0.5) / 5))
    # an unseen bigram (a -> a) has MLE probability 0: perplexity inf, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lm.perplexity([["a", "a"]]) == math.inf
        assert lm.logprob("a", ("a",)) == -math.inf


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_perplexity_agrees_with_prob(smoothing, order):
    lm = toy_model(order, smoothing)
    test = [["the", "dog", "sat", "on", "a", "hat"], ["a", "cat"]]
    logps = []
    for sentence in test:
        padded = pad(sentence, order)
        for t in range(order - 1, len(padded)):
            logps.append(lm.logprob(padded[t], tuple(padded[t - order + 1 : t])))
    assert lm.perplexity(test) == pytest.approx(math.exp(-np.mean(logps)), rel=1e-12)


def test_add_k_formula_by_hand():
    lm = NGramLM(2, "add_k", k=0.5).fit([["a", "b"], ["b"]])  # |V| = 4: <unk> </s> a b
    assert lm.prob("b", ("a",)) == pytest.approx((1 + 0.5) / (1 + 0.5 * 4))
    assert lm.prob("a", ("b",)) == pytest.approx((0 + 0.5) / (2 + 0.5 * 4))
    assert lm.prob(EOS, ("b",)) == pytest.approx((2 + 0.5) / (2 + 0.5 * 4))
    assert lm.prob("a", ("never",)) == pytest.approx(0.25)  # unseen context: uniform


def test_unknown_tokens_map_to_unk():
    lm = NGramLM(2, "add_k").fit(TOY)
    assert lm.prob("zebra", ("the",)) == lm.prob(UNK, ("the",))
    assert lm.prob("cat", ("zebra",)) == lm.prob("cat", (UNK,))
    assert lm.perplexity([["the", "zebra"]]) == lm.perplexity([["the", UNK]])
    assert np.array_equal(lm.probs(("zebra",)), lm.probs((UNK,)))


CONTEXTS = [(), ("the",), ("the", "cat"), ("cat", "the"), ("zzz", "cat"), ("on", "zzz"), (BOS,),
            ("the", "cat", "sat"), (EOS, EOS, EOS), ("mat", "cat", "sat")]


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_probabilities_sum_to_one(smoothing, order):
    lm = toy_model(order, smoothing)
    for context in CONTEXTS:  # seen, unseen and partly seen contexts
        probs = lm.probs(context)
        assert probs.shape == (len(lm.vocab),)
        assert np.all(probs >= 0)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)
        assert probs[lm.vocab.index("cat")] == pytest.approx(lm.prob("cat", context), abs=1e-15)


def kneser_ney_reference(corpus, n, d):
    """Interpolated Kneser-Ney straight from the definition, with loops over the padded corpus.

    d is one discount (plain KN) or a function d(level, count) (modified KN)."""
    discount = d if callable(d) else (lambda level, count: d if count > 0 else 0)
    padded = [[BOS] * (n - 1) + s + [EOS] for s in corpus]
    vocab = sorted({t for s in corpus for t in s} | {EOS, UNK})
    seen = {k: Counter() for k in range(1, n + 1)}  # k-gram -> number of occurrences
    for sentence in padded:
        for end in range(len(sentence)):
            for k in range(1, n + 1):
                if end - k + 1 >= 0:
                    seen[k][tuple(sentence[end - k + 1 : end + 1])] += 1

    before = {k: {} for k in range(1, n)}  # k-gram -> the distinct tokens right before it
    for k in range(1, n):
        for longer in seen[k + 1]:
            before[k].setdefault(longer[1:], set()).add(longer[0])

    @cache
    def a(gram):
        if len(gram) == n:  # highest order: the count
            return seen[n][gram]
        return len(before[len(gram)].get(gram, ()))  # lower order: distinct left neighbours

    def p(word, context):
        return p_level(word, context, len(context) + 1)

    @cache
    def totals(context, level):  # a(h) and the discounted mass sum_x D(a(h x))
        counts = [a(context + (x,)) for x in vocab]
        return sum(counts), sum(discount(level, c) for c in counts)

    def p_level(word, context, level):
        if level == 0:
            return 1 / len(vocab)
        lower = p_level(word, context[1:], level - 1)
        total, mass = totals(context, level)
        if total == 0:
            return lower
        count = a(context + (word,))
        return (count - discount(level, count)) / total + mass / total * lower

    return vocab, p


def count_of_counts_discounts(corpus, n):
    """Chen & Goodman's three discounts per order, from count-of-counts found by brute force:
    counts at order n, continuation counts (distinct left neighbours) below."""
    padded = [[BOS] * (n - 1) + s + [EOS] for s in corpus]
    grams = {k: Counter() for k in range(1, n + 2)}
    for sentence in padded:
        for end in range(n - 1, len(sentence)):  # only grams that end in a predicted token
            for k in range(1, n + 1):
                grams[k][tuple(sentence[end - k + 1 : end + 1])] += 1
    rows = []
    for k in range(1, n + 1):
        if k == n:
            values = list(grams[n].values())
        else:
            left = Counter(g[1:] for g in grams[k + 1])
            values = [left[g] for g in grams[k] if left[g] > 0]
        n_c = [sum(1 for v in values if v == c) for c in (1, 2, 3, 4)]
        y = n_c[0] / (n_c[0] + 2 * n_c[1])
        rows.append([c - (c + 1) * y * n_c[c] / n_c[c - 1] for c in (1, 2, 3)])
    return np.array(rows)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("discount", [0.75, 0.3])
def test_kneser_ney_matches_brute_force(order, discount):
    lm = NGramLM(order, "kneser_ney", discount=discount).fit(TOY)
    vocab, reference = kneser_ney_reference(TOY, order, discount)
    assert sorted(lm.vocab) == vocab
    for context in itertools.product(vocab + [BOS], repeat=order - 1):
        expected = [reference(w, context) for w in lm.vocab]
        assert np.allclose(lm.probs(context), expected, rtol=1e-12, atol=1e-15), context


@pytest.mark.parametrize("order", [1, 2, 3])
def test_modified_kneser_ney_matches_brute_force(order):
    table = np.array([0.0, *TOY_DISCOUNTS])
    lm = NGramLM(order, "modified_kneser_ney", discounts=TOY_DISCOUNTS).fit(TOY)
    vocab, reference = kneser_ney_reference(TOY, order, lambda level, c: table[min(c, 3)])
    assert np.allclose(lm.discounts, [TOY_DISCOUNTS] * order)
    for context in itertools.product(vocab + [BOS], repeat=order - 1):
        expected = [reference(w, context) for w in lm.vocab]
        assert np.allclose(lm.probs(context), expected, rtol=1e-12, atol=1e-15), context


def test_modified_kneser_ney_estimates_chen_goodman_discounts():
    corpus, order = zipf_corpus(), 3
    lm = NGramLM(order, "modified_kneser_ney").fit(corpus)
    expected = count_of_counts_discounts(corpus, order)
    assert lm.discounts.shape == (order, 3)
    assert np.allclose(lm.discounts, expected, rtol=1e-12)
    assert not np.allclose(expected[:, 0], expected[:, 2])  # three different discounts
    table = np.column_stack([np.zeros(order), expected])
    vocab, reference = kneser_ney_reference(corpus, order, lambda lv, c: table[lv - 1, min(c, 3)])
    rng = np.random.default_rng(1)
    sentence = corpus[7]
    contexts = [(BOS, BOS), (BOS, sentence[0]), tuple(sentence[:2]), ("w3", "w1"),
                tuple(rng.choice(vocab, 2))]
    for context in contexts:
        expected_probs = [reference(w, context) for w in lm.vocab]
        assert np.allclose(lm.probs(context), expected_probs, rtol=1e-12, atol=1e-15), context
    # plain Kneser-Ney is modified Kneser-Ney with three equal discounts
    plain = NGramLM(order, "kneser_ney", discount=0.7).fit(corpus)
    same = NGramLM(order, "modified_kneser_ney", discounts=(0.7, 0.7, 0.7)).fit(corpus)
    assert np.allclose(plain.probs(contexts[2]), same.probs(contexts[2]), rtol=1e-13)
    # on held-out text the estimated discounts beat the single default D = 0.75
    held_out = zipf_corpus(200, seed=5)
    default = NGramLM(order, "kneser_ney").fit(corpus)
    assert lm.perplexity(held_out) < default.perplexity(held_out)


def test_modified_kneser_ney_errors():
    with pytest.raises(ValueError, match="too little data"):
        NGramLM(3, "modified_kneser_ney").fit(TOY)
    for bad in [(0.5, 1.0), (1.0, 1.0, 1.0), (0.5, 2.5, 1.0), (0.5, 1.0, -1.0), "abc"]:
        with pytest.raises(ValueError, match="discounts"):
            NGramLM(2, "modified_kneser_ney", discounts=bad)


def test_kneser_ney_prefers_words_seen_after_many_contexts():
    # "francisco" is frequent but only follows "san"; "glasses" follows many words
    corpus = [["san", "francisco"]] * 6 + [[w, "glasses"] for w in ("red", "my", "new")]
    lm = NGramLM(2).fit(corpus)
    assert lm.prob("glasses", ("new",)) > lm.prob("francisco", ("new",))
    unigram = NGramLM(2, "mle").fit(corpus)
    assert unigram.prob("francisco", ("san",)) == 1.0


def nltk_model(cls, corpus, n, **kwargs):
    """nltk.lm model fed our padding: nltk's own pipeline pads with n-1 </s> and counts <s>
    as a word. We give it exactly our n-grams (all orders, those ending in a predicted token)
    and our vocabulary (training tokens and </s>; nltk adds <UNK>, so |V| is the same and <s>
    is read as <UNK> in contexts)."""
    from nltk.lm import Vocabulary
    from nltk.util import everygrams

    text = [[g for g in everygrams(pad(s, n), max_len=n) if g[-1] != BOS] for s in corpus]
    model = cls(order=n, vocabulary=Vocabulary([t for s in corpus for t in s] + [EOS]), **kwargs)
    model.fit(text)
    return model


@pytest.mark.parametrize("order", [1, 2, 3])
def test_mle_and_laplace_match_nltk(order):
    from nltk.lm import MLE, Laplace, Lidstone

    references = {
        ("mle", 1.0): nltk_model(MLE, TOY, order),
        ("add_k", 1.0): nltk_model(Laplace, TOY, order),
        ("add_k", 0.1): nltk_model(Lidstone, TOY, order, gamma=0.1),
    }
    for (smoothing, k), ref in references.items():
        lm = NGramLM(order, smoothing, k=k).fit(TOY)
        assert len(ref.vocab) == len(lm.vocab)
        for context in itertools.product(lm.vocab[1:] + [BOS], repeat=order - 1):
            seen = order == 1 or ref.context_counts(ref.vocab.lookup(context)).N() > 0
            if smoothing == "mle" and not seen:
                continue  # unseen context: nltk's MLE gives 0 everywhere, we give uniform
            theirs = [ref.score(w, list(context) or None) for w in lm.vocab]
            assert np.allclose(lm.probs(context), theirs, rtol=1e-12, atol=0), (smoothing, context)


def test_interpolated_lambdas_maximise_held_out_likelihood():
    train, valid = TOY[:4], TOY[4:]
    lm = NGramLM(2, "interpolated").fit(train, valid=valid)
    assert lm.lambdas.shape == (3,)
    assert np.all(lm.lambdas >= 0) and lm.lambdas.sum() == pytest.approx(1.0)
    best = lm.perplexity(valid)
    # brute-force search over a grid of the simplex: nothing beats the EM solution
    grid = np.linspace(0.01, 0.98, 40)
    for l0, l1 in itertools.product(grid, grid):
        if l0 + l1 < 1:
            lm.lambdas = np.array([l0, l1, 1 - l0 - l1])
            assert lm.perplexity(valid) >= best * (1 - 1e-9)


def test_interpolated_is_the_documented_mixture():
    lm = NGramLM(3, "interpolated").fit(TOY)
    mle = [NGramLM(j, "mle").fit(TOY) for j in (1, 2, 3)]
    for context in [("the", "cat"), ("zzz", "cat"), ("zzz", "zzz"), ()]:
        expected = lm.lambdas[0] / len(lm.vocab)
        for j, model in enumerate(mle, start=1):
            expected = expected + lm.lambdas[j] * model.probs(context)
        assert np.allclose(lm.probs(context), expected, rtol=1e-12)


def test_interpolated_default_holdout_is_every_tenth_sentence():
    sentences = [TOY[i % len(TOY)] + [str(i % 3)] for i in range(25)]
    held = [sentences[9], sentences[19]]
    rest = [s for i, s in enumerate(sentences) if i not in (9, 19)]
    lm = NGramLM(2, "interpolated").fit(sentences)
    tuned_on_rest = NGramLM(2, "interpolated").fit(rest, valid=held)
    assert np.allclose(lm.lambdas, tuned_on_rest.lambdas, rtol=1e-12)
    # ...but the final counts come from every training sentence
    full = NGramLM(2, "interpolated").fit(sentences, valid=held)
    full.lambdas = lm.lambdas
    assert np.allclose(lm.probs(("the",)), full.probs(("the",)), rtol=1e-12)
    # fewer than ten sentences: the last one is held out
    small = NGramLM(2, "interpolated").fit(TOY)
    assert np.allclose(small.lambdas, NGramLM(2, "interpolated").fit(TOY[:-1], TOY[-1:]).lambdas)


def test_same_data_same_numbers_and_generators_accepted():
    a = NGramLM(3).fit(TOY)
    b = NGramLM(3).fit(iter(TOY))  # any iterable of token lists
    assert np.array_equal(a.probs(("the", "cat")), b.probs(("the", "cat")))
    assert a.perplexity(TOY) == b.perplexity(s for s in TOY)


def test_generate():
    lm = NGramLM(3).fit(TOY)
    first = lm.generate(seed=3)
    assert first == lm.generate(seed=3)
    assert first == lm.generate(rng=np.random.default_rng(3))
    samples = [tuple(lm.generate(seed=s)) for s in range(20)]
    assert len(set(samples)) > 5
    for sample in samples:
        assert BOS not in sample and EOS not in sample and all(t in lm.vocab for t in sample)
    assert len(lm.generate(seed=0, max_len=3)) <= 3
    # greedy: always the most probable next token
    mle = NGramLM(2, "mle").fit([["a", "b", "c"], ["a", "b", "c"], ["a", "c"]])
    assert mle.generate(temperature=0) == ["a", "b", "c"]
    assert mle.generate(seed=1, top_k=1) == ["a", "b", "c"]
    assert mle.generate(temperature=0, prefix=["c", "a"]) == ["c", "a", "b", "c"]
    with pytest.raises(ValueError, match="seed and rng"):
        lm.generate(seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="max_len"):
        lm.generate(seed=1, max_len=0)


def test_generate_equals_a_manual_sampling_loop_and_many_follow_the_model():
    lm = NGramLM(3).fit(TOY)
    for seed in range(10):
        rng, out = np.random.default_rng(seed), ["the"]
        for _ in range(8):
            with np.errstate(divide="ignore"):
                token = lm.vocab[sample_from_logits(np.log(lm.probs(tuple(out))), rng, top_p=0.95)]
            if token == EOS:
                break
            out.append(token)
        assert lm.generate(seed=seed, max_len=8, top_p=0.95, prefix=["the"]) == out
    many = lm.generate_many(4000, seed=0, max_len=1)
    assert lm.generate_many(5, seed=2) == lm.generate_many(5, rng=np.random.default_rng(2))
    firsts = Counter(tokens[0] if tokens else EOS for tokens in many)
    for token, p in zip(lm.vocab, lm.probs(()), strict=True):
        assert abs(firsts[token] / 4000 - p) < 4 * math.sqrt(p * (1 - p) / 4000) + 1e-3
    with pytest.raises(ValueError, match="n must"):
        lm.generate_many(0)


def test_errors():
    with pytest.raises(ValueError, match="order"):
        NGramLM(0)
    with pytest.raises(ValueError, match="order"):
        NGramLM("3")
    with pytest.raises(ValueError, match="smoothing"):
        NGramLM(2, "witten_bell")
    for k in (0, -1.0):
        with pytest.raises(ValueError, match="k must"):
            NGramLM(2, "add_k", k=k)
    for d in (0, 1, 1.5, -0.2):
        with pytest.raises(ValueError, match="discount"):
            NGramLM(2, discount=d)
    with pytest.raises(ValueError, match="not fitted"):
        NGramLM(2).prob("a")
    with pytest.raises(ValueError, match="not fitted"):
        NGramLM(2).perplexity(TOY)
    lm = NGramLM(2)
    with pytest.raises(ValueError, match="sentences"):
        lm.fit([])
    with pytest.raises(ValueError, match="sentences"):
        lm.fit([[], []])
    with pytest.raises(TypeError, match="sentences"):
        lm.fit("the cat sat")
    with pytest.raises(TypeError, match="sentences"):
        lm.fit(["the cat", "a dog"])
    with pytest.raises(ValueError, match="padding"):
        lm.fit([[BOS, "a"]])
    with pytest.raises(TypeError, match="tokens"):
        pad("abc", 2)
    with pytest.raises(ValueError, match="n must"):
        ngrams(["a"], 0)
    lm.fit(TOY)
    with pytest.raises(ValueError, match="sentences"):
        lm.perplexity([])
    with pytest.raises(TypeError, match="context"):
        lm.prob("cat", "the")
    with pytest.raises(TypeError, match="valid"):
        NGramLM(2, "interpolated").fit(TOY, valid="the cat")
    with pytest.raises(ValueError, match="valid"):
        NGramLM(2, "interpolated").fit([["a", "b"]])


def test_tune_kneser_ney_picks_the_best_validation_model():
    train, valid = zipf_corpus(), zipf_corpus(100, seed=9)
    best, trials = tune_kneser_ney(train, valid, orders=(1, 2, 3), discounts=(0.5, 0.9))
    assert len(trials) == 3 * 3  # two values of D and modified KN at each order
    winner = min(trials, key=lambda t: t["valid perplexity"])
    assert best.order == winner["order"] and best.smoothing == winner["smoothing"]
    assert best.perplexity(valid) == pytest.approx(winner["valid perplexity"], rel=1e-12)
    for t in trials:  # each trial is the model fitted directly with those settings
        kwargs = {} if t["discount"] is None else {"discount": t["discount"]}
        direct = NGramLM(t["order"], t["smoothing"], **kwargs).fit(train)
        assert direct.perplexity(valid) == pytest.approx(t["valid perplexity"], rel=1e-12)
    # too little data for three discounts: modified Kneser-Ney is skipped, not an error
    _, toy_trials = tune_kneser_ney(TOY[:4], TOY[4:], orders=(2,), discounts=(0.5,))
    assert [t["smoothing"] for t in toy_trials] == ["kneser_ney"]
    with pytest.raises(ValueError, match="discount"):
        tune_kneser_ney(TOY[:4], TOY[4:], orders=(2,), discounts=(1.5,))
