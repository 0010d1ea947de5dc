"""How the world's generator is trained (saved with its work folder)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GeneratorTraining:
    """How the world's generator is trained."""

    images: int = 20_000  # pre-rendered training-split scenes
    two_objects: float = 0.2
    latent_channels: int = 4
    autoencoder_steps: int = 600
    text_hidden: int = 64
    text_layers: int = 2
    text_captions: int = 30_000  # captions of every combination, for the text encoder
    text_epochs: int = 3
    unet_channels: tuple[int, ...] = (32, 64, 64)
    steps: int = 4_500
    warmup_steps: int = 200
    batch_size: int = 64
    learning_rate: float = 5e-4
    ema_decay: float = 0.999
    uncond_share: float = 0.1  # captions dropped, for classifier-free guidance
    checkpoint_every: int = 250  # UNet steps between resumable checkpoints
    seed: int = 0
