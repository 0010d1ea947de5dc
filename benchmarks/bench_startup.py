"""Command-line start-up: how long `gluegen` takes to answer before any work.

Each command runs as a fresh process `--repeats` times (interleaved, the machine is shared);
the table gives the median and range of the wall time, beside `python -c "import torch"` for
scale. Run:  python benchmarks/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "gluegen --help": ["-m", "gluegen.cli", "--help"],
    "gluegen train --help": ["-m", "gluegen.cli", "train", "--help"],
    "gluegen demo --help": ["-m", "gluegen.cli", "demo", "--help"],
    "gluegen presets": ["-m", "gluegen.cli", "presets"],
    "import torch (for scale)": ["-c", "import torch"],
}


def timed(arguments: list[str]) -> float:
    """Seconds one fresh interpreter takes to run `arguments`."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Time every command; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, arguments in COMMANDS.items():
            times[name].append(timed(arguments))
    print(f"{'command':28}{'median s':>10}{'range s':>16}   ({args.repeats} runs each)")
    for name, values in times.items():
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"{name:28}{statistics.median(values):>10.2f}{spread:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
