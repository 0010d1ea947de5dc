"""German captions: gender, and adjective endings by case (nominative, accusative, dative).

Corpus frames (`DE_FRAMES`) and held-out frames (`DE_HELDOUT_FRAMES`: other verbs and word
orders, never in a parallel corpus); `german_single(obj, frames)` fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill
from gluegen_world.scenes import WorldObject

# -- German ----------------------------------------------------------------------------------
DE_NOUNS = {
    "circle": ("Kreis", "m"),
    "square": ("Quadrat", "n"),
    "triangle": ("Dreieck", "n"),
    "star": ("Stern", "m"),
    "diamond": ("Raute", "f"),
}
DE_COLOURS = {
    "red": "rot",
    "green": "grün",
    "blue": "blau",
    "yellow": "gelb",
    "purple": "violett",
    "orange": "orangefarben",  # declinable, unlike the colloquial "orange"
}
DE_SIZES = {"small": "klein", "big": "groß"}
# Indefinite article and adjective ending (mixed declension) by case and gender.
DE_DECLENSION = {
    ("nom", "m"): ("ein", "er"),
    ("nom", "n"): ("ein", "es"),
    ("nom", "f"): ("eine", "e"),
    ("acc", "m"): ("einen", "en"),
    ("acc", "n"): ("ein", "es"),
    ("acc", "f"): ("eine", "e"),
    ("dat", "m"): ("einem", "en"),
    ("dat", "n"): ("einem", "en"),
    ("dat", "f"): ("einer", "en"),
}
DE_POSITIONS = {"left": "links", "right": "rechts", "top": "oben", "bottom": "unten"}
DE_POSITIONS_ALT = {
    "left": "auf der linken Seite",
    "right": "auf der rechten Seite",
    "top": "ganz oben",
    "bottom": "ganz unten",
}
DE_RELATIONS = {"left of": "links von", "right of": "rechts von", "above": "über", "below": "unter"}


def de_phrase(o: WorldObject, case: str = "nom") -> str:
    """'ein kleiner roter Kreis' (nom), 'einen kleinen roten Kreis' (acc), 'einer ...' (dat)."""
    noun, gender = DE_NOUNS[o.shape]
    article, ending = DE_DECLENSION[(case, gender)]
    return f"{article} {DE_SIZES[o.size]}{ending} {DE_COLOURS[o.colour]}{ending} {noun}"


DE_FRAMES = (
    "{np} {pos}",
    "{pos} ist {np}",
    "es gibt {acc} {pos}",
    "{np} ist {pos}",
    "man sieht {acc} {pos}",
    "{pos} gibt es {acc}",
)
DE_HELDOUT_FRAMES = (
    "{np} befindet sich {pos}",
    "{pos} sieht man {acc}",
    "{pos} befindet sich {np}",
    "{np} ist {pos} zu sehen",
)


def german_single(o: WorldObject, frames: tuple[str, ...] = DE_FRAMES) -> list[str]:
    """Phrasings of one German object, verb second ('links ist ein ...'; corpus frames unless
    said)."""
    places = [DE_POSITIONS[o.position], DE_POSITIONS_ALT[o.position]]
    return fill(frames, places, [{"np": de_phrase(o), "acc": de_phrase(o, "acc")}])


def german_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two German objects; the prepositions take the dative."""
    tail = f"{DE_RELATIONS[relation]} {de_phrase(b, 'dat')}"
    return [f"{de_phrase(a)} {tail}", f"{de_phrase(a)} ist {tail}"]
