"""The original release's checkpoints become GlueNet folders whose forward equals theirs."""

import torch
from original_release import TranslatorNoLN, TranslatorWithHeadV0, randomised

from gluegen.cli import main
from gluegen.convert import RELEASE_CLIP_TOKEN_NORMS, convert_file
from gluegen.models import GlueNet

TOLERANCE = 1e-6
NORMS = torch.tensor(RELEASE_CLIP_TOKEN_NORMS)[:, None]  # (77, 1)


def saved(module, path):
    torch.save(module.state_dict(), path)
    return path


def test_a_multilingual_release_checkpoint_converts_exactly(tmp_path):
    theirs = randomised(TranslatorNoLN(77, 16, 12, mult=2, depth=5))
    folder = convert_file(saved(theirs, tmp_path / "multi.ckpt"), "multilingual", tmp_path / "zh")
    ours = GlueNet.from_pretrained(folder).eval()
    assert ours.config.source_blocks == 5 and ours.config.target_dim == 12
    raw = torch.randn(3, 77, 16) * 4  # XLM-R-like features
    with torch.no_grad():
        assert (ours(raw / 3) - theirs(raw / 3)).abs().max() <= TOLERANCE
        release_output = theirs(raw / 3) * (NORMS / 2)  # how the release used its output
    torch.testing.assert_close(ours.translate(raw), release_output, rtol=1e-6, atol=1e-5)


def test_an_audio_release_checkpoint_converts_exactly(tmp_path):
    theirs = randomised(TranslatorWithHeadV0(16, 77, 8, 12, mult=4, depth=5), seed=1)
    folder = convert_file(saved(theirs, tmp_path / "audio.ckpt"), "audio", tmp_path / "audio")
    ours = GlueNet.from_pretrained(folder).eval()
    assert (ours.config.mixer_tokens, ours.config.mixer_dim) == (16, 8)
    embedding = torch.randn(3, 1, 128)  # one audio embedding, folded to 16 x 8 by both
    with torch.no_grad():
        release = theirs(embedding.reshape(3, 16, 8))
        assert (ours(embedding) - release).abs().max() <= TOLERANCE
    torch.testing.assert_close(
        ours.translate(embedding), release * (NORMS / 2), rtol=1e-6, atol=1e-5
    )


def test_the_paper_audio_preset_has_the_release_layout():
    from gluegen.recipes import get_recipe

    theirs = TranslatorWithHeadV0(16, 77, 64, 768, mult=4, depth=5)
    ours = GlueNet(get_recipe("paper-audio").gluenet_config())
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_the_wrong_kind_or_a_pickle_is_refused(tmp_path, capsys):
    theirs = randomised(TranslatorNoLN(77, 16, 12, mult=2, depth=5))
    checkpoint = saved(theirs, tmp_path / "multi.ckpt")
    args = ["convert-original", str(checkpoint), "--out", str(tmp_path / "out")]
    assert main([*args, "--kind", "audio"]) == 2
    assert "try the other --kind (multilingual)" in capsys.readouterr().err
    assert main([*args, "--kind", "multilingual"]) == 0
    assert GlueNet.from_pretrained(tmp_path / "out").config.source_encoder["release"] == "GlueGen"

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "ran.txt"), "w"))

    torch.save({"weight": Evil()}, tmp_path / "evil.ckpt")
    evil = ["convert-original", str(tmp_path / "evil.ckpt"), "--kind", "audio", "--out", "x"]
    assert main(evil) == 2 and not (tmp_path / "ran.txt").exists()
    assert "cannot be read safely" in capsys.readouterr().err
