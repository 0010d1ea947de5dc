"""The models of `gluegen draw` and `gluegen serve` from files: a diffusers pipeline, source
encoders (as the GlueNets were trained on them), GlueNet folders.

A side (text or sound) that cannot be set up (a GlueNet that does not fit its encoder or the
pipeline) is not served, and the page says why when it is used.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the page's classes: gradio is the [web] extra, and `gluegen draw` needs none
    from gluegen.app import Served


def gluenet_keys(pairs: list[str]) -> dict[str, list[str]]:
    """['fr=runs/fr/gluenet', 'fr=runs/shared/gluenet', ...] -> {'fr': ['runs/fr/gluenet',
    'runs/shared/gluenet']}: a key given more than once keeps every folder (an ensemble)."""
    keyed: dict[str, list[str]] = {}
    for pair in pairs:
        key, separator, path = pair.partition("=")
        if not separator or not key or not path:
            raise ValueError(f"--gluenet {pair!r}: give LANG=DIR, e.g. fr=runs/fr/gluenet.")
        if path in keyed.get(key, []):
            raise ValueError(f"--gluenet {pair!r} is given twice: give each GlueNet once.")
        keyed.setdefault(key, []).append(path)
    return keyed


def load_gluenets(keyed: dict[str, list[str]], device: str = "cpu") -> dict[str, list]:
    """{key: [folder, ...]} -> {key: [GlueNet, ...]} on `device` (GlueGenPipeline averages a
    key's GlueNets)."""
    from gluegen.models import GlueNet

    return {
        key: [GlueNet.from_pretrained(folder).to(device) for folder in folders]
        for key, folders in keyed.items()
    }


# the text encoder's settings a command may leave out: {flag's attribute: the field of a
# GlueNet's config.source_encoder it is read from}
TRAINED_SOURCE = {
    "source_encoder": "name_or_path",
    "source_max_length": "max_length",
    "source_layer": "layer",
}
NAMED_WITH_THE_ENCODER = ("revision", "subfolder")  # taken where the encoder itself is
DEFAULT_LAYER = -1  # the last hidden layer, where GlueNets do not say theirs


def trained_value(nets: dict[str, list], field: str, flag: str) -> Any:
    """The value of `field` that every GlueNet's source encoder was trained with (None where
    none says); an error naming them where they differ (one encoder serves them all)."""
    values = {
        key: net.config.source_encoder[field]
        for key, keyed in nets.items()
        for net in keyed
        if field in (net.config.source_encoder or {})
    }
    if len({json.dumps(value) for value in values.values()}) > 1:
        said = ", ".join(f"{key} {value!r}" for key, value in values.items())
        raise ValueError(
            f"The GlueNets were trained on source encoders of different {field} ({said}): "
            f"one encoder reads every prompt. Give --{flag.replace('_', '-')} or draw them "
            "in separate calls."
        )
    return next(iter(values.values()), None)


def text_encoder_for(nets: dict[str, list], args: argparse.Namespace, device: str = "cpu"):
    """The text encoder of `gluegen draw` / `gluegen serve`: each of --source-encoder,
    --source-max-length and --source-layer not given is the one the GlueNets were trained with
    (their config.json), and so is the pooling."""
    from gluegen.encoders import HFTextEncoder

    settings = {}
    for flag, field in TRAINED_SOURCE.items():
        given = getattr(args, flag)
        settings[field] = given if given is not None else trained_value(nets, field, flag)
    if args.source_encoder is None:
        settings |= {
            field: trained_value(nets, field, "source_encoder") for field in NAMED_WITH_THE_ENCODER
        }
    if settings["name_or_path"] is None:
        raise ValueError(
            "The GlueNets do not name the source encoder they were trained on: give "
            "--source-encoder (folder or hub id)."
        )
    name_or_path = settings.pop("name_or_path")
    settings["layer"] = DEFAULT_LAYER if settings["layer"] is None else settings["layer"]
    settings["subfolder"] = settings.get("subfolder") or ""
    pooling = trained_value(nets, "pooling", "source_encoder")
    with named_by_the_gluenets(args.source_encoder is None, "--source-encoder"):
        return HFTextEncoder(name_or_path, device=device, pooling=pooling, **settings)


@contextmanager
def named_by_the_gluenets(named: bool, flag: str) -> Iterator[None]:
    """An encoder the GlueNets name that cannot be read here (a folder of the machine they
    were trained on): the error says where the name came from and which flag replaces it."""
    try:
        yield
    except ValueError as error:
        if not named:
            raise
        raise ValueError(f"{error} (named in the GlueNets' config.json; give {flag})") from error


def sound_encoder_for(nets: dict[str, list], args: argparse.Namespace, device: str = "cpu"):
    """The audio encoder of `gluegen draw` / `gluegen serve`: --sound-encoder, or the one the
    GlueNets were trained on (their config.json)."""
    from gluegen.encoders import HFAudioEncoder

    if args.sound_encoder is not None:
        return HFAudioEncoder(args.sound_encoder, device=device)
    name_or_path = trained_value(nets, "name_or_path", "sound_encoder")
    if name_or_path is None:
        raise ValueError(
            "The sound GlueNet does not name the audio encoder it was trained on: give "
            "--sound-encoder (folder or hub id)."
        )
    revision = trained_value(nets, "revision", "sound_encoder")
    with named_by_the_gluenets(True, "--sound-encoder"):
        return HFAudioEncoder(name_or_path, revision=revision, device=device)


def served_from_files(args: argparse.Namespace) -> Served:
    """Served models from `gluegen serve` flags."""
    from diffusers import DiffusionPipeline

    from gluegen.app import DrawDefaults, Served
    from gluegen.models import GlueNet
    from gluegen.pipelines import GlueGenPipeline

    pipeline = DiffusionPipeline.from_pretrained(args.pipeline)
    pipeline.set_progress_bar_config(disable=True)
    served = Served(defaults=DrawDefaults(steps=args.steps, guidance=args.guidance))
    texts = gluenet_keys(args.gluenet)
    if texts:
        try:
            nets = load_gluenets(texts)
            encoder = text_encoder_for(nets, args)
            served.text = GlueGenPipeline(pipeline, encoder, nets, unconditional="generator")
        except ValueError as error:
            served.problems["text"] = str(error)
    else:
        served.problems["text"] = "No text GlueNet: start with --gluenet LANG=DIR."
    if args.sound_gluenet:
        try:
            sound = GlueNet.from_pretrained(args.sound_gluenet)
            encoder = sound_encoder_for({"sound": [sound]}, args)
            served.sound = GlueGenPipeline(pipeline, encoder, sound, unconditional="generator")
        except ValueError as error:
            served.problems["sound"] = str(error)
    else:
        served.problems["sound"] = "No sound GlueNet: start with --sound-gluenet DIR."
    return served
