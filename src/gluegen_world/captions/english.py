"""English captions: articles a / an, several word orders.

The corpus phrasings (`english_single`, `english_pair`) are the ones the generator was trained
on. The other families (`EN_FAMILIES`: requests, predicates, relative clauses, articles
dropped) are what people also type; the world's XLM-R reads them all.
"""

from __future__ import annotations

from gluegen_world.scenes import WorldObject

# -- English ---------------------------------------------------------------------------------
EN_POSITIONS = {
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
}
EN_POSITIONS_ALT = {
    "left": "on the left side",
    "right": "on the right side",
    "top": "near the top",
    "bottom": "near the bottom",
}
EN_RELATIONS = {
    "left of": "to the left of",
    "right of": "to the right of",
    "above": "above",
    "below": "below",
}


def en_article(next_word: str) -> str:
    """'an' before a vowel sound, else 'a'."""
    return "an" if next_word[0] in "aeiou" else "a"


def en_phrase(o: WorldObject) -> str:
    """'a small red circle'."""
    return f"{en_article(o.size)} {o.size} {o.colour} {o.shape}"


PLACE_FIRST = 1  # the index of `english_single`'s phrasing that says the place first


def place_first_lead(position: str) -> str:
    """The place-first phrasing up to its object ("on the right, a"; both sizes take "a")."""
    return f"{EN_POSITIONS[position]}, a"


def english_single(o: WorldObject) -> list[str]:
    """Phrasings of one English object."""
    pos = EN_POSITIONS[o.position]
    return [
        f"{en_phrase(o)} {pos}",
        f"{pos}, {en_phrase(o)}",
        f"there is {en_phrase(o)} {pos}",
        f"{en_article(o.colour)} {o.colour} {o.shape}, {o.size}, {pos}",
    ]


def english_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two English objects in a relation."""
    rel = EN_RELATIONS[relation]
    return [f"{en_phrase(a)} {rel} {en_phrase(b)}", f"{en_phrase(a)} is {rel} {en_phrase(b)}"]


def en_forms(o: WorldObject) -> list[dict[str, str]]:
    """Every form of one object the families' frames take, for each way of saying its place."""
    return [
        {
            "np": en_phrase(o),
            "bare": f"{o.size} {o.colour} {o.shape}",
            "a_noun": f"{en_article(o.shape)} {o.shape}",
            "noun": o.shape,
            "colour": o.colour,
            "size": o.size,
            "where": where[o.position],
        }
        for where in (EN_POSITIONS, EN_POSITIONS_ALT)
    ]


def en_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """The forms of two objects in a relation."""
    return [
        {
            "np_a": en_phrase(a),
            "np_b": en_phrase(b),
            "the_a": f"the {a.size} {a.colour} {a.shape}",
            "the_b": f"the {b.size} {b.colour} {b.shape}",
            "bare_a": f"{a.size} {a.colour} {a.shape}",
            "bare_b": f"{b.size} {b.colour} {b.shape}",
            "rel": EN_RELATIONS[relation],
        }
    ]


# family -> (one-object frames, two-object frames)
EN_FAMILIES = {
    "verbs": (
        ("{np} sits {where}", "{where} you can see {np}"),
        ("{np_a} sits {rel} {np_b}", "you can see {np_a} {rel} {np_b}"),
    ),
    "relative": (
        (
            "there is {a_noun} {where} that is {size} and {colour}",
            "{a_noun} that is {colour} and {size}, {where}",
        ),
        ("there is {np_a} that is {rel} {np_b}",),
    ),
    "predicate": (
        ("the {noun} {where} is {size} and {colour}", "{where}, the {noun} is {colour} and {size}"),
        ("{the_a} is {rel} {the_b}",),
    ),
    "dropped": (
        ("{bare} {where}", "{colour} {noun}, {size}, {where}"),
        ("{bare_a} {rel} {bare_b}",),
    ),
    "request": (
        ("draw {np} {where}", "please draw {np} {where}", "make {np} {where}"),
        ("draw {np_a} {rel} {np_b}",),
    ),
    "photo": (
        ("a photo of {np} {where}", "show me a drawing of {np} {where}"),
        ("a photo of {np_a} {rel} {np_b}",),
    ),
    "polite": (
        (
            "could you draw {np} {where}?",
            "i would like a picture of {np} {where}",
            "a picture of {np} {where}, please",
        ),
        ("could you draw {np_a} {rel} {np_b}?", "i would like a picture of {np_a} {rel} {np_b}"),
    ),
}
