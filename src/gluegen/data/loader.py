"""Reading a training loop's batches ahead of it, in threads.

The rows of the next steps' batches are read while the current step runs: positioned reads
(`os.preadv`) and the copies after them release the GIL, so the reads overlap the step (on a GPU
they overlap all of it; on a CPU the step's threads and the readers share the cores). On a GPU
the rows are read into pinned memory, so that the copy to the device can run asynchronously.
A batch is exactly the rows the loop would read itself: prefetching changes no result.

Features computed on demand (`--features online`) are read in the loop, not ahead: their
encoders run on the training device already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

READ_WORKERS = 2  # threads reading ahead
READ_AHEAD = 4  # batches read ahead of the step (bounded memory: this many batches)


def read_rows(
    arrays: dict[str, Any], names: Sequence[str], ids: torch.Tensor, pin: bool = False
) -> dict[str, torch.Tensor]:
    """Rows `ids` of each tensor `names`, as stored (bfloat16 stays bfloat16); pinned for an
    asynchronous copy to a GPU when `pin`."""
    rows = {name: arrays[name].stored(ids) for name in names}
    return {name: value.pin_memory() for name, value in rows.items()} if pin else rows


class Prefetcher:
    """The batches of steps `start`, `start + 1`, ... (`ids_of(step)`), up to `stop`, each read
    `READ_AHEAD` steps before it is asked for by `READ_WORKERS` threads (`workers=0`: read when
    asked)."""

    def __init__(
        self,
        arrays: dict[str, Any],
        names: Sequence[str],
        ids_of: Callable[[int], torch.Tensor],
        stop: int,
        workers: int = READ_WORKERS,
        pin: bool = False,
    ) -> None:
        self.arrays, self.names, self.ids_of, self.stop = arrays, list(names), ids_of, stop
        self.pin = pin
        self._pool = ThreadPoolExecutor(workers, "gluegen-reader") if workers > 0 else None
        self._ahead: dict[int, tuple[torch.Tensor, Future]] = {}

    def batch(self, step: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(ids, {name: rows as stored}) of `step`."""
        if self._pool is None:
            ids = self.ids_of(step)
            return ids, read_rows(self.arrays, self.names, ids, self.pin)
        for ahead in range(step, min(step + READ_AHEAD + 1, self.stop)):
            if ahead not in self._ahead:
                ids = self.ids_of(ahead)
                job = self._pool.submit(read_rows, self.arrays, self.names, ids, self.pin)
                self._ahead[ahead] = (ids, job)
        for passed in [s for s in self._ahead if s < step]:  # a loop that skipped steps
            self._ahead.pop(passed)[1].cancel()
        ids, job = self._ahead.pop(step) if step in self._ahead else (self.ids_of(step), None)
        return ids, job.result() if job else read_rows(self.arrays, self.names, ids, self.pin)

    def close(self) -> None:
        """Stop reading ahead (reads under way finish)."""
        if self._pool is not None:
            for _, job in self._ahead.values():
                job.cancel()
            self._ahead.clear()
            self._pool.shutdown(wait=True)

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
