"""GlueGenPipeline: any input -> source encoder -> GlueNet(s) -> a diffusers pipeline."""

from gluegen.pipelines.glue import ANY, UNCONDITIONAL, GlueGenPipeline, generator_conditioning
from gluegen.pipelines.mixes import MIXES, blend, offset, splice

__all__ = [
    "ANY",
    "MIXES",
    "UNCONDITIONAL",
    "GlueGenPipeline",
    "blend",
    "generator_conditioning",
    "offset",
    "splice",
]
