"""SD3, PixArt and Flux (tiny random pipelines of the real classes): the cached targets equal
the pipeline's own encode_prompt, the denoiser receives exactly the glued conditioning in both
unconditional modes, and what cannot work is refused with a message."""

import json

import pytest
import torch
from diffusers import DiffusionPipeline

from gluegen.encoders import HFTextEncoder, load_target
from gluegen.encoders.families import family_of
from gluegen.models import GlueNet, GlueNetConfig
from gluegen.pipelines import GlueGenPipeline
from gluegen.testing import save_flux_pipeline, save_pixart_pipeline, save_sd3_pipeline

PROMPTS = ["a big red star", "two small blue circle on the left"]
T5_TOKENS = 6  # max_sequence_length: the T5 tokens of every tiny target
EPOCHS = 30  # training a GlueNet on 48 toy pairs
BUILDERS = {"sd3": save_sd3_pipeline, "pixart": save_pixart_pipeline, "flux": save_flux_pipeline}
DRAW = {"num_inference_steps": 2, "height": 16, "width": 16, "output_type": "latent"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("t5-families")
    return {name: str(build(root / name)) for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def pipelines(folders):
    loaded = {}
    for name, folder in folders.items():
        loaded[name] = DiffusionPipeline.from_pretrained(folder)
        loaded[name].set_progress_bar_config(disable=True)
    return loaded


@torch.no_grad()  # as the pipeline's __call__ runs it
def own_encode_prompt(name, pipeline):
    """(embeds, mask or None, pooled or None): the pipeline's encode_prompt, called directly."""
    options = {"device": "cpu", "max_sequence_length": T5_TOKENS}
    if name == "sd3":
        embeds, _, pooled, _ = pipeline.encode_prompt(
            PROMPTS, PROMPTS, PROMPTS, do_classifier_free_guidance=False, **options
        )
        return embeds, None, pooled
    if name == "pixart":
        embeds, mask, _, _ = pipeline.encode_prompt(
            PROMPTS, do_classifier_free_guidance=False, clean_caption=False, **options
        )
        return embeds, mask, None
    embeds, pooled, _ = pipeline.encode_prompt(PROMPTS, PROMPTS, **options)
    return embeds, None, pooled


@pytest.mark.parametrize("name", list(BUILDERS))
def test_cached_targets_are_the_pipelines_own_encode_prompt(name, folders, pipelines):
    target = load_target(folders[name], max_sequence_length=T5_TOKENS)
    features = target.encode(PROMPTS)
    embeds, mask, pooled = own_encode_prompt(name, pipelines[name])
    assert (target.num_tokens, target.dim) == embeds.shape[1:]
    assert torch.equal(features.hidden, embeds)  # max |diff| 0
    if pooled is not None:
        assert target.pooled_dim == pooled.shape[1] and torch.equal(features.pooled, pooled)
    if mask is not None:
        assert target.masked and torch.equal(features.mask, mask)
        assert features.mask[0].tolist() != features.mask[1].tolist()  # lengths differ
    assert target.identity()["max_sequence_length"] == T5_TOKENS


def test_the_default_sequence_length_is_the_pipelines_own(folders):
    lengths = {name: load_target(folder).max_sequence_length for name, folder in folders.items()}
    assert lengths == {"sd3": 256, "pixart": 120, "flux": 512}


def test_sd3_without_t5_caches_zeros_for_the_t5_tokens(folders, pipelines, tmp_path):
    full = pipelines["sd3"]
    without = DiffusionPipeline.from_pretrained(
        folders["sd3"], text_encoder_3=None, tokenizer_3=None
    )
    without.save_pretrained(tmp_path / "sd3-no-t5")
    features = load_target(str(tmp_path / "sd3-no-t5"), max_sequence_length=T5_TOKENS).encode(
        PROMPTS
    )
    clip_tokens = full.tokenizer_max_length
    assert not features.hidden[:, clip_tokens:].any()
    with torch.no_grad():
        expected = without.encode_prompt(
            PROMPTS, None, None, device="cpu", do_classifier_free_guidance=False,
            max_sequence_length=T5_TOKENS,
        )[0]  # fmt: skip
    assert torch.equal(features.hidden, expected)


def gluenet_for(name, folder, encoder, **overrides):
    target = load_target(folder, max_sequence_length=T5_TOKENS)
    torch.manual_seed(0)
    config = GlueNetConfig(
        source_tokens=encoder.num_tokens,
        source_dim=encoder.dim,
        target_tokens=target.num_tokens,
        target_dim=target.dim,
        pooled_dim=target.pooled_dim,
        target_mask=family_of(target.pipeline_class).masked,
        source_blocks=1,
    )
    gluenet = GlueNet(GlueNetConfig(**{**vars(config), **overrides}))
    if gluenet.mask_head is not None:  # some tokens attended, some not
        torch.nn.init.normal_(gluenet.mask_head.weight, std=3.0)
    return gluenet


# the denoiser's keyword arguments that carry the conditioning
RECEIVED = {
    "sd3": ("encoder_hidden_states", "pooled_projections"),
    "pixart": ("encoder_hidden_states", "encoder_attention_mask"),
    "flux": ("encoder_hidden_states", "pooled_projections"),
}


def received_by_the_transformer(pipeline, names, draw):
    seen = []
    hook = pipeline.transformer.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append([kwargs[n] for n in names]), with_kwargs=True
    )
    try:
        draw()
    finally:
        hook.remove()
    return seen


@pytest.mark.parametrize("unconditional", ["source", "generator"])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_transformer_receives_exactly_the_glued_conditioning(
    name, unconditional, folders, pipelines, models
):
    pipeline = pipelines[name]
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    glue = GlueGenPipeline(
        pipeline, encoder, gluenet_for(name, folders[name], encoder), unconditional
    )
    glued, negative = glue.encode(PROMPTS), glue.unconditional_embeds(["*"] * len(PROMPTS))
    parts = {
        "encoder_hidden_states": (glued.hidden, negative.hidden),
        "pooled_projections": (glued.pooled, negative.pooled),
        "encoder_attention_mask": (glued.mask, negative.mask),
    }
    guidance = {"true_cfg_scale": 2.0} if name == "flux" else {"guidance_scale": 2.0}
    if name == "pixart":  # its resolution bins know only its real sizes
        guidance["use_resolution_binning"] = False
    seen = received_by_the_transformer(
        pipeline,
        RECEIVED[name],
        lambda: glue(PROMPTS, generator=torch.Generator().manual_seed(0), **guidance, **DRAW),
    )
    if name == "flux":  # true CFG: the prompts' call, then the negatives', every step
        expected = [[parts[n][0] for n in RECEIVED[name]], [parts[n][1] for n in RECEIVED[name]]]
        expected = expected * DRAW["num_inference_steps"]
    else:  # the negatives and the prompts in one batch
        batch = [torch.cat([parts[n][1], parts[n][0]]) for n in RECEIVED[name]]
        expected = [batch] * DRAW["num_inference_steps"]
    assert len(seen) == len(expected)
    for received, wanted in zip(seen, expected, strict=True):
        for got, want in zip(received, wanted, strict=True):
            assert torch.equal(got, want.to(got.dtype))
    if name == "pixart":  # the mask head decides the attended tokens: a prefix
        assert glued.mask[:, 0].all() and (glued.mask.diff(dim=1) <= 0).all()
    if unconditional == "generator":
        own = glue._own([""], glued.hidden)
        assert torch.equal(negative.hidden[0], own.hidden[0])


def test_what_cannot_work_is_refused_with_a_message(folders, pipelines, models, tmp_path):
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    with pytest.raises(ValueError, match="has no clip_skip"):
        load_target(folders["pixart"], clip_skip=1)
    with pytest.raises(ValueError, match="has no clip_skip"):
        load_target(folders["flux"], clip_skip=1)
    with pytest.raises(ValueError, match="fixed number of tokens"):
        load_target(models["sd"], max_sequence_length=8)
    with pytest.raises(ValueError, match="no mask head"):
        GlueGenPipeline(
            pipelines["pixart"],
            encoder,
            gluenet_for("pixart", folders["pixart"], encoder, target_mask=False),
        )
    for name in ("sd3", "flux"):
        with pytest.raises(ValueError, match="pooled embedding"):
            GlueGenPipeline(
                pipelines[name],
                encoder,
                gluenet_for(name, folders[name], encoder, pooled_dim=None),
            )
    with pytest.raises(ValueError, match="another generator"):
        GlueGenPipeline(
            pipelines["flux"], encoder, gluenet_for("sd3", folders["sd3"], encoder, pooled_dim=32)
        )
    glue = GlueGenPipeline(
        pipelines["pixart"], encoder, gluenet_for("pixart", folders["pixart"], encoder)
    )
    with pytest.raises(ValueError, match="prompt_attention_mask is computed by GlueGen"):
        glue(PROMPTS, prompt_attention_mask=torch.ones(2, 6))
    index = {"_class_name": "KandinskyV22Pipeline", "unet": ["diffusers", "UNet2DConditionModel"]}
    (tmp_path / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="is a KandinskyV22Pipeline: GlueGen does not produce"):
        load_target(str(tmp_path))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_gluegen_train_learns_every_part_the_family_needs(name, folders, models, tmp_path):
    from gluegen.data.spec import CacheSpec
    from gluegen.recipes import get_recipe
    from gluegen.testing import toy_sentences, write_text_pair
    from gluegen.training.run import prepare_run

    source, target = write_text_pair(tmp_path / "corpus", toy_sentences(64, seed=3))
    spec = CacheSpec(
        source_encoder=models["xlmr"],
        target=folders[name],
        corpus=str(source),
        corpus_target=str(target),
        source_max_length=8,
        target_max_sequence_length=T5_TOKENS,
    )
    recipe = get_recipe("world-language").with_overrides(epochs=EPOCHS, batch_size=8, holdout=0.25)
    trainer = prepare_run(spec, recipe, tmp_path / "run", progress=False)
    config = trainer.gluenet.config
    family = family_of(load_target(folders[name]).pipeline_class)
    assert config.target_mask == family.masked
    assert (config.pooled_dim is not None) == (name != "pixart")
    gluenet = trainer.run()
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    before, after = log[0]["initial_eval"], log[-1]["eval"]
    assert after["mse_normalized"] < 0.7 * before["mse_normalized"], (before, after)
    steps = [record for record in log if "loss" in record]
    if name != "pixart":  # the pooled head learns
        assert steps[-1]["pooled_loss"] < 0.5 * steps[0]["pooled_loss"]
    else:  # the mask head learns where each held-out prompt's tokens end
        assert after["mask_accuracy"] > 0.9 > before["mask_accuracy"], (before, after)
    assert gluenet.config.target_encoder["max_sequence_length"] == T5_TOKENS


@pytest.mark.parametrize(
    "name, encoders",
    [("sd3", ("text_encoder", "text_encoder_2", "text_encoder_3")), ("pixart", ("text_encoder",))]
    + [("flux", ("text_encoder", "text_encoder_2"))],
)
def test_drawing_needs_no_text_encoder(name, encoders, folders, models):
    """GlueNet gives the whole conditioning: the pipeline can leave T5 (and CLIP) unloaded."""
    without = {encoder: None for encoder in encoders}
    pipeline = DiffusionPipeline.from_pretrained(folders[name], **without)
    pipeline.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    glue = GlueGenPipeline(pipeline, encoder, gluenet_for(name, folders[name], encoder))
    extra = {"use_resolution_binning": False} if name == "pixart" else {}
    latents = glue(PROMPTS, **DRAW, **extra).images
    assert latents.shape[0] == len(PROMPTS) and torch.isfinite(latents).all()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_half_precision_pipeline_gets_its_own_dtype(name, folders, models):
    """GlueNet runs in float32; the denoiser may not (bf16/fp16 on a GPU): the conditioning
    is cast to the denoiser's dtype before the call."""
    pipeline = DiffusionPipeline.from_pretrained(folders[name], dtype=torch.bfloat16)
    pipeline.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    glue = GlueGenPipeline(pipeline, encoder, gluenet_for(name, folders[name], encoder))
    extra = {"use_resolution_binning": False} if name == "pixart" else {}
    latents = glue(PROMPTS, guidance_scale=2.0, **DRAW, **extra).images
    assert latents.dtype == torch.bfloat16 and torch.isfinite(latents.float()).all()


def drawn_conditioning(name, glue, pipeline, **call):
    """What the transformer receives in the first step of `glue(PROMPTS, **call)`."""
    guidance = {"true_cfg_scale": 2.0} if name == "flux" else {"guidance_scale": 2.0}
    if name == "pixart":
        guidance["use_resolution_binning"] = False
    seen = received_by_the_transformer(
        pipeline,
        RECEIVED[name],
        lambda: glue(
            PROMPTS, generator=torch.Generator().manual_seed(0), **guidance, **DRAW, **call
        ),
    )
    if name == "flux":  # the prompts' call, then the negatives'
        return seen[0], seen[1]
    halves = [part.chunk(2) for part in seen[0]]  # (negatives, prompts) in one batch
    return [h[1] for h in halves], [h[0] for h in halves]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_several_images_per_prompt_and_negative_prompts_in_words(name, folders, pipelines, models):
    pipeline = pipelines[name]
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    glue = GlueGenPipeline(
        pipeline, encoder, gluenet_for(name, folders[name], encoder), "generator"
    )
    keys = ["*"] * len(PROMPTS)
    glued, empty = glue.encode(PROMPTS), glue.unconditional_embeds(keys)
    parts = {
        "encoder_hidden_states": lambda f: f.hidden,
        "pooled_projections": lambda f: f.pooled,
        "encoder_attention_mask": lambda f: f.mask,
    }

    def expect(got, features, copies=1):
        for received, part in zip(got, RECEIVED[name], strict=True):
            want = parts[part](features).repeat_interleave(copies, dim=0)
            assert torch.equal(received, want.to(received.dtype)), part

    positive, negative = drawn_conditioning(name, glue, pipeline, num_images_per_prompt=2)
    expect(positive, glued, 2)  # each prompt's two images together, as the pipelines order them
    expect(negative, empty, 2)
    words = ["blurry", "dark"]
    _, negative = drawn_conditioning(
        name, glue, pipeline, negative_prompt=words, negative_encoder="source"
    )
    expect(negative, glue.encode_features(encoder.encode(words).hidden, keys))
    _, negative = drawn_conditioning(
        name, glue, pipeline, negative_prompt="blurry", negative_encoder="generator"
    )
    expect(negative, glue._own(["blurry"] * 2, glued.hidden))
    with pytest.raises(ValueError, match="negative_encoder='source'.*'generator'"):
        glue(PROMPTS, negative_prompt="blurry", **DRAW)


def test_flux_without_t5_is_refused_for_the_generators_unconditional(folders, models):
    pipeline = DiffusionPipeline.from_pretrained(
        folders["flux"], text_encoder_2=None, tokenizer_2=None
    )
    encoder = HFTextEncoder(models["xlmr"], max_length=8)
    gluenet = gluenet_for("flux", folders["flux"], encoder)
    with pytest.raises(ValueError, match="loaded without text_encoder_2"):
        GlueGenPipeline(pipeline, encoder, gluenet, unconditional="generator")
    GlueGenPipeline(pipeline, encoder, gluenet, unconditional="source")  # needs no text encoder
