"""What keeps a run's memory and passes flat in the corpus size: statistics measured once per
cache and split, evaluation on a capped sample read a chunk at a time, rows read without
mapping the cache, and a floor (the mean target) every evaluation is scored against."""

import json

import pytest
import torch
from test_train import gluenet_config_for, make_cache, small_config

from gluegen import testing as toy
from gluegen.data import statistics
from gluegen.data.split import split_indices
from gluegen.evaluation import alignment
from gluegen.evaluation.alignment import alignment_metrics
from gluegen.models.gluenet import GlueNet
from gluegen.training.trainer import Trainer


@pytest.fixture(scope="module")
def small_cache(models, tmp_path_factory):
    return make_cache(models, tmp_path_factory.mktemp("cache"), toy.toy_sentences(200, seed=3))


def test_statistics_are_measured_once_per_cache_and_split(small_cache, tmp_path, monkeypatch):
    measured = []
    measure = statistics.measure_statistics
    monkeypatch.setattr(
        statistics, "measure_statistics", lambda *a: measured.append(1) or measure(*a)
    )
    config = gluenet_config_for(small_cache, source_blocks=1)
    first = Trainer(small_cache, config, small_config(tmp_path / "a"))
    again = Trainer(small_cache, config, small_config(tmp_path / "b"))  # a resume reads the same
    assert len(measured) == 1
    torch.testing.assert_close(first.gluenet.target_token_norm, again.gluenet.target_token_norm)
    assert first.gluenet.source_token_norm == again.gluenet.source_token_norm
    Trainer(small_cache, config, small_config(tmp_path / "c", seed=1))  # another split
    assert len(measured) == 2
    assert len(list(small_cache.folder.glob("statistics-*.safetensors"))) >= 2


def test_statistics_chunks_are_bounded_in_bytes(monkeypatch):
    wide = {"source": torch.zeros(10, 77, 1024)}
    narrow = {"source": torch.zeros(10, 48, 64)}
    assert statistics.chunk_pairs(narrow) == statistics.STATS_CHUNK_PAIRS
    assert statistics.chunk_pairs(wide) * 77 * 1024 * 8 <= statistics.STATS_CHUNK_BYTES
    monkeypatch.setattr(statistics, "STATS_CHUNK_BYTES", 48 * 64 * 8 * 3)  # 3 pairs a chunk
    data = {"source": torch.randn(10, 48, 64), "target": torch.randn(10, 5, 4)}
    chunked = statistics.measure_statistics(data, torch.arange(10))
    monkeypatch.setattr(statistics, "STATS_CHUNK_BYTES", 1 << 30)
    whole = statistics.measure_statistics(data, torch.arange(10))
    torch.testing.assert_close(chunked.target_mean, whole.target_mean)
    assert abs(chunked.source_token_norm - whole.source_token_norm) < 1e-9


def test_evaluation_reads_chunks_and_scores_the_mean_target(small_cache, monkeypatch):
    gluenet = GlueNet(gluenet_config_for(small_cache, source_blocks=1))
    arrays = small_cache.arrays()
    train_ids, eval_ids = split_indices(len(small_cache), 0.3, 0)
    mean = arrays["target"][train_ids].mean(dim=0)
    source, target = arrays["source"][eval_ids], arrays["target"][eval_ids]
    whole = alignment_metrics(gluenet, source, target, candidates=8, mean_target=mean)
    monkeypatch.setattr(alignment, "EVAL_CHUNK_BYTES", 1)  # one retrieval group a chunk
    chunked = alignment_metrics(
        gluenet, arrays["source"], arrays["target"], candidates=8, mean_target=mean, ids=eval_ids
    )
    for name in ("mse", "mse_normalized", "cosine", "retrieval"):
        assert abs(whole[name] - chunked[name]) < 1e-6, name
    floor = whole["mean_target"]
    expected = (mean.expand_as(target) - target).pow(2).mean().item()
    assert abs(floor["mse"] - expected) < 1e-6 * expected
    assert floor["retrieval"] == 1 / 8  # one answer for every pair: the first of each group


def test_a_run_evaluates_a_capped_sample_beside_the_floor(small_cache, tmp_path):
    config = gluenet_config_for(small_cache, source_blocks=1)
    settings = small_config(tmp_path, epochs=1, holdout=0.3, eval_pairs=16)
    trainer = Trainer(small_cache, config, settings)
    assert len(trainer.eval_ids) == 60
    trainer.run()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["count"] == 16 and metrics["mean_target"]["mse"] > 0


def test_cached_rows_are_read_without_mapping_the_cache(small_cache):
    arrays = small_cache.arrays()
    ids = torch.tensor([5, 0, 199, 5])
    rows = arrays["source"][ids]
    everything = small_cache.load()["source"]
    assert torch.equal(rows, everything[ids])
    with open("/proc/self/maps") as maps:
        assert not [line for line in maps if "shard-" in line]


def test_the_command_line_says_when_a_gluenet_learnt_nothing(capsys):
    from gluegen.cli import metric_rows, say_if_no_better

    learnt = {"mse": 0.5, "mean_target": {"mse": 1.0}}
    say_if_no_better(learnt)
    assert capsys.readouterr().err == ""
    say_if_no_better({"mse": 1.3, "mean_target": {"mse": 0.29}})
    message = " ".join(capsys.readouterr().err.split())
    assert "no better than predicting the mean training target" in message
    assert "--total-steps" in message and "--learning-rate" in message
    assert list(metric_rows(learnt)) == ["GlueNet", "mean target (floor)"]


def test_the_cache_is_bfloat16_where_the_encoders_run_in_bf16():
    from gluegen.data.prepare import cache_dtype

    assert cache_dtype("auto", "bf16") == "bfloat16"
    assert cache_dtype("auto", "no") == "float32"  # a CPU: the cache as before
    assert cache_dtype("float16", "bf16") == "float16"  # a choice stays


def test_online_features_train_as_the_cache_does(models, tmp_path):
    """The encoders run on each batch in the training process, nothing on disk: the same
    run as from a cache, to float rounding (the encoders see other batches)."""
    from gluegen.data.corpus import ParallelCorpus
    from gluegen.data.online import OnlineFeatures
    from gluegen.encoders import HFTextEncoder, load_target

    sentences = toy.toy_sentences(120, seed=3)
    corpus = ParallelCorpus(sentences, sentences)
    source = HFTextEncoder(models["xlmr"], max_length=12)
    online = OnlineFeatures(corpus, source, load_target(models["sd"]))
    cache = make_cache(models, tmp_path / "cache", sentences)
    for name in ("source", "target"):
        assert online.manifest["shapes"][name] == cache.manifest["shapes"][name]
    assert len(online) == len(cache)
    ids = torch.tensor([3, 0, 7])
    for name in ("source", "target", "target_mask"):
        torch.testing.assert_close(online.arrays()[name][ids], cache.arrays()[name][ids])
    runs = {}
    for label, features in (("online", online), ("cache", cache)):
        config = gluenet_config_for(features, source_blocks=1)
        runs[label] = Trainer(features, config, small_config(tmp_path / label, epochs=2)).run()
        assert not list((tmp_path / label).rglob("*.safetensors.tmp"))
    for name, weight in runs["cache"].state_dict().items():
        torch.testing.assert_close(runs["online"].state_dict()[name], weight, rtol=1e-3, atol=1e-4)
    resumed = Trainer(online, config, small_config(tmp_path / "online", epochs=2))
    with pytest.raises(ValueError, match="other data"):
        Trainer(cache, config, small_config(tmp_path / "online", epochs=2)).run(resume=True)
    assert resumed.run(resume=True) is not None  # the same online data: it continues


def test_auto_features_take_a_matching_cache_else_the_cheaper_by_measured_rates(
    models, tmp_path, monkeypatch
):
    from gluegen.data import choice
    from gluegen.data.corpus import ParallelCorpus
    from gluegen.encoders import HFTextEncoder, load_target

    sentences = toy.toy_sentences(60, seed=5)
    corpus = ParallelCorpus(sentences, sentences)
    source, target = HFTextEncoder(models["xlmr"], max_length=12), load_target(models["sd"])
    options = {"batch_size": 16, "shard_size": 4096, "dtype": "float32", "encode_precision": "no"}
    folder = tmp_path / "cache"
    one_pass = choice.choose_features(corpus, source, target, folder, 1, options, 16)
    assert one_pass.features == "online" and "pairs/s" in one_pass.why  # measured, said
    tiny = ParallelCorpus(sentences[:2], sentences[:2])  # fewer pairs than the timed batches
    assert choice.choose_features(tiny, source, target, tmp_path / "tiny", 1, options, 16)
    from gluegen.data.cache import build_cache

    build_cache(corpus, source, target, folder, progress=False, **options)
    again = choice.choose_features(corpus, source, target, folder, 1, options, 16)
    assert again.features == "cache" and str(folder) in again.why
    # the arithmetic: encoding 10 pairs/s, writing and reading 1000: 20 epochs favour a cache
    monkeypatch.setattr(choice, "measured_rates", lambda *args: (10.0, 1000.0, 1000.0))
    many = choice.choose_features(corpus, source, target, tmp_path / "other", 20, options, 16)
    assert many.features == "cache"
    monkeypatch.setattr(choice, "measured_rates", lambda *args: (1000.0, 10.0, 10.0))
    slow_disk = choice.choose_features(corpus, source, target, tmp_path / "other", 20, options, 16)
    assert slow_disk.features == "online"


def test_batches_read_ahead_in_threads_train_exactly_as_read_in_the_loop(
    small_cache, tmp_path, monkeypatch
):
    from gluegen.training import trainer

    config = gluenet_config_for(small_cache, source_blocks=1)
    ahead = Trainer(small_cache, config, small_config(tmp_path / "ahead"))
    ahead.run()
    monkeypatch.setattr(trainer, "READ_WORKERS", 0)
    inline = Trainer(small_cache, config, small_config(tmp_path / "inline"))
    inline.run()
    for name, tensor in ahead.gluenet.state_dict().items():
        assert torch.equal(tensor, inline.gluenet.state_dict()[name]), name


def test_the_prefetcher_gives_each_steps_rows_and_threads_keep_their_own_files(models, tmp_path):
    from gluegen.data.cache import build_cache
    from gluegen.data.corpus import ParallelCorpus
    from gluegen.data.loader import Prefetcher, read_rows
    from gluegen.encoders import HFTextEncoder, load_target

    sentences = toy.toy_sentences(64, seed=4)
    source = HFTextEncoder(models["xlmr"], max_length=8)
    corpus = ParallelCorpus(sentences, sentences)
    target = load_target(models["sd"])
    cache = build_cache(corpus, source, target, tmp_path, shard_size=8, progress=False)
    arrays = cache.arrays()
    arrays["source"].opened.limit = 1  # every read of another shard closes a file: per thread
    generator = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, len(cache), (8,), generator=generator) for _ in range(12)]
    with Prefetcher(arrays, ["source", "target"], batches.__getitem__, len(batches)) as reader:
        for step in (0, 1, 2, 5, 6, 11):  # steps skipped, as a resumed loop would
            ids, rows = reader.batch(step)
            assert torch.equal(ids, batches[step])
            expected = read_rows(arrays, ["source", "target"], ids)
            assert all(torch.equal(rows[name], expected[name]) for name in expected)
