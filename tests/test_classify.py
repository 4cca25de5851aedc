"""course_lib.classify against torch.nn's packed sequences, per-sequence runs and brute force."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from course_lib.classify import (
    SequenceClassifier,
    accuracy,
    classification_loss,
    make_classification_batches,
)
from course_lib.config import set_seed
from course_lib.torch_lstm_gru import LAYERS, LSTM
from course_lib.torch_rnn import RNN
from course_lib.training import train

V, E, H, C = 12, 5, 6, 3
# (cell, bidirectional) pairs that accept padded batches: all but the bidirectional course RNN
PADDED_OK = [(cell, bi) for cell in sorted(LAYERS) for bi in (False, True)]


def random_sequences(rng, n, max_len=7, low=1):
    """n id lists of random lengths 1..max_len with ids in [low, V)."""
    return [list(rng.integers(low, V, size=rng.integers(1, max_len + 1))) for _ in range(n)]


def padded_with_junk(rng, sequences):
    """(tokens (B, T) whose padding is random NON-pad ids, lengths (B,)): only lengths tell."""
    lengths = torch.tensor([len(s) for s in sequences])
    tokens = torch.from_numpy(rng.integers(1, V, size=(len(sequences), int(lengths.max()))))
    for row, seq in enumerate(sequences):
        tokens[row, : len(seq)] = torch.tensor(seq)
    return tokens, lengths


def make_model(cell, bidirectional, seed=0):
    set_seed(seed)
    return SequenceClassifier(V, E, H, C, cell=cell, bidirectional=bidirectional).eval()


@pytest.mark.parametrize("cell,bidirectional", PADDED_OK)
def test_padding_does_not_change_the_logits(rng, cell, bidirectional):
    model = make_model(cell, bidirectional)
    sequences = random_sequences(rng, 6)
    sequences[0] = sequences[0][:1]  # a one-token sequence
    tokens, lengths = padded_with_junk(rng, sequences)
    with torch.no_grad():
        batch_logits = model(tokens, lengths)
        alone = torch.cat([model(torch.tensor([s])) for s in sequences])
    assert batch_logits.shape == (len(sequences), C)
    torch.testing.assert_close(batch_logits, alone, atol=1e-6, rtol=1e-5)
    with torch.no_grad():  # the test can fail: without lengths the junk padding is read
        ignored = model(tokens)
    assert (ignored - alone).abs().max() > 1e-3


@pytest.mark.parametrize("cell,bidirectional", PADDED_OK)
def test_summary_is_the_state_at_each_end(rng, cell, bidirectional):
    """Forward part: the output at the last real token; backward part: the output at t = 0,
    both read from a run of the encoder on the sequence alone (no h_n involved)."""
    model = make_model(cell, bidirectional)
    sequences = random_sequences(rng, 4)
    tokens, lengths = padded_with_junk(rng, sequences)
    with torch.no_grad():
        summary = model.encode(tokens, lengths)  # (B, dirs * H)
        for row, seq in enumerate(sequences):
            out, _ = model.rnn(model.embedding(torch.tensor([seq])))  # (1, L, dirs * H)
            torch.testing.assert_close(summary[row, :H], out[0, -1, :H])
            if bidirectional:
                torch.testing.assert_close(summary[row, H:], out[0, 0, H:])
    assert summary.shape == (len(sequences), H * (2 if bidirectional else 1))


@pytest.mark.parametrize("cell", ["scratch_lstm", "lstm"])
def test_bidirectional_summary_equals_nn_lstm_h_n_on_a_packed_batch(rng, cell):
    model = make_model(cell, True)
    reference = nn.LSTM(E, H, batch_first=True, bidirectional=True)
    reference.load_state_dict(model.rnn.state_dict())
    tokens, lengths = padded_with_junk(rng, random_sequences(rng, 5))
    with torch.no_grad():
        packed = pack_padded_sequence(model.embedding(tokens), lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = reference(packed)  # (2, B, H)
        torch.testing.assert_close(model.encode(tokens, lengths), torch.cat([h_n[0], h_n[1]], 1))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_course_rnn_matches_packed_nn_rnn(rng, bidirectional):
    model = make_model("scratch_rnn", bidirectional)
    reference = nn.RNN(E, H, batch_first=True, bidirectional=bidirectional)
    reference.load_state_dict(model.rnn.state_dict())
    tokens, lengths = padded_with_junk(rng, random_sequences(rng, 5))
    with torch.no_grad():
        emb = model.embedding(tokens)
        _, h_n = reference(pack_padded_sequence(emb, lengths, batch_first=True,
                                                enforce_sorted=False))
        torch.testing.assert_close(model.encode(tokens, lengths), torch.cat(list(h_n), 1))


def test_ready_module_and_pad_id():
    stacked = nn.GRU(E, H, num_layers=2, batch_first=True, bidirectional=True)
    model = SequenceClassifier(V, E, H, C, cell=stacked, bidirectional=True)
    assert model.rnn is stacked and model.head.in_features == 2 * H
    tokens = torch.tensor([[1, 2, 3], [4, 5, 0]])
    lengths = torch.tensor([3, 2])
    with torch.no_grad():
        _, h_n = stacked(pack_padded_sequence(model.embedding(tokens), lengths, batch_first=True,
                                              enforce_sorted=False))  # (4, B, H)
        torch.testing.assert_close(model.encode(tokens, lengths), torch.cat([h_n[2], h_n[3]], 1))
    assert model.embedding.padding_idx == 0 and not model.embedding.weight[0].any()
    free = SequenceClassifier(V, E, H, C, pad_id=None)
    assert free.embedding.padding_idx is None and free.embedding.weight[0].abs().sum() > 0
    with_peepholes = SequenceClassifier(V, E, H, C, cell=LSTM(E, H, peephole=True))
    assert with_peepholes(tokens, lengths).shape == (2, C)


def test_classification_loss_and_accuracy_against_brute_force(rng):
    model = make_model("gru", False)
    sequences, labels = random_sequences(rng, 10), list(rng.integers(0, C, size=10))
    batches = make_classification_batches(sequences, labels, 4)
    tokens, lengths, y = batches[0]
    with torch.no_grad():
        logits = model(tokens, lengths)
        want = -np.mean([torch.log_softmax(logits[b], 0)[y[b]].item() for b in range(len(y))])
        assert classification_loss(model, batches[0]).item() == pytest.approx(want, rel=1e-6)
        predicted = [int(model(torch.tensor([s])).argmax()) for s in sequences]
    hits = sum(p == label for p, label in zip(predicted, labels, strict=True))
    model.train()
    assert accuracy(model, batches) == pytest.approx(hits / 10)
    assert model.training  # the mode is restored
    memory_style = [(tokens[:, :1], None, y)]  # fixed-length batches may carry lengths None
    assert 0.0 <= accuracy(model, memory_style) <= 1.0
    assert classification_loss(model, memory_style[0]).ndim == 0


def test_make_classification_batches(rng):
    sequences = [[5, 6, 7], [8], [9, 10], [4, 4, 4, 4], [11]]
    labels = [0, 1, 2, 1, 0]
    batches = make_classification_batches(sequences, labels, 2)
    assert [len(b[2]) for b in batches] == [2, 2, 1]
    tokens, lengths, y = batches[0]
    assert tokens.dtype == lengths.dtype == y.dtype == torch.int64
    assert tokens.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1] and y.tolist() == [0, 1]
    assert batches[1][0].tolist() == [[9, 10, 0, 0], [4, 4, 4, 4]]
    shuffled = make_classification_batches(sequences, labels, 2, rng=np.random.default_rng(3))
    again = make_classification_batches(sequences, labels, 2, rng=np.random.default_rng(3))
    assert all(torch.equal(a, b) for x, z in zip(shuffled, again, strict=True)
               for a, b in zip(x, z, strict=True))
    seen = sorted((tuple(t[: int(n)].tolist()), int(c)) for tk, ln, lb in shuffled
                  for t, n, c in zip(tk, ln, lb, strict=True))
    assert seen == sorted((tuple(s), c) for s, c in zip(sequences, labels, strict=True))
    orders = {tuple(make_classification_batches(sequences, labels, 5,
                                                rng=np.random.default_rng(s))[0][2].tolist())
              for s in range(6)}
    assert len(orders) > 1  # the rng really shuffles


def contains_token_data(rng, n, token=5):
    sequences = random_sequences(rng, n, max_len=10)
    return sequences, [int(token in s) for s in sequences]


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_learns_whether_a_sequence_contains_a_token(cell):
    data_rng = np.random.default_rng(0)
    train_seqs, train_labels = contains_token_data(data_rng, 1500)
    test_batches = make_classification_batches(*contains_token_data(data_rng, 500), 500)
    set_seed(0)
    model = SequenceClassifier(V, 8, 16, 2, cell=cell)
    before = accuracy(model, test_batches)
    train(model, lambda r: make_classification_batches(train_seqs, train_labels, 32, rng=r),
          classification_loss, epochs=3, lr=1e-2, clip_norm=1.0, progress=False, device="cpu")
    after = accuracy(model, test_batches)
    assert after > 0.95 and after > before + 0.3, (before, after)


def test_same_seed_same_numbers(rng):
    sequences, labels = contains_token_data(rng, 64)

    def run(seed):
        set_seed(seed)
        model = SequenceClassifier(V, E, H, 2, cell="scratch_gru", bidirectional=True)
        history = train(model, lambda r: make_classification_batches(sequences, labels, 16, r),
                        classification_loss, epochs=2, seed=seed, progress=False, device="cpu")
        return history.step_loss, [p.detach().clone() for p in model.parameters()]

    (loss_a, params_a), (loss_b, params_b), (loss_c, _) = run(0), run(0), run(1)
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))
    assert loss_a != loss_c


@pytest.mark.parametrize("kwargs,error,match", [
    ({"vocab_size": 0}, ValueError, "vocab_size must be a positive int"),
    ({"hidden_size": 2.5}, ValueError, "hidden_size"),
    ({"n_classes": 1}, ValueError, "n_classes must be >= 2"),
    ({"cell": "transformer"}, ValueError, "cell must be one of"),
    ({"cell": nn.Linear(E, H)}, TypeError, "cell must be a name in course_lib"),
    ({"cell": nn.LSTM(E, H)}, ValueError, "cell.batch_first must be True"),
    ({"cell": nn.LSTM(E + 1, H, batch_first=True)}, ValueError, "cell.input_size must be 5"),
    ({"cell": RNN(E, H + 1)}, ValueError, "cell.hidden_size must be 6"),
    ({"cell": nn.GRU(E, H, batch_first=True), "bidirectional": True}, ValueError,
     "cell.bidirectional must be True"),
    ({"cell": nn.LSTM(E, H, batch_first=True, proj_size=2)}, ValueError, "proj_size"),
    ({"bidirectional": 1}, TypeError, "bidirectional must be a bool"),
    ({"pad_id": V}, ValueError, "pad_id must be None or an int in"),
])
def test_constructor_errors(kwargs, error, match):
    args = {"vocab_size": V, "embed_dim": E, "hidden_size": H, "n_classes": C, **kwargs}
    with pytest.raises(error, match=match):
        SequenceClassifier(**args)


def test_forward_and_batching_errors():
    model = make_model("lstm", False)
    tokens = torch.tensor([[1, 2, 3], [4, 5, 0]])
    with pytest.raises(TypeError, match="tokens must be an int64 torch tensor"):
        model(tokens.float())
    with pytest.raises(TypeError, match="tokens must be an int64"):
        model([[1, 2]])
    with pytest.raises(ValueError, match=r"tokens must have shape \(B, T\)"):
        model(tokens[0])
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 12\)"):
        model(tokens + V)
    with pytest.raises(ValueError, match="lengths must hold B = 2 ints"):
        model(tokens, torch.tensor([3]))
    with pytest.raises(ValueError, match="lengths must hold"):
        model(tokens, torch.tensor([3.0, 2.0]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T = 3\]"):
        model(tokens, torch.tensor([4, 2]))
    with pytest.raises(ValueError, match=r"lengths must lie in"):
        model(tokens, [3, 0])
    with pytest.raises(ValueError, match="batch must be a tuple"):
        classification_loss(model, (tokens, torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="batches must hold at least one"):
        accuracy(model, [])
    with pytest.raises(ValueError, match="sequences must be a non-empty"):
        make_classification_batches([], [], 2)
    with pytest.raises(TypeError, match="sequences must be id lists"):
        make_classification_batches(["anna"], [1], 2)
    with pytest.raises(ValueError, match=r"labels must hold one label per sequence \(2\)"):
        make_classification_batches([[1], [2]], [0], 2)
    with pytest.raises(ValueError, match="length >= 1"):
        make_classification_batches([[1], []], [0, 1], 2)
    with pytest.raises(ValueError, match="labels must be ints >= 0"):
        make_classification_batches([[1], [2]], [0, -1], 2)
    with pytest.raises(ValueError, match="labels must be ints"):
        make_classification_batches([[1], [2]], [0.5, 1.0], 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        make_classification_batches([[1]], [0], 0)
    with pytest.raises(TypeError, match="rng must be None or a numpy Generator"):
        make_classification_batches([[1]], [0], 1, rng=3)
