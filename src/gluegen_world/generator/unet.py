"""The world's denoiser: a small UNet2DConditionModel (v-prediction, zero terminal SNR),
trained with EMA weights from checkpoints that resume to the same result.

Notation: b - batch, c - channels, h, w - image side, n - tokens, d - text width.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    UNet2DConditionModel,
)
from diffusers.optimization import get_cosine_schedule_with_warmup
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm
from transformers import CLIPTextModel, CLIPTokenizer

from gluegen.io import atomic_write_folder, atomic_write_text
from gluegen_world.generator.settings import GeneratorTraining
from gluegen_world.generator.text import tokenize


def new_unet(settings: GeneratorTraining) -> UNet2DConditionModel:
    """Cross-attention at 8x8 only (at 16x16 it made a step much slower); the pooled
    caption joins the time embedding and scales/shifts every ResNet block."""
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
        addition_embed_type="text",
        addition_embed_type_num_heads=4,
        resnet_time_scale_shift="scale_shift",
    )


def noise_scheduler() -> DDPMScheduler:
    """Cosine betas rescaled to zero terminal SNR, v-prediction (the cure for drifting colour)."""
    return DDPMScheduler(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
    )


def sampler(scheduler: DDPMScheduler) -> DDIMScheduler:
    """DDIM with trailing timesteps, so that 20 steps start from pure noise."""
    return DDIMScheduler.from_config(
        scheduler.config, timestep_spacing="trailing", clip_sample=False, steps_offset=1
    )


class UNetTraining:
    """The UNet stage: optimiser, EMA and random state, saved to and resumed from a folder."""

    def __init__(self, settings: GeneratorTraining, folder: Path):
        self.settings, self.folder = settings, folder
        self.unet = new_unet(settings)
        self.ema = EMAModel(self.unet.parameters(), decay=settings.ema_decay)
        self.optimizer = torch.optim.AdamW(
            self.unet.parameters(), lr=settings.learning_rate, weight_decay=0.0
        )
        self.schedule = get_cosine_schedule_with_warmup(
            self.optimizer, settings.warmup_steps, settings.steps
        )
        self.generator = torch.Generator().manual_seed(settings.seed)
        self.rng = random.Random(settings.seed)
        self.step = 0
        if (folder / "progress.json").is_file():
            self._load()

    def _load(self) -> None:
        self.unet = UNet2DConditionModel.from_pretrained(self.folder / "unet").train()
        state = torch.load(self.folder / "state.pt", weights_only=True)
        self.optimizer = torch.optim.AdamW(self.unet.parameters())
        self.schedule = get_cosine_schedule_with_warmup(
            self.optimizer, self.settings.warmup_steps, self.settings.steps
        )
        # In this order: a new schedule sets the learning rate for step 0, the optimizer's state
        # brings back the one in use when saved.
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.ema.load_state_dict(state["ema"])
        self.generator.set_state(state["generator"])
        self.rng.setstate(state["rng"])
        self.step = json.loads((self.folder / "progress.json").read_text())["step"]

    def save(self) -> None:
        """Write the checkpoint folder atomically."""

        def write(tmp: Path) -> None:
            self.unet.save_pretrained(tmp / "unet")
            torch.save(
                {
                    "optimizer": self.optimizer.state_dict(),
                    "schedule": self.schedule.state_dict(),
                    "ema": self.ema.state_dict(),
                    "generator": self.generator.get_state(),
                    "rng": self.rng.getstate(),
                },
                tmp / "state.pt",
            )
            atomic_write_text(tmp / "progress.json", json.dumps({"step": self.step}))

        atomic_write_folder(self.folder, write)

    def ema_unet(self) -> UNet2DConditionModel:
        """A copy of the UNet holding the EMA weights."""
        unet = new_unet(self.settings)
        unet.load_state_dict(self.unet.state_dict())
        self.ema.copy_to(unet.parameters())
        return unet.eval()


def train_unet(
    work: Path,
    latents: torch.Tensor,
    texts: list[list[str]],
    tokenizer: CLIPTokenizer,
    text_encoder: CLIPTextModel,
    settings: GeneratorTraining,
    progress: bool,
    stop_after: int | None = None,
) -> UNet2DConditionModel:
    """Denoising training on latents (b, c, h, w) with one of `texts[i]` as the caption of i.

    `stop_after` ends the run early at that step, checkpointed, as an interruption would.
    """
    stage = UNetTraining(settings, work / "unet-checkpoint")
    scheduler = noise_scheduler()
    started = time.time()
    with tqdm(
        total=settings.steps, initial=stage.step, desc="training UNet", disable=not progress
    ) as bar:
        while stage.step < min(settings.steps, stop_after or settings.steps):
            ids = torch.randint(len(latents), (settings.batch_size,), generator=stage.generator)
            prompts = [
                "" if stage.rng.random() < settings.uncond_share else stage.rng.choice(texts[i])
                for i in ids.tolist()
            ]
            with torch.no_grad():
                context = text_encoder(tokenize(tokenizer, prompts)).last_hidden_state  # (b, n, d)
            clean = latents[ids]
            noise = torch.randn(clean.shape, generator=stage.generator)
            t = torch.randint(
                scheduler.config.num_train_timesteps, (len(ids),), generator=stage.generator
            )
            predicted = stage.unet(
                scheduler.add_noise(clean, noise, t), t, encoder_hidden_states=context
            ).sample
            loss = F.mse_loss(predicted, scheduler.get_velocity(clean, noise, t))
            stage.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(stage.unet.parameters(), 1.0)
            stage.optimizer.step()
            stage.schedule.step()
            stage.ema.step(stage.unet.parameters())
            stage.step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}", s=f"{time.time() - started:.0f}")
            if stage.step % settings.checkpoint_every == 0 or stage.step in (
                settings.steps,
                stop_after,
            ):
                stage.save()
    return stage.ema_unet()
