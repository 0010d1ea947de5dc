"""The original GlueGen release's checkpoints as GlueNet folders.

The release saved `adapter.state_dict()` with `torch.save`: `gluenet_multi_<Language>.ckpt`
(`Translator_noln(77, 1024, 768, 2, 5)`) and `gluenet_sound2img_audioclip_us8k.ckpt`
(`Translator_w_head_v0(16, 77, 64, 768, 4, 5)`). Their layers map one to one onto ours:

    multilingual                      audio
    blocks.i      -> source_blocks.i  in_blocks.i  -> source_blocks.i
    tail          -> bridge           trans        -> bridge
                                      out_blocks.i -> target_blocks.i
                                      tail_1, tail_2 -> tail_blocks.0, tail_blocks.1
    (.net_sen -> .channel_mlp, .net_tok -> .token_mlp, the Sequential indices alike)

The statistics the release pasted into its scripts become ours: it divided the source by a
scalar (XLM-R features by 3; the AudioCLIP embedding by nothing) and the CLIP target, token
by token, by half of `RELEASE_CLIP_TOKEN_NORMS`. The files are read with
`torch.load(weights_only=True)` only. Shapes are read from the weights, so any width works.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from gluegen.checkpoints import check_state, read_torch
from gluegen.io import atomic_write_folder
from gluegen.models import GlueNet
from gluegen.models.gluenet import SAVED_FILES
from gluegen.models.stats import FeatureStatistics
from gluegen.recipes import get_recipe
from gluegen.runfolder import foreign_files

# The release's per-position L2 norms of CLIP ViT-L/14 text features (its `tensor_norm`),
# a constant of the release's format: its GlueNets were trained against target / (norm / 2).
RELEASE_CLIP_TOKEN_NORMS = (
    43.8203, 28.3668, 27.9345, 28.0084, 28.2958, 28.2576, 28.3373, 28.2695, 28.4097, 28.2790,
    28.2825, 28.2807, 28.2775, 28.2708, 28.2682, 28.2624, 28.2589, 28.2611, 28.2616, 28.2639,
    28.2613, 28.2566, 28.2615, 28.2665, 28.2799, 28.2885, 28.2852, 28.2863, 28.2780, 28.2818,
    28.2764, 28.2532, 28.2412, 28.2336, 28.2514, 28.2734, 28.2763, 28.2977, 28.2971, 28.2948,
    28.2818, 28.2676, 28.2831, 28.2890, 28.2979, 28.2999, 28.3117, 28.3363, 28.3554, 28.3626,
    28.3589, 28.3597, 28.3543, 28.3660, 28.3731, 28.3717, 28.3812, 28.3753, 28.3810, 28.3777,
    28.3693, 28.3713, 28.3670, 28.3691, 28.3679, 28.3624, 28.3703, 28.3703, 28.3720, 28.3594,
    28.3576, 28.3562, 28.3438, 28.3376, 28.3389, 28.3433, 28.3191,
)  # fmt: skip
# What the release divided source features by before its GlueNet.
RELEASE_SOURCE_DIVISORS = {"multilingual": 3.0, "audio": 1.0}
KINDS = {  # kind -> (our recipe, the release's layer names -> ours)
    "multilingual": (
        "paper-multilingual",
        {r"^blocks\.": "source_blocks.", r"^tail\.": "bridge."},
    ),
    "audio": (
        "paper-audio",
        {
            r"^in_blocks\.": "source_blocks.",
            r"^trans\.": "bridge.",
            r"^out_blocks\.": "target_blocks.",
            r"^tail_1\.": "tail_blocks.0.",
            r"^tail_2\.": "tail_blocks.1.",
        },
    ),
}
SOURCE_ENCODERS = {
    "multilingual": {"name_or_path": "FacebookAI/xlm-roberta-large", "release": "GlueGen"},
    "audio": {"name_or_path": "AudioCLIP (ESResNeXt-fbsp audio head)", "release": "GlueGen"},
}
TARGET_ENCODER = {"name_or_path": "openai/clip-vit-large-patch14", "release": "GlueGen"}


def renamed(state: dict[str, torch.Tensor], kind: str) -> dict[str, torch.Tensor]:
    """The release's parameter names as ours."""
    _, patterns = KINDS[kind]
    out = {}
    for name, tensor in state.items():
        new = name.replace(".net_sen.", ".channel_mlp.").replace(".net_tok.", ".token_mlp.")
        for pattern, replacement in patterns.items():
            new = re.sub(pattern, replacement, new)
        out[new] = tensor
    return out


def release_shapes(state: dict[str, torch.Tensor], kind: str) -> dict[str, Any]:
    """GlueNetConfig sizes (and the MLP width multiplier) read off the release's weights."""
    blocks, bridge = ("blocks", "tail") if kind == "multilingual" else ("in_blocks", "trans")
    token_in = state[f"{blocks}.0.net_tok.0.weight"]  # (tokens * mult, tokens)
    channel_in = state[f"{blocks}.0.net_sen.0.weight"]  # (width * mult, width)
    tokens, width = token_in.shape[1], channel_in.shape[1]
    sizes = {
        "target_tokens": state[
            f"{bridge}.net_tok.{_last_linear(state, bridge, 'net_tok')}.weight"
        ].shape[0],
        "target_dim": state[
            f"{bridge}.net_sen.{_last_linear(state, bridge, 'net_sen')}.weight"
        ].shape[0],
        "mult": channel_in.shape[0] / width,
        "source_blocks": _count(state, blocks),
    }
    if kind == "multilingual":
        return sizes | {"source_tokens": tokens, "source_dim": width}
    return sizes | {
        "source_tokens": 1,
        "source_dim": tokens * width,  # the one embedding the release folded into tokens
        "mixer_tokens": tokens,
        "mixer_dim": width,
        "target_blocks": _count(state, "out_blocks"),
    }


def _count(state: dict[str, torch.Tensor], blocks: str) -> int:
    """How many blocks the ModuleList `blocks` holds."""
    return len({name.split(".")[1] for name in state if name.startswith(f"{blocks}.")})


def _last_linear(state: dict[str, torch.Tensor], block: str, mlp: str) -> int:
    """Index of the last Linear of a Sequential (its LayerNorms have 1-d weights)."""
    indices = [int(name.split(".")[2]) for name in state if name.startswith(f"{block}.{mlp}.")]
    return max(i for i in indices if state[f"{block}.{mlp}.{i}.weight"].ndim == 2)


def convert(state: dict[str, torch.Tensor], kind: str) -> GlueNet:
    """A GlueNet equal to the release's network whose `state_dict` is `state`."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    recipe_name, _ = KINDS[kind]
    try:
        shapes = release_shapes(state, kind)
    except KeyError as error:
        raise ValueError(
            f"This is not a {kind} checkpoint of the original release (no {error}); try the "
            f"other --kind ({sorted(set(KINDS) - {kind})[0]})."
        ) from error
    layout = get_recipe(recipe_name).with_overrides(mult=shapes.pop("mult"))
    config = layout.gluenet_config(shapes)
    config.source_encoder = SOURCE_ENCODERS[kind]
    config.target_encoder = TARGET_ENCODER
    gluenet = GlueNet(config)
    norms = torch.tensor(RELEASE_CLIP_TOKEN_NORMS)
    if norms.shape[0] != config.target_tokens:
        raise ValueError(
            f"The release's CLIP norm table has {norms.shape[0]} positions; this network "
            f"emits {config.target_tokens} tokens."
        )
    divisor = RELEASE_SOURCE_DIVISORS[kind]
    gluenet.set_statistics(
        FeatureStatistics(
            source_token_norm=divisor / config.norm_fraction,  # normalised: source / divisor
            target_token_norm=norms,  # normalised: target / (norms * norm_fraction)
        )
    )
    weights = renamed(state, kind)
    parameters = dict(gluenet.named_parameters())  # the release saved no statistics
    expected = {k: v for k, v in gluenet.state_dict().items() if k in parameters}
    check_state(weights, expected, f"the release's {kind} checkpoint")
    gluenet.load_state_dict(weights, strict=False)  # the statistics are set above
    return gluenet


def convert_file(
    checkpoint: str | Path, kind: str, out: str | Path, overwrite: bool = False
) -> Path:
    """Read a release checkpoint (weights only) and write our GlueNet folder to `out`; a folder
    there holding files a GlueNet does not is refused by name unless `overwrite`."""
    foreign = foreign_files(Path(out), SAVED_FILES)
    if foreign and not overwrite:
        raise ValueError(
            f"{out} holds files that are not a GlueNet's ({', '.join(foreign)}), which writing "
            "the GlueNet there would remove: choose another --out, or give --overwrite."
        )
    state = read_torch(checkpoint, f"the release checkpoint {checkpoint}")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{checkpoint} holds no state dict of tensors.")
    gluenet = convert({k.removeprefix("module."): v for k, v in state.items()}, kind)
    atomic_write_folder(Path(out), gluenet.save_pretrained)
    return Path(out)
