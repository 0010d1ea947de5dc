"""Train a GlueNet on a feature cache, readable top to bottom.

    cache (source, target features) -> split train / held-out -> measure statistics
    -> GlueNet (random, or a trained one's weights: init_from) + decoder + discriminator
    -> Adam, LR halved every epoch -> loop:
       loss terms -> backward -> clip -> step; log, evaluate, checkpoint
    -> output_dir/gluenet (config.json + model.safetensors)

Every batch order comes from (seed, epoch), and the training state (weights, optimizer,
scheduler, step) is checkpointed atomically, so `resume=True` continues exactly: a resumed
run ends with the same weights as an uninterrupted one. Runs data-parallel under
`accelerate launch` or `torchrun`: `batch_size` is the global batch, split across processes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import broadcast, set_seed
from tqdm.auto import tqdm

from gluegen.allocator import keep_freed_memory
from gluegen.data.cache import FeatureCache
from gluegen.data.loader import READ_WORKERS, Prefetcher, read_rows
from gluegen.data.online import OnlineFeatures
from gluegen.data.split import split_pairs
from gluegen.evaluation.alignment import alignment_metrics, held_out_sample
from gluegen.io import atomic_write_folder, atomic_write_text, recover_folder
from gluegen.models import GlueNet, GlueNetConfig
from gluegen.models.gluenet import RUN_GLUENET
from gluegen.precision import make_accelerator, resolve_mixed_precision
from gluegen.runfolder import FolderLock
from gluegen.settings import field_defaults
from gluegen.training.config import SEED_LIMIT, TrainConfig
from gluegen.training.objective import GlueObjective, head_names, head_targets
from gluegen.training.start import start_from
from gluegen.training.state import (
    read_progress,
    read_weights,
    start_fresh,
    stopped_at,
    trim_log,
    write_state,
)
from gluegen.training.stop import StopRequest

logger = logging.getLogger(__name__)

EPOCH_SEED_STRIDE = 1_000_003  # a prime: (seed, epoch) pairs never share a shuffle seed


class Trainer:
    """Owns the models, the optimiser and the loop; `run()` trains and saves the GlueNet."""

    def __init__(
        self,
        cache: FeatureCache | OnlineFeatures,
        gluenet_config: GlueNetConfig,
        config: TrainConfig,
    ) -> None:
        self.config = config
        self.features = cache  # what the pairs' features are read from
        self.output_dir = Path(config.output_dir)
        self.accelerator = make_accelerator(resolve_mixed_precision(config.mixed_precision))
        if self.accelerator.device.type == "cpu":
            keep_freed_memory()  # every step allocates the same large activations
        world = self.accelerator.num_processes
        if config.batch_size % world:
            raise ValueError(
                f"batch_size {config.batch_size} must divide evenly over {world} processes."
            )
        set_seed(config.seed)

        # 1. data: cached features (read by rows), split, statistics of the training split
        self.tensors = cache.arrays()
        split = (config.holdout, config.seed, config.split_by)
        self.train_ids, self.eval_ids = split_pairs(cache, *split)
        self.steps_per_epoch = len(self.train_ids) // config.batch_size
        if self.steps_per_epoch == 0:
            raise ValueError(
                f"{len(self.train_ids)} training pairs make no full batch of {config.batch_size}; "
                "lower batch_size or add pairs."
            )
        # a length in steps (`total_steps`) keeps the schedule's shape on any corpus: its
        # `epochs` LR periods are stretched over those steps, the data cycled as needed
        self.total_steps = config.total_steps or self.steps_per_epoch * config.epochs
        self.steps_per_period = max(1, self.total_steps // config.epochs)
        stats = cache.statistics(self.train_ids, *split)
        self.mean_target = stats.target_mean  # (n_t, d_t): the floor evaluation scores
        if not stats.is_finite():
            where = f"The feature cache {cache.folder}" if cache.folder else "The encoders"
            raise ValueError(
                f"{where} give NaN or infinite features; check the encoders (and rebuild a "
                "cache by deleting its folder)."
            )

        # 2. models: GlueNet (kept) + decoder and discriminator (training only)
        key = cache.key
        # what the run learns from: a resumed run must read the same (the split is in config)
        self.data = {"cache": key, "pairs": len(cache)}
        gluenet_config.source_encoder = key["source_encoder"]
        gluenet_config.target_encoder = key["target_encoder"]
        self._check_shapes(gluenet_config)
        gluenet = GlueNet(gluenet_config)
        gluenet.set_statistics(stats)
        if config.init_from:  # a trained GlueNet's weights; the statistics stay this corpus's
            start_from(gluenet, config.init_from)
        objective = GlueObjective(gluenet, config.weights)

        # 3. optimiser; the LR schedule counts optimiser steps (so resuming mid-epoch is exact)
        # decoupled weight decay is AdamW's; at 0 the step is plain Adam's, bit for bit
        optimizer = torch.optim.Adam(
            objective.parameters(),
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
            decoupled_weight_decay=True,
        )
        self.scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer,
            step_size=self.steps_per_period * config.lr_decay_epochs,
            gamma=config.lr_decay,
        )
        self.objective, self.optimizer = self.accelerator.prepare(objective, optimizer)
        self.step = 0
        self._order: tuple[int, torch.Tensor] | None = None

    @property
    def gluenet(self) -> GlueNet:
        """The GlueNet being trained (unwrapped from data parallelism)."""
        return self.accelerator.unwrap_model(self.objective).gluenet

    def _check_shapes(self, config: GlueNetConfig) -> None:
        source_shape = tuple(self.tensors["source"].shape[1:])
        target_shape = tuple(self.tensors["target"].shape[1:])
        if source_shape != (config.source_tokens, config.source_dim) or target_shape != (
            config.target_tokens,
            config.target_dim,
        ):
            raise ValueError(
                f"The GlueNet maps {config.source_tokens}x{config.source_dim} -> "
                f"{config.target_tokens}x{config.target_dim}, but the cache holds "
                f"{source_shape[0]}x{source_shape[1]} -> {target_shape[0]}x{target_shape[1]}."
            )

    # -- state ----------------------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        """Where the resumable training state lives."""
        return self.output_dir / "state"

    def save_state(self) -> None:
        """Weights, optimiser, scheduler and step, atomically (main process writes)."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            objective = self.accelerator.unwrap_model(self.objective)
            model_state = {
                k: v.detach().cpu().contiguous() for k, v in objective.state_dict().items()
            }
            progress = {
                "step": self.step,
                "total_steps": self.total_steps,  # a run stopped part-way is told by it
                "scheduler": self.scheduler.state_dict(),
                "config": asdict(self.config),
                "gluenet": self.gluenet.config.layout(),
                "data": self.data,
            }
            write_state(self.state_dir, model_state, self.optimizer.state_dict(), progress)
        self.accelerator.wait_for_everyone()

    def load_state(self) -> bool:
        """Restore the saved state (checked against this run's settings); False when there
        is none."""
        progress = read_progress(self.state_dir)
        if progress is None:
            return False
        self._check_resumable(progress)
        objective = self.accelerator.unwrap_model(self.objective)
        model_state, optimizer_state = read_weights(self.state_dir, objective)
        objective.load_state_dict(model_state)
        self.optimizer.load_state_dict(optimizer_state)
        self.scheduler.load_state_dict(progress["scheduler"])
        self.step = int(progress["step"])
        if self.accelerator.is_main_process:
            trim_log(self.output_dir / "log.jsonl", self.step)
        return True

    def can_resume(self) -> bool:
        """Whether `output_dir` holds a run stopped part-way that this one would continue to
        the same weights: the same settings and data (what `run(resume=True)` checks)."""
        try:  # the record read once; unreadable, finished, or other settings: no resuming
            progress = read_progress(self.state_dir)
            if stopped_at(progress) is None:
                return False
            self._check_resumable(progress)
        except ValueError:
            return False
        return True

    def _check_resumable(self, progress: dict) -> None:
        """Refuse to continue a run whose settings would change its result."""
        changes = self.config.changes_from(progress["config"])
        layout = self.gluenet.config.layout()
        # a layout setting newer than the saved run had its default there
        saved_layout = {**field_defaults(GlueNetConfig), **progress.get("gluenet", layout)}
        changes += [
            f"{name} {saved_layout.get(name)!r} -> {value!r}"
            for name, value in layout.items()
            if saved_layout.get(name) != value
        ]
        if changes:
            raise ValueError(
                f"--resume: the run in {self.output_dir} was trained with other settings "
                f"({'; '.join(changes)}). Resume with the saved settings, or start over "
                "without --resume."
            )
        other_data = data_changes(progress.get("data"), self.data)
        if other_data:
            raise ValueError(
                f"--resume: the run in {self.output_dir} was trained on other data "
                f"({'; '.join(other_data)}). Resume with the same corpus, columns and "
                "encoders, or start over without --resume."
            )

    # -- loop -----------------------------------------------------------------------------
    def epoch_order(self, epoch: int) -> torch.Tensor:
        """The shuffled order of the training pairs in `epoch`, a function of (seed, epoch)."""
        if self._order is None or self._order[0] != epoch:
            generator = torch.Generator().manual_seed(self.config.seed * EPOCH_SEED_STRIDE + epoch)
            self._order = (epoch, torch.randperm(len(self.train_ids), generator=generator))
        return self._order[1]

    def batch_ids(self, epoch: int, index: int) -> torch.Tensor:
        """This process's share of global batch `index` of `epoch`."""
        order = self.epoch_order(epoch)
        size = self.config.batch_size
        global_batch = self.train_ids[order[index * size : (index + 1) * size]]
        return global_batch[self.accelerator.process_index :: self.accelerator.num_processes]

    def step_tensors(self) -> list[str]:
        """The cached tensors a step reads."""
        return head_names(self.gluenet, self.tensors)

    def train_step(
        self, ids: torch.Tensor, rows: dict[str, torch.Tensor] | None = None
    ) -> dict[str, float]:
        """One optimiser step on the pairs `ids` (their `rows` as stored, when read ahead);
        returns the loss terms."""
        device = self.accelerator.device
        gluenet = self.gluenet
        rows = rows if rows is not None else read_rows(self.tensors, self.step_tensors(), ids)
        # read as stored (bf16 caches: half the bytes to move), widened where the step runs
        moved = {name: value.to(device, non_blocking=True) for name, value in rows.items()}
        source = moved["source"].float()  # (b, n_s, d_s)
        target = moved["target"].float()  # (b, n_t, d_t)
        source, target = gluenet.normalize_source(source), gluenet.normalize_target(target)
        if self.config.source_noise > 0:
            source = source + self.source_noise(source)
        heads = head_targets(moved, gluenet, device)  # pooled (b, p), mask (b, n_t)
        with self.accelerator.autocast():
            terms = self.objective(source, target, **heads)
            loss = sum(terms.values())  # the one place the terms are summed
        lr = self.optimizer.param_groups[0]["lr"]  # the rate this step uses
        # one read of the loss terms: a GPU waits for the step once, not once per term
        read = torch.stack([value.detach().float() for value in (*terms.values(), loss)])
        values = dict(zip([*terms, "loss"], read.tolist(), strict=True))
        if not math.isfinite(values["loss"]):
            raise ValueError(
                f"The loss is {values['loss']} at step {self.step}: training diverged; lower "
                "--learning-rate (the state saved before this step is intact)."
            )
        self.accelerator.backward(loss)
        if self.config.grad_clip > 0:
            self.accelerator.clip_grad_norm_(self.objective.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        return values | {"lr": lr}

    def source_noise(self, source: torch.Tensor) -> torch.Tensor:
        """Noise for this step's normalised source (b, n_s, d_s), a function of the seed, the
        step and the process alone: a resumed run draws what the unbroken one drew."""
        config = self.gluenet.config
        rms = 1.0 / (config.norm_fraction * config.source_dim**0.5)  # of a normalised element
        stream = self.config.seed * EPOCH_SEED_STRIDE + self.step
        seed = (stream * self.accelerator.num_processes + self.accelerator.process_index) % (
            SEED_LIMIT
        )
        generator = torch.Generator(device=source.device).manual_seed(seed)
        noise = torch.randn(source.shape, generator=generator, device=source.device)
        return noise * (self.config.source_noise * rms)

    def evaluate(self) -> dict[str, float]:
        """Alignment on a fixed sample of the held-out split (`eval_pairs`), read a chunk at a
        time, beside the mean training target (empty dict when nothing is held out)."""
        if len(self.eval_ids) == 0:
            return {}
        return alignment_metrics(
            self.gluenet,
            self.tensors["source"],
            self.tensors["target"],
            candidates=self.config.eval_candidates,
            target_mask=self.tensors["target_mask"],
            mean_target=self.mean_target,
            ids=held_out_sample(self.eval_ids, self.config.eval_pairs),
        )

    def log(self, record: dict[str, Any]) -> None:
        """Append one JSON line to output_dir/log.jsonl (main process)."""
        if self.accelerator.is_main_process:
            with open(self.output_dir / "log.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def run(self, resume: bool = False, overwrite: bool = False) -> GlueNet:
        """Train (continuing from saved state when `resume`); save and return the GlueNet.

        One run at a time works in `output_dir` (a lock names the holder). A new run keeps the
        previous run's GlueNet and metrics until its own replace them; `overwrite` lets it
        replace folders that hold files GlueGen did not write."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(self.output_dir, f"gluegen training ({self.output_dir})")
        with lock if self.accelerator.is_main_process else contextlib.nullcontext():
            return self._run(resume, overwrite)

    def _run(self, resume: bool, overwrite: bool) -> GlueNet:
        config = self.config
        if self.accelerator.is_main_process:  # whole folders back in place, strays removed
            recover_folder(self.state_dir)
            recover_folder(self.output_dir / RUN_GLUENET)
        self.accelerator.wait_for_everyone()
        if resume:
            if not self.load_state():
                raise ValueError(
                    f"--resume: {self.state_dir} holds no saved run to continue; start without "
                    "--resume."
                )
            logger.info("Resumed from step %d of %d.", self.step, self.total_steps)
        else:
            if self.accelerator.is_main_process:
                start_fresh(self.output_dir, overwrite)
                self.log(
                    {"event": "start", "initial_eval": self.evaluate(), "steps": self.total_steps}
                )
            self.accelerator.wait_for_everyone()
        stop_at = min(self.total_steps, config.max_steps or self.total_steps)
        bar = tqdm(
            total=stop_at,
            initial=self.step,
            desc="training GlueNet",
            unit="step",
            disable=not (config.progress and self.accelerator.is_main_process),
        )
        with StopRequest() as stop:
            self._loop(stop_at, bar, stop)
        bar.close()
        if self.step >= self.total_steps:
            self.save_gluenet()
        return self.gluenet

    def _loop(self, stop_at: int, bar: tqdm, stop: StopRequest) -> None:
        device = self.accelerator.device
        reader = Prefetcher(
            self.tensors,
            self.step_tensors(),
            lambda step: self.batch_ids(*divmod(step, self.steps_per_epoch)),
            stop_at,
            # online features are encoded in the loop, on the training device
            workers=0 if isinstance(self.features, OnlineFeatures) else READ_WORKERS,
            pin=device.type == "cuda",
        )
        with reader:
            self._steps(stop_at, bar, stop, reader)

    def _steps(self, stop_at: int, bar: tqdm, stop: StopRequest, reader: Prefetcher) -> None:
        config = self.config
        running: dict[str, float] = {}
        since_log = 0
        started = time.time()
        saved_at = time.monotonic()
        while self.step < stop_at:
            epoch = self.step // self.steps_per_epoch
            terms = self.train_step(*reader.batch(self.step))
            self.step += 1
            for name, value in terms.items():
                running[name] = running.get(name, 0.0) + value
            bar.update(1)
            bar.set_postfix(loss=f"{terms['loss']:.4g}", epoch=epoch)
            since_log += 1
            if self.step % config.log_every == 0 or self.step == stop_at:
                means = {name: total / since_log for name, total in running.items()}
                means["lr"] = terms["lr"]
                running, since_log = {}, 0
                self.log(
                    {
                        "step": self.step,
                        "epoch": epoch,
                        **means,
                        "elapsed_s": round(time.time() - started, 2),
                    }
                )
            end_of_epoch = self.step % self.steps_per_epoch == 0
            eval_due = config.eval_every and self.step % config.eval_every == 0
            if self.accelerator.is_main_process and (
                eval_due or (not config.eval_every and end_of_epoch)
            ):
                self.log({"step": self.step, "eval": self.evaluate()})
            if self._checkpoint_due(saved_at) or self.step == stop_at or stop.requested:
                self.save_state()
                saved_at = time.monotonic()
            if stop.requested:  # Ctrl-C: the state is saved whole, `--resume` continues
                raise KeyboardInterrupt

    def _checkpoint_due(self, saved_at: float) -> bool:
        """Whether to save the state after this step: every `checkpoint_every` steps, or once
        `checkpoint_minutes` have passed since `saved_at`. Process 0's clock decides, so that
        every process saves at the same step."""
        config = self.config
        if config.checkpoint_every and self.step % config.checkpoint_every == 0:
            return True
        if not config.checkpoint_minutes:
            return False
        due = time.monotonic() - saved_at >= 60 * config.checkpoint_minutes
        if self.accelerator.num_processes > 1:
            due = bool(broadcast(torch.tensor([float(due)], device=self.accelerator.device)))
        return due

    def save_gluenet(self) -> Path:
        """Write output_dir/gluenet and output_dir/metrics.json (main process)."""
        folder = self.output_dir / RUN_GLUENET
        if self.accelerator.is_main_process:
            metrics = self.evaluate()
            self.gluenet.training_record = {
                "training pairs": len(self.train_ids),
                "held-out pairs": len(self.eval_ids),
                "settings": {k: v for k, v in asdict(self.config).items() if k != "output_dir"},
                "held-out metrics": metrics,
            }
            atomic_write_folder(folder, lambda tmp: self.gluenet.save_pretrained(tmp))
            atomic_write_text(self.output_dir / "metrics.json", json.dumps(metrics, indent=2))
            self.log({"event": "done", "step": self.step, "eval": metrics})
        self.accelerator.wait_for_everyone()
        return folder


def data_changes(saved: dict | None, now: dict) -> list[str]:
    """What differs between the data a checkpoint was trained on and this run's, as
    'name saved -> now' (nothing for a checkpoint that did not record it)."""
    if saved is None:
        return []
    flat = {}
    for label, record in (("saved", saved), ("now", now)):
        for name, value in {**record.get("cache", {}), "pairs": record.get("pairs")}.items():
            flat.setdefault(name, {})[label] = value
    names = {"corpus": "corpus content"}
    return [
        f"{names.get(name, name)} {short(values.get('saved'))} -> {short(values.get('now'))}"
        for name, values in flat.items()
        if values.get("saved") != values.get("now")
    ]


def short(value: Any, width: int = 60) -> str:
    """A value for a message, cut to `width` characters."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def train(
    cache: FeatureCache, gluenet_config: GlueNetConfig, config: TrainConfig, resume: bool = False
) -> GlueNet:
    """Train a GlueNet on `cache`; see `Trainer`."""
    return Trainer(cache, gluenet_config, config).run(resume=resume)


__all__ = ["Trainer", "train"]
