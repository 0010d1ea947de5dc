"""The web page's default: the shapes world, with the GlueNets of a demo work folder.

`world_served(workdir)` loads the world's generator, its XLM-R and sound encoder, and the
GlueNets `gluegen demo` trained in WORKDIR/runs (per language, the shared one as `*`, the
sound one); where the shared one is there, each language draws through its own and the
shared one averaged, as the demo's averaged row. GlueNets that are not there yet are trained
on first start, the way the demo trains them (its corpora and caches, reused), with progress
bars: French, Chinese and sound by default. A few example sounds, with their captions, are
written for the sound picker.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import replace
from pathlib import Path

from gluegen.app import ALTERNATIVES_SEPARATOR, DrawDefaults, Served
from gluegen.encoders import Encoder, HFAudioEncoder
from gluegen.encoders.base import identity_differences
from gluegen.models import GlueNet
from gluegen.pipelines import ANY, GlueGenPipeline
from gluegen_world.captions import caption
from gluegen_world.corpus import sample_scenes
from gluegen_world.demo.corpora import write_corpora
from gluegen_world.demo.settings import FOREIGN, DemoSettings, DrawSettings
from gluegen_world.demo.workers import load_generator
from gluegen_world.gluenets import train_gluenet, world_cache, world_xlmr
from gluegen_world.models import EVAL_SEED, shipped_model
from gluegen_world.sounds import synthesize, write_wav

logger = logging.getLogger(__name__)

TRAINED_ON_FIRST_START = ("fr", "zh", "sound")  # what a page with no demo folder trains
EXAMPLE_SOUNDS = 6
EXAMPLE_REQUESTS = 2  # per language, offered under the prompt box
# The page draws as the demo's table was drawn: its DDIM steps and guidance.
WORLD_DEFAULTS = DrawDefaults(
    steps=DrawSettings().steps, guidance=DrawSettings().guidance, images=4, mix_weight=1.0
)


def world_defaults(settings: DemoSettings) -> DrawDefaults:
    """The page's starting values: an offset mix measures its words from the place words the
    demo's offset rows measure from (`DemoSettings.offset_origin`), said as words alone, as
    people type a place on the page."""
    origin = replace(settings, mix_words="place").offset_origin() or []
    return replace(WORLD_DEFAULTS, mix_against=f"{ALTERNATIVES_SEPARATOR} ".join(origin))


def world_encoder(name: str, layer: int) -> Encoder:
    """The encoder the demo's GlueNet `name` (a language, 'shared' or 'sound') reads."""
    return HFAudioEncoder(str(shipped_model("sound"))) if name == "sound" else world_xlmr(layer)


def is_current(run: Path, encoder: Encoder) -> bool:
    """True when `run` holds a GlueNet trained on `encoder` (the shipped one now, not one
    retrained since, or another version's)."""
    config = run / "gluenet" / "config.json"
    if not config.is_file():
        return False
    trained_on = json.loads(config.read_text()).get("source_encoder", {})
    return not identity_differences(trained_on, encoder.identity())


def ensure_gluenets(
    workdir: Path, names: tuple[str, ...], progress: bool, settings: DemoSettings | None = None
) -> None:
    """Train the GlueNets `names` (languages or 'sound') that WORKDIR/runs lacks, or holds
    trained on another encoder than the shipped one, as the demo trains them (with its default
    settings unless `settings` are given)."""
    settings = settings or DemoSettings()
    missing = [
        name
        for name in names
        if not is_current(workdir / "runs" / name, world_encoder(name, settings.source_layer))
    ]
    if not missing:
        return
    sources = write_corpora(workdir, settings)
    for name in missing:
        recipe = settings.recipe("sound" if name == "sound" else settings.language_role(name))
        cache = world_cache(sources[name], workdir / "features" / name, progress)
        train_gluenet(cache, sources[name], workdir / "runs" / name, recipe, progress)


def example_sounds(folder: Path, count: int = EXAMPLE_SOUNDS) -> dict[str, str]:
    """{caption: wav file} of `count` held-out one-object scenes (written once)."""
    rng = random.Random(f"{EVAL_SEED}-serve")
    examples = {}
    for index, scene in enumerate(sample_scenes(count, "heldout", EVAL_SEED, two_objects=0.0)):
        path = folder / f"example-{index}.wav"
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            write_wav(path, synthesize(scene.objects[0], seed=EVAL_SEED + index))
        examples[caption(scene, "en", rng)] = str(path)
    return examples


def example_requests(languages: list[str], count: int = EXAMPLE_REQUESTS) -> list[str]:
    """Requests as people type them ("请画...", "je voudrais une image d'..."), `count` per
    language, of held-out scenes."""
    rng = random.Random(f"{EVAL_SEED}-requests")
    scenes = sample_scenes(count, "heldout", EVAL_SEED, two_objects=0.0)
    return [caption(scene, code, rng, "requests") for code in languages for scene in scenes]


def world_served(
    workdir: str | Path = "runs/demo",
    train_missing: bool = True,
    progress: bool = True,
    settings: DemoSettings | None = None,
) -> Served:
    """The page's models on the shapes world, GlueNets from (or trained into) `workdir`."""
    workdir = Path(workdir)
    if train_missing:
        ensure_gluenets(workdir, TRAINED_ON_FIRST_START, progress, settings)
    runs = workdir / "runs"
    generator = load_generator()
    settings = settings or DemoSettings()
    served = Served(defaults=world_defaults(settings), title="GlueGen on the shapes world")
    layer = settings.source_layer  # the layer the demo's GlueNets read
    xlmr = world_xlmr(layer)
    # a GlueNet trained on another XLM-R or sound encoder (a world model retrained since) is
    # left out, and said so, rather than refusing the whole page
    sound_encoder = world_encoder("sound", layer)
    found = [name for name in (*FOREIGN, "shared", "sound") if (runs / name / "gluenet").is_dir()]
    current = {
        name
        for name in found
        if is_current(runs / name, sound_encoder if name == "sound" else xlmr)
    }
    if stale := [name for name in found if name not in current]:
        logger.warning(
            "Left out, trained on another encoder than the shipped one: %s in %s. "
            "`gluegen demo --workdir %s` trains them again.",
            ", ".join(stale),
            runs,
            workdir,
        )
    nets = {
        code: GlueNet.from_pretrained(runs / code / "gluenet")
        for code in FOREIGN
        if code in current
    }
    if "shared" in current:
        nets[ANY] = GlueNet.from_pretrained(runs / "shared" / "gluenet")
        # each language through its own GlueNet and the shared one, their glued tokens
        # averaged: the demo's best reading of phrasings no corpus holds (chosen on validation
        # scenes, benchmarks/explore_ensemble.py)
        nets |= {code: [net, nets[ANY]] for code, net in nets.items() if code != ANY}
    if nets:
        served.text = GlueGenPipeline(generator, xlmr, nets, unconditional="generator")
        served.prompt_examples = example_requests(list(FOREIGN) if ANY in nets else list(nets))
    else:
        served.problems["text"] = f"No language GlueNet in {runs}: run `gluegen demo` first."
    if "sound" in current:
        sound = GlueNet.from_pretrained(runs / "sound" / "gluenet")
        served.sound = GlueGenPipeline(generator, sound_encoder, sound, unconditional="generator")
        served.examples = example_sounds(workdir / "serve-examples")
    else:
        served.problems["sound"] = f"No sound GlueNet in {runs}: run `gluegen demo` first."
    return served
