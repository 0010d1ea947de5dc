"""Worker processes of the demo: GlueNets trained, and cells drawn, one thread each.

On this project's 2-core machine two one-thread processes do more per second than one
process on both cores (tiny networks gain little from a second thread). Processes are
spawned, never forked from a threaded torch.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from tqdm.auto import tqdm

from gluegen.allocator import keep_freed_memory
from gluegen.data.cache import FeatureCache
from gluegen.encoders.base import folder_fingerprint
from gluegen.recipes import Recipe
from gluegen_world.demo.settings import GRID_IMAGES, DrawSettings
from gluegen_world.gluenets import ParallelSource, fit_linear, train_gluenet, world_cache
from gluegen_world.judge import Judges, load_judges
from gluegen_world.models import shipped_model
from gluegen_world.scoring import draw, score


def draw_and_score(
    pipeline: StableDiffusionPipeline,
    judges: Judges,
    embeds: torch.Tensor,
    negative: torch.Tensor,
    scenes: list,
    settings: DrawSettings,
) -> tuple[torch.Tensor, dict]:
    """A cell's images, judged: (its first GRID_IMAGES images, the judge's scores)."""
    images = draw(pipeline, embeds, negative, settings)
    return images[:GRID_IMAGES].contiguous(), score(judges, images, scenes)


def load_generator() -> StableDiffusionPipeline:
    """The world's generator, without progress bars, its UNet's activations channels-last
    (oneDNN's faster convolution layout on a CPU)."""
    pipeline = StableDiffusionPipeline.from_pretrained(shipped_model("generator"))
    pipeline.unet.to(memory_format=torch.channels_last)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


# the world models a cell's scores come from: the generator draws it, the judges score it
DRAWING_MODELS = ("generator", "judge", "pair_judge")


def drawn_by() -> dict[str, str | None]:
    """Content fingerprints of the shipped generator and judges (a cell's stamp holds them)."""
    return {name: folder_fingerprint(shipped_model(name)) for name in DRAWING_MODELS}


def worker_pool(workers: int, initializer: Callable[[], None]) -> ProcessPoolExecutor:
    """`workers` spawned processes (no fork of a threaded torch), each set up by
    `initializer`."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer)


def quiet_model_loading() -> None:
    """No loading bars or load reports from diffusers and transformers (ours stay)."""
    import diffusers
    import transformers

    for library in (diffusers, transformers):
        library.utils.logging.set_verbosity_error()
        library.utils.logging.disable_progress_bar()


def _start_worker() -> None:
    """Worker initializer: one thread, freed memory kept for reuse (`keep_freed_memory`)."""
    torch.set_num_threads(1)
    keep_freed_memory()
    quiet_model_loading()


_DRAWER: dict = {}  # a drawing worker's generator and judges


def start_drawer() -> None:
    """Drawing worker initializer: one thread, the generator and judges loaded once."""
    _start_worker()
    _DRAWER.update(pipeline=load_generator(), judges=load_judges())


def draw_job(embeds, negative, scenes, settings) -> tuple[torch.Tensor, dict]:
    """One cell, in a drawing worker."""
    return draw_and_score(
        _DRAWER["pipeline"], _DRAWER["judges"], embeds, negative, scenes, settings
    )


def _run_tasks(
    tasks: list[tuple[Callable, tuple]], workers: int, progress: bool, desc: str, unit: str
) -> None:
    """Run (function, arguments) tasks, `workers` one-thread processes at a time, in the order
    given (in this process when workers is 1); each function returns the name of the `unit` it
    made, which the bar shows."""
    if not tasks:
        return
    bar = tqdm(total=len(tasks), desc=desc, unit=unit, disable=not progress)
    if workers <= 1:
        for run, arguments in tasks:
            bar.set_postfix({unit: run(*arguments)})
            bar.update(1)
    else:
        # one thread per worker: tiny networks gain little from two
        with worker_pool(min(workers, len(tasks)), _start_worker) as pool:
            futures = [pool.submit(run, *arguments) for run, arguments in tasks]
            for done in as_completed(futures):
                bar.set_postfix({unit: done.result()})
                bar.update(1)
    bar.close()


def _cache_job(source: ParallelSource, folder: Path) -> str:
    """One feature cache (in a worker process, `build_caches_in_parallel`)."""
    world_cache(source, folder, progress=False)
    return folder.name


def build_caches_in_parallel(
    caches: Sequence[tuple[ParallelSource, Path]], workers: int, progress: bool
) -> None:
    """Build the feature caches of (source, folder) pairs, `workers` processes at a time:
    encoding them one after another in the main process left a core mostly idle."""
    _run_tasks(
        [(_cache_job, cache) for cache in caches], workers, progress, "feature caches", "cache"
    )


def _train_job(cache_folder: str, source: ParallelSource, folder: Path, recipe: Recipe) -> str:
    """One GlueNet (in a worker process, `train_in_parallel`)."""
    train_gluenet(FeatureCache.open(cache_folder), source, folder, recipe, progress=False)
    return folder.name


def _fit_linear_job(cache_folder: str, folder: Path, recipe: Recipe) -> str:
    """One least-squares map (in a worker process, `train_in_parallel`)."""
    fit_linear(FeatureCache.open(cache_folder), folder, recipe)
    return folder.name


def train_in_parallel(
    jobs: list[tuple], workers: int, progress: bool, linear_fits: Sequence[tuple] = ()
) -> None:
    """Train GlueNets (`jobs`: cache folder, source, run folder, recipe), then fit linear maps
    (`linear_fits`: cache folder, folder, recipe), `workers` processes at a time (in this
    process when workers is 1). The maps go last: a few seconds each, they fill the time
    the other process waits for the longest GlueNet."""
    tasks = [(_train_job, job) for job in jobs] + [(_fit_linear_job, fit) for fit in linear_fits]
    _run_tasks(tasks, workers, progress, "training GlueNets", "net")
