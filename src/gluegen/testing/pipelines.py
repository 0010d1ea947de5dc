"""Tiny random diffusers pipelines of every family GlueGen draws with, saved as folders.

SD 1.x, SDXL, SD3, PixArt-alpha and Flux: the real pipeline classes with one-layer denoisers
and the tiny text encoders of models.py (CLIP and T5 with one token per toy word).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from gluegen.testing.models import EncoderSize, _clip_parts, _t5_parts


def _tiny_vae(latent_channels: int = 4, shift_factor: float | None = None):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(8,),
        in_channels=3,
        out_channels=3,
        latent_channels=latent_channels,
        shift_factor=shift_factor,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        norm_num_groups=4,
        layers_per_block=1,
        sample_size=16,
    )


def save_sd_pipeline(folder: str | Path, size: EncoderSize | None = None, seed: int = 0) -> Path:
    """A complete random StableDiffusionPipeline folder with a one-token-per-word CLIP."""
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    size = size or EncoderSize()
    tokenizer, text_encoder = _clip_parts(size, seed)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        layers_per_block=1,
        cross_attention_dim=size.hidden,
        attention_head_dim=2,
        norm_num_groups=4,
    )
    pipeline = StableDiffusionPipeline(
        vae=_tiny_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=DDIMScheduler(clip_sample=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder)
    return Path(folder)


def save_sdxl_pipeline(
    folder: str | Path,
    size: EncoderSize | None = None,
    seed: int = 0,
    size_2: EncoderSize | None = None,
) -> Path:
    """A complete random StableDiffusionXLPipeline folder (two CLIP text encoders, the second,
    of `size_2` (default `size`), projected to its own width for the pooled vector)."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    size = size or EncoderSize()
    size_2 = size_2 or size
    tokenizer, text_encoder = _clip_parts(size, seed)
    pooled_dim = size_2.hidden
    tokenizer_2, text_encoder_2 = _clip_parts(size_2, seed + 1, projection=pooled_dim)
    time_embed_dim = 8
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        layers_per_block=1,
        cross_attention_dim=size.hidden + size_2.hidden,
        attention_head_dim=2,
        norm_num_groups=4,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_embed_dim,
        projection_class_embeddings_input_dim=6 * time_embed_dim + pooled_dim,
    )
    pipeline = StableDiffusionXLPipeline(
        vae=_tiny_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=EulerDiscreteScheduler(),
        force_zeros_for_empty_prompt=True,
    )
    pipeline.save_pretrained(folder)
    return Path(folder)


def save_sd3_pipeline(
    folder: str | Path,
    size: EncoderSize | None = None,
    seed: int = 0,
    size_2: EncoderSize | None = None,
    t5_size: EncoderSize | None = None,
) -> Path:
    """A complete random StableDiffusion3Pipeline folder: CLIP-L (`size`), CLIP-G (`size_2`,
    default `size`), both projected, and a T5 (default twice their joint width, so that the
    CLIP tokens are zero-padded to T5's width as in SD3)."""
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        SD3Transformer2DModel,
        StableDiffusion3Pipeline,
    )

    size = size or EncoderSize()
    size_2 = size_2 or size
    clip_width = size.hidden + size_2.hidden
    t5_size = t5_size or dataclasses.replace(size, hidden=2 * clip_width)
    tokenizer, text_encoder = _clip_parts(size, seed, projection=size.hidden)
    tokenizer_2, text_encoder_2 = _clip_parts(size_2, seed + 1, projection=size_2.hidden)
    tokenizer_3, text_encoder_3 = _t5_parts(t5_size, seed + 2)
    torch.manual_seed(seed)
    transformer = SD3Transformer2DModel(
        sample_size=8,
        patch_size=1,
        in_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=2,
        caption_projection_dim=16,
        joint_attention_dim=t5_size.hidden,
        pooled_projection_dim=clip_width,  # CLIP-L's and CLIP-G's pooled, concatenated
        out_channels=4,
    )
    pipeline = StableDiffusion3Pipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_tiny_vae(shift_factor=0.0),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        text_encoder_3=text_encoder_3,
        tokenizer_3=tokenizer_3,
    )
    pipeline.save_pretrained(folder)
    return Path(folder)


def save_pixart_pipeline(
    folder: str | Path, size: EncoderSize | None = None, seed: int = 0
) -> Path:
    """A complete random PixArtAlphaPipeline folder (T5 tokens with their attention mask)."""
    from diffusers import DDIMScheduler, PixArtAlphaPipeline, PixArtTransformer2DModel

    size = size or EncoderSize()
    tokenizer, text_encoder = _t5_parts(size, seed)
    torch.manual_seed(seed)
    transformer = PixArtTransformer2DModel(
        sample_size=8,
        num_layers=1,
        patch_size=2,
        attention_head_dim=8,
        num_attention_heads=2,
        caption_channels=size.hidden,
        in_channels=4,
        cross_attention_dim=16,
        out_channels=8,  # the learned variance beside the noise, as PixArt-alpha
        attention_bias=True,
        activation_fn="gelu-approximate",
        num_embeds_ada_norm=1000,
        norm_type="ada_norm_single",
        norm_elementwise_affine=False,
        norm_eps=1e-6,
    )
    pipeline = PixArtAlphaPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=_tiny_vae(),
        transformer=transformer,
        scheduler=DDIMScheduler(),
    )
    pipeline.save_pretrained(folder)
    return Path(folder)


def save_flux_pipeline(
    folder: str | Path,
    size: EncoderSize | None = None,
    seed: int = 0,
    t5_size: EncoderSize | None = None,
) -> Path:
    """A complete random FluxPipeline folder: CLIP-L's pooled output (`size`) and T5's tokens
    (`t5_size`, default twice as wide)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

    size = size or EncoderSize()
    tokenizer, text_encoder = _clip_parts(size, seed)
    t5_size = t5_size or dataclasses.replace(size, hidden=2 * size.hidden)
    tokenizer_2, text_encoder_2 = _t5_parts(t5_size, seed + 1)
    latent_channels = 4
    torch.manual_seed(seed)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=4 * latent_channels,  # Flux packs 2 x 2 latent patches
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=t5_size.hidden,
        pooled_projection_dim=size.hidden,
        axes_dims_rope=[4, 4, 8],
    )
    pipeline = FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_tiny_vae(latent_channels, shift_factor=0.0),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        transformer=transformer,
    )
    pipeline.save_pretrained(folder)
    return Path(folder)
