"""English captions: articles a / an, several word orders."""

from __future__ import annotations

from gluegen_world.scenes import WorldObject

# -- English ---------------------------------------------------------------------------------
EN_POSITIONS = {
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
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
