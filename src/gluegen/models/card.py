"""The README.md saved beside a GlueNet: what it translates, how it was trained, how well, how
to use it (the hub shows it as the model card)."""

from __future__ import annotations

import json
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from gluegen.models.config import GlueNetConfig

USAGE = """```python
from gluegen import GlueGenPipeline, GlueNet

gluenet = GlueNet.from_pretrained("{where}")
# the source encoder and the generator it was trained for: see "Encoders" above
glue = GlueGenPipeline(generator_pipeline, source_encoder, gluenet)
images = glue(["your input"]).images
```"""


def identity_line(identity: dict[str, Any]) -> str:
    """`name_or_path` (revision, options) of an encoder id, or 'not recorded'."""
    if not identity:
        return "not recorded"
    name = identity.get("name_or_path", "?")
    rest = {k: v for k, v in identity.items() if k != "name_or_path" and v not in (None, "")}
    return f"`{name}`" + (f" ({json.dumps(rest, sort_keys=True)})" if rest else "")


def model_card(config: GlueNetConfig, training: dict[str, Any], where: str = "FOLDER") -> ModelCard:
    """A card from the GlueNet's config and, when known, its training record (`training`:
    pairs, held-out pairs, recipe, objective weights, held-out metrics)."""
    lines = [
        "# GlueNet",
        "",
        "Translates a source encoder's token features into a generator's text space "
        "([GlueGen](https://arxiv.org/abs/2303.10056)); the generator stays frozen.",
        "",
        "## Encoders",
        f"- source: {identity_line(config.source_encoder)} — "
        f"{config.source_tokens} tokens x {config.source_dim}",
        f"- target: {identity_line(config.target_encoder)} — "
        f"{config.target_tokens} tokens x {config.target_dim}"
        + (f", pooled {config.pooled_dim}" if config.pooled_dim else ""),
        "",
        "## Training",
    ]
    if training:
        lines += [f"- {name}: {json.dumps(value)}" for name, value in training.items()]
    else:
        lines.append("- not recorded (saved outside `gluegen train`)")
    lines += ["", "## Usage", USAGE.format(where=where)]
    data = ModelCardData(library_name="gluegen", tags=["gluegen", "text-to-image"])
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
