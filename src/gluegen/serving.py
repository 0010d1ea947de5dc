"""The web page's models from files: a diffusers pipeline, source encoders, GlueNet folders.

A side (text or sound) that cannot be set up (a GlueNet that does not fit its encoder or the
pipeline) is not served, and the page says why when it is used.
"""

from __future__ import annotations

import argparse

from gluegen.app import DrawDefaults, Served


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


def served_from_files(args: argparse.Namespace) -> Served:
    """Served models from `gluegen serve` flags."""
    from diffusers import DiffusionPipeline

    from gluegen.encoders import HFAudioEncoder, HFTextEncoder
    from gluegen.models import GlueNet
    from gluegen.pipelines import GlueGenPipeline

    pipeline = DiffusionPipeline.from_pretrained(args.pipeline)
    pipeline.set_progress_bar_config(disable=True)
    served = Served(defaults=DrawDefaults(steps=args.steps, guidance=args.guidance))
    texts = gluenet_keys(args.gluenet)
    if texts and args.source_encoder:
        try:
            encoder = HFTextEncoder(
                args.source_encoder, max_length=args.source_max_length, layer=args.source_layer
            )
            nets = load_gluenets(texts)
            served.text = GlueGenPipeline(pipeline, encoder, nets, unconditional="generator")
        except ValueError as error:
            served.problems["text"] = str(error)
    else:
        served.problems["text"] = "No text GlueNet: start with --source-encoder and --gluenet."
    if args.sound_gluenet and args.sound_encoder:
        try:
            sound = GlueNet.from_pretrained(args.sound_gluenet)
            encoder = HFAudioEncoder(args.sound_encoder)
            served.sound = GlueGenPipeline(pipeline, encoder, sound, unconditional="generator")
        except ValueError as error:
            served.problems["sound"] = str(error)
    else:
        served.problems["sound"] = "No sound GlueNet: start with --sound-encoder, --sound-gluenet."
    return served
