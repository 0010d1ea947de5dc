"""What `gluegen serve` draws with: from the world's demo folder or from files; what is
missing or does not fit is said on the page instead of stopping the server."""

import argparse
import json

import pytest

pytest.importorskip("gradio", reason="pip install 'gluegen[web]'")

from gluegen.app import Served, alternatives, text_images  # noqa: E402
from gluegen.cli import build_serve_parser  # noqa: E402
from gluegen.models import GlueNet, GlueNetConfig  # noqa: E402
from gluegen.serving import gluenet_keys, served_from_files  # noqa: E402
from gluegen_world.models import shipped_model  # noqa: E402
from gluegen_world.serve import world_served  # noqa: E402


def test_gluenet_flags_name_their_language():
    assert gluenet_keys(["fr=runs/fr/gluenet", "*=runs/shared"]) == {
        "fr": ["runs/fr/gluenet"],
        "*": ["runs/shared"],
    }
    # a language given twice: both GlueNets, averaged by the pipeline
    both = gluenet_keys(["fr=runs/fr/gluenet", "fr=runs/shared"])
    assert both == {"fr": ["runs/fr/gluenet", "runs/shared"]}
    with pytest.raises(ValueError, match="give LANG=DIR"):
        gluenet_keys(["runs/fr/gluenet"])
    with pytest.raises(ValueError, match="given twice"):
        gluenet_keys(["fr=runs/fr/gluenet", "fr=runs/fr/gluenet"])


def test_a_world_folder_without_gluenets_serves_and_says_what_is_missing(tmp_path):
    served = world_served(tmp_path, train_missing=False, progress=False)
    assert served.text is None and "run `gluegen demo` first" in served.problems["text"]
    with pytest.raises(Exception, match="run `gluegen demo` first"):
        text_images(served, "un cercle rouge", 0, 2, 4.0, 1)


def test_a_gluenet_that_does_not_fit_is_a_page_message(tmp_path):
    wrong = GlueNet(GlueNetConfig(source_tokens=48, source_dim=64, target_tokens=77, target_dim=32))
    wrong.save_pretrained(tmp_path / "wrong")
    served = served_from_files(serve_flags(f"fr={tmp_path / 'wrong'}"))
    assert isinstance(served, Served) and served.text is None
    assert "another generator" in served.problems["text"]
    assert "--sound-gluenet" in served.problems["sound"]


def serve_flags(*gluenets: str, layer: str | None = None) -> argparse.Namespace:
    """`gluegen serve` flags of the world's generator and XLM-R (48 tokens)."""
    flags = ["--pipeline", str(shipped_model("generator")), "--source-encoder"]
    flags += [str(shipped_model("xlmr")), "--source-max-length", "48"]
    flags += [f"--gluenet={g}" for g in gluenets] + ["--source-layer", layer] * (layer is not None)
    return build_serve_parser().parse_args(flags)


def save_world_gluenets(*folders, layer: int = 0) -> None:
    """Random GlueNets of the world's generator and XLM-R read at `layer` (0: the demo's)."""
    from diffusers import DiffusionPipeline

    from gluegen.encoders import HFTextEncoder
    from gluegen.pipelines.glue import pipeline_text_shape

    xlmr = HFTextEncoder(str(shipped_model("xlmr")), max_length=48, layer=layer)
    shape = pipeline_text_shape(DiffusionPipeline.from_pretrained(shipped_model("generator")))
    config = GlueNetConfig(
        source_tokens=48,
        source_dim=xlmr.dim,
        target_tokens=shape.tokens,
        target_dim=shape.width,
        source_encoder=xlmr.identity(),
    )
    for folder in folders:
        GlueNet(config).save_pretrained(folder)


def test_the_page_reads_the_layer_its_gluenets_were_trained_on(tmp_path):
    save_world_gluenets(tmp_path / "own", tmp_path / "shared")
    gluenets = (f"fr={tmp_path / 'own'}", f"fr={tmp_path / 'shared'}")
    served = served_from_files(serve_flags(*gluenets, layer="0"))
    assert served.text is not None and len(served.text.gluenets["fr"].members) == 2
    served = served_from_files(serve_flags(*gluenets, layer="-1"))  # not as they were trained
    assert served.text is None and "layer 0 -> -1" in served.problems["text"]


def test_the_page_reads_the_encoder_its_gluenets_name_where_no_flag_says(tmp_path):
    save_world_gluenets(tmp_path / "own", tmp_path / "shared")
    flags = ["--pipeline", str(shipped_model("generator"))]
    flags += [f"--gluenet=fr={tmp_path / name}" for name in ("own", "shared")]
    served = served_from_files(build_serve_parser().parse_args(flags))
    encoder = served.text.encoder  # XLM-R at layer 0, 48 tokens, as the GlueNets were trained
    assert (encoder.name_or_path, encoder.layer, encoder.max_length) == (
        str(shipped_model("xlmr")),
        0,
        48,
    )
    # two languages' GlueNets trained on different layers: one encoder cannot read for both
    save_world_gluenets(tmp_path / "de", layer=-1)
    flags += [f"--gluenet=de={tmp_path / 'de'}"]
    served = served_from_files(build_serve_parser().parse_args(flags))
    assert served.text is None
    assert "different layer (fr 0, de -1)" in served.problems["text"]
    assert "--source-layer" in served.problems["text"]


def test_a_world_page_draws_each_language_through_its_own_and_the_shared_gluenet(tmp_path):
    from gluegen.app import language_line

    runs = tmp_path / "runs"
    save_world_gluenets(runs / "fr" / "gluenet", runs / "shared" / "gluenet")
    served = world_served(tmp_path, train_missing=False, progress=False)
    french, shared = served.text.gluenets["fr"], served.text.gluenets["*"]
    assert len(french.members) == 2 and french.members[1] is shared
    line = language_line(served.text, "il y a un grand cercle rouge à gauche")
    assert "**fr** (2 GlueNets, their glued tokens averaged)" in line


def test_a_world_page_leaves_out_gluenets_of_a_retrained_encoder(tmp_path, caplog):
    # a demo folder kept across `gluegen world train --only xlmr`: its GlueNets read the old
    # XLM-R; the page serves the rest and names them, rather than refusing to start
    runs = tmp_path / "runs"
    save_world_gluenets(
        runs / "fr" / "gluenet", runs / "de" / "gluenet", runs / "shared" / "gluenet"
    )
    config = runs / "de" / "gluenet" / "config.json"
    trained = json.loads(config.read_text())
    trained["source_encoder"]["fingerprint"] = "sha256:0123456789abcdef"  # the old XLM-R
    config.write_text(json.dumps(trained))
    with caplog.at_level("WARNING"):
        served = world_served(tmp_path, train_missing=False, progress=False)
    assert set(served.text.gluenets) == {"fr", "*"}
    assert "de in" in caplog.text and "gluegen demo --workdir" in caplog.text


@pytest.mark.slow
def test_a_world_page_trains_the_gluenets_it_lacks_on_first_start(tmp_path, monkeypatch):
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
    # the XLM-R retrained since (its content fingerprint another): French and Chinese are
    # trained again on first start, as if missing
    import gluegen.encoders.text

    monkeypatch.setattr(
        gluegen.encoders.text, "model_fingerprint", lambda path, revision=None: "sha256:new"
    )
    served = world_served(tmp_path, settings=tiny, progress=False)
    assert set(served.text.gluenets) == {"fr", "zh"}
    config = json.loads((tmp_path / "runs" / "fr" / "gluenet" / "config.json").read_text())
    assert config["source_encoder"]["fingerprint"] == "sha256:new"


def test_page_messages_name_the_users_file_not_the_server_path():
    from gluegen.app import page_errors

    upload = "/tmp/gradio/3f2a9c0d1e/dog barking.wav"

    @page_errors
    def handler(path):
        raise ValueError(f"{path} is silent: give a sound with something in it.")

    with pytest.raises(Exception, match="dog barking.wav is silent") as raised:
        handler(upload)
    assert "/tmp/gradio" not in str(raised.value) and "3f2a9c0d1e" not in str(raised.value)


class Recorder:
    """A stand-in sound pipeline that keeps what the page asked it to draw."""

    def __call__(self, sound, **options):
        self.options = options
        return argparse.Namespace(images=[])


def test_the_pages_offset_mix_measures_its_words_from_the_alternatives_given():
    from gluegen.app import sound_images
    from gluegen_world.demo.settings import DemoSettings
    from gluegen_world.serve import world_defaults

    served = Served(sound=Recorder())
    places = "on the left; on the right"
    _, said = sound_images(served, "a.wav", None, "on the left", "offset", 1.0, places, 0, 2, 4, 1)
    assert served.sound.options["mix_against"] == ["on the left", "on the right"]
    assert "against 2 alternatives" in said
    for mix, against in (("offset", " ; "), ("blend", places)):  # none given / not an offset
        _, said = sound_images(served, "a.wav", None, "on the left", mix, 1.0, against, 0, 2, 4, 1)
        assert "mix_against" not in served.sound.options and "against" not in said
    # the world's page measures from what the demo's offset rows measure from
    for against in ("places", "empty"):
        settings = DemoSettings(offset_against=against)
        assert alternatives(world_defaults(settings).mix_against) == settings.offset_origin()
    # said as words alone, as people type a place, whatever words the demo's mixes use
    one_place = DemoSettings(sound_captions="one-place", mix_words="lead")
    assert alternatives(world_defaults(one_place).mix_against) == ["on the left"]


def test_the_sound_encoder_is_the_one_the_sound_gluenet_names_where_no_flag_says():
    from gluegen.encoders import HFAudioEncoder
    from gluegen.serving import sound_encoder_for

    sounds = HFAudioEncoder(str(shipped_model("sound")))
    config = GlueNetConfig(
        source_tokens=sounds.num_tokens,
        source_dim=sounds.dim,
        target_tokens=77,
        target_dim=64,
        source_encoder=sounds.identity(),
    )
    nets = {"sound": [GlueNet(config)]}
    no_flag = argparse.Namespace(sound_encoder=None)
    assert sound_encoder_for(nets, no_flag).name_or_path == str(shipped_model("sound"))
    unnamed = {"sound": [GlueNet(GlueNetConfig(4, 8, 77, 64))]}
    with pytest.raises(ValueError, match="give --sound-encoder"):
        sound_encoder_for(unnamed, no_flag)


def test_an_encoder_the_gluenets_name_but_this_machine_lacks_says_so():
    from gluegen.serving import text_encoder_for

    elsewhere = {"kind": "hf-text", "name_or_path": "/scratch/models/xlmr", "layer": 0}
    nets = {"fr": [GlueNet(GlueNetConfig(4, 8, 77, 64, source_encoder=elsewhere))]}
    flags = argparse.Namespace(source_encoder=None, source_max_length=None, source_layer=None)
    with pytest.raises(ValueError, match=r"/scratch/models/xlmr.*config.json; give --source-enc"):
        text_encoder_for(nets, flags)


def test_an_image_on_the_page_is_the_one_gluegen_draw_draws_at_its_seed(tmp_path):
    import numpy as np
    from PIL import Image

    from gluegen.app import drawing
    from gluegen.drawing import DrawSettings, draw_to_folder

    save_world_gluenets(tmp_path / "fr")
    served = served_from_files(serve_flags(f"fr={tmp_path / 'fr'}", layer="0"))
    prompt = "un grand cercle rouge à gauche"
    # the page's call: seed 3, 2 steps, 2 images
    page = served.text(prompt, language="fr", **drawing(3, 2, 4.0, 2, lambda *a, **k: None))
    # one call of both images, as the page's: the claim is the seeds'. Batch sizes may differ
    # in the last bits: after test_demo.py in one process, two calls of one image did
    settings = DrawSettings(steps=2, guidance=4.0, seed=3, images=2, batch=2, language="fr")
    paths = draw_to_folder(served.text, [prompt], settings, tmp_path / "drawn", {})
    drawn = [np.asarray(Image.open(path)) for path in paths]
    assert all(np.array_equal(np.asarray(a), b) for a, b in zip(page.images, drawn, strict=True))
