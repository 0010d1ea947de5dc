import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from gluegen import testing as toy
from gluegen.cli import main
from gluegen.models.gluenet import GlueNet


@pytest.fixture
def corpus_files(tmp_path, sentences):
    return toy.write_text_pair(tmp_path / "corpus", sentences[:120])


def encoder_args(models):
    return ["--source-encoder", models["xlmr"], "--target", models["sd"]]


def corpus_args(source, target):
    return ["--corpus", str(source), "--corpus-target", str(target)]


def common_args(models, corpus_files, run):
    options = ["--source-max-length", "12", "--output-dir", str(run), "--no-progress"]
    return [*encoder_args(models), *corpus_args(*corpus_files), *options]


def train_args(models, corpus_files, run):
    return [
        "train",
        *common_args(models, corpus_files, run),
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--source-blocks",
        "1",
        "--learning-rate",
        "1e-3",
        "--eval-candidates",
        "8",
    ]


def test_cache_train_evaluate_through_the_cli(models, corpus_files, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    assert main(["cache", *common_args(models, corpus_files, run)]) == 0
    assert (run / "features" / "manifest.json").is_file()

    # the cache is reused: a second command must not run either encoder
    def forbidden(self, batch):
        raise AssertionError("an encoder ran although the cache matches")

    monkeypatch.setattr("gluegen.encoders.text.HFTextEncoder.encode", forbidden)
    monkeypatch.setattr("gluegen.encoders.target.DiffusersTextTarget.encode", forbidden)
    assert main(train_args(models, corpus_files, run)) == 0
    out = capsys.readouterr().out
    assert "held-out alignment" in out and "retrieval" in out
    gluenet = GlueNet.from_pretrained(run / "gluenet")
    assert gluenet.config.source_tokens == 12

    assert main(["evaluate", "--output-dir", str(run), "--eval-candidates", "8"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"mse", "cosine", "retrieval"} <= set(metrics)


def test_the_cli_hides_weight_loading_bars_and_keeps_download_bars():
    import huggingface_hub.utils as hub
    import transformers

    from gluegen.cli import setup_logging

    bars = transformers.utils.logging
    try:
        bars.enable_progress_bar()  # as a fresh process starts
        setup_logging(verbose=False)
        assert not bars.is_progress_bar_enabled()  # "Loading weights" on every model load
        assert not hub.are_progress_bars_disabled()  # a 2 GB encoder download shows its bar
        setup_logging(verbose=False, progress=False)  # --no-progress: no bar at all
        assert hub.are_progress_bars_disabled()
        hub.enable_progress_bars()
        hub.disable_progress_bars()  # a user who turned downloads' bars off keeps them off
        setup_logging(verbose=False)
        assert hub.are_progress_bars_disabled()
    finally:
        bars.disable_progress_bar()  # as the tests run (conftest)


def test_config_file_and_flags_override_it(models, corpus_files, tmp_path, capsys):
    run = tmp_path / "run"
    settings = {"epochs": 1, "batch-size": 16, "source_blocks": 1, "max_steps": 2}
    config = tmp_path / "run.yaml"
    config.write_text(json.dumps(settings))  # JSON is YAML too
    args = [
        "train",
        "--config",
        str(config),
        *common_args(models, corpus_files, run),
        *("--mix-order", "tokens_first", "--activation", "identity"),
        *("--bridge-token-groups", "2", "--standardize-source", "--target-offset"),
        *("--attention-heads", "2", "--attention-slots", "3"),
        "--max-steps",
        "3",
    ]
    assert main(args) == 0
    progress = json.loads((run / "state" / "progress.json").read_text())
    assert progress["step"] == 3  # the flag won over the file
    assert progress["config"]["batch_size"] == 16  # the file won over the default

    # --resume continues the same run to its end
    assert main([*args[:-2], "--max-steps", "0", "--resume"]) == 0
    assert json.loads((run / "state" / "progress.json").read_text())["step"] == 7  # 114 // 16
    layout = GlueNet.from_pretrained(run / "gluenet").config
    assert (layout.mix_order, layout.activation, layout.bridge_token_groups) == (
        "tokens_first",
        "identity",
        2,
    )
    assert layout.standardize_source and layout.target_offset
    assert (layout.attention_heads, layout.attention_slots) == (2, 3)


def test_unknown_config_setting_is_named(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("epochz: 3\n")
    with pytest.raises(SystemExit):
        main(["train", "--config", str(config)])
    assert "unknown settings ['epochz']" in capsys.readouterr().err


def test_missing_inputs_and_bad_corpus_are_clear(models, tmp_path, capsys):
    assert main(["train", "--output-dir", str(tmp_path)]) == 2
    assert "give --source-encoder, --target, --corpus" in capsys.readouterr().err
    source = tmp_path / "a.txt"
    source.write_text("one\ntwo\n")
    (tmp_path / "b.txt").write_text("one\n")
    code = main(["cache", *encoder_args(models), *corpus_args(source, tmp_path / "b.txt")])
    assert code == 2
    assert "2 lines but" in capsys.readouterr().err


def test_a_negative_prompt_without_its_encoder_is_named_before_any_model_loads(tmp_path, capsys):
    args = ["draw", "--pipeline", str(tmp_path / "none"), "--gluenet", f"fr={tmp_path / 'none'}"]
    args += ["--prompt", "un chat", "--out", str(tmp_path / "out"), "--negative-prompt", "flou"]
    assert main(args) == 2
    assert "--negative-encoder source" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("given", ["missing prompts file", "latin-1 prompts file", "missing sound"])
def test_draw_inputs_that_cannot_be_read_are_named_before_any_model_loads(tmp_path, capsys, given):
    prompts = tmp_path / "prompts.txt"
    if given.startswith("latin-1"):
        prompts.write_bytes("un cercle à gauche\n".encode("latin-1"))
    read = ["--sound", str(tmp_path / "dog.wav")] if "sound" in given else []
    read = read or ["--prompts-file", str(prompts)]
    args = ["draw", "--pipeline", str(tmp_path / "none"), "--gluenet", f"fr={tmp_path / 'none'}"]
    assert main([*args, *read, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert ("no such file" if "missing" in given else "utf-8") in error.lower()
    assert error.count("\n") == 1 and not (tmp_path / "out").exists()


def test_evaluate_without_a_cache_says_where_to_find_one(tmp_path, capsys):
    assert main(["evaluate", "--output-dir", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert "holds no feature cache" in error and "--cache-dir" in error and "--corpus" in error


def test_help_explains_every_command(capsys):
    for command in ("cache", "train", "evaluate", "presets", "demo"):
        with pytest.raises(SystemExit) as stop:
            main([command, "--help"])
        assert stop.value.code == 0 and "--config" in capsys.readouterr().out
    demo_help = subprocess.run(  # the console entry point, once
        [sys.executable, "-m", "gluegen.cli", "demo", "--help"], capture_output=True, text=True
    )
    assert "--workers" in demo_help.stdout and "shapes world" in demo_help.stdout
    assert main(["presets"]) == 0
    presets = capsys.readouterr().out
    assert "paper-multilingual" in presets and "50,179,776" in presets
    assert "world-shared" in presets


def test_a_preset_sets_layout_objective_and_training_and_flags_win(models, corpus_files, tmp_path):
    run = tmp_path / "run"
    args = ["train", *common_args(models, corpus_files, run), "--preset", "world-language"]
    assert main([*args, "--epochs", "1", "--batch-size", "16", "--max-steps", "2"]) == 0
    progress = json.loads((run / "state" / "progress.json").read_text())
    assert progress["config"]["learning_rate"] == 2e-3  # the preset's
    assert progress["config"]["epochs"] == 1  # the flag's
    assert progress["config"]["weights"]["reconstruction"] == 0  # alignment only
    assert progress["gluenet"]["activation"] == "identity"
    assert progress["gluenet"]["bridge_token_groups"] == 16  # every channel: tokens first at d_s


def test_resume_with_other_settings_is_refused(models, corpus_files, tmp_path, capsys):
    run = tmp_path / "run"
    args = [*train_args(models, corpus_files, run), "--max-steps", "2"]
    assert main(args) == 0
    assert main([*args, "--learning-rate", "5e-4", "--resume"]) == 2
    assert "learning_rate 0.001 -> 0.0005" in capsys.readouterr().err


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_processes_build_the_cache_and_train_data_parallel(models, corpus_files, tmp_path):
    """torchrun with two CPU processes on gloo: shards split between ranks, DDP training."""
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(free_port()),
        "-m",
        "gluegen.cli",
        *train_args(models, corpus_files, run),
        "--shard-size",
        "40",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((run / "features" / "manifest.json").read_text())
    assert manifest["count"] == 120 and len(manifest["shards"]) == 3
    writers = [
        safe_open(run / "features" / name, "pt").metadata()["process"]
        for name in manifest["shards"]
    ]
    assert writers == ["0", "1", "0"]
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert records[-1]["event"] == "done"
    assert Path(run / "gluenet" / "config.json").is_file()
    assert result.stdout.count("GlueNet (") == 1 and "2 processes" in result.stdout


def test_an_audio_corpus_needs_an_audio_encoder(models, tmp_path, capsys):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.wav").write_bytes(b"RIFF")
    (tmp_path / "clips" / "captions.tsv").write_text("file\tcaption\na.wav\ta dog barks\n")
    args = ["cache", *encoder_args(models), "--corpus", str(tmp_path / "clips")]
    assert main([*args, "--source-column", "file", "--target-column", "caption"]) == 2
    assert "audio files" in capsys.readouterr().err


def test_sounds_train_a_gluenet_through_the_cli(models, tmp_path):
    from gluegen.encoders import HFAudioEncoder
    from gluegen_world.corpus import write_sound_corpus
    from gluegen_world.models import shipped_model

    clips = write_sound_corpus(tmp_path / "sounds", train=12, heldout=2)
    run = tmp_path / "run"
    args = [
        "train",
        "--source-encoder",
        str(shipped_model("sound")),
        "--target",
        models["sd"],
        "--corpus",
        str(clips.parent),
        "--source-column",
        "file",
        "--target-column",
        "caption",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--output-dir",
        str(run),
        "--no-progress",
    ]
    assert main(args) == 0
    gluenet = GlueNet.from_pretrained(str(run / "gluenet"))
    heard = HFAudioEncoder(str(shipped_model("sound")))
    assert (gluenet.config.source_tokens, gluenet.config.source_dim) == (heard.num_tokens, 128)
    assert gluenet.config.source_encoder["kind"] == "hf-audio"
    # the corpus's held-out clips stay out of training (its split column)
    manifest = json.loads((run / "features" / "manifest.json").read_text())
    assert manifest["count"] == 12


def test_a_clap_audio_tower_trains_a_folded_gluenet_through_the_cli(models, tmp_path):
    from gluegen.testing import save_clap
    from gluegen_world.corpus import write_sound_corpus

    clap = save_clap(tmp_path / "clap")
    clips = write_sound_corpus(tmp_path / "sounds", train=12, heldout=0)
    run = tmp_path / "run"
    args = ["train", "--source-encoder", str(clap), "--target", models["sd"]]
    args += ["--corpus", str(clips.parent), "--source-column", "file", "--target-column"]
    args += ["caption", "--mixer-tokens", "2", "--mixer-dim", "4", "--source-blocks", "1"]
    assert main([*args, "--epochs", "1", "--batch-size", "4", "--output-dir", str(run)]) == 0
    config = GlueNet.from_pretrained(run / "gluenet").config
    assert (config.source_tokens, config.source_dim, config.mixer_tokens) == (1, 8, 2)
    assert config.source_encoder["kind"] == "hf-audio"


@pytest.mark.parametrize("form", ["parquet", "datasets", "parquet online", "parquet auto"])
def test_train_reads_a_parquet_file_or_a_datasets_folder(models, sentences, tmp_path, form, capsys):
    import datasets

    pairs = datasets.Dataset.from_dict({"zh": sentences[:80], "en": sentences[:80]})
    parquet = form.startswith("parquet")
    corpus = tmp_path / ("pairs.parquet" if parquet else "pairs")
    pairs.to_parquet(str(corpus)) if parquet else pairs.save_to_disk(str(corpus))
    run = tmp_path / "run"
    options = ["--source-column", "zh", "--target-column", "en", "--source-max-length", "12"]
    args = ["train", *encoder_args(models), "--corpus", str(corpus), *options]
    args += ["--output-dir", str(run), "--no-progress", "--epochs", "1", "--batch-size", "16"]
    mode = form.split()[1] if " " in form else "cache"
    assert main([*args, "--source-blocks", "1", "--eval-candidates", "4", "--features", mode]) == 0
    assert (run / "gluenet" / "model.safetensors").is_file()
    out = capsys.readouterr().out
    assert "mean target (floor)" in out
    if mode == "auto":  # one epoch: a cache would only add its writing and reading
        assert "features: online (encoding" in out
    assert (run / "features").exists() == (mode == "cache")  # online: nothing on disk


def test_draw_writes_the_images_the_python_call_draws(tmp_path, capsys):
    """The world's generator and XLM-R, two GlueNets of the world's shapes for one language
    (averaged): `gluegen draw` and the same Python call at the same seed give the same
    images."""
    import numpy as np
    import torch
    from diffusers import StableDiffusionPipeline
    from PIL import Image

    from gluegen.encoders import HFTextEncoder
    from gluegen.models import GlueNetConfig
    from gluegen.pipelines import GlueGenPipeline
    from gluegen_world.models import shipped_model

    generator, xlmr = str(shipped_model("generator")), str(shipped_model("xlmr"))
    torch.manual_seed(0)
    config = GlueNetConfig(
        source_tokens=48, source_dim=64, target_tokens=77, target_dim=64, source_blocks=1
    )
    GlueNet(config).save_pretrained(tmp_path / "fr")
    GlueNet(config).save_pretrained(tmp_path / "shared")
    prompts = ["une grande étoile jaune à gauche", "un petit cercle rouge"]
    args = ["draw", "--pipeline", generator, "--source-encoder", xlmr, "--source-max-length", "48"]
    args += [
        "--source-layer",
        "0",  # the embedding layer, as the demo's GlueNets read it
        "--gluenet",
        f"fr={tmp_path / 'fr'}",
        f"--gluenet=fr={tmp_path / 'shared'}",
        "--language",
        "fr",
        "--out",
        str(tmp_path / "out"),
    ]
    args += ["--steps", "3", "--guidance", "4", "--seed", "7", "--images", "2", "--no-progress"]
    args += [item for prompt in prompts for item in ("--prompt", prompt)]
    args += ["--negative-prompt", "flou", "--negative-encoder", "source"]
    assert main(args) == 0
    drawn = json.loads((tmp_path / "out" / "draw.json").read_text())
    assert drawn["gluenet_per_input"] == ["fr", "fr"] and len(drawn["images"]) == 4
    assert (drawn["source_layer"], drawn["source_max_length"], drawn["source_pooling"]) == (
        0,
        48,
        None,
    )
    assert drawn["gluenets"] == {"fr": [str(tmp_path / "fr"), str(tmp_path / "shared")]}

    sd = StableDiffusionPipeline.from_pretrained(generator)
    sd.set_progress_bar_config(disable=True)
    glue = GlueGenPipeline(
        sd,
        HFTextEncoder(xlmr, max_length=48, layer=0),
        {"fr": [GlueNet.from_pretrained(tmp_path / name) for name in ("fr", "shared")]},
    )
    expected = glue(
        prompts,
        language="fr",
        num_inference_steps=3,
        guidance_scale=4,
        num_images_per_prompt=2,
        generator=[torch.Generator().manual_seed(7 + k) for k in range(4)],  # one an image
        negative_prompt="flou",
        negative_encoder="source",
    ).images
    assert drawn["finished"]
    for name, image in zip(drawn["images"], expected, strict=True):
        written = np.asarray(Image.open(tmp_path / "out" / name))
        assert np.array_equal(written, np.asarray(image)), name
    # one image a call: the same images (each image's seed is its own)
    at_a_time = [*args[: args.index("--out")], "--out", str(tmp_path / "one"), "--batch", "1"]
    assert main(at_a_time + args[args.index("--out") + 2 :]) == 0
    for name in drawn["images"]:
        one = np.asarray(Image.open(tmp_path / "one" / name))
        assert np.array_equal(one, np.asarray(Image.open(tmp_path / "out" / name))), name


# what the base install lacks: each extra's modules (pyproject.toml's optional dependencies)
EXTRAS_MODULES = ("gradio", "lingua", "soundfile", "soxr", "pyarrow", "datasets", "joblib")


def without_extras(monkeypatch) -> None:
    """Imports as a base install (`pip install gluegen`) has them: no extra's module, and the
    modules that import them on demand imported afresh."""
    for name in EXTRAS_MODULES:
        monkeypatch.setitem(sys.modules, name, None)  # `import name` raises ImportError
    for name in ("gluegen.app", "gluegen.serving"):
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_draw_needs_no_extra_and_keeps_freed_memory_on_a_cpu(tmp_path, monkeypatch, capsys):
    """`gluegen draw` with the language given runs on a base install (it used to import the
    web page's gradio); the page says which extra it needs. On a CPU it keeps freed memory
    for the next denoising step (`gluegen.allocator`), and its bars read in a log."""
    from gluegen import allocator
    from gluegen.models import GlueNetConfig
    from gluegen_world.models import shipped_model

    kept = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: kept.append(True))

    config = GlueNetConfig(
        source_tokens=48, source_dim=64, target_tokens=77, target_dim=64, source_blocks=1
    )
    GlueNet(config).save_pretrained(tmp_path / "fr")
    without_extras(monkeypatch)
    args = [
        "draw",
        "--pipeline",
        str(shipped_model("generator")),
        "--gluenet",
        f"fr={tmp_path / 'fr'}",
    ]
    args += ["--source-encoder", str(shipped_model("xlmr")), "--source-max-length", "48"]
    args += ["--prompt", "un petit cercle rouge", "--language", "fr", "--steps", "1"]
    assert main([*args, "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert json.loads((tmp_path / "out" / "draw.json").read_text())["finished"]
    assert kept == [True]
    # with its bar, into a log (stderr not a terminal): the drawing's bar, no step bar in it
    # moving the cursor up
    assert main([*args, "--out", str(tmp_path / "logged")]) == 0
    logged = capsys.readouterr().err
    assert "drawing" in logged and "\x1b[A" not in logged and "it/s" not in logged
    with pytest.raises(ImportError, match=r"gluegen\[web\]"):
        import gluegen.app  # noqa: F401


def test_a_missing_extra_is_named(tmp_path, monkeypatch):
    """What needs an extra says which, on a base install: sounds (audio), columnar corpora
    (data), the page (web, above), lingua (languages: test_routing.py)."""
    from gluegen.data.arrow import require_columnar_readers
    from gluegen.data.corpus import CorpusError
    from gluegen.encoders.audio import read_sound

    without_extras(monkeypatch)
    with pytest.raises(ImportError, match=r"gluegen\[audio\]"):
        read_sound(tmp_path / "dog.wav", 16000)
    with pytest.raises(CorpusError, match=r"gluegen\[data\]"):
        require_columnar_readers()


@pytest.mark.slow
def test_two_processes_online_on_a_parquet_corpus_train_as_one(models, sentences, tmp_path):
    """torchrun, two CPU processes, online features from a parquet corpus: each process encodes
    its half of every global batch; the weights are one process's at the same global batch, to
    float rounding (the alignment term's token weights come from the global batch)."""
    import datasets
    from safetensors.torch import load_file

    corpus = tmp_path / "pairs.parquet"
    datasets.Dataset.from_dict({"zh": sentences[:120], "en": sentences[:120]}).to_parquet(
        str(corpus)
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    options = ["--corpus", str(corpus), "--source-column", "zh", "--target-column", "en"]
    options += ["--features", "online", "--source-max-length", "12", "--no-progress"]
    options += ["--epochs", "2", "--batch-size", "16", "--source-blocks", "1"]
    options += ["--learning-rate", "1e-3", "--eval-candidates", "8", *encoder_args(models)]
    launch = [sys.executable, "-m", "torch.distributed.run", "--master_port", str(free_port())]
    for processes in (1, 2):
        run = ["--output-dir", str(tmp_path / f"run{processes}")]
        command = [*launch, "--nproc_per_node", str(processes), "-m", "gluegen.cli", "train"]
        result = subprocess.run(
            [*command, *options, *run], capture_output=True, text=True, env=env, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
    one, two = (load_file(tmp_path / f"run{n}" / "gluenet" / "model.safetensors") for n in (1, 2))
    for name, weight in one.items():
        torch.testing.assert_close(two[name], weight, rtol=1e-4, atol=1e-5)
    assert not (tmp_path / "run2" / "features").exists()


def test_draw_tells_the_offset_mix_what_its_words_are_told_apart_from():
    from gluegen.cli import build_draw_parser
    from gluegen.drawing import DrawSettings
    from gluegen.settings import given

    places = ["on the left", "on the right"]
    args = build_draw_parser().parse_args(
        ["--pipeline", "p", "--out", "x", "--text", "on the left", "--mix", "offset"]
        + ["--mix-against", *places]
    )
    settings = DrawSettings(**given(args, DrawSettings))
    arguments = settings.call_arguments(0, 2)  # two inputs, an image each
    assert arguments["mix_against"] == places and arguments["text"] == ["on the left"] * 2
    assert "mix_against" not in DrawSettings(text="on the left").call_arguments(0, 1)


def test_ctrl_c_says_what_continues_the_work(capsys):
    """`--resume` where the command has it, what the command says (the demo: itself again),
    else nothing to continue."""
    import argparse

    from gluegen.cli import INTERRUPTED_EXIT, run_reporting_errors

    def stopped(args):
        raise KeyboardInterrupt

    said = {}
    for name, args, again in (
        ("train", argparse.Namespace(debug=False, resume=False), None),
        ("serve", argparse.Namespace(debug=False), None),
        ("demo", argparse.Namespace(debug=False), "the same command continues"),
    ):
        assert run_reporting_errors(name, stopped, args, again) == INTERRUPTED_EXIT
        said[name] = capsys.readouterr().err.strip()
    assert said["train"].endswith("what was saved stays, `--resume` continues.")
    assert said["serve"] == "gluegen serve: stopped (Ctrl-C)."
    assert said["demo"].endswith("the same command continues.") and "--resume" not in said["demo"]
