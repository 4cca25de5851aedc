"""The ARPA file format for back-off n-gram models: write and read.

An ARPA file lists, for every order k = 1..n, n-grams w_1..w_k with log10 P(w_k | w_1..w_{k-1})
and (below the highest order) a log10 back-off weight b(w_1..w_k). A reader scores a token w after
a history h with the longest n-gram (h_j, w) that the file holds, h_j being the last j tokens of h,
times the back-off weights of the longer contexts it had to skip:

    P(w | h) = P(w | h_j) * prod_{i > j} b(h_i),        (a missing b counts as 1, i.e. log10 0)

The layout (SRILM's, read by KenLM and most toolkits):

    \\data\\
    ngram 1=<number of 1-grams>
    ngram 2=<number of 2-grams>

    \\1-grams:
    <log10 prob>\\t<w1>\\t<log10 back-off>
    ...

    \\2-grams:
    <log10 prob>\\t<w1> <w2>\\t<log10 back-off>
    ...
    \\end\\

``<s>`` is listed as a 1-gram with probability 10^-99 (it is never predicted) and ``<unk>`` must be
there (every unknown word is read as it). course_lib.ngram.NGramLM turns its smoothed model into
these numbers (``save_arpa``) and scores with them (``load_arpa``).

Reference: the SRILM manual page ngram-format(5); KenLM (Heafield 2011), which tests/test_arpa.py
uses to check the files we write.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

NEVER = -99.0  # the log10 probability ARPA files give <s>


def write(path, levels: Sequence[tuple[Sequence[str], np.ndarray, np.ndarray | None]]) -> None:
    """Write an ARPA file.

    Inputs:
    - path: file name (str or os.PathLike).
    - levels: one entry per order k = 1..n, a tuple (grams, log10_prob, log10_backoff): grams
      G_k strings, the k tokens of each n-gram joined by single spaces (the tokens of every
      n-gram must be listed as 1-grams), log10_prob (G_k,) floats, log10_backoff (G_k,) floats or
      None (the highest order has no back-off weights).

    Raises ValueError if a 1-gram is empty or holds whitespace (ARPA separates tokens by it).
    """
    for token in levels[0][0]:
        if not token or any(c.isspace() for c in token):
            raise ValueError(f"ARPA separates tokens by whitespace: cannot write {token!r}")
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write("\\data\\\n")
        for k, (grams, _, _) in enumerate(levels, start=1):
            f.write(f"ngram {k}={len(grams)}\n")
        for k, (grams, logp, logb) in enumerate(levels, start=1):
            f.write(f"\n\\{k}-grams:\n")
            if logb is None:
                lines = (f"{p:.9g}\t{g}\n" for g, p in zip(grams, logp.tolist(), strict=True))
            else:
                lines = (f"{p:.9g}\t{g}\t{b:.9g}\n" for g, p, b in
                         zip(grams, logp.tolist(), logb.tolist(), strict=True))
            f.writelines(lines)
        f.write("\n\\end\\\n")


def read(path) -> list[tuple[list[tuple[str, ...]], np.ndarray, np.ndarray]]:
    """Read an ARPA file.

    Inputs:
    - path: file name (str or os.PathLike).

    Returns:
    - levels: one entry per order k = 1..n, a tuple (grams, log10_prob, log10_backoff): grams a
      list of G_k tuples of k tokens, then two (G_k,) float64 arrays (back-off 0 where the file
      gives none).

    Raises ValueError (naming the line) if the file is not ARPA or the counts in its header do not
    match the n-grams listed.
    """
    levels: list[tuple[list, list, list]] = []
    expected: list[int] = []
    section = None  # None before \data\, 0 inside it, k inside \k-grams:
    with open(os.fspath(path), encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line:
                continue
            if line == "\\data\\":
                section = 0
            elif line == "\\end\\":
                break
            elif section is None:
                continue  # text before \data\ is a comment
            elif section == 0 and line.startswith("ngram "):
                expected.append(int(line.split("=")[1]))
            elif line.startswith("\\") and line.endswith("-grams:"):
                section = int(line[1:-7])
                if section != len(levels) + 1:
                    raise ValueError(f"{path}:{number}: expected \\{len(levels) + 1}-grams:")
                levels.append(([], [], []))
            elif section:
                fields = line.split()
                if len(fields) not in (section + 1, section + 2):
                    raise ValueError(f"{path}:{number}: expected a {section}-gram line: {line!r}")
                grams, logp, logb = levels[-1]
                logp.append(float(fields[0]))
                grams.append(tuple(fields[1 : section + 1]))
                logb.append(float(fields[section + 1]) if len(fields) == section + 2 else 0.0)
            else:
                raise ValueError(f"{path}:{number}: not ARPA: {line!r}")
    if section is None or not levels:
        raise ValueError(f"{path} is not an ARPA file: no \\data\\ section or no n-grams")
    counts = [len(grams) for grams, _, _ in levels]
    if counts != expected:
        raise ValueError(f"{path}: the header announces {expected} n-grams, the file has {counts}")
    return [(g, np.asarray(p, dtype=np.float64), np.asarray(b)) for g, p, b in levels]


def log10(p: np.ndarray) -> np.ndarray:
    """log10 of probabilities, with 0 written as ARPA's -99 (10^-99)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(p), NEVER)


def prob(logp: np.ndarray) -> np.ndarray:
    """Probabilities from ARPA log10 values; -99 (or below) reads as exactly 0."""
    return np.where(logp <= NEVER, 0.0, np.power(10.0, logp))

