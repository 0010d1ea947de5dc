"""Reading what training wrote, checked: one named error instead of a silent wrong result.

Every saved tensor file goes through `read_tensors` (missing, truncated or garbled files are a
ValueError naming the file) and `check_state` (missing or unexpected names, other shapes,
NaN or infinite values), every JSON file through `read_json`. `torch.load` is only ever called
with `weights_only=True`: no pickle runs code.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file; a named error when it is missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is missing: {what} is incomplete.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): {what} is damaged.") from error


def read_tensors(path: str | Path, what: str) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file; a named error when it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is missing: {what} is incomplete.")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, MemoryError) as error:
        raise ValueError(
            f"{path} is not a readable safetensors file ({error}): {what} is truncated or "
            "damaged; train it again (or restore the file)."
        ) from error


def read_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata of a safetensors file (read after `read_tensors` checked it)."""
    with safe_open(str(path), "pt") as handle:
        return handle.metadata() or {}


def read_torch(path: str | Path, what: str) -> Any:
    """A torch.save file of plain tensors and containers (never arbitrary pickles)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is missing: {what} is incomplete.")
    try:
        with warnings.catch_warnings():  # a refused pickle's protocol warning says nothing more
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, weights_only=True)
    except Exception as error:  # noqa: BLE001 - truncated zips, refused pickles, ...
        raise ValueError(
            f"{path} cannot be read safely ({type(error).__name__}: {error}): {what} is "
            "damaged or holds more than tensors."
        ) from error


def check_state(
    state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], where: str
) -> None:
    """The tensors `state` must match `expected` (a module's state_dict) name for name and
    shape for shape, and hold only finite numbers."""
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing {missing}")
    if unexpected:
        problems.append(f"unexpected {unexpected}")
    shapes = [
        f"{name} {tuple(state[name].shape)} (the config asks for {tuple(tensor.shape)})"
        for name, tensor in expected.items()
        if name in state and state[name].shape != tensor.shape
    ]
    if shapes:
        problems.append(f"other shapes: {', '.join(shapes)}")
    broken = [
        name
        for name, tensor in state.items()
        if tensor.is_floating_point() and not torch.isfinite(tensor).all()
    ]
    if broken:
        problems.append(f"NaN or infinite values in {broken}")
    if problems:
        raise ValueError(f"{where} does not fit its config: {'; '.join(problems)}.")
