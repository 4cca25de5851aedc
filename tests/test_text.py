import pytest

from course_lib.text import (
    BOS,
    EOS,
    PAD,
    UNK,
    Vocab,
    char_tokenize,
    word_tokenize,
)


def test_word_tokenize():
    assert word_tokenize("It's 3 a.m., Dr. Who!") == [
        "it's",
        "3",
        "a",
        ".",
        "m",
        ".",
        ",",
        "dr",
        ".",
        "who",
        "!",
    ]
    assert word_tokenize("Well-known", lower=False) == ["Well-known"]


def test_char_tokenize():
    assert char_tokenize("ann") == ["a", "n", "n"]


def test_vocab_order_min_freq_and_unk():
    v = Vocab([["b", "a", "b"], ["c", "b", "a"]], min_freq=2)
    assert v.itos == [PAD, UNK, BOS, EOS, "b", "a"]
    assert v.encode(["a", "c", "zzz"]) == [5, v.unk_id, v.unk_id]
    assert v.decode([4, 5]) == ["b", "a"]
    assert len(v) == 6 and "b" in v and "c" not in v


def test_vocab_closed_maps_unknown_tokens_to_unk():
    vocab = Vocab([["a", "b", "a"]])
    assert vocab.closed(["a", "zebra", "b", UNK]) == ["a", UNK, "b", UNK]
    assert vocab.encode(vocab.closed(["zebra", "a"])) == vocab.encode(["zebra", "a"])
    with pytest.raises(TypeError, match="tokens must be a list"):
        vocab.closed("ab")


def test_vocab_from_tokens_gives_the_same_ids():
    v = Vocab([["b", "a", "b"], ["c"]])
    again = Vocab.from_tokens(v.itos)
    assert again.itos == v.itos and again.encode(["c", "a", "q"]) == v.encode(["c", "a", "q"])
    with pytest.raises(ValueError, match="itos must start with"):
        Vocab.from_tokens(["a", PAD, UNK, BOS, EOS])
    with pytest.raises(ValueError, match="each token once"):
        Vocab.from_tokens([PAD, UNK, BOS, EOS, "a", "a"])


def test_vocab_max_size_and_ignores_specials():
    v = Vocab([["x", "x", "y", BOS, EOS]], max_size=1)
    assert v.itos[4:] == ["x"]


def test_vocab_errors():
    with pytest.raises(ValueError, match="min_freq"):
        Vocab([["a"]], min_freq=0)
    with pytest.raises(TypeError, match="token lists"):
        Vocab(["abc"])
    with pytest.raises(TypeError, match="tokens"):
        Vocab([["a"]]).encode("a")
    with pytest.raises(ValueError, match="ids must"):
        Vocab([["a"]]).decode([99])
