"""The command that (re)trains the shapes world's models from scratch, and measures them.

`train_world_models(folder)` reproduces the shipped weights (`gluegen_world.models` says
where they live); the training and measuring code of each model loads only when called.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gluegen.io import atomic_write_folder
from gluegen_world.models import EVAL_SEED, WORLD_MODELS, is_trained, shipped_model


def _save(folder: Path, *parts) -> None:
    """Save a model with its tokenizer or feature extractor as one folder, atomically."""
    atomic_write_folder(folder, lambda tmp: [part.save_pretrained(tmp) for part in parts])


def _train_judge(folder: Path, progress: bool) -> None:
    from gluegen_world.judge import JudgeTraining, train_judge

    _save(folder, train_judge(JudgeTraining(), progress=progress))


def _train_pair_judge(folder: Path, progress: bool) -> None:
    from gluegen_world.judge import PairJudgeTraining, train_judge

    _save(folder, train_judge(PairJudgeTraining(), progress=progress))


def _train_xlmr(folder: Path, progress: bool) -> None:
    from gluegen_world.multilingual import MultilingualTraining, train_multilingual_encoder

    _save(folder, *train_multilingual_encoder(MultilingualTraining(), progress=progress))


def _train_sound(folder: Path, progress: bool) -> None:
    from gluegen_world.audio import SoundTraining, train_sound_encoder

    _save(folder, *train_sound_encoder(SoundTraining(), progress=progress))


def _train_generator(folder: Path, progress: bool) -> None:
    """Stages go to a work folder beside `folder`, so a stopped run resumes; removed at the end."""
    from gluegen_world.generator import GeneratorTraining, train_generator

    work = folder.with_name(f".{folder.name}-work")
    pipeline = train_generator(work, GeneratorTraining(), progress=progress)
    atomic_write_folder(folder, pipeline.save_pretrained)
    shutil.rmtree(work)


TRAINERS = {
    "judge": _train_judge,
    "pair_judge": _train_pair_judge,
    "xlmr": _train_xlmr,
    "sound": _train_sound,
    "generator": _train_generator,
}


def train_world_models(
    folder: str | Path, only: list[str] | None = None, progress: bool = True
) -> dict[str, Path]:
    """Train world models from scratch into `folder`/NAME (each written atomically).

    A model already there is skipped, so a stopped run resumes with the next model;
    `only` names the models to (re)train, replacing what is there.
    """
    folder = Path(folder)
    unknown = set(only or []) - set(WORLD_MODELS)
    if unknown:
        raise ValueError(f"Unknown world models {sorted(unknown)}; one of {list(WORLD_MODELS)}.")
    written = {}
    for name in only or WORLD_MODELS:
        if only is None and is_trained(folder / name):
            continue
        TRAINERS[name](folder / name, progress)
        written[name] = folder / name
    return written


GENERATOR_IMAGES = 256  # drawn from held-out prompts for the generator's figures


def evaluate_world_models(
    folder: str | Path | None = None, count: int = 2000, generator_images: int = GENERATOR_IMAGES
) -> dict[str, dict]:
    """Measure the world models in `folder` (default: the shipped ones) on fresh data.

    Returns titled groups of figures: the judge's attribute accuracy on fresh renders and the
    real-vs-real Fréchet distance; the pair judge's on fresh two-object renders; XLM-R's
    masked-piece accuracy per language and the sound encoder's accuracy, both on held-out
    combinations; the generator's judged accuracy from held-out English prompts, its Fréchet
    distance to renders, and its speed.
    """

    from diffusers import StableDiffusionPipeline
    from transformers import (
        ASTForAudioClassification,
        AutoFeatureExtractor,
        AutoTokenizer,
        XLMRobertaForMaskedLM,
    )

    from gluegen_world.audio import draw_sounds, heard_accuracy
    from gluegen_world.generator import GENERATOR_GUIDANCE, GENERATOR_STEPS, evaluate_generator
    from gluegen_world.judge import evaluate_judge, load_judge
    from gluegen_world.multilingual import masked_accuracy, monolingual_text

    def model_folder(name: str) -> Path:
        return Path(folder) / name if folder else shipped_model(name)

    judge = load_judge(model_folder("judge"))
    judged = evaluate_judge(judge, count=count, seed=EVAL_SEED)
    results = {
        f"judge, {count} fresh renders (held-out combinations included)": judged["accuracy"],
        "Fréchet distance of judge features": {"real vs real": judged["frechet_real_vs_real"]},
    }
    pair_judge = load_judge(model_folder("pair_judge"))
    pair_judged = evaluate_judge(pair_judge, count=count, seed=EVAL_SEED)
    results[f"pair judge, {count} fresh two-object renders"] = pair_judged["accuracy"]
    xlmr = model_folder("xlmr")
    model = XLMRobertaForMaskedLM.from_pretrained(xlmr).eval()
    tokenizer = AutoTokenizer.from_pretrained(xlmr)
    for phrasings, words in (("all", "every family"), ("test", "the test families")):
        heldout = monolingual_text(count // 4, EVAL_SEED, split="heldout", phrasings=phrasings)
        results[f"XLM-R masked-piece accuracy, held-out combinations, {words}"] = {
            language: masked_accuracy(model, tokenizer, texts)
            for language, texts in heldout.items()
        }
    sound = model_folder("sound")
    clips, scenes = draw_sounds(count // 4, seed=EVAL_SEED, split="heldout")
    results[f"sound encoder, {len(clips)} fresh clips of held-out combinations"] = heard_accuracy(
        ASTForAudioClassification.from_pretrained(sound).eval(),
        AutoFeatureExtractor.from_pretrained(sound),
        clips,
        scenes,
    )
    pipeline = StableDiffusionPipeline.from_pretrained(model_folder("generator"))
    pipeline.set_progress_bar_config(disable=True)
    drawn = evaluate_generator(pipeline, judge, count=generator_images)
    results[
        f"generator, {generator_images} images from held-out English prompts "
        f"({GENERATOR_STEPS} DDIM steps, guidance {GENERATOR_GUIDANCE:g})"
    ] = {key: drawn[key] for key in ("shape", "colour", "size", "position", "mean", "all")}
    results["generator: Fréchet distance of judge features, same scenes"] = {
        "drawn vs real": drawn["frechet_drawn_vs_real"],
        "real vs real": drawn["frechet_real_vs_real"],
    }
    results["generator: seconds to draw 64 images"] = {"seconds": drawn["seconds_for_64"]}
    return results
