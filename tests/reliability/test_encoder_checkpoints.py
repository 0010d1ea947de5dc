"""Encoders read from checkpoints saved for larger models: heads left out quietly, missing or
misshapen weights of what the encoder reads refused."""

import json
import shutil

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import XLMRobertaForMaskedLM

from gluegen.encoders import HFTextEncoder
from gluegen.encoders.weights import is_read

PROMPTS = ["a red circle", "big square"]


def copy_with(folder, tmp_path, keep=lambda name: True, config=None):
    """A copy of a model folder, with only the weights `keep` accepts and `config` changed."""
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    weights = load_file(copy / "model.safetensors")
    kept = {name: value for name, value in weights.items() if keep(name)}
    save_file(kept, str(copy / "model.safetensors"), metadata={"format": "pt"})
    if config:
        saved = json.loads((copy / "config.json").read_text())
        (copy / "config.json").write_text(json.dumps(saved | config))
    return str(copy)


def test_a_masked_lm_checkpoint_gives_its_body_without_a_load_report(models, tmp_path, capfd):
    # XLM-R as published: the body under a masked-LM head, no pooler
    folder = tmp_path / "mlm"
    shutil.copytree(models["xlmr"], folder)  # the tokenizer
    torch.manual_seed(0)
    masked = XLMRobertaForMaskedLM(transformers.AutoConfig.from_pretrained(models["xlmr"]))
    masked.save_pretrained(folder)
    capfd.readouterr()
    verbosity = transformers.utils.logging.get_verbosity()
    encoder = HFTextEncoder(str(folder), max_length=6)
    assert encoder.encode(PROMPTS).hidden.shape == (2, 6, 16)
    assert "LOAD REPORT" not in capfd.readouterr().err
    assert transformers.utils.logging.get_verbosity() == verbosity  # as it was before
    body = masked.roberta.embeddings.word_embeddings.weight
    assert torch.equal(encoder._model.embeddings.word_embeddings.weight, body)


def test_a_checkpoint_without_a_layer_the_encoder_reads_is_refused(models, tmp_path):
    folder = copy_with(models["xlmr"], tmp_path, keep=lambda name: "layer.0.output" not in name)
    with pytest.raises(ValueError, match=r"has no weights for \d+ of the \d+ .*layer\.0\.output"):
        HFTextEncoder(folder).load()


def test_weights_of_another_shape_than_the_config_says_are_refused(models, tmp_path):
    folder = copy_with(models["xlmr"], tmp_path, config={"intermediate_size": 24})
    with pytest.raises(ValueError, match=r"do not fit its config .*\[32\] in the weights, \[24\]"):
        HFTextEncoder(folder).load()


def test_only_modules_whose_output_is_never_read_may_lack_weights():
    assert not is_read("pooler.dense.weight")
    assert not is_read("decoder.layers.0.fc1.bias")  # Whisper: its encoder alone is read
    assert is_read("encoder.layer.0.output.dense.weight")
    assert is_read("text_projection.weight")  # SDXL's pooled embeds come from it


def test_loads_in_several_threads_put_the_verbosity_back(models):
    from concurrent.futures import ThreadPoolExecutor

    verbosity = transformers.utils.logging.get_verbosity()
    transformers.utils.logging.set_verbosity_warning()  # as a user's process has it
    try:
        encoders = [HFTextEncoder(models["xlmr"], max_length=6) for _ in range(8)]
        with ThreadPoolExecutor(8) as pool:  # a page's first requests, each loading at once
            list(pool.map(lambda encoder: encoder.load(), encoders))
        assert transformers.utils.logging.get_verbosity() == transformers.logging.WARNING
        assert all(encoder.is_loaded for encoder in encoders)
    finally:
        transformers.utils.logging.set_verbosity(verbosity)
