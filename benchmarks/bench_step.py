"""GlueNet training-step efficiency: FLOPs a step does against what this CPU's matmul can do.

- peak: FLOP/s of a large square matmul (fp32, and bf16), the best of a few tries;
- per recipe and batch size: FLOPs of one training step (GlueNet, decoder and discriminator
  where the objective uses them; forward and backward, counted by torch's FlopCounterMode),
  the median step time over `--steps` steps after a warm-up, and the share of the fp32 peak.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_step.py [--steps 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from gluegen.models import GlueNet
from gluegen.recipes import get_recipe
from gluegen.training.objective import GlueObjective

PEAK_SIDE = 1024  # matmul size for the peak
CASES = (  # (recipe, batch), each at the shapes it was made for (the world's; the paper's real)
    ("world-language", 32),
    ("world-language", 256),
    ("world-shared", 32),
    ("paper-multilingual", 32),
)


def matmul_peak(dtype: torch.dtype, tries: int = 5) -> float:
    """FLOP/s of the best of `tries` PEAK_SIDE-square matmuls."""
    a = torch.randn(PEAK_SIDE, PEAK_SIDE, dtype=dtype)
    b = torch.randn(PEAK_SIDE, PEAK_SIDE, dtype=dtype)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * PEAK_SIDE**3 / best


def step_case(recipe_name: str, batch: int, steps: int, bf16: bool = False) -> dict:
    """FLOPs and median seconds of one training step of `recipe_name` (under bf16 autocast
    when `bf16`, as `--mixed-precision bf16` trains)."""
    recipe = get_recipe(recipe_name)
    config = recipe.gluenet_config()
    torch.manual_seed(0)
    objective = GlueObjective(GlueNet(config), recipe.train_config("unused").weights)
    optimizer = torch.optim.Adam(objective.parameters(), lr=1e-4)
    source = torch.randn(batch, config.source_tokens, config.source_dim)
    target = torch.randn(batch, config.target_tokens, config.target_dim)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = sum(objective(source, target).values())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    with FlopCounterMode(display=False) as counter:
        step()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return {"flops": counter.get_total_flops(), "seconds": statistics.median(times[1:] or times)}


def main(argv: list[str] | None = None) -> int:
    """Measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="World cases only (tests).")
    parser.add_argument("--bf16", action="store_true", help="Also each case under bf16 autocast.")
    args = parser.parse_args(argv)
    peak, peak_bf16 = matmul_peak(torch.float32), matmul_peak(torch.bfloat16)
    print(
        f"matmul peak, {torch.get_num_threads()} thread(s): fp32 {peak / 1e9:.1f} GFLOP/s, "
        f"bf16 {peak_bf16 / 1e9:.1f} GFLOP/s"
    )
    header = f"{'recipe':22}{'batch':>6}{'GFLOP/step':>12}{'ms/step':>10}{'GFLOP/s':>10}"
    print(header + f"{'of fp32 peak':>14}")
    for name, batch in CASES:
        if args.quick and name.startswith("paper"):
            continue
        for bf16 in (False, True) if args.bf16 else (False,):
            result = step_case(name, batch, args.steps, bf16)
            achieved = result["flops"] / result["seconds"]
            label = name + (" bf16" if bf16 else "")
            print(
                f"{label:22}{batch:>6}{result['flops'] / 1e9:>12.3f}"
                f"{1000 * result['seconds']:>10.1f}{achieved / 1e9:>10.1f}{achieved / peak:>14.0%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
