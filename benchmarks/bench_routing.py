"""Routing prompts by language: wrong routes of the shapes world's captions at each prior.

lingua reads every language it knows; a language with a loaded GlueNet counts `prior` times
(gluegen/pipelines/routing.py). For each prior, every caption is routed under the demo's
loading (a GlueNet per foreign language, English to the generator's own encoder) and under
each leave-one-out loading (that language's captions must then be refused, not sent to another
GlueNet or to the generator). The prior is chosen on validation captions: every phrasing of
every language of the validation scenes and of training-split scenes; the test scenes'
captions, and the exact prompts the demo draws, are counted at the chosen prior.
Run:  python benchmarks/bench_routing.py
"""

from __future__ import annotations

import argparse
import math
import random
import time

from gluegen.pipelines.routing import GENERATOR, LOADED_PRIOR, Router, all_languages_detector
from gluegen_world.captions import FAMILIES, LANGUAGES, caption, family_captions
from gluegen_world.corpus import sample_scenes
from gluegen_world.demo.scene_sets import pair_scene_set, scene_set
from gluegen_world.demo.settings import FOREIGN, DemoSettings
from gluegen_world.models import EVAL_SEED, VALIDATION_SEED

PRIORS = (1.0, 1.1, 1.25, 1.35, 1.5, 1.65, 1.8, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0)
REFUSED = "refused"
TRAINING_SCENES = 512  # training-split scenes whose captions join the validation ones


def every_phrasing(scenes: list) -> list[tuple[str, str]]:
    """(language, caption) for every phrasing of every scene, each once."""
    found = set()
    for scene in scenes:
        for language in LANGUAGES:
            for family in FAMILIES:
                found.update((language, text) for text in family_captions(scene, language, family))
    return sorted(found)


def demo_prompts(settings: DemoSettings) -> list[tuple[str, str]]:
    """(language, prompt) of every prompt the demo's tables draw (stages.WorldDemo.prompts)."""
    prompts = []
    for language in LANGUAGES:
        sets = [("corpus", False, ""), ("corpus", True, "-pairs")]
        if language != "en":
            for phrasings in (settings.scenes, f"{settings.scenes}-requests"):
                sets.append((phrasings, False, f"-{phrasings}"))
            sets.append((settings.scenes, True, f"-{settings.scenes}-pairs"))
        for phrasings, pairs, suffix in sets:
            rng = random.Random(f"{EVAL_SEED}-{language}{suffix}")
            scenes = pair_scene_set(settings) if pairs else scene_set(settings)
            prompts += [(language, caption(s, language, rng, phrasings)) for s in scenes]
    return prompts


def loadings() -> list[tuple[str, list[str]]]:
    """(name, loaded GlueNet keys): the demo's six, and each leave-one-out."""
    return [("all six", list(FOREIGN))] + [
        (f"without {left}", [code for code in FOREIGN if code != left]) for left in FOREIGN
    ]


def expected(language: str, keys: list[str]) -> str:
    """Where a caption in `language` must go under `keys`."""
    if language in keys:
        return language
    return GENERATOR if language == "en" else REFUSED


class ReadOnce(Router):
    """A Router that asks lingua once per text (the loadings and priors share its reading)."""

    read: dict[str, list[tuple[str, float]]] = {}

    def confidences(self, text: str) -> list[tuple[str, float]]:
        if text not in self.read:
            self.read[text] = super().confidences(text)
        return self.read[text]


def wrong_routes(texts: list[tuple[str, str]], prior: float) -> dict[str, int]:
    """{loading: captions routed wrong}."""
    wrong = {}
    for name, keys in loadings():
        router, wrong[name] = ReadOnce(keys, prior=prior), 0
        for language, text in texts:
            try:
                key = router.route(text).key
            except ValueError:
                key = REFUSED
            wrong[name] += key != expected(language, keys)
    return wrong


def chosen_prior(errors: dict[float, int]) -> float:
    """The geometric middle of the priors with the fewest wrong routes."""
    fewest = min(errors.values())
    best = [prior for prior, count in errors.items() if count == fewest]
    return math.exp((math.log(best[0]) + math.log(best[-1])) / 2)


def main(argv: list[str] | None = None) -> int:
    """Print wrong routes per prior on validation, then the test counts at the chosen one."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    started = time.perf_counter()
    all_languages_detector().compute_language_confidence_values("warm up")
    validation = DemoSettings(scenes="validation")
    test = DemoSettings(scenes="test")
    trained = sample_scenes(TRAINING_SCENES, "train", VALIDATION_SEED, two_objects=0.5)
    sets = {
        "validation": every_phrasing(scene_set(validation) + pair_scene_set(validation) + trained),
        "test": every_phrasing(scene_set(test) + pair_scene_set(test)),
        "demo's prompts": demo_prompts(test),
    }
    routed = len(loadings())
    print(f"captions: {', '.join(f'{name} {len(t)}' for name, t in sets.items())}")
    print(f"each routed under {routed} loadings; wrong routes (of {routed}x the captions):")
    errors = {prior: sum(wrong_routes(sets["validation"], prior).values()) for prior in PRIORS}
    print(f"{'prior':>8}  validation")
    for prior, count in errors.items():
        print(f"{prior:8.2f}  {count}")
    prior = chosen_prior(errors)
    print(f"chosen on validation: {prior:.2f} (LOADED_PRIOR in the library: {LOADED_PRIOR})")
    for name in ("test", "demo's prompts"):
        for at in (1.0, prior):
            wrong = wrong_routes(sets[name], at)
            print(
                f"{name} at {at:.2f}: {sum(wrong.values())} wrong; "
                + ", ".join(f"{loading} {count}" for loading, count in wrong.items())
            )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
