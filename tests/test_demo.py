"""`gluegen demo` at toy sizes: every stage runs, the report is written, a re-run reuses all."""

import dataclasses
import json
import shutil

import pytest

from gluegen.cli import main
from gluegen.data.cache import FeatureCache
from gluegen_world.demo import DemoSettings, WorldDemo, format_tables
from gluegen_world.demo.report import write_report
from gluegen_world.demo.settings import FOREIGN, DrawSettings

TINY_NET = {"epochs": 1, "batch_size": 16, "holdout": 0.1}
TINY = DemoSettings(
    pairs=48,
    sound_pairs=20,
    paraphrase_pairs=48,
    test_scenes=2,
    paper_languages=("fr",),
    recipe_overrides={
        "all": TINY_NET,
        "shared": {"attention_heads": 2, "attention_slots": 4, "holdout": 0.05},
        "attention": {"attention_heads": 2, "attention_slots": 4},
        "paper": {"source_blocks": 2},
    },
    draw=DrawSettings(steps=1),
)


def check_the_benchmarks_that_read_a_demo(workdir, capsys, load_benchmark):
    families = load_benchmark("phrasing_families").main([str(workdir), "--languages", "fr"])
    assert families == 0 and "predicate" in capsys.readouterr().out
    photo = ["--languages", "de", "--families", "photo", "--wrong-shapes"]
    assert load_benchmark("phrasing_families").main([str(workdir), *photo]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(" photo " in line for line in lines[1:])  # own, shared
    pairs = ["--languages", "zh", "--families", "dropped", "--pairs", "--nets", "averaged"]
    assert load_benchmark("phrasing_families").main([str(workdir), *pairs]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "second_colour" in lines[0] and lines[0].endswith("inverted") and len(lines) == 2
    ensemble = ["--languages", "zh", "--test-scenes", "2"]
    assert load_benchmark("explore_ensemble").main([str(workdir), *ensemble]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "averaged" in lines[0] and len(lines) == 1 + 4 + 4  # header, zh's cells, lowest
    tiny = json.dumps({**TINY_NET, **TINY.recipe_overrides["shared"]})
    warm = ["--languages", "zh", "--test-scenes", "2", "--overrides", tiny, "--variant", "tiny"]
    assert load_benchmark("explore_warm_start").main([str(workdir), *warm]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "warm" in lines[0] and len(lines) == 1 + 4 + 4  # header, zh's cells, lowest
    assert (workdir / "warm" / "tiny-seed0" / "zh" / "gluenet" / "config.json").is_file()
    noise = ["--languages", "zh", "--test-scenes", "2", "--variant", "tiny"]
    assert load_benchmark("explore_noise_words").main([str(workdir), *noise]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "noisy" in lines[0] and len(lines) == 1 + 4 + 4  # header, zh's cells, lowest
    noisy = (workdir / "noise" / "tiny-seed0" / "corpora" / "zh" / "train.tsv").read_text()
    assert noisy == (workdir / "corpora" / "zh" / "noisy.tsv").read_text()  # as the demo's
    resized = [*noise[:-1], "p24", "--pairs", "24", "--drop", "0.2", "--overrides", tiny]
    assert load_benchmark("explore_noise_words").main([str(workdir), *resized]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 4 + 4
    written = (workdir / "noise" / "p24-seed0" / "corpora" / "zh" / "train.tsv").read_text()
    assert len(written.splitlines()) == 1 + 24  # header, the pairs asked for


@pytest.mark.slow
def test_demo_trains_draws_reports_and_reuses(tmp_path, capsys, load_benchmark):
    demo = WorldDemo(tmp_path, TINY, progress=False)
    results = demo.run()
    languages = results["languages"]
    assert set(languages["ours"]) == set(FOREIGN) == set(languages["shared"])
    assert set(languages["paper"]) == {"fr"} and "en" in languages["own"]
    # the same scenes in families of phrasings no corpus holds, and as requests, through both
    # kinds of GlueNet
    assert set(languages["ours_heldout_families"]) == set(FOREIGN)
    assert set(languages["shared_heldout_families"]) == set(FOREIGN)
    assert set(languages["averaged_requests"]) == set(FOREIGN)
    assert set(languages["averaged_heldout_families"]) == set(FOREIGN)
    for kind in ("heldout_families", "requests"):
        assert results[kind]["fr"][0] not in results["prompts"]["fr"]
    # two-object scenes, read by the pair judge, for English, MiniLM and every language
    pairs = results["pairs"]
    assert set(pairs["ours"]) == set(FOREIGN) == set(pairs["shared"])
    assert set(pairs["averaged_heldout_families"]) == set(FOREIGN)
    assert set(pairs["own"]) == {"en"} == set(pairs["minilm"]) and "axis" in pairs["own"]["en"]
    for scores in (languages["ours"]["fr"], results["sound"]["sound_text_splice"]):
        assert 0 <= scores["mean"] <= 1 and "object_and_position" in scores
    assert set(results["paraphrases"]["minilm"]) == {"world", "corpus", "unseen"}
    assert results["curves"]["fr"] and "training" in results["timings"]
    # the shared GlueNet learns from the languages' pairs pooled, encoded once
    shared = FeatureCache.open(tmp_path / "features" / "shared")
    assert len(shared) == 6 * TINY.pairs and len(shared.key["pooled"]) == 6
    shared_corpus = (tmp_path / "corpora" / "shared" / "train.tsv").read_text().splitlines()
    assert len(shared_corpus) == 1 + 6 * TINY.pairs
    # every GlueNet of a language reads its corpus with made-up words in a share of captions
    noisy = (tmp_path / "corpora" / "fr" / "noisy.tsv").read_text().splitlines()
    clean = (tmp_path / "corpora" / "fr" / "train.tsv").read_text().splitlines()
    assert len(noisy) == len(clean) and noisy != clean
    start = 1 + TINY.pairs * FOREIGN.index("fr")  # the shared GlueNet reads the same
    pooled = [row.split("\t")[1] for row in shared_corpus[start : start + TINY.pairs]]
    assert pooled == [row.split("\t")[2] for row in noisy[1:]]
    table = format_tables(results)
    assert "lingua routed right" in table and "sound_text_offset" in table
    assert "Two objects in a relation" in table and "sound over english (object)" in table
    page = write_report(results, tmp_path, tmp_path / "report")
    text = page.read_text()
    assert "Training curves" in text and "images/languages.png" in text
    assert (tmp_path / "report" / "images" / "sound.png").is_file()

    check_the_benchmarks_that_read_a_demo(tmp_path, capsys, load_benchmark)

    again = WorldDemo(tmp_path, TINY, progress=False).run()  # everything reused
    assert again["languages"] == languages
    assert "training" not in again["timings"] and "drawing" not in again["timings"]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["settings"]["test_scenes"] == 2
    # validation scenes keep their own cells: a test run after them draws nothing
    validation = dataclasses.replace(TINY, scenes="validation")
    WorldDemo(tmp_path, validation, progress=False).run()
    assert (tmp_path / "cells-validation" / "sound.json").is_file()
    assert "drawing" not in WorldDemo(tmp_path, TINY, progress=False).run()["timings"]
    # a work folder copied elsewhere keeps its GlueNets and cells
    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    shutil.copytree(tmp_path, moved)
    timings = WorldDemo(moved, TINY, progress=False).run()["timings"]
    assert "training" not in timings and "drawing" not in timings


def test_demo_refuses_no_test_scenes(tmp_path, capsys):
    assert main(["demo", "--test-scenes", "0", "--workdir", str(tmp_path)]) == 2
    assert "--test-scenes must be at least 1" in capsys.readouterr().err


def test_demo_refuses_a_noise_share_outside_0_to_1(tmp_path, capsys):
    assert main(["demo", "--noise-share", "1.5", "--workdir", str(tmp_path)]) == 2
    assert "--noise-share must be between 0 and 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--noise-words must be at least 1"):
        DemoSettings(noise_words=0)
    with pytest.raises(ValueError, match="--noise-pieces must be one of"):
        DemoSettings(noise_pieces="all")
    with pytest.raises(ValueError, match="--swap-share must be between 0 and 1"):
        DemoSettings(swap_share=-0.1)


def test_demo_refuses_a_sound_baseline_without_ridge(tmp_path, capsys):
    assert main(["demo", "--sound-linear-ridge", "0", "--workdir", str(tmp_path)]) == 2
    assert "--sound-linear-ridge must be > 0" in capsys.readouterr().err


def test_a_language_corpus_is_swapped_then_made_noisy(tmp_path):
    from gluegen_world.demo.corpora import language_corpus

    settings = DemoSettings(pairs=30, swap_share=0.5)
    train, read = language_corpus(tmp_path / "de", "de", settings)
    swapped = tmp_path / "de" / "swapped.tsv"
    assert read == tmp_path / "de" / "noisy.tsv" and swapped.is_file()
    rows = [line.split("\t") for line in swapped.read_text().splitlines()]
    noisy = [line.split("\t") for line in read.read_text().splitlines()]
    assert [row[:2] for row in rows] == [row[:2] for row in noisy]  # scenes and English kept
    assert rows != [line.split("\t") for line in train.read_text().splitlines()]
    plain = DemoSettings(pairs=30, swap_share=0.0, noise_share=0.0)
    assert language_corpus(tmp_path / "fr", "fr", plain) == (tmp_path / "fr" / "train.tsv",) * 2
    assert not (tmp_path / "fr" / "swapped.tsv").exists()


def test_demo_settings_come_from_flags_and_a_config_file(tmp_path):
    from gluegen.settings import parse_with_config
    from gluegen_world.cli import build_demo_parser, demo_settings

    config = tmp_path / "demo.yaml"
    config.write_text(
        "test_scenes: 8\ndraw: {steps: 3}\nrecipe_overrides: {shared: {epochs: 2}}\n"
        "paper_languages: [fr, de]\n"
    )
    args = parse_with_config(
        build_demo_parser(), ["--config", str(config), "--draw-guidance", "5"], nested=("draw",)
    )
    settings = demo_settings(args)
    assert settings.test_scenes == 8 and settings.paper_languages == ("fr", "de")
    assert (settings.draw.steps, settings.draw.guidance) == (3, 5.0)
    assert settings.recipe("shared").training["epochs"] == 2
    assert settings.recipe("language").training["epochs"] == 18  # the recipe's own
    config.write_text("test_scenez: 8\n")
    with pytest.raises(SystemExit):
        parse_with_config(build_demo_parser(), ["--config", str(config)], nested=("draw",))


def test_draw_precision_resolves_and_bfloat16_draws_what_float32_draws(monkeypatch):
    import torch

    from gluegen_world.demo import settings as demo_settings_module
    from gluegen_world.demo.workers import load_generator
    from gluegen_world.scoring import draw

    for native in (True, False):
        monkeypatch.setattr(demo_settings_module, "cpu_has_bf16_matmul", lambda n=native: n)
        # auto is saved as what it resolved to, so a cell's stamp says what drew it
        assert DrawSettings().precision == ("bfloat16" if native else "float32")
    assert DrawSettings(precision="float32").precision == "float32"  # as given
    with pytest.raises(ValueError, match="draw precision must be one of"):
        DrawSettings(precision="float16")
    torch.manual_seed(0)
    pipeline = load_generator()
    embeds = torch.randn(2, 4, pipeline.unet.config.cross_attention_dim)
    images = {
        precision: draw(pipeline, embeds, embeds * 0, DrawSettings(steps=2, precision=precision))
        for precision in ("float32", "bfloat16")
    }
    assert images["bfloat16"].dtype == torch.float32
    assert 0 < (images["float32"] - images["bfloat16"]).abs().mean() < 0.05


def test_the_demo_runs_as_many_processes_as_cpus_it_may_use():
    # a container's CPU quota, which os.cpu_count() does not see, bounds the demo's processes
    # (joblib reads it; LOKY_MAX_CPU_COUNT stands in for a quota here)
    import os
    import subprocess
    import sys

    read = "from gluegen_world.demo.settings import DEFAULT_WORKERS as w; print(w)"
    env = {**os.environ, "LOKY_MAX_CPU_COUNT": "1"}
    out = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "1", out.stderr


def test_unknown_recipe_overrides_are_named():
    with pytest.raises(ValueError, match="Unknown setting 'epochz'"):
        DemoSettings(recipe_overrides={"all": {"epochz": 1}})
    with pytest.raises(ValueError, match="unknown roles"):
        DemoSettings(recipe_overrides={"sounds": {"epochs": 1}})


def test_validation_scenes_are_heldout_scenes_the_test_draws_never_hit():
    from gluegen_world.corpus import HELDOUT_COMBINATIONS, is_heldout
    from gluegen_world.demo.scene_sets import pair_scene_set, scene_set

    test = scene_set(DemoSettings())
    validation = scene_set(DemoSettings(scenes="validation"))
    assert len(validation) == len(test) == 64 and not set(validation) & set(test)
    assert all(is_heldout(scene) for scene in validation)
    pairs = {(scene.objects[0].shape, scene.objects[0].colour) for scene in validation}
    assert pairs == set(HELDOUT_COMBINATIONS)
    pair_test = pair_scene_set(DemoSettings())
    pair_validation = pair_scene_set(DemoSettings(scenes="validation"))
    assert len(pair_validation) == len(pair_test) == 64
    assert not set(pair_validation) & set(pair_test) and all(map(is_heldout, pair_validation))
    with pytest.raises(ValueError, match="none is left to validate on"):
        scene_set(DemoSettings(scenes="validation", test_scenes=1000))
    with pytest.raises(ValueError, match="--scenes must be one of"):
        DemoSettings(scenes="train")
    with pytest.raises(ValueError, match="--attention-languages"):
        DemoSettings(attention_languages=("en",))


def test_validation_pairs_are_drawn_and_every_corpus_written_without_them(tmp_path):
    from gluegen_world.corpus import is_heldout, is_validation_pair, parse_scene_code, read_tsv
    from gluegen_world.demo import corpora
    from gluegen_world.demo.scene_sets import pair_scene_set, scene_set

    settings = DemoSettings(scenes="pairs", pairs=60, sound_pairs=20, paraphrase_pairs=20)
    singles, doubles = scene_set(settings), pair_scene_set(settings)
    assert len(singles) == len(doubles) == 64 and len(set(singles)) == 40
    for scene in singles + doubles:
        assert is_validation_pair(scene) and not is_heldout(scene)
    corpora.write_corpora(tmp_path, settings)
    tables = [tmp_path / "corpora" / name for name in ("fr/noisy.tsv", "shared/train.tsv")]
    tables += [tmp_path / "corpora" / name for name in ("sounds/captions.tsv",)]
    tables += [tmp_path / "corpora" / "paraphrases" / "train.tsv"]
    scenes = [parse_scene_code(row["scene"]) for table in tables for row in read_tsv(table)[1]]
    assert len(scenes) > 100 and not any(map(is_validation_pair, scenes))
    stamp = tmp_path / "corpora" / "corpora.json"
    assert json.loads(stamp.read_text())["withhold_validation"] is True
    corpora.write_corpora(tmp_path, DemoSettings(pairs=60, sound_pairs=20, paraphrase_pairs=20))
    assert "withhold_validation" not in json.loads(stamp.read_text())  # the table's, as before
    with pytest.raises(ValueError, match="leave --swap-share at 0"):
        DemoSettings(scenes="pairs", swap_share=0.5)


def test_each_scene_set_keeps_its_own_cells(tmp_path):
    from gluegen_world.demo.cells import cells_folder

    assert cells_folder(tmp_path, "test") == tmp_path / "cells"  # where work folders had them
    assert cells_folder(tmp_path, "validation") == tmp_path / "cells-validation"


class _FakeDrawers:
    """Worker processes that run jobs at once and count them."""

    parallel = True

    def __init__(self):
        self.jobs = 0

    def submit(self, job, *args):
        from concurrent.futures import Future

        self.jobs += 1
        future = Future()
        future.set_result(job(*args))
        return future


def test_a_cell_asked_for_twice_is_drawn_once(tmp_path, monkeypatch):
    import torch

    from gluegen_world.demo import cells as cells_module
    from gluegen_world.scenes import Scene

    pool = _FakeDrawers()
    grid = torch.zeros(1, 3, 2, 2)
    monkeypatch.setattr(cells_module, "draw_job", lambda *job: (grid, {"mean": 0.5}))
    scenes: list[Scene] = []
    drawn_by = {"generator": "sha256:shipped"}
    cells = cells_module.Cells(
        tmp_path, DrawSettings(steps=1), scenes, None, drawn_by, pool, False, {}
    )
    inputs = lambda: (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4), scenes)  # noqa: E731
    first = cells.cell("own-en", inputs, [], prompts=["a red circle"])
    again = cells.cell("own-en", inputs, [], prompts=["a red circle"])
    other = cells.cell("own-en-2", inputs, [], prompts=["a blue circle"])
    results = cells.finish({"languages": first, "paraphrases": again, "other": other})
    assert pool.jobs == 2  # the cell asked for twice went to a worker once
    assert results["languages"] == results["paraphrases"] == {"mean": 0.5}
    assert json.loads((tmp_path / "own-en.json").read_text())["scores"] == {"mean": 0.5}


def test_cells_are_drawn_again_by_another_generator_or_judge(tmp_path, monkeypatch):
    # a work folder kept across a retrained generator or judge (or another version's shipped
    # ones) must not report cells the old weights drew or judged
    import torch

    from gluegen_world.demo import cells as cells_module

    pool = _FakeDrawers()
    monkeypatch.setattr(cells_module, "draw_job", lambda *job: (torch.zeros(1), {"mean": 0.5}))
    inputs = lambda: (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4), [])  # noqa: E731

    def draw_with(**fingerprints):
        cells = cells_module.Cells(
            tmp_path, DrawSettings(steps=1), [], None, fingerprints, pool, False, {}
        )
        cells.finish({"own": cells.cell("own-en", inputs, [], prompts=["a red circle"])})
        return pool.jobs

    shipped = {"generator": "sha256:a", "judge": "sha256:b", "pair_judge": "sha256:c"}
    assert draw_with(**shipped) == 1
    assert draw_with(**shipped) == 1  # the same weights: read back
    assert draw_with(**{**shipped, "judge": "sha256:retrained"}) == 2
    assert draw_with(**{**shipped, "judge": "sha256:retrained", "generator": "sha256:new"}) == 3
    # the demo's own: every world model that draws or judges, by content
    from gluegen_world.demo.workers import DRAWING_MODELS, drawn_by

    assert set(drawn_by()) == set(DRAWING_MODELS) and all(drawn_by().values())
    # a sound cell's prompts are its clips
    import numpy as np

    clip = np.zeros(16, dtype=np.float32)
    assert cells_module.clips_digest([(clip, 16_000)]) == cells_module.clips_digest(
        [(clip, 16_000)]
    )
    assert cells_module.clips_digest([(clip, 16_000)]) != cells_module.clips_digest(
        [(clip + 1, 16_000)]
    )


class _FakeExecutor(_FakeDrawers):
    """A process pool that runs jobs at once and remembers how it was shut down."""

    def shutdown(self, cancel_futures=False):
        self.cancelled = cancel_futures


def test_a_runs_caches_gluenets_and_cells_go_to_one_set_of_processes(tmp_path, monkeypatch):
    # each start of processes spawns python and imports torch and diffusers (about 5 s on the
    # project's machine): the demo's three stages share the processes its first stage starts
    import torch

    from gluegen_world.demo import cells as cells_module
    from gluegen_world.demo import workers as workers_module

    started = []

    def start(count, initializer):
        started.append(_FakeExecutor())
        return started[-1]

    monkeypatch.setattr(workers_module, "worker_pool", start)
    monkeypatch.setattr(cells_module, "draw_job", lambda *job: (torch.zeros(1), {"mean": 0.5}))
    inputs = lambda: (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4), [])  # noqa: E731
    demo = WorldDemo(tmp_path, TINY, progress=False, workers=2)
    assert demo.cells.workers is demo.workers  # the demo's cells: its caches' processes
    with workers_module.Workers(2) as workers:
        workers_module._run_tasks([(str, ("cache",))], workers, False, "caches", "cache")
        workers_module.train_in_parallel([], workers, False)
        workers_module._run_tasks([(str, ("net",))], workers, False, "training", "net")
        draw = DrawSettings(steps=1)
        cells = cells_module.Cells(tmp_path, draw, [], None, {}, workers, False, {})
        cells.finish({"own": cells.cell("own-en", inputs, [], prompts=["a red circle"])})
        assert len(started) == 1 and started[0].jobs == 3
    assert started[0].cancelled is False  # ended once its work was done
    # an error (or Ctrl-C) starts nothing more of what was queued
    with pytest.raises(KeyboardInterrupt), workers_module.Workers(2) as workers:
        workers.submit(str, "net")
        raise KeyboardInterrupt
    assert started[1].cancelled is True
    # one process: no workers at all, the work runs here
    monkeypatch.setattr(workers_module, "worker_pool", None)
    with workers_module.Workers(1) as alone:
        assert not alone.parallel
        workers_module._run_tasks([(str, ("net",))], alone, False, "training", "net")


def test_noisy_corpora_are_written_again_for_another_xlmr(tmp_path, monkeypatch):
    # made-up words are pieces of the XLM-R's vocabulary: a work folder kept across a
    # retrained XLM-R must not train on the old vocabulary's pieces
    from gluegen_world.demo import corpora

    settings = DemoSettings(pairs=8, sound_pairs=2, paraphrase_pairs=2)
    corpora.write_corpora(tmp_path, settings)
    noisy = tmp_path / "corpora" / "fr" / "noisy.tsv"
    noisy.write_text("written with the old vocabulary")
    corpora.write_corpora(tmp_path, settings)  # the same XLM-R: kept
    assert noisy.read_text() == "written with the old vocabulary"
    monkeypatch.setattr(corpora, "folder_fingerprint", lambda path: "sha256:retrained")
    corpora.write_corpora(tmp_path, settings)
    assert noisy.read_text() != "written with the old vocabulary"
    stamp = json.loads((tmp_path / "corpora" / "corpora.json").read_text())
    assert stamp["noise_vocabulary"] == "sha256:retrained"


def test_a_prompt_lingua_misreads_is_drawn_through_the_likeliest_of_the_six():
    # the page refuses a prompt read as a language with no GlueNet; the demo, whose prompts
    # are all in the six, counts it as misread (its routing share) and draws it all the same
    from types import SimpleNamespace

    pytest.importorskip("lingua", reason="pip install 'gluegen[languages]'")
    from gluegen.pipelines.routing import Router
    from gluegen_world.demo.stages import WorldDemo

    glue = SimpleNamespace(router=Router(list(FOREIGN)))
    prompts = ["hay un gran rombo naranja arriba", "une grande étoile rouge à gauche"]
    assert WorldDemo.lingua_routes(glue, prompts) == (["es", "fr"], ["sw", "fr"])
