"""`gluegen` command line: thin; parse, build a config, call the library.

    gluegen cache     encode a parallel corpus once with both encoders
    gluegen train     cache (or reuse) + train a GlueNet
    gluegen evaluate  alignment of a saved GlueNet on held-out pairs
    gluegen presets   the paper's GlueNet layouts and their parameter counts
    gluegen demo      GlueGen end to end on the shapes world, offline: table + HTML report
    gluegen world     the shapes world: corpora, sounds, its models

Every command takes `--config FILE` (YAML or JSON, keys as the long flags with dashes or
underscores); flags given on the command line win over the file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

import torch
import yaml

from gluegen.cpu import keep_freed_memory
from gluegen.data.cache import FeatureCache
from gluegen.data.corpus import CorpusError
from gluegen.evaluate import metrics_table
from gluegen.gluenet import ACTIVATIONS, MIX_ORDERS, PRESETS, GlueNet
from gluegen.objective import ObjectiveWeights
from gluegen.train import MIXED_PRECISION, TrainConfig, Trainer, clear_state
from gluegen.workflow import CacheSpec, evaluate_on_cache, gluenet_config_for, prepare_cache
from gluegen.world.captions import LANGUAGES
from gluegen.world.demo import DEFAULT_WORKERS, DemoSettings
from gluegen.world.models import GENERATOR_IMAGES, WORLD_MODELS

logger = logging.getLogger("gluegen")

EXAMPLES = """examples:
  gluegen train --source-encoder xlm-roberta-large \\
      --target stable-diffusion-v1-5/stable-diffusion-v1-5 \\
      --corpus captions.en.txt --corpus-target captions.zh.txt --output-dir runs/zh
  gluegen train --config runs/zh.yaml --epochs 2 --resume
  torchrun --nproc_per_node 8 -m gluegen.cli train --config runs/zh.yaml
  gluegen evaluate --gluenet runs/zh/gluenet --cache-dir runs/zh/features
"""


class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults and keep the examples' line breaks."""


def add_cache_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the pairs come from and how they are encoded."""
    group = parser.add_argument_group("corpus and encoders")
    group.add_argument(
        "--source-encoder", help="Hub id or folder of the new (source) text encoder."
    )
    group.add_argument(
        "--target", help="The generator: a diffusers pipeline folder or hub id (or a text encoder)."
    )
    group.add_argument(
        "--corpus",
        help="Source side: a text file (one example a line; give --corpus-target too), a "
        "TSV/CSV/JSONL table, or a folder of audio files with captions.tsv.",
    )
    group.add_argument("--corpus-target", help="Target side text file, aligned line by line.")
    group.add_argument("--source-column", default="source", help="Table column of the source side.")
    group.add_argument("--target-column", default="target", help="Table column of the target side.")
    group.add_argument("--source-max-length", type=int, default=77, help="Source tokens (n_s).")
    group.add_argument("--source-layer", type=int, default=-1, help="Hidden layer to read.")
    group.add_argument(
        "--source-pooling",
        choices=["mean"],
        default=None,
        help="Read one token, the mean of the prompt's tokens (sentence encoders such as "
        "all-MiniLM-L6-v2); fold it for GlueNet with --mixer-tokens/--mixer-dim.",
    )
    group.add_argument("--cache-dir", help="Feature cache folder (default: OUTPUT_DIR/features).")
    group.add_argument("--encode-batch-size", type=int, default=64, help="Pairs per encoder call.")
    group.add_argument("--shard-size", type=int, default=4096, help="Pairs per cache shard.")
    group.add_argument(
        "--cache-dtype",
        default="float32",
        choices=["float32", "float16", "bfloat16"],
        help="Precision of cached features.",
    )
    group.add_argument("--device", default="cpu", help="Device the encoders run on.")


# GlueNetConfig settings `gluegen train` takes as flags (over the preset's)
LAYOUT_FLAGS = (
    "source_blocks",
    "target_blocks",
    "tail_blocks",
    "mult",
    "mixer_tokens",
    "mixer_dim",
    "mix_order",
    "activation",
    "bridge_token_groups",
    "skip_rank",
    "attention_heads",
    "attention_head_dim",
    "attention_layers",
    "attention_slots",
    "standardize_source",
    "target_offset",
)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """GlueNet layout, objective and optimisation; defaults are the paper's."""
    model = parser.add_argument_group("GlueNet (a preset's layout at the cache's shapes)")
    model.add_argument("--preset", default="paper-multilingual", choices=sorted(PRESETS))
    model.add_argument("--source-blocks", type=int, help="Residual blocks at the source size.")
    model.add_argument("--target-blocks", type=int, help="Residual blocks at the target size.")
    model.add_argument("--tail-blocks", type=int, help="Un-normalised blocks at the end.")
    model.add_argument("--mult", type=float, help="MLP width multiplier.")
    model.add_argument(
        "--mixer-tokens", type=int, help="Fold the source into this many tokens (audio: 16)."
    )
    model.add_argument("--mixer-dim", type=int, help="Width of the folded source (audio: 64).")
    model.add_argument("--mix-order", choices=MIX_ORDERS, help="Which MLP a block applies first.")
    model.add_argument(
        "--activation", choices=sorted(ACTIVATIONS), help="Nonlinearity of every MLP."
    )
    model.add_argument(
        "--bridge-token-groups",
        type=int,
        help="Channel groups the bridge routes across tokens separately (1: the paper; the "
        "width it routes at: every channel its own, as the shapes world's GlueNet).",
    )
    model.add_argument(
        "--skip-rank",
        type=int,
        help="A linear map of the flattened source, of this rank, beside the bridge (0: none).",
    )
    model.add_argument(
        "--attention-heads",
        type=int,
        help="Route tokens to target positions by content: cross-attention with this many "
        "heads replaces the bridge (0: the paper's routing by position; the shapes world's "
        "shared GlueNet: 16).",
    )
    model.add_argument("--attention-head-dim", type=int, help="Width of each attention head.")
    model.add_argument("--attention-layers", type=int, help="Rounds of attention (default 2).")
    model.add_argument(
        "--attention-slots",
        type=int,
        help="Queries the attention fills, spread over the target tokens (0: one per token).",
    )
    model.add_argument(
        "--standardize-source",
        action=argparse.BooleanOptionalAction,
        help="Centre and scale each source channel by its measured statistics.",
    )
    model.add_argument(
        "--target-offset",
        action=argparse.BooleanOptionalAction,
        help="A learned output offset per target position, starting at the mean target.",
    )
    objective = parser.add_argument_group("objective weights")
    for field in dataclasses.fields(ObjectiveWeights):
        objective.add_argument(
            f"--{field.name}-weight", type=float, default=field.default, help=field.metadata["help"]
        )
    train = parser.add_argument_group("training")
    skip = {"output_dir", "weights", "progress"}
    for field in dataclasses.fields(TrainConfig):
        if field.name in skip:
            continue
        train.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=type(field.default),
            default=field.default,
            choices=MIXED_PRECISION if field.name == "mixed_precision" else None,
            help=field.metadata["help"],
        )
    train.add_argument("--resume", action="store_true", help="Continue the run in OUTPUT_DIR.")
    train.add_argument("--no-progress", action="store_true", help="Hide progress bars.")


def build_parser() -> argparse.ArgumentParser:
    """The `gluegen` argument parser."""
    parser = argparse.ArgumentParser(
        prog="gluegen", description=__doc__, formatter_class=Formatter, epilog=EXAMPLES
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="Log more.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, formatter_class=Formatter
        )
        sub.add_argument("--config", help="YAML or JSON file of settings; flags override it.")
        return sub

    cache = command("cache", "Encode a parallel corpus with both encoders into a feature cache.")
    add_cache_arguments(cache)
    cache.add_argument(
        "--output-dir", default="gluegen-run", help="Run folder (for the default cache)."
    )
    cache.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    train = command("train", "Build or reuse the feature cache, then train a GlueNet.")
    add_cache_arguments(train)
    train.add_argument("--output-dir", default="gluegen-run", help="Where the run is written.")
    add_train_arguments(train)

    evaluate = command("evaluate", "Alignment of a saved GlueNet: MSE, cosine, retrieval.")
    evaluate.add_argument("--gluenet", required=False, help="GlueNet folder or hub id.")
    add_cache_arguments(evaluate)
    evaluate.add_argument(
        "--output-dir", default="gluegen-run", help="Run folder (for the default cache)."
    )
    evaluate.add_argument(
        "--holdout",
        type=float,
        help="Held-out share to evaluate (0: all pairs). Default: the training run's split.",
    )
    evaluate.add_argument("--seed", type=int, help="The split's seed. Default: the training run's.")
    evaluate.add_argument("--eval-candidates", type=int, default=64, help="Retrieval group size.")
    evaluate.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    command("presets", "Print the paper's GlueNet layouts and their parameter counts.")

    add_world_commands(commands)

    demo = command(
        "demo",
        "GlueGen end to end on the shapes world: train GlueNets for six languages, sounds and "
        "a pretrained English model, draw, judge, print the table, write an HTML report.",
    )
    demo.add_argument(
        "--workdir",
        default="runs/demo",
        help="Where corpora, feature caches, GlueNets and drawn cells go; reused by a re-run.",
    )
    demo.add_argument(
        "--report", default=None, help="Folder of the HTML report; none given: WORKDIR/report."
    )
    demo.add_argument(
        "--test-scenes",
        type=int,
        default=DemoSettings.test_scenes,
        help="Held-out scenes every table cell is drawn from.",
    )
    demo.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="CPU threads for PyTorch (the default is every core).",
    )
    demo.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="Processes training GlueNets, then drawing, at once, one thread each (the default "
        "is every core).",
    )
    demo.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    return parser


def add_world_commands(commands: argparse._SubParsersAction) -> None:
    """`gluegen world ...`: the shapes world's corpora and models."""
    world = commands.add_parser(
        "world",
        help="The shapes world: corpora, sounds, its models.",
        description="The shapes world: corpora, sounds, its models.",
        formatter_class=Formatter,
    )
    actions = world.add_subparsers(dest="world_command", required=True, metavar="ACTION")
    corpus = actions.add_parser(
        "corpus",
        help="Write an English + LANGUAGE parallel corpus (train.tsv, heldout.tsv).",
        formatter_class=Formatter,
    )
    corpus.add_argument("--language", required=True, choices=[c for c in LANGUAGES if c != "en"])
    corpus.add_argument("--out", required=True, help="Folder to write.")
    corpus.add_argument("--train", type=int, default=10_000, help="Training pairs.")
    corpus.add_argument(
        "--heldout", type=int, default=1_000, help="Held-out pairs (unseen combinations)."
    )
    corpus.add_argument("--seed", type=int, default=0, help="Seed of scenes and phrasings.")
    sounds = actions.add_parser(
        "sounds",
        help="Write sound clips with English captions (captions.tsv).",
        formatter_class=Formatter,
    )
    sounds.add_argument("--out", required=True, help="Folder to write.")
    sounds.add_argument("--train", type=int, default=2_000, help="Training clips.")
    sounds.add_argument("--heldout", type=int, default=200, help="Held-out clips.")
    sounds.add_argument("--seed", type=int, default=0, help="Seed of scenes and noise.")
    train = actions.add_parser(
        "train",
        help="Train the world's models from scratch.",
        description="Train the judge, XLM-R, the sound encoder and the generator into OUT/NAME, "
        "each written whole or not at all. Stopped, the same command resumes: finished models "
        "are kept, and the generator goes on from its last checkpoint (OUT/.generator-work). "
        "About 90 minutes for all four on 2 CPU cores, 80 of them the generator's UNet.",
        formatter_class=Formatter,
    )
    train.add_argument("--out", required=True, help="Folder for the trained models.")
    train.add_argument(
        "--only",
        action="append",
        choices=WORLD_MODELS,
        help="Retrain just this model (repeatable). Without it, models already in OUT are kept.",
    )
    train.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    evaluate = actions.add_parser(
        "evaluate",
        help="Measure the world's models: judge, XLM-R, sound encoder, and the generator's "
        "judged accuracy, Fréchet distance and speed on held-out prompts.",
        formatter_class=Formatter,
    )
    evaluate.add_argument("--models", help="Folder of trained models (default: the shipped ones).")
    evaluate.add_argument("--count", type=int, default=2000, help="Fresh renders to score.")
    evaluate.add_argument(
        "--generator-images",
        type=int,
        default=GENERATOR_IMAGES,
        help="Images the generator draws from held-out English prompts.",
    )


def apply_config_file(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `argv`; values from --config become defaults that flags override."""
    args = parser.parse_args(argv)
    if not getattr(args, "config", None):
        return args
    path = Path(args.config)
    if not path.is_file():
        parser.error(f"--config {path}: no such file")
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        parser.error(f"--config {path}: not valid YAML/JSON ({error})")
    if not isinstance(settings, dict):
        parser.error(f"--config {path}: expected a mapping of settings")
    subparser = parser._subparsers._group_actions[0].choices[args.command]  # noqa: SLF001
    known = {action.dest for action in subparser._actions}  # noqa: SLF001
    normalised = {str(key).replace("-", "_"): value for key, value in settings.items()}
    unknown = sorted(set(normalised) - known)
    if unknown:
        parser.error(
            f"--config {path}: unknown settings {unknown}; see `gluegen {args.command} --help`"
        )
    subparser.set_defaults(**normalised)
    return parser.parse_args(argv)


def cache_spec(args: argparse.Namespace) -> CacheSpec:
    """CacheSpec from parsed arguments; names the missing flags."""
    missing = [flag for flag in ("source_encoder", "target", "corpus") if not getattr(args, flag)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise SystemExit(f"gluegen {args.command}: give {flags} (or put them in --config).")
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(CacheSpec)
        if hasattr(args, f.name)
    }
    values["cache_dir"] = args.cache_dir or str(Path(args.output_dir) / "features")
    return CacheSpec(**values)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """TrainConfig from parsed arguments."""
    weights = ObjectiveWeights(
        **{f.name: getattr(args, f"{f.name}_weight") for f in dataclasses.fields(ObjectiveWeights)}
    )
    skip = {"output_dir", "weights", "progress"}
    values = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if f.name not in skip
    }
    return TrainConfig(
        output_dir=args.output_dir, weights=weights, progress=not args.no_progress, **values
    )


def run_cache(args: argparse.Namespace) -> None:
    """`gluegen cache`: build or reuse the feature cache."""
    cache = prepare_cache(cache_spec(args), progress=not args.no_progress)
    print(f"feature cache: {cache.folder} ({len(cache)} pairs, shapes {cache.manifest['shapes']})")


def run_train(args: argparse.Namespace) -> None:
    """`gluegen train`: cache, then train and save a GlueNet."""
    cache = prepare_cache(cache_spec(args), progress=not args.no_progress)
    layout = {name: getattr(args, name) for name in LAYOUT_FLAGS}  # None: the preset's
    config = gluenet_config_for(cache, args.preset, **layout)
    settings = train_config(args)
    if not args.resume:
        clear_state(settings.output_dir)
    trainer = Trainer(cache, config, settings)
    if trainer.accelerator.is_main_process:
        processes = trainer.accelerator.num_processes
        print(
            f"GlueNet: {trainer.gluenet.num_parameters():,} parameters; "
            f"{trainer.total_steps} steps on {len(trainer.train_ids)} pairs, "
            f"{processes} process{'es' if processes > 1 else ''}"
        )
    trainer.run(resume=args.resume)
    if trainer.accelerator.is_main_process and trainer.step >= trainer.total_steps:
        metrics = json.loads((Path(settings.output_dir) / "metrics.json").read_text())
        title = f"held-out alignment ({int(metrics.get('count', 0))} pairs)"
        print(metrics_table(title, {"GlueNet": metrics}))
        print(f"\nsaved: {Path(settings.output_dir) / 'gluenet'}")


def training_split(output_dir: str) -> tuple[float, int]:
    """(holdout, seed) of the training run in `output_dir`, or the training defaults."""
    progress = Path(output_dir) / "state" / "progress.json"
    settings = json.loads(progress.read_text())["config"] if progress.is_file() else {}
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    return settings.get("holdout", defaults["holdout"]), settings.get("seed", defaults["seed"])


def run_evaluate(args: argparse.Namespace) -> None:
    """`gluegen evaluate`: alignment metrics of a saved GlueNet."""
    gluenet = args.gluenet or str(Path(args.output_dir) / "gluenet")
    if args.corpus:
        cache = prepare_cache(cache_spec(args), progress=not args.no_progress)
    else:
        cache = FeatureCache.open(args.cache_dir or Path(args.output_dir) / "features")
    run_holdout, run_seed = training_split(args.output_dir)
    holdout = run_holdout if args.holdout is None else args.holdout
    seed = run_seed if args.seed is None else args.seed
    metrics = evaluate_on_cache(gluenet, cache, holdout, seed, args.eval_candidates)
    print(
        metrics_table(
            f"alignment of {gluenet} ({int(metrics['count'])} pairs)", {"GlueNet": metrics}
        )
    )
    print(json.dumps(metrics))


def run_presets(args: argparse.Namespace) -> None:
    """`gluegen presets`: the paper layouts and their parameter counts."""
    print(f"{'preset':22}{'parameters':>14}  layout")
    for name, make in PRESETS.items():
        config = make()
        count = GlueNet(config).num_parameters()
        layout = (
            f"{config.source_tokens}x{config.source_dim} -> {config.target_tokens}x"
            f"{config.target_dim}, blocks {config.source_blocks}+1+{config.target_blocks}"
            f"+{config.tail_blocks}, mult {config.mult:g}"
        )
        print(f"{name:22}{count:>14,}  {layout}")


def run_world(args: argparse.Namespace) -> None:
    """`gluegen world ...`."""
    from gluegen.world.corpus import write_sound_corpus, write_text_corpus
    from gluegen.world.models import evaluate_world_models, train_world_models

    if args.world_command == "corpus":
        paths = write_text_corpus(args.out, args.language, args.train, args.heldout, args.seed)
        print(f"wrote {paths['train']} and {paths['heldout']}")
    elif args.world_command == "sounds":
        print(f"wrote {write_sound_corpus(args.out, args.train, args.heldout, args.seed)}")
    elif args.world_command == "train":
        trained = train_world_models(args.out, args.only, progress=not args.no_progress)
        for name, folder in trained.items():
            print(f"{name}: {folder}")
    else:
        for title, scores in evaluate_world_models(
            args.models, count=args.count, generator_images=args.generator_images
        ).items():
            print(title)
            for name, value in scores.items():
                print(f"  {name:24} {value:.4f}")


def run_demo(args: argparse.Namespace) -> None:
    """`gluegen demo`: the shapes-world run; prints the tables and writes the report."""
    from gluegen.world.demo import WorldDemo, format_tables
    from gluegen.world.report import write_report

    if args.test_scenes < 1:
        raise ValueError("--test-scenes must be at least 1.")
    torch.set_num_threads(max(1, args.threads))
    started = time.time()
    workdir = Path(args.workdir)
    settings = dataclasses.replace(DemoSettings(), test_scenes=args.test_scenes)
    demo = WorldDemo(workdir, settings, progress=not args.no_progress, workers=args.workers)
    results = demo.run()
    page = write_report(results, workdir, Path(args.report or workdir / "report"))
    print(format_tables(results))
    print(f"\nReport: {page}  ({time.time() - started:.0f} s)")


COMMANDS = {
    "cache": run_cache,
    "train": run_train,
    "evaluate": run_evaluate,
    "presets": run_presets,
    "world": run_world,
    "demo": run_demo,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `gluegen` console script."""
    import transformers

    parser = build_parser()
    args = apply_config_file(parser, sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()  # weight-loading bars; ours stay
    keep_freed_memory()  # a third of CPU drawing time went to page faults without it
    try:
        COMMANDS[args.command](args)
    except (CorpusError, ValueError) as error:
        print(f"gluegen {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
