"""A CLIP byte-pair vocabulary over a closed word list: every word one token.

For text encoders trained from scratch on a small, known vocabulary (the tests' tiny models,
the shapes world's generator): `CLIPTokenizer(vocab=..., merges=...)` from `word_vocab(words)`.
"""

from __future__ import annotations


def _apply_merges(pieces: list[str], ranks: dict[tuple[str, str], int]) -> list[str]:
    """Byte-pair encoding of one word: merge the best-ranked adjacent pair until none is left."""
    while len(pieces) > 1:
        adjacent = zip(pieces, pieces[1:], strict=False)
        pairs = [(ranks.get(pair, len(ranks)), i) for i, pair in enumerate(adjacent)]
        rank, i = min(pairs)
        if rank == len(ranks):
            break
        pieces = [*pieces[:i], pieces[i] + pieces[i + 1], *pieces[i + 2 :]]
    return pieces


def word_vocab(words: tuple[str, ...]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP BPE vocabulary and merges that make every word of `words` one token.

    Each word's new merges rank after all earlier ones, so they never fire inside an earlier
    word, which the earlier merges already finish.
    """
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(set("".join(words))):
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    ranks: dict[tuple[str, str], int] = {}
    for word in sorted(words, key=len):
        pieces = _apply_merges([*word[:-1], word[-1] + "</w>"], ranks)
        while len(pieces) > 1:
            ranks.setdefault((pieces[0], pieces[1]), len(ranks))
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
            vocab.setdefault(pieces[0], len(vocab))
    return vocab, sorted(ranks, key=ranks.get)
