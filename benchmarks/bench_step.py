"""GlueNet training-step efficiency: FLOPs a step does against what the device's matmul can do.

- peak: FLOP/s of a large square matmul (fp32, and bf16), the best of 10 tries before the
  cases and 10 after (the machine is shared);
- per recipe and batch size: one step of the `Trainer` (`train_step`: the batch read from a
  feature cache of random features of the recipe's shapes, GlueNet, decoder and discriminator
  where the objective uses them, forward and backward, gradient clipping, Adam), its FLOPs
  counted by torch's FlopCounterMode (with the CPU's attention kernels, `flops.py`), the median
  step time over `--steps` steps after a warm-up, and the share of the peak of the step's
  precision (fp32; bf16 under `--bf16`);
- faults: page faults per step (the kernel handing the process fresh, zeroed pages). On a
  CPU the Trainer keeps freed memory in the process (gluegen/allocator.py);
  `--default-allocator` runs it with glibc's malloc as a process starts, to compare (the
  setting is process-wide: one run each);
- "matmuls alone": the same FLOP-counted calls (matmuls and attention; the same shapes,
  strides and dtypes) replayed one after another on random inputs, nothing else between
  them: the share of the peak a step could reach if everything but its matmuls cost nothing
  (its ceiling at these shapes).

On a GPU (`--device cuda`) every time is read after the device has finished its queued work;
"matmuls alone" then times each call on its own, launch included.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_step.py [--steps 20] [--bf16] [--default-allocator]
      python benchmarks/bench_step.py --device cuda --bf16 --batches 32 256
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from flops import flop_counter, is_counted, matmul_peak
from stand_ins import RandomFeatures
from timing import finished
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

from gluegen import allocator
from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.prepare import cache_shapes
from gluegen.recipes import get_recipe
from gluegen.training.trainer import Trainer

CASES = (  # (recipe, batch), each at the shapes it was made for (the world's; the paper's real)
    ("world-language", 32),
    ("world-language", 256),
    ("world-language-attention", 32),  # the demo's per-language nets
    ("world-shared", 32),
    ("world-sound", 32),
    ("paper-multilingual", 32),
)


@dataclass(frozen=True)
class TensorSpec:
    """What a replayed call needs of an argument: its layout, not its values."""

    size: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: torch.dtype
    device: torch.device

    def random(self) -> torch.Tensor:
        tensor = torch.empty_strided(self.size, self.stride, dtype=self.dtype, device=self.device)
        return tensor.normal_() if tensor.is_floating_point() else tensor.zero_()


def _spec(value):
    if isinstance(value, torch.Tensor):
        return TensorSpec(tuple(value.shape), tuple(value.stride()), value.dtype, value.device)
    return value


def _random(value):
    return value.random() if isinstance(value, TensorSpec) else value


class CountedCalls(TorchDispatchMode):
    """Records every call FlopCounterMode counts (matmuls, attention) with its arguments'
    layouts, to replay them alone."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if is_counted(func):
            self.calls.append((func, tree_map(_spec, args), tree_map(_spec, kwargs)))
        return func(*args, **kwargs)


def replay_seconds(calls: list[tuple], repeats: int, device: torch.device) -> float:
    """Median over `repeats` of the summed time of each call alone, on fresh random inputs."""
    totals = []
    for _ in range(repeats + 1):  # the first pass warms up
        total = 0.0
        for func, args, kwargs in calls:
            args, kwargs = tree_map(_random, args), tree_map(_random, kwargs)
            started = finished(device)
            func(*args, **kwargs)
            total += finished(device) - started
        totals.append(total)
    return statistics.median(totals[1:])


def page_faults() -> int:
    """Page faults of this process so far (minor and major)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def step_case(
    recipe_name: str, batch: int, steps: int, bf16: bool, device: torch.device, work: Path
) -> dict:
    """FLOPs and median seconds of one `Trainer` step of `recipe_name` on a cache of `batch`
    random pairs of its shapes (under bf16 autocast when `bf16`, as `--mixed-precision bf16`
    trains)."""
    recipe = get_recipe(recipe_name)
    shapes = recipe.gluenet_config()
    folder = work / f"{recipe_name}-{batch}{'-bf16' if bf16 else ''}"
    sentences = [f"pair {i}" for i in range(batch)]
    cache = build_cache(
        ParallelCorpus(sentences, sentences),
        RandomFeatures("source", shapes.source_tokens, shapes.source_dim),
        RandomFeatures("target", shapes.target_tokens, shapes.target_dim),
        folder / "cache",
        progress=False,
    )
    chosen = recipe.with_overrides(
        batch_size=batch, holdout=0.0, mixed_precision="bf16" if bf16 else "no"
    )
    trainer = Trainer(
        cache, chosen.gluenet_config(cache_shapes(cache)), chosen.train_config(folder, False)
    )
    if trainer.accelerator.device.type != device.type:
        raise SystemExit(
            f"The Trainer runs on {trainer.accelerator.device.type} here, not {device.type}: "
            "on a GPU machine measure the CPU with CUDA_VISIBLE_DEVICES= set empty."
        )
    ids = trainer.train_ids[:batch]  # the one batch, every step

    def step() -> None:
        trainer.train_step(ids)

    recorder = CountedCalls()
    with flop_counter() as counter, recorder:
        step()
    times = []
    faults_before = page_faults()
    for _ in range(steps):
        started = finished(device)
        step()
        times.append(finished(device) - started)
    return {
        "flops": counter.get_total_flops(),
        "seconds": statistics.median(times[1:] or times),
        "faults": (page_faults() - faults_before) / steps,
        "matmul_seconds": replay_seconds(recorder.calls, max(1, steps // 4), device),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="World cases only (tests).")
    parser.add_argument("--bf16", action="store_true", help="Also each case under bf16 autocast.")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda.")
    parser.add_argument(
        "--batches", type=int, nargs="+", help="Each recipe at these batch sizes instead."
    )
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="Leave glibc's malloc as it starts (the Trainer keeps freed memory on a CPU).",
    )
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.default_allocator:  # the Trainer and build_cache would set it
        os.environ[allocator.OPT_OUT] = "0"
    kept = device.type == "cpu" and allocator.keep_freed_memory()
    cases = CASES
    if args.batches:
        names = dict.fromkeys(name for name, _ in CASES)
        cases = tuple((name, batch) for name in names for batch in args.batches)
    rows = []

    def peaks_now() -> tuple[float, float]:  # bf16's only where asked: emulated, it takes long
        fp32 = matmul_peak(torch.float32, device)
        return fp32, (matmul_peak(torch.bfloat16, device) if args.bf16 else 0.0)

    peaks = [peaks_now()]
    work = Path(tempfile.mkdtemp(prefix="bench-step-"))
    try:
        for name, batch in cases:
            if args.quick and name.startswith("paper"):
                continue
            for bf16 in (False, True) if args.bf16 else (False,):
                label = name + (" bf16" if bf16 else "")
                case = step_case(name, batch, args.steps, bf16, device, work)
                rows.append((label, batch, bf16, case))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # the machine is shared: the peak is the best seen before and after the cases
    peaks.append(peaks_now())
    peak, peak_bf16 = (max(column) for column in zip(*peaks, strict=True))
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    threads = f", {torch.get_num_threads()} thread(s)" if device.type == "cpu" else ""
    print(
        f"matmul peak, {where}{threads}: fp32 {peak / 1e9:.1f} GFLOP/s"
        + (f", bf16 {peak_bf16 / 1e9:.1f} GFLOP/s" if args.bf16 else "")
        + " (best before and after the cases)"
    )
    print("freed memory kept in the process" if kept else "the allocator as it starts")
    header = f"{'recipe':26}{'batch':>6}{'GFLOP/step':>12}{'ms/step':>10}{'GFLOP/s':>10}"
    print(
        header + f"{'of peak':>9}{'matmuls alone':>15}{'faults':>9}  (peak of the step's precision)"
    )
    for label, batch, bf16, result in rows:
        achieved = result["flops"] / result["seconds"]
        ceiling = result["flops"] / result["matmul_seconds"]
        its_peak = peak_bf16 if bf16 else peak
        print(
            f"{label:26}{batch:>6}{result['flops'] / 1e9:>12.3f}"
            f"{1000 * result['seconds']:>10.2f}{achieved / 1e9:>10.1f}{achieved / its_peak:>9.0%}"
            f"{ceiling / its_peak:>15.0%}{result['faults']:>9.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
