"""Mean and range of the demo's cells over runs with other training seeds.

    gluegen demo --workdir runs/seed1 --recipe-overrides '{"all": {"seed": 1}}'   # and 2, ...
    python benchmarks/seed_spread.py runs/demo runs/seed1 runs/seed2

Reads each work folder's results.json and prints, per row and column of the demo's tables,
the mean over the runs and its range; then the README's figures: per multilingual row, the
mean of the six languages and the lowest language over English, each as mean [range] of runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from gluegen_world.demo.tables import sound_over_english


def cells(results: dict) -> dict[str, float]:
    """{"table/row/column": score} of one run's results."""
    flat = {}
    for row, languages in results["languages"].items():
        for code, scores in languages.items():
            flat[f"languages/{row}/{code}"] = scores["mean"]
    for row, scores in results["sound"].items():
        for column in ("object", "object_and_position"):
            flat[f"sound/{row}/{column}"] = scores[column]
    for row, sets in results["paraphrases"].items():
        for name, scores in sets.items():
            flat[f"paraphrases/{row}/{name}"] = scores["mean"]
    for row, languages in results.get("pairs", {}).items():
        for code, scores in languages.items():
            flat[f"pairs/{row}/{code}"] = scores["mean"]
    return flat


def summaries(results: dict) -> dict[str, float]:
    """{"table/row mean of six" or "table/row lowest / en": figure} of one run."""
    flat = {}
    for table in ("languages", "pairs"):
        rows = results.get(table, {})
        if "own" not in rows:
            continue
        ceiling = rows["own"]["en"]["mean"]
        for row, languages in rows.items():
            foreign = [scores["mean"] for code, scores in languages.items() if code != "en"]
            if len(foreign) > 1:
                flat[f"{table}/{row} mean of six"] = statistics.mean(foreign)
                flat[f"{table}/{row} lowest / en"] = min(foreign) / ceiling
    for row, ratio in sound_over_english(results).items():
        flat[f"sound/{row} / en"] = ratio
    return flat


def main(argv: list[str] | None = None) -> int:
    """Print mean [min-max] of every cell over the given work folders."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdirs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    results = [json.loads((w / "results.json").read_text()) for w in args.workdirs]
    for flatten in (cells, summaries):
        runs = [flatten(result) for result in results]
        print(f"{'cell':48}{'mean':>7}  range over {len(runs)} runs")
        for name in runs[0]:
            values = [run[name] for run in runs if name in run]
            spread = f"{min(values):.3f}-{max(values):.3f}"
            print(f"{name:48}{statistics.mean(values):>7.3f}  {spread}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
