"""The world's generator: a complete, tiny `StableDiffusionPipeline` trained here (in progress).

    renders of training-split scenes -> AutoencoderKL (one block: scale factor 1) -> latents
    English captions -> world CLIPTokenizer -> CLIPTextModel -+-> UNet2DConditionModel (v-pred)
    -> EMA weights -> StableDiffusionPipeline folder (DDIM, trailing spacing, zero terminal SNR)

The text encoder trains with the UNet (there is no pretrained CLIP here); captions are dropped
for a share of the batch so that classifier-free guidance works. Everything is a real diffusers
or transformers class, saved with `save_pretrained`, loaded with `from_pretrained`.

Notation: b - batch, c - channels, h, w - image side, n - tokens, d - text width.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    DDPMScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from gluegen.toy import clip_vocab
from gluegen.world.captions import captions
from gluegen.world.corpus import sample_scenes
from gluegen.world.scenes import RELATIONS, Scene, all_single_scenes, render

TEXT_TOKENS = 77  # as Stable Diffusion: GlueNets for the world have SD's shapes


@dataclass
class GeneratorTraining:
    """How the world's generator is trained."""

    images: int = 20_000  # pre-rendered training-split scenes
    two_objects: float = 0.25
    latent_channels: int = 4
    autoencoder_steps: int = 600
    text_hidden: int = 64
    text_layers: int = 2
    unet_channels: tuple[int, ...] = (32, 64, 64)
    steps: int = 8_000
    batch_size: int = 64
    learning_rate: float = 5e-4
    ema_decay: float = 0.999
    uncond_share: float = 0.1  # captions dropped, for classifier-free guidance
    seed: int = 0


def world_words() -> tuple[str, ...]:
    """Every English word (and comma) of every world caption."""
    words: set[str] = {","}
    scenes = all_single_scenes()
    scenes += [
        Scene.pair((a.shape, a.colour, a.size), relation, (a.shape, a.colour, a.size))
        for a in (s.objects[0] for s in scenes[:: len(scenes) // 20])
        for relation in RELATIONS
    ]
    for scene in scenes:
        for text in captions(scene, "en"):
            words.update(text.replace(",", " ").split())
    return tuple(sorted(words))


def world_tokenizer() -> CLIPTokenizer:
    """A CLIP BPE tokenizer in which every English world word is one token."""
    vocab, merges = clip_vocab(world_words())
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=TEXT_TOKENS)


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
        rebuilt = vae.decode(posterior.sample(generator=None)).sample
        loss = F.mse_loss(rebuilt, batch) + 1e-6 * posterior.kl().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    vae.eval()
    with torch.no_grad():
        latents = vae.encode(pixels[:1024]).latent_dist.mode()
    vae.register_to_config(scaling_factor=float(1.0 / latents.std()))
    return vae


def new_text_encoder(tokenizer: CLIPTokenizer, settings: GeneratorTraining) -> CLIPTextModel:
    """A small CLIP text transformer over the world vocabulary."""
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=settings.text_hidden,
        intermediate_size=4 * settings.text_hidden,
        num_hidden_layers=settings.text_layers,
        num_attention_heads=4,
        max_position_embeddings=TEXT_TOKENS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def new_unet(settings: GeneratorTraining) -> UNet2DConditionModel:
    """Attention (self and cross) only at 8x8: at 16x16 it made a step 1.8x slower (measured)."""
    return UNet2DConditionModel(
        sample_size=32,
        in_channels=settings.latent_channels,
        out_channels=settings.latent_channels,
        block_out_channels=settings.unet_channels,
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        layers_per_block=1,
        cross_attention_dim=settings.text_hidden,
        attention_head_dim=8,
        norm_num_groups=16,
    )


def noise_scheduler() -> DDPMScheduler:
    """Cosine betas rescaled to zero terminal SNR, v-prediction (the cure for drifting colour)."""
    return DDPMScheduler(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
    )


def train_generator(
    settings: GeneratorTraining | None = None, progress: bool = True
) -> StableDiffusionPipeline:
    """Render, train the autoencoder, then the text encoder + UNet; return the pipeline."""
    settings = settings or GeneratorTraining()
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    scenes = sample_scenes(settings.images, "train", settings.seed, settings.two_objects)
    images = np.stack([render(scene, seed=i) for i, scene in enumerate(scenes)])
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (b, 3, h, w)
    vae = train_autoencoder(pixels, settings, progress)
    with torch.no_grad():
        latents = (
            torch.cat(
                [
                    vae.encode(pixels[i : i + 512]).latent_dist.mode()
                    for i in range(0, len(pixels), 512)
                ]
            )
            * vae.config.scaling_factor
        )  # (b, c, h, w)
    tokenizer = world_tokenizer()
    text_encoder, unet = new_text_encoder(tokenizer, settings), new_unet(settings)
    ema = EMAModel(unet.parameters(), decay=settings.ema_decay)
    scheduler = noise_scheduler()
    trainable = [*unet.parameters(), *text_encoder.parameters()]
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.0)
    generator = torch.Generator().manual_seed(settings.seed)
    started = time.time()
    with tqdm(total=settings.steps, desc="training generator", disable=not progress) as bar:
        for _ in range(settings.steps):
            ids = torch.randint(len(latents), (settings.batch_size,), generator=generator)
            texts = [
                ""
                if rng.random() < settings.uncond_share
                else rng.choice(captions(scenes[i], "en"))
                for i in ids.tolist()
            ]
            tokens = tokenizer(
                texts,
                padding="max_length",
                max_length=TEXT_TOKENS,
                truncation=True,
                return_tensors="pt",
            )
            context = text_encoder(tokens["input_ids"]).last_hidden_state  # (b, n, d)
            clean = latents[ids]
            noise = torch.randn(clean.shape, generator=generator)
            t = torch.randint(
                scheduler.config.num_train_timesteps, (len(ids),), generator=generator
            )
            noisy = scheduler.add_noise(clean, noise, t)
            predicted = unet(noisy, t, encoder_hidden_states=context).sample
            loss = F.mse_loss(predicted, scheduler.get_velocity(clean, noise, t))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            ema.step(unet.parameters())
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}", s=f"{time.time() - started:.0f}")
    ema.copy_to(unet.parameters())
    sampler = DDIMScheduler.from_config(
        scheduler.config, timestep_spacing="trailing", clip_sample=False, steps_offset=1
    )
    return StableDiffusionPipeline(
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=sampler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


@torch.no_grad()
def evaluate_generator(
    pipeline: StableDiffusionPipeline,
    judge,
    count: int = 64,
    steps: int = 20,
    guidance: float = 4.0,
    seed: int = 12345,
) -> dict[str, float]:
    """Draw `count` images from held-out one-object English prompts; the judge scores them.

    Returns the judge's accuracies and the seconds the drawing took.
    """
    from gluegen.world.judge import attribute_accuracy

    rng = random.Random(seed)
    scenes = sample_scenes(count, "heldout", seed, two_objects=0.0)
    prompts = [rng.choice(captions(scene, "en")) for scene in scenes]
    started = time.time()
    images = pipeline(
        prompts,
        num_inference_steps=steps,
        guidance_scale=guidance,
        generator=torch.Generator().manual_seed(seed),
        output_type="np",
    ).images  # (b, h, w, 3) in [0, 1]
    seconds = time.time() - started
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2).float() * 2.0 - 1.0
    return attribute_accuracy(judge, pixels, scenes) | {"seconds": seconds}
