"""`gluegen demo`: GlueGen end to end on the shapes world, offline, on a CPU.

The world's generator (a tiny Stable Diffusion) only knows English. The demo trains, with the
library, GlueNets that let it draw from six other languages (one per language, and one for
all six), from sounds, from sounds mixed with text, and from a pretrained English sentence
model (all-MiniLM-L6-v2) that reads words the world's tokenizer never saw; then it draws from
held-out scenes (shape-colour pairs in no training pair; one object, and two in a relation)
in corpus phrasings, in held-out families of phrasings and as requests people type, and the
world's judges score every image.
Baselines are drawn the same way: the generator's own encoder, a least-squares linear map,
and the paper's GlueNet.

    1. corpora (corpora.py) -> 2. feature caches and GlueNets (workers.py) -> 3. rows of
    cells, drawn and judged (cells.py) -> 4. results.json; tables.py and report.py show them

Everything lands in a work folder and is reused: a second run only rewrites the report.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline

from gluegen.data.cache import MANIFEST_FILE, pool_caches
from gluegen.encoders import HFAudioEncoder, HFTextEncoder, TokenFeatures
from gluegen.evaluation.baselines import LinearMap
from gluegen.io import atomic_write_text
from gluegen.models import GlueNet
from gluegen.pipelines import ANY, MIXES, GlueGenPipeline, generator_conditioning
from gluegen_world.captions import EN_POSITIONS, LANGUAGES, caption
from gluegen_world.demo.cells import Cells, cells_folder, clips_digest
from gluegen_world.demo.corpora import as_written, write_corpora
from gluegen_world.demo.scene_sets import pair_scene_set, scene_set
from gluegen_world.demo.settings import (
    CLIP_SEED_OFFSET,
    DEFAULT_WORKERS,
    FOREIGN,
    GRID_IMAGES,
    DemoSettings,
    sentence_model,
)
from gluegen_world.demo.tables import LANGUAGE_ROWS, PAIR_ROWS
from gluegen_world.demo.workers import (
    Workers,
    build_caches_in_parallel,
    drawn_by,
    load_generator,
    train_in_parallel,
)
from gluegen_world.gluenets import (
    PARAPHRASE_SOURCE_TOKENS,
    LinearReading,
    ParallelSource,
    is_trained,
    linear_is_current,
    training_curve,
    world_cache,
    world_xlmr,
)
from gluegen_world.judge import Judges, load_judges
from gluegen_world.models import EVAL_SEED, VALIDATION_SEED, shipped_model
from gluegen_world.paraphrase import SPLITS, paraphrase
from gluegen_world.scenes import Scene
from gluegen_world.sounds import SAMPLE_RATE, synthesize


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
        # one set of worker processes for the caches, the GlueNets and the cells
        self.workers = Workers(workers)
        self.timings: dict[str, float] = {}
        self.routing: dict[str, float] = {}  # share of prompts lingua routed right, by language
        self.routing_requests: dict[str, float] = {}  # the same, of the requests
        self.paraphrase_examples: dict[str, list[str]] = {}
        self._pipeline: StableDiffusionPipeline | None = None
        self._judges: Judges | None = None
        self.scenes = scene_set(settings)
        self.pair_scenes = pair_scene_set(settings)
        self.cells = Cells(
            cells_folder(self.workdir, settings.scenes),
            settings.draw,
            self.scenes,
            lambda: (self.pipeline, self.judges),
            drawn_by(),
            self.workers,
            progress,
            self.timings,
        )

    # -- shared models --------------------------------------------------------------------
    @property
    def pipeline(self) -> StableDiffusionPipeline:
        """The world's generator, loaded on first use."""
        if self._pipeline is None:
            self._pipeline = load_generator()
        return self._pipeline

    @property
    def judges(self) -> Judges:
        """The world's judges (one object, two objects), loaded on first use."""
        if self._judges is None:
            self._judges = load_judges()
        return self._judges

    def _timed(self, name: str, work: Callable[[], object]) -> object:
        started = time.time()
        result = work()
        self.timings[name] = self.timings.get(name, 0.0) + time.time() - started
        return result

    # -- 2. GlueNets ----------------------------------------------------------------------
    def train(self, sources: dict[str, ParallelSource]) -> dict[str, Path]:
        """Caches (those a fresh folder lacks in parallel processes), then the GlueNets not
        trained yet and the linear maps (in parallel processes); returns {name: run folder}."""
        s = self.settings
        # longest first (as measured: shared, sound, the paper's, MiniLM's, then the languages'
        # nets), so that the workers run out of work at about one time
        plan = [("shared", ANY, s.recipe("shared")), ("sound", "sound", s.recipe("sound"))]
        plan += [
            (f"paper-{code}", as_written(code), s.recipe("paper")) for code in s.paper_languages
        ]
        plan += [("minilm", "minilm", s.recipe("sentence"))]
        plan += [(code, code, s.recipe(s.language_role(code))) for code in FOREIGN]
        trained: dict[str, Path] = {}
        jobs, caches = [], {}
        labels = {
            name: name if name in FOREIGN else label for label, name, _ in plan if name != ANY
        }
        self._timed("caches", lambda: self._build_caches(sources, labels))
        for name, cache_label in labels.items():
            # each one built: read back (or, where stale, built again here)
            caches[name] = self._timed(
                "caches", lambda n=name, c=cache_label: self._cache(sources[n], c)
            )
        # the shared GlueNet's cache: the languages' caches pooled, nothing encoded twice
        pooled = [caches[code] for code in FOREIGN]
        caches[ANY] = self._timed(
            "caches", lambda: pool_caches(pooled, self.workdir / "features" / "shared")
        )
        for label, name, recipe in plan:
            folder = trained[label] = self.workdir / "runs" / label
            if not is_trained(caches[name], sources[name], folder, recipe):
                jobs.append((str(caches[name].folder), sources[name], folder, recipe))
        linear_fits = []
        for code in FOREIGN:
            linear = trained[f"linear-{code}"] = self.workdir / "runs" / f"linear-{code}"
            if not linear_is_current(caches[code], linear, s.recipe("language")):
                linear_fits.append((str(caches[code].folder), linear, s.recipe("language")))
        # the sound's baseline reads the sound's summary, on the sound GlueNet's training split
        linear = trained["linear-sound"] = self.workdir / "runs" / "linear-sound"
        reading = self.sound_linear_reading()
        if not linear_is_current(caches["sound"], linear, s.recipe("sound"), reading):
            fit = (str(caches["sound"].folder), linear, s.recipe("sound"), reading)
            linear_fits.append(fit)
        if jobs or linear_fits:
            self._timed(
                "training",
                lambda: train_in_parallel(jobs, self.workers, self.progress, linear_fits),
            )
        return trained

    def sound_linear_reading(self) -> LinearReading:
        """What the sound's least-squares baseline reads: the mean of the sound encoder's
        summary tokens (its pooled output, the paper's audio reading), ridge as chosen."""
        summary = HFAudioEncoder(str(shipped_model("sound"))).summary_tokens
        return LinearReading(summary, self.settings.sound_linear_ridge)

    def _cache(self, source: ParallelSource, label: str):
        return world_cache(source, self.workdir / "features" / label, self.progress)

    def _build_caches(self, sources: dict[str, ParallelSource], labels: dict[str, str]) -> None:
        """The caches a fresh work folder lacks, encoded in the worker processes at once."""
        missing = [
            (sources[name], self.workdir / "features" / label)
            for name, label in labels.items()
            if not (self.workdir / "features" / label / MANIFEST_FILE).exists()
        ]
        if self.workers.parallel and len(missing) > 1:
            build_caches_in_parallel(missing, self.workers, self.progress)

    # -- 3. drawing and scoring -----------------------------------------------------------
    @property
    def prompt_seed(self) -> int:
        """Seed of the prompts' phrasings: the test scenes' or the validation scenes'."""
        return EVAL_SEED if self.settings.scenes == "test" else VALIDATION_SEED

    def prompts(
        self, language: str, phrasings: str = "corpus", two_objects: bool = False
    ) -> list[str]:
        """One caption in `language` of every one-object (or two-object) scene drawn, from the
        families of `phrasings` (`gluegen_world.captions.PHRASINGS`)."""
        suffix = f"-{phrasings}" * (phrasings != "corpus") + "-pairs" * two_objects
        rng = random.Random(f"{self.prompt_seed}-{language}{suffix}")
        scenes = self.pair_scenes if two_objects else self.scenes
        return [caption(scene, language, rng, phrasings) for scene in scenes]

    @property
    def heldout_families(self) -> str:
        """The held-out families drawn: the test ones, or (validation scenes, validation pairs)
        the validation ones, so that settings are chosen on families the table does not
        report."""
        return "test" if self.settings.scenes == "test" else "validation"

    @property
    def requests(self) -> str:
        """The request families drawn, test or validation as `heldout_families`."""
        return f"{self.heldout_families}-requests"

    def empty(self, count: int) -> torch.Tensor:
        """The generator's own embedding of the empty prompt, `count` times."""
        return generator_conditioning(self.pipeline, [""] * count).hidden

    # -- 4. the rows ----------------------------------------------------------------------
    def language_pipelines(self, trained: dict[str, Path]) -> tuple:
        """(XLM-R, the per-language GlueNets' pipeline, the shared GlueNet's pipeline, and the
        pipeline of both averaged: each language's own GlueNet and the shared one)."""
        xlmr = world_xlmr(self.settings.source_layer)
        nets = {code: GlueNet.from_pretrained(trained[code] / "gluenet") for code in FOREIGN}
        ours = GlueGenPipeline(self.pipeline, xlmr, nets, unconditional="generator")
        shared_net = GlueNet.from_pretrained(trained["shared"] / "gluenet")
        shared = GlueGenPipeline(self.pipeline, xlmr, {ANY: shared_net}, unconditional="generator")
        both = {code: [net, shared_net] for code, net in nets.items()}
        averaged = GlueGenPipeline(self.pipeline, xlmr, both, unconditional="generator")
        return xlmr, ours, shared, averaged

    def minilm_pipeline(self, trained: dict[str, Path]) -> GlueGenPipeline:
        """MiniLM (mean-pooled) and its GlueNet."""
        minilm = HFTextEncoder(
            sentence_model(), max_length=PARAPHRASE_SOURCE_TOKENS, pooling="mean"
        )
        net = GlueNet.from_pretrained(trained["minilm"] / "gluenet")
        return GlueGenPipeline(self.pipeline, minilm, net, unconditional="generator")

    def language_rows(self, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
        """{row: {language: scores}} of the multilingual table, and self.routing."""
        xlmr, ours, shared, averaged = self.language_pipelines(trained)
        ours_paper_guidance = GlueGenPipeline(
            self.pipeline, xlmr, ours.gluenets, unconditional="source"
        )
        rows: dict[str, dict[str, dict]] = {name: {} for name in LANGUAGE_ROWS}
        english = self.prompts("en")
        rows["own"]["en"] = self.cells.cell("own-en", self.own_inputs(english), [], prompts=english)
        for code in FOREIGN:
            prompts = self.prompts(code)
            keys, read = self.lingua_routes(ours, prompts)
            self.routing[code] = sum(language == code for language in read) / len(read)
            rows["own"][code] = self.cells.cell(
                f"own-{code}", self.own_inputs(prompts), [], prompts=prompts
            )
            linear = trained[f"linear-{code}"]
            rows["linear"][code] = self.cells.cell(
                f"linear-{code}",
                self.linear_inputs(xlmr, linear, prompts),
                [linear],
                prompts=prompts,
            )
            if f"paper-{code}" in trained:
                run = trained[f"paper-{code}"]
                paper_net = GlueNet.from_pretrained(run / "gluenet")
                paper = GlueGenPipeline(self.pipeline, xlmr, paper_net, unconditional="source")
                rows["paper"][code] = self.cells.cell(
                    f"paper-{code}", self.glued_inputs(paper, prompts), [run], prompts=prompts
                )
            run = trained[code]
            if code in self.settings.guidance_languages:
                rows["ours_paper_guidance"][code] = self.cells.cell(
                    f"ours-paper-guidance-{code}",
                    self.glued_inputs(ours_paper_guidance, prompts, keys),
                    [run],
                    prompts=prompts,
                )
            rows["ours"][code] = self.cells.cell(
                f"ours-{code}", self.glued_inputs(ours, prompts, keys), [run], prompts=prompts
            )
            rows["shared"][code] = self.cells.cell(
                f"shared-{code}",
                self.glued_inputs(shared, prompts),
                [trained["shared"]],
                prompts=prompts,
            )
            # held-out families and requests in the language given (language=code), so that a
            # prompt lingua misreads is no refusal; how often it reads them right is measured
            phrased = self.prompts(code, self.heldout_families)
            given = [code] * len(phrased)
            rows["ours_heldout_families"][code] = self.cells.cell(
                f"ours-{self.heldout_families}-{code}",
                self.glued_inputs(ours, phrased, given),
                [run],
                prompts=phrased,
            )
            rows["shared_heldout_families"][code] = self.cells.cell(
                f"shared-{self.heldout_families}-{code}",
                self.glued_inputs(shared, phrased),
                [trained["shared"]],
                prompts=phrased,
            )
            # both GlueNets at once, their glued tokens averaged, as the page draws a language
            # (chosen on validation scenes: benchmarks/explore_ensemble.py and
            # explore_noise_words.py); requests are read this way only, as people meet them on
            # the page (experiments.md has each GlueNet's requests alone)
            rows["averaged_heldout_families"][code] = self.cells.cell(
                f"averaged-{self.heldout_families}-{code}",
                self.glued_inputs(averaged, phrased, given),
                [run, trained["shared"]],
                prompts=phrased,
            )
            asked = self.prompts(code, self.requests)
            read = [ours.router.language_of(text) for text in asked]
            self.routing_requests[code] = sum(language == code for language in read) / len(read)
            rows["averaged_requests"][code] = self.cells.cell(
                f"averaged-{self.requests}-{code}",
                self.glued_inputs(averaged, asked, given),
                [run, trained["shared"]],
                prompts=asked,
            )
        return rows

    def sound_inputs(self) -> tuple[list[tuple], list[str]]:
        """A fresh clip of each one-object scene drawn ((waveform, rate), seeds no corpus clip
        has) and its position in English words, for the sound + text mixes."""
        clips = [
            (synthesize(scene.objects[0], seed=CLIP_SEED_OFFSET + i), SAMPLE_RATE)
            for i, scene in enumerate(self.scenes)
        ]
        return clips, [self.settings.mix_text(scene.objects[0].position) for scene in self.scenes]

    def sound_rows(self, trained: dict[str, Path]) -> dict[str, dict]:
        """{row: scores} of the sound table: sound alone, and sound + a position in words."""
        encoder = HFAudioEncoder(str(shipped_model("sound")))
        net = GlueNet.from_pretrained(trained["sound"] / "gluenet")
        clips, texts = self.sound_inputs()
        heard = clips_digest(clips)  # the clips are the cells' prompts
        against = self.settings.offset_origin()
        told_apart = ""  # the cells' detail: the four places' words by name, as kept folders say
        if against is not None:
            places = against == list(EN_POSITIONS.values())
            told_apart = ", against " + ("the places" if places else " / ".join(against))
        runs = [trained["sound"]]
        paper = GlueGenPipeline(self.pipeline, encoder, net, unconditional="source")
        ours = GlueGenPipeline(self.pipeline, encoder, net, unconditional="generator")
        rows = {
            "sound_paper_guidance": self.cells.cell(
                "sound-paper-guidance", self.glued_inputs(paper, clips), runs, detail=heard
            ),
            "sound": self.cells.cell("sound", self.glued_inputs(ours, clips), runs, detail=heard),
        }
        weights = {"blend": self.settings.blend_weight, "offset": self.settings.offset_weight}
        for mix in MIXES:
            weight = weights.get(mix)
            origin = against if mix == "offset" else None
            rows[f"sound_text_{mix}"] = self.cells.cell(
                f"sound-text-{mix}",
                self.glued_inputs(ours, clips, text=texts, mix=mix, weight=weight, against=origin),
                runs,
                detail=heard
                + ("" if weight is None else f", {mix} weight {weight}")
                + (told_apart if mix == "offset" else ""),
                prompts=texts,
            )
        linear = [trained["linear-sound"]]
        rows["sound_linear"] = self.cells.cell(
            "sound-linear", self.sound_linear_inputs(ours, linear[0], clips), linear, heard
        )
        weight = self.settings.offset_weight
        rows["sound_text_offset_linear"] = self.cells.cell(
            "sound-text-offset-linear",
            self.sound_linear_inputs(ours, linear[0], clips, texts),
            linear,
            detail=heard + f", offset weight {weight}" + told_apart,
            prompts=texts,
        )
        return rows

    def sound_linear_inputs(
        self, glue: GlueGenPipeline, folder: Path, clips: list, texts: list[str] | None = None
    ) -> Callable[[], tuple]:
        """Clips through `glue`'s sound encoder and the least-squares map instead of its
        GlueNet; with `texts`, mixed as `glue` mixes the GlueNet's (the offset mix)."""

        def inputs() -> tuple:
            source = glue.encoder.encode(clips)  # hidden (b, n_s, d_s)
            embeds = LinearMap.from_pretrained(folder).translate(source.hidden)  # (b, n_t, d_t)
            if texts is not None:
                mapped = TokenFeatures(embeds, torch.ones(embeds.shape[:2], dtype=torch.long))
                weight, against = self.settings.offset_weight, self.settings.offset_origin()
                mixed = glue.mix_with_text(mapped, texts, "offset", weight=weight, against=against)
                embeds = mixed.hidden
            return embeds, self.empty(len(clips)), self.scenes

        return inputs

    def paraphrase_rows(self, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
        """{encoder: {prompt set: scores}}: the generator's own encoder and MiniLM + GlueNet
        on English in the world's words, paraphrases in corpus words, in unseen words."""
        glue = self.minilm_pipeline(trained)
        sets = {"world": self.prompts("en")}
        for split in SPLITS:
            rng = random.Random(f"{self.prompt_seed}-paraphrase-{split}")
            sets[split] = [paraphrase(scene, rng, split) for scene in self.scenes]
        self.paraphrase_examples = {name: prompts[:GRID_IMAGES] for name, prompts in sets.items()}
        rows: dict[str, dict[str, dict]] = {"own": {}, "minilm": {}}
        for name, prompts in sets.items():
            # English in the world's words through the own encoder is the language table's
            # English cell, the same prompts of the same scenes: drawn once
            own_cell = "own-en" if name == "world" else f"paraphrase-own-{name}"
            rows["own"][name] = self.cells.cell(
                own_cell, self.own_inputs(prompts), [], prompts=prompts
            )
            rows["minilm"][name] = self.cells.cell(
                f"paraphrase-minilm-{name}",
                self.glued_inputs(glue, prompts),
                [trained["minilm"]],
                prompts=prompts,
            )
        return rows

    # -- inputs of a cell: () -> (prompt embeds, negative embeds, scenes) -------------------
    def pair_rows(self, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
        """{row: {language: scores}} of the two-object table (`tables.PAIR_ROWS`).

        English through the generator's own encoder (the ceiling) and through MiniLM + its
        GlueNet, every language through its own GlueNet and the shared one, and in held-out
        families through the two averaged (as the page draws). The scenes are held out (at
        least one object's shape-colour pair is in no training pair); their captions are corpus
        phrasings (the relation's words are in every corpus: a quarter of its scenes hold two
        objects) and phrasings of the held-out families.
        """
        scenes = self.pair_scenes

        def cell(name: str, inputs, runs: list[str], texts: list[str]) -> dict:
            folders = [trained[run] for run in runs]
            return self.cells.cell(f"pairs-{name}", inputs, folders, prompts=texts, scenes=scenes)

        _, ours, shared, averaged = self.language_pipelines(trained)
        english = self.prompts("en", two_objects=True)
        rows: dict[str, dict[str, dict]] = {name: {} for name in PAIR_ROWS}
        rows["own"]["en"] = cell("own-en", self.own_inputs(english, scenes), [], english)
        minilm = self.glued_inputs(self.minilm_pipeline(trained), english, scenes=scenes)
        rows["minilm"]["en"] = cell("minilm-en", minilm, ["minilm"], english)
        for code in FOREIGN:
            texts = self.prompts(code, two_objects=True)
            keys = self.lingua_routes(ours, texts)[0]
            glued = self.glued_inputs(ours, texts, keys, scenes=scenes)
            rows["ours"][code] = cell(f"ours-{code}", glued, [code], texts)
            glued = self.glued_inputs(shared, texts, scenes=scenes)
            rows["shared"][code] = cell(f"shared-{code}", glued, ["shared"], texts)
            # held-out families as the page draws them: both GlueNets averaged
            texts = self.prompts(code, self.heldout_families, two_objects=True)
            glued = self.glued_inputs(averaged, texts, [code] * len(texts), scenes=scenes)
            name = f"averaged-{self.heldout_families}-{code}"
            rows["averaged_heldout_families"][code] = cell(name, glued, [code, "shared"], texts)
        return rows

    def own_inputs(
        self, prompts: list[str], scenes: list[Scene] | None = None
    ) -> Callable[[], tuple]:
        """Prompts (of `scenes`, default the one-object ones) through the generator's own text
        encoder (unknown words and all)."""
        return lambda: (
            generator_conditioning(self.pipeline, prompts).hidden,
            self.empty(len(prompts)),
            scenes or self.scenes,
        )

    def linear_inputs(self, encoder: HFTextEncoder, folder: Path, prompts: list[str]):
        """Prompts through the source encoder and the least-squares map."""

        def inputs() -> tuple:
            source = encoder.encode(prompts).hidden  # (b, n_s, d_s)
            embeds = LinearMap.from_pretrained(folder).translate(source)  # (b, n_t, d_t)
            return embeds, self.empty(len(prompts)), self.scenes

        return inputs

    @staticmethod
    def lingua_routes(
        glue: GlueGenPipeline, prompts: list[str]
    ) -> tuple[list[str], list[str | None]]:
        """(each prompt's GlueNet, the language lingua read it in), with the loaded languages'
        prior; a prompt it reads as a language with no GlueNet, which the page refuses, goes
        to the loaded language it finds likeliest: every demo prompt is in one of them, and
        the routing shares count it as misread."""
        router = glue.router
        read = [router.language_of(text) for text in prompts]
        keys = [
            language if language in router.keys else router.likeliest_loaded(text)
            for text, language in zip(prompts, read, strict=True)
        ]
        return keys, read

    def glued_inputs(
        self,
        glue: GlueGenPipeline,
        items: list,
        keys: list[str] | None = None,
        text: list[str] | None = None,
        mix: str = "splice",
        weight: float | None = None,
        scenes: list[Scene] | None = None,
        against: list[str] | None = None,
    ) -> Callable[[], tuple]:
        """Inputs (of `scenes`, default the one-object ones) through a GlueGenPipeline's
        encoder and GlueNet(s), mixed with `text` (an offset from the mean of `against`'s
        words where given)."""

        def inputs() -> tuple:
            chosen = keys or glue.route(items)
            glued = glue.encode(items, chosen)
            if text is not None:
                glued = glue.mix_with_text(glued, text, mix, weight=weight, against=against)
            return glued.hidden, glue.unconditional_embeds(chosen).hidden, scenes or self.scenes

        return inputs

    # -- 5. all of it ---------------------------------------------------------------------
    def run(self) -> dict:
        """Train what is missing, draw what is missing; return every figure."""
        with self.workers:  # the worker processes end with the run
            return self._run()

    def _run(self) -> dict:
        sources = self._timed("corpora", lambda: write_corpora(self.workdir, self.settings))
        trained = self.train(sources)
        rows = {
            "languages": self.language_rows(trained),
            "sound": self.sound_rows(trained),
            "paraphrases": self.paraphrase_rows(trained),
            "pairs": self.pair_rows(trained),
        }
        rows = self.cells.finish(rows)
        results = {
            "settings": json.loads(json.dumps(dataclasses.asdict(self.settings))),
            "languages": rows["languages"],
            "routing": self.routing,
            "routing_requests": self.routing_requests,
            "sound": rows["sound"],
            "paraphrases": rows["paraphrases"],
            "pairs": rows["pairs"],
            "paraphrase_examples": self.paraphrase_examples,
            "prompts": {code: self.prompts(code)[:GRID_IMAGES] for code in LANGUAGES},
            "heldout_families": {
                code: self.prompts(code, self.heldout_families)[:GRID_IMAGES] for code in FOREIGN
            },
            "requests": {code: self.prompts(code, self.requests)[:GRID_IMAGES] for code in FOREIGN},
            "curves": {
                name: training_curve(folder)
                for name, folder in trained.items()
                if not name.startswith("linear-")
            },
            "timings": {name: round(seconds, 1) for name, seconds in self.timings.items()},
        }
        atomic_write_text(self.workdir / "results.json", json.dumps(results, indent=2))
        return results
