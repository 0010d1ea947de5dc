"""Reading an encoder's weights from a checkpoint saved for a larger model.

Encoders are published inside models with more than GlueGen reads: XLM-R with its masked-LM
head, AST with its classifier, a CLIP text tower beside its vision tower. transformers loads
the encoder and prints a load report of the weights it left out, and of any it had to draw at
random: a pooler nobody reads, or, from a checkpoint of another layout, whole layers. The
first is noise on every load; the second would make every source feature meaningless, and
with transformers' warnings off (as `gluegen` runs) nobody would see it.

`load_encoder` tells them apart: weights of the checkpoint the encoder does not hold are left
out quietly (logged at INFO), weights the encoder reads that the checkpoint lacks are an
error, and so is a weight of another shape.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import transformers
from transformers import PreTrainedModel

logger = logging.getLogger(__name__)

# Modules an encoder may lack weights for, because GlueGen never reads their output: the
# pooler on top of a BERT-style body (we read hidden states), the decoder of an
# encoder-decoder whose encoder alone is read (Whisper).
UNREAD_MODULES = frozenset({"pooler", "decoder"})
EXAMPLES = 4  # weight names quoted in a message


# transformers' verbosity is one setting for the process: loads in several threads (a page
# serving its first requests) take turns, so that each puts back the verbosity it found
_QUIET_LOADS = threading.Lock()


@contextmanager
def quiet_load_report() -> Iterator[None]:
    """transformers' warnings off for one load (its load report), as they were after it."""
    with _QUIET_LOADS:
        verbosity = transformers.utils.logging.get_verbosity()
        transformers.utils.logging.set_verbosity_error()
        try:
            yield
        finally:
            transformers.utils.logging.set_verbosity(verbosity)


def is_read(weight: str) -> bool:
    """Whether the output of the module holding `weight` ("pooler.dense.bias") is read."""
    return not UNREAD_MODULES.intersection(weight.split("."))


def quoted(names: list[str]) -> str:
    """A few weight names for a message."""
    more = f" and {len(names) - EXAMPLES} more" if len(names) > EXAMPLES else ""
    return "; ".join(names[:EXAMPLES]) + more


def load_encoder(model_class: Any, name_or_path: str | Path, **kwargs) -> PreTrainedModel:
    """`model_class.from_pretrained(name_or_path, **kwargs)`, refusing a checkpoint that leaves
    any weight the encoder reads at random or of another shape."""
    with quiet_load_report():
        # a weight of another shape is reported here, not raised with the report hidden
        model, info = model_class.from_pretrained(
            name_or_path, output_loading_info=True, ignore_mismatched_sizes=True, **kwargs
        )
    subfolder = kwargs.get("subfolder")
    where = str(name_or_path) + (f" (subfolder {subfolder})" if subfolder else "")
    missing = sorted(name for name in info.get("missing_keys", ()) if is_read(name))
    if missing:
        total = len(model.state_dict())
        raise ValueError(
            f"The checkpoint {where} has no weights for {len(missing)} of the {total} weights "
            f"of its {type(model).__name__} ({quoted(missing)}): those layers would be random "
            "and every feature read from them meaningless. Give the folder or hub id the "
            "encoder was saved to, with its config.json and weights together."
        )
    # (name, shape in the checkpoint, shape the config makes)
    mismatched = [
        f"{name} {list(saved)} in the weights, {list(made)} by the config"
        for name, saved, made in sorted(info.get("mismatched_keys", ()))
    ]
    errors = [str(message) for message in info.get("error_msgs", ())]
    if mismatched or errors:
        raise ValueError(
            f"The weights of {where} do not fit its config ({quoted(mismatched + errors)}): "
            "give a checkpoint whose config.json was saved with its weights."
        )
    left_out = sorted(info.get("unexpected_keys", ()))
    unread = sorted(set(info.get("missing_keys", ())) - set(missing))
    if left_out or unread:
        logger.info(
            "%s: %d weights of parts the encoder does not hold left out (%s); %d weights of "
            "parts it does not read left unset (%s)",
            where,
            len(left_out),
            quoted(left_out),
            len(unread),
            quoted(unread),
        )
    return model
