"""Hidden checks of homework 1 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks).
"""

from course_lib.grading.checks import Case, Exercise

FORBIDDEN = ("course_lib.ngram", "course_lib.sampling", "course_lib.decoding", "course_lib.lm",
             "nltk")
EITHER = ("ValueError", "TypeError")

TOY_COUNTS = """
counts = {(BOS,): Counter({"a": 2, "b": 1}), ("a",): Counter({EOS: 3}), ("b",): Counter({"a": 1})}
"""

PERPLEXITY_MODELS = """
def uniform_model(context, word):
    return 1 / 4


table = {(BOS,): {"a": 0.5, "b": 0.5}, ("a",): {"b": 0.5, EOS: 0.5}, ("b",): {EOS: 1.0}}


def table_model(context, word):
    return table.get(context, {}).get(word, 0.0)


def only_eos(h, w):
    return 0.2 if (h, w) == ((BOS,), EOS) else 0.0


def unigram(h, w):
    return {"a": 0.2, "b": 0.3, EOS: 0.5}[w] if h == () else 0.0


def trigram(h, w):
    return (0.25 if h == (BOS, BOS) else 0.5) if len(h) == 2 else 0.0


def likes_xy(h, w):
    return 0.9 if (h, w) == (("x",), "y") else 0.1
"""

BIGRAMS = """
bigrams = Counter({(BOS, "a"): 2, (BOS, "b"): 1, ("a", "b"): 1, ("a", EOS): 2, ("a", "c"): 1,
                   ("b", "a"): 2, ("c", EOS): 1})
"""

KN_DATA = """
TRAIN = [["a", "b", "a"], ["b", "a"], ["a", "c"]]
WORDS = ("a", "b", "c", EOS, UNK, "zzz", BOS)
CHARS = [list(w) for w in ("abracadabra", "cadabra", "abc", "bark", "arcade", "brr", "dab")]


def table(prob, contexts):
    return [[prob(tuple(h), w) for w in WORDS + ("r", "d", "k")] for h in contexts]
"""

TUNE_DATA = """
TRAIN = [["a", "b", "a"], ["b", "a"], ["a", "c"], ["b", "a", "c"]]
VALID = [["a", "b", "d"], ["c", "a"]]
CHARS = [list(w) for w in ("abracadabra", "cadabra", "abc", "bark", "arcade", "brr", "dab")]
CHARS_VALID = [list(w) for w in ("barbara", "cab", "drab", "radar")]
"""

EXERCISES = [
    Exercise(
        answer="padded_ngrams",
        test="test_padded_ngrams",
        cases=(
            'padded_ngrams(["a", "b"], 2)',
            'padded_ngrams(["a", "b"], 3)',
            "padded_ngrams([], 2)",
            'padded_ngrams(["x"], 1)',
            'padded_ngrams(("p", "q", "r"), 4)',
            'padded_ngrams(["u"], 3)',
            'padded_ngrams(list("abcdefg"), 5)',
            Case('padded_ngrams(["a"], 0)', errors=EITHER),
            Case('padded_ngrams(["a"], -2)', errors=EITHER),
            Case('padded_ngrams(["a"], 2.0)', errors=EITHER),
        ),
    ),
    Exercise(
        answer="add_k_prob",
        test="test_add_k_prob",
        fixture=TOY_COUNTS,
        cases=(
            "add_k_prob(counts, (BOS,), 'a', 1, 3)",
            "add_k_prob(counts, ('a',), 'b', 0.5, 3)",
            "add_k_prob(counts, (BOS,), 'b', 0, 3)",
            "add_k_prob(counts, ('z',), 'a', 1, 3)",
            "[add_k_prob(counts, (BOS,), w, 0.3, 3) for w in ('a', 'b', EOS)]",
            "add_k_prob(counts, ('a',), EOS, 2, 3)",
            "add_k_prob(counts, ('q',), 'a', 2, 7)",
            "add_k_prob({('x', 'y'): Counter({'z': 4, 't': 1})}, ('x', 'y'), 'z', 0.5, 10)",
            "add_k_prob(counts, ('b',), 'b', 0, 3)",
            "add_k_prob(counts, ('q',), 'a', 0, 3)",
            "add_k_prob(counts, (BOS,), 'a', -0.5, 3)",
            "add_k_prob(counts, (BOS,), 'a', 1, 0)",
        ),
    ),
    Exercise(
        answer="perplexity",
        test="test_perplexity",
        fixture=PERPLEXITY_MODELS,
        cases=(
            'perplexity(uniform_model, [["a", "b"], ["c"]], 2)',
            'perplexity(table_model, [["a", "b"], ["b"]], 2)',
            'perplexity(table_model, [["b", "a"]], 2)',
            "perplexity(only_eos, [[]], 2)",
            'perplexity(unigram, [["a"], ["b", "b"]], 1)',
            'perplexity(trigram, [["x", "y", "z"]], 3)',
            'perplexity(likes_xy, [["x", "y"], ["y"]], 2)',
            "perplexity(uniform_model, [], 2)",
            Case('perplexity(uniform_model, [["a"]], 0)', errors=EITHER),
        ),
    ),
    Exercise(
        answer="continuation_counts",
        test="test_continuation_counts",
        cases=(
            'type(continuation_counts([["a", "b", "a"], ["b", "a"], ["a", "c"]])).__name__',
            'dict(+continuation_counts([["a", "b", "a"], ["b", "a"], ["a", "c"]]))',
            "dict(+continuation_counts([]))",
            "dict(+continuation_counts([[]]))",
            'dict(+continuation_counts([["x", "x", "x"]]))',
            'dict(+continuation_counts([["s", "f"], ["s", "f"], ["s", "f"], ["t", "f"], ["f"]]))',
            'continuation_counts([["a", "b"]])[BOS]',
            'continuation_counts(["ab", "ba"])',
        ),
    ),
    Exercise(
        answer="kn_bigram_prob",
        test="test_kn_bigram_prob",
        fixture=BIGRAMS,
        cases=(
            'kn_bigram_prob(bigrams, "a", "b", 0.75)',
            'kn_bigram_prob(bigrams, "a", "a", 0.75)',
            '[kn_bigram_prob(bigrams, "a", w, 0.75) for w in ("a", "b", "c", EOS)]',
            'kn_bigram_prob(bigrams, "zzz", "a", 0.75)',
            "kn_bigram_prob(bigrams, 'a', EOS, 0.0)",
            "[kn_bigram_prob(bigrams, BOS, w, 0.4) for w in ('a', 'b', 'c', EOS)]",
            'kn_bigram_prob(bigrams, BOS, "c", 1.0)',
            'kn_bigram_prob(Counter({("s", "f"): 5, ("t", "g"): 1, ("u", "g"): 1}), "t", "f", 0.5)',
            'kn_bigram_prob(bigrams, "zzz", "never", 0.5)',
            'kn_bigram_prob(bigrams, "a", "b")',
            'kn_bigram_prob(Counter(), "a", "b", 0.5)',
            'kn_bigram_prob(bigrams, "a", "b", 1.5)',
            'kn_bigram_prob(bigrams, "a", "b", -0.1)',
        ),
    ),
    Exercise(
        answer="kn_model",
        test="test_kn_model",
        fixture=KN_DATA,
        cases=(
            'kn_model(TRAIN, 1, 0.5)((), "a")',
            "table(kn_model(TRAIN, 1, 0.3), [()])",
            'table(kn_model(TRAIN, 2, 0.5), [(BOS,), ("a",), ("b",), ("c",), ("zzz",)])',
            "table(kn_model(TRAIN, 3, 0.3), [(BOS, BOS), (BOS, 'a'), ('a', 'b'), ('b', 'a'),"
            " ('zzz', 'a'), ('a', 'zzz'), ('zzz', 'zzz')])",
            "table(kn_model(TRAIN, 4, 0.75), [(BOS, BOS, BOS), (BOS, BOS, 'a'), (BOS, 'b', 'a'),"
            " ('a', 'b', 'a'), ('zzz', 'b', 'a'), ('c', 'c', 'c')])",
            "table(kn_model(CHARS, 5, 0.6), [(BOS,) * 4, (BOS, BOS, 'a', 'b'), tuple('abra'),"
            " tuple('cada'), tuple('zbra'), tuple('zzra'), tuple('rcad')])",
            "table(kn_model(CHARS, 2, 0.9), [(BOS,), ('a',), ('r',), ('k',), ('z',)])",
            'kn_model(TRAIN, 2)((BOS,), "b")',
            'kn_model([["x"]], 3, 0.9)((BOS, BOS), "x")',
            'kn_model((("a", "b"), ("b",)), 2, 0.5)(("a",), "b")',
            Case("kn_model(TRAIN, 0, 0.5)", errors=EITHER),
            Case("kn_model(TRAIN, 2.0, 0.5)", errors=EITHER),
            Case("kn_model(TRAIN, 2, 0.0)", errors=EITHER),
            Case("kn_model(TRAIN, 2, 1.0)", errors=EITHER),
            Case("kn_model([], 2, 0.5)", errors=EITHER),
            Case('kn_model(["ab"], 2, 0.5)', errors=EITHER),
            Case('kn_model(TRAIN, 3, 0.5)(("a",), "b")', errors=EITHER),
            Case('kn_model(TRAIN, 1, 0.5)(("a",), "b")', errors=EITHER),
        ),
    ),
    Exercise(
        answer="tune_discount",
        test="test_tune_discount",
        fixture=TUNE_DATA,
        cases=(
            "tune_discount(TRAIN, VALID, 2, [0.1, 0.5, 0.9])",
            "tune_discount(TRAIN, VALID, 1, [0.2, 0.4])",
            "tune_discount(TRAIN, VALID, 3, (0.9, 0.5, 0.1))",
            "tune_discount(TRAIN, VALID, 4, [0.1, 0.5, 0.9])",
            "tune_discount(CHARS, CHARS_VALID, 4, [0.3, 0.6, 0.85])",
            "tune_discount(CHARS, CHARS_VALID, 2, [0.05, 0.5, 0.95])",
            'tune_discount(TRAIN, [["a", "b", "a", "c"] * 300], 3, [0.5, 0.9])',
            'tune_discount(CHARS, [list("abracadabra") * 200], 2, [0.4, 0.8])',
            "tune_discount(TRAIN, TRAIN, 2, [0.1, 0.9])",
            "tune_discount(TRAIN, [[]], 2, [0.5])",
            "tune_discount(TRAIN, VALID, 2, [0.5])[0]",
            Case("tune_discount(TRAIN, VALID, 2, [])", errors=EITHER),
            Case("tune_discount(TRAIN, VALID, 2, [0.5, 1.0])", errors=EITHER),
            Case("tune_discount(TRAIN, VALID, 0, [0.5])", errors=EITHER),
            Case("tune_discount([], VALID, 2, [0.5])", errors=EITHER),
            Case("tune_discount(TRAIN, [], 2, [0.5])", errors=EITHER),
        ),
    ),
    Exercise(
        answer="top_k_temperature_probs",
        test="test_top_k_temperature_probs",
        fixture="logits = np.array([1.0, 3.0, 2.0, 0.0])",
        cases=(
            "top_k_temperature_probs(logits, 1.0, 2)",
            "top_k_temperature_probs(logits, 0.5, 4)",
            "top_k_temperature_probs(logits, 0.0, 2)",
            "top_k_temperature_probs([0.5, -1.0, 2.0], 3.0, 1)",
            Case("top_k_temperature_probs([0.3, 0.1, 0.2, 0.4], 1e6, 3)", atol=1e-5),
            "top_k_temperature_probs(np.array([1000.0, 999.0, 0.0]), 1.0, 2)",
            "top_k_temperature_probs([2.0, 0.0, 1.0], 2.0, 2)",
            "top_k_temperature_probs([-5.0, -1.0, -3.0], 0.25, 2)",
            "top_k_temperature_probs(np.array([1.0, 2.0, 3.0]), 1.0, np.int64(2))",
            "top_k_temperature_probs([1.0, 2.0], -1.0, 1)",
            "top_k_temperature_probs([1.0, 2.0], 1.0, 0)",
            "top_k_temperature_probs([1.0, 2.0], 1.0, 3)",
            "top_k_temperature_probs([[1.0, 2.0]], 1.0, 1)",
            "top_k_temperature_probs([], 1.0, 1)",
        ),
    ),
]
