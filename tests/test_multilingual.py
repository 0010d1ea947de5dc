import pytest
import torch

from gluegen.encoders import HFTextEncoder
from gluegen_world.captions import LANGUAGES
from gluegen_world.multilingual import (
    MultilingualTraining,
    monolingual_text,
    train_multilingual_encoder,
    train_tokenizer,
)

TINY = MultilingualTraining(
    sentences_per_language=150, hidden=16, layers=1, heads=2, steps=5, batch_size=8
)


def test_monolingual_text_is_not_parallel():
    text = monolingual_text(50, seed=0)
    assert set(text) == set(LANGUAGES) and all(len(t) == 50 for t in text.values())
    # each language describes its own scenes: the English and French lists are no translation
    assert text["en"][:5] != text["fr"][:5]


def test_monolingual_text_reads_every_combination_unless_a_split_is_named():
    # a pretrained encoder has read "una estrella amarilla": held-out pairs concern GlueNet's
    # parallel corpora, not the source encoder's own text
    assert any("amarilla" in t for t in monolingual_text(200, seed=0)["es"])
    assert not any("amarilla" in t for t in monolingual_text(200, seed=0, split="train")["es"])
    # and every phrasing, the held-out ones no parallel corpus holds too
    assert any("se trouve" in t for t in monolingual_text(200, seed=0)["fr"])


def test_tokenizer_reads_chinese_and_japanese_a_character_a_piece():
    text = [t for texts in monolingual_text(300, seed=0).values() for t in texts]
    tokenizer = train_tokenizer(text, MultilingualTraining())
    pieces = tokenizer.tokenize("一个红色的小圆形在左边")
    assert max(len(p.strip("\u2581")) for p in pieces) == 1
    assert tokenizer.mask_token == "<mask>" and tokenizer.pad_token_id == 1
    # no piece across words ("赤い星", red star), and a form shares its stem's piece:
    # 赤くて and 赤い both hold 赤, 大圆 and 圆形 both 圆
    assert tokenizer.tokenize("赤い星")[-3:] == ["赤", "い", "星"]
    assert tokenizer.tokenize("赤くて")[-3:] == ["赤", "く", "て"]
    assert "圆" in tokenizer.tokenize("大圆") and "圆" in tokenizer.tokenize("圆形")
    # it normalises as SentencePiece did while learning (NFKC): full-width punctuation people
    # type reads as the pieces learnt, no unknown piece
    assert tokenizer.tokenize("能不能画一个大圆？") == tokenizer.tokenize("能不能画一个大圆?")
    assert tokenizer.unk_token_id not in tokenizer("右边有一个大圆形，是蓝色的")["input_ids"]


def test_trained_encoder_loads_as_a_source_encoder(tmp_path):
    model, tokenizer = train_multilingual_encoder(TINY, progress=False)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    encoder = HFTextEncoder(str(tmp_path), max_length=20)
    texts = ["une petite étoile rouge à gauche", "un grand cercle bleu", "un grand cercle bleu"]
    hidden = encoder.encode(texts).hidden
    assert hidden.shape == (3, 20, 16)
    assert torch.equal(hidden[1], hidden[2]) and not torch.allclose(hidden[0], hidden[1])


def test_shipped_xlmr_loads_through_the_source_encoder_path():
    from gluegen_world.models import shipped_model

    encoder = HFTextEncoder(str(shipped_model("xlmr")), max_length=48)
    texts = ["一颗红色的小星星在左边", "一颗蓝色的小星星在左边", "eine kleine rote Raute links"]
    features = encoder.encode(texts)
    assert features.hidden.shape == (3, 48, 64)
    # the mask covers the prompt's pieces (and the two special tokens), no more
    lengths = encoder.token_lengths(texts)
    assert features.mask.sum(dim=1).tolist() == lengths
    # one colour word apart: the features of the prompt's pieces say so
    differ = (features.hidden[0] - features.hidden[1]).abs().amax(dim=-1) > 1e-4  # (n,)
    assert differ[: lengths[0]].any()
    # it has 66 position embeddings, two before the first token: 64 tokens at most
    with pytest.raises(ValueError, match="beyond the 64 positions"):
        HFTextEncoder(str(shipped_model("xlmr")), max_length=77)


def test_requests_as_people_type_them_are_read_and_routed_in_every_language():
    """The page's requests ("请画...", "je voudrais une image d'..."): every piece known to the
    shipped XLM-R, and lingua sends each to its language's GlueNet."""
    from transformers import AutoTokenizer

    from gluegen.pipelines.routing import Router
    from gluegen_world.demo.settings import FOREIGN
    from gluegen_world.models import shipped_model
    from gluegen_world.serve import example_requests

    tokenizer = AutoTokenizer.from_pretrained(shipped_model("xlmr"))
    router = Router(FOREIGN)
    for code in FOREIGN:
        for text in example_requests([code]) + ISSUE_REQUESTS.get(code, []):
            assert tokenizer.unk_token_id not in tokenizer(text)["input_ids"], text
            assert router.route(text).key == code, text


# typed on the page in the issue that asked for requests
ISSUE_REQUESTS = {"zh": ["请画一个蓝色的大圆在右边"]}
