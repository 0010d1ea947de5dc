"""The world's multilingual encoder: a real XLM-RoBERTa, trained as a masked language model.

As with the real XLM-R, it reads monolingual text of every language and never a parallel
pair: each language's sentences describe independently drawn scenes, so nothing tells the
model that "une petite étoile rouge" and "a small red star" mean the same. Aligning it to the
generator is GlueNet's job. Its SentencePiece vocabulary is learnt from the same text, with
short pieces, Chinese and Japanese one character a piece (`joins_cjk_characters`).

It reads scenes of every (shape, colour) combination in every family of phrasings of the
world's grammar (the corpus's, the held-out ones, requests: `gluegen_world.captions`), as a
real XLM-R has read "una estrella amarilla" and "请画一个大圆" long before anyone aligns it:
held-out combinations and families concern the parallel corpora GlueNet learns from, as for
the world's sound encoder and judge (reading only the training split cost it languages'
held-out combinations).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import sentencepiece
import torch
from sentencepiece import sentencepiece_model_pb2
from tqdm.auto import tqdm
from transformers import (
    DataCollatorForLanguageModeling,
    XLMRobertaConfig,
    XLMRobertaForMaskedLM,
    XLMRobertaTokenizer,
)

from gluegen_world.captions import LANGUAGES, caption
from gluegen_world.corpus import TWO_OBJECT_SHARE, sample_scenes
from gluegen_world.scenes import Scene, random_scene

SPECIALS_BEFORE = ("<s>", "<pad>", "</s>", "<unk>")  # XLM-R's ids 0-3
# Chinese and Japanese are written without spaces, and the world's text is so narrow that
# SentencePiece learns whole phrases as pieces ("赤い星", red star) that no vocabulary learnt
# from broad text holds, and that hide a (colour, shape) pair inside one piece. The world's
# words are also exchangeable (nothing in monolingual text tells red from blue), so a form
# that is its own piece (赤くて beside 赤い, 圆 beside 圆形) could never be learnt to mean what
# its stem means. So the two are read one character a piece, as BERT reads Chinese: 赤い is
# 赤 + い, 赤くて 赤 + く + て, 大圆 大 + 圆.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF))  # kana, CJK ideographs


MAX_TOKENS = 64  # the longest world caption (a German two-object request) is 61 pieces


@dataclass
class MultilingualTraining:
    """How the world's XLM-R is trained."""

    sentences_per_language: int = 12_000
    vocab_size: int = 1_000  # an upper bound: the world's text yields fewer pieces
    # short pieces: at 5 or 6 an inflected form can be a piece of its own (French "grand"
    # `▁ grand` beside "grande" `▁gran de`), and held-out phrasings read worse (experiments.md)
    max_piece_length: int = 3
    hidden: int = 64
    layers: int = 4
    heads: int = 4
    steps: int = 4_000
    batch_size: int = 64
    learning_rate: float = 1e-3
    mask_share: float = 0.15
    seed: int = 0


def monolingual_text(
    per_language: int, seed: int, split: str | None = None, phrasings: str = "all"
) -> dict[str, list[str]]:
    """Captions of independently drawn scenes, per language (never parallel), in every family
    of phrasings alike, as a real XLM-R has read what people write.

    Scenes of `split` ('train' or 'heldout'), or of any combination when `split` is None;
    phrasings of the families `phrasings` (`gluegen_world.captions.PHRASINGS`).
    """
    rng = random.Random(f"{seed}-monolingual")
    return {
        language: [
            caption(scene, language, rng, phrasings)
            for scene in _scenes(per_language, split, seed * 101 + i, TWO_OBJECT_SHARE)
        ]
        for i, language in enumerate(LANGUAGES)
    }


def _scenes(count: int, split: str | None, seed: int, two_objects: float) -> list[Scene]:
    """`count` scenes of `split`, or of any combination (None)."""
    if split is not None:
        return sample_scenes(count, split, seed, two_objects)
    rng = random.Random(f"{seed}-any")
    return [random_scene(rng, two_objects) for _ in range(count)]


def is_cjk(char: str) -> bool:
    """True for a kana or a CJK ideograph."""
    return any(low <= ord(char) <= high for low, high in CJK_RANGES)


def joins_cjk_characters(piece: str) -> bool:
    """True when `piece` holds a kana or ideograph and anything more ("赤い", "の左")."""
    text = piece.lstrip("\u2581")
    return len(text) > 1 and any(is_cjk(char) for char in text)


def train_tokenizer(texts: list[str], settings: MultilingualTraining) -> XLMRobertaTokenizer:
    """A SentencePiece unigram vocabulary learnt from `texts`, Chinese and Japanese one
    character a piece, as an XLMRobertaTokenizer."""
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=settings.vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        max_sentencepiece_length=settings.max_piece_length,
        minloglevel=2,
    )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    pieces = [(piece.piece, piece.score) for piece in proto.pieces]  # in id order
    vocab = [(token, 0.0) for token in SPECIALS_BEFORE]
    vocab += [(piece, score) for piece, score in pieces if piece not in SPECIALS_BEFORE]
    vocab = [(piece, score) for piece, score in vocab if not joins_cjk_characters(piece)]
    vocab.append(("<mask>", 0.0))
    # SentencePiece learnt the pieces of NFKC-normalised text (its default rule): the
    # tokenizer normalises as it did, as a real XLM-R's does, so that what people type
    # ("？", "，", full-width letters) reads as the pieces it learnt ("?", ",")
    return XLMRobertaTokenizer(
        vocab=vocab,
        model_max_length=MAX_TOKENS,
        _spm_precompiled_charsmap=proto.normalizer_spec.precompiled_charsmap,
    )


def new_encoder(
    tokenizer: XLMRobertaTokenizer, settings: MultilingualTraining
) -> XLMRobertaForMaskedLM:
    """An untrained tiny XLM-R with a masked-LM head."""
    torch.manual_seed(settings.seed)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=settings.hidden,
        num_hidden_layers=settings.layers,
        num_attention_heads=settings.heads,
        intermediate_size=4 * settings.hidden,
        max_position_embeddings=MAX_TOKENS + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return XLMRobertaForMaskedLM(config)


def train_multilingual_encoder(
    settings: MultilingualTraining | None = None, progress: bool = True
) -> tuple[XLMRobertaForMaskedLM, XLMRobertaTokenizer]:
    """Learn the vocabulary, then train the masked LM on all seven languages' text."""
    settings = settings or MultilingualTraining()
    texts = [
        t
        for texts in monolingual_text(settings.sentences_per_language, settings.seed).values()
        for t in texts
    ]
    tokenizer = train_tokenizer(texts, settings)
    model = new_encoder(tokenizer, settings)
    encoded = tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=settings.mask_share)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, settings.learning_rate, total_steps=settings.steps
    )
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)  # the collator's masking draws from torch's generator
    model.train()
    for _ in tqdm(range(settings.steps), desc="training XLM-R (masked LM)", disable=not progress):
        batch = collator([{"input_ids": ids} for ids in rng.sample(encoded, settings.batch_size)])
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval(), tokenizer


@torch.no_grad()
def masked_accuracy(
    model: XLMRobertaForMaskedLM, tokenizer: XLMRobertaTokenizer, texts: list[str], seed: int = 0
) -> float:
    """Share of masked pieces the model restores, on `texts` (15% masked, seeded)."""
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    torch.manual_seed(seed)
    batch = collator([{"input_ids": ids} for ids in tokenizer(texts, truncation=True)["input_ids"]])
    predicted = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).logits.argmax(-1)
    masked = batch["labels"] != -100
    return (predicted[masked] == batch["labels"][masked]).float().mean().item()
