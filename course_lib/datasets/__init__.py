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

Modules: ``names`` (first names), ``wikipedia`` (English sentences), ``corpora`` (splits, the
quick-mode subset and the registry), ``cache`` (the checked on-disk cache), ``download``
(``fetch``). Everything public is importable from ``course_lib.datasets`` itself.
"""

from course_lib.datasets.cache import (
    FILE_MODE,
    atomic_write,
    cached_lines,
    sha256_bytes,
    sha256_file,
)
from course_lib.datasets.corpora import (
    CORPORA,
    NAME_GENDER_CLASSES,
    NAME_GENDER_QUICK,
    CorpusInfo,
    Split,
    available,
    load_corpus,
    load_name_genders,
    quick_subset,
    resolve_quick,
    split,
)
from course_lib.datasets.download import (
    DownloadError,
    RemoteFile,
    fetch,
)
from course_lib.datasets.names import (
    COUNTRIES,
    GENDERS,
    NameRecord,
    load_names,
    merge_name_records,
    names_path,
    parse_name_line,
)
from course_lib.datasets.wikipedia import (
    WIKI_CACHE,
    WIKI_FILE,
    build_wiki_sentences,
    clean_inline,
    clean_paragraphs,
    is_clean_sentence,
    load_wiki_sentences,
    split_sentences,
    wiki_articles,
)

__all__ = [
    "CORPORA",
    "COUNTRIES",
    "CorpusInfo",
    "DownloadError",
    "FILE_MODE",
    "GENDERS",
    "NAME_GENDER_CLASSES",
    "NAME_GENDER_QUICK",
    "NameRecord",
    "RemoteFile",
    "Split",
    "WIKI_CACHE",
    "WIKI_FILE",
    "atomic_write",
    "available",
    "build_wiki_sentences",
    "cached_lines",
    "clean_inline",
    "clean_paragraphs",
    "fetch",
    "is_clean_sentence",
    "load_corpus",
    "load_name_genders",
    "load_names",
    "load_wiki_sentences",
    "merge_name_records",
    "names_path",
    "parse_name_line",
    "quick_subset",
    "resolve_quick",
    "sha256_bytes",
    "sha256_file",
    "split",
    "split_sentences",
    "wiki_articles",
]
