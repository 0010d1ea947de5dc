"""GlueGen: plug any encoder into a frozen text-to-image diffusion model.

source encoder -> GlueNet -> the generator's text space -> any diffusers pipeline
"""

from gluegen.gluenet import PRESETS, GlueNet, GlueNetConfig
from gluegen.objective import GlueObjective, ObjectiveWeights
from gluegen.stats import FeatureStatistics

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "FeatureStatistics",
    "GlueNet",
    "GlueNetConfig",
    "GlueObjective",
    "ObjectiveWeights",
    "__version__",
]
