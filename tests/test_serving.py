"""What `gluegen serve` draws with: from the world's demo folder or from files; what is
missing or does not fit is said on the page instead of stopping the server."""

import argparse

import pytest

pytest.importorskip("gradio", reason="pip install 'gluegen[web]'")

from gluegen.app import Served, text_images  # noqa: E402
from gluegen.models import GlueNet, GlueNetConfig  # noqa: E402
from gluegen.serving import gluenet_keys, served_from_files  # noqa: E402
from gluegen_world.models import shipped_model  # noqa: E402
from gluegen_world.serve import world_served  # noqa: E402


def test_gluenet_flags_name_their_language():
    assert gluenet_keys(["fr=runs/fr/gluenet", "*=runs/shared"]) == {
        "fr": "runs/fr/gluenet",
        "*": "runs/shared",
    }
    with pytest.raises(ValueError, match="give LANG=DIR"):
        gluenet_keys(["runs/fr/gluenet"])


def test_a_world_folder_without_gluenets_serves_and_says_what_is_missing(tmp_path):
    served = world_served(tmp_path, train_missing=False, progress=False)
    assert served.text is None and "run `gluegen demo` first" in served.problems["text"]
    with pytest.raises(Exception, match="run `gluegen demo` first"):
        text_images(served, "un cercle rouge", 0, 2, 4.0, 1)


def test_a_gluenet_that_does_not_fit_is_a_page_message(tmp_path):
    wrong = GlueNet(GlueNetConfig(source_tokens=48, source_dim=64, target_tokens=77, target_dim=32))
    wrong.save_pretrained(tmp_path / "wrong")
    args = argparse.Namespace(
        pipeline=str(shipped_model("generator")),
        source_encoder=str(shipped_model("xlmr")),
        source_max_length=48,
        gluenet=[f"fr={tmp_path / 'wrong'}"],
        sound_encoder=None,
        sound_gluenet=None,
        steps=6,
        guidance=4.0,
    )
    served = served_from_files(args)
    assert isinstance(served, Served) and served.text is None
    assert "another generator" in served.problems["text"]
    assert "--sound-gluenet" in served.problems["sound"]


@pytest.mark.slow
def test_a_world_page_trains_the_gluenets_it_lacks_on_first_start(tmp_path):
    from gluegen_world.demo.settings import DemoSettings, DrawSettings

    tiny = DemoSettings(
        pairs=48,
        sound_pairs=24,
        paraphrase_pairs=48,
        recipe_overrides={"all": {"epochs": 1, "batch_size": 16, "holdout": 0.1}},
        draw=DrawSettings(steps=1),
    )
    served = world_served(tmp_path, settings=tiny, progress=False)
    assert set(served.text.gluenets) == {"fr", "zh"} and served.sound is not None
    assert len(served.examples) == 6 and all(
        path.endswith(".wav") for path in served.examples.values()
    )
    own, glued, line = text_images(served, "左边有一颗黄色的大星星", 0, 1, 4.0, 1)
    assert len(own) == len(glued) == 1 and "zh" in line
    # the page offers requests as people type them, in the languages it has GlueNets for
    assert len(served.prompt_examples) == 4
    assert served.text.route(served.prompt_examples) == ["zh"] * 2 + ["fr"] * 2


def test_page_messages_name_the_users_file_not_the_server_path():
    from gluegen.app import page_errors

    upload = "/tmp/gradio/3f2a9c0d1e/dog barking.wav"

    @page_errors
    def handler(path):
        raise ValueError(f"{path} is silent: give a sound with something in it.")

    with pytest.raises(Exception, match="dog barking.wav is silent") as raised:
        handler(upload)
    assert "/tmp/gradio" not in str(raised.value) and "3f2a9c0d1e" not in str(raised.value)
