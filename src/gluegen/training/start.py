"""A run that starts from a trained GlueNet (`TrainConfig.init_from`): its weights, and the
statistics of the run's own corpus (measured on its training split, as for a fresh start)."""

from __future__ import annotations

from gluegen.encoders.base import identity_differences
from gluegen.models import GlueNet
from gluegen.models.config import SHAPE_FIELDS


def start_differences(gluenet: GlueNet, trained: GlueNet) -> list[str]:
    """What keeps `trained`'s weights from starting `gluenet` ('field trained -> this run'):
    the shapes, the layout, the encoders."""
    mine, theirs = gluenet.config, trained.config
    names = [*SHAPE_FIELDS, *mine.layout()]
    differences = [
        f"{name} {getattr(theirs, name)!r} -> {getattr(mine, name)!r}"
        for name in names
        if getattr(theirs, name) != getattr(mine, name)
    ]
    for side in ("source_encoder", "target_encoder"):
        changed = identity_differences(getattr(theirs, side), getattr(mine, side))
        differences += [f"{side} {change}" for change in changed]
    return differences


def start_from(gluenet: GlueNet, folder: str) -> None:
    """Copy the weights of the GlueNet in `folder` (a folder or hub id) into `gluenet`, whose
    statistics are kept; a GlueNet of another layout or other encoders is refused by name."""
    trained = GlueNet.from_pretrained(folder)
    differences = start_differences(gluenet, trained)
    if differences:
        raise ValueError(
            f"init_from {folder}: that GlueNet differs from this run's ({'; '.join(differences)}):"
            " start from a GlueNet of this recipe's layout, trained on the same encoders."
        )
    statistics = {name for name, _ in gluenet.named_buffers()}
    weights = {k: v for k, v in trained.state_dict().items() if k not in statistics}
    gluenet.load_state_dict(weights, strict=False)  # every parameter; the buffers stay
