import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from gluegen import precision
from gluegen import testing as toy
from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.prepare import cache_shapes
from gluegen.data.split import split_indices
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.models.gluenet import GlueNet
from gluegen.recipes import get_recipe
from gluegen.training.config import ObjectiveWeights, TrainConfig
from gluegen.training.objective import TokenDiscriminator
from gluegen.training.state import OBJECTIVE_FILE, OPTIMIZER_FILE
from gluegen.training.trainer import Trainer, train

STATE_FILES = (OBJECTIVE_FILE, OPTIMIZER_FILE)


def gluenet_config_for(cache, **layout):
    """The paper's layout at the cache's shapes, with `layout` over it."""
    return (
        get_recipe("paper-multilingual")
        .with_overrides(**layout)
        .gluenet_config(cache_shapes(cache))
    )


def make_cache(models, folder, sentences):
    corpus = ParallelCorpus(sentences, sentences)
    source = HFTextEncoder(models["xlmr"], max_length=12)
    return build_cache(corpus, source, load_target(models["sd"]), folder, progress=False)


@pytest.fixture(scope="module")
def small_cache(models, tmp_path_factory):
    return make_cache(models, tmp_path_factory.mktemp("cache"), toy.toy_sentences(200, seed=3))


def small_config(tmp_path, **overrides):
    settings = dict(
        output_dir=str(tmp_path),
        epochs=3,
        batch_size=16,
        learning_rate=1e-3,
        checkpoint_every=5,
        log_every=4,
        holdout=0.1,
        progress=False,
    )
    return TrainConfig(**{**settings, **overrides})


@pytest.mark.slow
def test_toy_corpus_training_reaches_the_alignment_targets(tmp_path):
    """Two random encoders of the same sentences: a right answer exists, GlueNet finds it."""
    size = toy.EncoderSize(hidden=32, layers=2, max_tokens=12)
    models = {
        "xlmr": str(toy.save_xlmr(tmp_path / "xlmr", size, seed=0)),
        "sd": str(toy.save_sd_pipeline(tmp_path / "sd", size, seed=3)),
    }
    cache = make_cache(models, tmp_path / "cache", toy.toy_sentences(1500, seed=11))
    config = gluenet_config_for(cache, source_blocks=2)
    settings = small_config(
        tmp_path / "run",
        epochs=30,
        batch_size=32,
        learning_rate=3e-3,
        lr_decay_epochs=10,
        holdout=128 / 1500,
        checkpoint_every=10_000,
    )
    train(cache, config, settings)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    initial = log[0]["initial_eval"]
    final = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert final["retrieval_candidates"] == 64 and final["count"] == 128
    assert initial["mse"] / final["mse"] >= 10
    assert final["retrieval"] >= 0.9


def test_resumed_run_ends_with_the_same_weights(small_cache, tmp_path):
    config = gluenet_config_for(small_cache, source_blocks=1)
    straight = train(small_cache, config, small_config(tmp_path / "straight"))

    interrupted = Trainer(
        small_cache,
        gluenet_config_for(small_cache, source_blocks=1),
        small_config(tmp_path / "resumed", max_steps=13),
    )
    interrupted.run()
    assert interrupted.step == 13 and not (tmp_path / "resumed" / "gluenet").exists()
    resumed = Trainer(
        small_cache,
        gluenet_config_for(small_cache, source_blocks=1),
        small_config(tmp_path / "resumed"),
    )
    resumed.run(resume=True)
    assert resumed.step == straight_steps(small_cache)
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.gluenet.state_dict()[name]), name


def test_a_state_with_the_untrained_discriminator_of_earlier_versions_resumes(
    small_cache, tmp_path
):
    """Earlier versions built the discriminator at adversarial weight 0 and saved it (never
    stepped) with the state; such a state resumes, and the run ends as one never stopped."""
    alignment_only = ObjectiveWeights(reconstruction=0.0, adversarial=0.0)
    config = gluenet_config_for(small_cache, source_blocks=1)
    straight = train(
        small_cache, config, small_config(tmp_path / "straight", weights=alignment_only)
    )
    folder = tmp_path / "resumed"
    Trainer(small_cache, config, small_config(folder, max_steps=13, weights=alignment_only)).run()
    # the state as an earlier version wrote it: the discriminator's tensors and its optimizer
    # slots (last, without moments) beside the GlueNet's
    discriminator = TokenDiscriminator(config.target_dim)
    objective_file, optimizer_file = (folder / "state" / name for name in STATE_FILES)
    tensors = load_file(objective_file)
    tensors |= {f"discriminator.{k}": v for k, v in discriminator.state_dict().items()}
    save_file(tensors, objective_file)
    optimizer = torch.load(optimizer_file)
    (group,) = optimizer["param_groups"]
    first = len(group["params"])
    group["params"] += list(range(first, first + len(list(discriminator.parameters()))))
    torch.save(optimizer, optimizer_file)

    resumed = Trainer(small_cache, config, small_config(folder, weights=alignment_only))
    resumed.run(resume=True)
    assert resumed.objective.discriminator is None
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.gluenet.state_dict()[name]), name


def test_resume_refuses_changed_settings_and_names_them(small_cache, tmp_path):
    config = gluenet_config_for(small_cache, source_blocks=1)
    Trainer(small_cache, config, small_config(tmp_path, max_steps=3)).run()
    changed = Trainer(
        small_cache,
        gluenet_config_for(small_cache, source_blocks=2),
        small_config(tmp_path, learning_rate=5e-4, batch_size=8),
    )
    with pytest.raises(ValueError, match="learning_rate 0.001 -> 0.0005") as error:
        changed.run(resume=True)
    assert "batch_size 16 -> 8" in str(error.value) and "source_blocks 1 -> 2" in str(error.value)
    # settings that cannot change the weights may differ: progress, logging, where to stop
    same = Trainer(small_cache, config, small_config(tmp_path, log_every=2, max_steps=5))
    same.run(resume=True)
    assert same.step == 5
    # a state saved before a layout setting existed resumes at that setting's default
    progress_file = tmp_path / "state" / "progress.json"
    progress = json.loads(progress_file.read_text())
    del progress["gluenet"]["source_token_mixing"]
    progress_file.write_text(json.dumps(progress))
    older = Trainer(small_cache, config, small_config(tmp_path, max_steps=6))
    older.run(resume=True)
    assert older.step == 6


def straight_steps(cache):
    train_ids, _ = split_indices(len(cache), 0.1, 0)
    return (len(train_ids) // 16) * 3


def test_outputs_log_and_checkpoint(small_cache, tmp_path):
    train(small_cache, gluenet_config_for(small_cache, source_blocks=1), small_config(tmp_path))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "start" and records[-1]["event"] == "done"
    steps = [r for r in records if "align_loss" in r]
    assert {"align_loss", "rec_loss", "adv_loss", "loss", "lr", "epoch"} <= set(steps[0])
    assert steps[-1]["lr"] == pytest.approx(1e-3 * 0.5**2)  # halved after each epoch
    assert sum("eval" in r for r in records) >= 3  # once per epoch, and at the end
    gluenet = GlueNet.from_pretrained(tmp_path / "gluenet")
    assert gluenet.config.source_encoder == small_cache.key["source_encoder"]
    assert gluenet.config.target_encoder["kind"] == "diffusers-text"
    assert gluenet.target_token_norm.min() > 0 and gluenet.source_token_norm > 0
    card = (tmp_path / "gluenet" / "README.md").read_text()  # the model card
    assert "library_name: gluegen" in card and "training pairs: 180" in card
    assert '"retrieval"' in card and small_cache.key["source_encoder"]["name_or_path"] in card


def test_a_length_in_steps_stretches_the_schedule_over_any_corpus(small_cache, tmp_path):
    # 180 training pairs make 11 batches of 16; 30 steps cycle the data, the LR halves at 15
    config = small_config(tmp_path, epochs=2, total_steps=30, log_every=1)
    trainer = Trainer(small_cache, gluenet_config_for(small_cache, source_blocks=1), config)
    trainer.run()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    rates = {r["step"]: r["lr"] for r in records if "lr" in r}
    assert trainer.step == 30 and max(r.get("epoch", 0) for r in records) == 2
    assert rates[15] == pytest.approx(1e-3) and rates[16] == pytest.approx(5e-4)
    assert rates[30] == pytest.approx(5e-4)


@pytest.mark.parametrize(
    ("every", "minutes", "saved_at"),
    [(0, 0.0, "end"), (5, 0.0, "every 5 and the end"), (0, 1e-9, "every step")],
)
def test_the_state_is_saved_by_steps_by_time_and_at_the_end(
    small_cache, tmp_path, monkeypatch, every, minutes, saved_at
):
    saves = []
    monkeypatch.setattr(Trainer, "save_state", lambda trainer: saves.append(trainer.step))
    config = small_config(tmp_path, checkpoint_every=every, checkpoint_minutes=minutes)
    train(small_cache, gluenet_config_for(small_cache, source_blocks=1), config)
    last = straight_steps(small_cache)  # 3 epochs of 11 steps: epoch ends save nothing
    expected = {
        "end": [last],
        "every 5 and the end": [*range(5, last, 5), last],
        "every step": list(range(1, last + 1)),
    }[saved_at]
    assert saves == expected


def test_bad_settings_are_clear_errors(small_cache, tmp_path):
    with pytest.raises(ValueError, match="mixed_precision"):
        TrainConfig(output_dir=str(tmp_path), mixed_precision="fp8")
    with pytest.raises(ValueError, match="weight_decay must be >= 0.0, got -0.1"):
        TrainConfig(output_dir=str(tmp_path), weight_decay=-0.1)
    with pytest.raises(ValueError, match="source_noise must be >= 0.0, got -0.5"):
        TrainConfig(output_dir=str(tmp_path), source_noise=-0.5)
    with pytest.raises(ValueError, match="checkpoint_minutes must be finite and >= 0"):
        TrainConfig(output_dir=str(tmp_path), checkpoint_minutes=-1)
    with pytest.raises(ValueError, match="no full batch"):
        Trainer(
            small_cache, gluenet_config_for(small_cache), small_config(tmp_path, batch_size=4096)
        )
    config = gluenet_config_for(small_cache)
    config.source_dim = 99
    with pytest.raises(ValueError, match="the cache holds"):
        Trainer(small_cache, config, small_config(tmp_path))


def test_t5_to_sdxl_trains_a_pooled_head(models, tmp_path):
    """SDXL targets: concatenated token features plus a pooled vector, end to end."""
    sentences = toy.toy_sentences(80, seed=5)
    cache = build_cache(
        ParallelCorpus(sentences, sentences),
        HFTextEncoder(models["t5"], max_length=12),
        load_target(models["sdxl"]),
        tmp_path / "cache",
        progress=False,
    )
    config = gluenet_config_for(cache, source_blocks=1)
    assert config.pooled_dim == 16 and config.target_dim == 32
    train(cache, config, small_config(tmp_path / "run", epochs=1))
    records = [
        json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    ]
    assert any("pooled_loss" in record for record in records)
    gluenet = GlueNet.from_pretrained(tmp_path / "run" / "gluenet")
    glued = gluenet(gluenet.normalize_source(cache.load()["source"][:2]))
    assert gluenet.pool(glued).shape == (2, 16)
    assert gluenet.translate_pooled(cache.load()["source"][:2]).shape == (2, 16)
    assert gluenet.target_pooled_norm > 0


@pytest.mark.parametrize("hardware_bf16", [False, True])
def test_bf16_on_a_cpu_that_emulates_it_is_warned_about(monkeypatch, caplog, hardware_bf16):
    monkeypatch.setattr(precision, "cpu_has_bf16_matmul", lambda: hardware_bf16)
    with caplog.at_level("WARNING", logger=precision.__name__):
        precision.warn_if_bf16_is_slow_here("no")
        precision.warn_if_bf16_is_slow_here("bf16", "cpu")
    warned = [r.message for r in caplog.records if "no bf16 matrix units" in r.message]
    assert len(warned) == (0 if hardware_bf16 else 1)
    if warned:
        assert "--mixed-precision no" in warned[0]


def test_runs_at_other_precisions_follow_one_another_in_one_process(small_cache, tmp_path):
    """accelerate keeps one state per process; a run at another precision still starts."""
    for setting in ("no", "bf16", "no"):
        config = small_config(tmp_path / setting, epochs=1, mixed_precision=setting)
        trainer = Trainer(small_cache, gluenet_config_for(small_cache, source_blocks=1), config)
        assert trainer.accelerator.mixed_precision == setting
        trainer.run()


def test_weight_decay_shrinks_the_weights(small_cache, tmp_path):
    config = gluenet_config_for(small_cache, source_blocks=1)
    plain = train(small_cache, config, small_config(tmp_path / "plain"))
    decayed = train(small_cache, config, small_config(tmp_path / "decayed", weight_decay=20.0))

    def squared_norm(gluenet):
        return sum(p.detach().pow(2).sum() for p in gluenet.parameters())

    assert squared_norm(decayed) < 0.8 * squared_norm(plain)


def test_source_noise_changes_the_run_and_a_resumed_run_draws_the_same_noise(small_cache, tmp_path):
    config = gluenet_config_for(small_cache, source_blocks=1)
    plain = train(small_cache, config, small_config(tmp_path / "plain"))
    noisy = train(small_cache, config, small_config(tmp_path / "noisy", source_noise=0.5))
    name = "source_blocks.0.channel_mlp.1.weight"
    assert not torch.equal(plain.state_dict()[name], noisy.state_dict()[name])
    interrupted = Trainer(
        small_cache, config, small_config(tmp_path / "resumed", source_noise=0.5, max_steps=7)
    )
    interrupted.run()
    resumed = Trainer(small_cache, config, small_config(tmp_path / "resumed", source_noise=0.5))
    resumed.run(resume=True)
    for name, tensor in noisy.state_dict().items():
        assert torch.equal(tensor, resumed.gluenet.state_dict()[name]), name


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default(tmp_path):
    saved = dataclasses.asdict(small_config(tmp_path))
    del saved["weight_decay"]  # written by a version without it
    assert small_config(tmp_path).changes_from(saved) == []
    assert small_config(tmp_path, weight_decay=0.1).changes_from(saved) == [
        "weight_decay 0.0 -> 0.1"
    ]


def test_a_run_starts_from_a_trained_gluenets_weights_with_its_own_statistics(
    small_cache, tmp_path
):
    config = gluenet_config_for(small_cache, source_blocks=1)
    trained = train(small_cache, config, small_config(tmp_path / "trained"))
    folder = str(tmp_path / "trained" / "gluenet")
    fresh = Trainer(small_cache, config, small_config(tmp_path / "fresh", seed=1))
    started = Trainer(small_cache, config, small_config(tmp_path / "b", seed=1, init_from=folder))
    for name, weight in trained.named_parameters():
        assert torch.equal(dict(started.gluenet.named_parameters())[name], weight), name
    # the statistics are measured on this run's training split (seed 1), not copied
    for name, statistic in fresh.gluenet.named_buffers():
        assert torch.equal(dict(started.gluenet.named_buffers())[name], statistic), name
    assert not torch.equal(started.gluenet.source_mean, trained.source_mean)
    other = gluenet_config_for(small_cache, source_blocks=2)
    with pytest.raises(ValueError, match=r"init_from .*source_blocks 1 -> 2"):
        Trainer(small_cache, other, small_config(tmp_path / "c", init_from=folder))
