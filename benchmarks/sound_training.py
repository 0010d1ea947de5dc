"""The sound GlueNet's corpus, its training and the offset mix's weight, judged on scenes.

    python benchmarks/sound_training.py runs/sound --pairs 2000 --variant default
    python benchmarks/sound_training.py runs/sound --pairs 3000 --variant p3000-e24 \
        --overrides '{"epochs": 24, "lr_decay_epochs": 8}'
    python benchmarks/sound_training.py runs/sound --variant default --offset-weight 0.7 \
        --scenes train --test-scenes 128
    python benchmarks/sound_training.py runs/sound --variant objects --captions object
    python benchmarks/sound_training.py runs/sound --variant default --captions scene
    python benchmarks/sound_training.py runs/sound --variant default --captions one-place \
        --withhold --scenes pairs --test-scenes 120
    python benchmarks/sound_training.py runs/sound --variant default --withhold --scenes pairs \
        --test-scenes 120

For each training seed (`--seeds`): a sound corpus of `--pairs` clips (corpus seed 0, as the
demo's), its feature cache, the sound GlueNet trained as the demo trains it (`world-sound`,
`--overrides` over it), then two cells of the validation scenes as the demo draws them: the
sound alone (shape and colour right: "object") and the sound + its position in words, offset
mix (object and position right) at `--offset-weight`, its place words measured from
`--offset-against` (the four places' mean, the demo's, or the empty prompt). Each is also
given over English through the generator's own encoder on the same scenes, as the demo gives
it. `--scenes train` draws
training-split scenes instead (pairs the net trained on, fresh clips). `--captions` says what
each clip's caption says (`gluegen_world.corpus.SOUND_CAPTIONS`): by default the demo's, its
whole scene in one phrasing, the place first ("on the right, a big green star"), so that the
glued sound says its object at the same tokens every time; `scene`, its whole scene
in any corpus phrasing (the demo's until 2026-12-07); `object`, its object alone ("a big red
circle"), as the paper's text side names a sound's class; `one-place`, the demo's phrasing with
every clip said at one place (`SOUND_PLACE`), the offset mix then measured from that place's
words. `--mix-words lead` says the mix's place in that phrasing up to the object ("on the
right, a"), its origin too. `--withhold` keeps the validation
pairs (a second diagonal of shape-colour pairs, `VALIDATION_COMBINATIONS`) out of the corpus,
and `--scenes pairs` draws their 40 one-object scenes: unseen pairs four times as many as the
demo's validation scenes, none of them the test's. `--linear-shares S ...` also draws each
seed's GlueNet and its least-squares map (the demo's `sound_linear` baseline) averaged, the map
weighted by S. Corpora, caches, GlueNets and maps go to WORKDIR and are reused.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

from gluegen.encoders import HFAudioEncoder, TokenFeatures
from gluegen.evaluation.baselines import LinearMap
from gluegen.models import GlueNet, GlueNetEnsemble
from gluegen.pipelines import GlueGenPipeline
from gluegen_world.corpus import SOUND_CAPTIONS, sample_scenes, write_sound_corpus
from gluegen_world.demo.scene_sets import validation_pair_scenes
from gluegen_world.demo.settings import DEFAULT_WORKERS, MIX_WORDS, OFFSET_ORIGINS, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import draw_and_score, quiet_model_loading, train_in_parallel
from gluegen_world.gluenets import (
    LinearReading,
    ParallelSource,
    is_trained,
    linear_is_current,
    world_cache,
)
from gluegen_world.models import VALIDATION_SEED, shipped_model


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="Where corpora, caches and GlueNets go.")
    parser.add_argument("--pairs", type=int, default=DemoSettings().sound_pairs)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--overrides", type=json.loads, default={}, help="Recipe settings (JSON).")
    parser.add_argument("--variant", required=True, help="Folder name of this variant's runs.")
    parser.add_argument(
        "--captions",
        choices=SOUND_CAPTIONS,
        default=DemoSettings().sound_captions,
        help="What each clip's caption says: its whole scene in one phrasing, the place first "
        "(place-first, the demo's), in any corpus phrasing (scene), or its object alone, no "
        "place (object).",
    )
    parser.add_argument(
        "--ensemble",
        type=int,
        default=1,
        help="Also draw the seeds' GlueNets averaged, this many at a time (consecutive seeds "
        "in --seeds order: 2 with seeds 0-5 gives three pairs); 1: each alone only.",
    )
    parser.add_argument(
        "--linear-shares",
        nargs="*",
        type=float,
        default=[],
        help="Also draw each seed's GlueNet averaged with its least-squares map (the demo's "
        "sound baseline, fitted on the seed's training split), the map weighted by each share "
        "(1.0: the map alone).",
    )
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--test-scenes", type=int, default=DemoSettings().test_scenes)
    parser.add_argument(
        "--offset-weight", type=float, default=DemoSettings().offset_weight, help="Of the mix."
    )
    parser.add_argument(
        "--offset-against",
        choices=OFFSET_ORIGINS,
        default=DemoSettings().offset_against,
        help="What the mix's place words are measured from: every place's words (their mean) "
        "or the empty prompt.",
    )
    parser.add_argument(
        "--mix-words",
        choices=MIX_WORDS,
        default=DemoSettings().mix_words,
        help="How the mix says the place: its words alone (place) or the captions' place-first "
        "phrasing up to the object (lead: 'on the right, a').",
    )
    parser.add_argument(
        "--scenes",
        choices=("validation", "train", "pairs"),
        default="validation",
        help="The demo's validation scenes (held-out pairs, 10 of them at 64 draws), as "
        "many draws of training-split scenes (pairs the net trained on, fresh clips: what "
        "does not need unseen pairs, such as a mix weight), or of the validation pairs' 40 "
        "scenes (pairs: with --withhold only).",
    )
    parser.add_argument(
        "--withhold",
        action="store_true",
        help="Train on a corpus without the validation pairs (a second diagonal), so that "
        "--scenes pairs judges pairs the GlueNets never saw.",
    )
    args = parser.parse_args(argv)
    if args.scenes == "pairs" and not args.withhold:
        parser.error("--scenes pairs judges the validation pairs: train without them, --withhold")
    return args


def judged_scenes(args: argparse.Namespace) -> list | None:
    """The scenes `--scenes` names, or None for the demo's validation scenes."""
    if args.scenes == "train":
        return sample_scenes(
            args.test_scenes, "train", VALIDATION_SEED, 0.0, withhold_validation=args.withhold
        )
    if args.scenes == "pairs":
        return validation_pair_scenes(args.test_scenes)
    return None


def train_missing(
    args: argparse.Namespace, settings: DemoSettings, summary_tokens: int
) -> tuple[dict[int, Path], dict[int, Path]]:
    """The corpus, its cache, each seed's GlueNet and (with `--linear-shares`) its
    least-squares map of the sound encoder's `summary_tokens`, made where missing;
    ({seed: run folder}, {seed: map folder})."""
    suffix = {"scene": "", "object": "-objects"}.get(args.captions, f"-{args.captions}")
    suffix += "-withheld" if args.withhold else ""
    folder = args.workdir / f"pairs-{args.pairs}{suffix}"
    if not (folder / "sounds" / "captions.tsv").is_file():
        write_sound_corpus(
            folder / "sounds", args.pairs, 0, 0, args.captions, withhold_validation=args.withhold
        )
    source = ParallelSource(str(shipped_model("sound")), str(folder / "sounds"), "file", "caption")
    cache = world_cache(source, folder / "features", progress=True)
    reading = LinearReading(summary_tokens, settings.sound_linear_ridge)
    runs, maps, jobs, fits = {}, {}, [], []
    for seed in args.seeds:
        recipe = settings.recipe("sound").with_overrides(**args.overrides, seed=seed)
        run = runs[seed] = folder / "runs" / f"{args.variant}-seed{seed}"
        if not is_trained(cache, source, run, recipe):
            jobs.append((str(cache.folder), source, run, recipe))
        # the seed's least-squares map, on the training split its GlueNet trains on
        maps[seed] = folder / "runs" / f"{args.variant}-seed{seed}-linear"
        if args.linear_shares and not linear_is_current(cache, maps[seed], recipe, reading):
            fits.append((str(cache.folder), maps[seed], recipe, reading))
    train_in_parallel(jobs, args.workers, progress=True, linear_fits=fits)
    return runs, maps


def main(argv: list[str] | None = None) -> int:
    """Train what is missing, then print one line per seed (and per averaged group) and their
    mean."""
    args = parse_args(argv)
    quiet_model_loading()
    settings = DemoSettings(
        scenes="validation",
        sound_pairs=args.pairs,
        sound_captions=args.captions,  # the offset mix's origin follows what the captions say
        test_scenes=args.test_scenes,
        offset_weight=args.offset_weight,
        offset_against=args.offset_against,
        mix_words=args.mix_words,
    )
    encoder = HFAudioEncoder(str(shipped_model("sound")))
    runs, maps = train_missing(args, settings, encoder.summary_tokens)
    torch.set_num_threads(args.workers)
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    demo.scenes = judged_scenes(args) or demo.scenes
    english = draw_and_score(
        demo.pipeline, demo.judges, *demo.own_inputs(demo.prompts("en"))(), settings.draw
    )[1]
    clips, texts = demo.sound_inputs()
    print(
        f"{args.variant}, {args.pairs} clips, captions of the {args.captions}, {args.scenes} "
        "scenes; English (own encoder): "
        f"object {english['object']:.3f}, object and position "
        f"{english['object_and_position']:.3f}"
    )
    header = f"{'seed':>6}{'sound':>10}{'/ en':>8}{'offset mix':>12}{'/ en':>8}"
    weight, against = settings.offset_weight, settings.offset_origin()
    origin = "the empty prompt" if against is None else " / ".join(against)
    print(f"{header}  (offset weight {weight}, against {origin})")
    seeds = list(runs)
    groups = [[seed] for seed in seeds]  # each seed's GlueNet alone, then the averaged groups
    if args.ensemble > 1:
        size = args.ensemble
        groups += [seeds[i : i + size] for i in range(0, len(seeds) - size + 1, size)]
    ratios: dict[str, list[float]] = {"sound": [], "offset": []}
    for number, group in enumerate(groups):
        nets = [GlueNet.from_pretrained(runs[seed] / "gluenet") for seed in group]
        net = nets[0] if len(nets) == 1 else GlueNetEnsemble(nets)
        glue = GlueGenPipeline(demo.pipeline, encoder, net, unconditional="generator")
        sound = draw_and_score(
            demo.pipeline, demo.judges, *demo.glued_inputs(glue, clips)(), settings.draw
        )[1]["object"]
        inputs = demo.glued_inputs(
            glue, clips, text=texts, mix="offset", weight=weight, against=against
        )
        mixed = draw_and_score(demo.pipeline, demo.judges, *inputs(), settings.draw)[1]
        label = "+".join(str(seed) for seed in group)
        print_row(label, sound, mixed["object_and_position"], english, ratios)
        if number + 1 == len(seeds) or number + 1 == len(groups):  # the end of a kind
            ratios = print_mean(ratios)
    # each seed's GlueNet and map read the same clips, through the encoder once
    outputs = {}
    if args.linear_shares:
        source = encoder.encode(clips).hidden  # (b, n_s, d_s)
        for seed in seeds:
            outputs[seed] = glued_and_mapped(demo, encoder, runs[seed], maps[seed], clips, source)
    for share in args.linear_shares:
        for seed in seeds:
            glue, glued, mapped = outputs[seed]
            blended = TokenFeatures((1 - share) * glued.hidden + share * mapped, glued.mask)
            sound, mixed = blend_scores(demo, glue, blended, texts)
            print_row(f"{seed} + map x{share}", sound, mixed, english, ratios)
        ratios = print_mean(ratios)
    return 0


def print_row(
    label: str, sound: float, mixed: float, english: dict, ratios: dict[str, list[float]]
) -> None:
    """One line: the sound and the offset mix, each alone and over English; the ratios kept."""
    ratios["sound"].append(sound / english["object"])
    ratios["offset"].append(mixed / english["object_and_position"])
    print(
        f"{label:>6}{sound:>10.3f}{ratios['sound'][-1]:>8.3f}"
        f"{mixed:>12.3f}{ratios['offset'][-1]:>8.3f}",
        flush=True,
    )


def print_mean(ratios: dict[str, list[float]]) -> dict[str, list[float]]:
    """The mean line of a kind of row; empty ratios for the next kind."""
    means = {name: statistics.mean(values) for name, values in ratios.items()}
    print(f"{'mean':>6}{'':>10}{means['sound']:>8.3f}{'':>12}{means['offset']:>8.3f}")
    return {"sound": [], "offset": []}


def glued_and_mapped(
    demo: WorldDemo,
    encoder: HFAudioEncoder,
    run: Path,
    linear: Path,
    clips: list,
    source: torch.Tensor,
) -> tuple[GlueGenPipeline, TokenFeatures, torch.Tensor]:
    """A seed's GlueNet as a pipeline, and the clips' source features (b, n_s, d_s) through it
    and through its least-squares map in `linear` (each (b, n_t, d_t))."""
    net = GlueNet.from_pretrained(run / "gluenet")
    glue = GlueGenPipeline(demo.pipeline, encoder, net, unconditional="generator")
    glued = glue.encode_features(source, glue.route(clips))
    return glue, glued, LinearMap.from_pretrained(linear).translate(source)


def blend_scores(
    demo: WorldDemo, glue: GlueGenPipeline, blended: TokenFeatures, texts: list[str]
) -> tuple[float, float]:
    """(sound: object right, offset mix: object and position right) drawn from the blended
    glued tokens alone and offset-mixed with `texts` as the demo mixes."""
    negative, scenes, draw = demo.empty(len(texts)), demo.scenes, demo.settings.draw
    sound = draw_and_score(demo.pipeline, demo.judges, blended.hidden, negative, scenes, draw)
    weight, against = demo.settings.offset_weight, demo.settings.offset_origin()
    mixed = glue.mix_with_text(blended, texts, "offset", weight=weight, against=against)
    mix = draw_and_score(demo.pipeline, demo.judges, mixed.hidden, negative, scenes, draw)
    return sound[1]["object"], mix[1]["object_and_position"]


if __name__ == "__main__":
    sys.exit(main())
