"""What users' own folders, data and second runs do to a run: nothing of theirs removed, no
previous result lost before the new one is whole, one run a folder, nothing passed silently."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from runs import run_args

from gluegen.cli import main
from gluegen.data.corpus import ParallelCorpus, read_table
from gluegen.models.gluenet import GlueNet
from gluegen.runfolder import LOCK_FILE


def one_line(capsys) -> str:
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    return error


def test_a_user_file_in_a_folder_a_run_replaces_is_refused_by_name(
    run_copy, models, corpus, capsys
):
    (run_copy / "notes.txt").write_text("mine")
    (run_copy / "gluenet" / "mine.txt").write_text("mine too")
    args = [*run_args(models, corpus, run_copy), "--seed", "1"]
    assert main(args) == 2
    error = one_line(capsys)
    assert "gluenet/: mine.txt" in error and "--overwrite" in error
    assert (run_copy / "gluenet" / "mine.txt").is_file()
    assert main([*args, "--overwrite"]) == 0
    assert (run_copy / "notes.txt").read_text() == "mine"  # the folder's own files stay


HOLDER = """
import sys, time
from gluegen.runfolder import FolderLock
with FolderLock(sys.argv[1], "a test"):
    print("held", flush=True)
    time.sleep(120)
"""


@contextlib.contextmanager
def held_by_another_process(folder):
    """The folder's lock held by a child process while the block runs; yields its pid."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        yield child.pid
    finally:
        child.kill()
        child.wait()


def test_a_second_run_into_a_held_folder_refuses_naming_the_first(run_copy, models, corpus, capsys):
    with held_by_another_process(run_copy) as pid:
        assert main(run_args(models, corpus, run_copy)) == 2
    error = one_line(capsys)
    assert f"process {pid}" in error and "in use by a test" in error
    assert main([*run_args(models, corpus, run_copy), "--max-steps", "1"]) == 0  # released


def test_a_lock_left_by_a_dead_process_is_taken_over_with_a_message(
    run_copy, models, corpus, caplog
):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    holder = {"pid": int(dead.stdout), "host": os.uname().nodename, "what": "gluegen train"}
    (run_copy / LOCK_FILE).write_text(json.dumps(holder))
    assert main([*run_args(models, corpus, run_copy), "--max-steps", "1"]) == 0
    assert f"taking over the lock of process {holder['pid']}" in caplog.text


def test_two_runs_started_at_once_one_runs_the_other_refuses(models, corpus, tmp_path):
    run = tmp_path / "run"
    args = [*run_args(models, corpus, run), "--epochs", "2000"]  # runs until stopped here
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "gluegen.cli", *args]
    children = [
        subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)
    ]
    deadline = time.time() + 300
    while all(child.poll() is None for child in children) and time.time() < deadline:
        time.sleep(0.2)
    refused = next(child for child in children if child.poll() is not None)
    ran = next(child for child in children if child is not refused)
    assert refused.returncode == 2 and ran.poll() is None  # the other one is training
    assert f"process {ran.pid}" in refused.communicate(timeout=60)[1]
    ran.send_signal(signal.SIGINT)  # Ctrl-C: it saves its state and stops
    assert ran.wait(timeout=120) == 130


def test_resume_on_other_data_or_with_nothing_saved_is_refused(
    run_copy, models, corpus, tmp_path, capsys
):
    source, target = corpus
    lines = [source.read_text().splitlines(), target.read_text().splitlines()]
    reordered = []
    for name, text in zip(("src.txt", "tgt.txt"), lines, strict=True):
        reordered.append(tmp_path / name)
        reordered[-1].write_text("\n".join(reversed(text)) + "\n")
    args = [*run_args(models, reordered, run_copy), "--resume"]
    assert main(args) == 2
    error = one_line(capsys)
    assert "trained on other data" in error and "corpus content" in error
    assert main([*run_args(models, corpus, tmp_path / "empty"), "--resume"]) == 2
    assert "holds no saved run" in one_line(capsys)


def test_a_new_run_over_a_stopped_one_is_refused_before_its_checkpoint_goes(
    models, corpus, tmp_path, capsys
):
    """The same command again without --resume would have deleted the checkpoint of a run
    stopped part-way and trained from step 0; a finished run may be trained again."""
    run = tmp_path / "run"
    args = run_args(models, corpus, run)
    assert main([*args, "--max-steps", "2"]) == 0  # stopped part-way, its state saved
    saved = (run / "state" / "progress.json").read_text()
    assert main(args) == 2
    error = one_line(capsys)
    total = json.loads(saved)["total_steps"]
    assert f"stopped at step 2 of {total}" in error
    assert "--resume" in error and "--overwrite" in error
    assert (run / "state" / "progress.json").read_text() == saved
    assert main([*args, "--resume"]) == 0  # continued to the end
    assert json.loads((run / "state" / "progress.json").read_text())["step"] == total
    assert main([*args, "--max-steps", "2"]) == 0  # a finished run: a new one may start
    assert main([*args, "--overwrite"]) == 0  # the stopped one replaced from step 0
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "start" and records[-1]["event"] == "done"


def saved_gluenet(run_copy, tmp_path):
    folder = tmp_path / "gluenet"
    shutil.copytree(run_copy / "gluenet", folder)
    return folder


def test_half_precision_weights_in_a_gluenet_file_are_refused(run_copy, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = saved_gluenet(run_copy, tmp_path)
    weights = folder / "model.safetensors"
    save_file({name: t.half() for name, t in load_file(weights).items()}, weights)
    with pytest.raises(ValueError, match="another type than the F32"):
        GlueNet.from_pretrained(folder)


def test_a_symlink_loop_is_not_taken_for_a_hub_id(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(ValueError, match="symbolic link that leads nowhere"):
        GlueNet.from_pretrained(tmp_path / "loop")


def test_a_folder_that_is_not_there_is_said_so_not_taken_for_a_hub_id(tmp_path, capsys):
    missing = tmp_path / "runs" / "fr" / "gluenet"
    with pytest.raises(ValueError, match="no such folder"):
        GlueNet.from_pretrained(missing)
    args = ["draw", "--pipeline", str(tmp_path / "sd"), "--gluenet", str(missing)]
    assert main([*args, "--prompt", "un chat", "--out", str(tmp_path / "out")]) == 2
    assert "--pipeline" in one_line(capsys) and not (tmp_path / "out").exists()


def test_a_run_folder_given_for_a_gluenet_names_the_gluenet_in_it(run_copy):
    with pytest.raises(ValueError, match=r"training run's folder: its GlueNet is .*gluenet"):
        GlueNet.from_pretrained(run_copy)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_a_cuda_device_without_one_is_a_named_error(models, tmp_path, capsys):
    args = ["draw", "--pipeline", models["sd"], "--gluenet", str(tmp_path / "none")]
    args += ["--prompt", "un chat", "--out", str(tmp_path / "out"), "--device", "cuda"]
    assert main(args) == 2
    assert "PyTorch sees no CUDA GPU here" in one_line(capsys)


def test_convert_original_never_removes_a_users_files(tmp_path, capsys):
    checkpoint = tmp_path / "multi.ckpt"  # checked after the folder: its content never matters
    checkpoint.write_bytes(b"not read")
    out = tmp_path / "gluenets"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ["convert-original", str(checkpoint), "--kind", "multilingual", "--out", str(out)]
    assert main(args) == 2
    assert "notes.txt" in one_line(capsys) and (out / "notes.txt").read_text() == "mine"


def test_integer_weights_in_a_gluenet_file_are_refused(run_copy, tmp_path):
    folder = saved_gluenet(run_copy, tmp_path)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    header_end = 8 + int.from_bytes(data[:8], "little")
    weights.write_bytes(data[:header_end].replace(b'"F32"', b'"I32"', 1) + data[header_end:])
    with pytest.raises(ValueError, match="another type than the F32"):
        GlueNet.from_pretrained(folder)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("source_blocks", 1.0, "source_blocks must be an integer"),
        ("source_blocks", True, "source_blocks must be an integer"),
        ("target_tokens", 10**9, "does not fit its config"),
    ],
)
def test_a_config_is_checked_before_anything_is_built(run_copy, tmp_path, field, value, message):
    folder = saved_gluenet(run_copy, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config[field] = value
    (folder / "config.json").write_text(json.dumps(config))
    started = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        GlueNet.from_pretrained(folder)
    assert time.perf_counter() - started < 5  # nothing of a billion tokens was allocated


def test_corpora_that_differ_where_a_nul_falls_differ():
    a = ParallelCorpus(["x\0y"], ["z"]).fingerprint()
    b = ParallelCorpus(["x"], ["y\0z"]).fingerprint()
    assert a != b


def test_a_full_disk_is_named_and_the_previous_state_kept(
    run_copy, models, corpus, capsys, monkeypatch
):
    import gluegen.training.state as state

    def full(*args, **kwargs):
        raise RuntimeError("unexpected pos 667840 vs 667732")

    monkeypatch.setattr(state, "save_file", full)
    assert main([*run_args(models, corpus, run_copy), "--max-steps", "1"]) == 2
    error = one_line(capsys)
    assert "Could not write" in error and "MB are free" in error and "full disk" in error


def test_a_folder_given_as_a_corpus_says_what_it_should_be(models, corpus, tmp_path, capsys):
    (tmp_path / "data").mkdir()
    args = run_args(models, corpus, tmp_path / "run")
    at = args.index("--corpus")
    args[at : at + 4] = ["--corpus", str(tmp_path / "data")]  # no --corpus-target
    assert main(args) == 2
    assert "is a folder without captions.tsv" in one_line(capsys)


def test_csv_fields_of_any_length_are_read(tmp_path):
    long_caption = "a red circle " * 20_000  # 260k characters
    (tmp_path / "pairs.csv").write_text(f"source,target\nx,{long_caption}\n")
    assert read_table(tmp_path / "pairs.csv", "source", "target").targets == [long_caption]


def test_a_bad_config_file_and_a_huge_seed_are_one_line(models, corpus, tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("epochs: [1\n")
    with pytest.raises(SystemExit):
        main([*run_args(models, corpus, tmp_path / "run"), "--config", str(tmp_path / "bad.yaml")])
    assert "not valid YAML/JSON" in one_line(capsys)
    assert main([*run_args(models, corpus, tmp_path / "run"), "--seed", str(2**70)]) == 2
    assert "seed must be in [0, 2**63)" in one_line(capsys)


@pytest.mark.slow
def test_killed_at_random_moments_a_user_folder_keeps_its_files_and_a_whole_gluenet(
    run_copy, models, corpus, tmp_path
):
    """A finished run's folder with the user's files in it, trained into again (another seed)
    and killed at ten random moments: every user file stays, and the folder always holds the
    previous complete GlueNet or the new one."""
    import random

    import torch
    from safetensors.torch import load_file

    from gluegen.io import recover_folder

    user_files = {"notes.txt": "mine", "data/pairs.tsv": "a\tb\n"}
    for name, text in user_files.items():
        (run_copy / name).parent.mkdir(exist_ok=True)
        (run_copy / name).write_text(text)
    flags = ["--seed", "1", "--checkpoint-every", "5", "--epochs", "60"]
    args = [*run_args(models, corpus, run_copy), *flags]
    reference = tmp_path / "reference"
    assert main([*run_args(models, corpus, reference), *flags]) == 0
    weights = {
        "previous": load_file(run_copy / "gluenet" / "model.safetensors"),
        "new": load_file(reference / "gluenet" / "model.safetensors"),
    }

    def which(folder) -> str:
        state = load_file(folder / "model.safetensors")
        for name, expected in weights.items():
            if all(torch.equal(state[k], expected[k]) for k in expected):
                return name
        raise AssertionError("a GlueNet that is neither the previous one nor the new one")

    def resume() -> list[str]:  # once the new run has saved a state, it continues that
        progress = run_copy / "state" / "progress.json"
        ours = progress.is_file() and json.loads(progress.read_text())["config"]["seed"] == 1
        return ["--resume"] if ours else []

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    rng = random.Random(0)
    seen = []
    for _ in range(10):
        child = subprocess.Popen([sys.executable, "-m", "gluegen.cli", *args, *resume()], env=env)
        time.sleep(rng.uniform(1.0, 5.0))
        child.kill()
        child.wait()
        for name, text in user_files.items():
            assert (run_copy / name).read_text() == text, name
        if not (run_copy / "gluenet").is_dir():  # killed mid-swap: what the next run restores
            assert recover_folder(run_copy / "gluenet") is not None
        GlueNet.from_pretrained(run_copy / "gluenet")
        seen.append(which(run_copy / "gluenet"))
    assert main([*args, *resume()]) == 0
    assert which(run_copy / "gluenet") == "new"
    assert all((run_copy / name).read_text() == text for name, text in user_files.items())
    assert "previous" in seen


class FakeGlue:
    """Draws `count` one-pixel images of `shade` per input: draw_to_folder's side of a
    GlueGenPipeline."""

    def __init__(self, shade: int) -> None:
        self.shade = shade

    def routes(self, inputs, language):
        from types import SimpleNamespace

        return [SimpleNamespace(key="fr", language="fr") for _ in inputs]

    def __call__(self, inputs, num_images_per_prompt, **_):
        from types import SimpleNamespace

        from PIL import Image

        image = Image.new("L", (1, 1), self.shade)
        return SimpleNamespace(images=[image] * (len(inputs) * num_images_per_prompt))


def test_a_second_drawing_into_a_folder_is_refused_or_replaces_the_first(tmp_path, capsys):
    from PIL import Image

    from gluegen.drawing import DrawSettings, draw_to_folder

    out = tmp_path / "drawn"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    draw_to_folder(FakeGlue(10), ["a", "b", "c"], DrawSettings(images=2), out, {})
    # the CLI refuses before any model loads (the pipeline named here does not exist)
    args = ["draw", "--pipeline", str(tmp_path / "none"), "--gluenet", str(tmp_path / "none")]
    assert main([*args, "--prompt", "un chat", "--out", str(out)]) == 2
    error = one_line(capsys)
    assert "earlier drawing" in error and "--overwrite" in error
    with pytest.raises(FileExistsError, match="earlier drawing"):
        draw_to_folder(FakeGlue(20), ["d"], DrawSettings(images=2), out, {})
    # replaced: one input's two images, no image of the first drawing among them
    draw_to_folder(FakeGlue(20), ["d"], DrawSettings(images=2), out, {}, overwrite=True)
    assert sorted(path.name for path in out.iterdir()) == [
        "000-0.png",
        "000-1.png",
        "draw.json",
        "notes.txt",
    ]
    assert Image.open(out / "000-1.png").getpixel((0, 0)) == 20
    assert json.loads((out / "draw.json").read_text())["inputs"] == ["d"]


def test_images_no_drawing_lists_are_never_removed(tmp_path):
    from gluegen.drawing import DrawSettings, draw_to_folder

    out = tmp_path / "photos"
    out.mkdir()
    (out / "2024-1.png").write_bytes(b"a user's photo, named as a drawing's image might be")
    with pytest.raises(FileExistsError, match="earlier drawing"):
        draw_to_folder(FakeGlue(10), ["a"], DrawSettings(), out, {})
    with pytest.raises(FileExistsError, match=r"1 images .* no draw.json lists \(2024-1.png\)"):
        draw_to_folder(FakeGlue(10), ["a"], DrawSettings(), out, {}, overwrite=True)
    assert sorted(path.name for path in out.iterdir()) == ["2024-1.png"]


class SeededGlue(FakeGlue):
    """Each image's shade is its generator's seed (what a pipeline's noise would start from);
    stops (as Ctrl-C would) at call `stop_at`."""

    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__(0)
        self.calls, self.stop_at, self.drawn = 0, stop_at, []  # drawn: images of each call

    def __call__(self, inputs, num_images_per_prompt, generator, **_):
        from types import SimpleNamespace

        from PIL import Image

        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        assert len(generator) == len(inputs) * num_images_per_prompt
        self.drawn.append(len(generator))
        shades = [one.initial_seed() for one in generator]
        return SimpleNamespace(images=[Image.new("L", (1, 1), shade) for shade in shades])


def test_no_call_draws_more_images_than_batch_and_each_image_keeps_its_seed(tmp_path):
    """--batch bounds every call, also where one input asks for more images than it (a call
    then draws part of its copies); any batch draws the same images, and a drawing stopped
    inside an input's copies resumes from the first copy it had not written."""
    from PIL import Image

    from gluegen import drawing
    from gluegen.drawing import DrawSettings, draw_to_folder

    assert DrawSettings(images=2, batch=5).calls(3) == [(0, 4), (4, 6)]
    assert DrawSettings(images=5, batch=2).calls(2, start=3) == [
        (3, 5),  # from image 3 on: a's last two copies, then b's, two at most a call
        (5, 7),
        (7, 9),
        (9, 10),
    ]
    shades = {}
    for batch in (1, 3, 8, 12):
        glue = SeededGlue()
        paths = draw_to_folder(
            glue,
            ["a", "b"],
            DrawSettings(images=5, batch=batch, seed=50),
            tmp_path / str(batch),
            {},
        )
        assert max(glue.drawn) <= batch
        shades[batch] = [Image.open(path).getpixel((0, 0)) for path in paths]
    assert all(each == list(range(50, 60)) for each in shades.values())
    out, settings = tmp_path / "stopped", DrawSettings(images=5, batch=2, seed=50)
    with pytest.raises(KeyboardInterrupt):
        draw_to_folder(SeededGlue(stop_at=3), ["a", "b"], settings, out, {})
    assert drawing.images_written(out) == 4  # input a's first four copies
    glue = SeededGlue()
    paths = draw_to_folder(
        glue, ["a", "b"], DrawSettings(images=5, batch=3, seed=50), out, {}, resume=True
    )
    assert [Image.open(path).getpixel((0, 0)) for path in paths] == list(range(50, 60))
    assert glue.drawn == [1, 3, 2]  # a's last copy, then b's five, three at most a call


def test_a_drawing_stopped_part_way_resumes_to_the_images_it_would_have_drawn(
    tmp_path, monkeypatch
):
    from PIL import Image

    from gluegen import drawing
    from gluegen.drawing import DrawSettings, draw_to_folder

    records = []  # draw.json grows with the inputs: written once a drawing, not once a call
    write_record = drawing.write_record
    monkeypatch.setattr(drawing, "write_record", lambda *a: records.append(write_record(*a)))
    out, inputs = tmp_path / "drawn", ["a", "b", "c", "d", "e"]
    settings = DrawSettings(images=2, batch=2, seed=100)  # an input a call
    with pytest.raises(KeyboardInterrupt):
        draw_to_folder(SeededGlue(stop_at=3), inputs, settings, out, {})
    stopped = json.loads((out / "draw.json").read_text())
    assert not stopped["finished"] and drawing.images_written(out) == 4  # two inputs' images
    assert len(records) == 1 and drawing.listed_images(out) == {
        "000-0.png",
        "000-1.png",
        "001-0.png",
        "001-1.png",
    }
    with pytest.raises(ValueError, match="other settings"):
        draw_to_folder(SeededGlue(), inputs, DrawSettings(images=2, seed=101), out, {}, resume=True)
    more = DrawSettings(images=2, batch=6, seed=100)  # other calls, the same images
    glue = SeededGlue()
    paths = draw_to_folder(glue, inputs, more, out, {}, resume=True)
    assert glue.calls == 1 and len(paths) == 10  # the three inputs left, in one call
    assert [Image.open(path).getpixel((0, 0)) for path in paths] == list(range(100, 110))
    finished = json.loads((out / "draw.json").read_text())
    assert finished["finished"] and finished["images"] == [path.name for path in paths]
    assert not (out / drawing.PROGRESS_FILE).exists() and len(records) == 2
    with pytest.raises(FileNotFoundError, match="no drawing to continue"):
        draw_to_folder(SeededGlue(), inputs, settings, tmp_path / "none", {}, resume=True)
    # --overwrite replaces a stopped drawing whole: the images its progress file counts too
    again = tmp_path / "again"
    with pytest.raises(KeyboardInterrupt):
        draw_to_folder(SeededGlue(stop_at=2), inputs, settings, again, {})
    draw_to_folder(SeededGlue(), ["z"], DrawSettings(), again, {}, overwrite=True)
    assert sorted(path.name for path in again.iterdir()) == ["000-0.png", "draw.json"]
