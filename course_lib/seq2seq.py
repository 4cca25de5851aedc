"""Sequence-to-sequence translation: bidirectional RNN encoder, RNN decoder, attention (part 6).

The encoder reads the source x_1..x_S (embeddings, our bidirectional GRU of part 3; H/2 units per
direction, so each annotation h_j = [h_j^fwd; h_j^bwd] has H numbers):

    h_j = [GRU_fwd(x_1..x_j); GRU_bwd(x_S..x_j)]                       keys,    (B, S, H)
    s_0 = tanh(W_b [h_S^fwd; h_1^bwd] + b_b)                           decoder start, (B, H)

The decoder is a conditional language model over target tokens y_1..y_T (inputs <s> y_1 ..
y_{T-1}, targets y_1 .. y_T </s>: teacher forcing feeds the true previous token). At step i,
with the previous state s_{i-1} and the previous token's embedding e_{i-1}:

    c_i = sum_j alpha_ij h_j,  alpha_i = softmax_j(score(s_{i-1}, h_j))   attention, (B, H)
    s_i = GRUCell([e_{i-1}; c_i], s_{i-1})                                          (B, H)
    p(y_i | y_<i, x) = softmax(W_y [s_i; c_i] + b_y)                                (B, V)

``readout="tanh"`` puts Bahdanau et al.'s "deep output" between state and output layer instead,
o_i = tanh(W_o [s_i; c_i; e_{i-1}] + b_o) and p = softmax(W_y o_i + b_y). On the DE-EN pairs of
part 6 the plain linear readout learned faster per CPU second (300 s of training, 1 thread,
E=96, H=192, Adam 5e-3, no dropout: test BLEU 3.3 vs 2.4), so it is the default.

This is Bahdanau et al. (2015) with ``attention="additive"``: score = v^T tanh(W1 h_j + W2 s).
Luong et al.'s (2015) ``"dot"`` (s^T h_j) and ``"general"`` (s^T W h_j) scores plug into the same
place. With ``attention=None`` the context is the same vector at every step, c_i = s_0's input
[h_S^fwd; h_1^bwd]: the whole sentence squeezed through one H-vector (Cho et al. 2014), the
"bottleneck" that attention removes. Both variants have the same parameters.

Padding. Source positions past a sentence's length are masked out of the attention (weight 0) and
the reverse GRU starts at each sentence's last real token, so padding changes nothing; target
padding is ignored by the loss, which is the mean negative log-likelihood per real target token.

Speed. Everything that does not depend on the previous step is done once per batch: the encoder's
input projections (inside the GRU layer), W1 h_j for all j, and after the time loop the readout
and the output projection ((N, 2H) x (2H, V), or (N, H) x (H, V) after a tanh readout) for the
N real target tokens only (the loss drops the
padding before the output layer). Batches are bucketed by target, then source length
(``course_lib.batching.bucket_batches``), so little time goes to padding.

References: Sutskever, Vinyals & Le (2014), "Sequence to sequence learning with neural networks";
Cho et al. (2014), "Learning phrase representations using RNN encoder-decoder"; Bahdanau, Cho &
Bengio (2015), "Neural machine translation by jointly learning to align and translate"; Luong,
Pham & Manning (2015), "Effective approaches to attention-based neural machine translation";
Britz et al. (2017), "Massive exploration of neural machine translation architectures".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.attention import AdditiveAttention, DotAttention, GeneralAttention, lengths_to_mask
from course_lib.batching import bucket_indices, make_batch
from course_lib.bpe import BPE
from course_lib.config import model_device
from course_lib.decoding import beam_search, greedy_decode
from course_lib.metrics import corpus_bleu
from course_lib.text import BOS, EOS, PAD, Vocab
from course_lib.torch_lstm_gru import GRU

Tensor = torch.Tensor
ATTENTIONS = (None, "additive", "dot", "general")
READOUTS = ("linear", "tanh")
_NOT_WORDS = {PAD, BOS, EOS}  # dropped when ids become words (<unk> stays visible)

# words (letters of any alphabet, digits, inner apostrophes/hyphens) or single punctuation marks
_TOKEN_RE = re.compile(r"\w+(?:['\-]\w+)*|[^\w\s]")


def nmt_tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, any alphabet: "Wir wären da." -> wir wären da ."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN_RE.findall(text.lower())


def tokenize_pairs(pairs) -> list[tuple[list[str], list[str]]]:
    """course_lib.parallel_data's SentencePairs -> (German words, English words) per pair."""
    return [(nmt_tokenize(p.de), nmt_tokenize(p.en)) for p in pairs]


# --------------------------------------------------------------------------------------------
# From words to model tokens and back: words with <unk>, or joint BPE subwords
# --------------------------------------------------------------------------------------------


class Codec:
    """Turns a tokenised sentence (words) into model ids and back, for one language.

    Inputs:
    - sentences: training sentences as word lists (to build the vocabulary).
    - bpe: a BPE learned on both languages (joint BPE), or None for whole words.
    - min_freq: tokens seen fewer times become <unk>.
    """

    def __init__(self, sentences: Sequence[Sequence[str]], bpe: BPE | None = None,
                 min_freq: int = 1):
        self.bpe = bpe
        self.vocab = Vocab((self.tokens(s) for s in sentences), min_freq=min_freq)

    @classmethod
    def from_tokens(cls, itos: Sequence[str], merges: Sequence[tuple[str, str]] | None) -> Codec:
        """The codec with exactly these ids and BPE merges (None: whole words), e.g. a saved one's
        ``vocab.itos`` and ``bpe.merges``."""
        codec = cls.__new__(cls)
        codec.bpe = None if merges is None else BPE(merges)
        codec.vocab = Vocab.from_tokens(itos)
        return codec

    def tokens(self, words: Sequence[str]) -> list[str]:
        """Words -> model tokens (subwords with "@@" continuation marks, or the words)."""
        return self.bpe.encode(words) if self.bpe is not None else list(words)

    def encode(self, words: Sequence[str]) -> list[int]:
        """Words -> ids (no <s> or </s>)."""
        return self.vocab.encode(self.tokens(words))

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Ids -> words; specials are dropped, subwords glued back together."""
        tokens = [t for t in self.vocab.decode(ids) if t not in _NOT_WORDS]
        return self.bpe.decode(tokens) if self.bpe is not None else tokens

    def __len__(self) -> int:
        return len(self.vocab)


def learn_joint_bpe(source: Sequence[Sequence[str]], target: Sequence[Sequence[str]],
                    num_merges: int) -> BPE:
    """One BPE learned on the source and target training sentences together (Sennrich et al.)."""
    return BPE.learn(list(source) + list(target), num_merges)


def build_codecs(pairs: Sequence[tuple[Sequence[str], Sequence[str]]], merges: int | None,
                 min_freq: int = 1) -> tuple[Codec, Codec]:
    """Source and target codecs of the training pairs (source words, target words).

    merges: the number of joint BPE merges, or None for whole words (rarer than ``min_freq``
    ones become <unk>).
    """
    source, target = [s for s, _ in pairs], [t for _, t in pairs]
    bpe = None if merges is None else learn_joint_bpe(source, target, merges)
    return Codec(source, bpe, min_freq), Codec(target, bpe, min_freq)


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


class Seq2Seq(nn.Module):
    """Encoder-decoder with optional attention (see the module docstring for the equations).

    Inputs (constructor):
    - src_vocab, tgt_vocab: vocabulary sizes V_src, V_tgt.
    - embed_dim: E.
    - hidden_size: H (even): decoder state and annotation size; H/2 per encoder direction.
    - attention: None (fixed context: the bottleneck), "additive" (Bahdanau), "dot" or "general"
      (Luong).
    - attention_dim: A of the additive score (default H).
    - dropout: on embeddings and readout, training only.
    - readout: "linear" (the output layer reads [s_i; c_i] directly) or "tanh"
      (o_i = tanh(W_o [s_i; c_i; e_{i-1}] + b_o), then the output layer); module docstring.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, embed_dim: int = 128,
                 hidden_size: int = 256, attention: str | None = "additive",
                 attention_dim: int | None = None, dropout: float = 0.1,
                 readout: str = "linear"):
        super().__init__()
        for name, value in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab),
                            ("embed_dim", embed_dim), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if hidden_size % 2:
            raise ValueError(f"hidden_size must be even (H/2 per direction), got {hidden_size}")
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        H = hidden_size
        self.hidden_size, self.attention_kind = H, attention
        self.config = {"src_vocab": src_vocab, "tgt_vocab": tgt_vocab, "embed_dim": embed_dim,
                       "hidden_size": H, "attention": attention, "attention_dim": attention_dim,
                       "dropout": dropout, "readout": readout}  # to rebuild a saved model
        self.src_embed = nn.Embedding(src_vocab, embed_dim, padding_idx=Vocab.pad_id)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim, padding_idx=Vocab.pad_id)
        self.encoder = GRU(embed_dim, H // 2, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(H, H)
        self.cell = nn.GRUCell(embed_dim + H, H)
        self.attention = {
            None: lambda: None,
            "additive": lambda: AdditiveAttention(H, H, attention_dim or H),
            "dot": DotAttention,
            "general": lambda: GeneralAttention(H, H),
        }[attention]()
        if readout == "tanh":
            self.readout = nn.Linear(2 * H + embed_dim, H)
            self.generator = nn.Linear(H, tgt_vocab)
        else:
            self.readout = None
            self.generator = nn.Linear(2 * H, tgt_vocab)
        self.dropout = nn.Dropout(dropout)

    # ---- encoder ----------------------------------------------------------------------------

    def encode(self, src: Tensor, src_len: Tensor) -> dict:
        """Run the encoder; return the decoder's initial state.

        Inputs:
        - src: (B, S) int64 ids, right-padded.
        - src_len: (B,) lengths in [1, S].

        Returns a dict (the ``state`` of course_lib.decoding):
        - "h": (B, H) s_0; "keys": (B, S, H) annotations h_j (zero at padding);
        - "mask": (B, S) bool, True at real positions; "summary": (B, H) [h_S^fwd; h_1^bwd];
        - "proj": (B, S, A) W1 h_j for additive attention (absent otherwise).
        """
        if src.dim() != 2 or src_len.shape != (src.shape[0],):
            raise ValueError(f"src must be (B, S) and src_len (B,), got {tuple(src.shape)} and "
                             f"{tuple(src_len.shape)}")
        x = self.dropout(self.src_embed(src))  # (B, S, E)
        keys, h_n = self.encoder(x, lengths=src_len.cpu())  # (B, S, H), (2, B, H/2)
        summary = torch.cat([h_n[0], h_n[1]], dim=1)  # (B, H): forward last, backward first
        state = {"h": torch.tanh(self.bridge(summary)), "keys": keys,
                 "mask": lengths_to_mask(src_len.to(src.device), src.shape[1]),
                 "summary": summary}
        if isinstance(self.attention, AdditiveAttention):
            state["proj"] = self.attention.project_keys(keys)  # (B, S, A) once per sentence
        return state

    # ---- one decoder step -------------------------------------------------------------------

    def _context(self, h: Tensor, state: dict) -> tuple[Tensor, Tensor | None]:
        """c_i (B, H) and the attention weights (B, S) (None without attention)."""
        if self.attention is None:
            return state["summary"], None
        extra = {"projected_keys": state["proj"]} if "proj" in state else {}
        return self.attention(h, state["keys"], state["mask"], **extra)

    def _step(self, emb: Tensor, state: dict) -> tuple[Tensor, Tensor, Tensor | None]:
        """One step from the previous token's embedding (B, E): (s_i, c_i, weights)."""
        context, weights = self._context(state["h"], state)
        h = self.cell(torch.cat([emb, context], dim=1), state["h"])  # (B, H)
        return h, context, weights

    def readout_logits(self, h: Tensor, context: Tensor, emb: Tensor) -> Tensor:
        """Readout and output layer on any leading shape: s (..., H), c (..., H), e (..., E) ->
        logits (..., V)."""
        if self.readout is None:
            return self.generator(self.dropout(torch.cat([h, context], dim=-1)))
        o = torch.tanh(self.readout(torch.cat([h, context, emb], dim=-1)))
        return self.generator(self.dropout(o))

    def decode_step(self, tokens: Tensor, state: dict) -> tuple[Tensor, dict]:
        """course_lib.decoding's step_fn: tokens (N,) -> (log-probs (N, V), new state)."""
        emb = self.tgt_embed(tokens.to(state["h"].device))  # (N, E)
        h, context, _ = self._step(emb, state)
        log_probs = torch.log_softmax(self.readout_logits(h, context, emb), dim=-1)
        return log_probs, {**state, "h": h}

    # ---- teacher forcing --------------------------------------------------------------------

    def teacher_forced(self, src: Tensor, src_len: Tensor, tgt_in: Tensor):
        """The decoder run over the reference prefix, before the readout.

        Inputs: src (B, S), src_len (B,), tgt_in (B, T) as in ``forward``.

        Returns (s, c, e, weights): states s_i (B, T, H), contexts c_i (B, T, H), previous-token
        embeddings e_{i-1} (B, T, E) (after dropout), attention weights (B, T, S) (zeros
        without attention); ``readout`` turns the first three into logits.
        """
        state = self.encode(src, src_len)
        emb = self.dropout(self.tgt_embed(tgt_in))  # (B, T, E)
        hs, contexts, weights = [], [], []
        for emb_t in emb.unbind(1):  # (B, E) per step
            h, context, w = self._step(emb_t, state)
            state["h"] = h
            hs.append(h)
            contexts.append(context)
            weights.append(w)
        if self.attention is None:
            alphas = src.new_zeros(*tgt_in.shape, src.shape[1], dtype=emb.dtype)
        else:
            alphas = torch.stack(weights, 1)
        return torch.stack(hs, 1), torch.stack(contexts, 1), emb, alphas

    def forward(self, src: Tensor, src_len: Tensor, tgt_in: Tensor,
                return_attention: bool = False):
        """Logits of every target position under teacher forcing.

        Inputs:
        - src (B, S), src_len (B,): the source batch; tgt_in (B, T): <s> y_1 .. y_{T-1}, padded.
        - return_attention: also return the attention weights.

        Returns:
        - logits: (B, T, V_tgt).
        - weights (only if return_attention): (B, T, S), zeros without attention.
        """
        h, context, emb, weights = self.teacher_forced(src, src_len, tgt_in)
        logits = self.readout_logits(h, context, emb)  # (B, T, V)
        return (logits, weights) if return_attention else logits


def seq2seq_loss(model: Seq2Seq, batch) -> Tensor:
    """Mean negative log-likelihood per real target token (padding ignored), under teacher forcing.

        L = - (1 / N) sum_{b, t: y_bt != pad} log p(y_bt | y_b<t, x_b),   N = number of real tokens

    Only the N real positions go through the readout and the output layer (the most expensive
    product per token), so target padding costs no output-layer time.
    batch: a Batch, or any 4-tuple (src, src_len, tgt_in, tgt_out) as course_lib.training passes.
    """
    src, src_len, tgt_in, tgt_out = batch
    h, context, emb, _ = model.teacher_forced(src, src_len, tgt_in)  # (B, T, .)
    real = tgt_out != Vocab.pad_id  # (B, T)
    logits = model.readout_logits(h[real], context[real], emb[real])  # (N, V)
    return F.cross_entropy(logits, tgt_out[real])


# --------------------------------------------------------------------------------------------
# Translation and evaluation
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def translate_ids(model: Seq2Seq, src_ids: Sequence[Sequence[int]], beam_size: int = 1,
                  max_len: int | None = None, alpha: float = 1.0,
                  batch_size: int = 128) -> list[list[int]]:
    """Target ids (without </s>) for each source id list: greedy (beam_size 1) or beam search.

    max_len: at most this many target tokens; None means 2 * source length + 5 per batch.
    Sentences are decoded in batches of similar length and returned in input order.
    """
    was_training = model.training
    model.eval()
    out: list[list[int]] = [[] for _ in src_ids]
    device = model_device(model)
    for chunk in bucket_indices([len(s) for s in src_ids], batch_size):
        batch = make_batch([src_ids[i] for i in chunk], [[] for _ in chunk])
        state = model.encode(batch.src.to(device), batch.src_len.to(device))
        limit = max_len or 2 * int(batch.src_len.max()) + 5
        if beam_size == 1:
            hyps = greedy_decode(model.decode_step, state, len(chunk), Vocab.bos_id,
                                 Vocab.eos_id, limit, alpha)
        else:
            hyps = [h[0] for h in beam_search(model.decode_step, state, len(chunk), Vocab.bos_id,
                                              Vocab.eos_id, limit, beam_size, alpha)]
        for i, hyp in zip(chunk, hyps, strict=True):
            out[i] = hyp.tokens
    model.train(was_training)
    return out


def translate(model: Seq2Seq, src_codec: Codec, tgt_codec: Codec,
              sentences: Sequence[Sequence[str]], **kwargs) -> list[list[str]]:
    """Translate tokenised source sentences (word lists) into target word lists.

    kwargs go to ``translate_ids`` (beam_size, max_len, alpha, batch_size).
    """
    ids = translate_ids(model, [src_codec.encode(s) for s in sentences], **kwargs)
    return [tgt_codec.decode(i) for i in ids]


def bleu(model: Seq2Seq, src_codec: Codec, tgt_codec: Codec,
         pairs: Sequence[tuple[Sequence[str], Sequence[str]]], **kwargs) -> float:
    """Corpus BLEU (0-100) of the model's translations against the references, on word tokens.

    pairs: (source words, reference words); kwargs go to ``translate_ids``.
    """
    hyps = translate(model, src_codec, tgt_codec, [s for s, _ in pairs], **kwargs)
    return corpus_bleu(hyps, [list(r) for _, r in pairs]).score


@torch.no_grad()
def attention_map(model: Seq2Seq, src_ids: Sequence[int], tgt_ids: Sequence[int]) -> np.ndarray:
    """Attention weights (T + 1, S) of one pair under teacher forcing (row t: output token t,
    the last row is </s>)."""
    was_training = model.training
    model.eval()
    batch = make_batch([src_ids], [tgt_ids])
    device = model_device(model)
    _, weights = model(batch.src.to(device), batch.src_len.to(device), batch.tgt_in.to(device),
                       return_attention=True)
    model.train(was_training)
    return weights[0].cpu().numpy()


# --------------------------------------------------------------------------------------------
# Saved translators (the long training run of ``python -m course_lib.tools.train_nmt``)
# --------------------------------------------------------------------------------------------


def save_translator(path, model: Seq2Seq, src_codec: Codec, tgt_codec: Codec,
                    info: dict | None = None) -> None:
    """Write the model's weights and constructor arguments, both codecs and ``info`` (any
    torch-saveable dict: training time, validation BLEU, ...) to one file."""
    torch.save({"config": model.config, "state_dict": model.state_dict(),
                "src": (src_codec.vocab.itos, src_codec.bpe and src_codec.bpe.merges),
                "tgt": (tgt_codec.vocab.itos, tgt_codec.bpe and tgt_codec.bpe.merges),
                "info": dict(info or {})}, path)


def load_translator(path, device=None) -> tuple[Seq2Seq, Codec, Codec, dict]:
    """Read a file of ``save_translator``: (model in eval mode on ``device``, source codec, target
    codec, info)."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = Seq2Seq(**{"readout": "tanh", **saved["config"]})  # files older than the option
    model.load_state_dict(saved["state_dict"])
    model.to(device or "cpu").eval()
    return model, Codec.from_tokens(*saved["src"]), Codec.from_tokens(*saved["tgt"]), saved["info"]
