"""course_lib.lm (RecurrentLM, batching, perplexity, generation) and course_lib.training.train."""

import math
from collections import Counter

import numpy as np
import pytest
import torch

from course_lib.config import set_seed
from course_lib.lm import (
    RecurrentLM,
    generate,
    generate_many,
    lm_loss,
    make_lm_batches,
    perplexity,
)
from course_lib.sampling import sample_from_logits
from course_lib.text import EOS, Vocab, char_tokenize
from course_lib.torch_lstm_gru import LAYERS
from course_lib.training import History, train

WORDS = ["hello", "help", "hell", "yellow", "jelly", "belly", "fellow", "mellow", "hallo", "yell"]
CORPUS = [char_tokenize(w) for w in WORDS * 3]
VOCAB = Vocab(CORPUS)
IDS = [VOCAB.encode(s) for s in CORPUS]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models: one torch thread is ~10x faster than two on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _model(cell="scratch_rnn", seed=0, **kw):
    set_seed(seed)
    return RecurrentLM(len(VOCAB), 8, 16, cell=cell, **kw).double()


def _unigram_perplexity(sentences):
    """Baseline: every target token (</s> included) from its training frequency."""
    targets = [t for s in sentences for t in [*s, EOS]]
    counts = Counter(targets)
    return math.exp(-sum(math.log(counts[t] / len(targets)) for t in targets) / len(targets))


def _brute_force_perplexity(model, sentences_ids):
    """One sentence at a time, no padding, log-softmax by hand."""
    nll, count = 0.0, 0
    with torch.no_grad():
        for ids in sentences_ids:
            inputs = torch.tensor([[VOCAB.bos_id, *ids]])
            log_probs = torch.log_softmax(model(inputs)[0], dim=-1)
            for t, target in enumerate([*ids, VOCAB.eos_id]):
                nll -= log_probs[t, target].item()
                count += 1
    return math.exp(nll / count)


def _batches_fn(batch_size=8):
    return lambda rng: make_lm_batches(IDS, batch_size, shuffle=True, rng=rng)


# ----------------------------------------------------------------------------- batching
def test_make_lm_batches():
    batches = make_lm_batches([[5, 6, 7], [8], [9, 10]], batch_size=2)
    assert len(batches) == 2
    inputs, targets = batches[0]
    assert inputs.dtype == targets.dtype == torch.long
    assert inputs.tolist() == [[2, 5, 6, 7], [2, 8, 0, 0]]
    assert targets.tolist() == [[5, 6, 7, 3], [8, 3, 0, 0]]
    assert batches[1][0].tolist() == [[2, 9, 10]]
    a = make_lm_batches(IDS, 4, shuffle=True, rng=np.random.default_rng(1))
    b = make_lm_batches(IDS, 4, shuffle=True, rng=np.random.default_rng(1))
    assert all(torch.equal(x[0], y[0]) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0][0], make_lm_batches(IDS, 4)[0][0])
    with pytest.raises(ValueError, match="sentences_ids must"):
        make_lm_batches([], 2)
    with pytest.raises(ValueError, match="batch_size must"):
        make_lm_batches(IDS, 0)
    with pytest.raises(ValueError, match="rng must"):
        make_lm_batches(IDS, 2, shuffle=True)
    with pytest.raises(TypeError, match="id lists"):
        make_lm_batches(["abc"], 2)


def test_make_lm_batches_by_length():
    sentences = [[5, 6, 7], [8], [9, 10], [4], [5, 6, 7, 8]]
    batches = make_lm_batches(sentences, 2, by_length=True)  # stable sort by length, then cut
    assert [b[0].tolist() for b in batches] == [[[2, 8], [2, 4]], [[2, 9, 10, 0], [2, 5, 6, 7]],
                                                [[2, 5, 6, 7, 8]]]
    shuffled = make_lm_batches(IDS, 4, shuffle=True, rng=np.random.default_rng(0), by_length=True)
    again = make_lm_batches(IDS, 4, shuffle=True, rng=np.random.default_rng(0), by_length=True)
    assert all(torch.equal(x[1], y[1]) for x, y in zip(shuffled, again, strict=True))
    assert sum(len(b[0]) for b in shuffled) == len(IDS)


# ----------------------------------------------------------------------------- the model
@pytest.mark.parametrize("cell", sorted(LAYERS))
def test_model_shapes_and_padding_does_not_leak(cell):
    model = _model(cell, num_layers=2, dropout=0.2).eval()
    inputs, _ = make_lm_batches(IDS[:3], 3)[0]
    logits = model(inputs)
    assert logits.shape == inputs.shape + (len(VOCAB),)
    for row, ids in enumerate(IDS[:3]):  # right padding never changes the real positions
        alone = model(torch.tensor([[VOCAB.bos_id, *ids]]))[0]
        assert torch.allclose(logits[row, : len(ids) + 1], alone, atol=1e-12)


def test_custom_recurrent_module_and_state():
    gru = torch.nn.GRU(8, 16, batch_first=True).double()
    model = RecurrentLM(len(VOCAB), 8, 16, cell=gru).double()
    assert model.rnn is gru
    tokens = torch.tensor([IDS[0]])
    full, _ = model.forward_state(tokens)
    first, state = model.forward_state(tokens[:, :2])
    rest, _ = model.forward_state(tokens[:, 2:], state)  # carrying the state = one long call
    assert torch.allclose(torch.cat([first, rest], 1), full, atol=1e-12)


def test_model_bad_inputs():
    with pytest.raises(ValueError, match="cell must be one of"):
        RecurrentLM(10, 4, 4, cell="transformer")
    with pytest.raises(ValueError, match="embed_dim must"):
        RecurrentLM(10, 0, 4)
    model = RecurrentLM(10, 4, 4)
    with pytest.raises(TypeError, match="tokens must be an int64"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 10\)"):
        model(torch.tensor([[1, 10]]))
    with pytest.raises(ValueError, match=r"tokens must have shape \(B, T\)"):
        model(torch.tensor([1, 2]))


# ----------------------------------------------------------------------------- loss, perplexity
def test_loss_and_perplexity_match_brute_force():
    model = _model("lstm")
    batches = make_lm_batches(IDS[:7], 3)
    expected = _brute_force_perplexity(model, IDS[:7])
    assert perplexity(model, batches) == pytest.approx(expected, rel=1e-10)
    assert perplexity(model, IDS[:7], batch_size=2) == pytest.approx(expected, rel=1e-10)
    one_batch = make_lm_batches(IDS[:7], 7)[0]
    assert math.exp(lm_loss(model, one_batch).item()) == pytest.approx(expected, rel=1e-10)
    assert model.training  # perplexity restores the mode
    with pytest.raises(ValueError, match="data must"):
        perplexity(model, [])


def test_untrained_model_is_near_uniform():
    model = _model()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    assert perplexity(model, IDS) == pytest.approx(len(VOCAB), rel=1e-10)


# ----------------------------------------------------------------------------- generation
def test_generate_seeded_stops_and_respects_limits():
    model = _model()
    a = generate(model, VOCAB, rng=3, max_len=30)
    assert a == generate(model, VOCAB, rng=np.random.default_rng(3), max_len=30)
    samples = [t for seed in range(20) for t in generate(model, VOCAB, rng=seed, temperature=3.0)]
    assert len(samples) > 100 and not {"<pad>", "<s>", "</s>"} & set(samples)
    assert len(generate(model, VOCAB, rng=0, max_len=3, temperature=5.0)) <= 3
    assert generate(model, VOCAB, rng=0, prefix=["y", "e"], max_len=2)[:2] == ["y", "e"]
    with pytest.raises(TypeError, match="rng must"):
        generate(model, VOCAB, rng="seed")
    with pytest.raises(TypeError, match="prefix must"):
        generate(model, VOCAB, prefix="ye")


def test_generate_equals_a_manual_sampling_loop():
    """One sequence: re-reading the whole prefix each step and sampling one vector with
    sample_from_logits draws the same tokens as the batched, state-carrying sampler."""
    model = _model()
    for seed in range(5):
        rng, ids = np.random.default_rng(seed), [VOCAB.bos_id] + VOCAB.encode(["h"])
        for _ in range(12):
            scores = model(torch.tensor([ids]))[0, -1].detach().double().numpy()
            scores[[VOCAB.pad_id, VOCAB.bos_id]] = -np.inf
            next_id = sample_from_logits(scores, rng, temperature=1.5, top_k=6)
            if next_id == VOCAB.eos_id:
                break
            ids.append(next_id)
        expected = VOCAB.decode(ids[1:])
        assert generate(model, VOCAB, rng=seed, max_len=12, temperature=1.5, top_k=6,
                        prefix=["h"]) == expected


def test_generate_many_samples_rows_from_the_model():
    model = _model()
    many = generate_many(model, VOCAB, 4000, rng=0, max_len=1)
    first = Counter(tokens[0] if tokens else "</s>" for tokens in many)
    with torch.no_grad():
        scores = model(torch.tensor([[VOCAB.bos_id]]))[0, -1]
        scores[[VOCAB.pad_id, VOCAB.bos_id]] = -math.inf  # never sampled
        probs = torch.softmax(scores, dim=0).tolist()
    assert first.keys() <= {VOCAB.itos[i] for i, p in enumerate(probs) if p > 0}
    for token, p in zip(VOCAB.itos, probs, strict=True):
        assert abs(first[token] / 4000 - p) < 4 * math.sqrt(p * (1 - p) / 4000) + 1e-3
    assert generate_many(model, VOCAB, 3, rng=5) == generate_many(model, VOCAB, 3, rng=5)
    assert all(s[:2] == ["y", "e"] for s in generate_many(model, VOCAB, 3, prefix=["y", "e"]))
    with pytest.raises(ValueError, match="n must"):
        generate_many(model, VOCAB, 0)


def test_generation_stops_at_eos():
    model = _model()
    with torch.no_grad():
        model.head.bias[VOCAB.eos_id] = 100.0
    assert generate(model, VOCAB, rng=0) == []
    assert generate(model, VOCAB, rng=0, prefix=["h"]) == ["h"]


def test_greedy_generation_matches_a_manual_argmax_loop():
    model = _model()
    tokens = generate(model, VOCAB, rng=0, temperature=0, max_len=6)
    ids = [VOCAB.bos_id]
    for _ in range(6):
        scores = model(torch.tensor([ids]))[0, -1].detach()
        scores[[VOCAB.pad_id, VOCAB.bos_id]] = -math.inf
        ids.append(int(scores.argmax()))
        if ids[-1] == VOCAB.eos_id:
            break
    assert tokens == VOCAB.decode(i for i in ids[1:] if i != VOCAB.eos_id)


# ----------------------------------------------------------------------------- training
def test_char_lm_learns_below_unigram_baseline():
    model = _model()
    before = perplexity(model, IDS)
    history = train(model, _batches_fn(), lm_loss, valid_fn=lambda m: perplexity(m, IDS),
                    epochs=20, lr=0.03, clip_norm=5.0, progress=False)
    baseline = _unigram_perplexity(CORPUS)
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    assert history.valid[-1] < 0.6 * baseline < before
    assert len(history.step_loss) == len(history.grad_norm) == 20 * 4
    assert history.best_epoch == int(np.argmin(history.valid))


def test_same_seed_same_numbers():
    runs = []
    for _ in range(2):
        model = _model(dropout=0.2)
        history = train(model, _batches_fn(), lm_loss, epochs=2, lr=0.01, seed=5, progress=False)
        runs.append((history.step_loss, model.head.weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    other = train(_model(dropout=0.2), _batches_fn(), lm_loss, epochs=2, lr=0.01, seed=6,
                  progress=False)
    assert other.step_loss != runs[0][0]


@pytest.mark.parametrize("maximize", [False, True])
def test_early_stopping_restores_best_weights(maximize):
    script = [5.0, 3.0, 4.0, 4.5, 1.0, 0.5]
    if maximize:
        script = [-v for v in script]
    model, snapshots = _model(), []

    def valid_fn(m):
        snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
        return script[len(snapshots) - 1]

    history = train(model, _batches_fn(), lm_loss, valid_fn=valid_fn, epochs=6, lr=0.01,
                    patience=2, progress=False, maximize=maximize)
    assert history.stopped_early and history.best_epoch == 1
    assert history.valid == script[:4] and len(history.epoch_loss) == 4
    final = model.state_dict()
    assert all(torch.equal(final[k], snapshots[1][k]) for k in final)
    assert not torch.equal(final["head.weight"], snapshots[3]["head.weight"])


def test_lr_decays_after_every_epoch_without_improvement():
    script = iter([5.0, 3.0, 4.0, 4.5, 2.0])
    seen = []

    def optimizer(params, lr):
        seen.append(torch.optim.SGD(params, lr))
        return seen[-1]

    def valid_fn(m):
        return next(script)

    lrs = []

    def loss_recording_lr(m, b):
        lrs.append(seen[0].param_groups[0]["lr"])
        return lm_loss(m, b)

    train(_model(), _batches_fn(), loss_recording_lr, valid_fn=valid_fn, epochs=5, lr=0.1,
          optimizer=optimizer, lr_decay=0.5, progress=False)
    per_epoch = sorted(set(lrs), reverse=True)
    assert per_epoch == pytest.approx([0.1, 0.05, 0.025])  # halved after epochs 3 and 4 only


def test_max_seconds_stops_after_the_epoch_that_used_up_the_budget(monkeypatch):
    import course_lib.training

    clock = [0.0]  # a fake clock: every step takes exactly one second, whatever the load

    def slow_loss(m, b):
        clock[0] += 1.0
        return lm_loss(m, b)

    steps_per_epoch = len(list(_batches_fn()(np.random.default_rng(0))))
    budget = steps_per_epoch * 1.5  # ends during the second epoch
    with monkeypatch.context() as patch:
        patch.setattr(course_lib.training.time, "perf_counter", lambda: clock[0])
        history = train(_model(), _batches_fn(), slow_loss, epochs=50, max_seconds=budget,
                        progress=False)
    assert history.out_of_time and len(history.epoch_loss) == 2
    unlimited = train(_model(), _batches_fn(), lm_loss, epochs=2, max_seconds=1e6,
                      progress=False)
    assert not unlimited.out_of_time and len(unlimited.epoch_loss) == 2


def test_clipping_is_applied():
    """With SGD, one clipped step moves the weights by exactly lr * clip_norm."""
    model = _model()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    one_batch = make_lm_batches(IDS, len(IDS))
    history = train(model, lambda rng: one_batch, lm_loss, epochs=1, lr=1.0, optimizer="sgd",
                    clip_norm=1e-3, progress=False)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert history.grad_norm[0] > 1e-2  # the raw gradient was larger than the threshold
    assert (after - before).norm().item() == pytest.approx(1e-3, rel=1e-4)


def test_history_plot_and_bad_arguments():
    import matplotlib

    matplotlib.use("Agg")
    history = History(step_loss=[3.0, 2.0, 1.5, 1.0], epoch_loss=[2.5, 1.25], valid=[2.0, 1.8],
                      best_epoch=1)
    ax = history.plot()
    assert ax.get_ylabel() == "training loss" and len(ax.lines) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["step loss", "epoch mean loss", "valid"]  # the second axis's curve too
    model, fn = _model(), _batches_fn()
    with pytest.raises(ValueError, match="patience and lr_decay need a valid_fn"):
        train(model, fn, lm_loss, patience=2, progress=False)
    with pytest.raises(ValueError, match="patience and lr_decay need a valid_fn"):
        train(model, fn, lm_loss, lr_decay=0.5, progress=False)
    with pytest.raises(ValueError, match="lr_decay must"):
        train(model, fn, lm_loss, valid_fn=lambda m: 1.0, lr_decay=1.0, progress=False)
    with pytest.raises(ValueError, match="max_seconds must"):
        train(model, fn, lm_loss, max_seconds=0, progress=False)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train(model, fn, lm_loss, optimizer="rmsprop", progress=False)
    with pytest.raises(ValueError, match="epochs must"):
        train(model, fn, lm_loss, epochs=0, progress=False)
    with pytest.raises(ValueError, match="clip_norm must"):
        train(model, fn, lm_loss, clip_norm=-1, progress=False)
    with pytest.raises(ValueError, match="at least one batch"):
        train(model, lambda rng: [], lm_loss, progress=False)
    with pytest.raises(FloatingPointError, match="loss became nan"):
        train(model, fn, lambda m, b: torch.tensor(float("nan"), requires_grad=True),
              progress=False)


def test_optimizer_factory_equals_named_optimizer():
    losses = []
    for optimizer in ("sgd", lambda params, lr: torch.optim.SGD(params, lr=lr)):
        history = train(_model(), _batches_fn(), lm_loss, epochs=1, lr=0.1, optimizer=optimizer,
                        device="cpu", progress=False)
        losses.append(history.step_loss)
    assert losses[0] == losses[1]


def test_model_device_is_where_the_parameters_are():
    from course_lib.config import model_device

    assert model_device(torch.nn.Linear(2, 2, device="meta")) == torch.device("meta")
    assert model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters


def test_token_lm_speaks_ngram_lm_s_interface():
    """TokenLM's perplexity, token log-probabilities and samples agree with the free functions,
    and an n-gram model and a neural one fill one perplexity table through the same calls."""
    from course_lib.lm import TokenLM
    from course_lib.ngram import NGramLM

    model = _model()
    sentences = [list("anna"), list("bob"), list("xyz"), []]  # "x", "y", "z": unknown characters
    lm = TokenLM(model, VOCAB, batch_size=3)
    logprobs = lm.token_logprobs(sentences)
    assert logprobs.shape == (4 + 1 + 3 + 1 + 3 + 1 + 0 + 1,)
    ids = [VOCAB.encode(s) for s in sentences]
    assert lm.perplexity(sentences) == pytest.approx(perplexity(model, ids), rel=1e-9)
    assert lm.generate(seed=3, max_len=8) == generate(model, VOCAB, np.random.default_rng(3), 8)
    assert lm.generate_many(4, seed=3) == generate_many(model, VOCAB, 4, rng=3)
    with pytest.raises(ValueError, match="at most one of seed and rng"):
        lm.generate(seed=1, rng=np.random.default_rng(1))
    with pytest.raises(TypeError, match="vocab must be a course_lib.text.Vocab"):
        TokenLM(model, list("abc"))
    with pytest.raises(TypeError, match="token lists"):
        lm.perplexity(["anna"])
    models = {"bigram": NGramLM(2, "kneser_ney").fit([list("anna"), list("bob")]), "neural": lm}
    table = {name: m.perplexity(sentences[:2]) for name, m in models.items()}
    assert all(p >= 1 for p in table.values())
