"""CacheSpec: what a feature cache is built from (plain data: the command line's flags)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RUN_CACHE_FOLDER = "features"  # a run folder's feature cache, unless cache_dir says otherwise
FEATURE_MODES = ("cache", "online", "auto")


def cache_folder(cache_dir: str | None, output_dir: str | Path) -> str:
    """The cache folder: `cache_dir` if given, else OUTPUT_DIR/features."""
    return cache_dir or str(Path(output_dir) / RUN_CACHE_FOLDER)


@dataclass
class CacheSpec:
    """What a feature cache is built from: the corpus, the two encoders, how it is stored."""

    source_encoder: str = field(metadata={"help": "Hub id or folder of the source encoder."})
    target: str = field(
        metadata={
            "help": "The generator: a diffusers pipeline folder or hub id (or a text encoder)."
        }
    )
    corpus: str = field(
        metadata={
            "help": "Source side: a text file (one example a line; give --corpus-target too), a "
            "TSV/CSV/JSONL table, a parquet or arrow file, a folder a `datasets` save wrote, "
            "or a folder of audio files with captions.tsv."
        }
    )
    corpus_target: str | None = field(
        default=None, metadata={"help": "Target side text file, aligned line by line."}
    )
    source_column: str = field(default="source", metadata={"help": "Table column of the source."})
    target_column: str = field(default="target", metadata={"help": "Table column of the target."})
    split: str = field(
        default="train",
        metadata={"help": "Rows of this split, where a table has a `split` column."},
    )
    source_max_length: int | None = field(
        default=None,
        metadata={"help": "Source tokens (n_s); default 77, or all the encoder reads if fewer."},
    )
    source_layer: int = field(default=-1, metadata={"help": "Hidden layer of the source to read."})
    source_pooling: str | None = field(
        default=None,
        metadata={
            "help": "mean: read one token, the mean of the prompt's tokens (sentence encoders "
            "such as all-MiniLM-L6-v2).",
            "choices": ("mean",),
        },
    )
    target_clip_skip: int | None = field(
        default=None,
        metadata={
            "help": "Align to the generator's features with this many last CLIP layers skipped "
            "(what `clip_skip` does in a diffusers pipeline)."
        },
    )
    target_max_sequence_length: int | None = field(
        default=None,
        metadata={
            "help": "T5 tokens of an SD3, PixArt or Flux target (default: what the pipeline "
            "uses, e.g. SD3 256, PixArt-alpha 120, Flux 512)."
        },
    )
    features: str = field(
        default="cache",
        metadata={
            "help": "cache: encode the corpus once into a feature cache and train from it "
            "(many epochs); online: run both encoders on each batch in the training process, "
            "nothing on disk (one pass over a large corpus); auto: a matching cache if there "
            "is one, else whichever the measured encoding and reading rates make cheaper for "
            "the run's epochs (training only).",
            "choices": FEATURE_MODES,
        },
    )
    cache_dir: str | None = field(
        default=None, metadata={"help": "Feature cache folder (default: OUTPUT_DIR/features)."}
    )
    encode_batch_size: int = field(default=64, metadata={"help": "Pairs per encoder call."})
    shard_size: int = field(default=4096, metadata={"help": "Pairs per cache shard."})
    cache_dtype: str = field(
        default="auto",
        metadata={
            "help": "Precision of cached features (bfloat16: half the bytes; training reads "
            "them as float32); auto: bfloat16 where the encoders run in bf16 (a GPU that has "
            "it), else float32.",
            "choices": ("auto", "float32", "float16", "bfloat16"),
        },
    )
    device: str = field(
        default="auto",
        metadata={
            "help": "Device the encoders run on (cpu, cuda, cuda:N); auto: this process's GPU "
            "when there is one (each its own under torchrun), else the CPU."
        },
    )
    encode_precision: str = field(
        default="auto",
        metadata={
            "help": "bf16: run both encoders under bf16 autocast while caching (faster where "
            "bf16 matmuls are, GPUs and CPUs with AMX; features differ slightly); no: full "
            "precision; auto: bf16 when the encoders run on a GPU that has it, else no.",
            "choices": ("auto", "no", "bf16"),
        },
    )
