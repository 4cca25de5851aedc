"""One training loop for every torch model of the course (language models, taggers, NMT).

Each step of gradient descent: forward the batch, compute the loss, backpropagate, optionally clip
the global gradient norm (course_lib.clipping), and let the optimiser update the weights:

    g = dL/dtheta;   if clip_norm and ||g|| > clip_norm: g <- g * clip_norm / ||g||;
    theta <- optimiser_step(theta, g)                     (Adam by default, or plain SGD)

After each epoch an optional validation metric is computed (e.g. perplexity, lower is better).
Early stopping: when the metric has not improved for ``patience`` epochs in a row, training stops,
and the weights of the best epoch are put back, so the returned model is the one that generalised
best, not the last one.

Everything random (batch order through the ``rng`` handed to train_batches_fn, dropout, any torch
sampling) is seeded from ``seed``: same seed, same numbers.

References: Prechelt (1998), "Early stopping - but when?"; Kingma & Ba (2015), "Adam".
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from course_lib.clipping import clip_grad_norm_, grad_norm
from course_lib.config import get_device, set_seed

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


@dataclass
class History:
    """What happened during train().

    - step_loss: training loss of every optimisation step.
    - grad_norm: global gradient norm of every step, BEFORE clipping.
    - epoch_loss: mean training loss of every epoch.
    - valid: validation metric after every epoch (empty without valid_fn).
    - best_epoch: index of the epoch whose weights the model holds at the end (None without
      valid_fn).
    - stopped_early: True if patience ran out before the last epoch.
    - out_of_time: True if the max_seconds budget ended training before the last epoch.
    """

    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    valid: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    out_of_time: bool = False

    def plot(self, ax=None, valid_label: str = "valid metric"):
        """Training loss per step and per epoch, and the validation metric on a second axis.

        Inputs:
        - ax: matplotlib Axes to draw on; None makes a new figure.
        - valid_label: y-axis label of the validation metric.

        Returns:
        - ax: the Axes of the loss curve.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        steps_per_epoch = len(self.step_loss) / max(len(self.epoch_loss), 1)
        epoch_ends = [steps_per_epoch * (e + 1) for e in range(len(self.epoch_loss))]
        ax.plot(range(1, len(self.step_loss) + 1), self.step_loss, alpha=0.35, label="step loss")
        ax.plot(epoch_ends, self.epoch_loss, "o-", label="epoch mean loss")
        ax.set_xlabel("optimisation step")
        ax.set_ylabel("training loss")
        if self.valid:
            ax2 = ax.twinx()
            ax2.plot(epoch_ends[: len(self.valid)], self.valid, "s--", color="C3", label="valid")
            ax2.set_ylabel(valid_label)
            if self.best_epoch is not None:
                ax2.axvline(epoch_ends[self.best_epoch], color="C3", alpha=0.3)
        axes = [ax, ax2] if self.valid else [ax]
        handles = [line for axis in axes for line in axis.get_lines()
                   if not line.get_label().startswith("_")]  # every labelled curve, both y axes
        ax.legend(handles, [line.get_label() for line in handles], loc="upper right")
        return ax


def _to_device(batch, device):
    """Move every tensor of a (nested) tuple/list/dict batch to device."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple | list):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


def _make_optimizer(optimizer, params, lr: float) -> torch.optim.Optimizer:
    if callable(optimizer) and not isinstance(optimizer, str):
        return optimizer(params, lr)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} or a callable "
                         f"(params, lr) -> torch.optim.Optimizer, got {optimizer!r}")
    return OPTIMIZERS[optimizer](params, lr=lr)


def _check_args(epochs, lr, clip_norm, patience, max_seconds, lr_decay) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(lr, int | float) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if clip_norm is not None and (not isinstance(clip_norm, int | float) or not clip_norm > 0):
        raise ValueError(f"clip_norm must be None or a positive number, got {clip_norm!r}")
    if patience is not None and (not isinstance(patience, int) or patience < 1):
        raise ValueError(f"patience must be None or a positive int, got {patience!r}")
    if max_seconds is not None and (not isinstance(max_seconds, int | float)
                                    or not max_seconds > 0):
        raise ValueError(f"max_seconds must be None or a positive number, got {max_seconds!r}")
    if lr_decay is not None and (not isinstance(lr_decay, int | float) or not 0 < lr_decay < 1):
        raise ValueError(f"lr_decay must be None or a number in (0, 1), got {lr_decay!r}")


def _train_epoch(model, batches, loss_fn, opt, clip_norm, device, history: History) -> float:
    """One pass over batches; append per-step records to history; return the mean loss."""
    model.train()
    losses = []
    for batch in batches:
        opt.zero_grad()
        loss = loss_fn(model, _to_device(batch, device))
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at step {len(history.step_loss)}"
                                     " (try a smaller lr or clip_norm)")
        loss.backward()
        norm = (clip_grad_norm_(model.parameters(), clip_norm) if clip_norm
                else grad_norm(model.parameters()))
        opt.step()
        losses.append(loss.item())
        history.grad_norm.append(norm)
    if not losses:
        raise ValueError("train_batches_fn must yield at least one batch per epoch")
    history.step_loss.extend(losses)
    return sum(losses) / len(losses)


def train(
    model: torch.nn.Module,
    train_batches_fn: Callable,
    loss_fn: Callable,
    valid_fn: Callable | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    optimizer="adam",
    clip_norm: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    device=None,
    progress: bool = True,
    maximize: bool = False,
    max_seconds: float | None = None,
    lr_decay: float | None = None,
) -> History:
    """Train model in place and return its History.

    Inputs:
    - model: any torch.nn.Module.
    - train_batches_fn: called once per epoch as train_batches_fn(rng), rng a numpy Generator
      seeded from seed (use it to shuffle); returns an iterable of batches.
    - loss_fn: loss_fn(model, batch) -> scalar loss tensor (e.g. course_lib.lm.lm_loss); the batch
      has been moved to the device.
    - valid_fn: valid_fn(model) -> float, called after every epoch under torch.no_grad()
      (e.g. lambda m: perplexity(m, valid_batches)); None: no validation, no early stopping.
    - epochs: maximum number of passes over the data.
    - lr: learning rate.
    - optimizer: "adam", "sgd", or a callable (params, lr) -> torch.optim.Optimizer.
    - clip_norm: clip the global gradient norm to this value at every step; None: no clipping.
    - patience: stop after this many epochs without improvement of the validation metric.
    - seed: seeds python, numpy and torch (course_lib.config.set_seed) and the rng above.
    - device: "cpu", "cuda", a torch.device, or None for CUDA when available.
    - progress: show a tqdm progress bar over epochs.
    - maximize: the validation metric is better when larger (e.g. accuracy, BLEU).
    - max_seconds: a time budget: no new epoch starts once this many seconds have passed (the
      epoch running when the budget ends is finished). None: no budget.
    - lr_decay: multiply the learning rate by this factor after every epoch whose validation
      metric did not improve (the "halve on plateau" schedule of many NMT systems); needs
      valid_fn. None: constant learning rate.

    Returns:
    - history: History. With valid_fn, the model ends with the weights of history.best_epoch.
    """
    _check_args(epochs, lr, clip_norm, patience, max_seconds, lr_decay)
    if valid_fn is None and (patience is not None or lr_decay is not None):
        raise ValueError("patience and lr_decay need a valid_fn to watch")
    start = time.perf_counter()
    rng = set_seed(seed)
    device = get_device(None if device is None else str(device))
    model.to(device)
    opt = _make_optimizer(optimizer, model.parameters(), lr)
    history = History()
    best_state, best_value, sign = None, math.inf, -1.0 if maximize else 1.0
    bar = tqdm(range(epochs), desc="epochs", disable=not progress)
    for epoch in bar:
        history.epoch_loss.append(_train_epoch(model, train_batches_fn(rng), loss_fn, opt,
                                               clip_norm, device, history))
        postfix = {"loss": f"{history.epoch_loss[-1]:.4f}"}
        if valid_fn is not None:
            model.eval()
            with torch.no_grad():
                value = float(valid_fn(model))
            history.valid.append(value)
            postfix["valid"] = f"{value:.4f}"
            if sign * value < best_value:
                best_value, best_state = sign * value, copy.deepcopy(model.state_dict())
                history.best_epoch = epoch
            else:
                if lr_decay is not None:
                    for group in opt.param_groups:
                        group["lr"] *= lr_decay
                if patience is not None and epoch - history.best_epoch >= patience:
                    history.stopped_early = True
        bar.set_postfix(postfix)
        if history.stopped_early:
            break
        if max_seconds is not None and time.perf_counter() - start >= max_seconds:
            history.out_of_time = epoch < epochs - 1
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.train()
    return history
