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

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

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
from diffusers.optimization import get_cosine_schedule_with_warmup
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from gluegen.encoders.vocab import word_vocab
from gluegen.io import atomic_write_folder, atomic_write_text
from gluegen_world.captions import captions
from gluegen_world.corpus import sample_scenes
from gluegen_world.judge import (
    attribute_accuracy,
    frechet_distance,
    judge_features,
    to_pixels,
)
from gluegen_world.labels import AttributeGroups, FitSettings, fit_classifier
from gluegen_world.scenes import (
    COLOURS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SIZES,
    Scene,
    all_single_scenes,
    random_scene,
    render,
)

TEXT_TOKENS = 77  # as Stable Diffusion: GlueNets for the world have SD's shapes
NONE = "none"  # the second object of a one-object scene
_OBJECT_VALUES = {"shape": SHAPES, "colour": tuple(COLOURS), "size": SIZES, "position": POSITIONS}
# What the world's text encoder learns to name: both objects' attributes.
CAPTION_GROUPS = AttributeGroups(
    {f"first {name}": values for name, values in _OBJECT_VALUES.items()}
    | {f"second {name}": (*values, NONE) for name, values in _OBJECT_VALUES.items()}
)


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
    vocab, merges = word_vocab(world_words())
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=TEXT_TOKENS)


def tokenize(tokenizer: CLIPTokenizer, texts: list[str]) -> torch.Tensor:
    """Token ids (b, n), padded to the 77 tokens Stable Diffusion uses."""
    return tokenizer(
        texts, padding="max_length", max_length=TEXT_TOKENS, truncation=True, return_tensors="pt"
    )["input_ids"]


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


def caption_targets(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """Value indices (b,) of every CAPTION_GROUPS attribute ('none' for a missing object)."""
    targets = {}
    for name, values in CAPTION_GROUPS.values.items():
        which, attribute = name.split(" ")
        index = 0 if which == "first" else 1
        targets[name] = torch.tensor(
            [
                values.index(getattr(s.objects[index], attribute))
                if index < len(s.objects)
                else values.index(NONE)
                for s in scenes
            ]
        )
    return targets


def train_text_encoder(
    tokenizer: CLIPTokenizer, settings: GeneratorTraining, progress: bool
) -> CLIPTextModel:
    """Teach a new CLIPTextModel to name, from its pooled output, what a caption describes."""
    rng = random.Random(f"{settings.seed}-text")
    scenes = [random_scene(rng, settings.two_objects) for _ in range(settings.text_captions)]
    ids = tokenize(tokenizer, [rng.choice(captions(scene, "en")) for scene in scenes])
    model = torch.nn.ModuleDict(
        {
            "text": new_text_encoder(tokenizer, settings),
            "head": torch.nn.Linear(settings.text_hidden, len(CAPTION_GROUPS.labels)),
        }
    )
    fit_classifier(
        model,
        ids,
        caption_targets(scenes),
        CAPTION_GROUPS,
        lambda m, batch: m["head"](m["text"](batch).pooler_output),
        FitSettings(settings.text_epochs, 128, 2e-3, settings.seed),
        description="training text encoder",
        progress=progress,
    )
    return model["text"].eval().requires_grad_(False)


def new_unet(settings: GeneratorTraining) -> UNet2DConditionModel:
    """Cross-attention at 8x8 only (at 16x16 it made a step 1.8x slower, measured); the pooled
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


DRAW_BATCH = 64  # images per pipeline call; the speed figure is for one such batch
GENERATOR_STEPS = 20  # DDIM steps when the world's generator is measured
GENERATOR_GUIDANCE = 4.0  # classifier-free guidance scale when measured


@torch.no_grad()
def draw_batches(
    pipeline: StableDiffusionPipeline, inputs: dict, steps: int, guidance: float, seed: int
) -> tuple[torch.Tensor, list[float]]:
    """Images (b, 3, h, w) in [-1, 1] for pipeline `inputs` (each a list or tensor of b:
    prompt, or prompt_embeds and negative_prompt_embeds), drawn DRAW_BATCH at a time with
    seed + first index, and the seconds each batch took."""
    count = len(next(iter(inputs.values())))
    parts, seconds = [], []
    for start in range(0, count, DRAW_BATCH):
        started = time.time()
        images = pipeline(
            **{name: value[start : start + DRAW_BATCH] for name, value in inputs.items()},
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=torch.Generator().manual_seed(seed + start),
            output_type="np",
        ).images  # (b, h, w, 3) in [0, 1]
        seconds.append(time.time() - started)
        parts.append(torch.from_numpy(images).permute(0, 3, 1, 2).float() * 2.0 - 1.0)
    return torch.cat(parts), seconds


def draw_prompts(
    pipeline: StableDiffusionPipeline, prompts: list[str], steps: int, guidance: float, seed: int
) -> tuple[torch.Tensor, list[float]]:
    """Images (b, 3, h, w) in [-1, 1] for `prompts`, and the seconds each batch took."""
    return draw_batches(pipeline, {"prompt": prompts}, steps, guidance, seed)


@torch.no_grad()
def evaluate_generator(
    pipeline: StableDiffusionPipeline,
    judge,
    count: int = DRAW_BATCH,
    steps: int = GENERATOR_STEPS,
    guidance: float = GENERATOR_GUIDANCE,
    seed: int = 12345,
    split: str = "heldout",
) -> dict[str, float]:
    """Draw `count` images from one-object English prompts of `split`; the judge scores them.

    Returns the judge's accuracies, the Fréchet distance (judge features) between the drawn
    images and renders of the same scenes, the distance between two sets of renders of those
    scenes (the floor at this count), and the seconds the first batch (DRAW_BATCH images, or
    all if fewer) took.
    """
    rng = random.Random(seed)
    scenes = sample_scenes(count, split, seed, two_objects=0.0)
    prompts = [rng.choice(captions(scene, "en")) for scene in scenes]
    drawn, seconds = draw_prompts(pipeline, prompts, steps, guidance, seed)
    real, other = (
        to_pixels(np.stack([render(s, seed=offset + i) for i, s in enumerate(scenes)]))
        for offset in (seed, 2 * seed + 1)
    )
    features = {name: judge_features(judge, x) for name, x in (("drawn", drawn), ("real", real))}
    return attribute_accuracy(judge, drawn, scenes) | {
        "frechet_drawn_vs_real": frechet_distance(features["drawn"], features["real"]),
        "frechet_real_vs_real": frechet_distance(features["real"], judge_features(judge, other)),
        f"seconds_for_{DRAW_BATCH}": seconds[0],
    }
