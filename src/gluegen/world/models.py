"""Where the shapes world's trained models live, and the command that (re)trains them.

The weights ship inside the package (`gluegen/world/weights/NAME/`), each a normal Hugging
Face folder; `train_world_models(folder)` reproduces them from scratch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gluegen.io import atomic_write_folder
from gluegen.world.judge import JudgeTraining, save_judge, train_judge

WORLD_MODELS = ("judge",)  # the generator, XLM-R and sound encoder come next


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


def train_world_models(folder: str | Path, progress: bool = True) -> dict[str, Path]:
    """Train every world model from scratch into `folder`/NAME (atomically, one by one)."""
    folder = Path(folder)
    written = {}
    judge = train_judge(JudgeTraining(), progress=progress)
    atomic_write_folder(folder / "judge", lambda tmp: save_judge(judge, tmp))
    written["judge"] = folder / "judge"
    return written
