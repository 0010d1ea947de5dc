"""Each part runs where it was placed: the generator on one device, the source encoder and the
GlueNets on it or elsewhere. Here on the CPU; on a GPU machine the cuda cases run too
(`pytest tests/test_devices.py`, part of `benchmarks/gpu.sh`), and skip without one."""

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline

from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.models import GlueNet, GlueNetConfig
from gluegen.pipelines import GlueGenPipeline
from gluegen.pipelines.glue import pipeline_text_shape

NO_GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU here")
DEVICES = ["cpu", pytest.param("cuda", marks=NO_GPU)]
# (where the generator is, where the source encoder is, where the GlueNet is); "gpu" is the
# parametrised device, so every case is all-CPU here
PLACEMENTS = {
    "together": ("gpu", "gpu", "gpu"),
    "glue on the cpu": ("gpu", "cpu", "cpu"),
    "encoder apart from its gluenet": ("gpu", "gpu", "cpu"),
}
SOURCE_TOKENS = 8


def gluenet_for(pipeline, encoder) -> GlueNet:
    shape = pipeline_text_shape(pipeline)
    torch.manual_seed(0)
    return GlueNet(
        GlueNetConfig(
            source_tokens=SOURCE_TOKENS,
            source_dim=encoder.dim,
            target_tokens=shape.tokens,
            target_dim=shape.width,
            source_blocks=1,
            target_blocks=1,
        )
    )


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_glued_drawing_runs_wherever_its_parts_are(models, device, placement):
    generator_on, encoder_on, gluenet_on = (
        device if where == "gpu" else where for where in PLACEMENTS[placement]
    )
    sd = StableDiffusionPipeline.from_pretrained(models["sd"]).to(generator_on)
    sd.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(models["xlmr"], max_length=SOURCE_TOKENS, device=encoder_on)
    gluenet = gluenet_for(sd, encoder).to(gluenet_on)
    received = []
    sd.unet.register_forward_pre_hook(
        lambda module, args, kwargs: received.append(kwargs["encoder_hidden_states"]),
        with_kwargs=True,
    )
    for unconditional in ("source", "generator"):
        glue = GlueGenPipeline(sd, encoder, gluenet, unconditional=unconditional)
        images = glue(["a red circle"], num_inference_steps=1, output_type="np").images
        mixed = glue(
            ["a red circle"], text=["at the top"], mix="offset", num_inference_steps=1,
            output_type="np",
        ).images  # fmt: skip
        assert np.isfinite(images).all() and np.isfinite(mixed).all()
    assert {states.device.type for states in received} == {torch.device(generator_on).type}


@pytest.mark.parametrize("device", DEVICES)
def test_the_cache_encodes_on_the_device_and_matches_the_cpu(models, sentences, device, tmp_path):
    corpus = ParallelCorpus(sentences[:24], sentences[:24])

    def cache_on(where):
        source = HFTextEncoder(models["xlmr"], max_length=SOURCE_TOKENS, device=where)
        target = load_target(models["sd"], device=where)
        return build_cache(corpus, source, target, tmp_path / where, progress=False).load()

    on_device, on_cpu = cache_on(device), cache_on("cpu")
    assert on_device["source"].device.type == "cpu"  # the cache is on disk, read to the CPU
    for name in ("source", "target"):
        torch.testing.assert_close(on_device[name], on_cpu[name], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_a_sound_encodes_on_the_device_as_on_the_cpu(device):
    from gluegen.encoders import HFAudioEncoder
    from gluegen_world.models import shipped_model
    from gluegen_world.scenes import WorldObject
    from gluegen_world.sounds import synthesize

    clip = synthesize(WorldObject("star", "red", "big", "left"), seed=3)
    features = {
        where: HFAudioEncoder(str(shipped_model("sound")), device=where).encode([clip]).hidden
        for where in (device, "cpu")
    }
    assert features[device].device.type == torch.device(device).type
    # cuDNN may run the patch convolution in TF32 (10-bit mantissa) on a GPU
    torch.testing.assert_close(features[device].cpu(), features["cpu"], rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("device", DEVICES)
def test_to_moves_every_part_as_diffusers_pipelines_move(models, device):
    sd = StableDiffusionPipeline.from_pretrained(models["sd"])
    sd.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(models["xlmr"], max_length=SOURCE_TOKENS)
    french, shared = gluenet_for(sd, encoder), gluenet_for(sd, encoder)
    glue = GlueGenPipeline(sd, encoder, {"fr": [french, shared], "*": shared})
    assert glue.to(device) is glue
    wanted = torch.device(device).type
    parts = (sd.device, encoder.device, french.device, shared.device)
    assert all(part.type == wanted for part in parts)
    images = glue(["un cercle rouge"], language="fr", num_inference_steps=1, output_type="np")
    assert np.isfinite(images.images).all()
