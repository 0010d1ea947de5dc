"""Training settings: the objective's weights and the loop's settings (plain data, no torch).

The defaults are the paper's multilingual recipe; recipes.py names other sets of them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from gluegen.data.split import SPLITS
from gluegen.settings import field_defaults, type_problems

MIXED_PRECISION = ("auto", "no", "bf16", "fp16")
SEED_BITS = 63  # torch's generators take a signed 64-bit seed
SEED_LIMIT = 2**SEED_BITS
DEFAULT_CANDIDATES = 64  # pairs per retrieval group in held-out evaluation
# held-out pairs each evaluation reads: a fixed sample, so that its time and memory stay flat
# in the corpus size (a corpus of millions holds out tens of thousands)
DEFAULT_EVAL_PAIRS = 2048
# A saved state of the paper's GlueNet, decoder, discriminator and Adam moments is large;
# saving by time keeps its cost a small share of a long run at any step speed.
CHECKPOINT_MINUTES = 10.0
# TrainConfig fields that a resumed run may change: they do not move the weights.
RESUMABLE_CHANGES = (
    "output_dir",
    "max_steps",
    "checkpoint_every",
    "checkpoint_minutes",
    "log_every",
    "eval_every",
    "eval_candidates",
    "eval_pairs",
    "progress",
)


@dataclass
class ObjectiveWeights:
    """Weights of the loss terms; the defaults are the paper's."""

    align: float = field(default=1e4, metadata={"help": "Token-weighted alignment MSE."})
    reconstruction: float = field(default=1e4, metadata={"help": "Decoder reconstruction MSE."})
    adversarial: float = field(default=0.1, metadata={"help": "Summed discriminator NLL."})
    reversal: float = field(default=0.1, metadata={"help": "Gradient-reversal factor (eta)."})
    pooled: float = field(
        default=1e4, metadata={"help": "Pooled-vector MSE (SDXL, SD3, Flux targets)."}
    )
    mask: float = field(
        default=1.0,
        metadata={"help": "Attention-mask cross-entropy (PixArt targets; its head alone learns)."},
    )

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"Objective weight {name} must be finite and >= 0, got {value}")


@dataclass
class TrainConfig:
    """Training settings; the defaults are the paper's multilingual recipe."""

    output_dir: str = field(metadata={"help": "Where the GlueNet, logs and state are written."})
    epochs: int = field(default=4, metadata={"help": "Passes over the training split."})
    total_steps: int = field(
        default=0,
        metadata={
            "help": "The run's length in optimizer steps, whatever the corpus size (0: `epochs` "
            "passes); the LR schedule's `epochs` periods are stretched over them."
        },
    )
    batch_size: int = field(default=32, metadata={"help": "Global batch (all processes)."})
    learning_rate: float = field(default=1e-4, metadata={"help": "Adam learning rate."})
    lr_decay: float = field(default=0.5, metadata={"help": "LR factor every lr_decay_epochs."})
    lr_decay_epochs: int = field(default=1, metadata={"help": "Epochs between LR decays."})
    weight_decay: float = field(
        default=0.0, metadata={"help": "Decoupled weight decay (AdamW); 0: plain Adam."}
    )
    source_noise: float = field(
        default=0.0,
        metadata={
            "help": "Gaussian noise added to the normalised source features while training, "
            "its std this fraction of their per-element RMS (for a linear GlueNet, ridge "
            "regularisation: directions the pairs hardly vary in are shrunk); 0: none."
        },
    )
    grad_clip: float = field(default=1.0, metadata={"help": "Max grad norm; 0 turns it off."})
    seed: int = field(default=0, metadata={"help": "Seeds init, split and batch order."})
    init_from: str = field(
        default="",
        metadata={
            "help": "A trained GlueNet (folder or hub id) whose weights start the run instead "
            "of random ones: fine-tune a shared or released GlueNet on one language's pairs. "
            "Its layout and encoders must be this run's; the statistics are this corpus's."
        },
    )
    holdout: float = field(default=0.05, metadata={"help": "Share of pairs held out."})
    split_by: str = field(
        default="permutation",
        metadata={
            "help": "How pairs are held out: a seeded permutation of the rows, or a hash of "
            "each pair's texts (the same pairs whatever the corpus's order or size).",
            "choices": SPLITS,
        },
    )
    eval_every: int = field(default=0, metadata={"help": "Evaluate every N steps; 0: per epoch."})
    eval_candidates: int = field(
        default=DEFAULT_CANDIDATES, metadata={"help": "Group size for retrieval accuracy."}
    )
    eval_pairs: int = field(
        default=DEFAULT_EVAL_PAIRS,
        metadata={"help": "Held-out pairs each evaluation reads (a fixed sample; 0: all)."},
    )
    checkpoint_every: int = field(
        default=0, metadata={"help": "Also save state every N steps (0: by time only)."}
    )
    checkpoint_minutes: float = field(
        default=CHECKPOINT_MINUTES,
        metadata={"help": "Save state every N minutes of training (0: only at the end)."},
    )
    log_every: int = field(default=10, metadata={"help": "Write a log line every N steps."})
    max_steps: int = field(default=0, metadata={"help": "Stop after N steps (0: run all)."})
    mixed_precision: str = field(
        default="auto",
        metadata={"help": "auto: bf16 on a GPU that has it.", "choices": MIXED_PRECISION},
    )
    progress: bool = field(default=True, metadata={"help": "Show a progress bar."})
    weights: ObjectiveWeights = field(default_factory=ObjectiveWeights)

    def __post_init__(self) -> None:
        if isinstance(self.weights, dict):
            self.weights = ObjectiveWeights(**self.weights)
        for problem in type_problems(self):  # first: the checks below compare numbers
            raise ValueError(f"TrainConfig: {problem}")
        for problem in self._problems():
            raise ValueError(f"TrainConfig: {problem}")

    def _problems(self):
        """Every setting out of range, as a message that names it and the range."""
        if self.split_by not in SPLITS:
            yield f"split_by must be one of {SPLITS}, got {self.split_by!r}"
        if self.mixed_precision not in MIXED_PRECISION:
            yield f"mixed_precision must be one of {MIXED_PRECISION}, got {self.mixed_precision!r}"
        ranges = {  # NaN fails every comparison, so each check refuses it too
            "learning_rate": (lambda v: 0 < v < math.inf, "finite and > 0"),
            "lr_decay": (lambda v: 0 < v <= 1, "in (0, 1]"),
            "grad_clip": (lambda v: 0 <= v < math.inf, "finite and >= 0 (0: off)"),
            "holdout": (lambda v: 0 <= v < 1, "in [0, 1)"),
            "checkpoint_minutes": (lambda v: 0 <= v < math.inf, "finite and >= 0 (0: off)"),
            "seed": (lambda v: 0 <= v < SEED_LIMIT, f"in [0, 2**{SEED_BITS})"),
        }
        for name, (inside, allowed) in ranges.items():
            if not inside(getattr(self, name)):
                yield f"{name} must be {allowed}, got {getattr(self, name)}"
        at_least = {"epochs": 1, "batch_size": 1, "lr_decay_epochs": 1, "checkpoint_every": 0}
        at_least |= {"log_every": 1, "eval_every": 0, "max_steps": 0, "eval_candidates": 2}
        at_least |= {"total_steps": 0}
        at_least |= {"eval_pairs": 0}
        at_least |= {"weight_decay": 0.0, "source_noise": 0.0}
        for name, low in at_least.items():
            if getattr(self, name) < low:
                yield f"{name} must be >= {low}, got {getattr(self, name)}"

    def changes_from(self, saved: dict) -> list[str]:
        """Settings that differ from a saved run's (as `asdict` wrote them) and would change
        its result, as 'name saved -> now'."""
        now = asdict(self)
        now.update({f"weights.{k}": v for k, v in now.pop("weights").items()})
        saved = dict(saved)
        saved.update({f"weights.{k}": v for k, v in (saved.pop("weights", None) or {}).items()})
        # a setting newer than the saved run had its default there
        saved = {**field_defaults(type(self)), **saved}
        return [
            f"{name} {saved.get(name)!r} -> {value!r}"
            for name, value in now.items()
            if name not in RESUMABLE_CHANGES and saved.get(name) != value
        ]
