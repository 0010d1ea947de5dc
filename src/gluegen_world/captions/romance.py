"""French, Spanish and Italian captions: grammatical gender and articles, adjectives after
the noun, apocope (Spanish "gran"), elision (French "d'un").

Each language's corpus frames (`*_FRAMES`) and held-out frames (`*_HELDOUT_FRAMES`: other verbs
and word orders of the same sentence, never in a parallel corpus); `*_single(obj, frames)`
fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill, places
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


# -- the other families: what people also write ----------------------------------------------
# Each language's forms of one object (`*_forms`) and of two in a relation (`*_pair_forms`),
# and its families' frames over them: family -> (one-object frames, two-object frames).
# `{pos}` is a corpus place; `{where}` any place, a third wording included.
FR_POSITIONS_THIRD = {
    "left": "du côté gauche",
    "right": "du côté droit",
    "top": "vers le haut",
    "bottom": "vers le bas",
}
FR_PLACE_MODIFIERS = {
    "left": "de gauche",
    "right": "de droite",
    "top": "du haut",
    "bottom": "du bas",
}
ES_POSITIONS_THIRD = {
    "left": "hacia la izquierda",
    "right": "hacia la derecha",
    "top": "en lo alto",
    "bottom": "en la parte baja",
}
ES_PLACE_MODIFIERS = {
    "left": "de la izquierda",
    "right": "de la derecha",
    "top": "de arriba",
    "bottom": "de abajo",
}
IT_POSITIONS_THIRD = {
    "left": "dalla parte sinistra",
    "right": "dalla parte destra",
    "top": "nella parte alta",
    "bottom": "nella parte bassa",
}


# Each language's definite noun phrases before a relation: (nouns, colours, sizes before the
# noun, relations, articles m / f, the indefinite phrase, "de" + the masculine / feminine one)
DEFINITES = {
    "fr": (FR_NOUNS, FR_COLOURS, FR_SIZES, FR_RELATIONS, ("le", "la"), fr_phrase, "du", "de la"),
    "es": (
        ES_NOUNS,
        ES_COLOURS,
        ES_SIZES_BEFORE,
        ES_RELATIONS,
        ("el", "la"),
        es_phrase,
        "del",
        "de la",
    ),
    "it": (IT_NOUNS, IT_COLOURS, IT_SIZES, IT_RELATIONS, ("il", "la"), it_phrase, "del", "della"),
}


def _pair_forms(language: str, a: WorldObject, relation: str, b: WorldObject) -> dict[str, str]:
    """The forms of two objects in a relation: indefinite, definite ('à gauche du petit carré
    bleu', 'a sinistra della piccola stella', 'sopra il ...') and bare."""
    nouns, colours, sizes, relations, articles, phrase, of_m, of_f = DEFINITES[language]
    rel = relations[relation]

    def definite(o: WorldObject) -> tuple[int, str]:
        noun, gender = nouns[o.shape]
        g = 0 if gender == "m" else 1
        return g, f"{sizes[o.size][g]} {noun} {colours[o.colour][g]}"

    (g_a, phrase_a), (g_b, phrase_b) = definite(a), definite(b)
    if rel.endswith((" de", " di")):  # the preposition takes the article in
        rel_the_b = f"{rel[:-3]} {(of_m, of_f)[g_b]} {phrase_b}"
    else:
        rel_the_b = f"{rel} {articles[g_b]} {phrase_b}"
    return {
        "np_a": phrase(a),
        "np_b": phrase(b),
        "the_a": f"{articles[g_a]} {phrase_a}",
        "rel_the_b": rel_the_b,
        "bare_a": phrase_a,
        "bare_b": phrase_b,
        "rel": rel,
    }


def fr_forms(o: WorldObject) -> list[dict[str, str]]:
    """'le cercle de gauche est grand et rouge', 'dessine un grand cercle rouge à gauche' ..."""
    noun, gender = FR_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    size, colour = FR_SIZES[o.size][g], FR_COLOURS[o.colour][g]
    the = f"l'{noun}" if noun[0] in "aeioué" else f"{('le', 'la')[g]} {noun}"
    return [
        {
            "np": fr_phrase(o),
            "pos": pos,
            "where": where,
            "the": the,
            "place_mod": FR_PLACE_MODIFIERS[o.position],
            "a_noun": f"{('un', 'une')[g]} {noun}",
            "adjs": f"{size} et {colour}",
            "size": size,
            "colour": colour,
            "bare": f"{size} {noun} {colour}",
        }
        for pos, where in places(o.position, FR_POSITIONS, FR_POSITIONS_ALT, FR_POSITIONS_THIRD)
    ]


def fr_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'le grand cercle rouge est à gauche du petit carré bleu' ..."""
    forms = _pair_forms("fr", a, relation, b)
    return [{**forms, "rel_b": fr_after_de(forms["rel"], forms["np_b"])}]


FR_FAMILIES = {
    "verbs": (FR_HELDOUT_FRAMES, ("{np_a} se trouve {rel_b}", "on voit {np_a} {rel_b}")),
    "relative": (
        (
            "il y a {where} {a_noun} qui est {adjs}",
            "{where}, il y a {a_noun} {colour} qui est {size}",
        ),
        ("il y a {np_a} qui est {rel_b}",),
    ),
    "predicate": (
        ("{the} {place_mod} est {adjs}", "{where}, {the} est {colour} et {size}"),
        ("{the_a} est {rel_the_b}",),
    ),
    "dropped": (("{bare} {where}", "{where} : {bare}"), ("{bare_a} {rel} {bare_b}",)),
    "request": (
        ("dessine {np} {where}", "dessinez {np} {where}", "fais {np} {where}"),
        ("dessine {np_a} {rel_b}",),
    ),
    "photo": (
        ("une photo d'{np} {where}", "montre-moi un dessin d'{np} {where}"),
        ("une photo d'{np_a} {rel_b}",),
    ),
    "polite": (
        (
            "pourriez-vous dessiner {np} {where} ?",
            "je voudrais une image d'{np} {where}",
            "s'il te plaît, dessine {np} {where}",
        ),
        ("je voudrais une image d'{np_a} {rel_b}", "pourriez-vous dessiner {np_a} {rel_b} ?"),
    ),
}


def es_forms(o: WorldObject) -> list[dict[str, str]]:
    """'el círculo de la izquierda es grande y azul', 'dibuja un gran círculo azul arriba' ..."""
    noun, gender = ES_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    size, colour = ES_SIZES_AFTER[o.size][g], ES_COLOURS[o.colour][g]
    return [
        {
            "np": es_phrase(o, size_first),
            "pos": pos,
            "where": where,
            "the": f"{('el', 'la')[g]} {noun}",
            "place_mod": ES_PLACE_MODIFIERS[o.position],
            "a_noun": f"{('un', 'una')[g]} {noun}",
            "adjs": f"{size} y {colour}",
            "size": size,
            "colour": colour,
            "bare": f"{ES_SIZES_BEFORE[o.size][g]} {noun} {colour}"
            if size_first
            else f"{noun} {colour} {size}",
        }
        for pos, where in places(o.position, ES_POSITIONS, ES_POSITIONS_ALT, ES_POSITIONS_THIRD)
        for size_first in (True, False)
    ]


def es_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'el gran círculo azul está a la izquierda del pequeño cuadrado rojo' ..."""
    return [_pair_forms("es", a, relation, b)]


ES_FAMILIES = {
    "verbs": (ES_HELDOUT_FRAMES, ("{np_a} se encuentra {rel} {np_b}", "se ve {np_a} {rel} {np_b}")),
    "relative": (
        ("hay {where} {a_noun} que es {adjs}", "{where} hay {a_noun} {colour} que es {size}"),
        ("hay {np_a} que está {rel} {np_b}",),
    ),
    "predicate": (
        ("{the} {place_mod} es {adjs}", "{where}, {the} es {colour} y {size}"),
        ("{the_a} está {rel_the_b}",),
    ),
    "dropped": (("{bare} {where}",), ("{bare_a} {rel} {bare_b}",)),
    "request": (("dibuja {np} {where}", "haz {np} {where}"), ("dibuja {np_a} {rel} {np_b}",)),
    "photo": (
        ("una foto de {np} {where}", "muéstrame un dibujo de {np} {where}"),
        ("una foto de {np_a} {rel} {np_b}",),
    ),
    "polite": (
        (
            "¿puedes dibujar {np} {where}?",
            "quiero una imagen de {np} {where}",
            "por favor, dibuja {np} {where}",
        ),
        ("quiero una imagen de {np_a} {rel} {np_b}", "¿puedes dibujar {np_a} {rel} {np_b}?"),
    ),
}


def it_forms(o: WorldObject) -> list[dict[str, str]]:
    """'il cerchio a sinistra è grande e rosso', 'disegna un cerchio rosso grande' ..."""
    noun, gender = IT_NOUNS[o.shape]
    g = 0 if gender == "m" else 1
    size, colour = IT_SIZES[o.size][g], IT_COLOURS[o.colour][g]
    return [
        {
            "np": it_phrase(o, size_first),
            "pos": pos,
            "where": where,
            "the": f"{('il', 'la')[g]} {noun}",
            "a_noun": f"{('un', 'una')[g]} {noun}",
            "adjs": f"{size} e {colour}",
            "size": size,
            "colour": colour,
            "bare": f"{size} {noun} {colour}" if size_first else f"{noun} {colour} {size}",
        }
        for pos, where in places(o.position, IT_POSITIONS, IT_POSITIONS_ALT, IT_POSITIONS_THIRD)
        for size_first in (True, False)
    ]


def it_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'il grande cerchio rosso è a sinistra del piccolo quadrato blu' ..."""
    return [_pair_forms("it", a, relation, b)]


IT_FAMILIES = {
    "verbs": (IT_HELDOUT_FRAMES, ("{np_a} si trova {rel} {np_b}", "si vede {np_a} {rel} {np_b}")),
    "relative": (
        ("c'è {where} {a_noun} che è {adjs}", "{where} c'è {a_noun} {colour} che è {size}"),
        ("c'è {np_a} che sta {rel} {np_b}",),
    ),
    "predicate": (
        ("{the} {where} è {adjs}", "{where}, {the} è {colour} e {size}"),
        ("{the_a} è {rel_the_b}",),
    ),
    "dropped": (("{bare} {where}",), ("{bare_a} {rel} {bare_b}",)),
    "request": (("disegna {np} {where}", "fai {np} {where}"), ("disegna {np_a} {rel} {np_b}",)),
    "photo": (
        ("una foto di {np} {where}", "mostrami un disegno di {np} {where}"),
        ("una foto di {np_a} {rel} {np_b}",),
    ),
    "polite": (
        (
            "potresti disegnare {np} {where}?",
            "vorrei un'immagine di {np} {where}",
            "per favore, disegna {np} {where}",
        ),
        ("vorrei un'immagine di {np_a} {rel} {np_b}", "potresti disegnare {np_a} {rel} {np_b}?"),
    ),
}
