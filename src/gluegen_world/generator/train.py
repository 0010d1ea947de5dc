"""Training the world's generator in stages inside a work folder: autoencoder, text encoder,
UNet; a stopped run resumes from the last finished stage or checkpoint, with the same result.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import (
    AutoencoderKL,
    StableDiffusionPipeline,
)
from tqdm.auto import tqdm
from transformers import CLIPTextModel

from gluegen.io import atomic_write_folder, atomic_write_text
from gluegen_world.captions import captions
from gluegen_world.corpus import sample_scenes
from gluegen_world.generator.settings import GeneratorTraining
from gluegen_world.generator.text import train_text_encoder, world_tokenizer
from gluegen_world.generator.unet import noise_scheduler, sampler, train_unet
from gluegen_world.judge import (
    to_pixels,
)
from gluegen_world.scenes import (
    Scene,
    render,
)


def new_autoencoder(settings: GeneratorTraining) -> AutoencoderKL:
    """One block, so latents keep the image's size (scale factor 1)."""
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(32,),
        layers_per_block=1,
        latent_channels=settings.latent_channels,
        norm_num_groups=8,
        sample_size=32,
        mid_block_add_attention=False,  # attention over 32x32 positions cost 10x the rest
    )


def train_autoencoder(
    pixels: torch.Tensor, settings: GeneratorTraining, progress: bool
) -> AutoencoderKL:
    """Reconstruction + a tiny KL term; the latent scaling factor is measured afterwards."""
    vae = new_autoencoder(settings)
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(settings.seed)
    for _ in tqdm(
        range(settings.autoencoder_steps), desc="training autoencoder", disable=not progress
    ):
        batch = pixels[torch.randint(len(pixels), (settings.batch_size,), generator=generator)]
        posterior = vae.encode(batch).latent_dist
        rebuilt = vae.decode(posterior.sample(generator=generator)).sample
        loss = F.mse_loss(rebuilt, batch) + 1e-6 * posterior.kl().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    vae.eval()
    with torch.no_grad():
        latents = vae.encode(pixels[:1024]).latent_dist.mode()
    vae.register_to_config(scaling_factor=float(1.0 / latents.std()))
    return vae


def training_images(settings: GeneratorTraining) -> tuple[list[Scene], torch.Tensor]:
    """Training-split scenes and their renders as pixels (b, 3, h, w) in [-1, 1]."""
    scenes = sample_scenes(settings.images, "train", settings.seed, settings.two_objects)
    images = np.stack([render(scene, seed=i) for i, scene in enumerate(scenes)])
    return scenes, to_pixels(images)


@torch.no_grad()
def encode_latents(vae: AutoencoderKL, pixels: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """Scaled latent means (b, c, h, w) of pixels (b, 3, h, w)."""
    parts = [
        vae.encode(pixels[i : i + batch]).latent_dist.mode() for i in range(0, len(pixels), batch)
    ]
    return torch.cat(parts) * vae.config.scaling_factor


def train_generator(
    work: str | Path,
    settings: GeneratorTraining | None = None,
    progress: bool = True,
    stop_after: int | None = None,
) -> StableDiffusionPipeline:
    """Train every part in stages under `work` (resuming what is there); return the pipeline.

    `stop_after` stops the UNet stage at that step (for tests of resuming).
    """
    settings = settings or GeneratorTraining()
    work = Path(work)
    recorded = work / "settings.json"
    wanted = json.dumps(asdict(settings), indent=1)
    if recorded.is_file() and recorded.read_text() != wanted:
        raise ValueError(
            f"{work} holds a generator trained with other settings; delete it or pick another "
            "folder to start over."
        )
    atomic_write_text(recorded, wanted)
    torch.manual_seed(settings.seed)
    scenes, pixels = training_images(settings)
    if not (work / "vae" / "config.json").is_file():
        vae = train_autoencoder(pixels, settings, progress)
        atomic_write_folder(work / "vae", vae.save_pretrained)
    vae = AutoencoderKL.from_pretrained(work / "vae").eval()
    tokenizer = world_tokenizer()
    if not (work / "text_encoder" / "config.json").is_file():
        text_encoder = train_text_encoder(tokenizer, settings, progress)
        atomic_write_folder(work / "text_encoder", text_encoder.save_pretrained)
    text_encoder = CLIPTextModel.from_pretrained(work / "text_encoder").eval()
    texts = [captions(scene, "en") for scene in scenes]
    latents = encode_latents(vae, pixels)
    unet = train_unet(work, latents, texts, tokenizer, text_encoder, settings, progress, stop_after)
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=sampler(noise_scheduler()),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
