"""Damaged caches, checkpoints and GlueNets: each a one-line named error, never a result."""

import json
import os
import pickle

import pytest
import torch
from runs import run_args
from safetensors.torch import load_file, save_file

from gluegen.cli import main

MARKER = "pickle-ran.txt"


def spoil_bytes(path, offset_from_end, data):
    with open(path, "r+b") as handle:
        handle.seek(path.stat().st_size - offset_from_end)
        handle.write(data)


def shard(run, index=0):
    return run / "features" / f"shard-{index:05d}.safetensors"


def edit_header(path, change):
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + length])
    change(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= length  # padded to the old length: the data stays in place
    path.write_bytes(raw[:8] + text.ljust(length) + raw[8 + length :])


def edit_manifest(run, **changes):
    path = run / "features" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def double_rows(header):
    header["source"]["shape"][0] *= 2


def f32_as_f16(header):
    header["source"]["dtype"] = "F16"


class Pickled:
    """Unpickling this writes the marker file (what an attack would do)."""

    def __init__(self, folder):
        self.folder = folder

    def __reduce__(self):
        return (open, (os.path.join(self.folder, MARKER), "w"))


def plant_pickle(path):
    path.write_bytes(pickle.dumps(Pickled(str(path.parent))))


CACHE_CASES = {
    "random bytes over shard data": (
        lambda r: spoil_bytes(shard(r), 500, os.urandom(64)),
        "checksum",
    ),
    "NaN over shard data": (
        lambda r: spoil_bytes(shard(r), 500, torch.full((16,), float("nan")).numpy().tobytes()),
        "checksum",
    ),
    "manifest row count edited": (lambda r: edit_manifest(r, count=90), "counts 90 rows"),
    "shard header length huge": (
        lambda r: spoil_bytes(shard(r), shard(r).stat().st_size, (2**62).to_bytes(8, "little")),
        "header length",
    ),
    "shard header doubles its rows": (lambda r: edit_header(shard(r), double_rows), "shard-00000"),
    "shard header marks F32 as F16": (lambda r: edit_header(shard(r), f32_as_f16), "checksum"),
    "shard deleted": (lambda r: shard(r, 1).unlink(), "shard-00001.safetensors is missing"),
}


@pytest.mark.parametrize("case", list(CACHE_CASES))
def test_a_damaged_cache_stops_training_by_name(case, run_copy, models, corpus, capsys):
    spoil, message = CACHE_CASES[case]
    spoil(run_copy)
    assert main(run_args(models, corpus, run_copy)) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "damaged" in error and len(error.splitlines()) == 1, error


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


STATE_CASES = {
    "optimizer state deleted": (lambda r: (r / "state" / "optimizer.pt").unlink(), "is missing"),
    "objective checkpoint truncated": (
        lambda r: truncate(r / "state" / "objective.safetensors"),
        "not a readable safetensors file",
    ),
    "progress.json deleted": (lambda r: (r / "state" / "progress.json").unlink(), "is missing"),
    "optimizer state replaced by a crafted pickle": (
        lambda r: plant_pickle(r / "state" / "optimizer.pt"),
        "cannot be read safely",
    ),
}


@pytest.mark.parametrize("case", list(STATE_CASES))
def test_a_damaged_checkpoint_stops_resume_by_name(case, run_copy, models, corpus, capsys):
    spoil, message = STATE_CASES[case]
    spoil(run_copy)
    assert main([*run_args(models, corpus, run_copy), "--resume"]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1, error
    assert not (run_copy / "state" / MARKER).exists()  # the pickle never ran


def gluenet_file(run, name="model.safetensors"):
    return run / "gluenet" / name


def drop_statistics(run):
    state = load_file(gluenet_file(run))
    save_file({k: v for k, v in state.items() if "norm" not in k}, gluenet_file(run))


def nan_weights(run):
    state = load_file(gluenet_file(run))
    name = next(k for k in state if k.endswith("weight"))
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, gluenet_file(run))


def edit_config(run, **changes):
    config = json.loads(gluenet_file(run, "config.json").read_text())
    gluenet_file(run, "config.json").write_text(json.dumps({**config, **changes}))


GLUENET_CASES = {
    "weights truncated": (lambda r: truncate(gluenet_file(r)), "not a readable safetensors"),
    "weights empty": (lambda r: gluenet_file(r).write_bytes(b""), "not a readable safetensors"),
    "weights garbled to NaN": (nan_weights, "NaN or infinite"),
    "statistics missing": (drop_statistics, "missing ['source_token_norm'"),
    "config.json missing": (lambda r: gluenet_file(r, "config.json").unlink(), "is missing"),
    "config edited: 6 blocks": (lambda r: edit_config(r, source_blocks=6), "missing"),
    "config edited: norm fraction": (
        lambda r: edit_config(r, norm_fraction=0.25),
        "changed after the weights were saved",
    ),
    "config not a GlueNet's": (lambda r: edit_config(r, layers=3), "not a GlueNet config"),
    "weights replaced by a crafted pickle": (
        lambda r: plant_pickle(gluenet_file(r)),
        "not a readable safetensors",
    ),
}


@pytest.mark.parametrize("case", list(GLUENET_CASES))
def test_a_damaged_gluenet_is_refused_by_name(case, run_copy, capsys):
    spoil, message = GLUENET_CASES[case]
    spoil(run_copy)
    assert main(["evaluate", "--output-dir", str(run_copy), "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1, error
    assert not (run_copy / "gluenet" / MARKER).exists()
