"""Which path reads each input: the GlueNet of the prompt's language, or the generator's own.

lingua reads each prompt over every language it knows (75, not only the loaded ones), so that
a prompt in a language with no GlueNet is recognised as such instead of going to the nearest
loaded one. The route of a prompt in language L:

    L has a GlueNet          -> that GlueNet
    else a shared one ('*')  -> the shared GlueNet
    else L is the generator's language (English for every supported family)
                             -> the generator's own text encoder
    else                     -> a ValueError naming L and the loaded languages

Short prompts can read as two languages about equally ("il y a un grand triangle violet en
bas": English 0.077, French 0.070). A user who loads a language's GlueNet expects prompts in
it, so the confidence of a language with a loaded GlueNet counts `prior` times (LOADED_PRIOR by
default). Inputs that are not text (sounds) go to the shared GlueNet, or the only one loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

ANY = "*"  # the key of a GlueNet that reads every language (or the only one loaded)
GENERATOR = "generator"  # the route of prompts drawn through the generator's own text encoder
GENERATOR_LANGUAGE = "en"  # what every supported family's own text encoder reads
# How many times likelier a prompt is taken to be in a language with a loaded GlueNet than its
# confidence says: the middle (geometric) of the priors with the fewest wrong routes on the
# shapes world's validation captions (benchmarks/bench_routing.py).
LOADED_PRIOR = 1.65


def all_languages_detector() -> Any:
    """lingua's detector over every language it knows, its models loaded (seconds and about
    1.2 GB, once a process; loaded already, or waited for, where `load_detector_early` began)."""
    return load_detector_early().result()


_loading: Future | None = None
_loading_lock = threading.Lock()


def load_detector_early() -> Future:
    """Begin loading lingua's detector in a thread, once a process: a command that will route
    prompts starts it before its models load, so the two overlap (experiments.md,
    2026-12-08). The future holds the detector, or the ImportError of a missing lingua, raised
    where the detector is first used."""
    global _loading
    with _loading_lock:
        if _loading is None or (_loading.done() and _loading.exception() is not None):
            _loading = Future()  # a failed load (lingua missing) is tried again when asked
            threading.Thread(target=_load_detector, args=(_loading,), daemon=True).start()
        return _loading


def _load_detector(future: Future) -> None:
    try:
        try:
            from lingua import LanguageDetectorBuilder
        except ImportError as error:
            raise ImportError(
                "Choosing a GlueNet by the prompt's language needs lingua: "
                "pip install 'gluegen[languages]', or say the language (language=..., "
                "gluegen draw --language)."
            ) from error
        builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
        future.set_result(builder.build())
    except BaseException as error:  # the caller that needs the detector sees it
        future.set_exception(error)


def check_language_keys(keys: Iterable[str]) -> None:
    """GlueNet keys are ISO 639-1 codes ("fr") or ANY."""
    wrong = [k for k in keys if k != ANY and not (len(k) == 2 and k.isascii() and k.islower())]
    if wrong:
        raise ValueError(
            f"GlueNet keys must be ISO 639-1 codes ('fr', 'zh', ...) or '*', got {wrong}."
        )


@dataclass(frozen=True)
class Route:
    """One input's path: `key` is a GlueNet's key or GENERATOR; `language` what lingua read
    (ISO 639-1), or what the caller gave, None for sounds and unreadable text."""

    key: str
    language: str | None = None

    def describe(self) -> str:
        """One line for people: the language and what drew it."""
        read = f"Detected language: **{self.language}** · " if self.language else ""
        if self.key == GENERATOR:
            return read + "drawn by the generator's own text encoder (its language)"
        if self.key == ANY:
            return read + "GlueNet: the shared one (`*`)"
        return read + f"GlueNet: **{self.key}**"


class Router:
    """Routes inputs to the GlueNets `keys` or, for prompts in `generator_language` with no
    GlueNet, to GENERATOR (when `generator_language` is not None)."""

    def __init__(
        self,
        keys: Iterable[str],
        generator_language: str | None = GENERATOR_LANGUAGE,
        prior: float = LOADED_PRIOR,
    ) -> None:
        self.keys = list(keys)
        check_language_keys(self.keys)
        self.languages = sorted(key for key in self.keys if key != ANY)
        self.generator_language = generator_language
        self.prior = prior

    def given(self, language: str) -> Route:
        """The route of inputs the caller says are in `language`."""
        if language in self.keys:
            return Route(language, None if language == ANY else language)
        if language == self.generator_language:
            return Route(GENERATOR, language)
        raise ValueError(
            f"No GlueNet for {language!r}; loaded: {sorted(self.keys)}"
            + (
                f", and {self.generator_language!r} by the generator."
                if self.generator_language
                else "."
            )
        )

    def route(self, item: Any) -> Route:
        """The route of one input (a prompt or a sound)."""
        if self.keys == [ANY]:
            return Route(ANY)
        if not isinstance(item, str):
            if ANY in self.keys or len(self.keys) == 1:
                return Route(ANY if ANY in self.keys else self.keys[0])
            raise ValueError(
                f"Cannot tell which of the loaded languages {self.languages} this input is in; "
                "pass language=... or load a shared GlueNet under the key '*'."
            )
        language = self.language_of(item)
        if language in self.keys:
            return Route(language, language)
        if ANY in self.keys:
            return Route(ANY, language)
        if language is not None and language == self.generator_language:
            return Route(GENERATOR, language)
        read = f"reads as {language!r}" if language else "is in no language lingua can tell"
        raise ValueError(
            f"{item!r} {read}, which has no GlueNet; loaded: {self.languages}. Say its "
            "language (language=..., gluegen draw --language) if lingua misread it, or load a "
            "shared GlueNet under the key '*' (--gluenet '*=DIR')."
        )

    def language_of(self, text: str) -> str | None:
        """The most likely language of `text` (ISO 639-1), a loaded GlueNet's counting
        `prior` times; None where lingua finds none."""
        best, best_score = None, 0.0
        for code, confidence in self.confidences(text):
            score = confidence * (self.prior if code in self.languages else 1.0)
            if score > best_score:
                best, best_score = code, score
        return best

    def likeliest_loaded(self, text: str) -> str:
        """The loaded language lingua finds `text` likeliest in, whatever it finds likelier
        among the others: for a caller that knows every prompt is in one of them."""
        if not self.languages:
            raise ValueError("No language's GlueNet is loaded to choose among.")
        scores = dict(self.confidences(text))
        return max(self.languages, key=lambda code: scores.get(code, 0.0))

    def confidences(self, text: str) -> list[tuple[str, float]]:
        """(ISO 639-1 code, lingua's confidence) of every language lingua knows."""
        values = all_languages_detector().compute_language_confidence_values(text)
        return [(value.language.iso_code_639_1.name.lower(), value.value) for value in values]
