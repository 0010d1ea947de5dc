"""French, Spanish and Italian captions: grammatical gender and articles, adjectives after
the noun, apocope (Spanish "gran"), elision (French "d'un")."""

from __future__ import annotations

from gluegen_world.scenes import WorldObject

# The three languages side by side: (French, Spanish, Italian).
# Nouns with their gender; colours as (masculine, feminine). Invariable: Italian blu and viola,
# French orange (a colour named after a fruit).
ROMANCE_NOUNS = {
    "circle": (("cercle", "m"), ("círculo", "m"), ("cerchio", "m")),
    "square": (("carré", "m"), ("cuadrado", "m"), ("quadrato", "m")),
    "triangle": (("triangle", "m"), ("triángulo", "m"), ("triangolo", "m")),
    "star": (("étoile", "f"), ("estrella", "f"), ("stella", "f")),
    "diamond": (("losange", "m"), ("rombo", "m"), ("rombo", "m")),
}
ROMANCE_COLOURS = {
    "red": (("rouge", "rouge"), ("rojo", "roja"), ("rosso", "rossa")),
    "green": (("vert", "verte"), ("verde", "verde"), ("verde", "verde")),
    "blue": (("bleu", "bleue"), ("azul", "azul"), ("blu", "blu")),
    "yellow": (("jaune", "jaune"), ("amarillo", "amarilla"), ("giallo", "gialla")),
    "purple": (("violet", "violette"), ("morado", "morada"), ("viola", "viola")),
    "orange": (("orange", "orange"), ("naranja", "naranja"), ("arancione", "arancione")),
}
FR_NOUNS, ES_NOUNS, IT_NOUNS = ({k: v[i] for k, v in ROMANCE_NOUNS.items()} for i in range(3))
FR_COLOURS, ES_COLOURS, IT_COLOURS = (
    {k: v[i] for k, v in ROMANCE_COLOURS.items()} for i in range(3)
)

# -- French ----------------------------------------------------------------------------------
FR_SIZES = {"small": ("petit", "petite"), "big": ("grand", "grande")}
FR_POSITIONS = {"left": "à gauche", "right": "à droite", "top": "en haut", "bottom": "en bas"}
FR_RELATIONS = {
    "left of": "à gauche de",
    "right of": "à droite de",
    "above": "au-dessus de",
    "below": "au-dessous de",
}


def fr_phrase(o: WorldObject) -> str:
    """'une petite étoile rouge': size before the noun, colour after, all agreeing."""
    noun, gender = FR_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    article = ("un", "une")[g]
    return f"{article} {FR_SIZES[o.size][g]} {noun} {FR_COLOURS[o.colour][g]}"


def fr_after_de(preposition: str, phrase: str) -> str:
    """'à gauche de' + 'un ...' -> 'à gauche d'un ...' (elision)."""
    if preposition.endswith(" de") and phrase.startswith("un"):
        return f"{preposition[:-3]} d'{phrase}"
    return f"{preposition} {phrase}"


def french_single(o: WorldObject) -> list[str]:
    """Phrasings of one French object."""
    pos = FR_POSITIONS[o.position]
    return [f"{fr_phrase(o)} {pos}", f"{pos}, {fr_phrase(o)}", f"il y a {fr_phrase(o)} {pos}"]


def french_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two French objects in a relation."""
    tail = fr_after_de(FR_RELATIONS[relation], fr_phrase(b))
    return [f"{fr_phrase(a)} {tail}", f"il y a {fr_phrase(a)} {tail}"]


# -- Spanish ---------------------------------------------------------------------------------
ES_SIZES_AFTER = {"small": ("pequeño", "pequeña"), "big": ("grande", "grande")}
ES_SIZES_BEFORE = {"small": ("pequeño", "pequeña"), "big": ("gran", "gran")}  # apocope
ES_POSITIONS = {
    "left": "a la izquierda",
    "right": "a la derecha",
    "top": "arriba",
    "bottom": "abajo",
}
ES_RELATIONS = {
    "left of": "a la izquierda de",
    "right of": "a la derecha de",
    "above": "encima de",
    "below": "debajo de",
}


def es_phrase(o: WorldObject, size_first: bool = True) -> str:
    """'una pequeña estrella roja', 'un gran círculo azul', or 'un círculo azul grande'."""
    noun, gender = ES_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    article, colour = ("un", "una")[g], ES_COLOURS[o.colour][g]
    if size_first:
        return f"{article} {ES_SIZES_BEFORE[o.size][g]} {noun} {colour}"
    return f"{article} {noun} {colour} {ES_SIZES_AFTER[o.size][g]}"


def spanish_single(o: WorldObject) -> list[str]:
    """Phrasings of one Spanish object."""
    pos = ES_POSITIONS[o.position]
    return [
        f"{es_phrase(o)} {pos}",
        f"{pos} hay {es_phrase(o)}",
        f"hay {es_phrase(o, size_first=False)} {pos}",
    ]


def spanish_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Spanish objects in a relation."""
    rel = ES_RELATIONS[relation]
    return [
        f"{es_phrase(a)} {rel} {es_phrase(b)}",
        f"hay {es_phrase(a, size_first=False)} {rel} {es_phrase(b, size_first=False)}",
    ]


# -- Italian ---------------------------------------------------------------------------------
IT_SIZES = {"small": ("piccolo", "piccola"), "big": ("grande", "grande")}
IT_POSITIONS = {"left": "a sinistra", "right": "a destra", "top": "in alto", "bottom": "in basso"}
IT_RELATIONS = {
    "left of": "a sinistra di",
    "right of": "a destra di",
    "above": "sopra",
    "below": "sotto",
}


def it_phrase(o: WorldObject, size_first: bool = True) -> str:
    """'una piccola stella rossa' or 'un cerchio blu grande'."""
    noun, gender = IT_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    article, colour, size = ("un", "una")[g], IT_COLOURS[o.colour][g], IT_SIZES[o.size][g]
    return (
        f"{article} {size} {noun} {colour}" if size_first else f"{article} {noun} {colour} {size}"
    )


def italian_single(o: WorldObject) -> list[str]:
    """Phrasings of one Italian object."""
    pos = IT_POSITIONS[o.position]
    return [
        f"{it_phrase(o)} {pos}",
        f"{pos} c'è {it_phrase(o)}",
        f"c'è {it_phrase(o, size_first=False)} {pos}",
    ]


def italian_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Italian objects in a relation."""
    rel = IT_RELATIONS[relation]
    return [f"{it_phrase(a)} {rel} {it_phrase(b)}", f"c'è {it_phrase(a)} {rel} {it_phrase(b)}"]
