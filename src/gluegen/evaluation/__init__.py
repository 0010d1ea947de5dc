"""How well a GlueNet aligns (held-out MSE, cosine, retrieval), and the baseline it is
measured against."""

from gluegen.evaluation.alignment import alignment_metrics, evaluate_on_cache
from gluegen.evaluation.baselines import LinearMap

__all__ = ["LinearMap", "alignment_metrics", "evaluate_on_cache"]
