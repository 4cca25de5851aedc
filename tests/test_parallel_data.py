"""Tests of course_lib.parallel_data: the Ding dictionary parser on real lines, the split, the .deb.

The lines below are copied verbatim from /usr/share/trans/de-en (trans-de-en 1.9-6); one test
checks that they really are lines of the installed file.
"""

from pathlib import Path

import pytest

from course_lib import parallel_data as pd
from course_lib.parallel_data import (
    SentencePair,
    clean_text,
    is_sentence,
    parse_dictionary,
    parse_line,
    split_outside_brackets,
    split_pairs,
)

REAL_LINES = [
    "Fahrstunde {f} [auto] | Fahrstunden {pl} | Er nahm Fahrstunden. :: driving lesson | "
    "driving lessons | He took lessons in driving.",
    "eine Fahne haben; unangenehm riechen {vi} | Er hatte eine Nikotinfahne. :: to whiff of sth. "
    "[Br.] [coll.] | He whiffed of nicotine.",
    "(regelmäßige) Fahrt {f}; (regelmäßiger) Flug {m}; (fahrplanmäßige) Verbindung {f} (eines "
    "Verkehrsmittels) [transp.] | (routinemäßiger) Bombenflug (im Krieg) | (reguläre) "
    "Lieferfahrt | Zur-Schule-Bringen; Von-der-Schule-Abholen (mit dem Auto) | Der Fernbus hat "
    "täglich vier Verbindungen.; Der Fernbus verkehrt viermal täglich. :: run (regular journey) | "
    "bomb run; bombing run | delivery run | the school run [Br.] | The intercity coach makes four "
    "runs daily.",
    "Fairness {f} | Der Fairness halber sollte nicht verschwiegen werden / sollte man erwähnen "
    "dass auch ein gewisses Maß an Glück dazugehört. :: fairness | In (all) fairness, it should "
    "be said / mentioned that luck plays a part, too.",
    "Aalspieß {m} | Aalspieße {pl} :: eel spear | eel spears",
    "# Version :: devel 2023-01-30",
]


def test_the_lines_are_real():
    if not pd.DICT_PATH.exists():
        pytest.skip("trans-de-en is not installed")
    text = pd.DICT_PATH.read_text(encoding="utf-8").split("\n")
    present = set(text)
    assert all(line in present for line in REAL_LINES)


def test_parse_real_lines():
    assert parse_line(REAL_LINES[0]) == [SentencePair("Er nahm Fahrstunden.",
                                                      "He took lessons in driving.")]
    # sub-entry 2 of 2 on each side; sub-entry 1 is a phrase with the placeholder sth.
    assert parse_line(REAL_LINES[1]) == [SentencePair("Er hatte eine Nikotinfahne.",
                                                      "He whiffed of nicotine.")]
    # the German side offers two alternatives ("; "): the first is kept; brackets are removed
    assert parse_line(REAL_LINES[2]) == [SentencePair("Der Fernbus hat täglich vier Verbindungen.",
                                                      "The intercity coach makes four runs daily.")]
    # phrase alternatives " / " are ambiguous: the pair is dropped
    assert parse_line(REAL_LINES[3]) == []
    assert parse_line(REAL_LINES[4]) == []  # no sentence
    assert parse_line(REAL_LINES[5]) == []  # a comment


def test_unaligned_sub_entries_give_nothing():
    assert parse_line("Das ist gut. | Wie geht es dir? :: That is good.") == []


def test_split_outside_brackets():
    assert split_outside_brackets("a (b; c); d", "; ") == ["a (b; c)", "d"]
    assert split_outside_brackets("a {f}; b [x; y]; c", "; ") == ["a {f}", "b [x; y]", "c"]
    assert split_outside_brackets("no separator", "; ") == ["no separator"]


def test_clean_text():
    assert clean_text("Er hatte {f} eine Fahne. [ugs.]") == "Er hatte eine Fahne."
    assert clean_text("In (all) fairness, it’s “fine”.") == "In fairness, it's \"fine\"."
    assert clean_text("He met people in/around the Far East.") == \
        "He met people in the Far East."
    assert clean_text("eine verfängliche Frage <Trickfrage>") == "eine verfängliche Frage"


def test_is_sentence():
    assert is_sentence("Gibt es so etwas?")
    assert not is_sentence("Gibt es?")  # two words
    assert not is_sentence("to be able to do sth.")  # lower-case start and a placeholder
    assert not is_sentence("Das ist alles")  # no final punctuation
    assert not is_sentence("Wie geht es … weiter?")


def test_duplicates_kept_once():
    line = REAL_LINES[0]
    assert len(parse_dictionary([line, line])) == 1


def test_split_keeps_each_source_in_one_part():
    pairs = [SentencePair(f"Satz Nummer {i % 50}.", f"Sentence number {i}.") for i in range(200)]
    parts = split_pairs(pairs, seed=3)
    sources = [{p.de for p in part} for part in parts]
    assert not sources[0] & sources[1] and not sources[0] & sources[2]
    assert not sources[1] & sources[2]
    assert sum(len(part) for part in parts) == 200
    assert [len(s) for s in sources] == [40, 5, 5]
    assert split_pairs(pairs, seed=3) == parts  # same seed, same split
    assert split_pairs(pairs, seed=4) != parts


def test_split_rejects_bad_input():
    with pytest.raises(ValueError, match="pairs"):
        split_pairs([])
    with pytest.raises(TypeError, match="pairs"):
        split_pairs(["not a pair"])


def test_load_pairs_real_file():
    if not pd.DICT_PATH.exists():
        pytest.skip("trans-de-en is not installed")
    pairs = pd.load_pairs()
    assert 18_000 < len(pairs) < 19_500
    assert SentencePair("Gibt es so etwas?", "Do such things exist?") in pairs
    assert all(is_sentence(p.de) and is_sentence(p.en) for p in pairs)
    parts = split_pairs(pairs)
    de = [{p.de for p in part} for part in parts]
    assert not (de[0] & de[1] or de[0] & de[2] or de[1] & de[2])


def test_missing_file_says_where_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(pd, "DICT_PATH", tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="apt-get install trans-de-en"):
        pd.dictionary_lines()


CACHED_DEB = Path("/var/cache/apt/archives") / pd.DEB.filename


def test_deb_from_cache_via_fetch(tmp_path):
    """The pinned checksum is the one of the Debian archive, and the .deb unpacks to the file."""
    if not CACHED_DEB.exists() or not pd.DICT_PATH.exists():
        pytest.skip("no cached trans-de-en .deb")
    local = pd.RemoteFile(f"file://{CACHED_DEB}", pd.DEB.sha256, pd.DEB.filename)
    path = pd.fetch(local, tmp_path)
    assert pd.extract_dictionary(path) == pd.DICT_PATH.read_text(encoding="utf-8")


def test_extract_rejects_other_files(tmp_path):
    bad = tmp_path / "x.deb"
    bad.write_bytes(b"not an archive")
    with pytest.raises(ValueError, match="deb_path"):
        pd.extract_dictionary(bad)
