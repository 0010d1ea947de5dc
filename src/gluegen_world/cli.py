"""`gluegen demo` and `gluegen world ...`: the shapes world's commands.

They join the `gluegen` command through the `gluegen.commands` entry points
(pyproject.toml), so that the library knows nothing of the world. The demo's flags are
DemoSettings' fields (demo/settings.py); `--config FILE` sets any of them, `draw` and
`recipe_overrides` as nested mappings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from gluegen.cli import (
    Formatter,
    add_server_flags,
    command_parser,
    run_reporting_errors,
    setup_logging,
)
from gluegen.settings import add_flags, given, parse_with_config
from gluegen_world.captions import LANGUAGES
from gluegen_world.corpus import SOUND_CAPTIONS
from gluegen_world.demo.settings import (
    AVAILABLE_CPUS,
    DEFAULT_WORKERS,
    DemoSettings,
    DrawSettings,
)
from gluegen_world.models import WORLD_MODELS
from gluegen_world.training import GENERATOR_IMAGES

DRAW_PREFIX = "draw_"


def build_demo_parser() -> argparse.ArgumentParser:
    """`gluegen demo`: the run's folders and processes, then every DemoSettings field."""
    parser = command_parser(
        "demo",
        "GlueGen end to end on the shapes world: train GlueNets for six languages, sounds and "
        "a pretrained English model, draw, judge, print the table, write an HTML report.",
    )
    parser.add_argument(
        "--workdir",
        default="runs/demo",
        help="Where corpora, feature caches, GlueNets and drawn cells go; reused by a re-run.",
    )
    parser.add_argument("--report", help="Folder of the HTML report (default: WORKDIR/report).")
    parser.add_argument(
        "--threads", type=int, default=AVAILABLE_CPUS, help="CPU threads for PyTorch."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="Processes training GlueNets, then drawing, at once, one thread each. With 1 the "
        "work runs in this process on --threads threads: the default run's bits only with "
        "--threads 1 (PyTorch's sums follow the thread count).",
    )
    settings = parser.add_argument_group("demo settings (also keys of --config)")
    add_flags(settings, DemoSettings, skip=("draw", "recipe_overrides"))
    settings.add_argument(
        "--recipe-overrides",
        type=json.loads,
        default={},
        help='Settings over the recipes, as JSON by role: {"all": {"epochs": 1}, '
        '"shared": {"attention_heads": 2}} (roles: language, attention, shared, sound, paper, '
        "sentence).",
    )
    add_flags(parser.add_argument_group("drawing"), DrawSettings, prefix=DRAW_PREFIX)
    return parser


def demo_settings(args: argparse.Namespace) -> DemoSettings:
    """DemoSettings from parsed arguments."""
    draw = DrawSettings(**given(args, DrawSettings, prefix=DRAW_PREFIX))
    values = given(args, DemoSettings)
    return DemoSettings(**{**values, "draw": draw})


def run_demo(args: argparse.Namespace) -> None:
    """`gluegen demo`: the shapes-world run; prints the tables and writes the report."""
    import torch

    from gluegen.allocator import keep_freed_memory
    from gluegen_world.demo import WorldDemo, format_tables
    from gluegen_world.demo.report import write_report
    from gluegen_world.demo.workers import quiet_model_loading

    settings = demo_settings(args)
    quiet_model_loading()
    torch.set_num_threads(max(1, args.threads))
    keep_freed_memory()
    started = time.time()
    workdir = Path(args.workdir)
    demo = WorldDemo(workdir, settings, progress=not args.no_progress, workers=args.workers)
    results = demo.run()
    page = write_report(results, workdir, Path(args.report or workdir / "report"))
    print(format_tables(results))
    print(f"\nReport: {page}  ({time.time() - started:.0f} s)")


def build_world_parser() -> argparse.ArgumentParser:
    """`gluegen world ACTION`."""
    parser = command_parser("world", "The shapes world: corpora, sounds, its models.")
    actions = parser.add_subparsers(dest="world_command", required=True, metavar="ACTION")

    def action(name: str, text: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=text, description=text, formatter_class=Formatter)

    corpus = action("corpus", "Write an English + LANGUAGE parallel corpus (train/heldout.tsv).")
    corpus.add_argument("--language", required=True, choices=[c for c in LANGUAGES if c != "en"])
    corpus.add_argument("--out", required=True, help="Folder to write.")
    corpus.add_argument("--train", type=int, default=10_000, help="Training pairs.")
    corpus.add_argument(
        "--heldout", type=int, default=1_000, help="Held-out pairs (unseen combinations)."
    )
    corpus.add_argument("--seed", type=int, default=0, help="Seed of scenes and phrasings.")
    sounds = action(
        "sounds",
        "Write sound clips with English captions (captions.tsv; its split column keeps "
        "held-out clips out of training).",
    )
    sounds.add_argument("--out", required=True, help="Folder to write.")
    sounds.add_argument("--train", type=int, default=2_000, help="Training clips.")
    sounds.add_argument("--heldout", type=int, default=200, help="Held-out clips.")
    sounds.add_argument("--seed", type=int, default=0, help="Seed of scenes and noise.")
    sounds.add_argument(
        "--captions",
        choices=SOUND_CAPTIONS,
        default=DemoSettings().sound_captions,
        help="What each clip's caption says: its scene in one phrasing, the place first "
        "(place-first, the demo's), in any corpus phrasing (scene), its object alone "
        "(object), or place first with every clip at one place (one-place).",
    )
    train = action(
        "train",
        "Train the judge, XLM-R, the sound encoder and the generator into OUT/NAME, each "
        "written whole or not at all. Stopped, the same command resumes: finished models are "
        "kept, and the generator goes on from its last checkpoint (OUT/.generator-work).",
    )
    train.add_argument("--out", required=True, help="Folder for the trained models.")
    train.add_argument(
        "--only",
        action="append",
        choices=WORLD_MODELS,
        help="Retrain just this model (repeatable). Without it, models already in OUT are kept.",
    )
    evaluate = action(
        "evaluate",
        "Measure the world's models: judge, XLM-R, sound encoder, and the generator's judged "
        "accuracy, Fréchet distance and speed on held-out prompts.",
    )
    evaluate.add_argument("--models", help="Folder of trained models (default: the shipped ones).")
    evaluate.add_argument("--count", type=int, default=2000, help="Fresh renders to score.")
    evaluate.add_argument(
        "--generator-images",
        type=int,
        default=GENERATOR_IMAGES,
        help="Images the generator draws from held-out English prompts.",
    )
    serve = action(
        "serve",
        "A local web page on the shapes world with the GlueNets `gluegen demo` trained in "
        "WORKDIR: French, Chinese and sound are trained there on first start if missing.",
    )
    add_server_flags(serve)
    serve.add_argument("--workdir", default="runs/demo", help="The demo's work folder.")
    serve.add_argument(
        "--no-train", action="store_true", help="Serve only the GlueNets already in WORKDIR."
    )
    return parser


def serve_world(args: argparse.Namespace) -> None:
    """`gluegen world serve`: the world's models and a demo folder's GlueNets on the page."""
    from gluegen.allocator import keep_freed_memory
    from gluegen.app import serve
    from gluegen.pipelines.routing import load_detector_early
    from gluegen_world.serve import world_served

    keep_freed_memory()  # the page draws on the CPU: each step allocates the same buffers
    load_detector_early()  # the page reads each prompt's language: lingua loads beside the models
    served = world_served(
        args.workdir, train_missing=not args.no_train, progress=not args.no_progress
    )
    print(f"serving on http://{args.host}:{args.port} (Ctrl-C stops)")
    serve(served, args.host, args.port)


def run_world(args: argparse.Namespace) -> None:
    """`gluegen world ...`."""
    from gluegen_world.corpus import write_sound_corpus, write_text_corpus
    from gluegen_world.training import evaluate_world_models, train_world_models

    if args.world_command == "corpus":
        paths = write_text_corpus(args.out, args.language, args.train, args.heldout, args.seed)
        print(f"wrote {paths['train']} and {paths['heldout']}")
    elif args.world_command == "sounds":
        table = write_sound_corpus(
            args.out, args.train, args.heldout, args.seed, captions=args.captions
        )
        print(f"wrote {table}")
    elif args.world_command == "serve":
        serve_world(args)
    elif args.world_command == "train":
        trained = train_world_models(args.out, args.only, progress=not args.no_progress)
        for name, folder in trained.items():
            print(f"{name}: {folder}")
    else:
        results = evaluate_world_models(
            args.models, count=args.count, generator_images=args.generator_images
        )
        for title, scores in results.items():
            print(title)
            for name, value in scores.items():
                print(f"  {name:24} {value:.4f}")


COMMANDS = {"demo": (build_demo_parser, run_demo), "world": (build_world_parser, run_world)}


def main(argv: list[str]) -> int:
    """`gluegen demo ...` or `gluegen world ...` (argv starts with the command)."""
    name = argv[0]
    build, run = COMMANDS[name]
    args = parse_with_config(build(), argv[1:], nested=(DRAW_PREFIX.rstrip("_"),))
    setup_logging(args.verbose, progress=not args.no_progress)
    # a demo run again keeps its trained GlueNets and drawn cells, and continues a GlueNet
    # stopped part-way
    again = "the same command continues" if name == "demo" else None
    return run_reporting_errors(name, run, args, again)


def demo_main(argv: list[str]) -> int:
    """GlueGen end to end on the shapes world, offline: train, draw, judge, report.

    GlueNets for six languages, sounds and a pretrained English model; prints the table and
    writes an HTML report.
    """
    return main(argv)


def world_main(argv: list[str]) -> int:
    """The shapes world: corpora, sounds, its models, its web page."""
    return main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
