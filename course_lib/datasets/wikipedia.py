"""English Wikipedia sentences from the article sample that gensim ships for its tests, cleaned and
cached (see the package docstring for the cleaning references)."""

from __future__ import annotations

import bz2
import re
import unicodedata

from course_lib.datasets.cache import cached_lines

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


def load_wiki_sentences() -> list[str]:
    """English sentences of gensim's Wikipedia sample, one str each, cased, pure ASCII.

    Built once by ``build_wiki_sentences`` (106 articles -> 19,110 sentences, 415k words
    separated by spaces, 481k ``word_tokenize`` tokens; 2.5 s on an idle core, 5-7 s on a busy
    machine) and cached in ``data_dir() / WIKI_CACHE``; a cache hit takes 5-10 ms.

    Returns:
    - sentences: list of str.
    """
    return cached_lines(WIKI_CACHE, build_wiki_sentences)
