"""LinearMap: the least-squares baseline recovers a linear relation and round-trips to disk."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.evaluation.baselines import ALL_TOKENS, LinearMap, read_source


class Linear:
    """A 'target encoder' whose features are a fixed linear function of the source's."""

    num_tokens, dim, pooled_dim = 3, 4, None

    def __init__(self, source):
        self.source = source
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(source.num_tokens * source.dim, 12, generator=generator)

    def encode(self, batch):
        hidden = self.source.encode(batch).hidden.flatten(1) @ self.weight + 1.0
        features = self.source.encode(batch)
        features.hidden = hidden.reshape(len(batch), self.num_tokens, self.dim)
        features.mask = torch.ones(len(batch), self.num_tokens, dtype=torch.long)
        return features

    def identity(self):
        return {"kind": "linear-test"}


def test_recovers_a_linear_relation_and_round_trips(tmp_path, models, sentences):
    source = HFTextEncoder(models["xlmr"], max_length=4)  # 4 x 16 = 64 features
    corpus = ParallelCorpus(sentences[:200], sentences[:200])
    cache = build_cache(corpus, source, Linear(source), tmp_path / "cache", progress=False)
    linear = LinearMap.fit(cache, ridge=1e-9)
    arrays = cache.arrays()
    ids = torch.arange(150, 200)
    predicted = linear.translate(arrays["source"][ids])
    assert predicted.shape == (50, 3, 4)
    assert torch.allclose(predicted, arrays["target"][ids], atol=1e-2)
    linear.save_pretrained(tmp_path / "linear")
    again = LinearMap.from_pretrained(tmp_path / "linear")
    assert torch.equal(again.translate(arrays["source"][ids]), predicted)


def test_fits_a_real_target_on_given_rows(tmp_path, models, sentences):
    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:60], sentences[:60])
    cache = build_cache(corpus, source, load_target(models["sd"]), tmp_path, progress=False)
    linear = LinearMap.fit(cache, torch.arange(40))
    assert linear.translate(cache.arrays()["source"][torch.arange(2)]).shape[1:] == (
        cache.manifest["shapes"]["target"][0],
        cache.manifest["shapes"]["target"][1],
    )


def test_the_worlds_linear_map_is_fitted_again_on_another_split(tmp_path, models, sentences):
    # a work folder re-run with another training seed (or holdout) must not keep the linear
    # map fitted on the old split
    from gluegen.recipes import get_recipe
    from gluegen_world.gluenets import fit_linear, linear_is_current

    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:60], sentences[:60])
    cache = build_cache(corpus, source, Linear(source), tmp_path / "cache", progress=False)
    seed0 = get_recipe("world-language").with_overrides(seed=0)
    seed1 = seed0.with_overrides(seed=1)
    fit_linear(cache, tmp_path / "linear", seed0)
    assert linear_is_current(cache, tmp_path / "linear", seed0)
    assert not linear_is_current(cache, tmp_path / "linear", seed1)
    fit_linear(cache, tmp_path / "linear", seed1)
    assert linear_is_current(cache, tmp_path / "linear", seed1)
    assert not linear_is_current(cache, tmp_path / "linear", seed0)


def test_the_demos_training_step_fits_the_linear_maps_after_the_gluenets(
    tmp_path, models, sentences
):
    # the demo hands its linear maps to the worker processes with the GlueNets (they fill the
    # time one process waits for the longest GlueNet); a map fitted there is the map fitted here
    from gluegen.recipes import get_recipe
    from gluegen_world.demo.workers import train_in_parallel
    from gluegen_world.gluenets import fit_linear, linear_is_current

    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:60], sentences[:60])
    cache = build_cache(corpus, source, Linear(source), tmp_path / "cache", progress=False)
    recipe = get_recipe("world-language")
    train_in_parallel([], 1, False, linear_fits=[(str(cache.folder), tmp_path / "job", recipe)])
    assert linear_is_current(cache, tmp_path / "job", recipe)
    here = fit_linear(cache, tmp_path / "here", recipe)
    fitted = LinearMap.from_pretrained(tmp_path / "job")
    assert torch.equal(fitted.weight, here.weight)


class Summary(Linear):
    """A 'target encoder' that is a linear function of the mean of the source's first 2 tokens."""

    def __init__(self, source):
        super().__init__(source)
        generator = torch.Generator().manual_seed(1)
        self.weight = torch.randn(source.dim, 12, generator=generator)

    def encode(self, batch):
        features = self.source.encode(batch)
        hidden = read_source(features.hidden, 2) @ self.weight - 2.0
        features.hidden = hidden.reshape(len(batch), self.num_tokens, self.dim)
        features.mask = torch.ones(len(batch), self.num_tokens, dtype=torch.long)
        return features


def test_a_map_of_the_summary_tokens_reads_their_mean_and_keeps_it_on_disk(
    tmp_path, models, sentences
):
    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:200], sentences[:200])
    cache = build_cache(corpus, source, Summary(source), tmp_path / "cache", progress=False)
    linear = LinearMap.fit(cache, torch.arange(150), ridge=1e-9, summary_tokens=2)
    assert linear.weight.shape == (source.dim, 12)  # the mean of 2 tokens, not 4 flattened
    held_out = cache.arrays()["source"][torch.arange(150, 200)]
    expected = cache.arrays()["target"][torch.arange(150, 200)]
    assert torch.allclose(linear.translate(held_out), expected, atol=1e-2)
    linear.save_pretrained(tmp_path / "linear")
    again = LinearMap.from_pretrained(tmp_path / "linear")
    assert again.summary_tokens == 2
    assert torch.equal(again.translate(held_out), linear.translate(held_out))
    # a map written before summaries were read has no summary_tokens: it reads every token
    tensors = load_file(tmp_path / "linear" / LinearMap.FILE)
    del tensors["summary_tokens"]
    save_file(tensors, tmp_path / "linear" / LinearMap.FILE)
    assert LinearMap.from_pretrained(tmp_path / "linear").summary_tokens == ALL_TOKENS


def test_a_summary_longer_than_the_source_or_no_ridge_is_a_clear_error(tmp_path, models, sentences):
    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:20], sentences[:20])
    cache = build_cache(corpus, source, Linear(source), tmp_path / "cache", progress=False)
    with pytest.raises(ValueError, match=r"summary_tokens must be in 0\.\.4"):
        LinearMap.fit(cache, summary_tokens=5)
    with pytest.raises(ValueError, match="ridge must be > 0"):
        LinearMap.fit(cache, ridge=0.0)


def test_the_worlds_linear_map_is_fitted_again_for_another_reading(tmp_path, models, sentences):
    # the sound's baseline reads the summary at a chosen ridge: a kept folder's map fitted
    # another way is fitted again, and the language maps' stamps are the ones written before
    import json

    from gluegen.recipes import get_recipe
    from gluegen_world.gluenets import LINEAR_STAMP, LinearReading, fit_linear, linear_is_current

    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:60], sentences[:60])
    cache = build_cache(corpus, source, Linear(source), tmp_path / "cache", progress=False)
    recipe = get_recipe("world-sound")
    summary = LinearReading(summary_tokens=2, ridge=0.03)
    fit_linear(cache, tmp_path / "linear", recipe, summary)
    assert linear_is_current(cache, tmp_path / "linear", recipe, summary)
    assert not linear_is_current(cache, tmp_path / "linear", recipe, LinearReading(2, 0.1))
    assert not linear_is_current(cache, tmp_path / "linear", recipe)
    assert LinearMap.from_pretrained(tmp_path / "linear").summary_tokens == 2
    fit_linear(cache, tmp_path / "every", recipe)
    assert "reading" not in json.loads((tmp_path / "every" / LINEAR_STAMP).read_text())
