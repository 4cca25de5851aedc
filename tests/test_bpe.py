"""course_lib.bpe against the reference implementation, subword-nmt (its command line, run as a
subprocess), and against the plain recount-everything definition (learn_bpe_slow)."""

import contextlib
import io
import random
import subprocess
import sys

import pytest

from course_lib.bpe import (
    BPE,
    count_pairs,
    learn_bpe,
    learn_bpe_slow,
    merge_symbols,
    word_counts,
    word_to_symbols,
)
from course_lib.datasets import load_corpus

pytest.importorskip("subword_nmt")

CLI = [sys.executable, "-c",
       "import sys; from subword_nmt.subword_nmt import main; sys.exit(main())"]


def subword_nmt(*args: str, stdin: str = "") -> str:
    """Run ``subword-nmt ARGS`` and return its standard output."""
    done = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, check=True,
                          encoding="utf-8")
    return done.stdout


def reference_merges(tmp_path, lines: list[str], num_merges: int, min_frequency: int = 2):
    """Merges of ``subword-nmt learn-bpe`` on a text file with these lines, and the codes path."""
    text, codes = tmp_path / "train.txt", tmp_path / "codes.txt"
    text.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    subword_nmt("learn-bpe", "-s", str(num_merges), "--min-frequency", str(min_frequency),
                "-i", str(text), "-o", str(codes))
    return BPE.load(codes).merges, codes


def reference_merges_from_counts(counts: dict[str, int], num_merges: int):
    """Merges of subword-nmt's learn_bpe (the function behind ``learn-bpe --dict-input``) on
    word counts, called in-process: many small corpora, no process start-up each."""
    from subword_nmt.learn_bpe import learn_bpe as subword_nmt_learn_bpe

    vocab = io.StringIO("".join(f"{word} {count}\n" for word, count in counts.items()))
    codes = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        subword_nmt_learn_bpe(vocab, codes, num_merges, is_dict=True)
    lines = codes.getvalue().split("\n")
    assert lines[0] == "#version: 0.2"
    return [tuple(line.split(" ")) for line in lines[1:] if line]


def reference_segment(codes, lines: list[str]) -> list[str]:
    out = subword_nmt("apply-bpe", "-c", str(codes), stdin="".join(line + "\n" for line in lines))
    return out.split("\n")[: len(lines)]


WIKI_MERGES = 1000


@pytest.fixture(scope="module")
def wiki():
    """(train, test) sentences as lines of space-separated tokens: 3,000 and about 500."""
    split = load_corpus("wiki", quick=True)
    return [" ".join(s) for s in split.train[:3000]], [" ".join(s) for s in split.test]


@pytest.fixture(scope="module")
def reference(wiki, tmp_path_factory):
    """subword-nmt's merges on the wiki training lines, and the path of its codes file."""
    return reference_merges(tmp_path_factory.mktemp("bpe"), wiki[0], WIKI_MERGES)


# ------------------------------------------------------------------------ the definition by hand


def test_toy_corpus_by_hand():
    counts = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    vocab = {word_to_symbols(w): c for w, c in counts.items()}
    assert word_to_symbols("low") == ("l", "o", "w</w>")
    pairs = count_pairs(vocab)
    # "e s" occurs in newest (6) and widest (3); "l o" in low (5) and lower (2)
    assert pairs[("e", "s")] == 9 and pairs[("l", "o")] == 7 and pairs[("s", "t</w>")] == 9
    assert pairs[("w", "e")] == 8  # lower 2 + newest 6: pairs never cross word boundaries
    # ties (e s) = (s t</w>) = 9: the larger pair of strings wins, as in subword-nmt
    assert learn_bpe(counts, 3) == [("s", "t</w>"), ("e", "st</w>"), ("l", "o")]
    assert merge_symbols(("a", "a", "a"), ("a", "a")) == ("aa", "a")


def test_toy_corpus_matches_subword_nmt():
    counts = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    assert learn_bpe(counts, 20) == reference_merges_from_counts(counts, 20)


@pytest.mark.parametrize("counts", [
    {"ab": 3, "ba": 3, "cd": 3, "dc": 3},  # all pairs tied
    {"aaaa": 2, "aaa": 3, "a": 7, "aaaaaaa": 1},  # overlapping pairs of one symbol
    {"abab": 4, "baba": 4, "abba": 4, "ab": 1},  # the same string built by two merges
    {"x": 9, "xy": 1, "yx": 1},  # the only pairs occur once: no merge
])
def test_tied_and_repetitive_corpora_match_subword_nmt(counts):
    ours = learn_bpe(counts, 30)
    assert ours == learn_bpe_slow(counts, 30)
    assert ours == reference_merges_from_counts(counts, 30)


def test_random_corpora_match_the_definition_and_subword_nmt():
    differences = 0
    for trial in range(60):
        rng = random.Random(trial)
        alphabet = "abcd"[: rng.randint(1, 4)]
        counts: dict[str, int] = {}
        for _ in range(rng.randint(1, 60)):
            word = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
            counts[word] = counts.get(word, 0) + rng.randint(1, 6)
        num_merges = rng.randint(1, 80)
        ours = learn_bpe(counts, num_merges)
        assert ours == learn_bpe_slow(counts, num_merges), counts
        differences += ours != reference_merges_from_counts(counts, num_merges)
    assert differences == 0


# ------------------------------------------------------------------------ real text


def test_wiki_merges_and_segmentation_match_subword_nmt(wiki, reference):
    train, test = wiki
    merges, codes = reference
    ours = BPE.learn(train, WIKI_MERGES)
    assert len(ours) == WIKI_MERGES
    assert ours.merges == merges  # same merges, same order
    seen = set(word_counts(train))
    unseen = {w for line in test for w in line.split(" ")} - seen
    assert len(unseen) > 200  # held-out sentences do hold words never seen in training
    assert [ours.segment(line) for line in test] == reference_segment(codes, test)


def test_unseen_words_and_characters_match_apply_bpe(reference):
    merges, codes = reference
    bpe = BPE(merges)
    odd = ["zyzzyva", "antidisestablishmentarianism", "naïve", "x", "qq", "the", "thethe",
           "l'état", "1234567", "--", "ab@@cd"]
    lines = [" ".join(odd), "the  double  spaces", "a"]
    assert [bpe.segment(line) for line in lines] == reference_segment(codes, lines)


def test_encode_decode_round_trip(wiki):
    train, test = wiki
    bpe = BPE.learn(train, 300)
    for line in test[:200]:
        words = line.split(" ")
        tokens = bpe.encode(words)
        assert bpe.decode(tokens) == words
        assert " ".join(tokens) == bpe.segment(line)
        assert " ".join(tokens).replace("@@ ", "") == line
    assert len(bpe.encode(["unbelievably"])) > 1
    assert bpe.segment_word("the") == ("the",)  # a frequent word is one symbol after 300 merges


def test_save_load_round_trip(tmp_path, wiki):
    bpe = BPE.learn(wiki[0], 200)
    path = tmp_path / "merges.txt"
    bpe.save(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "#version: 0.2" and len(lines) == 202 and lines[-1] == ""
    assert BPE.load(path).merges == bpe.merges


def test_min_frequency_and_num_merges():
    counts = {"ab": 1, "cd": 2}
    assert learn_bpe(counts, 10) == [("c", "d</w>")]  # "a b</w>" occurs once < 2: stop
    assert learn_bpe(counts, 10, min_frequency=1) == [("c", "d</w>"), ("a", "b</w>")]
    assert learn_bpe(counts, 0) == []


@pytest.mark.parametrize("args, error", [
    (({}, 10), ValueError),
    (({"a b": 2}, 10), ValueError),
    (({"ab": 0}, 10), ValueError),
    (({"ab": 2}, -1), ValueError),
    ((["ab"], 3), TypeError),
])
def test_learn_rejects_bad_input(args, error):
    with pytest.raises(error):
        learn_bpe(*args)


def test_tokenizer_rejects_bad_input(tmp_path):
    bpe = BPE([("a", "b")])
    with pytest.raises(ValueError, match="word"):
        bpe.segment_word("")
    with pytest.raises(TypeError, match="words"):
        bpe.encode("a sentence")
    with pytest.raises(ValueError, match="merges"):
        BPE([("a", "b c")])
    bad = tmp_path / "bad.txt"
    bad.write_text("#version: 0.2\na b c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        BPE.load(bad)
    bad.write_text("a b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="first line"):
        BPE.load(bad)
