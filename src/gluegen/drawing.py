"""Drawing to a folder: prompts (or sound files, with words to mix) through a diffusers
pipeline, a source encoder and GlueNets, images written beside the settings that drew them.

`DrawSettings` is the one schema of a draw: `gluegen draw` makes its flags from it, and
`draw_to_folder` passes it to `GlueGenPipeline.__call__` as the Python call takes it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from gluegen.io import atomic_write_file, atomic_write_text

MIX_CHOICES = ("splice", "blend", "offset")
RECORD_FILE = "draw.json"
# {"images": K}: a drawing under way has written its first K images. Rewritten after each call
# in place of draw.json, whose inputs grow with the prompt list (a 30k-prompt drawing would
# rewrite megabytes a call); draw.json lists every image once the drawing ends.
PROGRESS_FILE = "draw.progress.json"
IMAGE_FILE = re.compile(r"\d{3,}-\d+\.png")  # INPUT-IMAGE.png, as draw_to_folder names them


@dataclass
class DrawSettings:
    """How to draw: what `GlueGenPipeline(...)(inputs, ...)` takes besides the inputs."""

    steps: int = field(default=50, metadata={"help": "Sampling steps (num_inference_steps)."})
    guidance: float = field(default=7.5, metadata={"help": "Classifier-free guidance scale."})
    seed: int = field(
        default=0,
        metadata={
            "help": "Seed of the initial noise: image k of the drawing (input i's copy c is "
            "k = i x --images + c) starts from seed + k, however the inputs are grouped."
        },
    )
    images: int = field(default=1, metadata={"help": "Images per input."})
    batch: int = field(
        default=8,
        metadata={
            "help": "Images a pipeline call draws at most (a call holds them all in memory): "
            "whole inputs, batch // images a call, or where --images is larger, batch copies of "
            "one input a call; each call's images written as it ends."
        },
    )
    language: str | None = field(
        default=None,
        metadata={
            "help": "The language of every prompt: its GlueNet, or the generator's own encoder "
            "for its language (default: read by lingua, per prompt)."
        },
    )
    negative_prompt: str | None = field(
        default=None, metadata={"help": "Words to steer away from (give --negative-encoder)."}
    )
    negative_encoder: str | None = field(
        default=None,
        metadata={
            "help": "What reads the negative prompt: source (the source encoder and GlueNet: "
            "the prompt's language) or generator (its own text encoder: its language).",
            "choices": ("source", "generator"),
        },
    )
    text: str | None = field(
        default=None, metadata={"help": "Words mixed with every sound (sound inputs only)."}
    )
    mix: str = field(
        default="splice", metadata={"help": "How words mix with a sound.", "choices": MIX_CHOICES}
    )
    mix_weight: float | None = field(
        default=None, metadata={"help": "The sound's share (blend) or the words' factor (offset)."}
    )
    mix_against: tuple[str, ...] | None = field(
        default=None,
        metadata={
            "help": "Texts the words are told apart from (offset only): the offset is measured "
            "from their mean, not the empty prompt, e.g. --text 'on the left' --mix-against "
            "'on the left' 'on the right' 'at the top' 'at the bottom'."
        },
    )
    height: int | None = field(default=None, metadata={"help": "Image height (pipeline default)."})
    width: int | None = field(default=None, metadata={"help": "Image width (pipeline default)."})

    def __post_init__(self) -> None:
        for name in ("steps", "images", "batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1, got {getattr(self, name)}.")
        if self.negative_prompt is not None and self.negative_encoder is None:
            raise ValueError(
                "--negative-prompt: say what reads it, --negative-encoder source (the source "
                "encoder and the prompt's GlueNet: words in the prompt's language) or "
                "--negative-encoder generator (the generator's own encoder: its language)."
            )

    def calls(self, inputs: int, start: int = 0) -> list[tuple[int, int]]:
        """The pipeline calls that draw `inputs` inputs' images from image `start` on, as
        (first image, end image); image k is input k // images's copy k % images. A call draws
        whole inputs, as many as `batch` images allow (from the input `start` is in), or, where
        one input's images are more than `batch`, up to `batch` of its copies."""
        total = inputs * self.images
        if self.images <= self.batch:  # whole inputs a call
            step = self.batch // self.images * self.images
            edges = list(range(start - start % self.images, total, step))
            return list(zip(edges, [*edges[1:], total], strict=True))
        calls = []  # one input's copies, `batch` at most a call
        for item in range(start - start % self.images, total, self.images):
            end = item + self.images
            calls += [
                (k, min(k + self.batch, end)) for k in range(max(item, start), end, self.batch)
            ]
        return calls

    def call_arguments(self, first: int, end: int) -> dict[str, Any]:
        """GlueGenPipeline's keyword arguments for images `first` to `end` (a call of `calls`:
        whole inputs, or copies of one): a generator for each image, seeded seed + the image's
        index in the whole drawing."""
        count = (end - 1) // self.images - first // self.images + 1  # inputs in the call
        arguments: dict[str, Any] = {
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance,
            "num_images_per_prompt": (end - first) // count,
            "generator": image_generators(self.seed, first, end - first),
            "language": self.language,
            "output_type": "pil",
        }
        if self.negative_prompt is not None:
            arguments["negative_prompt"] = self.negative_prompt
            arguments["negative_encoder"] = self.negative_encoder
        if self.text is not None:
            arguments.update(text=[self.text] * count, mix=self.mix, mix_weight=self.mix_weight)
            if self.mix_against is not None:
                arguments["mix_against"] = list(self.mix_against)
        arguments.update({k: v for k, v in (("height", self.height), ("width", self.width)) if v})
        return arguments


def image_generators(seed: int, first: int, count: int) -> list:
    """A generator for each of `count` images from image `first` on, seeded seed + the image's
    index: an image's noise never depends on which others a call draws (`gluegen draw`, the
    page)."""
    import torch

    return [torch.Generator().manual_seed(seed + first + k) for k in range(count)]


def earlier_drawing(folder: str | Path, overwrite: bool = False) -> list[Path]:
    """The files an earlier drawing left in `folder`: its draw.json and the images it lists.
    An error unless `overwrite` (a new drawing's images would stand among the old ones, which
    its draw.json does not describe), and even then where images named as a drawing's are
    there that no draw.json lists: only what GlueGen wrote is removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    images = {path.name for path in folder.iterdir() if IMAGE_FILE.fullmatch(path.name)}
    records = [folder / name for name in (RECORD_FILE, PROGRESS_FILE) if (folder / name).exists()]
    if not (images or records):
        return []
    if not overwrite:
        raise FileExistsError(
            f"{folder} holds an earlier drawing ({RECORD_FILE} and INPUT-IMAGE.png images), "
            "which the new images would stand among: give another --out, or --overwrite to "
            "replace it (its other files stay)."
        )
    unlisted = sorted(images - listed_images(folder))
    if unlisted:
        raise FileExistsError(
            f"{folder} holds {len(unlisted)} images named as a drawing's that no {RECORD_FILE} "
            f"lists ({', '.join(unlisted[:3])}{', ...' if len(unlisted) > 3 else ''}): "
            "GlueGen removes only what it wrote. Move them, or give another --out."
        )
    return [folder / name for name in sorted(images)] + records


def listed_images(folder: Path) -> set[str]:
    """The images a drawing in `folder` wrote: those its draw.json lists, and, stopped part-way,
    the first K its progress file counts (none where neither can be read)."""
    try:
        described = json.loads((folder / RECORD_FILE).read_text())
        listed = set(described["images"])
        per_input = described["settings"]["images"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return listed | {image_name(k, per_input) for k in range(images_written(folder))}


def images_written(folder: Path) -> int:
    """K of a drawing under way or stopped (its progress file), 0 where there is none."""
    try:
        return int(json.loads((folder / PROGRESS_FILE).read_text())["images"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def draw_to_folder(
    glue: Any,
    inputs: list[Any],
    settings: DrawSettings,
    folder: str | Path,
    record: dict,
    overwrite: bool = False,
    progress: bool = False,
    resume: bool = False,
) -> list[Path]:
    """Draw `inputs` with `glue` (a GlueGenPipeline) and `settings`, `settings.batch` images a
    call; write INPUT-IMAGE.png files as each call ends and draw.json (the settings, the
    inputs, which GlueNet read each, the images, whether it finished, and `record`: what was
    loaded) into `folder`, PROGRESS_FILE counting the images while it draws. An earlier
    drawing there is an error, or with `overwrite` replaced once the first new images are
    drawn (other files stay), or with `resume`, one stopped part-way with the same settings,
    inputs and models, continued to the images it would have drawn. Returns the images'
    paths."""
    folder = Path(folder)
    routes = glue.routes(inputs, settings.language)
    described = {
        **record,
        "settings": dataclasses.asdict(settings),
        "inputs": [str(item) for item in inputs],
        "gluenet_per_input": [route.key for route in routes],  # or "generator": its own
        "language_per_input": [route.language for route in routes],
        "images": [],
        "finished": False,
    }
    done, earlier = 0, []
    if resume:
        done = images_drawn(folder, described)
    else:
        earlier = earlier_drawing(folder, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    calls = settings.calls(len(inputs), done)
    # where the first call begins (a call of whole inputs draws an input stopped in again)
    done = calls[0][0] if calls else len(inputs) * settings.images
    paths = [folder / image_name(k, settings.images) for k in range(done)]
    with tqdm(
        total=len(inputs) * settings.images,
        initial=len(paths),
        desc="drawing",
        unit="image",
        disable=not progress,
    ) as bar:
        for first, end in calls:
            part = inputs[first // settings.images : (end - 1) // settings.images + 1]
            images = glue(part, **settings.call_arguments(first, end)).images
            for path in earlier:  # the old drawing goes once the new one has images
                path.unlink(missing_ok=True)
            earlier = []
            for index, image in enumerate(images, start=first):
                paths.append(folder / image_name(index, settings.images))
                atomic_write_file(paths[-1], lambda temporary, im=image: im.save(temporary, "PNG"))
            bar.update(len(images))
            if not (folder / RECORD_FILE).exists():  # the settings and inputs, once (an
                write_record(folder, described)  # earlier drawing's went with its images)
            # a drawing stopped part-way says what it wrote
            atomic_write_text(folder / PROGRESS_FILE, json.dumps({"images": len(paths)}))
    described["images"] = [path.name for path in paths]
    described["finished"] = True
    write_record(folder, described)
    (folder / PROGRESS_FILE).unlink(missing_ok=True)
    return paths


def image_name(index: int, per_input: int) -> str:
    """INPUT-IMAGE.png of the drawing's image `index`, `per_input` images an input."""
    item, copy = divmod(index, per_input)
    return f"{item:03d}-{copy}.png"


def images_drawn(folder: Path, described: dict) -> int:
    """How many images, from the first on, a drawing stopped part-way in `folder` wrote, where
    its draw.json says the same as `described` (settings, inputs, models); else an error."""
    try:
        stopped = json.loads((folder / RECORD_FILE).read_text())
    except (OSError, ValueError) as error:
        raise FileNotFoundError(
            f"--resume: {folder} holds no drawing to continue ({RECORD_FILE}: {error}); "
            "start without --resume."
        ) from error
    same, said = what_draws(described), what_draws(stopped)
    changed = [name for name, value in same.items() if said.get(name) != value]
    if changed:
        raise ValueError(
            f"--resume: the drawing in {folder} was made with other {', '.join(changed)}: "
            "give the same, or --overwrite to start it again."
        )
    if stopped.get("finished"):
        return len(described["inputs"]) * described["settings"]["images"]
    per_input = described["settings"]["images"]
    listed = listed_images(folder)
    written = 0  # the images from the first on that are listed and on disk
    while (
        image_name(written, per_input) in listed
        and (folder / image_name(written, per_input)).is_file()
    ):
        written += 1
    return written


def what_draws(described: dict) -> dict:
    """The fields of a draw.json that decide its images, as saved (tuples as lists): all but
    the images so far, whether it finished, and the batch (which only groups the images)."""
    fields = json.loads(json.dumps(described))
    for name in ("images", "finished"):
        fields.pop(name, None)
    fields["settings"] = {k: v for k, v in fields.get("settings", {}).items() if k != "batch"}
    return fields


def write_record(folder: Path, described: dict) -> None:
    """draw.json, whole or not at all."""
    atomic_write_text(folder / RECORD_FILE, json.dumps(described, indent=2, ensure_ascii=False))
