"""Worker processes of the demo: caches built, GlueNets trained and cells drawn, one thread
each, in the same processes from a run's first cache to its last cell (`Workers`).

On this project's 2-core machine two one-thread processes do more per second than one
process on both cores (tiny networks gain little from a second thread). Processes are
spawned, never forked from a threaded torch.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from tqdm.auto import tqdm

from gluegen.allocator import keep_freed_memory
from gluegen.data.cache import FeatureCache
from gluegen.encoders.base import folder_fingerprint
from gluegen.recipes import Recipe
from gluegen_world.demo.settings import GRID_IMAGES, DrawSettings
from gluegen_world.gluenets import (
    DEFAULT_READING,
    LinearReading,
    ParallelSource,
    fit_linear,
    train_gluenet,
    world_cache,
)
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


class Workers:
    """The one-thread worker processes of a run, spawned on first use and kept until `close`:
    the demo's caches, GlueNets and cells go to the same processes (each start spawns python
    and imports torch and diffusers, about 5 s a process on the project's machine). With
    `count` <= 1 there are none: the work runs in this process."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None

    @property
    def parallel(self) -> bool:
        """Whether work goes to worker processes (else it runs in this one)."""
        return self.count > 1

    def submit(self, run: Callable, *arguments) -> Future:
        """`run(*arguments)` in a worker process."""
        if self._pool is None:
            # a spawn pool starts its processes as work arrives: no more than the jobs given
            self._pool = worker_pool(self.count, _start_worker)
        return self._pool.submit(run, *arguments)

    def close(self, cancel: bool = False) -> None:
        """End the processes once the work submitted is done (or, with `cancel`, once the
        work they have begun is: on an error or Ctrl-C nothing more is started)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        self.close(cancel=error_type is not None)


_DRAWER: dict = {}  # a worker's generator and judges, loaded by its first cell


def draw_job(embeds, negative, scenes, settings) -> tuple[torch.Tensor, dict]:
    """One cell, in a worker process."""
    if not _DRAWER:
        _DRAWER.update(pipeline=load_generator(), judges=load_judges())
    return draw_and_score(
        _DRAWER["pipeline"], _DRAWER["judges"], embeds, negative, scenes, settings
    )


def _run_tasks(
    tasks: list[tuple[Callable, tuple]], workers: Workers, progress: bool, desc: str, unit: str
) -> None:
    """Run (function, arguments) tasks in the worker processes, in the order given (in this
    process when there are none); each function returns the name of the `unit` it made,
    which the bar shows."""
    if not tasks:
        return
    bar = tqdm(total=len(tasks), desc=desc, unit=unit, disable=not progress)
    if not workers.parallel:
        for run, arguments in tasks:
            bar.set_postfix({unit: run(*arguments)})
            bar.update(1)
    else:
        futures = [workers.submit(run, *arguments) for run, arguments in tasks]
        for done in as_completed(futures):
            bar.set_postfix({unit: done.result()})
            bar.update(1)
    bar.close()


@contextmanager
def _processes(workers: Workers | int) -> Iterator[Workers]:
    """A run's worker processes as they are, or `workers` processes for one call, ended with
    it."""
    if isinstance(workers, Workers):
        yield workers
    else:
        with Workers(workers) as own:
            yield own


def _cache_job(source: ParallelSource, folder: Path) -> str:
    """One feature cache (in a worker process, `build_caches_in_parallel`)."""
    world_cache(source, folder, progress=False)
    return folder.name


def build_caches_in_parallel(
    caches: Sequence[tuple[ParallelSource, Path]], workers: Workers | int, progress: bool
) -> None:
    """Build the feature caches of (source, folder) pairs in the worker processes (`workers`:
    a run's, or a count of processes for this call alone): encoding them one after another
    in the main process left a core mostly idle."""
    tasks = [(_cache_job, cache) for cache in caches]
    with _processes(workers) as processes:
        _run_tasks(tasks, processes, progress, "feature caches", "cache")


def _train_job(cache_folder: str, source: ParallelSource, folder: Path, recipe: Recipe) -> str:
    """One GlueNet (in a worker process, `train_in_parallel`)."""
    train_gluenet(FeatureCache.open(cache_folder), source, folder, recipe, progress=False)
    return folder.name


def _fit_linear_job(
    cache_folder: str, folder: Path, recipe: Recipe, reading: LinearReading = DEFAULT_READING
) -> str:
    """One least-squares map (in a worker process, `train_in_parallel`)."""
    fit_linear(FeatureCache.open(cache_folder), folder, recipe, reading)
    return folder.name


def train_in_parallel(
    jobs: list[tuple],
    workers: Workers | int,
    progress: bool,
    linear_fits: Sequence[tuple] = (),
) -> None:
    """Train GlueNets (`jobs`: cache folder, source, run folder, recipe), then fit linear maps
    (`linear_fits`: cache folder, folder, recipe[, reading]), in the worker processes
    (`workers`: a run's, or a count of processes for this call alone; in this process when it
    is 1). The maps go last: a few seconds each, they fill the time the other process waits
    for the longest GlueNet."""
    tasks = [(_train_job, job) for job in jobs] + [(_fit_linear_job, fit) for fit in linear_fits]
    with _processes(workers) as processes:
        _run_tasks(tasks, processes, progress, "training GlueNets", "net")
