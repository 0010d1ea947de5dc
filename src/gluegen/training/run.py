"""One call from a corpus to a Trainer: the feature cache (built or reused) and a recipe.

    trainer = prepare_run(CacheSpec(source_encoder=..., target=..., corpus=...),
                          "sd1-multilingual", "runs/zh")
    gluenet = trainer.run()          # runs/zh/gluenet, metrics.json, log.jsonl

What `gluegen train` does, for Python.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gluegen.data.prepare import CacheSpec, cache_shapes, prepare_cache
from gluegen.data.spec import cache_folder
from gluegen.recipes import Recipe, get_recipe
from gluegen.training.trainer import Trainer


def prepare_run(
    spec: CacheSpec,
    recipe: Recipe | str,
    output_dir: str | Path,
    progress: bool = True,
) -> Trainer:
    """A Trainer of `recipe` (a Recipe or a preset name) on the cache of `spec`, writing to
    `output_dir` (the cache goes to OUTPUT_DIR/features unless `spec.cache_dir` says).
    `.run()` starts the run afresh; `.run(resume=True)` continues the one saved there."""
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    spec = dataclasses.replace(spec, cache_dir=cache_folder(spec.cache_dir, output_dir))
    settings = recipe.train_config(str(output_dir), progress=progress)
    cache = prepare_cache(spec, progress=progress, epochs=settings.epochs)
    return Trainer(cache, recipe.gluenet_config(cache_shapes(cache)), settings)
