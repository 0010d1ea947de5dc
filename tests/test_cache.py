import json

import pytest
import torch

from gluegen.data.cache import FeatureCache, build_cache, pool_caches, shard_name
from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders import HFTextEncoder, load_target


class Counting:
    """Wraps an encoder and counts the strings it encodes; can fail after `fail_after` calls."""

    def __init__(self, encoder, fail_after=None):
        self.encoder, self.calls, self.encoded, self.fail_after = encoder, 0, 0, fail_after

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def encode(self, batch):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls += 1
        self.encoded += len(batch)
        return self.encoder.encode(batch)


@pytest.fixture
def encoders(models):
    return Counting(HFTextEncoder(models["xlmr"], max_length=8)), Counting(
        load_target(models["sd"])
    )


def corpus_of(sentences, count=50):
    return ParallelCorpus(sentences[:count], sentences[:count])


def test_build_then_reuse_without_running_encoders(tmp_path, sentences, encoders):
    source, target = encoders
    cache = build_cache(
        corpus_of(sentences), source, target, tmp_path, batch_size=16, shard_size=20, progress=False
    )
    assert len(cache) == 50 and cache.manifest["shards"] == [shard_name(k) for k in range(3)]
    tensors = cache.load()
    assert tensors["source"].shape == (50, 8, 16) and tensors["target"].shape == (50, 12, 16)
    torch.testing.assert_close(tensors["source"][:2], source.encoder.encode(sentences[:2]).hidden)
    assert source.encoded == target.encoded == 50

    again = build_cache(
        corpus_of(sentences), source, target, tmp_path, batch_size=16, shard_size=20, progress=False
    )
    assert again.manifest == cache.manifest
    assert source.encoded == target.encoded == 50  # neither encoder ran again


def test_pooled_cache_reads_its_members_rows_in_order(tmp_path, sentences, encoders, models):
    source, target = encoders
    first = build_cache(
        corpus_of(sentences, 30), source, target, tmp_path / "a", shard_size=20, progress=False
    )
    second = build_cache(
        ParallelCorpus(sentences[30:50], sentences[30:50]),
        source,
        target,
        tmp_path / "b",
        progress=False,
    )
    pooled = pool_caches([first, second], tmp_path / "pooled")
    assert len(pooled) == 50 and pooled.key["source_encoder"] == first.key["source_encoder"]
    rows = pooled.load()
    torch.testing.assert_close(rows["source"][:30], first.load()["source"])
    torch.testing.assert_close(rows["target"][30:], second.load()["target"])
    assert pool_caches([first, second], tmp_path / "pooled").manifest == pooled.manifest
    assert FeatureCache.open(tmp_path / "pooled").key["pooled"] == [first.key, second.key]

    other = build_cache(
        corpus_of(sentences, 20),
        HFTextEncoder(models["xlmr"], max_length=6),
        target,
        tmp_path / "c",
        progress=False,
    )
    with pytest.raises(ValueError, match="source_encoder, shapes differ"):
        pool_caches([first, other], tmp_path / "bad")


def test_stale_cache_is_rebuilt(tmp_path, sentences, encoders):
    source, target = encoders
    build_cache(corpus_of(sentences), source, target, tmp_path, shard_size=20, progress=False)
    changed = corpus_of(sentences, count=30)
    cache = build_cache(changed, source, target, tmp_path, shard_size=20, progress=False)
    assert len(cache) == 30 and len(cache.load()["source"]) == 30
    assert not (tmp_path / shard_name(2)).exists()  # the old third shard is gone


def test_interrupted_build_resumes_and_leaves_no_manifest(tmp_path, sentences, models):
    source = Counting(HFTextEncoder(models["xlmr"], max_length=8), fail_after=3)
    target = load_target(models["sd"])
    with pytest.raises(KeyboardInterrupt):
        build_cache(
            corpus_of(sentences),
            source,
            target,
            tmp_path,
            batch_size=10,
            shard_size=20,
            progress=False,
        )
    assert not (tmp_path / "manifest.json").exists()
    assert (tmp_path / shard_name(0)).exists() and not (tmp_path / shard_name(1)).exists()
    assert not list(tmp_path.glob(".*tmp"))  # no half-written shard

    resumed = Counting(HFTextEncoder(models["xlmr"], max_length=8))
    cache = build_cache(
        corpus_of(sentences),
        resumed,
        target,
        tmp_path,
        batch_size=10,
        shard_size=20,
        progress=False,
    )
    assert resumed.encoded == 30  # only the two missing shards
    fresh = build_cache(
        corpus_of(sentences),
        resumed,
        target,
        tmp_path / "fresh",
        batch_size=10,
        shard_size=20,
        progress=False,
    )
    torch.testing.assert_close(cache.load()["source"], fresh.load()["source"])


def test_pooled_targets_are_cached(tmp_path, sentences, models):
    cache = build_cache(
        corpus_of(sentences, 10),
        HFTextEncoder(models["t5"], max_length=8),
        load_target(models["sdxl"]),
        tmp_path,
        progress=False,
    )
    assert cache.manifest["shapes"]["target_pooled"] == [16]
    assert cache.load()["target_pooled"].shape == (10, 16)


def test_half_precision_cache(tmp_path, sentences, models):
    cache = build_cache(
        corpus_of(sentences, 10),
        HFTextEncoder(models["xlmr"], max_length=8),
        load_target(models["sd"]),
        tmp_path,
        dtype="float16",
        progress=False,
    )
    assert json.loads((tmp_path / "manifest.json").read_text())["key"]["dtype"] == "float16"
    assert cache.load()["source"].dtype == torch.float32  # loaded for training in float32
    with pytest.raises(ValueError, match="Unknown cache dtype"):
        build_cache(
            corpus_of(sentences, 10),
            HFTextEncoder(models["xlmr"], max_length=8),
            load_target(models["sd"]),
            tmp_path,
            dtype="int8",
        )


def test_opening_an_unfinished_cache_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no finished feature cache"):
        FeatureCache.open(tmp_path)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_rows_are_read_across_shards_without_loading_everything(tmp_path, sentences, models, dtype):
    source = HFTextEncoder(models["xlmr"], max_length=8)
    cache = build_cache(
        corpus_of(sentences),
        source,
        load_target(models["sd"]),
        tmp_path,
        shard_size=20,
        dtype=dtype,
        progress=False,
    )
    arrays = cache.arrays()
    assert arrays["source"].shape == (50, 8, 16) and len(arrays["target_mask"]) == 50
    ids = torch.tensor([45, 3, 21, 3])
    rows = arrays["source"][ids]
    expected = source.encode([sentences[i] for i in ids.tolist()]).hidden
    tolerance = 1e-2 if dtype == "bfloat16" else 1e-6
    torch.testing.assert_close(rows, expected, atol=tolerance * 10, rtol=tolerance)
    assert arrays["source_mask"][ids].dtype == torch.int8
    with pytest.raises(IndexError, match="50 rows"):
        arrays["source"][torch.tensor([50])]


def test_shards_are_hashed_once_and_pooled_caches_reuse_their_members_records(
    tmp_path, sentences, encoders, monkeypatch
):
    from gluegen.data import integrity

    hashed = []
    real = integrity.sha256_file
    monkeypatch.setattr(integrity, "sha256_file", lambda path: hashed.append(path) or real(path))
    source, target = encoders
    members = [
        build_cache(
            corpus_of(sentences[i:], 20), source, target, tmp_path / f"m{i}", progress=False
        )
        for i in (0, 20)
    ]
    pooled = pool_caches(members, tmp_path / "pooled")
    for cache in (*members, pooled, FeatureCache.open(tmp_path / "pooled")):
        cache.arrays()  # each verifies on its first read
    # the build hashed each shard once, as written; verifying read nothing back to hash
    assert [path.name.endswith(".tmp") for path in hashed] == [True, True]
    hashed.clear()
    with open(tmp_path / "m0" / shard_name(0), "r+b") as handle:  # a changed shard ...
        handle.seek(-4, 2)
        handle.write(b"\x7f\x7f\x7f\x7f")
    with pytest.raises(ValueError, match="does not match its checksum"):
        FeatureCache.open(tmp_path / "pooled").arrays()  # ... is hashed again, and caught
    assert len(hashed) == 1


def test_encoding_in_bf16_is_another_cache_close_to_full_precision(tmp_path, sentences, encoders):
    source, target = encoders
    corpus = corpus_of(sentences, 20)
    full = build_cache(corpus, source, target, tmp_path / "full", progress=False).load()
    half = build_cache(
        corpus, source, target, tmp_path / "bf16", progress=False, encode_precision="bf16"
    )
    assert half.key["encode_precision"] == "bf16"
    assert half.load()["target"].dtype == torch.float32  # stored as the cache dtype says
    difference = (half.load()["target"] - full["target"]).abs().max()
    assert 0 < difference < 0.1 * full["target"].abs().max()
    with pytest.raises(ValueError, match="encode precision"):
        build_cache(corpus, source, target, tmp_path / "x", progress=False, encode_precision="fp8")


def test_masks_are_stored_eight_tokens_a_byte_and_read_back_exactly(tmp_path, sentences, models):
    from safetensors import safe_open

    from gluegen.data.shards import pack_mask, unpack_mask

    mask = torch.tensor([[1] * 9 + [0] * 3, [1] * 3 + [0] * 9, [0, 1] * 6])  # 12 tokens
    bits = pack_mask(mask)
    assert bits.dtype == torch.uint8 and bits.shape == (3, 2)
    assert torch.equal(unpack_mask(bits.numpy(), 12), mask.to(torch.int8))
    source = HFTextEncoder(models["xlmr"], max_length=8)
    cache = build_cache(
        corpus_of(sentences, 20), source, load_target(models["sd"]), tmp_path, progress=False
    )
    with safe_open(tmp_path / cache.manifest["shards"][0], "pt") as shard:
        assert shard.get_slice("target_mask").get_shape() == [20, 2]  # 12 tokens in 2 bytes
    read = cache.load()
    assert read["target_mask"].shape == (20, 12) and read["target_mask"].dtype == torch.int8
    expected = source.encode(sentences[:20]).mask.to(torch.int8)
    assert torch.equal(read["source_mask"], expected)


def test_the_encoders_device_auto_is_this_machines_and_other_names_are_checked():
    from gluegen.data.prepare import encoding_device
    from gluegen.precision import resolve_mixed_precision

    assert encoding_device("auto") == torch.device("cpu")  # no GPU here
    assert encoding_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="--device 'gpu' is not a device"):
        encoding_device("gpu")
    assert resolve_mixed_precision("auto", torch.device("cpu")) == "no"  # bf16 only on a GPU
    assert resolve_mixed_precision("bf16", torch.device("cpu")) == "bf16"  # asked for: as asked
