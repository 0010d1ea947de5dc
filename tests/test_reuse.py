"""A world GlueNet is trained again only when what it would train differs, however the recipe
says it: an override equal to the default it replaces retrains nothing."""

import json

import torch

from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.recipes import get_recipe
from gluegen_world.gluenets import ParallelSource, is_trained, train_gluenet

torch.set_num_threads(1)


def test_trained_settings_fill_in_defaults_and_leave_out_reporting():
    recipe = get_recipe("world-sound")
    settings = recipe.trained_settings()
    assert settings == recipe.with_overrides(source_noise=0.0).trained_settings()
    assert settings == recipe.with_overrides(log_every=3, eval_pairs=7).trained_settings()
    assert settings != recipe.with_overrides(source_noise=0.5).trained_settings()
    assert settings != recipe.with_overrides(max_steps=5).trained_settings()  # it ends the run
    assert settings != recipe.with_overrides(source_blocks=1).trained_settings()


def test_a_gluenet_is_reused_for_an_override_equal_to_the_default(tmp_path, models, sentences):
    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:40], sentences[:40])
    target = load_target(models["sd"])
    cache = build_cache(corpus, source, target, tmp_path / "cache", progress=False)
    read = ParallelSource(models["xlmr"], "corpus.jsonl", "source", "target", max_length=4)
    recipe = get_recipe("world-language").with_overrides(epochs=1, batch_size=8)
    folder = tmp_path / "run"
    train_gluenet(cache, read, folder, recipe, progress=False)
    weights = (folder / "gluenet" / "model.safetensors").read_bytes()

    assert is_trained(cache, read, folder, recipe)
    assert is_trained(cache, read, folder, recipe.with_overrides(source_noise=0.0, log_every=1))
    assert not is_trained(cache, read, folder, recipe.with_overrides(seed=1))
    assert not is_trained(cache, read, folder, recipe.with_overrides(source_blocks=1))
    other = ParallelSource(models["xlmr"], "corpus.jsonl", "source", "target", max_length=5)
    assert not is_trained(cache, other, folder, recipe)

    train_gluenet(cache, read, folder, recipe.with_overrides(weight_decay=0.0), progress=False)
    assert (folder / "gluenet" / "model.safetensors").read_bytes() == weights  # not trained again


def test_a_gluenet_stopped_part_way_goes_on_from_its_checkpoint(
    tmp_path, models, sentences, monkeypatch
):
    """A demo or page stopped while a GlueNet trains (Ctrl-C saves its state) continues that
    GlueNet when run again, to the weights an unbroken run trains."""
    import pytest
    from safetensors.torch import load_file

    from gluegen.training import trainer as training
    from gluegen.training.stop import StopRequest

    source = HFTextEncoder(models["xlmr"], max_length=4)
    corpus = ParallelCorpus(sentences[:40], sentences[:40])
    cache = build_cache(corpus, source, load_target(models["sd"]), tmp_path / "c", progress=False)
    read = ParallelSource(models["xlmr"], "corpus.jsonl", "source", "target", max_length=4)
    recipe = get_recipe("world-language").with_overrides(epochs=2, batch_size=8)
    train_gluenet(cache, read, tmp_path / "unbroken", recipe, progress=False)

    class CtrlCAtOnce(StopRequest):
        def __enter__(self):
            super().__enter__()
            self.requested = True  # as if Ctrl-C came during the first step
            return self

    folder = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        patch.setattr(training, "StopRequest", CtrlCAtOnce)
        with pytest.raises(KeyboardInterrupt):
            train_gluenet(cache, read, folder, recipe, progress=False)
    assert json.loads((folder / "state" / "progress.json").read_text())["step"] == 1
    assert not is_trained(cache, read, folder, recipe)

    started = []
    monkeypatch.setattr(training, "start_fresh", lambda *a: started.append(a))
    train_gluenet(cache, read, folder, recipe, progress=False)
    assert not started  # resumed, not started over
    unbroken = load_file(tmp_path / "unbroken" / "gluenet" / "model.safetensors")
    resumed = load_file(folder / "gluenet" / "model.safetensors")
    assert all(torch.equal(resumed[name], weight) for name, weight in unbroken.items())
    assert is_trained(cache, read, folder, recipe)
