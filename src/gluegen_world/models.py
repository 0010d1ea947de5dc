"""Where the shapes world's trained models live: the registry, light to import.

The weights ship inside the package (`gluegen_world/weights/NAME/`), each a normal Hugging
Face folder; `gluegen_world.training` reproduces and measures them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

WORLD_MODELS = ("judge", "pair_judge", "xlmr", "sound", "generator")
EVAL_SEED = 12345  # renders, sentences and clips no world model was trained on
VALIDATION_SEED = 54321  # the demo's validation scenes and prompts: no model, no test draw


def shipped_model(name: str) -> Path:
    """Folder of the shipped world model `name`."""
    if name not in WORLD_MODELS:
        raise ValueError(f"Unknown world model {name!r}; one of {list(WORLD_MODELS)}.")
    folder = Path(str(resources.files("gluegen_world") / "weights" / name))
    if not is_trained(folder):
        raise FileNotFoundError(
            f"The world model {name!r} is not in this installation ({folder}); "
            "train it with `gluegen world train`."
        )
    return folder


def is_trained(folder: Path) -> bool:
    """A model folder (config.json) or a pipeline folder (model_index.json) is there."""
    return (folder / "config.json").is_file() or (folder / "model_index.json").is_file()
