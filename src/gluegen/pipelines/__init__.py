"""GlueGenPipeline: any input -> source encoder -> GlueNet(s) -> a diffusers pipeline."""

from gluegen.pipelines.glue import ANY, UNCONDITIONAL, GlueGenPipeline, generator_conditioning
from gluegen.pipelines.mixes import MIXES, blend, offset, splice
from gluegen.pipelines.routing import GENERATOR, Route

__all__ = [
    "ANY",
    "GENERATOR",
    "MIXES",
    "UNCONDITIONAL",
    "GlueGenPipeline",
    "Route",
    "blend",
    "generator_conditioning",
    "offset",
    "splice",
]
