"""HFAudioEncoder: sound files and arrays -> AST token features; bad sounds are clear errors."""

import numpy as np
import pytest
import soundfile
import soxr
import torch

from gluegen.encoders.audio import HFAudioEncoder, read_sound
from gluegen_world.models import shipped_model
from gluegen_world.scenes import WorldObject
from gluegen_world.sounds import SAMPLE_RATE, synthesize, write_wav


@pytest.fixture(scope="module")
def encoder():
    return HFAudioEncoder(str(shipped_model("sound"))).load()


@pytest.fixture(scope="module")
def clip():
    return synthesize(WorldObject("star", "red", "big", "left"), seed=3)


def test_building_reads_only_the_config():
    encoder = HFAudioEncoder(str(shipped_model("sound")))
    assert not encoder.is_loaded and encoder.num_tokens > 2 and encoder.dim == 128


def test_the_asts_two_summary_tokens_average_to_its_pooled_output(encoder, clip):
    # a linear map reading a sound's summary reads what ASTModel itself pools
    from gluegen.evaluation.baselines import read_source

    assert encoder.summary_tokens == 2
    inputs = encoder._extractor([clip], sampling_rate=SAMPLE_RATE, return_tensors="pt")
    pooled = encoder._model(**inputs).pooler_output  # (1, d)
    summary = read_source(encoder.encode([clip]).hidden, encoder.summary_tokens)
    assert torch.allclose(summary, pooled, atol=1e-5)


def test_files_and_arrays_give_the_same_features(encoder, clip, tmp_path):
    write_wav(tmp_path / "star.wav", clip)
    from_file = encoder.encode([tmp_path / "star.wav"])
    from_array = encoder.encode([clip])
    assert from_file.hidden.shape == (1, encoder.num_tokens, encoder.dim)
    assert torch.allclose(from_file.hidden, from_array.hidden, atol=1e-2)  # 16-bit PCM


def test_other_rates_are_resampled_and_stereo_is_averaged(encoder, clip, tmp_path):
    slow = soxr.resample(clip, SAMPLE_RATE, 8000)
    assert read_sound((slow, 8000), SAMPLE_RATE).shape == clip.shape
    soundfile.write(tmp_path / "stereo.wav", np.stack([clip, clip], axis=1), SAMPLE_RATE)
    assert np.allclose(read_sound(tmp_path / "stereo.wav", SAMPLE_RATE), clip, atol=1e-4)
    fast = soxr.resample(clip, SAMPLE_RATE, 44_100)  # holds everything the clip holds
    resampled = encoder.encode([(fast, 44_100)]).hidden
    original = encoder.encode([clip]).hidden
    cosine = torch.nn.functional.cosine_similarity(resampled.flatten(), original.flatten(), dim=0)
    assert cosine > 0.99


def test_silent_and_unreadable_sounds_are_clear_errors(encoder, tmp_path):
    write_wav(tmp_path / "silence.wav", np.zeros(SAMPLE_RATE, dtype=np.float32))
    with pytest.raises(ValueError, match="silent"):
        encoder.encode([tmp_path / "silence.wav"])
    (tmp_path / "notes.wav").write_text("not a sound")
    with pytest.raises(ValueError, match="Cannot read the sound file"):
        encoder.encode([tmp_path / "notes.wav"])
    with pytest.raises(ValueError, match="no samples"):
        read_sound(np.zeros(0, dtype=np.float32), SAMPLE_RATE)


def test_a_text_model_is_refused(tmp_path):
    from gluegen.testing import save_clip_text

    with pytest.raises(ValueError, match="HFAudioEncoder reads .*whisper"):
        HFAudioEncoder(str(save_clip_text(tmp_path / "clip")))


def test_the_empty_input_is_a_second_of_silence(encoder):
    empty = encoder.empty_features(2).hidden
    assert empty.shape == (2, encoder.num_tokens, encoder.dim)
    assert torch.equal(empty[0], empty[1])


@pytest.mark.parametrize("family", ["whisper", "clap"])
def test_whisper_and_clap_audio_towers_read_sounds(family, tmp_path):
    from gluegen.testing import save_clap, save_whisper

    folder = (save_whisper if family == "whisper" else save_clap)(tmp_path / family)
    encoder = HFAudioEncoder(str(folder))
    assert not encoder.is_loaded  # shapes come from the config alone
    expected = {"whisper": (1500, 8), "clap": (1, 8)}[family]
    assert (encoder.num_tokens, encoder.dim) == expected
    clips = [
        synthesize(WorldObject(shape, "red", "big", "left"), seed=1) for shape in ("star", "circle")
    ]
    features = encoder.encode(clips).hidden
    assert features.shape == (2, *expected)
    assert torch.isfinite(features).all() and not torch.allclose(features[0], features[1])
    assert family in encoder.family.model_class.lower()


def test_webdataset_tar_shards_give_their_sounds_where_they_lie(encoder, clip, tmp_path):
    import io
    import json
    import tarfile

    from gluegen.data.readers import read_corpus
    from gluegen.data.tars import TarMember

    write_wav(tmp_path / "star.wav", clip)
    shards = tmp_path / "shards"
    shards.mkdir()

    def add(archive, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))

    sound = (tmp_path / "star.wav").read_bytes()
    with tarfile.open(shards / "000.tar", "w") as archive:
        add(archive, "clips/a.wav", sound)
        add(archive, "clips/a.txt", b"a big red star on the left\n")
        add(archive, "clips/b.wav", sound)
        add(archive, "clips/b.json", json.dumps({"target": "held out", "split": "test"}).encode())
    with tarfile.open(shards / "001.tar", "w") as archive:
        add(archive, "c.flac.wav", sound)  # the key ends at the name's first dot
        add(archive, "c.json", json.dumps({"target": "a red star"}).encode())
    corpus = read_corpus(shards)
    assert list(corpus.targets) == ["a big red star on the left", "a red star"]
    assert corpus.source_kind == "audio" and all(isinstance(s, TarMember) for s in corpus.sources)
    from_tar = encoder.encode(list(corpus.sources[:1])).hidden
    assert torch.equal(from_tar, encoder.encode([tmp_path / "star.wav"]).hidden)
    fingerprint = corpus.fingerprint()
    with tarfile.open(shards / "002.tar", "w") as archive:
        add(archive, "d.wav", sound)  # no caption
    with pytest.raises(ValueError, match="sample 'd' has \\['.wav'\\]; each needs a sound"):
        read_corpus(shards)
    with tarfile.open(shards / "002.tar", "w:gz") as archive:
        add(archive, "d.wav", sound)
    with pytest.raises(ValueError, match="decompress .tar.gz shards first"):
        read_corpus(shards)
    (shards / "002.tar").unlink()
    assert read_corpus(shards).fingerprint() == fingerprint
