"""Tiny random models of the real classes, and a toy parallel corpus, built locally.

Used by the tests and the benchmarks: no download, seconds on a CPU. Encoders in models.py,
complete diffusers pipelines of every supported family in pipelines.py.

Every word is a single token for every tokenizer here, so a sentence has the same token
positions on both sides of a pair: the target features are a fixed (unknown) function of the
source features, and a right answer for GlueNet exists.
"""

from gluegen.testing.models import (
    TOY_WORDS,
    EncoderSize,
    save_clap,
    save_clip_text,
    save_t5,
    save_whisper,
    save_xlmr,
    toy_sentences,
    write_text_pair,
)
from gluegen.testing.pipelines import (
    save_flux_pipeline,
    save_pixart_pipeline,
    save_sd3_pipeline,
    save_sd_pipeline,
    save_sdxl_pipeline,
)

__all__ = [
    "TOY_WORDS",
    "EncoderSize",
    "save_clap",
    "save_clip_text",
    "save_flux_pipeline",
    "save_pixart_pipeline",
    "save_sd3_pipeline",
    "save_sd_pipeline",
    "save_sdxl_pipeline",
    "save_t5",
    "save_whisper",
    "save_xlmr",
    "toy_sentences",
    "write_text_pair",
]
