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

from gluegen_world.captions.cjk import chinese_pair, chinese_single, japanese_pair, japanese_single
from gluegen_world.captions.english import (
    EN_POSITIONS,
    EN_RELATIONS,
    en_article,
    english_pair,
    english_single,
)
from gluegen_world.captions.german import german_pair, german_single
from gluegen_world.captions.romance import (
    french_pair,
    french_single,
    italian_pair,
    italian_single,
    spanish_pair,
    spanish_single,
)
from gluegen_world.scenes import Scene

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


__all__ = [
    "EN_POSITIONS",
    "EN_RELATIONS",
    "GRAMMARS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "caption",
    "captions",
    "en_article",
]
