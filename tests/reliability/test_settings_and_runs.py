"""Settings out of range, runs re-run, Ctrl-C, stale inputs: each handled, never silent."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from runs import run_args

from gluegen.cli import main
from gluegen.data.corpus import read_table
from gluegen.encoders.base import folder_fingerprint


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--learning-rate", "inf"], "learning_rate must be finite and > 0"),
        (["--align-weight", "nan"], "align must be finite and >= 0"),
        (["--lr-decay", "-1"], "lr_decay must be in (0, 1]"),
        (["--max-steps", "-5"], "max_steps must be >= 0"),
        (["--source-max-length", "99"], "beyond the 12 positions"),
    ],
)
def test_bad_settings_stop_before_any_work(flags, message, models, corpus, tmp_path, capsys):
    assert main([*run_args(models, corpus, tmp_path / "run"), *flags]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1, error
    assert not (tmp_path / "run" / "state").exists()


def test_a_new_run_keeps_the_previous_result_until_its_own_is_complete(run_copy, models, corpus):
    old_metrics = (run_copy / "metrics.json").read_text()
    old_weights = (run_copy / "gluenet" / "model.safetensors").read_bytes()
    old_log = (run_copy / "log.jsonl").read_text()
    args = [*run_args(models, corpus, run_copy), "--seed", "1"]  # another run
    assert main([*args, "--max-steps", "2"]) == 0  # stopped early: no GlueNet of its own yet
    assert (run_copy / "gluenet" / "model.safetensors").read_bytes() == old_weights
    assert (run_copy / "metrics.json").read_text() == old_metrics
    assert (run_copy / "log.previous.jsonl").read_text() == old_log
    records = [json.loads(line) for line in (run_copy / "log.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "start" and max(r.get("step", 0) for r in records) == 2
    assert main([*args, "--resume"]) == 0
    assert (run_copy / "gluenet" / "model.safetensors").read_bytes() != old_weights
    assert (run_copy / "metrics.json").read_text() != old_metrics


def test_ctrl_c_saves_the_state_and_resume_finishes_it(models, corpus, finished_run, tmp_path):
    run = tmp_path / "run"
    args = [*run_args(models, corpus, run), "--epochs", "200"]  # long enough to interrupt
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "gluegen.cli", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 120
    while not (run / "log.jsonl").is_file() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # some steps in
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert "stopped (Ctrl-C)" in stderr and "Traceback" not in stderr
    assert "`--resume` continues" in stderr
    progress = json.loads((run / "state" / "progress.json").read_text())
    assert 0 < progress["step"]  # saved where it stopped


def test_changed_encoder_bytes_and_replaced_clips_make_the_cache_stale(models, tmp_path):
    folder = tmp_path / "encoder"
    shutil.copytree(models["xlmr"], folder)
    big = folder / "extra.bin"  # over 1 MiB: its middle was not hashed before
    big.write_bytes(bytes(3 << 20))
    before = folder_fingerprint(folder)
    with open(big, "r+b") as handle:
        handle.seek(3 << 19)
        handle.write(b"\1")
    assert folder_fingerprint(folder) != before

    from gluegen.data.corpus import read_audio_folder
    from gluegen_world.corpus import write_sound_corpus

    table = write_sound_corpus(tmp_path / "sounds", train=3, heldout=0)
    clips = read_audio_folder(table.parent)
    fingerprint = clips.fingerprint()
    first, second = (table.parent / "clips" / f"train-00000{i}.wav" for i in (0, 1))
    assert first.stat().st_size == second.stat().st_size
    shutil.copy(second, first)  # another clip of the same size
    assert read_audio_folder(table.parent).fingerprint() != fingerprint


def test_an_unclosed_quote_in_a_tsv_is_text(tmp_path):
    rows = ["source\ttarget"] + [f"line {i}\tligne {i}" for i in range(400)]
    rows[11] = '"an unclosed quote\tligne 10'
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    corpus = read_table(tmp_path / "pairs.tsv", "source", "target")
    assert len(corpus) == 400 and corpus.sources[10] == '"an unclosed quote'
