"""`gluegen world train` and `evaluate`: which models are (re)trained, what is measured."""

import json

import pytest

from gluegen_world import models, training


def fake_trainers(monkeypatch, calls):
    """Trainers that only write a config file, so that the orchestration is what is tested."""

    def trainer(name):
        def train(folder, progress):
            calls.append(name)
            folder.mkdir(parents=True, exist_ok=True)
            marker = "model_index.json" if name == "generator" else "config.json"
            (folder / marker).write_text(json.dumps({"name": name}))

        return train

    monkeypatch.setattr(
        training, "TRAINERS", {name: trainer(name) for name in training.WORLD_MODELS}
    )


def test_train_resumes_with_the_models_not_yet_there(tmp_path, monkeypatch):
    calls = []
    fake_trainers(monkeypatch, calls)
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "config.json").write_text("{}")
    written = training.train_world_models(tmp_path, progress=False)
    assert calls == ["pair_judge", "xlmr", "sound", "generator"]
    assert set(written) == {"pair_judge", "xlmr", "sound", "generator"}
    calls.clear()
    assert training.train_world_models(tmp_path, progress=False) == {}
    assert calls == []


def test_only_retrains_the_named_models(tmp_path, monkeypatch):
    calls = []
    fake_trainers(monkeypatch, calls)
    training.train_world_models(tmp_path, progress=False)
    calls.clear()
    training.train_world_models(tmp_path, only=["generator"], progress=False)
    assert calls == ["generator"]


def test_unknown_model_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown world models"):
        training.train_world_models(tmp_path, only=["unet"])
    with pytest.raises(ValueError, match="Unknown world model"):
        models.shipped_model("unet")


def test_evaluate_measures_every_shipped_model():
    results = training.evaluate_world_models(count=40, generator_images=4)
    titles = " | ".join(results)
    for word in ("judge", "XLM-R", "sound", "generator", "Fréchet", "seconds"):
        assert word in titles
    accuracies = [
        value
        for title, group in results.items()
        if "Fréchet" not in title and "seconds" not in title
        for value in group.values()
    ]
    assert accuracies and all(0.0 <= value <= 1.0 for value in accuracies)
