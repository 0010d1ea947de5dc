"""Captions of shapes-world scenes in seven languages, each with its own grammar.

English, Chinese, French, Spanish, Italian, Japanese (the paper's five and English) and German.
Every language has its own word order and its own agreement: grammatical gender and articles
(French, Spanish, Italian, German), adjective endings by gender and case (German nominative,
accusative, dative; weak and strong), apocope (Spanish "gran"), elision and contraction (French
"d'un", "du"), measure words (Chinese 个 / 颗), attributive, te- and predicate forms (Japanese
赤い / 赤くて / 緑だ), "a" / "an" (English).

Phrasings come in families, whole constructions (`FAMILIES`):
- "corpus": what parallel corpora are written in, a narrow part of the grammar, as translated
  captions are (`captions`); English's are the ones the generator was trained on;
- "verbs" (other verbs and word orders, "se trouve", 出现在) and "relative" (relative clauses,
  "qui est grand et rouge", 是红色的): held out, to choose settings on (validation);
- "predicate" (attributes as predicates, "le cercle de gauche est grand et rouge", 左の円は赤くて
  大きい) and "dropped" (articles and measure words dropped, "grand cercle rouge à gauche",
  红色大圆在左边): held out, to test on;
- requests as people type them: "request" (imperatives, "dessine ...", 请画...) and "photo"
  (a photo or a drawing of what is asked for, "une photo d'...", ...がある写真): validation;
  "polite" ("je voudrais une image d'...", ...を描いてください): test.
Every family other than the corpus also says the place in a third way ("du côté gauche", 最左边)
and, in Chinese, the short nouns people type (圆, 方块). No held-out family is in any parallel
corpus; the world's XLM-R reads every family, as a real one has read what people write.

`caption(scene, language, rng, phrasings)` picks one phrasing of a set (`PHRASINGS`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gluegen_world.captions import cjk, english, german, romance
from gluegen_world.captions.cjk import chinese_pair, chinese_single, japanese_pair, japanese_single
from gluegen_world.captions.english import (
    EN_POSITIONS,
    EN_RELATIONS,
    en_article,
    english_pair,
    english_single,
)
from gluegen_world.captions.frames import fill_forms
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

# The corpus family: (one object, two objects in a relation) -> every phrasing
GRAMMARS: dict[str, tuple[Callable, Callable]] = {
    "en": (english_single, english_pair),
    "zh": (chinese_single, chinese_pair),
    "fr": (french_single, french_pair),
    "es": (spanish_single, spanish_pair),
    "it": (italian_single, italian_pair),
    "ja": (japanese_single, japanese_pair),
    "de": (german_single, german_pair),
}
# The other families: (forms of one object, forms of two, {family: (frames, pair frames)})
FORMS: dict[str, tuple[Callable, Callable, dict]] = {
    "en": (english.en_forms, english.en_pair_forms, english.EN_FAMILIES),
    "zh": (cjk.zh_forms, cjk.zh_pair_forms, cjk.ZH_FAMILIES),
    "fr": (romance.fr_forms, romance.fr_pair_forms, romance.FR_FAMILIES),
    "es": (romance.es_forms, romance.es_pair_forms, romance.ES_FAMILIES),
    "it": (romance.it_forms, romance.it_pair_forms, romance.IT_FAMILIES),
    "ja": (cjk.ja_forms, cjk.ja_pair_forms, cjk.JA_FAMILIES),
    "de": (german.de_forms, german.de_pair_forms, german.DE_FAMILIES),
}
# family -> its role: what parallel corpora hold, what settings are chosen on, what is tested
FAMILY_ROLES = {
    "corpus": "corpus",
    "verbs": "validation",
    "relative": "validation",
    "request": "validation",
    "photo": "validation",
    "predicate": "test",
    "dropped": "test",
    "polite": "test",
}
FAMILIES = tuple(FAMILY_ROLES)
REQUEST_FAMILIES = ("request", "photo", "polite")
ROLES = ("validation", "test")
# named sets of families: what `caption` draws from
PHRASINGS: dict[str, tuple[str, ...]] = {
    "corpus": ("corpus",),
    **{
        role: tuple(f for f, r in FAMILY_ROLES.items() if r == role and f not in REQUEST_FAMILIES)
        for role in ROLES
    },
    **{
        f"{role}-requests": tuple(f for f in REQUEST_FAMILIES if FAMILY_ROLES[f] == role)
        for role in ROLES
    },
    "requests": REQUEST_FAMILIES,
    "all": FAMILIES,
}


def _known(language: str) -> None:
    if language not in GRAMMARS:
        raise ValueError(f"Unknown language {language!r}; one of {list(LANGUAGES)}.")


def captions(scene: Scene, language: str) -> list[str]:
    """Every corpus phrasing of `scene` in `language`."""
    _known(language)
    single, pair = GRAMMARS[language]
    if scene.relation is None:
        return single(scene.objects[0])
    return pair(scene.objects[0], scene.relation, scene.objects[1])


def family_captions(scene: Scene, language: str, family: str) -> list[str]:
    """Every phrasing of `scene` in `language` of one family (`FAMILIES`)."""
    _known(language)
    if family not in FAMILY_ROLES:
        raise ValueError(f"Unknown family {family!r}; one of {list(FAMILIES)}.")
    if family == "corpus":
        return captions(scene, language)
    forms, pair_forms, families = FORMS[language]
    single_frames, pair_frames = families[family]
    if scene.relation is None:
        return fill_forms(single_frames, forms(scene.objects[0]))
    return fill_forms(pair_frames, pair_forms(scene.objects[0], scene.relation, scene.objects[1]))


def caption(scene: Scene, language: str, rng: random.Random, phrasings: str = "corpus") -> str:
    """One phrasing of `scene` in `language` from the families of `phrasings` (`PHRASINGS`),
    chosen by `rng`: a family, then one of its phrasings."""
    if phrasings not in PHRASINGS:
        raise ValueError(f"phrasings must be one of {list(PHRASINGS)}, got {phrasings!r}")
    families = PHRASINGS[phrasings]
    # one family draws nothing to choose it: corpus captions stay what they were
    family = families[0] if len(families) == 1 else rng.choice(families)
    return rng.choice(family_captions(scene, language, family))


__all__ = [
    "EN_POSITIONS",
    "EN_RELATIONS",
    "FAMILIES",
    "FAMILY_ROLES",
    "GRAMMARS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "PHRASINGS",
    "REQUEST_FAMILIES",
    "caption",
    "captions",
    "en_article",
    "family_captions",
]
