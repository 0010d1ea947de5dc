"""SIGKILL at the worst moments, then the same command again: the run ends as if never stopped,
and nothing stray is left."""

import json
import os
import subprocess
import sys

import torch
from runs import run_args
from safetensors.torch import load_file

from gluegen.cli import main

# Runs `gluegen.cli.main(ARGS)` in a child that kills itself (SIGKILL) at the moment named by
# WHEN: "between-renames" (a checkpoint's old folder moved aside, the new one not yet in
# place, at the second checkpoint) or "mid-shard" (half of shard 1 written).
KILLER = """
import json, os, pathlib, signal, sys
from gluegen.cli import main

import gluegen.data.cache as cache

when, args = sys.argv[1], json.loads(sys.argv[2])
real_replace, real_save_file = os.replace, cache.save_file
saves = []

def replace(src, dst):
    real_replace(src, dst)
    if when == "between-renames" and pathlib.Path(src).name == "state":
        saves.append(dst)
        if len(saves) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

def save_file(tensors, path, metadata=None):
    real_save_file(tensors, path, metadata=metadata)
    path = pathlib.Path(path)
    if when == "mid-shard" and path.name.startswith(".shard-00001"):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        os.kill(os.getpid(), signal.SIGKILL)

os.replace, cache.save_file = replace, save_file
sys.exit(main(args))
"""


def killed(when, args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", KILLER, when, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == -9, result.stderr[-2000:]


def strays(run):
    return sorted(
        str(p.relative_to(run)) for p in run.rglob("*") if p.name.endswith((".tmp", ".old"))
    )


def weights(run):
    return load_file(run / "gluenet" / "model.safetensors")


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_killed_between_the_checkpoint_renames_resumes_to_the_same_weights(
    models, corpus, finished_run, tmp_path
):
    run = tmp_path / "run"
    args = [*run_args(models, corpus, run), "--checkpoint-every", "2"]
    killed("between-renames", args)
    assert not (run / "state").exists() and strays(run)  # the moment the issue describes
    assert main([*args, "--resume"]) == 0
    assert_same_weights(weights(run), weights(finished_run))
    assert strays(run) == []
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    logged = [record["step"] for record in records if "align_loss" in record]
    assert logged and len(logged) == len(set(logged))  # each step once, though run twice


def test_killed_mid_shard_rebuilds_the_cache_and_trains_the_same(
    models, corpus, finished_run, tmp_path
):
    run = tmp_path / "run"
    args = run_args(models, corpus, run)
    killed("mid-shard", args)
    assert (run / "features" / "shard-00000.safetensors").is_file()
    assert not (run / "features" / "shard-00001.safetensors").exists()
    assert main(args) == 0
    assert_same_weights(weights(run), weights(finished_run))
    assert strays(run) == []
