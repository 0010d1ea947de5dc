"""Every preset at its real size: the GlueNet of the recipe's shapes trains a step and draws a
denoising step through its family's real pipeline class.

The text encoders have their real widths (one layer, a toy vocabulary) and the denoisers read
their real conditioning shapes (but are one small layer): the shapes a preset names are checked
against what the family's pipeline actually produces, not taken on trust.
"""

import pytest
import torch
from diffusers import DiffusionPipeline

from gluegen.encoders import HFTextEncoder, load_target
from gluegen.models import GlueNet
from gluegen.pipelines import GlueGenPipeline
from gluegen.recipes import get_recipe
from gluegen.testing import (
    EncoderSize,
    save_flux_pipeline,
    save_pixart_pipeline,
    save_sd3_pipeline,
    save_sd_pipeline,
    save_sdxl_pipeline,
    save_xlmr,
)
from gluegen.training.objective import GlueObjective, head_targets

pytestmark = pytest.mark.slow


def width(hidden: int) -> EncoderSize:
    """A one-layer encoder of a real width (77 positions, a head per 64 channels)."""
    return EncoderSize(hidden=hidden, layers=1, heads=hidden // 64, max_tokens=77)


CLIP_L, OPENCLIP_H, OPENCLIP_G, XLMR_LARGE, T5_XXL = 768, 1024, 1280, 1024, 4096
PIPELINES = {  # preset -> folder builder with the real text widths of its family
    "paper-multilingual": lambda folder: save_sd_pipeline(folder, width(CLIP_L)),
    "sd1-multilingual": lambda folder: save_sd_pipeline(folder, width(CLIP_L)),
    "paper-audio": lambda folder: save_sd_pipeline(folder, width(CLIP_L)),
    "sd2-multilingual": lambda folder: save_sd_pipeline(folder, width(OPENCLIP_H)),
    "sdxl-multilingual": lambda folder: save_sdxl_pipeline(
        folder, width(CLIP_L), size_2=width(OPENCLIP_G)
    ),
    "sd3-multilingual": lambda folder: save_sd3_pipeline(
        folder, width(CLIP_L), size_2=width(OPENCLIP_G), t5_size=width(T5_XXL)
    ),
    "pixart-multilingual": lambda folder: save_pixart_pipeline(folder, width(T5_XXL)),
    "flux-multilingual": lambda folder: save_flux_pipeline(
        folder, width(CLIP_L), t5_size=width(T5_XXL)
    ),
}
PROMPTS = ["a big red star on the left", "two small blue circles"]
DRAW = {"num_inference_steps": 1, "height": 16, "width": 16, "output_type": "latent"}


@pytest.fixture(scope="module")
def source_folder(tmp_path_factory):
    return str(save_xlmr(tmp_path_factory.mktemp("xlmr-large") / "xlmr", width(XLMR_LARGE)))


@pytest.mark.parametrize("preset", list(PIPELINES))
def test_a_preset_at_real_size_trains_a_step_and_draws_a_step(preset, source_folder, tmp_path):
    torch.set_num_threads(1)
    recipe = get_recipe(preset)
    folder = str(PIPELINES[preset](tmp_path / "pipeline"))
    target = load_target(folder)
    # the source: XLM-R-large's 77 tokens, or (audio) one 1024-wide embedding
    audio = recipe.layout["source_tokens"] == 1
    encoder = HFTextEncoder(source_folder, pooling="mean" if audio else None)
    made_for = recipe.gluenet_config()
    features = target.encode(PROMPTS)
    assert (encoder.num_tokens, encoder.dim) == (made_for.source_tokens, made_for.source_dim)
    assert features.hidden.shape[1:] == (made_for.target_tokens, made_for.target_dim)
    assert target.pooled_dim == made_for.pooled_dim
    assert getattr(target, "masked", False) == made_for.target_mask

    # one training step of the whole objective
    torch.manual_seed(0)
    gluenet = GlueNet(made_for)
    objective = GlueObjective(gluenet, recipe.train_config(str(tmp_path)).weights)
    optimizer = torch.optim.Adam(objective.parameters(), lr=1e-4)
    cached = {
        "source": encoder.encode(PROMPTS).hidden,
        "target": features.hidden,
        "target_mask": features.mask,
    }
    if features.pooled is not None:
        cached["target_pooled"] = features.pooled
    source = gluenet.normalize_source(cached["source"])
    terms = objective(
        source,
        gluenet.normalize_target(cached["target"]),
        **head_targets(cached, gluenet, torch.device("cpu")),
    )
    before = [p.detach().clone() for p in gluenet.parameters()]
    sum(terms.values()).backward()
    optimizer.step()
    assert all(torch.isfinite(value) for value in terms.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, gluenet.parameters(), strict=True))
    expected_terms = {"align_loss"}
    expected_terms |= {"adv_loss"} if objective.weights.adversarial > 0 else set()
    expected_terms |= {"rec_loss"} if objective.decoder is not None else set()
    expected_terms |= {"pooled_loss"} if made_for.pooled_dim else set()
    expected_terms |= {"mask_loss"} if made_for.target_mask else set()
    assert set(terms) == expected_terms

    # one denoising step through the family's pipeline, guided by the glued conditioning
    pipeline = DiffusionPipeline.from_pretrained(folder)
    pipeline.set_progress_bar_config(disable=True)
    glue = GlueGenPipeline(pipeline, encoder, gluenet.eval())
    extra = {"use_resolution_binning": False} if preset.startswith("pixart") else {}
    latents = glue(PROMPTS, guidance_scale=2.0, **DRAW, **extra).images
    assert latents.shape[0] == len(PROMPTS) and torch.isfinite(latents).all()
