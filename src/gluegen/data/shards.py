"""Reading cached tensors row by row from safetensors shards, and the masks' packed form.

A cached tensor spans every shard of a cache; `ShardedArray` memory-maps each shard's part
and reads only the rows asked for. Masks (0/1 per token) are stored eight tokens to a byte
(`pack_mask`) and unpacked as they are read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gluegen.data.integrity import read_header

MASKS = ("source_mask", "target_mask")


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


def _memory_map(path: Path, name: str) -> tuple[np.memmap, str]:
    """One tensor of a safetensors file as a read-only numpy memmap, and its dtype name.

    The format is documented: an 8-byte little-endian header length, a JSON header giving each
    tensor's dtype, shape and byte offsets, then the raw data.
    """
    header, start = read_header(path)
    info = header[name]
    begin, _ = info["data_offsets"]
    array = np.memmap(
        path,
        dtype=SAFETENSORS_DTYPES[info["dtype"]],
        mode="r",
        offset=start + begin,
        shape=tuple(info["shape"]),
    )
    return array, info["dtype"]


class ShardedArray:
    """The rows of one cached tensor across all shards; `array[ids]` reads just those rows.

    A mask is given its token count (`tokens`) and read unpacked, (N, n) int8.
    """

    def __init__(self, files: list[Path], name: str, tokens: int | None = None) -> None:
        mapped = [_memory_map(file, name) for file in files]
        self.parts = [part for part, _ in mapped]
        self.is_bfloat16 = mapped[0][1] == "BF16"
        self.is_feature = name not in MASKS
        self.tokens = tokens  # a packed mask's token count
        lengths = torch.tensor([len(part) for part in self.parts])
        self.starts = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)])
        row_shape = (tokens,) if tokens is not None else self.parts[0].shape[1:]
        self.shape = (int(self.starts[-1]), *row_shape)

    def __len__(self) -> int:
        return self.shape[0]

    def _rows(self, part: int, rows: np.ndarray) -> torch.Tensor:
        values = np.ascontiguousarray(self.parts[part][rows])
        if self.tokens is not None:
            return unpack_mask(values, self.tokens)
        values = torch.from_numpy(values)
        if self.is_bfloat16:
            values = values.view(torch.bfloat16)
        return values.float() if self.is_feature else values

    def __getitem__(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows `ids` (a 1-d index tensor) -> (len(ids), ...); features come as float32."""
        ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"row index out of range for a cache of {len(self)} rows")
        part_of = torch.searchsorted(self.starts[1:], ids, right=True)
        pieces = {}
        for part in part_of.unique().tolist():
            chosen = (part_of == part).nonzero().squeeze(1)
            pieces[part] = (chosen, self._rows(part, (ids[chosen] - self.starts[part]).numpy()))
        first = next(iter(pieces.values()))[1] if pieces else self._rows(0, np.arange(0))
        out = torch.empty((len(ids), *first.shape[1:]), dtype=first.dtype)
        for chosen, values in pieces.values():
            out[chosen] = values
        return out
