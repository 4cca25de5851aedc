"""course_lib.seq2seq: padding invariance, decoder step = teacher forcing, gradients, learning."""

import numpy as np
import pytest
import torch

from course_lib.batching import make_batch, training_batches
from course_lib.bpe import BPE
from course_lib.config import set_seed
from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.seq2seq import (
    ATTENTIONS,
    READOUTS,
    Codec,
    Seq2Seq,
    build_codecs,
    load_translator,
    nmt_tokenize,
    save_translator,
    seq2seq_loss,
    translate,
    translate_ids,
)
from course_lib.text import Vocab
from course_lib.training import train


def tiny_model(attention, seed=0, dtype=torch.float64, readout="tanh"):
    set_seed(seed)
    return Seq2Seq(11, 9, embed_dim=6, hidden_size=8, attention=attention,
                   attention_dim=5, dropout=0.0, readout=readout).to(dtype).eval()


def random_ids(rng, n, low, high, vocab):
    return [list(rng.integers(4, vocab, rng.integers(low, high + 1))) for _ in range(n)]


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_padding_changes_nothing(attention, readout):
    model = tiny_model(attention, readout=readout)
    rng = np.random.default_rng(0)
    src, tgt = random_ids(rng, 5, 1, 7, 11), random_ids(rng, 5, 1, 6, 9)
    together = make_batch(src, tgt)
    logits = model(together.src, together.src_len, together.tgt_in)
    for b in range(5):
        alone = make_batch([src[b]], [tgt[b]])
        one = model(alone.src, alone.src_len, alone.tgt_in)[0]  # (T_b, V)
        torch.testing.assert_close(logits[b, : len(tgt[b]) + 1], one, atol=1e-12, rtol=0)


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_decode_step_equals_teacher_forcing(attention, readout):
    model = tiny_model(attention, readout=readout)
    batch = make_batch([[4, 5, 6], [7, 8]], [[4, 5], [6, 7]])
    logits = model(batch.src, batch.src_len, batch.tgt_in)
    state = model.encode(batch.src, batch.src_len)
    for t in range(batch.tgt_in.shape[1]):
        log_probs, state = model.decode_step(batch.tgt_in[:, t], state)
        torch.testing.assert_close(log_probs, torch.log_softmax(logits[:, t], -1), atol=1e-12,
                                   rtol=0)


def test_attention_ignores_padded_source_positions():
    model = tiny_model("additive")
    batch = make_batch([[4, 5, 6, 7], [8, 9]], [[4], [5]])
    _, weights = model(batch.src, batch.src_len, batch.tgt_in, return_attention=True)
    assert torch.all(weights[1, :, 2:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, dtype=weights.dtype))


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_every_parameter_gets_a_gradient(attention, readout):
    model = tiny_model(attention, readout=readout).train()
    rng = np.random.default_rng(1)
    batch = make_batch(random_ids(rng, 4, 2, 6, 11), random_ids(rng, 4, 2, 6, 9))
    seq2seq_loss(model, batch).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize("attention", ["additive", None])
def test_gradient_matches_finite_differences(attention, readout):
    """Autograd through the whole model equals centred differences (float64)."""
    model = tiny_model(attention, seed=2, readout=readout)
    rng = np.random.default_rng(2)
    batch = make_batch(random_ids(rng, 3, 2, 5, 11), random_ids(rng, 3, 2, 4, 9))
    seq2seq_loss(model, batch).backward()
    names = ["encoder.weight_hh_l0_reverse", "bridge.bias", "cell.bias_hh", "generator.weight",
             "readout.bias" if readout == "tanh" else "generator.bias"]
    if attention:
        names.append("attention.v.weight")
    params = dict(model.named_parameters())
    for name in names:
        p = params[name]
        data = p.detach().numpy()  # shares memory with p

        def loss():
            with torch.no_grad():
                return np.array(seq2seq_loss(model, batch).item())

        assert rel_error(numerical_gradient(loss, data, h=1e-4), p.grad.numpy()) < 1e-5, name


def test_loss_ignores_padding_and_averages_real_tokens():
    model = tiny_model(None)
    batch = make_batch([[4, 5], [6]], [[4, 5, 6], [7]])
    logits = model(batch.src, batch.src_len, batch.tgt_in)
    log_p = torch.log_softmax(logits, -1)
    real = [(0, 0, 4), (0, 1, 5), (0, 2, 6), (0, 3, Vocab.eos_id), (1, 0, 7),
            (1, 1, Vocab.eos_id)]
    expected = -sum(log_p[b, t, y] for b, t, y in real) / len(real)
    torch.testing.assert_close(seq2seq_loss(model, batch), expected)


def test_greedy_equals_beam_of_one():
    model = tiny_model("general").float()
    rng = np.random.default_rng(3)
    src = random_ids(rng, 6, 1, 6, 11)
    assert translate_ids(model, src, beam_size=1, max_len=8) == \
        translate_ids(model, src, beam_size=1, max_len=8, batch_size=2)


def test_codec_words_and_bpe():
    sentences = [nmt_tokenize("Wir wären gern dort."), nmt_tokenize("Wir gehen dorthin!")]
    assert sentences[0] == ["wir", "wären", "gern", "dort", "."]
    words = Codec(sentences)
    assert words.decode(words.encode(["wir", "gehen", "nie"])) == ["wir", "gehen", "<unk>"]
    bpe = BPE.learn(sentences * 3, 20)
    sub = Codec(sentences, bpe)
    unseen = ["wir", "wären", "dorthin"]
    assert sub.decode(sub.encode(unseen)) == unseen  # subwords: no <unk> for these
    assert len(sub.encode(unseen)) >= len(unseen)


def test_build_codecs_words_or_joint_bpe():
    pairs = [(nmt_tokenize("Wir wären gern dort."), nmt_tokenize("We would like to be there.")),
             (nmt_tokenize("Wir gehen dorthin!"), nmt_tokenize("We go there!"))] * 3
    src, tgt = build_codecs(pairs, merges=None, min_freq=4)
    assert src.bpe is None and src.encode(["wir", "gern"]) == [src.vocab.stoi["wir"], 1]
    src, tgt = build_codecs(pairs, merges=30)
    assert src.bpe is tgt.bpe and len(src.bpe) == 30  # one BPE for both languages
    assert tgt.decode(tgt.encode(pairs[0][1])) == pairs[0][1]


@pytest.mark.parametrize("merges", [None, 25])
def test_saved_translator_translates_the_same(tmp_path, merges):
    pairs = [(nmt_tokenize("Das Haus ist klein."), nmt_tokenize("The house is small.")),
             (nmt_tokenize("Der Hund schläft."), nmt_tokenize("The dog sleeps."))] * 4
    src, tgt = build_codecs(pairs, merges)
    set_seed(3)
    model = Seq2Seq(len(src), len(tgt), embed_dim=6, hidden_size=8, attention="general",
                    dropout=0.3)
    save_translator(tmp_path / "m.pt", model, src, tgt, {"minutes": 1.5})
    loaded, src2, tgt2, info = load_translator(tmp_path / "m.pt")
    assert info == {"minutes": 1.5} and not loaded.training
    assert loaded.config == model.config and src2.vocab.itos == src.vocab.itos
    assert (src2.bpe is None) == (merges is None)
    sentences = [s for s, _ in pairs[:2]] + [["ein", "unbekanntes", "wort"]]
    want = translate(model, src, tgt, sentences, beam_size=3)
    assert translate(loaded, src2, tgt2, sentences, beam_size=3) == want
    for name, p in model.state_dict().items():
        assert torch.equal(p, loaded.state_dict()[name])


def test_linear_readout_is_one_product_of_state_and_context():
    model = tiny_model("dot", readout="linear")
    h, context, emb = torch.randn(3, 8).double(), torch.randn(3, 8).double(), torch.randn(3, 6)
    W, b = model.generator.weight, model.generator.bias  # (V, 2H), (V,)
    want = h @ W[:, :8].T + context @ W[:, 8:].T + b
    torch.testing.assert_close(model.readout_logits(h, context, emb.double()), want)
    assert model.readout is None and "readout.weight" not in model.state_dict()


def test_files_saved_before_the_readout_option_load_as_tanh(tmp_path):
    src, tgt = build_codecs([(["ja"], ["yes"])] * 2, None)
    model = Seq2Seq(len(src), len(tgt), embed_dim=4, hidden_size=4, readout="tanh")
    save_translator(tmp_path / "old.pt", model, src, tgt)
    saved = torch.load(tmp_path / "old.pt", weights_only=True)
    del saved["config"]["readout"]
    torch.save(saved, tmp_path / "old.pt")
    assert load_translator(tmp_path / "old.pt")[0].config["readout"] == "tanh"


def test_bad_arguments():
    with pytest.raises(ValueError, match="readout"):
        Seq2Seq(10, 10, readout="maxout")
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(10, 10, attention="luong")
    with pytest.raises(ValueError, match="hidden_size"):
        Seq2Seq(10, 10, hidden_size=7)
    with pytest.raises(TypeError, match="text"):
        nmt_tokenize(["a"])


def reverse_task(rng, n, vocab=10, low=3, high=7):
    src = random_ids(rng, n, low, high, vocab)
    return src, [s[::-1] for s in src]


@pytest.mark.slow
def test_learns_to_reverse_in_quick_mode():
    """A small attention model learns to reverse short sequences in 190 steps."""
    set_seed(0)
    rng = np.random.default_rng(0)
    src, tgt = reverse_task(rng, 3000, high=6)
    model = Seq2Seq(10, 10, embed_dim=16, hidden_size=48, attention="additive", dropout=0.0)
    train(model, training_batches(src, tgt, 32), seq2seq_loss, epochs=2, lr=5e-3,
          progress=False)
    test_src, test_tgt = reverse_task(np.random.default_rng(1), 200, high=6)
    out = translate_ids(model, test_src, max_len=10)
    accuracy = np.mean([o == t for o, t in zip(out, test_tgt, strict=True)])
    assert accuracy > 0.6, accuracy  # whole sequences exactly right (chance: about 1e-4)
