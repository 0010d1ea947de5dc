"""Where the shapes world's trained models live, and the command that (re)trains them.

The weights ship inside the package (`gluegen/world/weights/NAME/`), each a normal Hugging
Face folder; `train_world_models(folder)` reproduces them from scratch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gluegen.io import atomic_write_folder
from gluegen.world.judge import JudgeTraining, save_judge, train_judge
from gluegen.world.multilingual import MultilingualTraining, train_multilingual_encoder

WORLD_MODELS = ("judge", "xlmr")  # the generator and the sound encoder come next


def shipped_model(name: str) -> Path:
    """Folder of the shipped world model `name`."""
    if name not in WORLD_MODELS:
        raise ValueError(f"Unknown world model {name!r}; one of {list(WORLD_MODELS)}.")
    folder = Path(str(resources.files("gluegen.world") / "weights" / name))
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"The world model {name!r} is not in this installation ({folder}); "
            "train it with `gluegen world train`."
        )
    return folder


def _train_judge(folder: Path, progress: bool) -> None:
    judge = train_judge(JudgeTraining(), progress=progress)
    atomic_write_folder(folder, lambda tmp: save_judge(judge, tmp))


def _train_xlmr(folder: Path, progress: bool) -> None:
    model, tokenizer = train_multilingual_encoder(MultilingualTraining(), progress=progress)

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    atomic_write_folder(folder, write)


TRAINERS = {"judge": _train_judge, "xlmr": _train_xlmr}


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
        if only is None and (folder / name / "config.json").is_file():
            continue
        TRAINERS[name](folder / name, progress)
        written[name] = folder / name
    return written
