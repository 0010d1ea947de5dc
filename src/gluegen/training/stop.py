"""Ctrl-C during training: noted, and acted on between steps once the state is saved."""

from __future__ import annotations

import signal
import threading
from typing import Any


class StopRequest:
    """Ctrl-C during training, noted and acted on between steps, so that the state is saved
    whole first; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def _note(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


__all__ = ["StopRequest"]
