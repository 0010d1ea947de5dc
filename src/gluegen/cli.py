"""`gluegen` command line: thin; parse, build a config, call the library.

    gluegen cache     encode a parallel corpus once with both encoders
    gluegen train     cache (or reuse) + train a GlueNet from a named recipe
    gluegen evaluate  alignment of a saved GlueNet on held-out pairs
    gluegen presets   the named recipes and their GlueNets' parameter counts
    gluegen draw      prompts or sounds through GlueNets into a folder of images
    gluegen serve     a local web page: any language, sounds, mixes
    gluegen convert-original  the original release's checkpoints as GlueNet folders

Other installed packages add commands through the `gluegen.commands` entry-point group
(`gluegen --help` lists them).

Every command takes `--config FILE` (YAML or JSON, keys as the long flags with dashes or
underscores); flags given on the command line win over the file. Each command's flags are
made from the settings dataclasses' fields (settings.py), and the heavy libraries load only
once a command runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gluegen.data.spec import CacheSpec, cache_folder
from gluegen.drawing import DrawSettings, earlier_drawing
from gluegen.recipes import RECIPES, get_recipe, recipe_settings
from gluegen.settings import add_flags, add_setting, given, parse_with_config
from gluegen.training.config import DEFAULT_CANDIDATES, DEFAULT_EVAL_PAIRS, TrainConfig

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

EXAMPLES = """examples:
  gluegen train --source-encoder xlm-roberta-large \\
      --target stable-diffusion-v1-5/stable-diffusion-v1-5 \\
      --corpus captions.zh.txt --corpus-target captions.en.txt --output-dir runs/zh
  gluegen train --config runs/zh.yaml --epochs 2 --resume
  torchrun --nproc_per_node 8 -m gluegen.cli train --config runs/zh.yaml
  gluegen evaluate --gluenet runs/zh/gluenet --cache-dir runs/zh/features
"""
DRAW_EXAMPLES = """examples:
  gluegen draw --pipeline stable-diffusion-v1-5/stable-diffusion-v1-5 \\
      --gluenet zh=runs/zh/gluenet --prompt "一只红色的猫" --images 4 --out drawn/zh
"""
DEFAULT_OUTPUT_DIR = "gluegen-run"
DEFAULT_RECIPE = "sd1-multilingual"
# Commands other packages add: each entry point names a `main(argv) -> int` (argv starting
# with the command's name) whose docstring's first line is its help.
PLUGIN_GROUP = "gluegen.commands"


class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults (where a flag has one of its own) and keep the examples' line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None:
            return action.help or ""
        return super()._get_help_string(action)


class CommandError(ValueError):
    """A command's inputs are wrong; the message says what to give instead."""


def command_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The parser of `gluegen NAME`, with the flags every command has."""
    parser = argparse.ArgumentParser(
        prog=f"gluegen {name}", description=description, formatter_class=Formatter
    )
    parser.add_argument("--config", help="YAML or JSON file of settings; flags override it.")
    parser.add_argument("-v", "--verbose", action="store_true", help="Log more.")
    parser.add_argument(
        "--debug", action="store_true", help="On an error, show the full traceback."
    )
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    return parser


def add_cache_flags(parser: argparse.ArgumentParser) -> None:
    """Where the pairs come from and how they are encoded (CacheSpec's fields)."""
    add_flags(parser.add_argument_group("corpus and encoders"), CacheSpec)
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, help="The run folder.")


def add_recipe_flags(parser: argparse.ArgumentParser) -> None:
    """--preset and every recipe setting (GlueNet layout, loss weights, training)."""
    groups = {
        "layout": parser.add_argument_group("GlueNet layout (default: the preset's)"),
        "objective": parser.add_argument_group("loss weights (default: the preset's)"),
        "training": parser.add_argument_group("training (default: the preset's)"),
    }
    groups["layout"].add_argument(
        "--preset",
        default=DEFAULT_RECIPE,
        choices=sorted(RECIPES),
        help="Named recipe: GlueNet layout, objective and training (`gluegen presets`).",
    )
    for name, (part, f) in recipe_settings().items():
        add_setting(groups[part], name, f)
    groups["training"].add_argument(
        "--resume", action="store_true", help="Continue the run saved in OUTPUT_DIR."
    )
    groups["training"].add_argument(
        "--overwrite",
        action="store_true",
        help="Start a new run in OUTPUT_DIR although a run there stopped part-way (its "
        "checkpoint goes), or gluenet/ and state/ hold files GlueGen did not write.",
    )


def cache_spec(args: argparse.Namespace) -> CacheSpec:
    """CacheSpec from parsed arguments; names the missing flags."""
    missing = [name for name in ("source_encoder", "target", "corpus") if not getattr(args, name)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise CommandError(f"give {flags} (or put them in --config).")
    spec = CacheSpec(**given(args, CacheSpec))
    spec.cache_dir = cache_folder(spec.cache_dir, args.output_dir)
    return spec


def chosen_recipe(args: argparse.Namespace):
    """The preset named by --preset with every recipe flag given on top."""
    settings = {name: getattr(args, name) for name in recipe_settings()}
    return get_recipe(args.preset).with_overrides(**settings)


# -- the commands --------------------------------------------------------------------------
def run_cache(args: argparse.Namespace) -> None:
    """`gluegen cache`: build or reuse the feature cache."""
    from gluegen.data.prepare import prepare_cache
    from gluegen.runfolder import main_process_lock

    spec = cache_spec(args)
    if spec.features == "online":
        raise CommandError(
            "gluegen cache builds a feature cache; --features online trains "
            "without one (gluegen train --features online)."
        )
    spec.features = "cache"  # auto: building one is what this command is for
    with main_process_lock(args.output_dir, f"gluegen cache ({args.output_dir})"):
        cache = prepare_cache(spec, progress=not args.no_progress)
    print(f"feature cache: {cache.folder} ({len(cache)} pairs, shapes {cache.manifest['shapes']})")


def run_train(args: argparse.Namespace) -> None:
    """`gluegen train`: cache, then train and save a GlueNet."""
    from gluegen.evaluation.alignment import metrics_table
    from gluegen.runfolder import main_process_lock
    from gluegen.training.run import prepare_run

    spec = cache_spec(args)
    with main_process_lock(args.output_dir, f"gluegen train ({args.output_dir})"):
        check_no_stopped_run(args)
        trainer = prepare_run(spec, chosen_recipe(args), args.output_dir, not args.no_progress)
        choice = getattr(trainer.features, "choice", None)
        if trainer.accelerator.is_main_process and choice is not None:
            print(f"features: {choice.features} ({choice.why})")
        if trainer.accelerator.is_main_process:
            processes = trainer.accelerator.num_processes
            print(
                f"GlueNet ({args.preset}): {trainer.gluenet.num_parameters():,} parameters; "
                f"{trainer.total_steps} steps on {len(trainer.train_ids)} pairs, "
                f"{processes} process{'es' if processes > 1 else ''}"
            )
        trainer.run(resume=args.resume, overwrite=args.overwrite)
    if trainer.accelerator.is_main_process and trainer.step >= trainer.total_steps:
        metrics = json.loads((trainer.output_dir / "metrics.json").read_text())
        title = f"held-out alignment ({int(metrics.get('count', 0))} pairs)"
        print(metrics_table(title, metric_rows(metrics)))
        print(f"\nsaved: {trainer.output_dir / 'gluenet'}")
        say_if_no_better(metrics)


def metric_rows(metrics: dict) -> dict[str, dict]:
    """The GlueNet's row of a metrics table, and the mean-target predictor's when scored."""
    rows = {"GlueNet": metrics}
    if "mean_target" in metrics:
        rows["mean target (floor)"] = metrics["mean_target"]
    return rows


def say_if_no_better(metrics: dict) -> None:
    """Say plainly when the GlueNet did not beat predicting the mean training target."""
    floor = metrics.get("mean_target", {}).get("mse")
    if floor is None or metrics.get("mse", math.inf) < floor:
        return
    print(
        f"\nwarning: the GlueNet is no better than predicting the mean training target "
        f"(held-out MSE {metrics.get('mse', math.nan):.4g} against {floor:.4g}): it has not "
        "learnt the translation. Give it a learned output offset that starts at the mean "
        "target (--target-offset, with --learning-rate 1e-3), or give the schedule a length in "
        "steps (--total-steps 4000: a small corpus makes few steps an epoch), or more pairs.",
        file=sys.stderr,
    )


def check_no_stopped_run(args: argparse.Namespace) -> None:
    """A new run would delete the checkpoint of a run stopped part-way in OUTPUT_DIR (hours of
    training at scale): refused, before the corpus is read, unless --resume or --overwrite."""
    from gluegen.io import recover_folder
    from gluegen.precision import process_state
    from gluegen.training.state import stopped_run

    if args.resume or args.overwrite or not process_state().is_main_process:
        return
    state = Path(args.output_dir) / "state"
    recover_folder(state)  # a checkpoint caught mid-swap is put back first
    stopped = stopped_run(state)
    if stopped:
        raise CommandError(
            f"{args.output_dir} holds a run stopped at step {stopped[0]} of {stopped[1]}: "
            "give --resume to continue it, --overwrite to start a new run in its place (its "
            "checkpoint goes), or another --output-dir."
        )


def training_split(output_dir: str) -> tuple[float, int, str]:
    """(holdout, seed, split_by) of the training run in `output_dir`, or the training
    defaults (a run saved before split_by existed was split by permutation)."""
    progress = Path(output_dir) / "state" / "progress.json"
    settings = json.loads(progress.read_text())["config"] if progress.is_file() else {}
    defaults = TrainConfig(output_dir=output_dir)
    names = ("holdout", "seed", "split_by")
    return tuple(settings.get(name, getattr(defaults, name)) for name in names)


def run_evaluate(args: argparse.Namespace) -> None:
    """`gluegen evaluate`: alignment metrics of a saved GlueNet."""
    from gluegen.data.cache import MANIFEST_FILE, FeatureCache
    from gluegen.data.prepare import prepare_cache
    from gluegen.evaluation.alignment import evaluate_on_cache, metrics_table

    gluenet = args.gluenet or str(Path(args.output_dir) / "gluenet")
    if args.corpus:
        cache = prepare_cache(cache_spec(args), progress=not args.no_progress)
    else:
        folder = cache_folder(args.cache_dir, args.output_dir)
        if args.cache_dir is None and not Path(folder, MANIFEST_FILE).is_file():
            raise CommandError(
                f"{folder} holds no feature cache: give --cache-dir (the cache the run trained "
                "on, if it was built elsewhere) or --corpus with its encoders (to encode it)."
            )
        cache = FeatureCache.open(folder)
    run_holdout, run_seed, split = training_split(args.output_dir)
    holdout = run_holdout if args.holdout is None else args.holdout
    seed = run_seed if args.seed is None else args.seed
    metrics = evaluate_on_cache(
        gluenet, cache, holdout, seed, args.eval_candidates, limit=args.eval_pairs, split=split
    )
    title = f"alignment of {gluenet} ({int(metrics['count'])} pairs)"
    print(metrics_table(title, metric_rows(metrics)))
    say_if_no_better(metrics)
    print(json.dumps(metrics))


def run_presets(args: argparse.Namespace) -> None:
    """`gluegen presets`: the named recipes, their layouts and parameter counts."""
    import torch

    from gluegen.models import GlueNet

    print(f"{'preset':24}{'parameters':>12}  {'made for':34} summary")
    for name, recipe in RECIPES.items():
        config = recipe.gluenet_config()
        shapes = (
            f"{config.source_tokens}x{config.source_dim} -> "
            f"{config.target_tokens}x{config.target_dim}"
        )
        shapes += f" +pooled {config.pooled_dim}" if config.pooled_dim else ""
        shapes += " +mask" if config.target_mask else ""
        with torch.device("meta"):  # counted, not allocated
            count = GlueNet(config).num_parameters()
        print(f"{name:24}{count:>12,}  {shapes:34} {recipe.summary}")


def build_cache_parser() -> argparse.ArgumentParser:
    """`gluegen cache`."""
    parser = command_parser("cache", "Encode a parallel corpus with both encoders, once.")
    add_cache_flags(parser)
    return parser


def build_train_parser() -> argparse.ArgumentParser:
    """`gluegen train`."""
    parser = command_parser(
        "train", "Build or reuse the feature cache, then train a GlueNet from a named recipe."
    )
    parser.epilog = EXAMPLES
    add_cache_flags(parser)
    add_recipe_flags(parser)
    return parser


def build_evaluate_parser() -> argparse.ArgumentParser:
    """`gluegen evaluate`."""
    parser = command_parser("evaluate", "Alignment of a saved GlueNet: MSE, cosine, retrieval.")
    parser.add_argument("--gluenet", help="GlueNet folder or hub id (default: OUTPUT_DIR/gluenet).")
    add_cache_flags(parser)
    parser.add_argument(
        "--holdout",
        type=float,
        help="Held-out share to evaluate (0: all pairs). Default: the training run's split.",
    )
    parser.add_argument("--seed", type=int, help="The split's seed. Default: the training run's.")
    parser.add_argument(
        "--eval-candidates", type=int, default=DEFAULT_CANDIDATES, help="Retrieval group size."
    )
    parser.add_argument(
        "--eval-pairs",
        type=int,
        default=DEFAULT_EVAL_PAIRS,
        help="Pairs to evaluate at most (the training run's sample; 0: all).",
    )
    return parser


def build_presets_parser() -> argparse.ArgumentParser:
    """`gluegen presets`."""
    return command_parser("presets", "List the named recipes and their parameter counts.")


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """Where a web page listens (every command that serves one)."""
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    parser.add_argument("--port", type=int, default=7860, help="Port to listen on.")


def add_model_flags(
    parser: argparse.ArgumentParser, gluenet_metavar: str, gluenet_help: str
) -> argparse._ArgumentGroup:
    """The models a drawing command loads: a pipeline, source encoders, GlueNets."""
    models = parser.add_argument_group("the models")
    models.add_argument("--pipeline", required=True, help="A diffusers pipeline (folder, hub id).")
    models.add_argument(
        "--source-encoder",
        help="The text source encoder (folder or hub id; default: the one the GlueNets were "
        "trained on, named in their config.json).",
    )
    models.add_argument(
        "--source-max-length",
        type=int,
        help="Tokens the text encoder reads (default: as the GlueNets were trained).",
    )
    models.add_argument(
        "--source-layer",
        type=int,
        help="Hidden layer of the text encoder the GlueNets read (default: the one they were "
        "trained on, gluegen train --source-layer; -1, the last, where they do not say).",
    )
    models.add_argument(
        "--sound-encoder",
        help="The audio source encoder (folder or hub id; default: the one the sound GlueNet "
        "was trained on).",
    )
    models.add_argument(
        "--gluenet",
        action="append",
        default=[],
        metavar=gluenet_metavar,
        help=f"{gluenet_help} (`*`: any language); repeatable. A key given twice draws "
        "through both GlueNets, their glued tokens averaged.",
    )
    return models


def build_serve_parser() -> argparse.ArgumentParser:
    """`gluegen serve`."""
    parser = command_parser(
        "serve",
        "A local web page: prompts in any language, sounds, sound + words through the given "
        "GlueNets, beside the generator's own encoder.",
    )
    add_server_flags(parser)
    models = add_model_flags(parser, "LANG=DIR", "A text GlueNet and its language code")
    models.add_argument("--sound-gluenet", help="The sound GlueNet (folder or hub id).")
    models.add_argument("--steps", type=int, default=50, help="Default sampling steps.")
    models.add_argument("--guidance", type=float, default=7.5, help="Default guidance scale.")
    return parser


def run_serve(args: argparse.Namespace) -> None:
    """`gluegen serve`: build the models, start the page (until Ctrl-C)."""
    from gluegen.allocator import keep_freed_memory
    from gluegen.app import serve
    from gluegen.pipelines.routing import ANY, load_detector_early
    from gluegen.serving import gluenet_keys, served_from_files

    check_pipeline(args.pipeline)
    keep_freed_memory()  # the page draws on the CPU: each step allocates the same buffers
    if set(gluenet_keys(args.gluenet)) - {ANY}:  # the page reads each prompt's language
        load_detector_early()  # lingua loads beside the models
    served = served_from_files(args)
    print(f"serving on http://{args.host}:{args.port} (Ctrl-C stops)")
    serve(served, args.host, args.port)


def check_pipeline(pipeline: str) -> None:
    """--pipeline: a folder that is not there is said so (not the hub's repository-id error)."""
    from gluegen.checkpoints import missing_folder

    if missing_folder(pipeline):
        raise CommandError(f"--pipeline {pipeline}: no such folder (nor a hub id, OWNER/NAME).")


def chosen_device(device: str) -> str:
    """--device: auto is a GPU where PyTorch sees one, else the CPU; a CUDA device PyTorch
    cannot use is a named error, not an assertion deep in torch."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CommandError(
            f"--device {device}: PyTorch sees no CUDA GPU here (a CPU build of torch, or no "
            "driver); give --device cpu, or auto."
        )
    return device


def build_draw_parser() -> argparse.ArgumentParser:
    """`gluegen draw`."""
    parser = command_parser(
        "draw",
        "Draw prompts (or sound files, with words to mix) through a diffusers pipeline, a "
        "source encoder and GlueNets; the images go to OUT with draw.json, the settings.",
    )
    parser.epilog = DRAW_EXAMPLES
    inputs = parser.add_argument_group("what to draw")
    inputs.add_argument("--prompt", action="append", default=[], help="A prompt; repeatable.")
    inputs.add_argument("--prompts-file", help="A text file of prompts, one a line.")
    inputs.add_argument("--sound", action="append", default=[], help="A sound file; repeatable.")
    inputs.add_argument(
        "--out",
        required=True,
        help="The folder for the images and draw.json (its other files stay).",
    )
    inputs.add_argument(
        "--overwrite",
        action="store_true",
        help="Replace an earlier drawing in OUT (its draw.json and images), not refuse.",
    )
    inputs.add_argument(
        "--resume",
        action="store_true",
        help="Continue a drawing in OUT that stopped part-way (the same inputs, settings and "
        "models) to the images it would have drawn.",
    )
    models = add_model_flags(parser, "[LANG=]DIR", "A GlueNet, keyed by its language")
    models.add_argument(
        "--unconditional",
        default="source",
        choices=("source", "generator"),
        help="Guidance's empty input: through the source side and GlueNet (the paper's), or "
        "the generator's own empty prompt.",
    )
    models.add_argument("--device", default="auto", help="cpu, cuda, cuda:N; auto: a GPU if any.")
    add_flags(parser.add_argument_group("drawing"), DrawSettings)
    return parser


def draw_inputs(args: argparse.Namespace) -> list:
    """The prompts (flags, then the file's lines) or the sound files; a named error for none,
    or for both."""
    prompts = list(args.prompt)
    if args.prompts_file:
        try:
            lines = Path(args.prompts_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                f"--prompts-file {args.prompts_file}: {error} (give a UTF-8 text file, one "
                "prompt a line)."
            ) from error
        prompts += [line for line in lines if line.strip()]
    if bool(prompts) == bool(args.sound):
        raise CommandError("give prompts (--prompt, --prompts-file) or --sound files, not both.")
    missing = [name for name in args.sound if not Path(name).is_file()]
    if missing:
        raise CommandError(f"--sound: no such file: {', '.join(missing)}.")
    return prompts or list(args.sound)


def run_draw(args: argparse.Namespace) -> None:
    """`gluegen draw`: load the models, draw, write the images and draw.json."""
    inputs = draw_inputs(args)  # named errors before the model libraries load
    settings = DrawSettings(**given(args, DrawSettings))
    if not args.gluenet:
        raise CommandError("give --gluenet DIR (or LANG=DIR, repeatable).")
    if args.resume and args.overwrite:
        raise CommandError("give --resume or --overwrite, not both.")
    if not args.resume:
        earlier_drawing(args.out, args.overwrite)
    check_pipeline(args.pipeline)
    import torch
    from diffusers import DiffusionPipeline

    from gluegen.allocator import keep_freed_memory
    from gluegen.drawing import draw_to_folder
    from gluegen.pipelines import ANY, GlueGenPipeline
    from gluegen.pipelines.routing import load_detector_early
    from gluegen.serving import gluenet_keys, load_gluenets, sound_encoder_for, text_encoder_for

    folders = gluenet_keys([g if "=" in g else f"{ANY}={g}" for g in args.gluenet])
    if not args.sound and args.language is None and set(folders) != {ANY}:
        load_detector_early()  # lingua reads the prompts' languages: it loads beside the models
    device = chosen_device(args.device)
    if torch.device(device).type == "cpu":  # each denoising step allocates the same buffers
        keep_freed_memory()
    if args.no_progress:  # diffusers' own bar while it loads the components
        from diffusers.utils import logging as diffusers_logging

        diffusers_logging.disable_progress_bar()
    pipeline = DiffusionPipeline.from_pretrained(args.pipeline).to(device)
    # each call's step bar goes when the call ends; the drawing's own bar counts the images.
    # Off where stderr is a file: a bar inside a bar moves the cursor up, a log fills with it
    pipeline.set_progress_bar_config(
        disable=args.no_progress or not sys.stderr.isatty(), leave=False
    )
    nets = load_gluenets(folders, device)
    if args.sound:
        encoder = sound_encoder_for(nets, args, device)
    else:
        encoder = text_encoder_for(nets, args, device)
    glue = GlueGenPipeline(pipeline, encoder, nets, unconditional=args.unconditional)
    record = {
        "pipeline": args.pipeline,
        "source_encoder": encoder.name_or_path,
        "source_layer": None if args.sound else encoder.layer,
        "source_max_length": None if args.sound else encoder.max_length,
        "source_pooling": None if args.sound else encoder.pooling,
        "gluenets": {key: paths[0] if len(paths) == 1 else paths for key, paths in folders.items()},
        "unconditional": args.unconditional,
    }
    paths = draw_to_folder(
        glue,
        inputs,
        settings,
        args.out,
        record,
        args.overwrite,
        progress=not args.no_progress,
        resume=args.resume,
    )
    print(f"wrote {len(paths)} images and draw.json to {args.out}")


def build_convert_parser() -> argparse.ArgumentParser:
    """`gluegen convert-original`."""
    parser = command_parser(
        "convert-original",
        "Convert a checkpoint of the original GlueGen release (gluenet_multi_<Language>.ckpt, "
        "gluenet_sound2img_audioclip_us8k.ckpt) into a GlueNet folder; read as weights only.",
    )
    parser.add_argument("checkpoint", help="The release's .ckpt file.")
    parser.add_argument(
        "--kind", required=True, choices=("multilingual", "audio"), help="Which network it is."
    )
    parser.add_argument("--out", required=True, help="The GlueNet folder to write.")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="Replace OUT although it holds files that are not a GlueNet's.",
    )
    return parser


def run_convert(args: argparse.Namespace) -> None:
    """`gluegen convert-original`."""
    from gluegen.convert import convert_file

    print(f"wrote {convert_file(args.checkpoint, args.kind, args.out, args.overwrite)}")


COMMANDS = {
    "cache": (build_cache_parser, run_cache),
    "train": (build_train_parser, run_train),
    "evaluate": (build_evaluate_parser, run_evaluate),
    "presets": (build_presets_parser, run_presets),
    "draw": (build_draw_parser, run_draw),
    "serve": (build_serve_parser, run_serve),
    "convert-original": (build_convert_parser, run_convert),
}


def plugin_commands() -> dict[str, EntryPoint]:
    """{name: entry point} of the commands installed packages add (the library's own win)."""
    from importlib.metadata import entry_points  # only once a command is not the library's

    found = entry_points(group=PLUGIN_GROUP)
    return {point.name: point for point in found if point.name not in COMMANDS}


def top_parser() -> argparse.ArgumentParser:
    """`gluegen --help`: the commands, one line each (an added command's docstring's first
    line is its help)."""
    parser = argparse.ArgumentParser(
        prog="gluegen", description=__doc__, formatter_class=Formatter, epilog=EXAMPLES
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (build, _) in COMMANDS.items():
        commands.add_parser(name, help=build().description)
    for name, point in plugin_commands().items():
        text = (point.load().__doc__ or "").strip().splitlines() or [""]
        commands.add_parser(name, help=text[0])
    return parser


def setup_logging(verbose: bool, progress: bool = True) -> None:
    """Our messages at INFO with -v; the model libraries' only when they fail; of their bars,
    the hub's download bars, unless `progress` is off (--no-progress)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    import transformers
    from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars

    downloads_quiet = are_progress_bars_disabled() or not progress
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()  # weight-loading bars; ours stay
    if not downloads_quiet:  # ...that call turns the hub's off too: a download keeps its bar
        enable_progress_bars()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `gluegen` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    name = argv[0] if argv else None
    # transformers' warnings at import (e.g. image processors without torchvision) are noise
    # here; read when it first loads, and a user's own setting wins
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if name not in COMMANDS:
        plugin = plugin_commands().get(name)
        if plugin is not None:
            return plugin.load()(argv)
        top_parser().parse_args(argv)  # prints the help or names the unknown command
        return 2
    build, run = COMMANDS[name]
    args = parse_with_config(build(), argv[1:])
    setup_logging(args.verbose, progress=not args.no_progress)
    return run_reporting_errors(name, run, args)


INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report a Ctrl-C


def run_reporting_errors(
    name: str, run, args: argparse.Namespace, continued_by: str | None = None
) -> int:
    """Run a command; an error is one line on stderr (the traceback with --debug) and exit
    code 2; Ctrl-C stops with a line saying what continues the work (`continued_by`, else
    `--resume` where the command has it) and exit code 130."""
    try:
        run(args)
    except KeyboardInterrupt:
        if continued_by is None and hasattr(args, "resume"):
            continued_by = "`--resume` continues"
        said = f"; what was saved stays, {continued_by}" if continued_by else ""
        print(f"gluegen {name}: stopped (Ctrl-C){said}.", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as error:  # noqa: BLE001 - every failure becomes one named line
        if args.debug:
            raise
        print(f"gluegen {name}: error: {describe(error)}", file=sys.stderr)
        return 2
    return 0


def describe(error: Exception) -> str:
    """One line naming an error: our own messages as they are, others with their type."""
    from gluegen.data.corpus import CorpusError

    text = " ".join(str(error).split()) or "(no message)"
    if isinstance(error, CorpusError | ValueError):
        return text
    return f"{type(error).__name__}: {text} (--debug shows where)"


if __name__ == "__main__":
    sys.exit(main())
