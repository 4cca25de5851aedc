"""Tests of course_lib.datasets: real files of installed packages, caches, splits, downloads.

Everything runs offline: downloads go to a local http.server on 127.0.0.1 or to file:// URLs.
The full Wikipedia cache is built once for the whole file, in a private data directory.
"""

import functools
import hashlib
import http.server
import re
import socket
import threading

import numpy as np
import pytest

from course_lib import datasets as ds
from course_lib.datasets import (
    CORPORA,
    COUNTRIES,
    GENDERS,
    NAME_GENDER_CLASSES,
    DownloadError,
    NameRecord,
    RemoteFile,
    Split,
    available,
    cached_lines,
    clean_inline,
    clean_paragraphs,
    fetch,
    is_clean_sentence,
    load_corpus,
    load_name_genders,
    load_names,
    load_wiki_sentences,
    merge_name_records,
    parse_name_line,
    split,
    split_sentences,
)

N_NAMES = 33_415  # measured with gender-guesser 0.4.0
N_SENTENCES = 19_110  # measured with gensim 4.4.0


@pytest.fixture(scope="module")
def module_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("course_data")


@pytest.fixture(autouse=True)
def private_data_dir(module_data_dir, monkeypatch):
    """Every test writes its caches into one private directory, never into ~/.cache."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(module_data_dir))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    return module_data_dir


@pytest.fixture(scope="module")
def names():
    return load_names()


@pytest.fixture(scope="module")
def sentences(module_data_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_DATA_DIR", str(module_data_dir))
        return load_wiki_sentences()


# ------------------------------------------------------------------------------------ names


def name_line(code, name, freqs=None, marker=" "):
    """A nam_dict.txt line: gender code, name, column-30 marker, 55 country columns, '$'."""
    columns = [" "] * len(COUNTRIES)
    for country, digit in (freqs or {}).items():
        columns[COUNTRIES.index(country)] = digit
    return f"{code:<3}{name:<26}{marker}{''.join(columns)} $\r\n"


def test_name_line_helper_reproduces_the_file_format():
    copied = "M  Aage" + " " * 39 + "761" + " " * 37 + "$\r"  # line 'Aage' of the file
    assert name_line("M", "Aage", {"Denmark": "7", "Norway": "6", "Sweden": "1"}) == copied + "\n"


def test_countries_follow_the_file_header():
    # the header names each country on one line and puts a '|' under its column on the next
    header = ds.names_path().read_text(encoding="utf-8").splitlines()[:300]
    labels = [line.strip("#$ ") for line in header]
    for i, country in enumerate(COUNTRIES):
        row = labels.index(country)
        assert header[row + 1].index("|") == 30 + i, country
    assert len(COUNTRIES) == 55


def test_parse_name_line_on_hand_written_lines():
    rec = parse_name_line(name_line("1F", "Mary", {"Great Britain": "9", "Malta": "A"}))
    assert rec == NameRecord("mary", "mostly_female", {"Great Britain": 9, "Malta": 10})
    rec = parse_name_line(name_line("?", "DeAndre", {"other countries": "D"}))
    assert rec == NameRecord("deandre", "unisex", {"other countries": 13})
    expected = {"M": "male", "?M": "mostly_male", "F": "female", "?F": "mostly_female"}
    for code, gender in expected.items():
        assert parse_name_line(name_line(code, "Alex", {"Italy": "1"})).gender == gender
    assert parse_name_line(name_line("F", "Ann")).countries == {}


@pytest.mark.parametrize(
    "line",
    [
        "# a comment line $\r\n",
        "\r\n",
        "=  Abe Abraham" + " " * 18 + "1" + " " * 53 + "$\r\n",
        name_line("M", "Aage", {"Denmark": "7"}, marker="+"),  # expanded-umlaut duplicate
        name_line("?", "Jun+Wei", {"China": "3"}),  # compound name
        name_line("M", "\u00c5dne", {"Norway": "1"}, marker="-"),  # not ASCII
        name_line("M", "O'Neil", {"Ireland": "1"}),  # not letters only
    ],
)
def test_parse_name_line_skips(line):
    assert parse_name_line(line) is None


def test_parse_name_line_errors():
    with pytest.raises(ValueError, match="gender code"):
        parse_name_line(name_line("X", "Ann", {"Italy": "1"}))
    with pytest.raises(ValueError, match="hex digit"):
        parse_name_line(name_line("F", "Ann", {"Italy": "E"}))
    with pytest.raises(ValueError, match="too short"):
        parse_name_line("F  Ann      1")


def test_merge_name_records():
    female = NameRecord("andrea", "female", {"Germany": 8, "Hungary": 9})
    male = NameRecord("andrea", "male", {"Italy": 7, "Germany": 2})
    merged = merge_name_records([male, female])
    assert merged.gender == "female"  # 2**8 + 2**9 > 2**7 + 2**2
    assert merged.countries == {"Italy": 7, "Germany": 8, "Hungary": 9}
    assert list(merged.countries) == ["Italy", "Germany", "Hungary"]  # header order
    tie = [NameRecord("kim", "male", {"Denmark": 5}), NameRecord("kim", "female", {"Italy": 5})]
    assert merge_name_records(tie).gender == "male"  # first in file order
    with pytest.raises(ValueError, match="records"):
        merge_name_records([])
    with pytest.raises(ValueError, match="records"):
        merge_name_records([female, NameRecord("anna", "female", {})])


def test_load_names_real_file(names):
    assert len(names) == N_NAMES
    assert [r.name for r in names] == sorted({r.name for r in names})
    assert all(re.fullmatch("[a-z]+", r.name) for r in names)
    assert {r.gender for r in names} == set(GENDERS)
    assert all(set(r.countries) <= set(COUNTRIES) for r in names)
    assert all(1 <= f <= 13 for r in names for f in r.countries.values())
    by_name = {r.name: r for r in names}
    # lines read in the file: "M  Aage ... 761" (Denmark, Norway, Sweden), "1F Mary  9993A ..."
    assert by_name["aage"] == NameRecord("aage", "male", {"Denmark": 7, "Norway": 6, "Sweden": 1})
    assert by_name["mary"].gender == "mostly_female"
    assert by_name["mary"].countries["Malta"] == 10
    assert by_name["john"].gender == "male" and by_name["emma"].gender == "female"
    # three entries: F (most countries), ?F (GB, USA, Swiss) and M (Italy 7)
    assert by_name["andrea"].gender == "female" and by_name["andrea"].countries["Italy"] == 7
    assert "jun+wei" not in by_name and "\u00e5dne" not in by_name


# ------------------------------------------------------------------------------------ wiki


def test_clean_inline():
    assert clean_inline("'''Achilles''' (; , ''Akhilleus'', ) was a hero") == (
        "Achilles (Akhilleus) was a hero"
    )
    assert clean_inline("\u00c9tienne de La Bo\u00e9tie \u2013 \u201cfree\u201d") == (
        'Etienne de La Boetie - "free"'
    )
    assert clean_inline("from the Greek , i.e. ''anarchy''  ( ) .") == (
        "from the Greek, i.e. anarchy."
    )


def test_split_sentences_rule():
    text = (
        'C. S. Lewis wrote it, e.g. Narnia. He said "Stop." Then pi is 3.14! Why? (Who.) U.S. law.'
    )
    assert split_sentences(text) == [
        "C. S. Lewis wrote it, e.g. Narnia.",
        'He said "Stop."',
        "Then pi is 3.14!",
        "Why?",
        "(Who.)",
        "U.S. law.",
    ]
    assert split_sentences("no break here. lower case follows") == [
        "no break here. lower case follows"
    ]


def test_clean_paragraphs_and_sentence_filter():
    article = "\n".join([
        "Achilles portrait by a painter",  # caption
        "'''Achilles''' was a hero of the war. He was fast.",
        "== Birth ==",
        "* He was the son of Thetis and Peleus.",  # a list item that is a sentence
        "* Troy",  # a link list item, as filter_wiki leaves it
        "{| class=wikitable",
        "| cell one || cell two",
        "==References==",
        "Homer, Iliad, 1990.",
    ])
    paragraphs = clean_paragraphs(article)
    assert paragraphs == [
        "Achilles portrait by a painter",
        "Achilles was a hero of the war. He was fast.",
        "He was the son of Thetis and Peleus.",
        "Troy",
    ]
    kept = [s for p in paragraphs for s in split_sentences(p) if is_clean_sentence(s)]
    assert kept == [
        "Achilles was a hero of the war.",
        "He was fast.",
        "He was the son of Thetis and Peleus.",
    ]
    assert not is_clean_sentence("The value x = 5 is small.")
    assert not is_clean_sentence("The Greek word \u03b1\u03c3\u03c6\u03b1\u03bb\u03c4 means.")
    assert not is_clean_sentence("Too short.")


def test_wiki_sentences_are_clean_prose(sentences):
    assert len(sentences) == N_SENTENCES
    n_words = sum(len(s.split()) for s in sentences)
    assert 400_000 < n_words < 450_000
    assert len(set(sentences)) == len(sentences)
    for marker in ("[[", "]]", "{{", "}}", "|", "==", "''", "<ref", "http", "\n"):
        assert not any(marker in s for s in sentences), marker
    assert all(s.isascii() for s in sentences)
    assert all(re.search(r"""[.!?]["')]*$""", s) for s in sentences)
    assert "Portuguese is the official language of the country." in sentences
    assert "In art, Rand promoted romantic realism." in sentences


def test_wiki_cache_is_used_the_second_time(sentences, private_data_dir, monkeypatch):
    path = private_data_dir / ds.WIKI_CACHE
    digest = (private_data_dir / (ds.WIKI_CACHE + ".sha256")).read_text().strip()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    def no_build():
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(ds.wikipedia, "build_wiki_sentences", no_build)
    assert load_wiki_sentences() == sentences


def test_cached_lines_builds_once_and_rebuilds_a_corrupted_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    calls = []

    lines = ["first line", "", "third line \u00e9"]

    def build():
        calls.append(1)
        return list(lines)

    assert cached_lines("fake.txt", build) == lines and len(calls) == 1
    assert cached_lines("fake.txt", build) == lines and len(calls) == 1  # cache hit
    path = tmp_path / "fake.txt"
    path.write_bytes(path.read_bytes()[:-5])  # truncated write
    with pytest.warns(UserWarning, match="sha256"):
        assert cached_lines("fake.txt", build) == lines
    assert len(calls) == 2
    assert path.read_text(encoding="utf-8") == "first line\n\nthird line \u00e9\n"
    (tmp_path / "fake.txt.sha256").unlink()  # digest missing: rebuild silently
    assert cached_lines("fake.txt", build) == lines and len(calls) == 3
    assert cached_lines("empty.txt", list) == []
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["empty.txt", "empty.txt.sha256", "fake.txt", "fake.txt.sha256"]
    with pytest.raises(ValueError, match="newline"):
        cached_lines("bad.txt", lambda: ["two\nlines"])


# ------------------------------------------------------------------------------------ split


def test_split_is_deterministic_disjoint_and_proportional():
    items = list(range(1000))
    parts = split(items, seed=3)
    assert isinstance(parts, Split)
    assert [len(p) for p in parts] == [800, 100, 100]
    assert sorted(parts.train + parts.valid + parts.test) == items
    assert parts == split(items, seed=3)
    assert parts.train != split(items, seed=4).train
    assert parts.train != items[:800]  # shuffled
    assert [len(p) for p in split(items, (0.5, 0.25, 0.25))] == [500, 250, 250]
    assert [len(p) for p in split(items, (1.0, 0.0, 0.0))] == [1000, 0, 0]
    assert [len(p) for p in split(list("abcdefg"), (0.5, 0.25, 0.25))] == [4, 1, 2]
    arr = split(np.arange(10) * 10, seed=0)
    assert sorted(int(x) for p in arr for x in p) == list(range(0, 100, 10))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"items": []}, ValueError, "items must not be empty"),
        ({"items": "abc"}, TypeError, "items"),
        ({"items": {1, 2}}, TypeError, "items"),
        ({"fractions": (0.8, 0.1)}, ValueError, "three numbers"),
        ({"fractions": (0.8, 0.3, 0.1)}, ValueError, "summing to 1"),
        ({"fractions": (1.2, -0.1, -0.1)}, ValueError, ">= 0"),
        ({"fractions": ("a", "b", "c")}, ValueError, "fractions"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_split_errors(kwargs, error, match):
    args = {"items": [1, 2, 3], **kwargs}
    with pytest.raises(error, match=match):
        split(**args)


# ------------------------------------------------------------------------------ load_corpus


def test_registry():
    assert available() == ["names", "wiki"] == sorted(CORPORA)
    for info in CORPORA.values():
        assert info.description and info.source and info.licence
        assert callable(info.loader) and callable(info.tokenizer)


def test_load_corpus_names(names):
    quick = load_corpus("names", quick=True)
    assert [len(p) for p in quick] == [6400, 800, 800]
    all_names = {r.name for r in names}
    assert all("".join(t) in all_names and all(len(c) == 1 for c in t) for t in quick.train)
    full = load_corpus("names", quick=False, seed=1)
    assert [len(p) for p in full] == [26732, 3342, 3341]
    assert {"".join(t) for p in full for t in p} == all_names
    assert load_corpus("names", quick=True) == quick
    assert load_corpus("names", quick=True, seed=1).train != quick.train


def test_load_corpus_wiki(sentences):
    quick = load_corpus("wiki", quick=True)
    n_tokens = sum(len(t) for p in quick for t in p)
    longest = max(len(s.split()) * 3 for s in sentences)
    assert 120_000 <= n_tokens < 120_000 + longest
    assert quick.train[0] == [w.lower() for w in quick.train[0]]  # lower-cased words
    full = load_corpus("wiki", quick=False)
    assert sum(len(p) for p in full) == N_SENTENCES
    assert [len(p) for p in full] == [15288, 1911, 1911]
    assert sorted(map(tuple, quick.test)) != sorted(map(tuple, full.test))
    assert load_corpus("wiki", quick=True) == quick


def test_load_corpus_quick_none_reads_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert sum(len(p) for p in load_corpus("names")) == 8000
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert sum(len(p) for p in load_corpus("names")) == N_NAMES


N_GENDERED = 31_333  # names marked exactly male or female, gender-guesser 0.4.0


def test_load_name_genders(names, monkeypatch):
    full = load_name_genders(quick=False)
    assert [len(p) for p in full] == [25066, 3134, 3133] and sum(map(len, full)) == N_GENDERED
    want = {r.name: NAME_GENDER_CLASSES.index(r.gender) for r in names
            if r.gender in ("male", "female")}
    pairs = [pair for part in full for pair in part]
    assert dict(pairs) == want and len(pairs) == len(want)  # every name once, with its label
    assert NAME_GENDER_CLASSES == ("male", "female")
    assert want["emma"] == 1 and want["johannes"] == 0
    assert all(isinstance(n, str) and label in (0, 1) for n, label in pairs)
    female = np.mean([label for _, label in full.train])
    assert 0.4 < female < 0.6  # both classes are well represented
    quick = load_name_genders(quick=True)
    assert [len(p) for p in quick] == [6400, 800, 800]
    assert set(pair for p in quick for pair in p) <= set(pairs)
    assert load_name_genders(quick=True) == quick  # deterministic
    assert load_name_genders(quick=True, seed=1).train != quick.train
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert load_name_genders() == quick
    with pytest.raises(TypeError, match="quick must be a bool"):
        load_name_genders(quick="yes")
    with pytest.raises(TypeError, match="seed must be an int"):
        load_name_genders(seed=1.5)


def test_load_corpus_errors():
    with pytest.raises(ValueError, match="unknown corpus 'shakespeare'; available: names, wiki"):
        load_corpus("shakespeare")
    with pytest.raises(ValueError, match="available"):
        load_corpus(None)
    with pytest.raises(TypeError, match="quick"):
        load_corpus("names", quick="yes")
    with pytest.raises(TypeError, match="seed"):
        load_corpus("names", seed="0")


# ------------------------------------------------------------------------------------ fetch

PAYLOAD = b"tiny corpus\nsecond line\n" * 100
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - name fixed by http.server
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local http.server in a thread, serving corpus.txt; yields its base URL."""
    root = tmp_path_factory.mktemp("www")
    (root / "corpus.txt").write_bytes(PAYLOAD)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    remote = RemoteFile(f"{server}/corpus.txt", PAYLOAD_SHA, "corpus.txt")
    _QuietHandler.requests.clear()
    path = fetch(remote, cache_dir=tmp_path)
    assert path == tmp_path / "corpus.txt" and path.read_bytes() == PAYLOAD
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0o600
    assert fetch(remote, cache_dir=tmp_path) == path
    assert _QuietHandler.requests == ["/corpus.txt"]  # the second call used the cache
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.txt"]  # no temporary file left


def test_fetch_default_directory(server, private_data_dir):
    remote = RemoteFile(f"{server}/corpus.txt", PAYLOAD_SHA, "corpus.txt")
    assert fetch(remote) == private_data_dir / "downloads" / "corpus.txt"


def test_fetch_rejects_a_wrong_checksum(server, tmp_path):
    wrong = "0" * 64
    remote = RemoteFile(f"{server}/corpus.txt", wrong, "corpus.txt")
    with pytest.raises(ValueError, match=f"expected sha256 {wrong}, got {PAYLOAD_SHA}"):
        fetch(remote, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fetch_redownloads_a_corrupted_cached_file(server, tmp_path):
    (tmp_path / "corpus.txt").write_bytes(PAYLOAD[:-10])
    remote = RemoteFile(f"{server}/corpus.txt", PAYLOAD_SHA, "corpus.txt")
    with pytest.warns(UserWarning, match="pinned sha256"):
        path = fetch(remote, cache_dir=tmp_path)
    assert path.read_bytes() == PAYLOAD


def test_fetch_offline_says_how_to_get_the_file(server, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    remote = RemoteFile(f"{server}/corpus.txt", PAYLOAD_SHA, "corpus.txt")
    _QuietHandler.requests.clear()
    with pytest.raises(DownloadError) as info:
        fetch(remote, cache_dir=tmp_path)
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert "offline" in message and remote.url in message and PAYLOAD_SHA in message
    assert str(tmp_path / "corpus.txt") in message
    assert _QuietHandler.requests == []


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("where", ["missing", "refused"])
def test_fetch_network_failure(server, tmp_path, where):
    url = f"{server}/missing.txt" if where == "missing" else f"http://127.0.0.1:{_closed_port()}/a"
    remote = RemoteFile(url, PAYLOAD_SHA, "corpus.txt")
    with pytest.raises(DownloadError, match="could not download") as info:
        fetch(remote, cache_dir=tmp_path, timeout=5)
    assert PAYLOAD_SHA in str(info.value) and str(tmp_path / "corpus.txt") in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_fetch_file_url_works_offline(tmp_path, monkeypatch):
    source = tmp_path / "source.bin"
    source.write_bytes(PAYLOAD)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    remote = RemoteFile(source.as_uri(), PAYLOAD_SHA, "copy.bin")
    path = fetch(remote, cache_dir=tmp_path / "cache")
    assert path.read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    "url, sha, filename, match",
    [
        ("ftp://host/a.txt", PAYLOAD_SHA, "a.txt", "url"),
        ("https://host/a.txt", "abc", "a.txt", "sha256"),
        ("https://host/a.txt", PAYLOAD_SHA.upper(), "a.txt", "sha256"),
        ("https://host/a.txt", PAYLOAD_SHA, "../a.txt", "filename"),
        ("https://host/a.txt", PAYLOAD_SHA, "", "filename"),
    ],
)
def test_remote_file_validation(url, sha, filename, match):
    with pytest.raises(ValueError, match=match):
        RemoteFile(url, sha, filename)


def test_fetch_type_error():
    with pytest.raises(TypeError, match="RemoteFile"):
        fetch("https://host/a.txt")


def test_quick_subset_keeps_order_and_stops_at_the_item_that_reaches_the_token_limit():
    items = [["w"] * n for n in (5, 1, 7, 2, 9, 4, 3, 8)]
    order = np.random.default_rng(3).permutation(len(items))
    lengths = np.cumsum([len(items[i]) for i in order])
    k = int(np.argmax(lengths >= 10)) + 1  # the k-th drawn item reaches 10 tokens
    assert ds.quick_subset(items, 3, max_tokens=10) == [items[i] for i in sorted(order[:k])]
    assert ds.quick_subset(items, 3, max_items=3) == [items[i] for i in sorted(order[:3])]
    assert ds.quick_subset(items, 3, max_items=2, max_tokens=10**6) == ds.quick_subset(
        items, 3, max_items=2)
    assert ds.quick_subset(items, 3) == items  # no limit: everything, in order


def test_resolve_quick_reads_the_environment_and_refuses_non_bools(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert ds.resolve_quick(None) is True and ds.resolve_quick(False) is False
    with pytest.raises(TypeError, match="quick"):
        ds.resolve_quick("yes")
