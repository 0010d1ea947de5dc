"""GlueNet: its config (plain data), the network, its bridges, the statistics saved with it;
several GlueNets read as one (an ensemble)."""

from gluegen.lazy import lazy_exports

_EXPORTS = {
    "GlueNetConfig": "gluegen.models.config",
    "GlueNet": "gluegen.models.gluenet",
    "GlueNetEnsemble": "gluegen.models.ensemble",
    "FeatureStatistics": "gluegen.models.stats",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
