"""course_lib.word2vec and course_lib.embeddings: gradients checked numerically, the batched torch
trainer equal to the numpy reference, corpus statistics equal to gensim's, and learning."""

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.datasets import load_corpus
from course_lib.embeddings import init_from_vectors, one_hot
from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.text import Vocab
from course_lib.word2vec import (
    build_vocab,
    encode_corpus,
    keep_probabilities,
    make_windows,
    noise_distribution,
    sample_noise,
    sgns_loss,
    sgns_step,
    sgns_update,
    train_word2vec,
    word_counts,
)
from course_lib.word_vectors import WordVectors

# ------------------------------------------------------------------------ the embedding layer


def test_one_hot_times_matrix_is_an_embedding_lookup(rng):
    V, D = 7, 3
    W = rng.standard_normal((V, D))
    ids = np.array([3, 0, 6, 3])
    onehot = one_hot(ids, V)  # (4, V)
    assert onehot.sum(axis=1).tolist() == [1, 1, 1, 1]
    layer = nn.Embedding(V, D).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W))
    looked_up = layer(torch.from_numpy(ids)).detach().numpy()
    assert np.allclose(onehot @ W, looked_up)
    assert np.allclose(W.T @ onehot[0], W[3])  # the decks' column form E = W O with W (D, V)
    with pytest.raises(ValueError, match="ids"):
        one_hot([7], V)
    with pytest.raises(TypeError, match="ids"):
        one_hot([0.5], V)


def test_init_from_vectors_copies_known_words():
    vocab = Vocab([["cat", "dog", "cat", "emu"]])
    vectors = WordVectors(["dog", "cat", "yak"], np.arange(6.0).reshape(3, 2))
    layer = nn.Embedding(len(vocab), 2)
    before = layer.weight.detach().clone()
    assert init_from_vectors(layer, vocab, vectors, rescale=False) == 2
    assert layer.weight[vocab.stoi["cat"]].tolist() == [2.0, 3.0]
    assert layer.weight[vocab.stoi["dog"]].tolist() == [0.0, 1.0]
    assert torch.equal(layer.weight[vocab.stoi["emu"]], before[vocab.stoi["emu"]])
    big = nn.Embedding(len(vocab), 2)
    std = float(big.weight.detach().std())
    init_from_vectors(big, vocab, vectors)  # centred, then scaled to the layer's spread
    copied = big.weight[[vocab.stoi["cat"], vocab.stoi["dog"]]].detach().double()
    assert torch.allclose(copied.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-6)
    assert np.isclose(float(copied.std(unbiased=False)), std, rtol=1e-5)
    assert torch.allclose(copied[0] - copied[1], (copied[0] - copied[1]).abs())  # cat - dog > 0
    with pytest.raises(ValueError, match="embedding_dim"):
        init_from_vectors(nn.Embedding(len(vocab), 3), vocab, vectors)


# ------------------------------------------------------------------------ corpus statistics


@pytest.fixture(scope="module")
def wiki():
    return load_corpus("wiki", quick=True).train


def test_subsampling_and_noise_equal_gensim(wiki):
    from gensim.models import Word2Vec

    reference = Word2Vec(vector_size=10, min_count=5, sample=1e-3, negative=5)
    reference.build_vocab(wiki)
    vocab = build_vocab(wiki, min_count=5)
    words = vocab.itos[4:]  # ties in count are ordered differently: compare word by word
    assert sorted(words) == sorted(reference.wv.index_to_key)
    counts = word_counts(vocab)
    keep = keep_probabilities(counts, 1e-3)[4:]
    theirs = np.array([reference.wv.get_vecattr(w, "sample_int") for w in words])
    assert np.allclose(keep, theirs / (2**32 - 1), atol=1e-8)
    assert keep.min() < 0.2 and keep.max() == 1.0  # "the" is dropped often, rare words never
    noise = noise_distribution(counts)[4:]
    cumulative = reference.cum_table.astype(np.float64) / reference.cum_table[-1]
    their_noise = np.diff(cumulative, prepend=0.0)[[reference.wv.key_to_index[w] for w in words]]
    assert np.allclose(their_noise, noise, atol=1e-8)


def test_noise_samples_follow_the_distribution():
    counts = np.array([0, 0, 0, 0, 10, 1000, 100])
    p = noise_distribution(counts)
    assert np.isclose(p[5] / p[4], 100**0.75) and p[:4].sum() == 0
    draws = sample_noise(np.cumsum(p), (200_000,), np.random.default_rng(0))
    freq = np.bincount(draws, minlength=len(p)) / len(draws)
    assert np.allclose(freq, p, atol=0.005)


def test_windows_are_dynamic_and_stay_in_the_sentence():
    sentences = [["a", "b", "c", "d", "e", "f"], ["g", "h", "i"]]
    vocab = Vocab(sentences)
    ids, sentence = encode_corpus(sentences, vocab)
    keep = np.ones(len(vocab))
    window = 3
    centers, contexts = make_windows(ids, sentence, keep, window, np.random.default_rng(4))
    replay = np.random.default_rng(4)
    replay.random(len(ids))
    reach = window - replay.integers(0, window, size=len(ids))
    assert centers.tolist() == ids.tolist()
    for t in range(len(ids)):  # brute force: every word within reach[t] in the same sentence
        expected = [ids[t + d] if 0 <= t + d < len(ids) and sentence[t + d] == sentence[t]
                    and abs(d) <= reach[t] else Vocab.pad_id for d in (-3, -2, -1, 1, 2, 3)]
        assert contexts[t].tolist() == expected
    draws = window - np.random.default_rng(0).integers(0, window, size=30_000)
    assert set(np.unique(draws)) == {1, 2, 3}


def test_subsampling_keeps_words_at_their_keep_probability():
    ids = np.repeat(np.arange(4, 8), 20_000)
    sentence = np.arange(len(ids))  # one-word sentences: every center would lack context
    keep = np.array([1, 1, 1, 1, 0.1, 0.5, 0.9, 1.0])
    rng = np.random.default_rng(0)
    kept = rng.random(len(ids)) < keep[ids]
    assert np.allclose(np.bincount(ids[kept], minlength=8)[4:] / 20_000, keep[4:], atol=0.01)
    centers, _ = make_windows(ids, sentence, keep, 2, np.random.default_rng(0))
    assert len(centers) == 0


# ------------------------------------------------------------------------ the SGNS update


@pytest.mark.parametrize("cbow", [False, True])
def test_sgns_gradients_match_numerical(rng, cbow):
    V, D = 9, 4
    W_in, W_out = rng.standard_normal((V, D)), rng.standard_normal((V, D))
    center, contexts, negatives = 2, [5, 7, 5], [1, 2, 8, 8]  # repeats; noise 2 == center: skipped
    loss, d_in, d_out = sgns_loss(W_in, W_out, center, contexts, negatives, cbow=cbow)
    num_in = numerical_gradient(lambda: sgns_loss(W_in, W_out, center, contexts, negatives,
                                                  cbow=cbow)[0], W_in)
    num_out = numerical_gradient(lambda: sgns_loss(W_in, W_out, center, contexts, negatives,
                                                   cbow=cbow)[0], W_out)
    assert rel_error(d_in, num_in) < 1e-6 and rel_error(d_out, num_out) < 1e-6
    assert np.abs(d_out[2]).sum() > 0 and np.abs(d_out[[0, 3, 4, 6]]).sum() == 0
    # the loss by its definition, in torch
    sig = torch.nn.functional.logsigmoid
    Win, Wout = torch.from_numpy(W_in), torch.from_numpy(W_out)
    H = Win[contexts].mean(0, keepdim=True) if cbow else Win[contexts]
    expected = -(sig(H @ Wout[center]).sum() + sig(-H @ Wout[[1, 8, 8]].T).sum())
    assert np.isclose(loss, float(expected))


@pytest.mark.parametrize("cbow", [False, True])
def test_batched_torch_step_equals_numpy_update(rng, cbow):
    V, D, C, window, K = 30, 6, 12, 3, 4
    W_in, W_out = rng.standard_normal((V, D)) * 0.3, rng.standard_normal((V, D)) * 0.3
    centers = rng.integers(4, V, size=C)
    contexts = rng.integers(4, V, size=(C, 2 * window))
    contexts[rng.random((C, 2 * window)) < 0.4] = Vocab.pad_id
    contexts[:, 0] = rng.integers(4, V, size=C)  # at least one context word each
    negatives = rng.integers(4, V, size=(C, K))
    negatives[0, 0] = centers[0]  # a noise word equal to its center is skipped by both
    new_in, new_out, loss = sgns_update(W_in, W_out, centers, contexts, negatives, 0.1, cbow=cbow)
    T_in, T_out = torch.from_numpy(W_in.copy()), torch.from_numpy(W_out.copy())
    torch_loss = sgns_step(T_in, T_out, torch.from_numpy(centers), torch.from_numpy(contexts),
                           torch.from_numpy(negatives), 0.1, cbow=cbow)
    assert np.isclose(loss, torch_loss)
    assert np.allclose(T_in.numpy(), new_in, atol=1e-12)
    assert np.allclose(T_out.numpy(), new_out, atol=1e-12)
    assert not np.allclose(new_in, W_in)


# ------------------------------------------------------------------------ training


def test_same_seed_same_vectors():
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a"]] * 20
    runs = [train_word2vec(sentences, dim=8, min_count=1, epochs=2, seed=s, progress=False,
                           device="cpu") for s in (3, 3, 4)]
    assert torch.equal(runs[0].W_in, runs[1].W_in) and torch.equal(runs[0].W_out, runs[1].W_out)
    assert not torch.equal(runs[0].W_in, runs[2].W_in)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="sentences"):
        train_word2vec([])
    with pytest.raises(ValueError, match="min_count"):
        train_word2vec([["a", "b"]], min_count=5)
    with pytest.raises(ValueError, match="window"):
        make_windows(np.array([4]), np.array([0]), np.ones(5), 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="W_in"):
        sgns_loss(np.zeros((3, 2), dtype=int), np.zeros((3, 2)), 0, [1], [2])
    with pytest.raises(ValueError, match="contexts"):
        sgns_loss(np.zeros((3, 2)), np.zeros((3, 2)), 0, [], [2])


# pairs of words used alike; after 3 epochs on the quick corpus (96k tokens, 2.4k words) they
# rank 3..170 among each other's neighbours, where random vectors would give ranks near 1,200
KNOWN_PAIRS = [("his", "her"), ("he", "she"), ("two", "three"), ("october", "november")]


@pytest.mark.parametrize("sg, alpha", [(True, 0.025), (False, 0.05)])
def test_training_learns_on_real_text(wiki, sg, alpha):
    model = train_word2vec(wiki, epochs=3, sg=sg, alpha=alpha, seed=0, progress=False,
                           log_every=20)
    assert model.losses[-1] < 0.8 * model.losses[0]
    vectors = model.word_vectors()
    assert len(vectors) == len(build_vocab(wiki, 5)) - 4
    ranks = [vectors.rank_of(a, b) for a, b in KNOWN_PAIRS]
    assert np.median(ranks) < 100 and min(ranks) <= 10, ranks
