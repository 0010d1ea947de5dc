"""A small corpus with the default preset: does the GlueNet beat predicting the mean target?

The paper's schedule (4 epochs, LR halved each) is ~125k steps at its 1M pairs but ~116 at 1k
pairs. `gluegen train` on `--pairs` toy sentences (tiny random encoders of the real classes,
the same sentences on both sides), the default preset (`sd1-multilingual`) as is, with the
schedule's length given in steps (`--total-steps`), and with the learned output offset; each
row's held-out MSE beside the mean target's (the floor, on the same held-out pairs).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_small_corpus.py [--pairs 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import torch

from gluegen import testing as toy
from gluegen.cli import main as gluegen


def variants(lengths: list[int]) -> dict[str, list[str]]:
    """{row: the options `gluegen train` gets beside the corpus and encoders}."""
    rows = {"default preset (4 epochs)": []}
    rows |= {f"--total-steps {n}": ["--total-steps", str(n)] for n in lengths}
    rows["--target-offset --learning-rate 1e-3"] = ["--target-offset", "--learning-rate", "1e-3"]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Train each variant on the same corpus and cache; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--total-steps", type=int, nargs="*", default=[1000, 4000])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"{args.pairs} pairs; held-out MSE (the mean target's beside it)")
    print(f"{'':40}{'GlueNet':>10}{'floor':>10}{'steps':>8}{'seconds':>9}")
    with tempfile.TemporaryDirectory(prefix="gluegen-small-") as work:
        work = Path(work)
        source = toy.write_text_pair(work / "corpus", toy.toy_sentences(args.pairs, seed=5))[0]
        common = [
            "--source-encoder", str(toy.save_xlmr(work / "xlmr")),
            "--target", str(toy.save_sd_pipeline(work / "sd")),
            "--corpus", str(source), "--corpus-target", str(source.with_name("target.txt")),
            "--cache-dir", str(work / "features"), "--no-progress",
        ]  # fmt: skip
        for name, options in variants(args.total_steps).items():
            run = work / name.replace(" ", "_")
            started = time.perf_counter()
            with (
                contextlib.redirect_stderr(io.StringIO()),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                gluegen(["train", *common, *options, "--output-dir", str(run)])
            seconds = time.perf_counter() - started
            metrics = json.loads((run / "metrics.json").read_text())
            steps = json.loads((run / "state" / "progress.json").read_text())["step"]
            floor = metrics["mean_target"]["mse"]
            print(f"{name:40}{metrics['mse']:>10.3f}{floor:>10.3f}{steps:>8}{seconds:>9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
