"""Made-up words slipped into a parallel corpus's captions, so that a GlueNet learns to pass
over words no corpus caption holds.

A request ("je voudrais une image d'un grand cercle rouge") brings pieces that no caption of a
narrow parallel corpus holds, and a GlueNet that gathers tokens by content takes part of the
shape or colour from them. Here a share of the captions get one to a few noise words at random
places between their words (Chinese and Japanese, written without spaces: between
characters), while their English targets stay as written. A noise word is one or two pieces
drawn uniformly from the vocabulary of the source tokenizer, in the caption's script:
nothing of any family of phrasings is chosen, as one would draw from a real XLM-R's
vocabulary. The pool is the whole script (`vocabulary`) or its pieces that no caption of the
corpus holds (`unseen`): a made-up word then never spells a piece the corpus uses for what it
names (a Chinese 形 in a caption of a star would be a label to doubt, not a word to pass over).

Words can also be dropped (`drop`: each word, in Chinese and Japanese each character, left out
with that probability, one always kept; drawn from a random stream of its own): a GlueNet
then cannot lean on any one word being there.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gluegen_world.corpus import read_tsv, write_tsv

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

PIECES_PER_WORD = 2  # a noise word: 1 or 2 pieces
UNSPACED = ("zh", "ja")  # written without spaces: noise goes between characters
WORD_MARK = "\u2581"  # SentencePiece's mark of a piece that starts a word
PIECE_POOLS = ("vocabulary", "unseen")  # every piece of the script / those no caption holds


def script_pieces(tokenizer: PreTrainedTokenizerBase) -> dict[bool, list[str]]:
    """The vocabulary's pieces by script ({holds a kana or ideograph: texts}), without the word
    mark, specials left out; in id order, so that a seed draws the same words everywhere."""
    from gluegen_world.multilingual import is_cjk  # torch and transformers: not at import

    pieces: dict[bool, list[str]] = {True: [], False: []}
    vocab = tokenizer.get_vocab()
    for piece in sorted(vocab, key=vocab.get):
        text = piece.lstrip(WORD_MARK)
        if text and piece not in tokenizer.all_special_tokens:
            pieces[any(is_cjk(char) for char in text)].append(text)
    return pieces


def unseen_pieces(
    pieces: list[str], tokenizer: PreTrainedTokenizerBase, captions: Iterable[str]
) -> list[str]:
    """`pieces` whose text (word mark aside) is no piece of any of `captions` (read once, one
    at a time), in their order."""
    seen = {piece.lstrip(WORD_MARK) for text in captions for piece in tokenizer.tokenize(text)}
    return [piece for piece in pieces if piece not in seen]


def caption_units(text: str, language: str) -> list[str]:
    """`text`'s words, or (Chinese, Japanese: written without spaces) its characters."""
    return list(text) if language in UNSPACED else text.split(" ")


def joined_units(units: list[str], language: str) -> str:
    """The inverse of `caption_units`."""
    return ("" if language in UNSPACED else " ").join(units)


def noisy_caption(
    text: str, language: str, pieces: list[str], most: int, rng: random.Random
) -> str:
    """`text` with 1 to `most` noise words (each 1 to PIECES_PER_WORD of `pieces`) at places
    drawn by `rng`."""
    units = caption_units(text, language)
    for _ in range(rng.randint(1, most)):
        word = "".join(rng.choice(pieces) for _ in range(rng.randint(1, PIECES_PER_WORD)))
        units.insert(rng.randint(0, len(units)), word)
    return joined_units(units, language)


def dropped_caption(text: str, language: str, rate: float, rng: random.Random) -> str:
    """`text` with each word (unspaced scripts: each character) left out with probability
    `rate`; one of them is kept when every draw leaves it out."""
    units = caption_units(text, language)
    kept = [unit for unit in units if rng.random() >= rate]
    return joined_units(kept or [rng.choice(units)], language)


def write_noisy_corpus(
    corpus: Path,
    out: Path,
    language: str,
    tokenizer: PreTrainedTokenizerBase,
    share: float,
    most: int,
    seed: int,
    pool: str = "vocabulary",
    drop: float = 0.0,
) -> Path:
    """`corpus` (a TSV with scene, en and `language`) written to `out` with `share` of its
    `language` captions made noisy, the made-up words' pieces drawn from `pool` (one of
    PIECE_POOLS), and each word of every caption dropped with probability `drop` before;
    its other columns as they are."""
    if not 0 <= share <= 1:
        raise ValueError(f"noise share must be between 0 and 1, got {share}.")
    if most < 1:
        raise ValueError(f"noise words: at most must be at least 1, got {most}.")
    if pool not in PIECE_POOLS:
        raise ValueError(f"noise pieces must be one of {PIECE_POOLS}, got {pool!r}.")
    if not 0 <= drop < 1:
        raise ValueError(f"word drop rate must be at least 0 and below 1, got {drop}.")
    header, rows = read_tsv(corpus)
    pieces = script_pieces(tokenizer)[language in UNSPACED]
    if pool == "unseen":
        pieces = unseen_pieces(pieces, tokenizer, (row[language] for row in rows))
    if not pieces:
        raise ValueError(f"no {pool} pieces in {language}'s script to make words of.")
    rng = random.Random(f"{seed}-{language}-noise")
    dropping = random.Random(f"{seed}-{language}-drop")
    for row in rows:
        if drop:
            row[language] = dropped_caption(row[language], language, drop, dropping)
        if rng.random() < share:
            row[language] = noisy_caption(row[language], language, pieces, most, rng)
    write_tsv(out, header, [[row[name] for name in header] for row in rows])
    return out


__all__ = [
    "PIECE_POOLS",
    "dropped_caption",
    "noisy_caption",
    "script_pieces",
    "unseen_pieces",
    "write_noisy_corpus",
]
