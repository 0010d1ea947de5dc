"""Compare the drawn cells of two demo work folders: images and scores, bitwise.

    python benchmarks/compare_cells.py runs/demo-a runs/demo-b

Prints one line per cell that differs (largest pixel difference, both means), a count, and
how the judge's means moved (second minus first: mean, mean absolute, largest, up and down);
exits 1 when any cell differs or either folder lacks a cell the other has.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file


def cell(folder: Path, name: str) -> tuple[torch.Tensor, dict]:
    """A cell's saved images and scores."""
    images = load_file(folder / "cells" / f"{name}.safetensors")["images"]
    scores = json.loads((folder / "cells" / f"{name}.json").read_text())["scores"]
    return images, scores


def main(argv: list[str] | None = None) -> int:
    """Compare; 0 when every cell is equal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    names = [{p.stem for p in (f / "cells").glob("*.json")} for f in (args.first, args.second)]
    only = sorted(names[0] ^ names[1])
    differing, moves = 0, []
    for name in sorted(names[0] & names[1]):
        (a, scores_a), (b, scores_b) = cell(args.first, name), cell(args.second, name)
        moves.append(scores_b["mean"] - scores_a["mean"])
        if a.shape != b.shape or not torch.equal(a, b) or scores_a != scores_b:
            differing += 1
            gap = (a - b).abs().max().item() if a.shape == b.shape else float("nan")
            print(f"{name}: max |diff| {gap:.4f}, mean {scores_a['mean']} vs {scores_b['mean']}")
    common = len(names[0] & names[1])
    print(f"{common - differing} of {common} cells equal; {len(only)} in one folder only {only}")
    if moves:
        print(
            f"judge's means, second - first: mean {statistics.mean(moves):+.4f}, mean absolute "
            f"{statistics.mean(map(abs, moves)):.4f}, largest {max(map(abs, moves)):.4f}; "
            f"{sum(m > 0 for m in moves)} up, {sum(m < 0 for m in moves)} down"
        )
    return 1 if differing or only else 0


if __name__ == "__main__":
    sys.exit(main())
