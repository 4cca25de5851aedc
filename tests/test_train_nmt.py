"""course_lib.tools.train_nmt: the long NMT run saves a translator that notebook 06 can load."""

import pytest

from course_lib.seq2seq import load_translator, translate
from course_lib.tools.train_nmt import MODEL, VOCABS, checkpoint_path, run


def test_checkpoint_paths_live_in_the_data_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert checkpoint_path("bpe") == tmp_path / "nmt" / "long_run_bpe.pt"
    assert checkpoint_path("word") != checkpoint_path("bpe")
    with pytest.raises(ValueError, match="vocab must be one of"):
        checkpoint_path("chars")
    with pytest.raises(ValueError, match="minutes must be"):
        run("bpe", 0)
    with pytest.raises(ValueError, match="vocab must be one of"):
        run("chars", 1, path=tmp_path / "m.pt")


@pytest.mark.parametrize("vocab", sorted(VOCABS))
def test_a_tiny_run_saves_what_it_trained(tmp_path, vocab):
    path = run(vocab, minutes=0.01, max_pairs=200, n_valid=20, path=tmp_path / "m.pt",
               progress=False)
    model, src, tgt, info = load_translator(path)
    assert info["vocab"] == vocab and info["epochs"] >= 1 and info["train_pairs"] == 200
    assert len(info["valid_bleu"]) == info["epochs"] and info["best_epoch"] is not None
    assert model.attention_kind == MODEL["attention"] and model.hidden_size == MODEL["hidden_size"]
    assert (src.bpe is None) == (VOCABS[vocab]["merges"] is None)
    out = translate(model, src, tgt, [["das", "ist", "gut", "."]])
    assert len(out) == 1 and all(isinstance(w, str) for w in out[0])
