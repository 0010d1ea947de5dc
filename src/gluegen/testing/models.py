"""Tiny random encoders of the real classes, and a toy parallel corpus, built locally.

- `toy_sentences`: random sentences over a small word list;
- `save_xlmr` / `save_t5` / `save_clip_text`: a random XLMRobertaModel / T5EncoderModel /
  CLIPTextModel with a real tokenizer of that family (one token per word), as a folder;
- `save_whisper` / `save_clap`: random audio models with their real feature extractors.

Every word is a single token for every tokenizer here, so a sentence has the same token
positions on both sides of a pair: the target features are a fixed (unknown) function of the
source features, and a right answer for GlueNet exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch

from gluegen.encoders.vocab import word_vocab

TOY_WORDS = (
    "a an the one two red green blue yellow purple orange black white big small tiny huge "
    "circle square triangle star heart cross ring left right top bottom middle of near and "
    "with on under over beside above below"
).split()


@dataclass
class EncoderSize:
    """Proportions of a tiny transformer encoder."""

    hidden: int = 32
    layers: int = 2
    heads: int = 2
    max_tokens: int = 16
    mlp_ratio: int = 2  # each layer's MLP width over `hidden` (BERT, CLIP, XLM-R: 4)
    # Embeddings drawn at this scale (HF initialises them at 0.02), so that each token's
    # identity, not random context mixing, dominates its feature: a learnable toy mapping.
    embedding_std: float = 3.0


def _spread_embeddings(model: torch.nn.Module, std: float) -> None:
    """Redraw every embedding table of `model` with standard deviation `std`."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Embedding) and module.weight.shape[0] > 2:
                module.weight.normal_(0.0, std)


def toy_sentences(count: int, seed: int = 0, min_words: int = 2, max_words: int = 8) -> list[str]:
    """`count` distinct random sentences over TOY_WORDS."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[" ".join(rng.choices(TOY_WORDS, k=rng.randint(min_words, max_words)))] = None
    return list(seen)


def _unigram_vocab(specials: list[str]) -> list[tuple[str, float]]:
    """A SentencePiece-style vocabulary with every toy word as one piece."""
    words = [("\u2581" + word, -1.0) for word in TOY_WORDS]
    letters = [(c, -10.0) for c in sorted(set("".join(TOY_WORDS)))]
    return [(s, 0.0) for s in specials] + words + letters + [("\u2581", -5.0)]


def _clip_parts(size: EncoderSize, seed: int, projection: int | None = None):
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    vocab, merges = word_vocab(TOY_WORDS)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=size.max_tokens)
    config = CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=size.hidden,
        intermediate_size=size.hidden * size.mlp_ratio,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        max_position_embeddings=size.max_tokens,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        projection_dim=projection or size.hidden,
    )
    torch.manual_seed(seed)
    model_class = CLIPTextModelWithProjection if projection else CLIPTextModel
    model = model_class(config).eval()
    _spread_embeddings(model, size.embedding_std)
    return tokenizer, model


def save_clip_text(folder: str | Path, size: EncoderSize | None = None, seed: int = 0) -> Path:
    """A random CLIPTextModel + CLIPTokenizer folder."""
    tokenizer, model = _clip_parts(size or EncoderSize(), seed)
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    return Path(folder)


def save_xlmr(folder: str | Path, size: EncoderSize | None = None, seed: int = 0) -> Path:
    """A random XLMRobertaModel + XLMRobertaTokenizer folder."""
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    size = size or EncoderSize()
    vocab = _unigram_vocab(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokenizer = XLMRobertaTokenizer(vocab=vocab, model_max_length=size.max_tokens)
    config = XLMRobertaConfig(
        vocab_size=len(vocab),
        hidden_size=size.hidden,
        intermediate_size=size.hidden * size.mlp_ratio,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        max_position_embeddings=size.max_tokens + 2,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    _spread_embeddings(model, size.embedding_std)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def _t5_parts(size: EncoderSize, seed: int):
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    vocab = _unigram_vocab(["<pad>", "</s>", "<unk>"])
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=size.max_tokens)
    config = T5Config(
        vocab_size=len(vocab),
        d_model=size.hidden,
        d_kv=size.hidden // size.heads,
        d_ff=size.hidden * size.mlp_ratio,
        num_layers=size.layers,
        num_heads=size.heads,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(seed)
    model = T5EncoderModel(config).eval()
    _spread_embeddings(model, size.embedding_std)
    return tokenizer, model


def save_t5(folder: str | Path, size: EncoderSize | None = None, seed: int = 0) -> Path:
    """A random T5EncoderModel + T5Tokenizer folder."""
    tokenizer, model = _t5_parts(size or EncoderSize(), seed)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def write_text_pair(folder: str | Path, sentences: list[str]) -> tuple[Path, Path]:
    """Write the toy corpus as two aligned files (the same sentences on both sides)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source, target = folder / "source.txt", folder / "target.txt"
    text = "\n".join(sentences) + "\n"
    source.write_text(text, encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return source, target


def save_whisper(folder: str | Path, seed: int = 0) -> Path:
    """A random WhisperModel (8 wide) with Whisper's real feature extractor, as a folder."""
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    torch.manual_seed(seed)
    config = WhisperConfig(
        d_model=8,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=1,
        decoder_attention_heads=1,
        encoder_ffn_dim=16,
        decoder_ffn_dim=16,
        vocab_size=64,
        max_target_positions=8,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
    )
    WhisperModel(config).save_pretrained(folder)
    WhisperFeatureExtractor().save_pretrained(folder)
    return Path(folder)


def save_clap(folder: str | Path, seed: int = 0) -> Path:
    """A random ClapModel (audio tower 16 wide, projection 8) with a small feature extractor."""
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
    )

    torch.manual_seed(seed)
    audio = ClapAudioConfig(
        window_size=4,
        spec_size=64,
        num_mel_bins=16,
        patch_size=4,
        patch_stride=[4, 4],
        patch_embeds_hidden_size=8,
        hidden_size=16,
        depths=[1, 1],
        num_attention_heads=[1, 1],
        projection_dim=8,
    )
    text = ClapTextConfig(
        vocab_size=64,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=16,
        projection_dim=8,
        max_position_embeddings=16,
        pad_token_id=0,
    )
    config = ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=8)
    ClapModel(config).save_pretrained(folder)
    ClapFeatureExtractor(
        feature_size=16,
        sampling_rate=16_000,
        max_length_s=1,
        fft_window_size=256,
        hop_length=80,
        truncation="rand_trunc",
        padding="repeatpad",
    ).save_pretrained(folder)
    return Path(folder)
