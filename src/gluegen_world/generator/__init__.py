"""The world's generator: a complete, tiny `StableDiffusionPipeline` trained here.

    renders of training-split scenes -> AutoencoderKL (one block: scale factor 1) -> latents
    English captions -> world CLIPTokenizer -> CLIPTextModel (pretrained, then frozen)
                                                  -> UNet2DConditionModel (v-prediction)
    -> EMA weights -> StableDiffusionPipeline folder (DDIM, trailing spacing, zero terminal SNR)

There is no pretrained CLIP here, so the world makes its own first: the text encoder learns to
name the attributes of the scene a caption describes (the world's stand-in for CLIP's
image-text pretraining, on captions of every combination, as CLIP saw the whole web), and is
then frozen, as Stable Diffusion freezes CLIP. The UNet sees only training-split scenes.
Besides cross-attention at 8x8, the UNet pools the caption into its time embedding
(diffusers' `addition_embed_type="text"`), which reaches every block at every resolution.

Training runs in stages inside a work folder (autoencoder, text encoder, UNet checkpoints);
a stopped run resumes from the last finished stage or checkpoint, with the same result.

Notation: b - batch, c - channels, h, w - image side, n - tokens, d - text width.
"""

from gluegen_world.generator.draw import (
    DRAW_BATCH,
    GENERATOR_GUIDANCE,
    GENERATOR_STEPS,
    draw_batches,
    draw_prompts,
    evaluate_generator,
)
from gluegen_world.generator.settings import GeneratorTraining
from gluegen_world.generator.text import (
    CAPTION_GROUPS,
    caption_targets,
    tokenize,
    world_tokenizer,
    world_words,
)
from gluegen_world.generator.train import train_generator

__all__ = [
    "CAPTION_GROUPS",
    "DRAW_BATCH",
    "GENERATOR_GUIDANCE",
    "GENERATOR_STEPS",
    "GeneratorTraining",
    "caption_targets",
    "draw_batches",
    "draw_prompts",
    "evaluate_generator",
    "tokenize",
    "train_generator",
    "world_tokenizer",
    "world_words",
]
