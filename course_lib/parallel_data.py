"""German-English sentence pairs from the Ding dictionary, for neural machine translation (part 6).

The data. Debian's ``trans-de-en`` package (the Ding dictionary by Frank Richter, TU Chemnitz,
GPL-2+) installs ``/usr/share/trans/de-en``: one entry a line, ``German :: English``. An entry
holds sub-entries separated by `` | ``, aligned one to one on both sides; a sub-entry lists
alternatives separated by ``; `` and carries notes in brackets::

    Fahrstunde {f} [auto] | Fahrstunden {pl} | Er nahm Fahrstunden. :: driving lesson | ...
        ... | He took lessons in driving.

Most sub-entries are words or phrases; the example sentences among them are what we translate.

Parsing rules (``parse_line``), in this order, for one line:

1. comments (``#``) and lines without exactly one `` :: `` give nothing;
2. split both sides at the `` | `` that are outside brackets; if the two sides have a different
   number of sub-entries, the alignment is unknown and the line gives nothing;
3. in every sub-entry keep the first alternative (split at ``; `` outside brackets);
4. ``clean_text``: typographic quotes and dashes become ASCII, ``{f}``/``{pl}`` grammar tags,
   ``[coll.]``/``[Br.]`` usage notes, ``<...>`` keywords and ``(...)`` optional words are removed,
   word alternatives ``in/around`` keep their first word, spaces are normalised;
5. a pair is kept when both sides are whole sentences (``is_sentence``): start with a capital
   letter or a digit, end with ``.``, ``?`` or ``!``, at least 3 words, no placeholder (``sth.``,
   ``sb.``, ``etw.``, ``jdn.``...), no ellipsis and no phrase alternative `` / `` left.

Splitting (``split_pairs``): pairs are grouped by their German sentence, so that all the English
translations of one German sentence land in the same part; groups are shuffled with a fixed seed
and cut 80/10/10 (``course_lib.datasets.split``). No source sentence appears in two parts.

Users without Debian: ``fetch_deb`` downloads the same ``.deb`` from the Debian archive with a
pinned SHA-256 (``course_lib.datasets.fetch``) and ``extract_dictionary`` unpacks the dictionary
file from it with the standard library (``ar`` archive, then ``data.tar.xz``).

References: F. Richter, "Ding: a dictionary lookup program" (https://www-user.tu-chemnitz.de/~fri/ding/);
Debian package trans-de-en 1.9-6.
"""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import NamedTuple

from course_lib.config import data_dir
from course_lib.datasets import RemoteFile, Split, cached_lines, fetch, split

DICT_PATH = Path("/usr/share/trans/de-en")
DEB = RemoteFile(
    url="http://deb.debian.org/debian/pool/main/d/ding/trans-de-en_1.9-6_all.deb",
    sha256="45f6b4cf1c434776fba6811d7bc522efabb5425c43ba8afd0e289bf9e2e53df4",
    filename="trans-de-en_1.9-6_all.deb",
)
DEB_MEMBER = "./usr/share/trans/de-en"
PAIRS_CACHE = "ding_de_en_pairs_v1.tsv"  # bump the version when the parsing rules change
LICENCE = "GPL-2+ (Ding dictionary, Frank Richter, TU Chemnitz; Debian package trans-de-en)"

_OPEN, _CLOSE = "([{<", ")]}>"
_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " ",
})
_NOTES = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|<[^<>]*>|\([^()]*\)")
_WORD_ALTERNATIVES = re.compile(r"\b(\w+)(?:/\w+)+\b")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,?!;:])")
_SENTENCE_END = re.compile(r"[.?!]$")
_PLACEHOLDERS = re.compile(
    r"\b(?:sth|sb|jd[nms]?|etw|usw|etc)\.|\u2026|\.\.\.|/|[\[\]{}<>()|]", re.IGNORECASE
)
_MAY_END_A_SENTENCE = re.compile(r"[.?!]")
MIN_WORDS = 3


class SentencePair(NamedTuple):
    """One German sentence and its English translation (both plain, cased text)."""

    de: str
    en: str


def _depth_change(text: str) -> int:
    """Opening minus closing brackets in text."""
    return sum(text.count(c) for c in _OPEN) - sum(text.count(c) for c in _CLOSE)


def split_outside_brackets(text: str, sep: str) -> list[str]:
    """Split ``text`` at every ``sep`` that is not inside (), [], {} or <>.

    "a (b; c); d" split at "; " -> ["a (b; c)", "d"]. A piece that leaves a bracket open is
    glued to the next one; an unmatched closing bracket is ignored.
    """
    pieces = text.split(sep)
    if len(pieces) == 1 or not any(bracket in text for bracket in _OPEN):
        return pieces
    parts, current, depth = [], pieces[0], max(_depth_change(pieces[0]), 0)
    for piece in pieces[1:]:
        if depth > 0:
            current += sep + piece
        else:
            parts.append(current)
            current = piece
        depth = max(depth + _depth_change(piece), 0)
    parts.append(current)
    return parts


def clean_text(text: str) -> str:
    """One alternative without notes: rule 4 of the module docstring.

    "Er hatte eine Nikotinfahne {f}. [ugs.]" -> "Er hatte eine Nikotinfahne."
    """
    text = text.translate(_TYPOGRAPHY)
    for _ in range(2):  # a note inside a note: "(of sth. [coll.])"
        text = _NOTES.sub(" ", text)
    text = _WORD_ALTERNATIVES.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return " ".join(text.split())


def is_sentence(text: str) -> bool:
    """Rule 5: capital or digit first, . ? or ! last, >= 3 words, no placeholder left."""
    return (
        len(text.split()) >= MIN_WORDS
        and (text[0].isupper() or text[0].isdigit())
        and _SENTENCE_END.search(text) is not None
        and _PLACEHOLDERS.search(text) is None
    )


def parse_line(line: str) -> list[SentencePair]:
    """The sentence pairs of one dictionary line (often none).

    Inputs:
    - line: one line of the dictionary, with or without its newline.

    Returns:
    - pairs: list of SentencePair, in the order of the sub-entries.
    """
    if not isinstance(line, str):
        raise TypeError(f"line must be a str, got {type(line).__name__}")
    line = line.rstrip("\n")
    if line.startswith("#") or line.count(" :: ") != 1:
        return []
    german, english = line.split(" :: ")
    subs_de = split_outside_brackets(german, " | ")
    subs_en = split_outside_brackets(english, " | ")
    if len(subs_de) != len(subs_en):
        return []
    pairs = []
    for de, en in zip(subs_de, subs_en, strict=True):
        if not _MAY_END_A_SENTENCE.search(en):  # fast path, before the cleaning
            continue
        de = clean_text(split_outside_brackets(de, "; ")[0])
        en = clean_text(split_outside_brackets(en, "; ")[0])
        if is_sentence(de) and is_sentence(en):
            pairs.append(SentencePair(de, en))
    return pairs


def parse_dictionary(lines) -> list[SentencePair]:
    """All sentence pairs of the dictionary's lines, exact duplicates kept once (first seen)."""
    pairs: dict[SentencePair, None] = {}
    for line in lines:
        for pair in parse_line(line):
            pairs[pair] = None
    return list(pairs)


def fetch_deb(cache_dir: Path | None = None) -> Path:
    """Download Debian's trans-de-en .deb (pinned SHA-256) into the cache; return its path."""
    return fetch(DEB, cache_dir)


def extract_dictionary(deb_path: Path) -> str:
    """The text of ``usr/share/trans/de-en`` inside a trans-de-en ``.deb`` file.

    A .deb is an ``ar`` archive ("!<arch>\\n", then 60-byte member headers: name 16 bytes, ...,
    size 10 bytes at offset 48) whose member ``data.tar.xz`` holds the installed files.
    """
    data = Path(deb_path).read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise ValueError(f"deb_path must be a Debian .deb (ar archive), got {deb_path}")
    pos = 8
    while pos + 60 <= len(data):
        name = data[pos : pos + 16].decode("ascii").strip().rstrip("/")
        size = int(data[pos + 48 : pos + 58].decode("ascii").strip())
        body = pos + 60
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(data[body : body + size])) as tar:
                member = tar.extractfile(DEB_MEMBER)
                if member is None:
                    raise ValueError(f"{deb_path} has no {DEB_MEMBER}")
                return member.read().decode("utf-8")
        pos = body + size + (size % 2)  # members are aligned to even offsets
    raise ValueError(f"{deb_path} holds no data.tar member")


def dictionary_lines(download: bool = False) -> list[str]:
    """The lines of the Ding dictionary file.

    Read from ``/usr/share/trans/de-en`` (``apt-get install trans-de-en``); if it is missing and
    ``download`` is True, from the pinned .deb of the Debian archive (``fetch_deb``).

    Raises FileNotFoundError, saying how to get the file, when it is missing and download is
    False.
    """
    if DICT_PATH.exists():
        return DICT_PATH.read_text(encoding="utf-8").split("\n")
    if not download:
        raise FileNotFoundError(
            f"{DICT_PATH} not found. Install it with `sudo apt-get install trans-de-en` "
            "(Debian/Ubuntu), or call load_pairs(download=True) to fetch the same Debian "
            f"package from {DEB.url} (sha256 {DEB.sha256}) into the course cache."
        )
    return extract_dictionary(fetch_deb()).split("\n")


def load_pairs(download: bool = False) -> list[SentencePair]:
    """All German-English sentence pairs (18,6xx), cached in ``data_dir()`` as a TSV file.

    Inputs:
    - download: allow ``dictionary_lines`` to download the Debian package if the file is missing.

    Returns:
    - pairs: list of SentencePair in dictionary order, no exact duplicate pair.
    """

    def build() -> list[str]:
        return [f"{p.de}\t{p.en}" for p in parse_dictionary(dictionary_lines(download))]

    lines = cached_lines(PAIRS_CACHE, build)
    return [SentencePair(*line.split("\t")) for line in lines]


def split_pairs(pairs, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Train / valid / test pairs, with every German sentence in exactly one part.

    Inputs:
    - pairs: non-empty sequence of SentencePair (or (de, en) tuples).
    - fractions: three numbers >= 0 summing to 1, applied to the distinct German sentences.
    - seed: int; same seed, same split.

    Returns:
    - Split(train, valid, test) of SentencePair, in the shuffled order of their German
      sentences.
    """
    if len(pairs) == 0:
        raise ValueError("pairs must not be empty")
    groups: dict[str, list[SentencePair]] = {}
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(s, str) for s in pair):
            raise TypeError(f"pairs must hold (de, en) pairs of str, got {pair!r}")
        groups.setdefault(pair[0], []).append(SentencePair(*pair))
    sources = split(list(groups), fractions, seed)
    return Split(*([p for de in part for p in groups[de]] for part in sources))


def cache_path() -> Path:
    """Where ``load_pairs`` keeps the parsed pairs."""
    return data_dir() / PAIRS_CACHE
