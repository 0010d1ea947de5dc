"""The shapes world's GlueNets, trained by the library on world corpora.

Every GlueNet here is made the way a user makes one for Stable Diffusion: a parallel corpus
on disk, `prepare_cache` (source encoder + the generator's own text encoder), a named recipe
(`gluegen.recipes`: `world-language`, `world-shared`, ...), `Trainer`. Only the sizes differ.

A trained GlueNet is reused when its folder holds one trained from the same recipe and cache.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from gluegen.data.cache import FeatureCache
from gluegen.data.prepare import CacheSpec, cache_shapes, prepare_cache
from gluegen.data.split import split_pairs
from gluegen.encoders import HFTextEncoder
from gluegen.evaluation.baselines import ALL_TOKENS, RIDGE, LinearMap
from gluegen.io import atomic_write_text
from gluegen.recipes import Recipe, get_recipe
from gluegen.training.config import TrainConfig
from gluegen.training.trainer import Trainer
from gluegen_world.models import shipped_model

# Tokens the world's XLM-R reads: every drawn test caption fits (the longest, a German request,
# 45 pieces); German two-object validation sentences reach 51 and are cut.
WORLD_SOURCE_TOKENS = 48
# A pretrained English model reads a one-object paraphrase in at most 20 pieces.
PARAPHRASE_SOURCE_TOKENS = 24


@dataclass(frozen=True)
class ParallelSource:
    """Where a GlueNet's pairs come from: a corpus, its columns, the source encoder."""

    encoder: str  # a model folder or hub id
    corpus: str
    source_column: str
    target_column: str
    max_length: int = WORLD_SOURCE_TOKENS
    pooling: str | None = None
    layer: int = -1  # the source encoder's hidden layer read (-1: its last)


def world_cache(source: ParallelSource, folder: Path, progress: bool) -> FeatureCache:
    """The feature cache of `source` with the world's generator as target (built once)."""
    spec = CacheSpec(
        source_encoder=source.encoder,
        target=str(shipped_model("generator")),
        corpus=source.corpus,
        source_column=source.source_column,
        target_column=source.target_column,
        source_max_length=source.max_length,
        source_pooling=source.pooling,
        source_layer=source.layer,
        cache_dir=str(folder),
        device="cpu",  # the world's tiny encoders: the same features on every machine
        encode_precision="no",
    )
    return prepare_cache(spec, progress=progress)


def world_xlmr(layer: int) -> HFTextEncoder:
    """The shipped world XLM-R as the world's language GlueNets read it: `layer`'s features of
    WORLD_SOURCE_TOKENS tokens."""
    return HFTextEncoder(str(shipped_model("xlmr")), max_length=WORLD_SOURCE_TOKENS, layer=layer)


STAMP = "world-settings.json"  # what a run folder's GlueNet was trained from
LINEAR_STAMP = "fitted-on.json"  # the cache and the training split a linear map was fitted on


def _stamp(source: ParallelSource, recipe: Recipe, cache: FeatureCache) -> dict:
    # the corpus by its content (the cache key's hash), not by its path: a work folder copied
    # or moved keeps its GlueNets
    read = {k: v for k, v in dataclasses.asdict(source).items() if k != "corpus"}
    return {
        "source": read,
        "recipe": dataclasses.asdict(recipe),
        "cache": cache.key,
    }


def _stamped(output: Path, stamp_file: Path, wanted: dict) -> bool:
    """True when `output` exists and `stamp_file` records `wanted` (compared as JSON)."""
    if not (output.is_file() and stamp_file.is_file()):
        return False
    return json.loads(stamp_file.read_text()) == json.loads(json.dumps(wanted))


def _trains_alike(stamped: dict, recipe: Recipe, shapes: dict) -> bool:
    """True when the recipe recorded as `stamped` trains what `recipe` trains at `shapes`."""
    try:
        earlier = Recipe(**stamped)
        settings = [r.trained_settings(shapes) for r in (earlier, recipe)]
    except (TypeError, ValueError):  # a stamp of settings this version no longer has
        return False
    return json.loads(json.dumps(settings[0])) == json.loads(json.dumps(settings[1]))


def is_trained(cache: FeatureCache, source: ParallelSource, folder: Path, recipe: Recipe) -> bool:
    """True when `folder` holds a GlueNet trained on `cache` from `recipe`, or from a recipe
    that trains the same (an override equal to the default it replaces retrains nothing)."""
    config, stamp_file = folder / "gluenet" / "config.json", folder / STAMP
    if not (config.is_file() and stamp_file.is_file()):
        return False
    stamped = json.loads(stamp_file.read_text())
    wanted = json.loads(json.dumps(_stamp(source, recipe, cache)))
    if stamped == wanted:
        return True
    return (
        all(stamped.get(part) == wanted[part] for part in ("source", "cache"))
        and isinstance(stamped.get("recipe"), dict)
        and _trains_alike(stamped["recipe"], recipe, cache_shapes(cache))
    )


def train_gluenet(
    cache: FeatureCache,
    source: ParallelSource,
    folder: Path,
    recipe: Recipe | None = None,
    progress: bool = True,
) -> Path:
    """Train a GlueNet on `cache` into `folder` (or reuse the one there, or continue the one
    stopped part-way there); its gluenet/ folder.

    `recipe` defaults to `world-language`."""
    recipe = recipe or get_recipe("world-language")
    if is_trained(cache, source, folder, recipe):
        return folder / "gluenet"
    (folder / STAMP).unlink(missing_ok=True)
    config = recipe.gluenet_config(cache_shapes(cache))
    trainer = Trainer(cache, config, recipe.train_config(str(folder), progress))
    # a run stopped part-way (Ctrl-C, a kill) of this same GlueNet goes on from its checkpoint
    trainer.run(resume=trainer.can_resume())
    if trainer.step < trainer.total_steps:
        raise ValueError(
            f"{folder}: max_steps {trainer.config.max_steps} ends the run before its "
            f"{trainer.total_steps} steps, so no GlueNet is saved; leave max_steps out of the "
            "recipe."
        )
    atomic_write_text(folder / STAMP, json.dumps(_stamp(source, recipe, cache), indent=2))
    return folder / "gluenet"


@dataclass(frozen=True)
class LinearReading:
    """What a least-squares baseline reads and how strongly it is regularised."""

    summary_tokens: int = ALL_TOKENS  # every source token, or the mean of the first ones
    ridge: float = RIDGE  # a fraction of the mean eigenvalue of the source Gram matrix


DEFAULT_READING = LinearReading()  # every token, the library's ridge: the language maps'


def _linear_stamp(cache: FeatureCache, training: TrainConfig, reading: LinearReading) -> dict:
    # the training split moves with the recipe's seed and holdout, so it is part of the stamp
    split = {"holdout": training.holdout, "seed": training.seed, "split_by": training.split_by}
    stamp = {"cache": cache.key, "split": split}
    if reading != DEFAULT_READING:  # the language maps' stamps stay as they were written
        stamp["reading"] = dataclasses.asdict(reading)
    return stamp


def linear_is_current(
    cache: FeatureCache,
    folder: Path,
    recipe: Recipe | None = None,
    reading: LinearReading = DEFAULT_READING,
) -> bool:
    """True when `folder` holds a linear map fitted on `cache`, on the training split of
    `recipe` (default `world-language`), reading as `reading` says."""
    training = (recipe or get_recipe("world-language")).train_config(str(folder))
    wanted = _linear_stamp(cache, training, reading)
    return _stamped(folder / LinearMap.FILE, folder / LINEAR_STAMP, wanted)


def fit_linear(
    cache: FeatureCache,
    folder: Path,
    recipe: Recipe | None = None,
    reading: LinearReading = DEFAULT_READING,
) -> LinearMap:
    """The least-squares baseline on the training split `recipe`'s GlueNet trains on
    (default `world-language`), or the one already in `folder`."""
    recipe = recipe or get_recipe("world-language")
    if linear_is_current(cache, folder, recipe, reading):
        return LinearMap.from_pretrained(folder)
    training = recipe.train_config(str(folder))
    train_ids, _ = split_pairs(cache, training.holdout, training.seed, training.split_by)
    linear = LinearMap.fit(cache, train_ids, reading.ridge, reading.summary_tokens)
    linear.save_pretrained(folder)
    stamp = _linear_stamp(cache, training, reading)
    atomic_write_text(folder / LINEAR_STAMP, json.dumps(stamp, indent=2))
    return linear


def training_curve(folder: Path) -> list[tuple[int, float]]:
    """(step, alignment loss) of a GlueNet run, from its log.jsonl."""
    points = []
    for line in (folder / "log.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "align_loss" in record:
            points.append((int(record["step"]), float(record["align_loss"])))
    return points


__all__ = [
    "DEFAULT_READING",
    "LinearReading",
    "ParallelSource",
    "fit_linear",
    "is_trained",
    "linear_is_current",
    "train_gluenet",
    "training_curve",
    "world_cache",
    "world_xlmr",
]
