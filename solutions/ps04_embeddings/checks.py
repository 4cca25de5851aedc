"""Hidden checks of homework 4 (read by course_lib.grading; never released to students).

Each case is evaluated on the student's answer and on the instructor's, each in its own sandboxed
process, and the two results are compared by the grader (see course_lib.grading.checks). A case
returns the function's raw outputs (and, where the answer must not change its input, the input
after the call), never a verdict computed next to the student's code.

Tolerances: the gradients of exercise 3 must equal the exact ones to about ten significant digits
(rtol 1e-10, atol 1e-12), far tighter than any finite-difference gradient can be (a centred
difference errs by about 1e-10 relative at best) but loose enough for every exact formula
(float64 round-off, about 1e-15). The cosines of exercise 5 allow atol 1e-6: gensim, the
reference of the test suite, rounds the offset vector to float32.
"""

from course_lib.grading.checks import Case, Exercise

# the course's own implementations and the module built on them (seq2seq imports bpe), the
# libraries that do the exercises outright, and torch (autograd would do exercise 3)
FORBIDDEN = ("course_lib.bpe", "course_lib.word2vec", "course_lib.word_vectors",
             "course_lib.embeddings", "course_lib.seq2seq",
             "gensim", "subword_nmt", "tokenizers", "torch")
EITHER = ("ValueError", "TypeError")

TOY = """
toy = {("l", "o", "w</w>"): 5, ("l", "o", "w", "e", "r</w>"): 2,
       ("n", "e", "w", "e", "s", "t</w>"): 6, ("w", "i", "d", "e", "s", "t</w>"): 3}
text = "the cat sat on the mat and the rat sat on the cat while the dog ate at the hat shop"
sentence = {word_to_symbols(w): c for w, c in Counter(text.split()).items()}
"""

PAIRS = TOY + """
merged = {("th", "e</w>"): 4, ("c", "at</w>"): 2, ("s", "at</w>"): 2, ("a", "n", "d</w>"): 1,
          ("at</w>",): 3}
"""

MERGE = TOY + """
def learn(vocab, steps):
    merges = []
    for _ in range(steps):
        pair, vocab = bpe_merge_step(vocab)
        merges.append(pair)
    return merges, vocab


def vocab_after_step(vocab):
    bpe_merge_step(vocab)
    return vocab
"""

SGNS = """
def problem(seed, D, K, scale=1.0):
    r = np.random.default_rng(seed)
    return scale * r.normal(size=D), scale * r.normal(size=D), scale * r.normal(size=(K, D))


# the visible test's inputs
v_c, u_o, U = np.array([1.0, 0.0]), np.array([2.0, 0.0]), np.array([[0.0, 1.0], [-1.0, 0.0]])
far = (np.array([30.0, 0.0]), np.array([-30.0, 0.0]), np.array([[30.0, 0.0]]))
"""
EXACT = {"rtol": 1e-10, "atol": 1e-12}

VECTORS = """
rng = np.random.default_rng(404)
words = [f"w{i}" for i in range(12)]
vectors = rng.normal(size=(12, 5)) * rng.uniform(0.2, 5.0, size=(12, 1))  # lengths 0.2 to 5
# the visible tests' vectors
animals = ["cat", "dog", "car", "truck", "kitten"]
animal_vectors = np.array([[1.0, 0.1], [0.9, 0.5], [0.2, 1.0], [2.0, 20.0], [3.0, 0.2]])
royals = ["man", "woman", "king", "queen", "castle", "apple"]
royal_vectors = np.array([[0.0, 1.0, 0.2], [0.0, -1.0, 0.2], [2.0, 2.0, 0.0], [2.0, -2.0, 0.1],
                          [10.0, 0.0, 0.0], [0.1, 0.0, 1.0]])
# long vectors in a direction of their own, where a dot product and a cosine disagree
long_words = ["a", "b", "c", "d", "e", "f"]
long_vectors = np.array([[1.0, 0.0, 0.0], [0.9, 0.4, 0.0], [0.6, 0.0, 0.8], [30.0, 30.0, 1.0],
                         [0.0, 1.0, 0.0], [-40.0, 5.0, 50.0]])
"""
LOOSE = {"atol": 1e-6}

EXERCISES = [
    Exercise(
        answer="count_pairs",
        test="test_count_pairs",
        fixture=PAIRS,
        cases=(
            "count_pairs(toy)",
            "type(count_pairs(toy)).__name__",
            "count_pairs(sentence)",
            "count_pairs(merged)",
            "count_pairs({('a', 'b</w>'): 1, ('c', 'd</w>'): 2, ('b', 'a</w>'): 4})",
            "count_pairs({('a', 'a', 'a', 'a</w>'): 3, ('a', 'a</w>'): 1})",
            "count_pairs({('x', 'y', 'x', 'y'): 7, ('y', 'x'): 1})",
            "count_pairs({('q</w>',): 5})",
            "count_pairs({})",
            Case("count_pairs({'low': 1})", errors=EITHER),
            Case("count_pairs({(): 1})", errors=EITHER),
            Case("count_pairs({('a', ''): 1})", errors=EITHER),
            Case("count_pairs({('a', 3): 1})", errors=EITHER),
            Case("count_pairs({('a', 'b'): 0})", errors=EITHER),
            Case("count_pairs({('a', 'b'): -2})", errors=EITHER),
            Case("count_pairs({('a', 'b'): 1.5})", errors=EITHER),
            Case("count_pairs([(('a', 'b'), 1)])", errors=EITHER),
        ),
    ),
    Exercise(
        answer="bpe_merge_step",
        test="test_bpe_merge_step",
        fixture=MERGE,
        cases=(
            "bpe_merge_step(toy)",
            "learn(toy, 13)",
            "learn(sentence, 12)",
            "bpe_merge_step({('a', 'a', 'a'): 1})",
            "bpe_merge_step({('a', 'a', 'a', 'a'): 2, ('b', 'a</w>'): 1})",
            "bpe_merge_step({('a', 'b', 'x', 'a', 'b'): 3, ('a', 'b</w>'): 1})",
            "bpe_merge_step({('b', 'a</w>'): 2, ('b', 'c</w>'): 2, ('a', 'z</w>'): 2})",
            "bpe_merge_step({('a', 'z'): 3, ('b', 'a'): 3})",
            "bpe_merge_step({('a', 'b'): 5, ('xa', 'b'): 1, ('a', 'bc</w>'): 1, ('c', 'a', 'b'): 1})",
            "bpe_merge_step({('th', 'e</w>'): 4, ('th', 'e', 'n</w>'): 1, ('t', 'h', 'e'): 1})",
            "vocab_after_step(dict(toy))",
            Case("learn(toy, 14)", errors=EITHER),
            Case("bpe_merge_step({('ab</w>',): 3, ('c</w>',): 1})", errors=EITHER),
            Case("bpe_merge_step({})", errors=EITHER),
        ),
    ),
    Exercise(
        answer="sgns_loss_and_grads",
        test="test_sgns_loss_and_grads",
        fixture=SGNS,
        cases=(
            Case("sgns_loss_and_grads(v_c, u_o, U)", **EXACT),
            Case("sgns_loss_and_grads(*problem(1, 5, 3))", **EXACT),
            Case("sgns_loss_and_grads(*problem(2, 1, 1))", **EXACT),
            Case("sgns_loss_and_grads(*problem(3, 8, 10, scale=0.3))", **EXACT),
            Case("sgns_loss_and_grads(*problem(4, 6, 4, scale=6.0))", **EXACT),
            Case("sgns_loss_and_grads(*far)", **EXACT),
            Case("sgns_loss_and_grads(np.array([40.0]), np.array([1.0]), np.array([[-1.0]]))",
                 **EXACT),
            Case("sgns_loss_and_grads(np.array([-20.0, 5.0]), np.array([30.0, 1.0]), "
                 "np.array([[-30.0, 0.0], [1.0, 2.0]]))", **EXACT),
            Case("sgns_loss_and_grads(np.ones(3), 0.5 * np.ones(3), np.zeros((0, 3)))", **EXACT),
            Case("sgns_loss_and_grads(np.ones((1, 3)), np.ones(3), np.ones((2, 3)))",
                 errors=EITHER),
            Case("sgns_loss_and_grads(np.ones(3), np.ones(4), np.ones((2, 3)))", errors=EITHER),
            Case("sgns_loss_and_grads(np.ones(3), np.ones(3), np.ones(3))", errors=EITHER),
            Case("sgns_loss_and_grads(np.ones(3), np.ones(3), np.ones((2, 4)))", errors=EITHER),
        ),
    ),
    Exercise(
        answer="nearest_neighbours",
        test="test_nearest_neighbours",
        fixture=VECTORS,
        cases=(
            "nearest_neighbours(animal_vectors, animals, 'cat', 2)",
            "nearest_neighbours(animal_vectors, animals, 'truck', 10)",
            "nearest_neighbours(vectors, words, 'w3', 5)",
            "nearest_neighbours(vectors, words, 'w0', 1)",
            "nearest_neighbours(vectors, words, 'w11', 11)",
            "nearest_neighbours(vectors, words, 'w7')",
            "nearest_neighbours(vectors, tuple(words), 'w2', 3)",
            "nearest_neighbours(long_vectors, long_words, 'a', 3)",
            "nearest_neighbours(long_vectors, long_words, 'e', 5)",
            "nearest_neighbours(vectors[:2], words[:2], 'w1', 3)",
            "nearest_neighbours(royal_vectors, royals, 'queen', 4)",
            Case("nearest_neighbours(vectors, words, 'zebra', 3)"),
            Case("nearest_neighbours(vectors, words, 'w1', 0)", errors=EITHER),
            Case("nearest_neighbours(vectors[:-1], words, 'w1', 3)", errors=EITHER),
        ),
    ),
    Exercise(
        answer="analogy",
        test="test_analogy",
        fixture=VECTORS,
        cases=(
            Case("analogy(royal_vectors, royals, 'man', 'king', 'woman')", **LOOSE),
            Case("analogy(royal_vectors, royals, 'man', 'king', 'woman', 3)", **LOOSE),
            Case("analogy(royal_vectors, royals, 'king', 'man', 'queen', 5)", **LOOSE),
            Case("analogy(vectors, words, 'w1', 'w2', 'w3', 4)", **LOOSE),
            Case("analogy(vectors, words, 'w5', 'w0', 'w9', 20)", **LOOSE),
            Case("analogy(vectors, words, 'w8', 'w10', 'w6')", **LOOSE),
            Case("analogy(vectors, words, 'w4', 'w4', 'w6', 3)", **LOOSE),
            Case("analogy(long_vectors, long_words, 'a', 'b', 'c', 3)", **LOOSE),
            Case("analogy(long_vectors, long_words, 'e', 'c', 'b', 2)", **LOOSE),
            Case("analogy(vectors, tuple(words), 'w3', 'w1', 'w2', 2)", **LOOSE),
            Case("analogy(vectors, words, 'w1', 'nope', 'w3')"),
            Case("analogy(vectors, words, 'zzz', 'w2', 'w3')"),
            Case("analogy(vectors, words, 'w1', 'w2', 'w3', 0)", errors=EITHER),
            Case("analogy(vectors[:5], words, 'w1', 'w2', 'w3')", errors=EITHER),
        ),
    ),
]
