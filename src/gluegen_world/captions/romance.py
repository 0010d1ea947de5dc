"""French, Spanish and Italian captions: grammatical gender and articles, adjectives after
the noun, apocope (Spanish "gran"), elision (French "d'un").

Each language's corpus frames (`*_FRAMES`) and held-out frames (`*_HELDOUT_FRAMES`: other verbs
and word orders of the same sentence, never in a parallel corpus); `*_single(obj, frames)`
fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill
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
FR_POSITIONS_ALT = {
    "left": "sur la gauche",
    "right": "sur la droite",
    "top": "tout en haut",
    "bottom": "tout en bas",
}
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


FR_FRAMES = (
    "{np} {pos}",
    "{pos}, {np}",
    "il y a {np} {pos}",
    "{pos}, il y a {np}",
    "on voit {np} {pos}",
    "{np} est {pos}",
)
# other verbs ("se trouve") and orders ("on voit" after the place): in no corpus
FR_HELDOUT_FRAMES = (
    "{np} se trouve {pos}",
    "{pos}, on voit {np}",
    "{pos} se trouve {np}",
    "il y a {pos} {np}",
)


def french_single(o: WorldObject, frames: tuple[str, ...] = FR_FRAMES) -> list[str]:
    """Phrasings of one French object (corpus frames unless said)."""
    places = [FR_POSITIONS[o.position], FR_POSITIONS_ALT[o.position]]
    return fill(frames, places, [{"np": fr_phrase(o)}])


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
ES_POSITIONS_ALT = {
    "left": "en el lado izquierdo",
    "right": "en el lado derecho",
    "top": "en la parte de arriba",
    "bottom": "en la parte de abajo",
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


ES_FRAMES = (
    "{np} {pos}",
    "{pos} hay {np}",
    "hay {np} {pos}",
    "{np} está {pos}",
    "se ve {np} {pos}",
    "{pos}, {np}",
)
ES_HELDOUT_FRAMES = (
    "{np} se encuentra {pos}",
    "{pos} se ve {np}",
    "hay {pos} {np}",
    "{pos} está {np}",
)


def spanish_single(o: WorldObject, frames: tuple[str, ...] = ES_FRAMES) -> list[str]:
    """Phrasings of one Spanish object, the size before or after the noun (corpus frames
    unless said)."""
    places = [ES_POSITIONS[o.position], ES_POSITIONS_ALT[o.position]]
    return fill(frames, places, [{"np": es_phrase(o)}, {"np": es_phrase(o, size_first=False)}])


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
IT_POSITIONS_ALT = {
    "left": "sul lato sinistro",
    "right": "sul lato destro",
    "top": "in cima",
    "bottom": "in fondo",
}
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


IT_FRAMES = (
    "{np} {pos}",
    "{pos} c'è {np}",
    "c'è {np} {pos}",
    "{np} è {pos}",
    "si vede {np} {pos}",
    "{pos}, {np}",
)
IT_HELDOUT_FRAMES = (
    "{np} si trova {pos}",
    "{pos} si vede {np}",
    "c'è {pos} {np}",
    "{pos} si trova {np}",
)


def italian_single(o: WorldObject, frames: tuple[str, ...] = IT_FRAMES) -> list[str]:
    """Phrasings of one Italian object, the size before or after the noun (corpus frames
    unless said)."""
    places = [IT_POSITIONS[o.position], IT_POSITIONS_ALT[o.position]]
    return fill(frames, places, [{"np": it_phrase(o)}, {"np": it_phrase(o, size_first=False)}])


def italian_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Italian objects in a relation."""
    rel = IT_RELATIONS[relation]
    return [f"{it_phrase(a)} {rel} {it_phrase(b)}", f"c'è {it_phrase(a)} {rel} {it_phrase(b)}"]
