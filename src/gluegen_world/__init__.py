"""The shapes world: scenes, their captions in seven languages, their sounds.

A miniature world in which GlueGen's claims can be shown and measured on a CPU. Its models
(a tiny Stable Diffusion pipeline, an XLM-R, a sound encoder, a judge) are trained on it by the
project's own code.
"""

from gluegen_world.captions import LANGUAGES, caption, captions
from gluegen_world.scenes import (
    ATTRIBUTES,
    COLOURS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SIZES,
    Scene,
    WorldObject,
    render,
)

__all__ = [
    "ATTRIBUTES",
    "COLOURS",
    "LANGUAGES",
    "POSITIONS",
    "RELATIONS",
    "SHAPES",
    "SIZES",
    "Scene",
    "WorldObject",
    "caption",
    "captions",
    "render",
]
