"""Captions of shapes-world scenes in seven languages, each with its own grammar.

English, Chinese, French, Spanish, Italian, Japanese (the paper's five and English) and German.
Every language has several phrasings, its own word order and its own agreement: grammatical
gender and articles (French, Spanish, Italian, German), adjective endings by gender and case
(German nominative, accusative, dative), apocope (Spanish "gran"), elision (French "d'un"),
measure words (Chinese 个 / 颗), attributive forms (Japanese 赤い / 緑の), "a" / "an" (English).

Phrasings come in two sets. The corpus phrasings (`captions`) are what parallel corpora and
test prompts are written in. The held-out phrasings (`heldout_captions`: the same sentence with
other verbs and word orders, "se trouve", "befindet sich", 出现在) are never in a parallel
corpus: they test whether a GlueNet learnt the language or the corpus's templates. The world's
XLM-R reads both, as a real one has read every phrasing. English has corpus phrasings only:
it is the generator's language, and its phrasings are the ones the generator was trained on.

`caption(scene, language, rng, phrasings)` picks one of a set ("corpus", "heldout", "all").
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gluegen_world.captions.cjk import (
    JA_FRAMES,
    JA_HELDOUT_FRAMES,
    ZH_FRAMES,
    ZH_HELDOUT_FRAMES,
    chinese_pair,
    chinese_single,
    japanese_pair,
    japanese_single,
)
from gluegen_world.captions.english import (
    EN_POSITIONS,
    EN_RELATIONS,
    en_article,
    english_pair,
    english_single,
)
from gluegen_world.captions.german import (
    DE_FRAMES,
    DE_HELDOUT_FRAMES,
    german_pair,
    german_single,
)
from gluegen_world.captions.romance import (
    ES_FRAMES,
    ES_HELDOUT_FRAMES,
    FR_FRAMES,
    FR_HELDOUT_FRAMES,
    IT_FRAMES,
    IT_HELDOUT_FRAMES,
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
# Each foreign language's one-object frames: (corpus frames, held-out frames); its single-object
# grammar (GRAMMARS[language][0]) fills any of them: `single(obj, frames)`.
FRAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zh": (ZH_FRAMES, ZH_HELDOUT_FRAMES),
    "fr": (FR_FRAMES, FR_HELDOUT_FRAMES),
    "es": (ES_FRAMES, ES_HELDOUT_FRAMES),
    "it": (IT_FRAMES, IT_HELDOUT_FRAMES),
    "ja": (JA_FRAMES, JA_HELDOUT_FRAMES),
    "de": (DE_FRAMES, DE_HELDOUT_FRAMES),
}
PHRASINGS = ("corpus", "heldout", "all")


def captions(scene: Scene, language: str) -> list[str]:
    """Every corpus phrasing of `scene` in `language`."""
    if language not in GRAMMARS:
        raise ValueError(f"Unknown language {language!r}; one of {list(LANGUAGES)}.")
    single, pair = GRAMMARS[language]
    if scene.relation is None:
        return single(scene.objects[0])
    return pair(scene.objects[0], scene.relation, scene.objects[1])


def heldout_captions(scene: Scene, language: str) -> list[str]:
    """Every held-out phrasing of `scene` in `language` ([] for English and two objects)."""
    if language not in GRAMMARS:
        raise ValueError(f"Unknown language {language!r}; one of {list(LANGUAGES)}.")
    if language not in FRAMES or scene.relation is not None:
        return []
    return GRAMMARS[language][0](scene.objects[0], FRAMES[language][1])


def caption(scene: Scene, language: str, rng: random.Random, phrasings: str = "corpus") -> str:
    """One phrasing of `scene` in `language` from the set `phrasings`, chosen by `rng`."""
    if phrasings not in PHRASINGS:
        raise ValueError(f"phrasings must be one of {PHRASINGS}, got {phrasings!r}")
    corpus = captions(scene, language) if phrasings != "heldout" else []
    heldout = heldout_captions(scene, language) if phrasings != "corpus" else []
    if phrasings == "heldout" and not heldout:
        raise ValueError(
            f"No held-out phrasings for this scene in {language!r}: only one-object scenes in "
            f"{sorted(FRAMES)} have them."
        )
    return rng.choice(corpus + heldout)


__all__ = [
    "EN_POSITIONS",
    "EN_RELATIONS",
    "FRAMES",
    "GRAMMARS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "PHRASINGS",
    "caption",
    "captions",
    "en_article",
    "heldout_captions",
]
