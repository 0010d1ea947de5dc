"""Captions of shapes-world scenes in seven languages, each with its own grammar.

English, Chinese, French, Spanish, Italian, Japanese (the paper's five and English) and German.
Every language has several phrasings, its own word order and its own agreement: grammatical
gender and articles (French, Spanish, Italian, German), adjective endings by gender and case
(German nominative, accusative, dative), apocope (Spanish "gran"), elision (French "d'un"),
measure words (Chinese 个 / 颗), attributive forms (Japanese 赤い / 緑の), "a" / "an" (English).

`captions(scene, language)` lists every phrasing; `caption(scene, language, rng)` picks one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gluegen_world.scenes import Scene, WorldObject

LANGUAGES = ("en", "zh", "fr", "es", "it", "ja", "de")
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "ja": "Japanese",
    "de": "German",
}


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


# -- French ----------------------------------------------------------------------------------
FR_NOUNS = {
    "circle": ("cercle", "m"),
    "square": ("carré", "m"),
    "triangle": ("triangle", "m"),
    "star": ("étoile", "f"),
    "diamond": ("losange", "m"),
}
FR_COLOURS = {
    "red": ("rouge", "rouge"),
    "green": ("vert", "verte"),
    "blue": ("bleu", "bleue"),
    "yellow": ("jaune", "jaune"),
    "purple": ("violet", "violette"),
    "orange": ("orange", "orange"),  # invariable: a colour named after a fruit
}
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
ES_NOUNS = {
    "circle": ("círculo", "m"),
    "square": ("cuadrado", "m"),
    "triangle": ("triángulo", "m"),
    "star": ("estrella", "f"),
    "diamond": ("rombo", "m"),
}
ES_COLOURS = {
    "red": ("rojo", "roja"),
    "green": ("verde", "verde"),
    "blue": ("azul", "azul"),
    "yellow": ("amarillo", "amarilla"),
    "purple": ("morado", "morada"),
    "orange": ("naranja", "naranja"),
}
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
IT_NOUNS = {
    "circle": ("cerchio", "m"),
    "square": ("quadrato", "m"),
    "triangle": ("triangolo", "m"),
    "star": ("stella", "f"),
    "diamond": ("rombo", "m"),
}
IT_COLOURS = {
    "red": ("rosso", "rossa"),
    "green": ("verde", "verde"),
    "blue": ("blu", "blu"),  # invariable
    "yellow": ("giallo", "gialla"),
    "purple": ("viola", "viola"),  # invariable
    "orange": ("arancione", "arancione"),
}
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
DE_RELATIONS = {"left of": "links von", "right of": "rechts von", "above": "über", "below": "unter"}


def de_phrase(o: WorldObject, case: str = "nom") -> str:
    """'ein kleiner roter Kreis' (nom), 'einen kleinen roten Kreis' (acc), 'einer ...' (dat)."""
    noun, gender = DE_NOUNS[o.shape]
    article, ending = DE_DECLENSION[(case, gender)]
    return f"{article} {DE_SIZES[o.size]}{ending} {DE_COLOURS[o.colour]}{ending} {noun}"


def german_single(o: WorldObject) -> list[str]:
    """Phrasings of one German object (verb second: 'links ist ein ...')."""
    pos = DE_POSITIONS[o.position]
    return [
        f"{de_phrase(o)} {pos}",
        f"{pos} ist {de_phrase(o)}",
        f"es gibt {de_phrase(o, 'acc')} {pos}",
    ]


def german_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two German objects; the prepositions take the dative."""
    tail = f"{DE_RELATIONS[relation]} {de_phrase(b, 'dat')}"
    return [f"{de_phrase(a)} {tail}", f"{de_phrase(a)} ist {tail}"]


# -- Chinese ---------------------------------------------------------------------------------
ZH_NOUNS = {
    "circle": ("圆形", "个"),
    "square": ("正方形", "个"),
    "triangle": ("三角形", "个"),
    "star": ("星星", "颗"),  # stars take the measure word 颗
    "diamond": ("菱形", "个"),
}
ZH_COLOURS = {
    "red": "红色",
    "green": "绿色",
    "blue": "蓝色",
    "yellow": "黄色",
    "purple": "紫色",
    "orange": "橙色",
}
ZH_SIZES = {"small": "小", "big": "大"}
ZH_POSITIONS = {"left": "左边", "right": "右边", "top": "上面", "bottom": "下面"}
ZH_RELATIONS = {"left of": "左边", "right of": "右边", "above": "上面", "below": "下面"}


def zh_phrase(o: WorldObject, colour_first: bool = True) -> str:
    """'一个红色的小圆形' or '一颗大的黄色星星'."""
    noun, measure = ZH_NOUNS[o.shape]
    colour, size = ZH_COLOURS[o.colour], ZH_SIZES[o.size]
    if colour_first:
        return f"一{measure}{colour}的{size}{noun}"
    return f"一{measure}{size}的{colour}{noun}"


def chinese_single(o: WorldObject) -> list[str]:
    """Phrasings of one Chinese object (no spaces)."""
    pos = ZH_POSITIONS[o.position]
    return [
        f"{pos}有{zh_phrase(o)}",
        f"{zh_phrase(o, colour_first=False)}在{pos}",
        f"画面{pos}是{zh_phrase(o)}",
    ]


def chinese_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Chinese objects: A 在 B 的左边 / B 的左边有 A."""
    rel = ZH_RELATIONS[relation]
    return [f"{zh_phrase(a)}在{zh_phrase(b)}的{rel}", f"{zh_phrase(b)}的{rel}有{zh_phrase(a)}"]


# -- Japanese --------------------------------------------------------------------------------
JA_NOUNS = {
    "circle": "円",
    "square": "正方形",
    "triangle": "三角形",
    "star": "星",
    "diamond": "ひし形",
}
# Attributive forms: i-adjectives end in い; nouns used as colours take の.
JA_COLOURS = {
    "red": "赤い",
    "green": "緑の",
    "blue": "青い",
    "yellow": "黄色い",
    "purple": "紫の",
    "orange": "オレンジ色の",
}
JA_SIZES = {"small": ("小さい", "小さな"), "big": ("大きい", "大きな")}
JA_POSITIONS = {"left": "左", "right": "右", "top": "上", "bottom": "下"}
JA_RELATIONS = {"left of": "左", "right of": "右", "above": "上", "below": "下"}


def ja_phrase(o: WorldObject, na_form: bool = False) -> str:
    """'小さい赤い円' or, with the pre-noun form, '小さな赤い円'."""
    return f"{JA_SIZES[o.size][int(na_form)]}{JA_COLOURS[o.colour]}{JA_NOUNS[o.shape]}"


def japanese_single(o: WorldObject) -> list[str]:
    """Phrasings of one Japanese object (the verb last)."""
    pos = JA_POSITIONS[o.position]
    return [
        f"{pos}に{ja_phrase(o)}があります",
        f"{ja_phrase(o)}が{pos}にある",
        f"{pos}側の{ja_phrase(o, na_form=True)}",
    ]


def japanese_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Japanese objects: B の左に A がある."""
    rel = JA_RELATIONS[relation]
    return [
        f"{ja_phrase(b)}の{rel}に{ja_phrase(a)}がある",
        f"{ja_phrase(a)}は{ja_phrase(b)}の{rel}にあります",
    ]


GRAMMARS: dict[str, tuple[Callable, Callable]] = {
    "en": (english_single, english_pair),
    "zh": (chinese_single, chinese_pair),
    "fr": (french_single, french_pair),
    "es": (spanish_single, spanish_pair),
    "it": (italian_single, italian_pair),
    "ja": (japanese_single, japanese_pair),
    "de": (german_single, german_pair),
}


def captions(scene: Scene, language: str) -> list[str]:
    """Every phrasing of `scene` in `language`."""
    if language not in GRAMMARS:
        raise ValueError(f"Unknown language {language!r}; one of {list(LANGUAGES)}.")
    single, pair = GRAMMARS[language]
    if scene.relation is None:
        return single(scene.objects[0])
    return pair(scene.objects[0], scene.relation, scene.objects[1])


def caption(scene: Scene, language: str, rng: random.Random) -> str:
    """One phrasing of `scene` in `language`, chosen by `rng`."""
    return rng.choice(captions(scene, language))
