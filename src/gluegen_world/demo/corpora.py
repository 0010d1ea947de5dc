"""The demo's parallel corpora, written once into WORKDIR/corpora.

Each language's pairs with English (as written, and, where the settings ask, with its
two-object targets in its captions' order, `gluegen_world.mention_order`, a share of its rows'
shape nouns swapped, `gluegen_world.swapped_nouns`, then made-up words in a share of its captions,
`gluegen_world.noise_words`), the six pooled for the shared GlueNet, sounds with
captions, English paraphrases for the sentence model: what each GlueNet trains from.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

from transformers import XLMRobertaTokenizer

from gluegen.encoders.base import folder_fingerprint
from gluegen.io import atomic_write_text
from gluegen.pipelines import ANY
from gluegen_world.corpus import read_tsv, write_sound_corpus, write_text_corpus, write_tsv
from gluegen_world.demo.settings import FOREIGN, DemoSettings, sentence_model
from gluegen_world.gluenets import PARAPHRASE_SOURCE_TOKENS, ParallelSource
from gluegen_world.mention_order import write_mention_order_corpus
from gluegen_world.models import shipped_model
from gluegen_world.noise_words import write_noisy_corpus
from gluegen_world.paraphrase import write_paraphrase_corpus
from gluegen_world.swapped_nouns import write_swapped_corpus


def write_corpora(workdir: Path, s: DemoSettings) -> dict[str, ParallelSource]:
    """Write the parallel corpora (once); the sources each GlueNet trains from."""
    folder = workdir / "corpora"
    xlmr = str(shipped_model("xlmr"))
    written_with = {
        "pairs": s.pairs,
        "shared_corpus": "pooled",  # the six languages' corpora, one after the other
        "sound_pairs": s.sound_pairs,
        "sound_captions": s.sound_captions,
        "paraphrase_pairs": s.paraphrase_pairs,
        "swap_share": s.swap_share,
        "noise_share": s.noise_share,
        "noise_words": s.noise_words,
        "noise_pieces": s.noise_pieces,
        "seed": s.seed,
        # made-up words are pieces of the XLM-R's vocabulary: a retrained XLM-R, new words
        **({"noise_vocabulary": folder_fingerprint(xlmr)} if s.noise_share else {}),
        # none: the stamp, and so a kept folder, as before the setting was
        **({"mention_order": list(s.mention_order_languages)} if s.mention_order_languages else {}),
        **({"withhold_validation": True} if s.withholds_validation else {}),
    }
    stamp = folder / "corpora.json"
    if not stamp.is_file() or json.loads(stamp.read_text()) != written_with:
        shutil.rmtree(folder, ignore_errors=True)  # other sizes: write them again
    sources = {}
    for code in FOREIGN:
        train, read = language_corpus(folder / code, code, s)
        sources[code] = ParallelSource(xlmr, str(read), code, "en", layer=s.source_layer)
        # the paper's GlueNet reads the corpus as written, as the paper trained it
        sources[as_written(code)] = ParallelSource(
            xlmr, str(train), code, "en", layer=s.source_layer
        )
    shared = folder / "shared" / "train.tsv"
    if not shared.is_file():
        write_shared_corpus(shared, {code: Path(sources[code].corpus) for code in FOREIGN})
    sources[ANY] = ParallelSource(xlmr, str(shared), "text", "en", layer=s.source_layer)
    sounds = folder / "sounds"
    if not (sounds / "captions.tsv").is_file():
        write_sound_corpus(
            sounds, s.sound_pairs, 0, s.seed, s.sound_captions, s.withholds_validation
        )
    sources["sound"] = ParallelSource(str(shipped_model("sound")), str(sounds), "file", "caption")
    paraphrases = folder / "paraphrases" / "train.tsv"
    if not paraphrases.is_file():
        write_paraphrase_corpus(
            paraphrases.parent,
            s.paraphrase_pairs,
            0,
            seed=s.seed,
            withhold_validation=s.withholds_validation,
        )
    sources["minilm"] = ParallelSource(
        sentence_model(),
        str(paraphrases),
        "paraphrase",
        "en",
        max_length=PARAPHRASE_SOURCE_TOKENS,
        pooling="mean",
    )
    atomic_write_text(stamp, json.dumps(written_with))
    return sources


def language_corpus(folder: Path, code: str, s: DemoSettings) -> tuple[Path, Path]:
    """(`code`'s corpus as written, what its own GlueNet reads and the shared one pools):
    written into `folder` where missing, targets ordered first, nouns swapped, then made-up
    words."""
    train = folder / "train.tsv"
    if not train.is_file():
        write_text_corpus(
            folder, code, s.pairs, 0, seed=s.seed, withhold_validation=s.withholds_validation
        )
    read = train
    if code in s.mention_order_languages:
        before, read = read, folder / "ordered.tsv"
        if not read.is_file():
            write_mention_order_corpus(before, read, code, s.seed)
    if s.swap_share > 0:
        before, read = read, folder / "swapped.tsv"
        if not read.is_file():
            write_swapped_corpus(before, read, code, s.swap_share, s.seed)
    if s.noise_share > 0:
        before, read = read, folder / "noisy.tsv"
        if not read.is_file():
            write_noisy_corpus(
                before,
                read,
                code,
                xlmr_tokenizer(),
                s.noise_share,
                s.noise_words,
                s.seed,
                s.noise_pieces,
            )
    return train, read


@cache
def xlmr_tokenizer() -> XLMRobertaTokenizer:
    """The world's XLM-R tokenizer, loaded once, when a noisy corpus is written."""
    return XLMRobertaTokenizer.from_pretrained(str(shipped_model("xlmr")))


def as_written(code: str) -> str:
    """The key of `code`'s corpus as written (no made-up words) among `write_corpora`'s."""
    return f"{code}:as-written"


def write_shared_corpus(path: Path, corpora: dict[str, Path]) -> None:
    """One TSV (scene, text, en): every language's corpus (scene, en, its code), pooled in
    order; the shared GlueNet's cache pools their caches the same way."""
    rows = []
    for code, corpus in corpora.items():
        rows += [[row["scene"], row[code], row["en"]] for row in read_tsv(corpus)[1]]
    write_tsv(path, ["scene", "text", "en"], rows)
