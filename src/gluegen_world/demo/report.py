"""The demo's report folder: index.html with image grids, training curves and the tables.

Images are the first GRID_IMAGES of each table cell (saved by the demo), upscaled without
smoothing so that 32x32 pixels stay pixels. Curves are inline SVG (no plotting library).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from safetensors.torch import load_file

from gluegen.io import atomic_write_text
from gluegen.pipelines import MIXES
from gluegen_world.captions import LANGUAGE_NAMES, LANGUAGES
from gluegen_world.demo.cells import cells_folder
from gluegen_world.demo.settings import FOREIGN
from gluegen_world.demo.tables import (
    ENGLISH_REFERENCE,
    LANGUAGE_ROWS,
    PAIR_ROWS,
    PARAPHRASE_ROWS,
    PARAPHRASE_SETS,
    SOUND_COLUMNS,
    SOUND_OVER_ENGLISH,
    SOUND_ROWS,
    min_ratio,
    sound_over_english,
)

UPSCALE = 3  # 32-pixel images shown at 96 pixels
LABEL_WIDTH = 120  # pixels left of a composite grid's rows for their names
CURVE_SIZE = (360, 180)  # width, height of one training-curve plot
CURVE_MARGIN = 30


def cell_images(cells: Path, name: str) -> np.ndarray:
    """(k, h, w, 3) uint8 images kept for cell `name`."""
    images = load_file(str(cells / f"{name}.safetensors"))["images"]  # (k, 3, h, w) in [-1, 1]
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().byte()
    return pixels.permute(0, 2, 3, 1).numpy()


def strip(images: np.ndarray) -> Image.Image:
    """Images side by side, upscaled by UPSCALE."""
    row = np.concatenate(list(images), axis=1)
    image = Image.fromarray(row)
    return image.resize((image.width * UPSCALE, image.height * UPSCALE), Image.NEAREST)


def labelled_grid(rows: list[tuple[str, np.ndarray]]) -> Image.Image:
    """One strip per (label, images) under each other, labels on the left."""
    strips = [(label, strip(images)) for label, images in rows]
    width = LABEL_WIDTH + max(s.width for _, s in strips)
    height = sum(s.height for _, s in strips)
    grid = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(grid)
    top = 0
    for label, image in strips:
        grid.paste(image, (LABEL_WIDTH, top))
        pen.text((6, top + image.height // 2 - 6), label, fill="black")
        top += image.height
    return grid


def curve_svg(title: str, points: list[tuple[int, float]]) -> str:
    """A log-scale line plot of (step, loss) as inline SVG."""
    width, height = CURVE_SIZE
    if len(points) < 2:
        return f"<p>{html.escape(title)}: no curve logged.</p>"
    steps = [p[0] for p in points]
    logs = [math.log10(max(p[1], 1e-12)) for p in points]
    low, high = min(logs), max(logs)
    span_x, span_y = max(steps[-1] - steps[0], 1), max(high - low, 1e-9)
    inner_w, inner_h = width - 2 * CURVE_MARGIN, height - 2 * CURVE_MARGIN

    def xy(step: int, value: float) -> str:
        x = CURVE_MARGIN + inner_w * (step - steps[0]) / span_x
        y = CURVE_MARGIN + inner_h * (high - value) / span_y
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(s, v) for s, v in zip(steps, logs, strict=True))
    return (
        f'<svg width="{width}" height="{height}" class="curve">'
        f'<text x="{CURVE_MARGIN}" y="16">{html.escape(title)}</text>'
        f'<polyline fill="none" stroke="#2a6fdb" stroke-width="1.5" points="{line}"/>'
        f'<text x="4" y="{CURVE_MARGIN + 4}">{10**high:.3g}</text>'
        f'<text x="4" y="{height - CURVE_MARGIN}">{10**low:.3g}</text>'
        f'<text x="{width - CURVE_MARGIN - 40}" y="{height - 8}">step {steps[-1]}</text>'
        "</svg>"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def language_table_rows(
    table: dict[str, dict], labels: dict[str, str], ceiling: float
) -> list[list[str]]:
    """Rows of a by-language table: label, mean per language, lowest over English."""
    return [
        [label]
        + [_num(table[row].get(code, {}).get("mean")) for code in LANGUAGES]
        + [_num(min_ratio(table[row], ceiling))]
        for row, label in labels.items()
    ]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _language_section(results: dict, cells: Path, save) -> list[str]:
    """Seven languages: the grid, the first prompts, the table, one grid per baseline row."""
    languages_grid = labelled_grid(
        [("English (own)", cell_images(cells, "own-en"))]
        + [(LANGUAGE_NAMES[c], cell_images(cells, f"ours-{c}")) for c in FOREIGN]
    )
    parts = [
        "<h2>Seven languages, one English-only generator</h2>",
        f'<img src="{save("languages", languages_grid)}" alt="languages">',
        "<p>Columns: the same held-out scenes (shape-colour pairs no training pair holds). Rows: "
        "the generator's own encoder with the English caption, then each language through "
        "XLM-R and its GlueNet. Prompts of the first column:</p><ul>",
    ]
    parts += [
        f"<li>{LANGUAGE_NAMES[c]}: {html.escape(results['prompts'][c][0])}</li>" for c in LANGUAGES
    ]
    for key, words in (
        ("heldout_families", "in a held-out family of phrasings"),
        ("requests", "asked for as people type"),
    ):
        parts.append(f"</ul><p>The same first scene {words} (in no parallel corpus):</p><ul>")
        parts += [
            f"<li>{LANGUAGE_NAMES[c]}: {html.escape(results[key][c][0])}</li>" for c in FOREIGN
        ]
    parts.append("</ul>")
    languages = results["languages"]
    ceiling = languages["own"]["en"]["mean"]
    rows = language_table_rows(languages, LANGUAGE_ROWS, ceiling)
    for key, label in (
        ("routing", "lingua chose the right GlueNet"),
        ("routing_requests", "... of the requests"),
    ):
        routing = results.get(key, {})
        rows.append([label, "—"] + [_num(routing.get(c)) for c in FOREIGN])
    parts.append(_table(["", *LANGUAGES, "min / en"], rows))
    for row in ("own", "linear", "shared"):
        grid = labelled_grid(
            [(LANGUAGE_NAMES[c], cell_images(cells, f"{row}-{c}")) for c in FOREIGN]
        )
        parts.append(f"<h3>{html.escape(LANGUAGE_ROWS[row])}</h3>")
        parts.append(f'<img src="{save(f"languages-{row}", grid)}" alt="{row}">')
    return parts


def _sound_section(results: dict, cells: Path, save) -> list[str]:
    """Sound and its mixes with text: the grid and the table."""
    parts = ["<h2>Sound, and sound + text</h2>"]
    sound_grid = labelled_grid(
        [("sound", cell_images(cells, "sound"))]
        + [(f"sound + text ({m})", cell_images(cells, f"sound-text-{m}")) for m in MIXES]
    )
    parts.append(f'<img src="{save("sound", sound_grid)}" alt="sound">')
    parts.append(
        '<p>The text of a mix is the position alone ("on the left"); the sound says shape, '
        "colour and size.</p>"
    )
    rows = [
        [label] + [_num(results["sound"][row][c]) for c in SOUND_COLUMNS]
        for row, label in SOUND_ROWS.items()
    ]
    english = results["languages"]["own"]["en"]
    rows.append([ENGLISH_REFERENCE] + [_num(english.get(c)) for c in SOUND_COLUMNS])
    parts.append(_table(["", *SOUND_COLUMNS], rows))
    parts.append(
        "<p>"
        + "; ".join(
            f"{html.escape(row)} over English ({SOUND_OVER_ENGLISH[row]}): {ratio:.3f}"
            for row, ratio in sound_over_english(results).items()
        )
        + "</p>"
    )
    return parts


def _paraphrase_section(results: dict, cells: Path, save) -> list[str]:
    """The stronger encoder: the grid, an example of each prompt set, the table."""
    parts = ["<h2>A stronger encoder: all-MiniLM-L6-v2</h2>"]
    mini_grid = labelled_grid(
        [(f"own, {s}", cell_images(cells, f"paraphrase-own-{s}")) for s in ("corpus",)]
        + [(f"MiniLM, {s}", cell_images(cells, f"paraphrase-minilm-{s}")) for s in PARAPHRASE_SETS]
    )
    parts.append(f'<img src="{save("paraphrases", mini_grid)}" alt="paraphrases">')
    examples = results["paraphrase_examples"]
    parts.append("<ul>")
    parts += [
        f"<li>{html.escape(PARAPHRASE_SETS[s])}: {html.escape(examples[s][0])}</li>"
        for s in PARAPHRASE_SETS
    ]
    parts.append("</ul>")
    rows = [
        [label] + [_num(results["paraphrases"][row][s]["mean"]) for s in PARAPHRASE_SETS]
        for row, label in PARAPHRASE_ROWS.items()
    ]
    parts.append(_table(["", *PARAPHRASE_SETS.values()], rows))
    return parts


def _pair_section(results: dict, cells: Path, save) -> list[str]:
    """Two objects in a relation (when the run drew them): the grid and the table."""
    if "pairs" not in results:
        return []
    parts = ["<h2>Two objects in a relation</h2>"]
    pair_grid = labelled_grid(
        [("English, own", cell_images(cells, "pairs-own-en"))]
        + [(LANGUAGE_NAMES[c], cell_images(cells, f"pairs-ours-{c}")) for c in FOREIGN]
    )
    parts.append(f'<img src="{save("pairs", pair_grid)}" alt="pairs">')
    parts.append(
        "<p>Read by the pair judge: the axis the objects lie on, then the left (or top) "
        "object and the right (or bottom) one, each by shape, colour and size.</p>"
    )
    pairs = results["pairs"]
    rows = language_table_rows(pairs, PAIR_ROWS, pairs["own"]["en"]["mean"])
    parts.append(_table(["", *LANGUAGES, "min / en"], rows))
    return parts


def _method_section(results: dict) -> list[str]:
    """The training curves and how every cell was measured."""
    count = results["settings"]["test_scenes"]
    draw_settings = results["settings"]["draw"]
    parts = ["<h2>Training curves (alignment loss, log scale)</h2><div>"]
    parts += [curve_svg(name, points) for name, points in results["curves"].items()]
    parts.append("</div>")
    parts.append(
        "<h2>How it was measured</h2><p>"
        f"Every cell: {count} one-object scenes of held-out shape-colour pairs (the same scenes "
        f"in every row), drawn by the world's generator with {draw_settings['steps']} DDIM "
        f"steps, guidance {draw_settings['guidance']}, seed {draw_settings['seed']}; the "
        "world's judge (a ResNet trained on renders) names each "
        "image's shape, colour, size and position. Accuracy is the mean of the four. GlueNets "
        "are trained by the core library (feature cache + Trainer) on the demo's corpora; "
        "timings (seconds): "
        + html.escape(", ".join(f"{k} {v}" for k, v in results["timings"].items()))
        + ".</p>"
    )
    return parts


def write_report(results: dict, workdir: Path, folder: Path) -> Path:
    """Write folder/index.html and its images; returns the page's path."""
    cells = cells_folder(workdir, results["settings"]["scenes"])
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)

    def save(name: str, picture: Image.Image) -> str:
        picture.save(images / f"{name}.png")
        return f"images/{name}.png"

    parts = [
        *_language_section(results, cells, save),
        *_sound_section(results, cells, save),
        *_paraphrase_section(results, cells, save),
        *_pair_section(results, cells, save),
        *_method_section(results),
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>GlueGen demo</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}"
        "td:not(:first-child){text-align:right}img{image-rendering:pixelated}"
        ".curve{border:1px solid #eee;margin:4px}</style></head><body>"
        "<h1>GlueGen on the shapes world</h1>" + "\n".join(parts) + "</body></html>"
    )
    atomic_write_text(folder / "index.html", page)
    return folder / "index.html"


__all__ = ["write_report"]
