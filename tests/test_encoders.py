import shutil

import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

from gluegen.encoders import DiffusersTextTarget, Encoder, HFTextEncoder, load_target
from gluegen.encoders.base import folder_fingerprint

PROMPTS = ["a red circle left of a blue star", "big square"]


@pytest.mark.parametrize("name", ["xlmr", "t5", "clip"])
def test_text_encoders_pad_to_max_length(models, name):
    encoder = HFTextEncoder(models[name], max_length=10)
    assert isinstance(encoder, Encoder)
    assert not encoder.is_loaded  # building reads only the config
    features = encoder.encode(PROMPTS)
    assert features.hidden.shape == (2, 10, encoder.dim) == (2, 10, 16)
    assert features.mask.shape == (2, 10)
    assert features.mask[1].sum() < features.mask[0].sum()


def test_long_prompts_are_truncated(models):
    encoder = HFTextEncoder(models["xlmr"], max_length=4)
    assert encoder.encode(["one two three four five six seven"]).hidden.shape == (1, 4, 16)


def test_chosen_layer(models):
    last = HFTextEncoder(models["xlmr"]).encode(PROMPTS).hidden
    first = HFTextEncoder(models["xlmr"], layer=0).encode(PROMPTS).hidden
    assert not torch.allclose(last, first)


def test_a_string_is_not_a_batch(models):
    with pytest.raises(TypeError, match="list of strings"):
        HFTextEncoder(models["xlmr"]).encode("a red circle")


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="config.json"):
        HFTextEncoder(str(tmp_path))


def test_sd_target_matches_the_pipelines_own_prompt_embeds(models):
    target = load_target(models["sd"])
    assert isinstance(target, DiffusersTextTarget) and target.pooled_dim is None
    features = target.encode(PROMPTS)
    pipeline = StableDiffusionPipeline.from_pretrained(models["sd"])
    expected, _ = pipeline.encode_prompt(PROMPTS, "cpu", 1, False)
    torch.testing.assert_close(features.hidden, expected)
    assert features.pooled is None


def test_sdxl_target_is_two_encoders_concatenated_plus_pooled(models):
    target = load_target(models["sdxl"])
    assert (target.dim, target.pooled_dim) == (32, 16)
    features = target.encode(PROMPTS)
    pipeline = StableDiffusionXLPipeline.from_pretrained(models["sdxl"])
    embeds, _, pooled, _ = pipeline.encode_prompt(
        PROMPTS, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=False
    )
    torch.testing.assert_close(features.hidden, embeds)
    torch.testing.assert_close(features.pooled, pooled)


def test_a_text_encoder_folder_can_be_the_target(models):
    assert isinstance(load_target(models["clip"]), HFTextEncoder)


def test_folder_without_model_index_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="model_index.json"):
        DiffusersTextTarget(str(tmp_path))


def test_fingerprint_changes_when_weights_change(models, tmp_path):
    copy = shutil.copytree(models["xlmr"], tmp_path / "xlmr")
    before = HFTextEncoder(str(copy)).identity()
    assert before["fingerprint"] == folder_fingerprint(models["xlmr"])
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert HFTextEncoder(str(copy)).identity()["fingerprint"] != before["fingerprint"]
    assert folder_fingerprint("org/not-a-local-folder") is None


def test_a_hub_id_is_fingerprinted_by_the_commit_of_its_cached_snapshot(tmp_path, monkeypatch):
    # a hub model updated and downloaded again must not reuse caches of its old files; the
    # lookup reads the local Hugging Face cache only
    from huggingface_hub import constants

    from gluegen.encoders import model_fingerprint

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    first, second = "a" * 40, "b" * 40

    def download(name: str, commit: str, filename: str = "config.json") -> None:
        repo = tmp_path / f"models--org--{name}"
        (repo / "snapshots" / commit).mkdir(parents=True, exist_ok=True)
        (repo / "snapshots" / commit / filename).write_text("{}")
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit)

    assert model_fingerprint("org/encoder") is None  # not downloaded yet
    download("encoder", first)
    assert model_fingerprint("org/encoder") == "hub:" + first
    download("encoder", second)  # the repository moved on, and main was downloaded again
    assert model_fingerprint("org/encoder") == "hub:" + second
    assert model_fingerprint("org/encoder", revision=first) == "hub:" + first
    download("pipeline", first, "model_index.json")  # a diffusers pipeline's root file
    assert model_fingerprint("org/pipeline") == "hub:" + first
    assert model_fingerprint("/no/such/folder") is None


def test_mean_pooling_gives_one_token_the_mean_of_the_prompts_tokens(models):
    tokens = HFTextEncoder(models["xlmr"], max_length=8)
    pooled = HFTextEncoder(models["xlmr"], max_length=8, pooling="mean")
    assert (pooled.num_tokens, pooled.max_length) == (1, 8)
    texts = ["a red circle", "a small blue star on the left"]
    every = tokens.encode(texts)
    mean = pooled.encode(texts)
    assert mean.hidden.shape == (2, 1, tokens.dim) and mean.mask.shape == (2, 1)
    for i in range(2):
        valid = every.hidden[i][every.mask[i].bool()]
        assert torch.allclose(mean.hidden[i, 0], valid.mean(0), atol=1e-6)
    assert pooled.token_lengths(texts)[1] > pooled.token_lengths(texts)[0]
    assert pooled.identity()["pooling"] == "mean" and tokens.identity()["pooling"] is None
    with pytest.raises(ValueError, match="pooling"):
        HFTextEncoder(models["xlmr"], pooling="max")
