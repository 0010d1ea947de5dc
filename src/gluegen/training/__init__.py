"""Training a GlueNet: settings (config.py), the objective, the loop, one call for a run."""

from gluegen.lazy import lazy_exports

_EXPORTS = {
    "ObjectiveWeights": "gluegen.training.config",
    "TrainConfig": "gluegen.training.config",
    "GlueObjective": "gluegen.training.objective",
    "Trainer": "gluegen.training.trainer",
    "train": "gluegen.training.trainer",
    "prepare_run": "gluegen.training.run",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
