"""The demo's table cells: drawn once, judged, saved, reused while nothing they depend on
changes.

A cell is a set of prompt embeds drawn by the world's generator and scored by its judge. Its
scores and first images are saved under WORKDIR/cells (WORKDIR/cells-validation for the
validation scenes, so that neither set's cells replace the other's) with a stamp (draw
settings, the scenes, the prompts, fingerprints of the model files, of the generator and the
judges, anything else that shapes its inputs); a re-run with the same stamp reads them back
instead of drawing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm

from gluegen.encoders.base import folder_fingerprint
from gluegen.io import atomic_write_text
from gluegen_world.corpus import scene_code
from gluegen_world.demo.settings import DrawSettings
from gluegen_world.demo.workers import Workers, draw_and_score, draw_job
from gluegen_world.scenes import Scene


def cells_folder(workdir: Path, scenes: str) -> Path:
    """Where the cells of a scene set ("test" or "validation") are kept."""
    return workdir / ("cells" if scenes == "test" else f"cells-{scenes}")


def text_digest(texts: list[str]) -> str:
    """A short digest of a list of texts (scene codes, prompts)."""
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def scenes_digest(scenes: list[Scene]) -> str:
    """A short digest of a list of scenes."""
    return text_digest([scene_code(scene) for scene in scenes])


def clips_digest(clips: list[tuple]) -> str:
    """A short digest of sound clips ((waveform, sample rate) each)."""
    digest = hashlib.sha256()
    for waveform, rate in clips:
        digest.update(f"{rate}:".encode() + np.ascontiguousarray(waveform).tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class PendingCell:
    """A cell being drawn in a worker process (`Cells.finish` fills it in)."""

    name: str


class Cells:
    """Draws and judges cells, in the run's worker processes where it has them; keeps their
    results."""

    def __init__(
        self,
        folder: Path,
        draw_settings: DrawSettings,
        scenes: list[Scene],
        models: Callable[[], tuple],
        drawn_by: dict,
        workers: Workers,
        progress: bool,
        timings: dict[str, float],
    ) -> None:
        self.folder = folder  # cells_folder(...)
        self.draw_settings = draw_settings
        self.scenes_digest = scenes_digest(scenes)  # of the default scenes
        self.models = models  # () -> (generator, judges), loaded on first use in this process
        # content fingerprints of the generator and the judges: a cell drawn or judged by other
        # weights (a retrained world model, another version's) is drawn again
        self.drawn_by = drawn_by
        self.workers = workers
        self.progress = progress
        self.timings = timings
        self._pending: dict[str, tuple] = {}  # cell name -> (future, stamp)
        self._drawing_started: float | None = None  # when the first cell went to a worker

    def cell(
        self,
        name: str,
        inputs: Callable[[], tuple],
        models: list[Path],
        detail: str = "",
        prompts: list[str] | None = None,
        scenes: list[Scene] | None = None,
    ) -> dict | PendingCell:
        """Scores of one table cell: draw from `inputs()` -> (embeds, negative, scenes), judge.

        Reused when the cell was drawn the same way (`detail`: anything else that shapes its
        inputs) from the same scenes (`scenes`, default the constructor's), `prompts` and
        model files. Where the run has worker processes the drawing goes to one of them and a
        `PendingCell` stands in until `finish`.
        """
        stamp = {
            "draw": dataclasses.asdict(self.draw_settings),
            "scenes": self.scenes_digest if scenes is None else scenes_digest(scenes),
            "prompts": None if prompts is None else text_digest(prompts),
            "models": [folder_fingerprint(path) for path in models],
            "detail": detail,
            "drawn_by": self.drawn_by,
        }
        result_file = self.folder / f"{name}.json"
        if result_file.is_file():
            saved = json.loads(result_file.read_text())
            if saved["stamp"] == stamp:
                return saved["scores"]
        if name in self._pending and self._pending[name][1] == stamp:
            return PendingCell(name)  # asked for twice (one cell in two tables): drawn once
        embeds, negative, scenes = inputs()
        if self.workers.parallel:
            if self._drawing_started is None:
                self._drawing_started = time.time()
            job = (embeds, negative, scenes, self.draw_settings)
            self._pending[name] = (self.workers.submit(draw_job, *job), stamp)
            return PendingCell(name)
        started = time.time()
        grid, scores = draw_and_score(*self.models(), embeds, negative, scenes, self.draw_settings)
        self.timings["drawing"] = self.timings.get("drawing", 0.0) + time.time() - started
        return self._save_cell(name, stamp, grid, scores)

    def _save_cell(self, name: str, stamp: dict, grid: torch.Tensor, scores: dict) -> dict:
        self.folder.mkdir(parents=True, exist_ok=True)
        save_file({"images": grid}, str(self.folder / f"{name}.safetensors"))
        text = json.dumps({"stamp": stamp, "scores": scores}, indent=2)
        atomic_write_text(self.folder / f"{name}.json", text)
        return scores

    def finish(self, results: dict) -> dict:
        """`results` with every PendingCell replaced by its scores, once its worker is done."""
        if not self._pending:
            return results
        bar = tqdm(total=len(self._pending), desc="drawing", unit="cell", disable=not self.progress)
        scores = {}
        for name, (future, stamp) in self._pending.items():
            grid, scores[name] = future.result()
            self._save_cell(name, stamp, grid, scores[name])
            bar.update(1)
        bar.close()
        self.timings["drawing"] = time.time() - self._drawing_started
        self._drawing_started, self._pending = None, {}

        def resolve(value):
            if isinstance(value, PendingCell):
                return scores[value.name]
            if isinstance(value, dict):
                return {key: resolve(item) for key, item in value.items()}
            return value

        return resolve(results)
