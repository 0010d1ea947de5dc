"""Sentence frames: a phrasing is a frame filled with an object's noun phrase and its place.

A frame is a format string with `{pos}` (the place) and `{np}` (the noun phrase; German also
`{acc}`, the accusative one). Each language keeps its corpus frames and its held-out frames
side by side, so that the split between them reads at a glance.
"""

from __future__ import annotations


def fill(frames: tuple[str, ...], places: list[str], phrases: list[dict[str, str]]) -> list[str]:
    """Every frame with every place and every form of the noun phrase, places outermost."""
    return [
        frame.format(pos=place, **phrase)
        for place in places
        for phrase in phrases
        for frame in frames
    ]
