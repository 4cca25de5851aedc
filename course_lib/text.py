"""Text basics shared by every part: tokenizers and a vocabulary (batching: course_lib.batching).

A *token* is the unit a model predicts: a character (part 1 names, part 2 char-RNN), a word
(part 1 English corpus, part 3 word LSTM) or a subword (part 4). The special tokens are the same
everywhere in the course:

- ``<s>``   start of a sentence (BOS): padding on the left, never predicted;
- ``</s>``  end of a sentence (EOS): predicted, so that a model knows when to stop;
- ``<unk>`` any token outside the vocabulary;
- ``<pad>`` filler that makes sequences of a batch the same length (masked out of losses).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"
PAD = "<pad>"
SPECIALS = (PAD, UNK, BOS, EOS)

# words (letters, digits, inner apostrophes/hyphens) or single punctuation marks
_WORD_RE = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*|[^\sa-z0-9]", re.IGNORECASE)


def word_tokenize(text: str, lower: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks: "It's 3 a.m." -> it's 3 a . m ."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if lower:
        text = text.lower()
    return _WORD_RE.findall(text)


def char_tokenize(text: str) -> list[str]:
    """Split ``text`` into its characters: "ann" -> ['a', 'n', 'n']."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return list(text)


class Vocab:
    """A two-way map between tokens and integer ids.

    Ids 0..3 are the specials ``<pad>, <unk>, <s>, </s>`` (in that order); the remaining tokens
    follow by decreasing frequency, ties broken alphabetically, so the same corpus always gives
    the same ids. Tokens seen fewer than ``min_freq`` times map to ``<unk>``.

    Inputs:
    - sentences: iterable of token lists, e.g. [["the", "cat"], ["a", "dog"]].
    - min_freq: int >= 1.
    - max_size: keep at most this many non-special tokens (the most frequent); None keeps all.
    """

    def __init__(
        self,
        sentences: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
    ):
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 0):
            raise ValueError(f"max_size must be None or an int >= 0, got {max_size!r}")
        counts: Counter[str] = Counter()
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError("sentences must be token lists, got a str (tokenize it first)")
            counts.update(sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t)
        )
        if max_size is not None:
            kept = kept[:max_size]
        self.itos: list[str] = list(SPECIALS) + kept
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts = counts

    @classmethod
    def from_tokens(cls, itos: Sequence[str]) -> Vocab:
        """The vocabulary whose id i is ``itos[i]`` (e.g. a saved model's ``vocab.itos``).

        The first four tokens must be the specials in their order; counts are not kept.
        """
        itos = list(itos)
        if itos[: len(SPECIALS)] != list(SPECIALS) or len(set(itos)) != len(itos):
            raise ValueError(f"itos must start with {list(SPECIALS)} and hold each token once")
        vocab = cls([])
        vocab.itos, vocab.stoi = itos, {t: i for i, t in enumerate(itos)}
        return vocab

    pad_id = 0
    unk_id = 1
    bos_id = 2
    eos_id = 3

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token list -> id list; tokens outside the vocabulary become ``<unk>``'s id."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of tokens, got a str (tokenize it first)")
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def closed(self, tokens: Sequence[str]) -> list[str]:
        """Token list -> the same tokens with every one outside the vocabulary replaced by
        ``<unk>`` (what a count-based model must train on to give unknown words a probability)."""
        return self.decode(self.encode(tokens))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Id list -> token list. Raises ValueError for an id outside [0, len(vocab))."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"ids must lie in [0, {len(self.itos)}), got {i}")
            out.append(self.itos[i])
        return out
