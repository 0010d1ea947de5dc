"""Generator families: the cached targets equal the pipeline's own encode_prompt, and the
denoiser receives exactly the glued embeds (SDXL, its refiner)."""

import pytest
import torch
from diffusers import (
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)

from gluegen.encoders import HFTextEncoder, load_target
from gluegen.models import GlueNet, GlueNetConfig
from gluegen.pipelines import GlueGenPipeline
from gluegen.pipelines.glue import pipeline_text_shape
from gluegen.testing import save_sdxl_pipeline

PROMPTS = ["a big red star", "two small blue circle on the left"]


@pytest.fixture(scope="module")
def sdxl(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    pipeline = StableDiffusionXLPipeline.from_pretrained(save_sdxl_pipeline(root / "sdxl"))
    pipeline.set_progress_bar_config(disable=True)
    return pipeline, root


@pytest.fixture(scope="module")
def refiner(sdxl):
    """SDXL refiner-style: only the second text encoder (text_encoder=None)."""
    base, root = sdxl
    width = base.text_encoder_2.config.hidden_size  # the refiner's UNet reads encoder 2 alone
    torch.manual_seed(1)
    unet = UNet2DConditionModel.from_config({**base.unet.config, "cross_attention_dim": width})
    pipeline = StableDiffusionXLImg2ImgPipeline(
        vae=base.vae,
        text_encoder=None,
        text_encoder_2=base.text_encoder_2,
        tokenizer=None,
        tokenizer_2=base.tokenizer_2,
        unet=unet,
        scheduler=base.scheduler,
        requires_aesthetics_score=False,
        force_zeros_for_empty_prompt=True,
    )
    pipeline.save_pretrained(root / "refiner")
    pipeline.set_progress_bar_config(disable=True)
    return pipeline, root / "refiner"


def own_encoding(pipeline, prompts):
    embeds, _, pooled, _ = pipeline.encode_prompt(
        prompts, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=False
    )
    return embeds, pooled


def glue_for(pipeline, models, unconditional):
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    shape = pipeline_text_shape(pipeline)
    tokens, width, pooled = shape.tokens, shape.width, shape.pooled
    torch.manual_seed(0)
    config = GlueNetConfig(
        source_tokens=8,
        source_dim=encoder.dim,
        target_tokens=tokens,
        target_dim=width,
        pooled_dim=pooled,
        source_blocks=1,
    )
    return GlueGenPipeline(pipeline, encoder, GlueNet(config), unconditional=unconditional)


def received_by_the_denoiser(pipeline, draw):
    seen = []

    def hook(module, args, kwargs):
        seen.append((kwargs["encoder_hidden_states"], kwargs["added_cond_kwargs"]["text_embeds"]))

    handle = pipeline.unet.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        draw()
    finally:
        handle.remove()
    return seen


def test_the_refiner_target_is_its_own_encode_prompt(refiner):
    pipeline, folder = refiner
    target = load_target(str(folder))
    features = target.encode(PROMPTS)
    embeds, pooled = own_encoding(pipeline, PROMPTS)
    assert (target.dim, target.pooled_dim) == (embeds.shape[-1], pooled.shape[-1])
    assert torch.equal(features.hidden, embeds) and torch.equal(features.pooled, pooled)


@pytest.mark.parametrize("unconditional", ["source", "generator"])
def test_sdxl_and_its_refiner_denoise_exactly_the_glued_embeds(
    sdxl, refiner, models, unconditional
):
    img2img = {"image": torch.rand(2, 3, 16, 16), "strength": 1.0}
    for pipeline, extra in ((sdxl[0], {}), (refiner[0], img2img)):
        glue = glue_for(pipeline, models, unconditional)
        keys = glue.route(PROMPTS)
        glued, unconditional_embeds = glue.encode(PROMPTS, keys), glue.unconditional_embeds(keys)
        embeds, pooled = glued.hidden, glued.pooled
        negative, negative_pooled = unconditional_embeds.hidden, unconditional_embeds.pooled
        if unconditional == "generator":  # SDXL's own empty prompt: zeros
            assert not negative.any() and not negative_pooled.any()
        seen = received_by_the_denoiser(
            pipeline,
            lambda glue=glue, extra=extra: glue(
                PROMPTS,
                num_inference_steps=2,
                generator=torch.Generator().manual_seed(0),
                output_type="pt",
                **extra,
            ),
        )
        assert seen
        for states, pooled_seen in seen:
            assert torch.equal(states, torch.cat([negative, embeds]))
            assert torch.equal(pooled_seen, torch.cat([negative_pooled, pooled]))


def test_clip_skip_targets_are_the_pipelines_own(tmp_path):
    from diffusers import StableDiffusionPipeline

    from gluegen.testing import EncoderSize, save_sd_pipeline

    size = EncoderSize(hidden=16, layers=3, heads=2, max_tokens=12)
    sdxl = StableDiffusionXLPipeline.from_pretrained(save_sdxl_pipeline(tmp_path / "xl", size))
    options = {"device": "cpu", "num_images_per_prompt": 1, "do_classifier_free_guidance": False}
    expected = sdxl.encode_prompt(PROMPTS, clip_skip=1, **options)[0]
    target = load_target(str(tmp_path / "xl"), clip_skip=1)
    assert torch.equal(target.encode(PROMPTS).hidden, expected)
    assert target.identity()["clip_skip"] == 1  # a cache made with it is another cache
    assert not torch.equal(load_target(str(tmp_path / "xl")).encode(PROMPTS).hidden, expected)
    # SD: that layer through the final LayerNorm (diffusers 0.42's own SD clip_skip reads
    # `text_model`, which transformers 5 removed, so its steps are written out here)
    sd = StableDiffusionPipeline.from_pretrained(save_sd_pipeline(tmp_path / "sd", size))
    ids = sd.tokenizer(PROMPTS, padding="max_length", max_length=12, return_tensors="pt")
    with torch.no_grad():
        states = sd.text_encoder(ids.input_ids, output_hidden_states=True).hidden_states
        expected = sd.text_encoder.final_layer_norm(states[-2])
    assert torch.equal(
        load_target(str(tmp_path / "sd"), clip_skip=1).encode(PROMPTS).hidden, expected
    )


def test_clip_skip_while_drawing_and_a_text_encoder_lora_are_refused(sdxl, models):
    pipeline, _ = sdxl
    glue = glue_for(pipeline, models, "generator")
    with pytest.raises(ValueError, match="--target-clip-skip"):
        glue(PROMPTS, clip_skip=1, num_inference_steps=1)
    pipeline.text_encoder.peft_config = {"default": "a LoRA"}  # what loading a LoRA leaves
    try:
        with pytest.raises(ValueError, match="carries a LoRA.*fuse_lora"):
            glue_for(pipeline, models, "generator")
    finally:
        del pipeline.text_encoder.peft_config


def test_sd_and_sdxl_draw_without_their_text_encoders(sdxl, models):
    """The shape check reads the UNet's config; the pipeline needs no text encoder."""
    from diffusers import StableDiffusionPipeline

    base, _ = sdxl
    loaded = glue_for(base, models, "source")  # the GlueNet for the full pipeline
    without = StableDiffusionXLPipeline(
        **{**base.components, "text_encoder": None, "text_encoder_2": None}
    )
    without.set_progress_bar_config(disable=True)
    assert pipeline_text_shape(without).pooled == pipeline_text_shape(base).pooled
    glue = GlueGenPipeline(without, loaded.encoder, loaded.gluenets["*"])
    assert glue(PROMPTS, num_inference_steps=1, output_type="latent").images.shape[0] == 2
    with pytest.raises(ValueError, match="Mixing with text needs the pipeline's own text"):
        glue(PROMPTS, text=["on the left"] * 2, num_inference_steps=1)
    with pytest.raises(ValueError, match='unconditional="generator" needs'):
        GlueGenPipeline(without, loaded.encoder, loaded.gluenets["*"], unconditional="generator")
    sd = StableDiffusionPipeline.from_pretrained(models["sd"], text_encoder=None)
    sd.set_progress_bar_config(disable=True)
    shape = pipeline_text_shape(sd)
    assert (shape.width, shape.pooled) == (sd.unet.config.cross_attention_dim, None)


def test_sdxl_images_per_prompt_and_negative_prompts_in_words(sdxl, models):
    pipeline, _ = sdxl
    glue = glue_for(pipeline, models, "generator")
    keys = glue.route(PROMPTS)
    glued = glue.encode(PROMPTS, keys)
    words = ["blurry", "dark"]
    call = {"num_inference_steps": 1, "generator": torch.Generator().manual_seed(0)}
    for reader, negative in (
        ("source", glue.encode_features(glue.encoder.encode(words).hidden, keys)),
        ("generator", glue._own(words, glued.hidden)),
    ):
        seen = received_by_the_denoiser(
            pipeline,
            lambda reader=reader: glue(
                PROMPTS,
                num_images_per_prompt=2,
                negative_prompt=words,
                negative_encoder=reader,
                output_type="latent",
                **call,
            ),
        )
        states, pooled = seen[0]
        twice = [f.repeat_interleave(2, dim=0) for f in (negative.hidden, glued.hidden)]
        assert torch.equal(states, torch.cat(twice))
        twice = [f.repeat_interleave(2, dim=0) for f in (negative.pooled, glued.pooled)]
        assert torch.equal(pooled, torch.cat(twice))
