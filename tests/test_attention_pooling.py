"""Pooling choices of course_lib.classify.SequenceClassifier (last, mean, max, attention),
the hierarchical classifier, and course_lib.attention_data."""

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.attention import lengths_to_mask
from course_lib.attention_data import (
    attention_hit_rate,
    load_name_origins,
    make_key_token_task,
    name_origin_pairs,
)
from course_lib.classify import (
    POOLINGS,
    SequenceClassifier,
    accuracy,
    classification_loss,
    make_classification_batches,
)
from course_lib.config import set_seed
from course_lib.datasets import COUNTRIES
from course_lib.hierarchical import HierarchicalAttentionClassifier, make_document_batch
from course_lib.text import SPECIALS
from course_lib.training import train

V, E, H, C = 12, 5, 6, 3


def padded_batch(rng, n=5, max_len=7):
    sequences = [list(rng.integers(1, V, size=rng.integers(1, max_len + 1))) for _ in range(n)]
    sequences[0] = list(rng.integers(1, V, size=max_len))  # one row without padding
    tokens = torch.zeros(n, max_len, dtype=torch.long)
    for b, seq in enumerate(sequences):
        tokens[b, :len(seq)] = torch.tensor(seq)
        tokens[b, len(seq):] = torch.from_numpy(rng.integers(1, V, size=max_len - len(seq)))
    return sequences, tokens, torch.tensor([len(s) for s in sequences])


CELLS = [("gru", True), ("lstm", False), ("scratch_gru", True), ("scratch_lstm", False),
         ("scratch_rnn", True), ("rnn", True)]


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell,bidirectional", CELLS)
def test_padding_never_changes_scores(rng, pooling, cell, bidirectional):
    torch.manual_seed(0)
    model = SequenceClassifier(V, E, H, C, cell=cell, bidirectional=bidirectional,
                               pooling=pooling).double()
    sequences, tokens, lengths = padded_batch(rng)  # padding holds junk ids, not pad_id
    with torch.no_grad():
        logits = model(tokens, lengths)
        for b, seq in enumerate(sequences):
            torch.testing.assert_close(logits[b], model(torch.tensor([seq]))[0])


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_pooled_summary_against_brute_force(rng, pooling):
    torch.manual_seed(1)
    model = SequenceClassifier(V, E, H, C, cell="gru", bidirectional=True,
                               pooling=pooling).double()
    reference = nn.GRU(E, H, batch_first=True, bidirectional=True).double()
    reference.load_state_dict(model.rnn.state_dict())
    sequences, tokens, lengths = padded_batch(rng)
    with torch.no_grad():
        summary = model.encode(tokens, lengths)
        for b, seq in enumerate(sequences):
            out, _ = reference(model.embedding(torch.tensor(seq)))  # (L, 2H), one sequence
            if pooling == "mean":
                want = out.mean(0)
            elif pooling == "max":
                want = out.max(0).values
            else:
                alpha = torch.softmax(torch.tanh(model.pool.proj(out)) @ model.pool.query, 0)
                want = alpha @ out
                weights = model.attention_weights(tokens, lengths)
                torch.testing.assert_close(weights[b, :len(seq)], alpha)
                assert torch.all(weights[b, len(seq):] == 0)
            torch.testing.assert_close(summary[b], want)


def test_pooling_arguments():
    model = SequenceClassifier(V, E, H, C, pooling="attention", attention_dim=4)
    assert model.pool.proj.out_features == 4 and model.pool.proj.in_features == H
    assert SequenceClassifier(V, E, H, C).pool is None  # default: the last state, as before
    with pytest.raises(ValueError, match="pooling must be one of"):
        SequenceClassifier(V, E, H, C, pooling="sum")
    with pytest.raises(ValueError, match="attention_dim must be a positive int"):
        SequenceClassifier(V, E, H, C, pooling="attention", attention_dim=0)
    with pytest.raises(ValueError, match="attention_weights needs pooling='attention'"):
        SequenceClassifier(V, E, H, C, pooling="mean").attention_weights(torch.ones(1, 2).long())


# ----------------------------------------------------------------------------- data
def test_key_token_task():
    task = make_key_token_task(200, n_classes=3, n_distractors=5, min_len=2, max_len=9,
                               rng=np.random.default_rng(0))
    assert task.key_ids == tuple(range(len(SPECIALS), len(SPECIALS) + 3))
    assert task.vocab_size == len(SPECIALS) + 8
    for seq, label, pos in zip(task.sequences, task.labels, task.key_positions, strict=True):
        assert 2 <= len(seq) <= 9 and min(seq) >= len(SPECIALS) and max(seq) < task.vocab_size
        assert [i for i, tok in enumerate(seq) if tok in task.key_ids] == [pos]
        assert seq[pos] == task.key_ids[label]
    assert set(task.labels) == {0, 1, 2} and set(task.key_positions) >= {0, 8}
    again = make_key_token_task(200, n_classes=3, n_distractors=5, min_len=2, max_len=9,
                                rng=np.random.default_rng(0))
    assert again.sequences == task.sequences
    with pytest.raises(ValueError, match="min_len must be <= max_len"):
        make_key_token_task(5, min_len=4, max_len=3)
    with pytest.raises(ValueError, match="n_classes must be a positive int"):
        make_key_token_task(5, n_classes=0)


def test_attention_hit_rate():
    weights = torch.tensor([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3]])
    assert attention_hit_rate(weights, [1, 2]) == 0.5
    with pytest.raises(ValueError, match=r"weights must be \(B, T\) and positions \(B,\)"):
        attention_hit_rate(weights, [1])


def test_name_origins():
    pairs = name_origin_pairs()
    assert len(pairs) == 29948 and all(c in COUNTRIES for _, c in pairs)
    assert dict(pairs)["giuseppe"] == "Italy"
    data, classes = load_name_origins(n_classes=18, quick=False)
    assert len(classes) == 18 and classes[:2] == ("U.S.A.", "Italy")
    total = data.train + data.valid + data.test
    assert len(total) == 21275 and len({n for n, _ in total}) == len(total)
    assert {label for _, label in total} == set(range(18))
    quick, _ = load_name_origins(quick=True)
    assert sum(map(len, quick)) == 6000
    with pytest.raises(ValueError, match=r"n_classes must lie in \[2, 55\]"):
        load_name_origins(n_classes=99)


def test_attention_pooling_learns_the_key_token_and_points_at_it():
    rng = np.random.default_rng(0)
    train_task = make_key_token_task(1500, max_len=30, rng=rng)
    test_task = make_key_token_task(300, max_len=30, rng=rng)
    test_batches = make_classification_batches(test_task.sequences, test_task.labels, 300)
    set_seed(0)
    model = SequenceClassifier(train_task.vocab_size, 8, 16, 4, cell="rnn",
                               pooling="attention")
    before = accuracy(model, test_batches)
    train(model, lambda r: make_classification_batches(train_task.sequences, train_task.labels,
                                                       32, rng=r),
          classification_loss, epochs=3, lr=1e-2, clip_norm=1.0, progress=False, device="cpu")
    after = accuracy(model, test_batches)
    tokens, lengths, _ = test_batches[0]
    hits = attention_hit_rate(model.attention_weights(tokens, lengths), test_task.key_positions)
    assert after > 0.95 and after > before + 0.5, (before, after)
    chance = float((1.0 / lengths.double()).mean())  # a uniformly random position: ~0.07
    assert hits > 0.5 > 5 * chance, (hits, chance)


# ----------------------------------------------------------------------------- hierarchical
def random_documents(rng, n=4):
    return [[list(rng.integers(1, V, size=rng.integers(1, 6))) for _ in range(rng.integers(1, 4))]
            for _ in range(n)]


def test_hierarchical_against_a_brute_force_per_document(rng):
    torch.manual_seed(0)
    han = HierarchicalAttentionClassifier(V, E, 4, 3, C).double()
    documents = random_documents(rng)
    tokens, word_lengths, sentence_lengths = make_document_batch(documents)
    tokens[tokens == 0] = 7  # junk in the padding must not matter
    with torch.no_grad():
        logits = han(tokens, word_lengths, sentence_lengths)
        _, weights = han.attend(tokens, word_lengths, sentence_lengths)
        for b, doc in enumerate(documents):
            vectors = []
            for i, sentence in enumerate(doc):  # one sentence at a time, no padding at all
                out, _ = han.word_rnn(han.embedding(torch.tensor([sentence])))
                u = torch.tanh(han.word_pool.proj(out[0]))
                alpha = torch.softmax(u @ han.word_pool.query, 0)
                torch.testing.assert_close(weights.words[b, i, :len(sentence)], alpha)
                assert torch.all(weights.words[b, i, len(sentence):] == 0)
                vectors.append(alpha @ out[0])
            out, _ = han.sentence_rnn(torch.stack(vectors)[None])
            alpha = torch.softmax(torch.tanh(han.sentence_pool.proj(out[0]))
                                  @ han.sentence_pool.query, 0)
            torch.testing.assert_close(weights.sentences[b, :len(doc)], alpha)
            torch.testing.assert_close(logits[b], han.head(alpha @ out[0]))
    assert torch.all(weights.words[~lengths_to_mask(sentence_lengths)] == 0)


def test_hierarchical_errors(rng):
    han = HierarchicalAttentionClassifier(V, E, 4, 3, C)
    tokens, word_lengths, sentence_lengths = make_document_batch(random_documents(rng))
    with pytest.raises(ValueError, match=r"tokens must be an int64 tensor of shape \(B, S, W\)"):
        han(tokens[0], word_lengths, sentence_lengths)
    with pytest.raises(ValueError, match="sentence_lengths must hold B = 4 ints"):
        han(tokens, word_lengths, sentence_lengths[:2])
    bad = word_lengths.clone()
    bad[0, 0] = 0
    with pytest.raises(ValueError, match=r"word_lengths must have shape \(B, S\)"):
        han(tokens, bad, sentence_lengths)
    with pytest.raises(ValueError, match="documents must be a non-empty list"):
        make_document_batch([[[1], []]])
    with pytest.raises(ValueError, match="n_classes must be >= 2"):
        HierarchicalAttentionClassifier(V, E, 4, 3, 1)
