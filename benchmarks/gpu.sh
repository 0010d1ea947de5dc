#!/usr/bin/env bash
# On a CUDA machine, in one run: the device tests (each part where it was placed), then the GPU
# figures of docs/results.md: the GlueNet step against the GPU's matmul peak (batch 32 and 256),
# training at the real encoders' widths (XLM-R-large + CLIP-L text, random weights) against the
# original procedure in bf16, and the data path at the real widths (a bf16 cache's reader
# against its read bound, a run's peak memory as the corpus grows), and reading batches ahead
# of the GPU's step (pinned memory; rows from the disk, not the page cache).
# Each table also goes to $1/<name>.txt when a folder is given.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-}"
python="${PYTHON:-python}"
log() { if [ -n "$out" ]; then tee "$out/$1.txt"; else cat; fi; }
"$python" -m pytest -q -p no:cacheprovider tests/test_devices.py 2>&1 | log devices
"$python" benchmarks/bench_step.py --device cuda --bf16 --batches 32 256 --steps 30 2>&1 | log step
"$python" benchmarks/bench_training.py --device cuda --width-divisor 1 --pairs 1024 --repeats 3 \
    --eval-every 4 2>&1 | log training
"$python" benchmarks/bench_scale.py --sizes 10000 25000 --steps 50 2>&1 | log scale
"$python" benchmarks/bench_loader.py --pairs 25000 --batches 200 --trainer 2>&1 | log loader
