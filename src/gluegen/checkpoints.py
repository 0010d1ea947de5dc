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


def missing_folder(name_or_path: str | Path) -> bool:
    """Whether `name_or_path` names a folder that is not here and cannot be a hub id either
    (OWNER/NAME: at most one slash, not starting with '/', '.' or '~'), so that the error is
    "no such folder", not the hub's about a malformed repository id."""
    text = str(name_or_path)
    if Path(text).expanduser().exists():
        return False
    return text.startswith(("/", ".", "~")) or text.count("/") > 1


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


HEADER_LENGTH_BYTES = 8  # a safetensors file starts with its JSON header's length
MAX_HEADER_BYTES = 100 * 1024 * 1024  # safetensors' own limit on a header


def read_header(path: Path) -> tuple[dict[str, Any], int]:
    """(header, data start) of a safetensors file; a named error when the header is not sane."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        length = int.from_bytes(handle.read(HEADER_LENGTH_BYTES), "little")
        if not 0 < length <= min(MAX_HEADER_BYTES, size - HEADER_LENGTH_BYTES):
            raise ValueError(f"{path}: its header length ({length} bytes) does not fit the file")
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: its header is not valid JSON ({error})") from error
    start = HEADER_LENGTH_BYTES + length
    for name, info in header.items():
        if name != "__metadata__" and info["data_offsets"][1] > size - start:
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
    return header, start


def check_header(path: Path, expected: dict[str, torch.Tensor], dtype: str, what: str) -> None:
    """Before any tensor is read or any model allocated: the safetensors file at `path` holds
    exactly `expected`'s names and shapes (a module's state_dict, e.g. built on the meta
    device), every tensor of `dtype` (the safetensors name it was saved as, e.g. "F32")."""
    if not path.is_file():
        raise ValueError(f"{path} is missing: {what} is incomplete.")
    try:
        header, _ = read_header(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path} is not a readable safetensors file ({error}): {what} is truncated or "
            "damaged; train it again (or restore the file)."
        ) from error
    tensors = {name: info for name, info in header.items() if name != "__metadata__"}
    other = sorted(f"{n} {i.get('dtype')}" for n, i in tensors.items() if i.get("dtype") != dtype)
    if other:
        raise ValueError(
            f"{path} holds tensors of another type than the {dtype} it is saved in "
            f"({', '.join(other[:4])}): {what} was altered or is not one; restore the file."
        )
    saved = {name: torch.empty(info["shape"], device="meta") for name, info in tensors.items()}
    check_state(saved, expected, what)


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
        if tensor.is_floating_point()
        and tensor.device.type != "meta"  # a header's shapes: no values to check yet
        and not torch.isfinite(tensor).all()
    ]
    if broken:
        problems.append(f"NaN or infinite values in {broken}")
    if problems:
        raise ValueError(f"{where} does not fit its config: {'; '.join(problems)}.")
