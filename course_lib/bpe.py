"""Byte-pair encoding (BPE) for subword tokenization, compatible with subword-nmt.

BPE (Sennrich et al., 2016) starts from characters and repeatedly merges the most frequent pair of
adjacent symbols into a new symbol. Words are the unit: a pair never spans two words, and the
last character of a word carries the end-of-word marker ``</w>`` (so "est" inside "estate" and
"est</w>" at the end of "lowest" are different symbols):

    "lower" (count 2)  ->  l o w e r</w>
    pair counts  c(x, y) = sum over words w of count(w) * (number of positions where x y occur in w)
    merge        (x*, y*) = argmax c(x, y), ties broken by the larger pair of strings
    replace      every occurrence of x* y*, left to right without overlap, by the symbol x*y*

and again, ``num_merges`` times or until no pair occurs ``min_frequency`` times. The output is
the ordered list of merges. Encoding a word (seen or not) replays them: split it into
characters (last one with ``</w>``), then while some adjacent pair is a merge, apply the
earliest-learned one everywhere in the word. Decoding is concatenation: a subword that ends the
word ends with ``</w>``; in subword-nmt's text format every subword that does *not* end a word
gets a ``@@`` suffix instead, so "lowest" -> "low@@ est" and ``line.replace("@@ ", "")`` undoes it.

The learner is incremental: an index from each pair to the words that contain it means a merge
only rescans the words it changes, and a max-heap of pair counts with lazy deletion (an entry is
checked against the current count when it is popped) finds the next merge in O(log P). The
merges, their order and the tie-breaking equal ``subword-nmt learn-bpe`` (tests/test_bpe.py),
and ``BPE.segment`` equals ``subword-nmt apply-bpe``.

References:
- R. Sennrich, B. Haddow, A. Birch (2016), "Neural Machine Translation of Rare Words with Subword
  Units", ACL; the reference implementation https://github.com/rsennrich/subword-nmt.
- P. Gage (1994), "A New Algorithm for Data Compression" (the original byte-pair encoding).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

EOW = "</w>"  # end-of-word marker, glued to the last character of every word
SEPARATOR = "@@"  # subword-nmt's suffix for a subword that does not end its word
MERGES_HEADER = "#version: 0.2"  # first line of a subword-nmt merges file (0.2: "x</w>" symbols)


# --------------------------------------------------------------------------------------------
# The algorithm, step by step (slow and plain: for teaching and as the tests' brute force)
# --------------------------------------------------------------------------------------------


def word_counts(sentences: Iterable[str | Sequence[str]]) -> Counter[str]:
    """Count the words of a corpus, the input of ``learn_bpe``.

    Inputs:
    - sentences: iterable of sentences, each a str (split on spaces, as subword-nmt does) or a
      list of tokens.

    Returns:
    - counts: Counter word -> number of occurrences (empty strings are skipped).
    """
    counts: Counter[str] = Counter()
    for sentence in sentences:
        tokens = sentence.split(" ") if isinstance(sentence, str) else sentence
        counts.update(token for token in tokens if token)
    return counts


def word_to_symbols(word: str) -> tuple[str, ...]:
    """The initial symbols of a word: its characters, the last one marked, "low" -> l o w</w>."""
    return (*word[:-1], word[-1] + EOW)


def count_pairs(vocab: Mapping[tuple[str, ...], int]) -> Counter[tuple[str, str]]:
    """Frequency of every adjacent symbol pair: c(x, y) = sum_w count(w) * #positions of x y in w.

    Inputs:
    - vocab: dict symbols-of-a-word (tuple of str) -> count of that word.

    Returns:
    - pairs: Counter (x, y) -> frequency. Pairs never cross word boundaries.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for symbols, count in vocab.items():
        for pair in zip(symbols, symbols[1:], strict=False):
            pairs[pair] += count
    return pairs


def merge_symbols(symbols: Sequence[str], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace each occurrence of ``pair`` in ``symbols``, left to right without overlap.

    ("a", "a", "a") with pair ("a", "a") -> ("aa", "a").
    """
    first, second = pair
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == first and symbols[i + 1] == second:
            out.append(first + second)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def best_pair(pairs: Mapping[tuple[str, str], int]) -> tuple[str, str]:
    """The most frequent pair; on a tie the largest pair of strings (subword-nmt's rule)."""
    return max(pairs, key=lambda pair: (pairs[pair], pair))


def learn_bpe_slow(
    counts: Mapping[str, int], num_merges: int, min_frequency: int = 2
) -> list[tuple[str, str]]:
    """BPE merges by recounting every pair after every merge: O(num_merges * corpus).

    Same inputs and output as ``learn_bpe``; the plain definition, used to teach and to test.
    """
    _check_learn_args(counts, num_merges, min_frequency)
    vocab = {word_to_symbols(word): count for word, count in counts.items()}
    merges = []
    for _ in range(num_merges):
        pairs = count_pairs(vocab)
        if not pairs:
            break
        pair = best_pair(pairs)
        if pairs[pair] < min_frequency:
            break
        merges.append(pair)
        vocab = {merge_symbols(symbols, pair): count for symbols, count in vocab.items()}
    return merges


# --------------------------------------------------------------------------------------------
# The fast learner
# --------------------------------------------------------------------------------------------


class _Reversed:
    """Wraps a pair of strings so that heapq (a min-heap) pops the largest pair first on ties."""

    __slots__ = ("pair",)

    def __init__(self, pair: tuple[str, str]):
        self.pair = pair

    def __lt__(self, other: _Reversed) -> bool:
        return self.pair > other.pair


def _check_learn_args(counts, num_merges, min_frequency) -> None:
    if not isinstance(counts, Mapping):
        raise TypeError(f"counts must be a mapping word -> count, got {type(counts).__name__}")
    if not counts:
        raise ValueError("counts must hold at least one word (the corpus is empty)")
    for word, count in counts.items():
        if not isinstance(word, str) or word.split() != [word]:
            raise ValueError(f"counts keys must be non-empty words without spaces, got {word!r}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"counts values must be ints >= 1, got {count!r} for {word!r}")
    if not isinstance(num_merges, int) or isinstance(num_merges, bool) or num_merges < 0:
        raise ValueError(f"num_merges must be an int >= 0, got {num_merges!r}")
    if not isinstance(min_frequency, int) or min_frequency < 1:
        raise ValueError(f"min_frequency must be an int >= 1, got {min_frequency!r}")


def learn_bpe(
    counts: Mapping[str, int], num_merges: int, min_frequency: int = 2
) -> list[tuple[str, str]]:
    """Learn BPE merges from word counts (the same merges, in the same order, as subword-nmt).

    Symbols are ints internally (one id per distinct string, so two merges that build the same
    string build the same symbol). After each merge only the words that contained the pair are
    rescanned: their old pairs are subtracted, their new pairs added.

    Inputs:
    - counts: mapping word -> count (ints >= 1), e.g. ``word_counts(sentences)``.
    - num_merges: int >= 0, the number of merges to learn.
    - min_frequency: stop early when the best pair occurs fewer times than this (subword-nmt's
      default is 2).

    Returns:
    - merges: list of at most num_merges pairs (x, y) of str, in the order learned.
    """
    _check_learn_args(counts, num_merges, min_frequency)
    names: list[str] = []  # symbol id -> its string
    ids: dict[str, int] = {}

    def symbol(name: str) -> str:
        """The one-character code of a symbol: chr(its id)."""
        if name not in ids:
            ids[name] = len(names)
            names.append(name)
        return chr(ids[name])

    def pair_key(pair: str) -> _Reversed:
        return _Reversed((names[ord(pair[0])], names[ord(pair[1])]))

    # a word is a str of symbol codes and a pair is a str of two codes: str.replace then merges
    # a pair left to right without overlap, in C
    inner = {ord(ch): symbol(ch) for ch in sorted({ch for word in counts for ch in word[:-1]})}
    final = {ch: symbol(ch + EOW) for ch in sorted({word[-1] for word in counts})}
    words = [word[:-1].translate(inner) + final[word[-1]] for word in counts]
    freqs = list(counts.values())
    pair_count: dict[str, int] = {}
    where: dict[str, list[int]] = {}  # pair -> words that contain it (or did: the index is lazy)
    for j, (word, freq) in enumerate(zip(words, freqs, strict=True)):
        for i in range(len(word) - 1):
            pair = word[i : i + 2]
            if pair in pair_count:
                pair_count[pair] += freq
                where[pair].append(j)
            else:
                pair_count[pair] = freq
                where[pair] = [j]
    heap = [(-count, pair_key(pair), pair) for pair, count in pair_count.items()]
    heapq.heapify(heap)

    merges: list[tuple[str, str]] = []
    while heap and len(merges) < num_merges:
        neg_count, key, pair = heapq.heappop(heap)
        current = pair_count.get(pair, 0)
        if current != -neg_count:  # stale entry: the count dropped since it was pushed
            if current > 0:
                heapq.heappush(heap, (-current, key, pair))
            continue
        if current < min_frequency:
            break
        merges.append(key.pair)
        new = symbol(key.pair[0] + key.pair[1])
        grown: dict[str, None] = {}  # pairs whose count went up (an ordered set)
        for j in where.pop(pair):
            old = words[j]
            if pair not in old:  # merged already (j listed twice), or lost the pair earlier
                continue
            merged = old.replace(pair, new)
            words[j] = merged
            # only pairs from one symbol before the first occurrence to one symbol after the
            # last can change: recount that window of the word before and after
            lo = max(old.find(pair) - 1, 0)
            hi = min(old.rfind(pair) + 3, len(old))
            before, after = old[lo:hi], merged[lo : len(merged) - len(old) + hi]
            freq = freqs[j]
            delta: dict[str, int] = {}
            for i in range(len(before) - 1):
                p = before[i : i + 2]
                delta[p] = delta.get(p, 0) - freq
            for i in range(len(after) - 1):
                p = after[i : i + 2]
                delta[p] = delta.get(p, 0) + freq
            for p, d in delta.items():
                if d:
                    left = pair_count.get(p, 0) + d
                    if left:
                        pair_count[p] = left
                    else:
                        del pair_count[p]
                    if d > 0:
                        where.setdefault(p, []).append(j)
                        grown[p] = None
        pair_count.pop(pair, None)
        for p in grown:
            if p in pair_count:
                heapq.heappush(heap, (-pair_count[p], pair_key(p), p))
    return merges


# --------------------------------------------------------------------------------------------
# Applying merges: the tokenizer
# --------------------------------------------------------------------------------------------


class BPE:
    """A BPE tokenizer: an ordered list of merges, applied as ``subword-nmt apply-bpe`` does.

    Inputs:
    - merges: sequence of (x, y) pairs of non-empty str without spaces, in the order learned
      (rank 0 is applied first).

    Three views of a segmentation of "lowest" with the merges (l, o) (lo, w) (e, s) (es, t</w>):
    - ``segment_word("lowest")`` -> ("low", "est"): the pieces;
    - ``encode(["lowest"])`` -> ["low@@", "est"]: tokens for a model, subword-nmt's format
      (``segment("lowest")`` gives the same as one string, "low@@ est");
    - ``decode(["low@@", "est"])`` -> ["lowest"].
    """

    def __init__(self, merges: Sequence[tuple[str, str]]):
        checked = []
        for pair in merges:
            if (not isinstance(pair, tuple | list) or len(pair) != 2
                    or not all(isinstance(s, str) and s and " " not in s for s in pair)):
                raise ValueError(
                    f"merges must be pairs of non-empty str without spaces, got {pair!r}")
            checked.append((pair[0], pair[1]))
        self.merges: list[tuple[str, str]] = checked
        # rank of each pair: the first occurrence wins if a pair is listed twice (as subword-nmt)
        self.ranks: dict[tuple[str, str], int] = {}
        for rank, pair in enumerate(checked):
            self.ranks.setdefault(pair, rank)
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def learn(
        cls,
        sentences: Iterable[str | Sequence[str]],
        num_merges: int,
        min_frequency: int = 2,
    ) -> BPE:
        """Learn a tokenizer from sentences (str split on spaces, or token lists)."""
        return cls(learn_bpe(word_counts(sentences), num_merges, min_frequency))

    def __len__(self) -> int:
        return len(self.merges)

    def __repr__(self) -> str:
        return f"BPE({len(self.merges)} merges)"

    def segment_word(self, word: str) -> tuple[str, ...]:
        """Pieces of one word (seen in training or not), without markers.

        Start from ``word_to_symbols(word)``; while some adjacent pair has a rank, merge every
        occurrence (left to right) of the pair with the lowest rank; finally drop ``</w>``.
        """
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__}")
        if not word or any(ch.isspace() for ch in word):
            raise ValueError(f"word must be non-empty and without spaces, got {word!r}")
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = word_to_symbols(word)
        ranks = self.ranks
        while len(symbols) > 1:
            rank, pair = min(
                ((ranks.get(p, len(ranks)), p) for p in zip(symbols, symbols[1:], strict=False)),
            )
            if rank == len(ranks):
                break
            symbols = merge_symbols(symbols, pair)
        pieces = (*symbols[:-1], symbols[-1][: -len(EOW)])  # the last symbol ends with </w>
        self._cache[word] = pieces
        return pieces

    def encode(self, words: Sequence[str]) -> list[str]:
        """Tokens of a sentence given as words: every piece but a word's last gets ``@@``.

        Inputs:
        - words: list of str (e.g. ``course_lib.text.word_tokenize(text)``).

        Returns:
        - tokens: list of str, e.g. ["the", "low@@", "est"].
        """
        if isinstance(words, str):
            raise TypeError("words must be a list of words, got a str (split it first)")
        tokens = []
        for word in words:
            *head, last = self.segment_word(word)
            tokens.extend(piece + SEPARATOR for piece in head)
            tokens.append(last)
        return tokens

    def decode(self, tokens: Sequence[str]) -> list[str]:
        """Words from tokens: glue each ``@@`` token to the next one (a trailing one is dropped)."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of tokens, got a str")
        words, pending = [], ""
        for token in tokens:
            if token.endswith(SEPARATOR):
                pending += token[: -len(SEPARATOR)]
            else:
                words.append(pending + token)
                pending = ""
        if pending:
            words.append(pending)
        return words

    def segment(self, sentence: str) -> str:
        """One line as ``subword-nmt apply-bpe`` prints it: "the lowest" -> "the low@@ est"."""
        if not isinstance(sentence, str):
            raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
        return " ".join(self.encode([w for w in sentence.strip("\r\n ").split(" ") if w]))

    def save(self, path: str | Path) -> None:
        """Write the merges in subword-nmt's format: the header line, then "x y" per line."""
        lines = [MERGES_HEADER] + [f"{x} {y}" for x, y in self.merges]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPE:
        """Read a merges file written by ``save`` or by ``subword-nmt learn-bpe``.

        Raises ValueError for a header other than version 0.2 (version 0.1 files, which put
        ``</w>`` in a symbol of its own, are not supported) or a line that is not two symbols.
        """
        lines = Path(path).read_text(encoding="utf-8").rstrip("\n").split("\n")
        if lines and lines[0].startswith("#version:"):
            if lines[0].split()[-1] not in ("0.2", "0.2.0"):
                raise ValueError(f"{path}: only merges files of version 0.2 are supported, "
                                 f"got {lines[0]!r}")
            lines = lines[1:]
        else:
            raise ValueError(f"{path}: the first line must be {MERGES_HEADER!r}, got {lines[0]!r}")
        merges = []
        for number, line in enumerate(lines, start=2):
            parts = line.strip("\r\n ").split(" ")
            if len(parts) != 2:
                raise ValueError(f"{path}, line {number}: expected two symbols, got {line!r}")
            merges.append((parts[0], parts[1]))
        return cls(merges)
