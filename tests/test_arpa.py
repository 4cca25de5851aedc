"""ARPA files: what NGramLM writes, KenLM (an independent reader, the dev extra) scores the same."""

import math

import kenlm
import numpy as np
import pytest
from test_ngram import TOY, TOY_DISCOUNTS, zipf_corpus

from course_lib import arpa
from course_lib.ngram import NGramLM, pad
from course_lib.text import BOS, EOS, UNK

HELD_OUT = [["the", "dog", "sat", "on", "a", "hat"], ["a", "cat"], ["cat", "the", "mat"], [],
            ["the", "cat", "sat", "on", "the", "mat"], ["zebra", "ran", "on", "the", "log"]]


def our_log10(lm, sentences):
    """log10 P(w_t | context) of every predicted token (</s> included), sentence by sentence."""
    out = []
    for sentence in sentences:
        padded = pad(sentence, lm.order)
        for t in range(lm.order - 1, len(padded)):
            out.append(math.log10(lm.prob(padded[t], tuple(padded[t - lm.order + 1 : t]))))
    return np.array(out)


def kenlm_log10(model, sentences):
    return np.array([s[0] for sentence in sentences
                     for s in model.full_scores(" ".join(sentence), bos=True, eos=True)])


def kenlm_perplexity(model, sentences):
    total = sum(model.score(" ".join(s), bos=True, eos=True) for s in sentences)
    return 10 ** (-total / sum(len(s) + 1 for s in sentences))


MODELS = [(order, "kneser_ney", {}) for order in (2, 3, 4)] + [  # KenLM needs order >= 2
    (2, "kneser_ney", {"discount": 0.3}),
    (3, "modified_kneser_ney", {"discounts": TOY_DISCOUNTS}),
]


@pytest.mark.parametrize("order, smoothing, kwargs", MODELS)
def test_kenlm_scores_our_arpa_file_like_we_do(tmp_path, order, smoothing, kwargs):
    lm = NGramLM(order, smoothing, **kwargs).fit(TOY)
    path = tmp_path / "toy.arpa"
    lm.save_arpa(path)
    model = kenlm.Model(str(path))
    assert model.order == order
    ours = our_log10(lm, HELD_OUT)
    theirs = kenlm_log10(model, HELD_OUT)
    assert np.allclose(ours, theirs, rtol=0, atol=1e-4), np.abs(ours - theirs).max()
    assert kenlm_perplexity(model, HELD_OUT) == pytest.approx(lm.perplexity(HELD_OUT), rel=1e-4)
    # and our reader gives the same numbers back (to the 9 digits written)
    loaded = NGramLM.load_arpa(path)
    assert loaded.vocab == lm.vocab
    assert np.allclose(our_log10(loaded, HELD_OUT), ours, rtol=0, atol=1e-7)
    assert loaded.perplexity(HELD_OUT) == pytest.approx(lm.perplexity(HELD_OUT), rel=1e-7)


@pytest.mark.parametrize("smoothing", ["kneser_ney", "modified_kneser_ney"])
def test_kenlm_agrees_on_a_bigger_corpus(tmp_path, smoothing):
    train, held_out = zipf_corpus(800), zipf_corpus(100, seed=3) + [["never", "seen", "w1"]]
    lm = NGramLM(4, smoothing).fit(train)
    path = tmp_path / "zipf.arpa"
    lm.save_arpa(path)
    model = kenlm.Model(str(path))
    ours = lm.token_logprobs(held_out) / math.log(10)
    assert np.allclose(ours, our_log10(lm, held_out), rtol=0, atol=1e-12)
    theirs = kenlm_log10(model, held_out)
    assert np.abs(ours - theirs).max() < 1e-4
    assert kenlm_perplexity(model, held_out) == pytest.approx(lm.perplexity(held_out), rel=1e-4)


def test_unigram_round_trip(tmp_path):
    lm = NGramLM(1).fit(TOY)
    lm.save_arpa(tmp_path / "one.arpa")
    loaded = NGramLM.load_arpa(tmp_path / "one.arpa")
    assert np.allclose(loaded.probs(), lm.probs(), rtol=1e-8)
    assert loaded.perplexity(HELD_OUT) == pytest.approx(lm.perplexity(HELD_OUT), rel=1e-8)


def test_loaded_model_is_a_distribution_and_round_trips(tmp_path):
    lm = NGramLM(3).fit(TOY)
    first, second = tmp_path / "a.arpa", tmp_path / "b.arpa"
    lm.save_arpa(first)
    loaded = NGramLM.load_arpa(first)
    assert loaded.smoothing == "backoff" and loaded.order == 3
    for context in [(), ("the",), ("the", "cat"), ("zzz", "cat"), (BOS,), ("cat", "zzz")]:
        assert loaded.probs(context).sum() == pytest.approx(1.0, abs=1e-7)
        assert np.allclose(loaded.probs(context), lm.probs(context), rtol=1e-7)
    assert loaded.prob(BOS) == 0.0
    assert loaded.prob("zebra", ("the",)) == loaded.prob(UNK, ("the",))
    assert loaded.generate(seed=4) == loaded.generate(seed=4)
    loaded.save_arpa(second)  # written back as read
    assert first.read_text() == second.read_text()
    # the file: one <s> (probability 10^-99), no n-gram with two <s>, counts in the header
    text = first.read_text()
    assert f"-99\t{BOS}\t" in text and f"{BOS} {BOS}" not in text
    levels = arpa.read(first)
    assert [len(g) for g, _, _ in levels] == [
        int(line.split("=")[1]) for line in text.splitlines() if line.startswith("ngram ")]
    assert {g[0] for g in levels[0][0]} == set(lm.vocab) | {BOS}


def test_arpa_errors(tmp_path):
    with pytest.raises(ValueError, match="Kneser-Ney"):
        NGramLM(2, "add_k").fit(TOY).save_arpa(tmp_path / "x.arpa")
    with pytest.raises(ValueError, match="not fitted"):
        NGramLM(2).save_arpa(tmp_path / "x.arpa")
    with pytest.raises(ValueError, match="whitespace"):
        NGramLM(2).fit([["a b", "c"]]).save_arpa(tmp_path / "x.arpa")
    bad = tmp_path / "bad.arpa"
    bad.write_text("hello\n")
    with pytest.raises(ValueError, match="not an ARPA"):
        NGramLM.load_arpa(bad)
    bad.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\end\\\n")
    with pytest.raises(ValueError, match="<unk>"):
        NGramLM.load_arpa(bad)
    bad.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\end\\\n")
    with pytest.raises(ValueError, match="header"):
        NGramLM.load_arpa(bad)
    bad.write_text("\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\n-1\t<unk>\n"
                   "\n\\2-grams:\n-1\ta </s>\n\n\\end\\\n")
    with pytest.raises(ValueError, match="no 1-gram"):
        NGramLM.load_arpa(bad)
    bad.write_text("\\data\\\nngram 1=3\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\n"
                   "-1\t<unk>\n\n\\2-grams:\n-1\t<s> </s>\n\n\\3-grams:\n-1\t</s> <s> </s>\n"
                   "\n\\end\\\n")
    with pytest.raises(ValueError, match="prefix"):
        NGramLM.load_arpa(bad)
    loaded = NGramLM.load_arpa(_write_toy(tmp_path))
    with pytest.raises(ValueError, match="refitted"):
        loaded.fit(TOY)
    assert EOS in loaded.vocab


def _write_toy(tmp_path):
    path = tmp_path / "toy.arpa"
    NGramLM(2).fit(TOY).save_arpa(path)
    return path
