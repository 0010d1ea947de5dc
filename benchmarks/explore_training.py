"""Variants of gluegen's training beside the original procedure: an experiment, not a
benchmark (`bench_training.py` answers the speed-up question).

Runs (`--methods` chooses; the original always runs):
- gluegen fp32 offset: a learned output offset starting at the measured mean target
  (`--target-offset`), alignment only, Adam 1e-3: what the world's recipes add for real use;
- gluegen fp32 offset 1e-4: the same at the paper's learning rate;
- gluegen fp32 offset all-terms: the offset with the paper's optional terms kept;
- gluegen fp32 align-only 1e-3: the offset runs' learning rate without the offset;
- gluegen bf16 offset: the offset run in bf16 (where the device has bf16 units);
- original, memory kept: the original procedure with glibc's malloc set as gluegen's Trainer
  sets it on a CPU (freed memory kept for reuse, gluegen/allocator.py).

Run:  OMP_NUM_THREADS=1 python benchmarks/explore_training.py --methods "gluegen fp32 offset" \
          "gluegen fp32 offset all-terms" --original-epochs 4
"""

from __future__ import annotations

import argparse

from training_runs import (
    ALIGN_ONLY,
    ORIGINAL,
    Method,
    add_flags,
    run_and_report,
)

OFFSET_LEARNING_RATE = 1e-3
TARGET_OFFSET = {"target_offset": True}
OFFSET_SETTINGS = {**TARGET_OFFSET, "learning_rate": OFFSET_LEARNING_RATE}
OFFSET = {**OFFSET_SETTINGS, **ALIGN_ONLY}
OFFSET_AT_1E4 = {**TARGET_OFFSET, **ALIGN_ONLY}  # the paper's learning rate
OTHER_OBJECTIVE = "another objective"
VARIANTS = {
    method.name: method
    for method in (
        Method("gluegen fp32 offset", settings=OFFSET, note=OTHER_OBJECTIVE),
        Method(
            "gluegen fp32 offset 1e-4",
            settings={**TARGET_OFFSET, **ALIGN_ONLY},
            note=OTHER_OBJECTIVE,
        ),
        Method("gluegen fp32 offset all-terms", settings=OFFSET_SETTINGS, note=OTHER_OBJECTIVE),
        Method(
            "gluegen fp32 align-only 1e-3",
            settings={**ALIGN_ONLY, "learning_rate": OFFSET_LEARNING_RATE},
            note="another learning rate",
        ),
        Method("gluegen bf16 offset", precision="bf16", settings=OFFSET, note=OTHER_OBJECTIVE),
        Method(
            "original, memory kept",
            original=True,
            keep_memory=True,
            note="gluegen's allocator setting",
        ),
    )
}


def main(argv: list[str] | None = None) -> int:
    """Run the original and the chosen variants, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_flags(parser)
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=list(VARIANTS),
        default=["gluegen fp32 offset"],
        metavar="RUN",
        help=f"runs beside the original, quoted; any of: {', '.join(VARIANTS)}.",
    )
    args = parser.parse_args(argv)
    methods = [ORIGINAL, *(VARIANTS[name] for name in args.methods)]
    run_and_report(args, methods)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
