"""German captions: gender, and adjective endings by case (nominative, accusative, dative).

Corpus frames (`DE_FRAMES`) and held-out frames (`DE_HELDOUT_FRAMES`: other verbs and word
orders, never in a parallel corpus); `german_single(obj, frames)` fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill, places
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


# -- the other families: what people also write ----------------------------------------------
# `{pos}` is a corpus place; `{where}` any place, a third wording included.
DE_POSITIONS_THIRD = {
    "left": "am linken Rand",
    "right": "am rechten Rand",
    "top": "am oberen Rand",
    "bottom": "am unteren Rand",
}
# Definite article and adjective ending (weak declension) by case and gender.
DE_DEFINITE = {
    ("nom", "m"): ("der", "e"),
    ("nom", "n"): ("das", "e"),
    ("nom", "f"): ("die", "e"),
    ("dat", "m"): ("dem", "en"),
    ("dat", "n"): ("dem", "en"),
    ("dat", "f"): ("der", "en"),
}
# Adjective endings with no article (strong declension): nominative as the mixed one, dative
DE_STRONG_DATIVE = {"m": "em", "n": "em", "f": "er"}


def de_definite(o: WorldObject, case: str = "nom") -> str:
    """'der kleine rote Kreis' (nom), 'dem kleinen roten Kreis' (dat)."""
    noun, gender = DE_NOUNS[o.shape]
    article, ending = DE_DEFINITE[(case, gender)]
    return f"{article} {DE_SIZES[o.size]}{ending} {DE_COLOURS[o.colour]}{ending} {noun}"


def de_bare(o: WorldObject, case: str = "nom") -> str:
    """'kleiner roter Kreis' (nom), 'kleinem rotem Kreis' (dat): no article."""
    noun, gender = DE_NOUNS[o.shape]
    ending = DE_DECLENSION[("nom", gender)][1] if case == "nom" else DE_STRONG_DATIVE[gender]
    return f"{DE_SIZES[o.size]}{ending} {DE_COLOURS[o.colour]}{ending} {noun}"


def de_forms(o: WorldObject) -> list[dict[str, str]]:
    """'der Kreis links ist klein und rot', 'zeichne einen kleinen roten Kreis links' ..."""
    noun, gender = DE_NOUNS[o.shape]
    article = DE_DEFINITE[("nom", gender)][0]  # also the relative pronoun
    size, colour = DE_SIZES[o.size], DE_COLOURS[o.colour]
    return [
        {
            "np": de_phrase(o),
            "acc": de_phrase(o, "acc"),
            "dat": de_phrase(o, "dat"),
            "pos": pos,
            "where": where,
            "the": f"{article} {noun}",
            "pron": article,
            "a_noun": f"{DE_DECLENSION[('acc', gender)][0]} {noun}",
            "adjs": f"{size} und {colour}",
            "size": size,
            "colour": colour,
            "bare": de_bare(o),
        }
        for pos, where in places(o.position, DE_POSITIONS, DE_POSITIONS_ALT, DE_POSITIONS_THIRD)
    ]


def de_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'der kleine rote Kreis ist links von dem großen blauen Quadrat' ..."""
    return [
        {
            "np_a": de_phrase(a),
            "acc_a": de_phrase(a, "acc"),
            "dat_b": de_phrase(b, "dat"),
            "pron_a": DE_DEFINITE[("nom", DE_NOUNS[a.shape][1])][0],
            "the_a": de_definite(a),
            "the_dat_b": de_definite(b, "dat"),
            "bare_a": de_bare(a),
            "bare_dat_b": de_bare(b, "dat"),
            "rel": DE_RELATIONS[relation],
        }
    ]


# family -> (one-object frames, two-object frames)
DE_FAMILIES = {
    "verbs": (
        DE_HELDOUT_FRAMES,
        ("{np_a} befindet sich {rel} {dat_b}", "man sieht {acc_a} {rel} {dat_b}"),
    ),
    "relative": (
        (
            "{where} gibt es {a_noun}, {pron} {adjs} ist",
            "es gibt {a_noun} {where}, {pron} {colour} und {size} ist",
        ),
        ("es gibt {acc_a}, {pron_a} {rel} {dat_b} ist",),
    ),
    "predicate": (
        ("{the} {where} ist {adjs}", "{where} ist {the} {colour} und {size}"),
        ("{the_a} ist {rel} {the_dat_b}",),
    ),
    "dropped": (("{bare} {where}",), ("{bare_a} {rel} {bare_dat_b}",)),
    "request": (("zeichne {acc} {where}", "mal {acc} {where}"), ("zeichne {acc_a} {rel} {dat_b}",)),
    "photo": (
        ("ein Foto von {dat} {where}", "zeig mir eine Zeichnung von {dat} {where}"),
        ("ein Foto: {np_a} {rel} {dat_b}",),
    ),
    "polite": (
        (
            "kannst du {acc} {where} zeichnen?",
            "ich hätte gern ein Bild mit {dat} {where}",
            "bitte zeichne {acc} {where}",
        ),
        (
            "kannst du {acc_a} {rel} {dat_b} zeichnen?",
            "ich hätte gern ein Bild, auf dem {np_a} {rel} {dat_b} ist",
        ),
    ),
}
