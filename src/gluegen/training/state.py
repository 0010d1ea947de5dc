"""The resumable state of a training run, written whole or not at all, read back checked.

    OUTPUT_DIR/state/objective.safetensors   GlueNet, decoder, discriminator (those trained)
                     optimizer.pt             Adam's moments (tensors only: weights_only load)
                     progress.json            step, LR schedule, the run's settings
    OUTPUT_DIR/log.jsonl                      one line per logged step, cut back on resume

The folder is replaced by `atomic_write_folder`; a run killed at any moment leaves a whole
checkpoint, which `recover_folder` puts back in place (and removes the strays) before a run
reads it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from gluegen.checkpoints import check_state, read_json, read_tensors, read_torch
from gluegen.io import atomic_write_folder, atomic_write_text
from gluegen.models.gluenet import RUN_GLUENET, SAVED_FILES
from gluegen.runfolder import foreign_files

OBJECTIVE_FILE = "objective.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
PROGRESS_FILE = "progress.json"
# Registered last in the objective; earlier versions built it even when no loss used it.
UNUSED_PART = "discriminator."
# What a finished run leaves besides its state.
RUN_OUTPUTS = (RUN_GLUENET, "metrics.json", "log.jsonl")
# What GlueGen writes into the folders it replaces whole: anything else is the user's.
STATE_FILES = (OBJECTIVE_FILE, OPTIMIZER_FILE, PROGRESS_FILE)
PREVIOUS_LOG = "log.previous.jsonl"  # the log of the run before, kept beside the new one


def write_state(
    folder: Path,
    model_state: dict[str, torch.Tensor],
    optimizer_state: dict[str, Any],
    progress: dict[str, Any],
) -> None:
    """The three files, swapped in as one folder."""

    def write(tmp: Path) -> None:
        save_file(model_state, tmp / OBJECTIVE_FILE)
        torch.save(optimizer_state, tmp / OPTIMIZER_FILE)
        (tmp / PROGRESS_FILE).write_text(json.dumps(progress, indent=2, default=str))

    atomic_write_folder(folder, write)


def read_progress(folder: Path) -> dict[str, Any] | None:
    """The progress record of the checkpoint in `folder` (step, schedule, the run's settings),
    or None when there is no checkpoint."""
    if not folder.is_dir():
        return None
    return read_json(folder / PROGRESS_FILE, f"the training checkpoint in {folder}")


def read_weights(
    folder: Path, objective: nn.Module
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(model state, optimizer state) of the checkpoint in `folder`, the model state checked
    against `objective`'s."""
    what = f"the training checkpoint in {folder}"
    model_state = read_tensors(folder / OBJECTIVE_FILE, what)
    optimizer_state = read_torch(folder / OPTIMIZER_FILE, what)
    expected = objective.state_dict()
    if not any(name.startswith(UNUSED_PART) for name in expected):
        parameters = len(list(objective.parameters()))
        model_state, optimizer_state = without_unused_part(model_state, optimizer_state, parameters)
    check_state(model_state, expected, what)
    return model_state, optimizer_state


def without_unused_part(
    model_state: dict[str, torch.Tensor], optimizer_state: dict[str, Any], parameters: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """A state saved by a version that built the discriminator at adversarial weight 0: its
    tensors dropped, and its optimizer slots (the last ones, never stepped) cut off."""
    unused = [name for name in model_state if name.startswith(UNUSED_PART)]
    groups = optimizer_state.get("param_groups", [])
    if not unused or len(groups) != 1:  # the Trainer's Adam has one group
        return model_state, optimizer_state
    (group,) = groups
    dropped = group["params"][parameters:]
    if not dropped or any(index in optimizer_state.get("state", {}) for index in dropped):
        return model_state, optimizer_state  # not such a state: check_state says what differs
    kept = {name: tensor for name, tensor in model_state.items() if name not in unused}
    group = {**group, "params": group["params"][:parameters]}
    return kept, {**optimizer_state, "param_groups": [group]}


def stopped_run(folder: Path) -> tuple[int, int] | None:
    """(step, total steps) of the run whose checkpoint is in `folder` when it stopped part-way
    (Ctrl-C, a kill, `max_steps`); None when there is no checkpoint or it cannot be read
    (nothing to continue from that a new run would lose), or as `stopped_at` says."""
    try:
        return stopped_at(read_progress(folder))
    except ValueError:
        return None


def stopped_at(progress: dict[str, Any] | None) -> tuple[int, int] | None:
    """(step, total steps) of a checkpoint's progress record short of its run's length; None
    for no record, a finished run, or a record from before checkpoints said their length."""
    if not progress or "total_steps" not in progress:
        return None
    step, total = int(progress["step"]), int(progress["total_steps"])
    return (step, total) if step < total else None


def trim_log(log: Path, step: int) -> None:
    """Drop the log lines of steps after `step` (written after the checkpoint a run resumes
    from), so that a resumed run's log has each step once."""
    if not log.is_file():
        return
    kept = [
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("step", 0) <= step
    ]
    atomic_write_text(log, "".join(line + "\n" for line in kept))


def start_fresh(output_dir: Path, overwrite: bool = False) -> None:
    """Before a new run in `output_dir`: the previous run's checkpoint goes (it is GlueGen's
    own), its log is kept as log.previous.jsonl, its GlueNet and metrics stay until the new
    run's replace them whole. A `gluenet/` or `state/` holding files GlueGen did not write is
    refused by name, unless `overwrite` (they would go when the folder is replaced)."""
    found = {
        name: foreign_files(output_dir / name, files)
        for name, files in ((RUN_GLUENET, SAVED_FILES), ("state", STATE_FILES))
    }
    found = {name: files for name, files in found.items() if files}
    if found and not overwrite:
        listed = "; ".join(f"{name}/: {', '.join(files)}" for name, files in found.items())
        raise ValueError(
            f"{output_dir} holds files GlueGen did not write in folders a run replaces whole "
            f"({listed}); move them out, or give --overwrite to let the run replace them."
        )
    shutil.rmtree(output_dir / "state", ignore_errors=True)
    log = output_dir / "log.jsonl"
    if log.is_file():
        os.replace(log, output_dir / PREVIOUS_LOG)
