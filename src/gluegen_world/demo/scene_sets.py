"""The scenes the demo's cells are drawn from: the test draws the tables report, and validation
draws disjoint from them to choose settings on (`--scenes validation`)."""

from __future__ import annotations

import random

from gluegen_world.corpus import is_heldout, is_validation_pair, sample_scenes
from gluegen_world.demo.settings import DemoSettings
from gluegen_world.models import EVAL_SEED, VALIDATION_SEED
from gluegen_world.scenes import Scene, all_single_scenes, random_scene


def scene_set(settings: DemoSettings) -> list[Scene]:
    """The one-object scenes every cell is drawn from. "test": draws of held-out scenes
    (shape-colour pairs in no training pair), what the table reports. "validation": as many
    draws of the held-out scenes that the test draws never hit (10 of the 40 at 64 test
    scenes, every held-out pair among them), to choose settings on. "pairs": draws of the
    validation pairs' 40 scenes, for corpora written without them."""
    if settings.scenes == "pairs":
        return validation_pair_scenes(settings.test_scenes)
    test = sample_scenes(settings.test_scenes, "heldout", EVAL_SEED, two_objects=0.0)
    if settings.scenes == "test":
        return test
    drawn = set(test)
    spare = [s for s in all_single_scenes() if is_heldout(s) and s not in drawn]
    if not spare:
        raise ValueError(
            f"--scenes validation: the {settings.test_scenes} test scenes draw every held-out "
            "scene, none is left to validate on; use fewer --test-scenes."
        )
    by_pair: dict[tuple[str, str], list[Scene]] = {}
    for scene in spare:
        by_pair.setdefault((scene.objects[0].shape, scene.objects[0].colour), []).append(scene)
    rng = random.Random(f"{VALIDATION_SEED}-scenes")  # each pair as often, whatever is left
    return [rng.choice(rng.choice(list(by_pair.values()))) for _ in range(settings.test_scenes)]


def pair_scene_set(settings: DemoSettings) -> list[Scene]:
    """Held-out two-object scenes: the test draws, or (validation) as many others, or
    (pairs) as many with a validation pair and no held-out one."""
    if settings.scenes == "pairs":
        rng, scenes = random.Random(f"{VALIDATION_SEED}-two-object-pairs"), []
        while len(scenes) < settings.test_scenes:
            scene = random_scene(rng, two_objects=1.0)
            if is_validation_pair(scene) and not is_heldout(scene):
                scenes.append(scene)
        return scenes
    test = sample_scenes(settings.test_scenes, "heldout", EVAL_SEED, two_objects=1.0)
    if settings.scenes == "test":
        return test
    # held-out two-object scenes number thousands: other draws, test scenes skipped; the
    # draws of a seed extend one sequence, so drawing more keeps the first ones
    drawn, others, count = set(test), [], settings.test_scenes
    while len(others) < settings.test_scenes:
        count *= 2
        draws = sample_scenes(count, "heldout", VALIDATION_SEED, two_objects=1.0)
        others = [scene for scene in draws if scene not in drawn][: settings.test_scenes]
    return others


def validation_pair_scenes(count: int) -> list[Scene]:
    """`count` draws of the one-object scenes of the validation pairs, each scene as often
    (within one): what a run trained without those pairs (`withhold_validation`) is judged on
    when choosing its settings, 40 scenes where the test's held-out pairs leave 10 spare."""
    scenes = [scene for scene in all_single_scenes() if is_validation_pair(scene)]
    random.Random(f"{VALIDATION_SEED}-pairs").shuffle(scenes)
    return [scenes[i % len(scenes)] for i in range(count)]
