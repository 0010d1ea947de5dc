"""Sentence frames: a phrasing is a frame filled with an object's forms (its noun phrase, its
place, its words one by one).

A frame is a format string. The corpus frames take `{pos}` (the place) and `{np}` (the noun
phrase; German also `{acc}`, the accusative one). The other families' frames take the keys of
their language's `*_forms(obj)` dicts (`{the}`, `{adjs}`, `{where}` ...) and, for two objects,
of `*_pair_forms(a, relation, b)`. Each language keeps its frames side by side, so that the
split between families reads at a glance.
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


def places(position: str, *tables: dict[str, str]) -> list[tuple[str, str]]:
    """(corpus place, any place) of `position` for every pairing: the first two tables are
    the corpus's wordings, any further ones the held-out families' own."""
    corpus = [table[position] for table in tables[:2]]
    return [(pos, where) for pos in corpus for where in [table[position] for table in tables]]


def fill_forms(frames: tuple[str, ...], forms: list[dict[str, str]]) -> list[str]:
    """Every frame with every dict of forms, each phrasing once, in order."""
    return list(dict.fromkeys(frame.format(**form) for form in forms for frame in frames))
