"""How much faster than the original GlueGen procedure does gluegen train, at equal epochs?

The original procedure (its reference code, written out in `training_runs.py`) runs both
encoders on every batch of every epoch. gluegen encodes the corpus once into a cache, then
trains from it. Two runs answer the question in two parts:
- gluegen fp32: the cache alone, the same objective as the original (the paper's alignment,
  reconstruction and adversarial terms; `--preset paper-multilingual`);
- gluegen fp32 align-only: the objective's own saving on top (the alignment term alone: no
  reconstruction decoder, no discriminator to train; the family presets' default).
Where the device multiplies bf16 in hardware (a GPU; a CPU with AMX or AVX512-BF16) the same
two runs in bf16 follow (cache and Trainer under bf16 autocast, what `--mixed-precision auto`
picks on a GPU). Each run with the paper's recipe otherwise (batch 32, Adam 1e-4 halved every
epoch, `--epochs`). Variants of the objective and learning rate: `explore_training.py`.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_training.py [--setting world] [--pairs 512]
"""

from __future__ import annotations

import argparse

import torch
from training_runs import (
    ALIGN_ONLY,
    ORIGINAL,
    Method,
    add_flags,
    run_and_report,
)

from gluegen.precision import bf16_is_emulated

SAME_OBJECTIVE = Method("gluegen fp32")
ALIGN_ONLY_FP32 = Method("gluegen fp32 align-only", settings=ALIGN_ONLY, note="terms off")
BF16_RUNS = (
    Method("gluegen bf16", precision="bf16"),
    Method("gluegen bf16 align-only", precision="bf16", settings=ALIGN_ONLY, note="terms off"),
)


def chosen_methods(device: torch.device) -> list[Method]:
    """The original, the cache with its objective, the alignment term alone; bf16 as well
    where the device has bf16 units."""
    methods = [ORIGINAL, SAME_OBJECTIVE, ALIGN_ONLY_FP32]
    if bf16_is_emulated(device):
        print("this CPU has no bf16 matrix units (emulated, far slower): fp32 runs only")
        return methods
    return [*methods, *BF16_RUNS]


def main(argv: list[str] | None = None) -> int:
    """Run the methods, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_flags(parser)
    args = parser.parse_args(argv)
    methods = chosen_methods(torch.device(args.device))
    run_and_report(args, methods)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
