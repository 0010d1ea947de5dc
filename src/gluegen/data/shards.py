"""Reading cached tensors row by row from safetensors shards, and the masks' packed form.

A cached tensor spans every shard of a cache; `ShardedArray` reads only the rows asked for,
each with one positioned read (`os.preadv`) into memory the process owns, from shard files
kept open (`OpenFiles`, a bounded number). Nothing is mapped:
the pages of a cache larger than memory stay in the kernel's page cache, not in the training
process, whose memory stays flat however many rows an epoch reads. Masks (0/1 per token) are
stored eight tokens to a byte (`pack_mask`) and unpacked as they are read.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gluegen.data.integrity import read_header

MASKS = ("source_mask", "target_mask")
OPEN_FILES = 64  # shard files a cache keeps open for reading: bounded, whatever its size


def pack_mask(mask: torch.Tensor) -> torch.Tensor:
    """A 0/1 mask (b, n) -> uint8 bits (b, ceil(n / 8)), eight tokens a byte."""
    return torch.from_numpy(np.packbits(mask.cpu().numpy().astype(bool), axis=1))


def unpack_mask(bits: np.ndarray, tokens: int) -> torch.Tensor:
    """uint8 bits (b, ceil(n / 8)) -> the 0/1 mask (b, n) as int8."""
    return torch.from_numpy(np.unpackbits(bits, axis=1, count=tokens).astype(np.int8))


# safetensors dtype names -> numpy dtypes numpy can map (bfloat16 is read as its bits).
SAFETENSORS_DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "BF16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
}


@dataclass(frozen=True)
class ShardPart:
    """One tensor's rows in one safetensors file: where they start, their dtype and shape.

    The format is documented: an 8-byte little-endian header length, a JSON header giving each
    tensor's dtype, shape and byte offsets, then the raw data.
    """

    path: Path
    offset: int  # byte where row 0 starts
    dtype: np.dtype
    dtype_name: str  # safetensors' name ("BF16" is read as its bits)
    shape: tuple[int, ...]
    row_bytes: int  # bytes of one row

    @classmethod
    def of(cls, path: Path, name: str) -> ShardPart:
        """The part of tensor `name` in the safetensors file `path`."""
        header, start = read_header(path)
        info = header[name]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]])
        offset = start + info["data_offsets"][0]
        shape = tuple(info["shape"])
        row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        return cls(path, offset, dtype, info["dtype"], shape, row_bytes)

    def __len__(self) -> int:
        return self.shape[0]


class OpenFiles:
    """A cache's shard files, each opened on its first read and kept open, at most `limit` at
    once per reading thread (the least recently read closed first); closed with the arrays
    that share them. Each thread has its own descriptors: one thread never closes a file
    another is reading (the prefetching loader reads in threads)."""

    def __init__(self, limit: int = OPEN_FILES) -> None:
        self.limit = limit
        self._local = threading.local()
        self._every: list[OrderedDict[Path, int]] = []  # each thread's, to close them all
        self._guard = threading.Lock()

    def _mine(self) -> OrderedDict[Path, int]:
        opened = getattr(self._local, "open", None)
        if opened is None:
            opened = self._local.open = OrderedDict()
            with self._guard:
                self._every.append(opened)
        return opened

    def descriptor(self, path: Path) -> int:
        """An open read-only descriptor of `path`, this thread's."""
        opened = self._mine()
        if path in opened:
            opened.move_to_end(path)
            return opened[path]
        if len(opened) >= self.limit:
            os.close(opened.popitem(last=False)[1])
        opened[path] = os.open(path, os.O_RDONLY)
        return opened[path]

    def close(self) -> None:
        """Close every thread's descriptors."""
        with self._guard:
            for opened in self._every:
                while opened:
                    os.close(opened.popitem()[1])

    def __del__(self) -> None:
        self.close()


class ShardedArray:
    """The rows of one cached tensor across all shards; `array[ids]` reads just those rows.

    A mask is given its token count (`tokens`) and read unpacked, (N, n) int8.
    """

    def __init__(
        self,
        files: list[Path],
        name: str,
        tokens: int | None = None,
        opened: OpenFiles | None = None,
    ) -> None:
        self.parts = [ShardPart.of(file, name) for file in files]
        self.opened = opened or OpenFiles()  # a cache's arrays share one
        self.is_bfloat16 = self.parts[0].dtype_name == "BF16"
        self.is_feature = name not in MASKS
        self.tokens = tokens  # a packed mask's token count
        lengths = torch.tensor([len(part) for part in self.parts])
        self.starts = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)])
        self._starts, self._ends = self.starts.tolist(), self.starts.numpy()[1:]  # for reads
        row_shape = (tokens,) if tokens is not None else self.parts[0].shape[1:]
        self.shape = (int(self.starts[-1]), *row_shape)

    def __len__(self) -> int:
        return self.shape[0]

    def stored(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows `ids` (a 1-d index tensor) -> (len(ids), ...) in the dtype they are stored in
        (bfloat16 as torch.bfloat16; masks unpacked): the bytes a step needs, to be widened
        where it runs (`.to(device).float()`)."""
        rows = torch.as_tensor(ids, dtype=torch.long).reshape(-1).numpy()
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"row index out of range for a cache of {len(self)} rows")
        first = self.parts[0]
        out = np.empty((len(rows), *first.shape[1:]), dtype=first.dtype)
        buffer = memoryview(out.reshape(-1).view(np.uint8))  # (rows * row_bytes,)
        starts = self._starts
        shards = np.searchsorted(self._ends, rows, side="right").tolist()
        size = first.row_bytes
        # one positioned read a row, straight to its place in `out` (rows in the order asked)
        for slot, (row, shard) in enumerate(zip(rows.tolist(), shards, strict=True)):
            part = self.parts[shard]
            into = buffer[slot * size : (slot + 1) * size]
            offset = part.offset + (row - starts[shard]) * size
            if os.preadv(self.opened.descriptor(part.path), [into], offset) != size:
                raise ValueError(
                    f"{part.path}: row {row - starts[shard]} ends past the file; the cache is "
                    "damaged: delete its folder to rebuild it."
                )
        if self.tokens is not None:
            return unpack_mask(out, self.tokens)
        values = torch.from_numpy(out)
        return values.view(torch.bfloat16) if self.is_bfloat16 else values

    def __getitem__(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows `ids` (a 1-d index tensor) -> (len(ids), ...); features come as float32."""
        values = self.stored(ids)
        return values.float() if self.is_feature else values
