"""One GlueGenPipeline called from several threads with different settings: every call gets
the images it would get alone."""

from concurrent.futures import ThreadPoolExecutor

import torch
from diffusers import StableDiffusionPipeline

from gluegen.encoders.text import HFTextEncoder
from gluegen.models import GlueNet, GlueNetConfig
from gluegen.pipelines import GlueGenPipeline
from gluegen.pipelines.glue import pipeline_text_shape
from gluegen.testing import save_sd_pipeline, save_xlmr

THREADS = 4
# (steps, guidance): different step counts and guidance per call are what broke it
SETTINGS = [(2, 3.0), (3, 7.5), (1, 1.0), (4, 5.0)] * 4


def glue_pipeline(root) -> GlueGenPipeline:
    sd = StableDiffusionPipeline.from_pretrained(save_sd_pipeline(root / "sd"))
    sd.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(str(save_xlmr(root / "xlmr")), max_length=8)
    shape = pipeline_text_shape(sd)
    tokens, width = shape.tokens, shape.width
    torch.manual_seed(0)
    gluenet = GlueNet(
        GlueNetConfig(
            source_tokens=8, source_dim=encoder.dim, target_tokens=tokens, target_dim=width
        )
    )
    return GlueGenPipeline(sd, encoder, gluenet)


def draw(glue: GlueGenPipeline, index: int) -> torch.Tensor:
    steps, guidance = SETTINGS[index]
    images = glue(
        "a red circle" if index % 2 else "two big star",
        num_inference_steps=steps,
        guidance_scale=guidance,
        generator=torch.Generator().manual_seed(index),
        output_type="pt",
    ).images
    return images


def test_concurrent_calls_with_mixed_settings_equal_the_same_calls_alone(tmp_path):
    torch.set_num_threads(1)
    glue = glue_pipeline(tmp_path)
    alone = [draw(glue, i) for i in range(len(SETTINGS))]
    with ThreadPoolExecutor(THREADS) as pool:
        together = list(pool.map(lambda i: draw(glue, i), range(len(SETTINGS))))
    for i, (a, b) in enumerate(zip(alone, together, strict=True)):
        assert torch.equal(a, b), f"call {i} {SETTINGS[i]} drew other images beside others"
