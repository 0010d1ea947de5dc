"""The benchmarks stay runnable: each runs once at the smallest settings."""

import torch

from gluegen.precision import bf16_is_emulated


def test_training_benchmark_runs(load_benchmark, capsys):
    bench = load_benchmark("bench_training")
    argv = ["--setting", "world", "--pairs", "64", "--epochs", "1", "--repeats", "1"]
    assert bench.main(argv) == 0  # each run in a process
    out = capsys.readouterr().out
    assert "speed-up" in out and "CPU s" in out and "time to quality" in out
    assert "original" in out and "gluegen fp32 align-only" in out


def test_training_benchmark_runs_what_the_cpu_has_units_for(load_benchmark):
    bench = load_benchmark("bench_training")
    names = [m.name for m in bench.chosen_methods(torch.device("cpu"))]
    assert names[:3] == ["original", "gluegen fp32", "gluegen fp32 align-only"]
    # bf16 runs only where the CPU multiplies bf16 in hardware
    assert ("gluegen bf16" in names) != bf16_is_emulated()


def test_training_variants_are_an_experiment_apart(load_benchmark):
    explore = load_benchmark("explore_training")
    assert "gluegen fp32 offset" in explore.VARIANTS
    assert explore.VARIANTS["original, memory kept"].original
    bench = load_benchmark("bench_training")
    assert not {m.name for m in bench.chosen_methods(torch.device("cpu"))} & set(explore.VARIANTS)


def test_training_benchmark_reproduces_the_real_flop_ratio(load_benchmark, tmp_path, capsys):
    runs = load_benchmark("training_runs")
    runs.proportions_setting(tmp_path, pairs=4, divisor=16)
    # encoders / GlueNet step per pair: XLM-R-large + CLIP-L against the paper's step, and the
    # benchmark's encoders as saved and loaded (their MLPs and attention counted)
    rows = {line[:28].strip(): line.split() for line in capsys.readouterr().out.splitlines()}
    real = float(rows["real (XLM-R-large, CLIP-L)"][-1])
    made = float(rows["benchmark (1/16 width)"][-1])
    assert 1.4 < real < 1.7 and abs(made / real - 1) < 0.05


def test_training_benchmark_bounds_each_run_by_its_flops(load_benchmark):
    runs = load_benchmark("training_runs")
    shapes = {"source_tokens": 4, "source_dim": 8, "target_tokens": 3, "target_dim": 8}
    same = runs.Method("gluegen fp32")
    align_only = runs.Method("gluegen fp32 align-only", settings=runs.ALIGN_ONLY)
    kept = runs.Method("original, memory kept", original=True, keep_memory=True)
    steps = runs.method_step_flops([runs.ORIGINAL, kept, same, align_only], shapes)
    assert steps["gluegen fp32"] == steps["original"] == steps["original, memory kept"]
    assert 0 < steps["gluegen fp32 align-only"] < steps["original"]  # no decoder, no critic
    # encoders 3 FLOPs a pair, the original's step 1: 4 epochs of 10 pairs cost 160; a cache of
    # 12 pairs (36) and the same steps (40) cost 76
    methods = [runs.ORIGINAL, same]
    bounds = runs.flop_bounds(3.0, {"original": 1.0, "gluegen fp32": 1.0}, methods, 12, 10, 4)
    assert bounds == {"original": 1.0, "gluegen fp32": 160 / 76}


def test_benchmarks_count_the_cpus_attention(load_benchmark):
    flops = load_benchmark("flops")
    query = torch.randn(2, 4, 10, 8)  # (b, heads, tokens, width): scores and output, 2 matmuls
    attention = torch.nn.functional.scaled_dot_product_attention
    assert flops.count_flops(lambda: attention(query, query, query)) == 2 * (2 * 8 * 10 * 8 * 10)


def test_startup_benchmark_runs(load_benchmark, capsys):
    assert load_benchmark("bench_startup").main(["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "gluegen train --help" in out and "import torch" in out


def test_cache_benchmark_runs(load_benchmark, capsys):
    assert (
        load_benchmark("bench_cache").main(["--pairs", "64", "--repeats", "1", "--epochs", "1"])
        == 0
    )
    out = capsys.readouterr().out
    assert "build, bfloat16" in out and "held-out MSE" in out
    assert load_benchmark("bench_cache").main(["--encoders", "random", "--pairs", "8"]) == 0
    out = capsys.readouterr().out
    assert "random 77x1024 -> random 77x768" in out and "MB/s" in out


def test_step_benchmark_runs(load_benchmark, capsys):
    assert load_benchmark("bench_step").main(["--steps", "2", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "matmul peak" in out and "world-language" in out and "paper-multilingual" not in out
    assert "matmuls alone" in out


def test_seed_spread_reads_demo_results(load_benchmark, tmp_path, capsys):
    import json

    def results(value):
        scores = {"mean": value, "object": value, "object_and_position": value}
        english = {"mean": 1.0, "object": 1.0, "object_and_position": 0.5}
        return {
            "languages": {"ours": {"fr": scores}, "own": {"en": english}},
            "sound": {"sound": scores, "sound_text_offset": scores},
            "paraphrases": {"minilm": {"world": scores}},
        }

    for seed, value in enumerate((0.8, 0.9, 1.0)):
        (tmp_path / f"s{seed}").mkdir()
        (tmp_path / f"s{seed}" / "results.json").write_text(json.dumps(results(value)))
    assert load_benchmark("seed_spread").main([str(tmp_path / f"s{s}") for s in range(3)]) == 0
    out = capsys.readouterr().out
    assert "languages/ours/fr" in out and "0.900  0.800-1.000" in out
    # sound and the offset mix over English on the same scenes
    assert "sound/sound / en" in out and "sound/sound_text_offset / en" in out
    assert "1.800  1.600-2.000" in out


def test_generation_benchmark_runs(load_benchmark, capsys):
    assert (
        load_benchmark("bench_generation").main(["--batch", "1", "--repeats", "1", "--steps", "1"])
        == 0
    )
    assert "source encoder + GlueNet share" in capsys.readouterr().out


def test_scaling_benchmark_runs(load_benchmark, capsys):
    assert load_benchmark("bench_scaling").main(["--sizes", "100"]) == 0
    out = capsys.readouterr().out
    assert "peak MB train" in out and out.strip().splitlines()[-1].split()[0] == "100"


def test_drawing_benchmark_runs(load_benchmark, capsys):
    assert load_benchmark("bench_drawing").main(["--repeats", "1", "--images", "2"]) == 0
    out = capsys.readouterr().out
    assert "one cell: 2 images" in out and "bfloat16 channels-last" in out and "judged" in out


def test_sound_training_benchmark_runs(load_benchmark, capsys, tmp_path):
    bench = load_benchmark("sound_training")
    tiny = ["--pairs", "12", "--seeds", "0", "1", "--test-scenes", "2", "--workers", "1"]
    tiny += ["--scenes", "train", "--offset-weight", "0.5", "--ensemble", "2"]
    tiny += ["--captions", "object", "--mix-words", "lead", "--linear-shares", "0.5"]
    overrides = ["--overrides", '{"epochs": 1, "batch_size": 4, "holdout": 0.2}']
    assert bench.main([str(tmp_path), *tiny, *overrides, "--variant", "tiny"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()[-8:]
    assert "tiny, 12 clips, captions of the object, train scenes" in out
    assert "offset weight 0.5" in out
    # each clip's caption names its object, nothing of its place
    table = (tmp_path / "pairs-12-objects" / "sounds" / "captions.tsv").read_text()
    rows = [line.split("\t") for line in table.splitlines()[1:]]
    assert len(rows) == 12 and all(row[1].split()[-1] == row[2].split(",")[0] for row in rows)
    assert all(len(row[1].split()) == 4 for row in rows)  # "a big red circle"
    # each alone, the two averaged, then each with its least-squares map
    assert [line.split()[0] for line in lines] == [
        "0",
        "1",
        "mean",
        "0+1",
        "mean",
        "0",
        "1",
        "mean",
    ]
    assert all("+ map x0.5" in line for line in lines[5:7])
    assert (tmp_path / "pairs-12-objects" / "runs" / "tiny-seed1-linear").is_dir()


def test_sound_knowledge_benchmark_runs(load_benchmark, capsys, tmp_path):
    bench = load_benchmark("sound_knowledge")
    tiny = ["--pairs", "40", "--scenes", "4", "--withhold", "--targets", str(tmp_path)]
    assert bench.main([*tiny, "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "40 training clips -> 4 clips of validation pairs" in out
    assert [line.split()[0] for line in out.splitlines()[2:5]] == ["first", "mean", "every"]
    assert "one place (left)" in out and "the four places averaged" in out
    assert "the object alone" in out


def test_the_word_reading_averages_each_words_pieces(load_benchmark, monkeypatch):
    import torch
    from transformers import XLMRobertaTokenizer

    from gluegen.encoders import text
    from gluegen_world.models import shipped_model

    for method in ("__init__", "encode"):  # the script patches these at import; undone after
        monkeypatch.setattr(text.HFTextEncoder, method, getattr(text.HFTextEncoder, method))
    reading = load_benchmark("explore_source_reading")
    tokenizer = XLMRobertaTokenizer.from_pretrained(str(shipped_model("xlmr")))
    ids = tokenizer(["una foto di un quadrato", "大圆"], padding=True, return_tensors="pt")
    words = reading.word_ids(tokenizer, ids["input_ids"])
    pieces = tokenizer.convert_ids_to_tokens(ids["input_ids"][0].tolist())
    assert pieces[3:5] == ["▁fo", "to"] and words[0, 3] == words[0, 4] != words[0, 5]
    assert pieces[-2] == "to" and words[0, -2] == words[0, -3] != words[0, 3]  # quadrato's
    assert len(set(words[1].tolist())) == len(words[1])  # <s>, 大, 圆, </s>, pads: each alone
    hidden = torch.randn(*ids["input_ids"].shape, 3)
    means = reading.word_means(hidden, words)
    assert torch.allclose(means[0, 3], hidden[0, 3:5].mean(0)) and torch.equal(means[1], hidden[1])


def test_the_layer_benchmark_scales_only_the_xlmrs_positions(load_benchmark, tmp_path):
    from safetensors.torch import load_file

    from gluegen_world.models import shipped_model

    layers = load_benchmark("source_layer")
    copy = layers.scaled_positions_copy(tmp_path / "xlmr", 0.5)
    shipped = load_file(shipped_model("xlmr") / "model.safetensors")
    scaled = load_file(copy / "model.safetensors")
    assert torch.equal(scaled[layers.POSITIONS], shipped[layers.POSITIONS] * 0.5)
    assert all(torch.equal(scaled[k], v) for k, v in shipped.items() if k != layers.POSITIONS)
    assert (copy / "tokenizer.json").is_file()


def test_compare_cells_names_what_differs_and_how_the_means_moved(load_benchmark, capsys, tmp_path):
    import json

    import torch
    from safetensors.torch import save_file

    for folder, means in (("a", {"x": 0.5, "y": 0.25}), ("b", {"x": 0.75, "y": 0.25})):
        cells = tmp_path / folder / "cells"
        cells.mkdir(parents=True)
        for name, mean in means.items():
            save_file(
                {"images": torch.full((1, 3, 2, 2), mean)}, str(cells / f"{name}.safetensors")
            )
            (cells / f"{name}.json").write_text(json.dumps({"scores": {"mean": mean}}))
    compare = load_benchmark("compare_cells")
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "x: max |diff| 0.2500" in out and "1 of 2 cells equal" in out
    assert "mean +0.1250, mean absolute 0.1250, largest 0.2500; 1 up, 0 down" in out


def test_loader_benchmark_runs(load_benchmark, capsys, tmp_path):
    bench = load_benchmark("bench_loader")
    assert bench.main(["--pairs", "64", "--batches", "3", "--work", str(tmp_path)]) == 0
    assert "read ahead" in capsys.readouterr().out


def test_small_corpus_benchmark_runs(load_benchmark, capsys):
    bench = load_benchmark("bench_small_corpus")
    assert bench.main(["--pairs", "120", "--total-steps", "3"]) == 0
    assert "--total-steps 3" in capsys.readouterr().out
