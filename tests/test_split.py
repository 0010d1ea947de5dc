"""Held-out pairs: a seeded permutation, or a hash of each pair that a grown, re-ordered or
re-exported corpus keeps."""

import json

import numpy as np
import pytest
import torch
from test_train import gluenet_config_for, make_cache, small_config

from gluegen import testing as toy
from gluegen.data.cache import FeatureCache, pool_caches
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.split import hash_split, pair_keys, split_pairs
from gluegen.training.trainer import Trainer


def held_texts(sources, targets, holdout=0.1, seed=0):
    keys = pair_keys(zip(sources, targets, strict=True))
    _, held = hash_split(keys, holdout, seed)
    return {sources[i] for i in held.tolist()}


def test_a_pair_is_held_out_whatever_the_corpus_order_or_size():
    sentences = toy.toy_sentences(1200, seed=7)
    first, grown = sentences[:1000], sentences[1000:]
    held = held_texts(first, first)
    assert 60 <= len(held) <= 140  # about the held-out share
    bigger = list(reversed(first)) + grown  # re-ordered, and grown
    assert held_texts(bigger, bigger) & set(first) == held
    assert held_texts(first, first, seed=1) != held  # the seed draws another split
    assert held_texts(first, [t.upper() for t in first]) != held  # both sides are the pair


def test_tiny_corpora_keep_a_pair_either_side():
    keys = pair_keys([("a", "b"), ("c", "d")])
    train, held = hash_split(keys, 0.999, 0)
    assert len(train) == 1 and len(held) == 1
    train, held = hash_split(keys, 1e-9, 0)
    assert len(train) == 1 and len(held) == 1


def test_caches_keep_their_pairs_keys_and_a_run_splits_by_them(models, tmp_path):
    sentences = toy.toy_sentences(200, seed=3)
    cache = make_cache(models, tmp_path / "cache", sentences)
    keys = cache.pair_keys()
    assert np.array_equal(keys, pair_keys(zip(sentences, sentences, strict=True)))
    pooled = pool_caches([cache, cache], tmp_path / "pooled")
    assert np.array_equal(pooled.pair_keys(), np.concatenate([keys, keys]))

    config = small_config(tmp_path / "run", split_by="hash")
    trainer = Trainer(cache, gluenet_config_for(cache, source_blocks=1), config)
    train_ids, held_ids = split_pairs(cache, config.holdout, config.seed, "hash")
    assert torch.equal(trainer.eval_ids, held_ids) and torch.equal(trainer.train_ids, train_ids)
    trainer.run()
    from gluegen.cli import training_split

    assert training_split(str(tmp_path / "run")) == (0.1, 0, "hash")  # what evaluate splits by
    permuted = Trainer(cache, gluenet_config_for(cache, source_blocks=1), small_config(tmp_path))
    assert not torch.equal(permuted.eval_ids.sort().values, held_ids)

    manifest = json.loads((cache.folder / "manifest.json").read_text())
    del manifest["pair_keys"]  # a cache built before the keys were kept
    with pytest.raises(ValueError, match="built before pair keys were kept.*--split-by perm"):
        FeatureCache(cache.folder, manifest).pair_keys()


def test_online_features_key_their_pairs_as_a_cache_does(models):
    from gluegen.data.online import OnlineFeatures
    from gluegen.encoders import HFTextEncoder, load_target

    sentences = toy.toy_sentences(40, seed=2)
    corpus = ParallelCorpus(sentences, list(reversed(sentences)))
    source = HFTextEncoder(models["xlmr"], max_length=8)
    online = OnlineFeatures(corpus, source, load_target(models["sd"]))
    expected = pair_keys(zip(sentences, reversed(sentences), strict=True))
    assert np.array_equal(online.pair_keys(), expected)
