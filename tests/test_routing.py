"""Routing prompts by language: lingua over every language, a prompt with no GlueNet to the
shared one, else to the generator's own encoder in its language, else refused."""

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline

pytest.importorskip("lingua", reason="pip install 'gluegen[languages]'")

from test_pipeline import gluenet_for, unet_states  # noqa: E402

from gluegen.encoders.text import HFTextEncoder  # noqa: E402
from gluegen.pipelines import GENERATOR, GlueGenPipeline, generator_conditioning  # noqa: E402
from gluegen.pipelines.routing import Route, Router  # noqa: E402
from gluegen.testing import save_sd_pipeline, save_xlmr  # noqa: E402

ENGLISH = "a big orange diamond on the right"
FRENCH = "une grande étoile rouge à gauche"
SPANISH = "un gran cuadrado rojo a la izquierda"
CALL = {"num_inference_steps": 2, "output_type": "np"}


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    root = tmp_path_factory.mktemp("routing")
    sd = StableDiffusionPipeline.from_pretrained(save_sd_pipeline(root / "sd"))
    sd.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(str(save_xlmr(root / "xlmr")), max_length=16)
    return sd, encoder


def test_a_prompt_goes_to_its_gluenet_the_shared_one_the_generator_or_is_refused():
    french_only = Router(["fr"])
    assert french_only.route(FRENCH) == Route("fr", "fr")
    assert french_only.route(ENGLISH) == Route(GENERATOR, "en")  # not the nearest loaded one
    with pytest.raises(ValueError, match=r"reads as 'es', which has no GlueNet; loaded: \['fr'\]"):
        french_only.route(SPANISH)
    shared = Router(["fr", "*"])
    assert shared.route(SPANISH) == Route("*", "es")
    assert shared.route(ENGLISH) == Route("*", "en")  # the shared GlueNet before the generator
    assert Router(["fr"], generator_language=None).route(FRENCH).key == "fr"
    with pytest.raises(ValueError, match="reads as 'en'"):
        Router(["fr"], generator_language=None).route(ENGLISH)
    assert french_only.given("en") == Route(GENERATOR, "en")
    with pytest.raises(ValueError, match=r"No GlueNet for 'de'; loaded: \['fr'\], and 'en'"):
        french_only.given("de")
    with pytest.raises(ValueError, match="ISO 639-1"):
        Router(["french"])


def test_a_near_tie_goes_to_the_loaded_language():
    # lingua alone reads it as English 0.077, French 0.070
    tie = "il y a un grand triangle violet en bas"
    assert Router(["fr"], prior=1.0).route(tie).key == GENERATOR
    assert Router(["fr"]).route(tie) == Route("fr", "fr")


def test_a_caller_who_knows_the_languages_gets_the_likeliest_loaded_one():
    # lingua reads this Spanish prompt as Swahili, even with the loaded languages' prior
    misread = "hay un gran rombo naranja arriba"
    six = Router(["zh", "fr", "es", "it", "ja", "de"])
    assert six.language_of(misread) == "sw"
    with pytest.raises(ValueError, match="reads as 'sw'"):
        six.route(misread)
    assert six.likeliest_loaded(misread) == "es"
    assert Router(["fr", "de"]).likeliest_loaded(SPANISH) in ("fr", "de")
    with pytest.raises(ValueError, match="No language's GlueNet"):
        Router(["*"]).likeliest_loaded(SPANISH)


def test_sounds_go_to_the_shared_or_only_gluenet():
    sound = np.zeros(8, dtype=np.float32)
    assert Router(["*"]).route(sound) == Route("*")
    assert Router(["fr", "*"]).route(sound).key == "*"
    with pytest.raises(ValueError, match="Cannot tell"):
        Router(["fr", "zh"]).route(sound)


@pytest.mark.parametrize("unconditional", ["source", "generator"])
def test_an_english_prompt_draws_as_the_generator_draws_it(parts, unconditional):
    sd, encoder = parts
    glue = GlueGenPipeline(sd, encoder, {"fr": gluenet_for(sd, encoder)}, unconditional)
    seeded = {**CALL, "num_images_per_prompt": 2}
    drawn = glue(ENGLISH, generator=torch.Generator().manual_seed(0), **seeded).images
    own = sd(ENGLISH, generator=torch.Generator().manual_seed(0), **seeded).images
    assert np.array_equal(drawn, own)


def test_a_batch_mixes_gluenet_rows_and_the_generators_rows(parts):
    sd, encoder = parts
    french = gluenet_for(sd, encoder)
    glue = GlueGenPipeline(sd, encoder, {"fr": french}, unconditional="source")
    prompts = [ENGLISH, FRENCH]
    assert glue.route(prompts) == [GENERATOR, "fr"]
    negative = {"negative_prompt": "flou", "negative_encoder": "source"}
    with pytest.warns(UserWarning, match="cut off"):  # toy vocabulary: French spelt by letter
        states = unet_states(sd, lambda: glue(prompts, **negative, **CALL))
    negative, positive = states[0][:2], states[0][2:]  # the negatives come first
    glued = french.translate(encoder.encode([FRENCH]).hidden)
    assert torch.equal(positive[0], generator_conditioning(sd, [ENGLISH]).hidden[0])
    assert torch.allclose(positive[1], glued[0], atol=1e-6)
    # the English prompt's negative is read by the generator, the French one's by its GlueNet
    assert torch.equal(negative[0], generator_conditioning(sd, ["flou"]).hidden[0])
    assert torch.allclose(negative[1], french.translate(encoder.encode(["flou"]).hidden)[0])


def test_the_generator_route_needs_its_text_encoder(parts):
    sd, encoder = parts
    bare = StableDiffusionPipeline(**{**sd.components, "text_encoder": None})
    glue = GlueGenPipeline(bare, encoder, {"fr": gluenet_for(sd, encoder)})
    with pytest.raises(ValueError, match="loaded without text_encoder.*a GlueNet for 'en' or"):
        glue(ENGLISH, **CALL)


def test_lingua_loads_once_a_process_and_a_missing_lingua_is_named(monkeypatch):
    """`load_detector_early` starts one load a process (a command starts it before its models
    load); a missing lingua is named with the extra and the flag, and tried again when asked."""
    import sys

    from gluegen.pipelines import routing

    monkeypatch.setattr(routing, "_loading", None)  # this process's detector is put back after
    monkeypatch.setitem(sys.modules, "lingua", None)
    with pytest.raises(ImportError, match=r"gluegen\[languages\].*--language"):
        routing.all_languages_detector()
    monkeypatch.setattr(routing, "_load_detector", lambda future: future.set_result("detector"))
    assert routing.all_languages_detector() == "detector"  # the failed load is not kept
    assert routing.load_detector_early() is routing.load_detector_early()
