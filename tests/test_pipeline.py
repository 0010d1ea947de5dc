"""GlueGenPipeline: inputs -> source encoder -> GlueNet -> prompt_embeds -> a diffusers pipeline."""

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

from gluegen.encoders.text import HFTextEncoder
from gluegen.models import GlueNetEnsemble
from gluegen.models.gluenet import GlueNet, GlueNetConfig
from gluegen.pipelines.glue import GlueGenPipeline, pipeline_text_shape
from gluegen.testing import save_sd_pipeline, save_sdxl_pipeline, save_xlmr

SOURCE_TOKENS = 16


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    sd = StableDiffusionPipeline.from_pretrained(save_sd_pipeline(root / "sd"))
    sd.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(str(save_xlmr(root / "xlmr")), max_length=SOURCE_TOKENS)
    return sd, encoder, root


def gluenet_for(pipeline, encoder, **overrides):
    shape = pipeline_text_shape(pipeline)
    tokens, width, pooled = shape.tokens, shape.width, shape.pooled
    config = GlueNetConfig(
        source_tokens=encoder.num_tokens,
        source_dim=encoder.dim,
        target_tokens=tokens,
        target_dim=width,
        pooled_dim=pooled,
        source_blocks=1,
        target_blocks=1,
    )
    torch.manual_seed(0)
    return GlueNet(GlueNetConfig(**{**config.__dict__, **overrides}))


@pytest.mark.parametrize("unconditional", ["source", "generator"])
def test_the_denoiser_receives_exactly_the_glued_embeds(parts, unconditional):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder), unconditional=unconditional)
    prompts = ["a red circle", "two big star"]
    received = []
    hook = sd.unet.register_forward_pre_hook(
        lambda module, args, kwargs: received.append(kwargs["encoder_hidden_states"]),
        with_kwargs=True,
    )
    try:
        images = glue(
            prompts,
            num_images_per_prompt=2,
            num_inference_steps=2,
            generator=torch.Generator().manual_seed(0),
            output_type="np",
        ).images
    finally:
        hook.remove()
    assert images.shape == (4, 16, 16, 3) and np.isfinite(images).all()
    embeds = glue.encode(prompts).hidden
    negative = glue.unconditional_embeds(glue.route(prompts)).hidden
    # classifier-free guidance: the negatives, then the prompts, each twice (2 images a prompt)
    expected = torch.cat([negative.repeat_interleave(2, 0), embeds.repeat_interleave(2, 0)])
    assert len(received) == 2 and all(torch.equal(states, expected) for states in received)


def test_embeds_are_the_gluenets_translation(parts):
    sd, encoder, _ = parts
    gluenet = gluenet_for(sd, encoder)
    glue = GlueGenPipeline(sd, encoder, gluenet)
    glued = glue.encode(["a big star"])
    embeds, pooled = glued.hidden, glued.pooled
    expected = gluenet.translate(encoder.encode(["a big star"]).hidden)
    assert torch.equal(embeds, expected) and pooled is None
    negative = glue.unconditional_embeds(["*"] * 3).hidden
    assert negative.shape == (3, *embeds.shape[1:])
    assert torch.equal(negative[2], glue.encode([""]).hidden[0])


def test_generator_unconditional_is_the_pipelines_empty_prompt(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder), unconditional="generator")
    negative = glue.unconditional_embeds(["*"] * 2).hidden
    own = sd.encode_prompt("", "cpu", 1, False)[0]
    assert torch.equal(negative[1], own[0])


def test_bad_inputs_are_clear_errors(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder))
    with pytest.raises(ValueError, match="empty prompt"):
        glue(["a star", "  "])
    with pytest.raises(ValueError, match="No inputs"):
        glue([])
    with pytest.raises(ValueError, match="computed by GlueGen"):
        glue("a star", prompt_embeds=torch.zeros(1))
    with pytest.raises(ValueError, match="No inputs"):
        glue()
    with pytest.raises(ValueError, match="once: as inputs or as prompt="):
        glue("a star", prompt="a star")


def test_prompt_is_taken_as_diffusers_names_it(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder))
    settings = {"num_inference_steps": 1, "output_type": "np"}
    named = glue(prompt="a red star", generator=torch.Generator().manual_seed(0), **settings)
    given = glue("a red star", generator=torch.Generator().manual_seed(0), **settings)
    assert np.array_equal(named.images, given.images)
    with pytest.raises(ValueError, match="unconditional"):
        GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder), unconditional="zeros")


def test_long_prompt_is_truncated_with_a_warning(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder))
    with pytest.warns(UserWarning, match="cut off"):
        embeds = glue.encode([" ".join(["red circle"] * 10)]).hidden
    assert embeds.shape[0] == 1


def test_gluenet_for_another_generator_fails_before_drawing(parts):
    sd, encoder, _ = parts
    with pytest.raises(ValueError, match="another generator"):
        GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder, target_dim=24))
    with pytest.raises(ValueError, match="trained on"):
        GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder, source_tokens=SOURCE_TOKENS + 1))


def test_sdxl_needs_a_pooled_head(parts):
    _, encoder, root = parts
    sdxl = StableDiffusionXLPipeline.from_pretrained(save_sdxl_pipeline(root / "sdxl"))
    shape = pipeline_text_shape(sdxl)
    tokens, width, pooled = shape.tokens, shape.width, shape.pooled
    assert pooled is not None
    with pytest.raises(ValueError, match="pooled"):
        GlueGenPipeline(sdxl, encoder, gluenet_for(sdxl, encoder, pooled_dim=None))
    glue = GlueGenPipeline(sdxl, encoder, gluenet_for(sdxl, encoder))
    glued = glue.encode(["a star"])
    embeds, pooled_embeds = glued.hidden, glued.pooled
    assert embeds.shape == (1, tokens, width) and pooled_embeds.shape == (1, pooled)


def test_one_input_or_a_list():
    from pathlib import Path

    from gluegen.pipelines.glue import as_batch

    sound = np.zeros(4, dtype=np.float32)
    assert as_batch("a star") == ["a star"]
    assert as_batch(Path("a.wav")) == [Path("a.wav")]
    assert len(as_batch(sound)) == 1 and len(as_batch((sound, 8000))) == 1
    assert len(as_batch(["a", "b"])) == 2 and len(as_batch([(sound, 8000), sound])) == 2


def test_each_prompt_goes_through_the_gluenet_of_its_language(parts):
    sd, encoder, _ = parts
    english, french = gluenet_for(sd, encoder), gluenet_for(sd, encoder)
    for parameter in french.parameters():  # tell them apart
        torch.nn.init.normal_(parameter, std=0.1)
    glue = GlueGenPipeline(sd, encoder, {"en": english, "fr": french})
    prompts = ["there is a big red star on the left", "il y a une grande étoile rouge à gauche"]
    assert glue.route(prompts) == ["en", "fr"]
    assert glue.route(prompts, language="fr") == ["fr", "fr"]
    with pytest.warns(UserWarning, match="cut off"):  # toy vocabulary: French spelt by letter
        embeds = glue.encode(prompts).hidden
    source = encoder.encode(prompts).hidden
    assert torch.allclose(embeds[0], english.translate(source[:1])[0], atol=1e-6)
    assert torch.allclose(embeds[1], french.translate(source[1:])[0], atol=1e-6)
    negative = glue.unconditional_embeds(["en", "fr"]).hidden
    assert not torch.allclose(negative[0], negative[1])


def test_a_list_of_gluenets_for_a_language_draws_their_mean(parts):
    sd, encoder, _ = parts
    own, shared = gluenet_for(sd, encoder), gluenet_for(sd, encoder)
    for parameter in shared.parameters():  # tell them apart
        torch.nn.init.normal_(parameter, std=0.1)
    glue = GlueGenPipeline(sd, encoder, {"fr": [own, shared], "*": shared})
    assert isinstance(glue.gluenets["fr"], GlueNetEnsemble) and glue.gluenets["*"] is shared
    prompts = ["une étoile", "un cercle"]
    source = encoder.encode(prompts).hidden
    embeds = glue.encode(prompts, ["fr", "fr"]).hidden
    expected = (own.translate(source) + shared.translate(source)) / 2
    assert torch.allclose(embeds, expected, atol=1e-6)
    negative = glue.unconditional_embeds(["fr"]).hidden  # the empty input through both, too
    empty = encoder.encode([""]).hidden
    assert torch.allclose(negative, (own.translate(empty) + shared.translate(empty)) / 2)
    with pytest.raises(ValueError, match="The GlueNet for 'fr' is a str"):
        GlueGenPipeline(sd, encoder, {"fr": "runs/fr/gluenet"})
    other = gluenet_for(sd, encoder, source_encoder={"name_or_path": "another"})
    with pytest.raises(ValueError, match="differs from the first"):
        GlueGenPipeline(sd, encoder, {"fr": [own, other]})


def test_unknown_languages_need_a_shared_gluenet(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(
        sd, encoder, {"en": gluenet_for(sd, encoder), "fr": gluenet_for(sd, encoder)}
    )
    with pytest.raises(ValueError, match="No GlueNet for 'de'"):
        glue.route(["ein roter Stern"], language="de")
    with pytest.raises(ValueError, match="Cannot tell"):
        glue.route([np.zeros(3)])
    shared = GlueGenPipeline(
        sd, encoder, {"fr": gluenet_for(sd, encoder), "*": gluenet_for(sd, encoder)}
    )
    assert shared.route(["a big red star on the left", "une étoile rouge"]) == ["*", "fr"]


def test_sound_and_text_mixes():
    from gluegen.pipelines.mixes import blend, offset, splice

    sound, text = torch.zeros(1, 12, 2), torch.ones(1, 12, 2)
    spliced = splice(sound, text, split=3)
    assert spliced.shape == (1, 12, 2)
    assert spliced[0, :3].eq(0).all() and spliced[0, 3:6].eq(1).all()
    assert spliced[0, 6:].eq(0.5).all()
    assert blend(sound, text, 0.25).eq(0.75).all()
    with pytest.raises(ValueError, match="split"):
        splice(sound, text, split=7)
    # offset: the text's offset from the empty prompt, added; every token keeps its norm
    sound = torch.randn(2, 12, 2)
    empty = torch.randn(1, 12, 2)
    text = empty + torch.randn(2, 12, 2)
    shifted = offset(sound, text, empty, 1.0)
    torch.testing.assert_close(shifted.norm(dim=-1), sound.norm(dim=-1))
    direction = torch.nn.functional.normalize(sound + (text - empty), dim=-1)
    torch.testing.assert_close(torch.nn.functional.normalize(shifted, dim=-1), direction)
    torch.testing.assert_close(offset(sound, empty.expand(2, -1, -1), empty), sound)
    torch.testing.assert_close(offset(sound, text, empty, 0.0), sound)
    with pytest.raises(ValueError, match="weight"):
        offset(sound, text, empty, -1.0)


def test_inputs_mixed_with_text_draw(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder))
    glued = glue.encode(["a red star"])
    embeds = glued.hidden
    mixed = glue.mix_with_text(glued, ["on the left"], mix="blend", weight=0.0).hidden
    assert torch.allclose(mixed, sd.encode_prompt("on the left", "cpu", 1, False)[0])
    images = glue("a red star", text="on the left", num_inference_steps=2, output_type="np")
    assert images.images.shape == (1, 16, 16, 3)
    own_empty = sd.encode_prompt("", "cpu", 1, False)[0]
    unchanged = glue.mix_with_text(glued, [""], mix="offset").hidden  # empty text: nothing to add
    torch.testing.assert_close(unchanged, embeds)
    shifted = glue.mix_with_text(glued, ["on the left"], mix="offset", weight=2.0).hidden
    own = sd.encode_prompt("on the left", "cpu", 1, False)[0]
    expected = embeds + 2.0 * (own - own_empty)
    expected = expected * embeds.norm(dim=-1, keepdim=True) / expected.norm(dim=-1, keepdim=True)
    torch.testing.assert_close(shifted, expected)
    assert torch.equal(
        shifted,
        glue.mix_with_text(glued, ["on the left"], "offset", weight=2.0, against=[""]).hidden,
    )
    # measured from the alternatives' mean: what "on the left" says that "on the right" does not
    places = ["on the left", "on the right"]
    told_apart = glue.mix_with_text(glued, ["on the left"], "offset", against=places).hidden
    others = torch.cat([sd.encode_prompt(p, "cpu", 1, False)[0] for p in places])
    expected = embeds + (own - others.mean(0, keepdim=True))
    expected = expected * embeds.norm(dim=-1, keepdim=True) / expected.norm(dim=-1, keepdim=True)
    torch.testing.assert_close(told_apart, expected)
    drawn = glue("a red star", text="on the left", mix="offset", mix_against=places,
                 num_inference_steps=2, output_type="np")  # fmt: skip
    assert drawn.images.shape == (1, 16, 16, 3)
    with pytest.raises(ValueError, match="one text per input"):
        glue.mix_with_text(glued, ["a", "b"])
    for mix, against in (("blend", places), ("offset", [])):
        with pytest.raises(ValueError, match="against names the texts"):
            glue.mix_with_text(glued, ["on the left"], mix, against=against)


def test_a_sound_pipelines_empty_input_is_silence(parts):
    from gluegen.encoders.audio import HFAudioEncoder
    from gluegen_world.models import shipped_model

    sd, _, _ = parts
    sound = HFAudioEncoder(str(shipped_model("sound")))
    glue = GlueGenPipeline(sd, sound, gluenet_for(sd, sound), unconditional="source")
    negative = glue.unconditional_embeds(["*"]).hidden
    gluenet = glue.gluenets["*"]
    torch.testing.assert_close(negative, gluenet.translate(sound.empty_features(1).hidden))


def unet_states(pipeline, draw):
    """The encoder_hidden_states the UNet receives at each step of `draw()`."""
    received = []
    hook = pipeline.unet.register_forward_pre_hook(
        lambda module, args, kwargs: received.append(kwargs["encoder_hidden_states"]),
        with_kwargs=True,
    )
    try:
        draw()
    finally:
        hook.remove()
    return received


COMMUNITY = """
from diffusers import StableDiffusionPipeline


class LongPromptPipeline(StableDiffusionPipeline):
    pass
"""


def test_subclasses_and_community_pipelines_of_sd_are_recognised_and_exact(parts, tmp_path):
    from diffusers import DiffusionPipeline

    sd, encoder, root = parts
    gluenet = gluenet_for(sd, encoder)

    class RenamedPipeline(StableDiffusionPipeline):  # a user's subclass under another name
        pass

    (tmp_path / "long_prompt.py").write_text(COMMUNITY)
    community = DiffusionPipeline.from_pretrained(
        str(root / "sd"), custom_pipeline=str(tmp_path / "long_prompt.py"), trust_remote_code=True
    )
    assert type(community).__name__ == "LongPromptPipeline"
    call = {"num_inference_steps": 2, "output_type": "np"}
    expected = GlueGenPipeline(sd, encoder, gluenet)(
        ["a red circle"], generator=torch.Generator().manual_seed(0), **call
    ).images
    for pipeline in (RenamedPipeline(**sd.components), community):
        pipeline.set_progress_bar_config(disable=True)
        images = GlueGenPipeline(pipeline, encoder, gluenet)(
            ["a red circle"], generator=torch.Generator().manual_seed(0), **call
        ).images
        assert np.array_equal(images, expected)


def test_a_pipeline_without_text_conditioning_is_refused_by_name(parts):
    from diffusers import StableDiffusionImageVariationPipeline

    sd, encoder, _ = parts
    variation = object.__new__(StableDiffusionImageVariationPipeline)  # its class is what counts
    with pytest.raises(ValueError, match="StableDiffusionImageVariationPipeline takes no text"):
        GlueGenPipeline(variation, encoder, gluenet_for(sd, encoder))


def test_negative_prompts_in_words_reach_the_unet(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder), unconditional="generator")
    prompts, words = ["a red circle", "two big star"], ["blurry", "dark"]
    keys = glue.route(prompts)
    call = {"num_inference_steps": 1, "output_type": "latent"}
    for reader, expected in (
        ("source", glue.encode_features(encoder.encode(words).hidden, keys).hidden),
        ("generator", glue._own(words, glue.encode(prompts).hidden).hidden),
    ):
        states = unet_states(
            sd,
            lambda reader=reader: glue(
                prompts, negative_prompt=words, negative_encoder=reader, **call
            ),
        )
        assert torch.equal(states[0][:2], expected)  # the negatives come first


@pytest.mark.parametrize(
    "call, message",
    [
        ({"guidance_scale": float("nan")}, "guidance_scale must be a finite number"),
        ({"guidance_scale": float("inf")}, "guidance_scale must be a finite number"),
        ({"num_inference_steps": 0}, "num_inference_steps must be a whole number >= 1"),
        ({"num_images_per_prompt": 0}, "num_images_per_prompt must be a whole number >= 1"),
        ({"strength": 1.5}, r"strength must be in \(0.0, 1.0\]"),
    ],
)
def test_settings_a_pipeline_would_misuse_are_refused(parts, call, message):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder))
    with pytest.raises(ValueError, match=message):
        glue(["a red circle"], **call)


def test_a_text_encoder_lora_loaded_after_construction_is_refused_at_the_call(parts):
    sd, encoder, _ = parts
    glue = GlueGenPipeline(sd, encoder, gluenet_for(sd, encoder), unconditional="generator")
    sd.text_encoder.peft_config = {"default": "a LoRA"}  # what loading a LoRA leaves
    try:
        with pytest.raises(ValueError, match="carries a LoRA"):
            glue(["a red circle"], num_inference_steps=1)
    finally:
        del sd.text_encoder.peft_config
