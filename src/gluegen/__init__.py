"""GlueGen: plug any encoder into a frozen text-to-image diffusion model.

source encoder -> GlueNet -> the generator's text space -> any diffusers pipeline

`from gluegen import GlueNet, GlueGenPipeline, get_recipe` (each loads on first use).
"""

from gluegen.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "GlueNet": "gluegen.models.gluenet",
    "GlueNetConfig": "gluegen.models.config",
    "FeatureStatistics": "gluegen.models.stats",
    "GlueObjective": "gluegen.training.objective",
    "ObjectiveWeights": "gluegen.training.config",
    "TrainConfig": "gluegen.training.config",
    "prepare_run": "gluegen.training.run",
    "train": "gluegen.training.trainer",
    "RECIPES": "gluegen.recipes",
    "Recipe": "gluegen.recipes",
    "get_recipe": "gluegen.recipes",
    "CacheSpec": "gluegen.data.spec",
    "GlueGenPipeline": "gluegen.pipelines.glue",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = [*_EXPORTS, "__version__"]
