"""`gluegen serve` driven in headless Chromium: prompts in two languages, a sound, sound +
words, an unreadable upload, two requests at once; a screenshot is kept."""

import io
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

playwright = pytest.importorskip("playwright.sync_api", reason="pip install 'gluegen[web]'")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (scripts/test.sh installs it)", allow_module_level=True
    )

from PIL import Image  # noqa: E402

from gluegen.app import DrawDefaults, Served, drawing, serve, shown  # noqa: E402
from gluegen.encoders import HFAudioEncoder, HFTextEncoder  # noqa: E402
from gluegen.models import GlueNet, GlueNetConfig  # noqa: E402
from gluegen.pipelines import GlueGenPipeline  # noqa: E402
from gluegen_world.demo.workers import load_generator  # noqa: E402
from gluegen_world.models import shipped_model  # noqa: E402
from gluegen_world.scenes import WorldObject  # noqa: E402
from gluegen_world.sounds import synthesize, write_wav  # noqa: E402

BROWSER_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000
REQUESTS = ["请画一个蓝色的大圆在右边", "je voudrais une image d'une petite étoile rouge à gauche"]
SCREENSHOT = Path(__file__).parent / "artifacts" / "app.png"


def random_gluenet(tokens, dim, seed):
    """A GlueNet of the world's shapes (untrained: the page's plumbing is under test)."""
    torch.manual_seed(seed)
    config = GlueNetConfig(
        source_tokens=tokens, source_dim=dim, target_tokens=77, target_dim=64, source_blocks=1
    )
    return GlueNet(config)


@pytest.fixture(scope="module")
def page_server():
    """(the page's address, what it serves: its text side can be swapped between requests)."""
    generator = load_generator()
    xlmr = HFTextEncoder(str(shipped_model("xlmr")), max_length=48)
    sound = HFAudioEncoder(str(shipped_model("sound")))
    nets = {"fr": random_gluenet(48, 64, 0), "zh": random_gluenet(48, 64, 1)}
    served = Served(
        text=GlueGenPipeline(generator, xlmr, nets, unconditional="generator"),
        sound=GlueGenPipeline(
            generator, sound, random_gluenet(sound.num_tokens, sound.dim, 2), "generator"
        ),
        defaults=DrawDefaults(steps=2, guidance=4.0, images=2),
        prompt_examples=REQUESTS,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve(served, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/", served


@pytest.fixture(scope="module")
def server(page_server):
    return page_server[0]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
    return page


def set_number(page, element, value):
    field = page.locator(f"#{element} input[type=number]")
    field.fill(str(value))
    field.press("Enter")


def images_of(page, gallery):
    """The gallery's images as arrays, fetched from the server as the browser shows them."""
    page.wait_for_selector(f"#{gallery} img", timeout=WAIT_MS)
    sources = page.locator(f"#{gallery} img").evaluate_all("els => els.map(e => e.src)")
    return [np.asarray(Image.open(io.BytesIO(page.request.get(s).body()))) for s in sources]


def draw_text(page, prompt, steps=None):
    if steps is not None:
        set_number(page, "steps", steps)
    page.fill("#prompt textarea", prompt)
    page.click("#draw-text")


def upload(page, path):
    with page.expect_file_chooser() as chooser:
        page.locator("#upload button.upload-container").click()
    chooser.value.set_files(str(path))


def test_the_page_draws_text_sound_and_mixes_and_survives_bad_input(server, browser, tmp_path):
    requested = []
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server)
    page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
    draw_text(page, "une grande étoile rouge à gauche")
    assert len(images_of(page, "glued")) == 2 and len(images_of(page, "own")) == 2
    assert "fr" in page.inner_text("#language")
    page.reload()
    page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
    draw_text(page, "左边有一个红色的大圆形")
    page.wait_for_function(
        "document.querySelector('#language').innerText.includes('zh')", timeout=WAIT_MS
    )
    assert len(images_of(page, "glued")) == 2
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("tab", name="Sound").click()
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not a sound at all")
    upload(page, broken)
    page.click("#draw-sound")
    page.get_by_text("Cannot read the sound file").first.wait_for(timeout=WAIT_MS)

    clip = tmp_path / "star.wav"
    write_wav(clip, synthesize(WorldObject("star", "red", "big", "left"), seed=1))
    page.reload()
    page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
    page.get_by_role("tab", name="Sound").click()
    upload(page, clip)
    page.click("#draw-sound")  # the page still works after the error
    assert len(images_of(page, "sound-images")) == 2
    page.fill("#words textarea", "on the left")
    page.locator("#mix").get_by_text("offset").click()
    page.click("#draw-sound")
    page.wait_for_function(
        "document.querySelector('#heard').innerText.includes('offset')", timeout=WAIT_MS
    )
    assert len(images_of(page, "sound-images")) == 2
    page.close()
    outside = [url for url in requested if not url.startswith((server, "data:", "blob:"))]
    assert outside == []  # no fonts, analytics or anything else from the web


def test_two_requests_at_once_equal_the_same_requests_alone(server, browser):
    pages = [open_page(browser, server) for _ in range(2)]
    requests = [("une petite croix bleue en haut", 5), ("un grand cercle vert à droite", 12)]
    for page, (prompt, steps) in zip(pages, requests, strict=True):
        set_number(page, "steps", steps)
        page.fill("#prompt textarea", prompt)
    for page in pages:  # both sent before either is drawn
        page.click("#draw-text")
    together = [images_of(page, "glued") for page in pages]
    for page in pages:
        page.close()
    for (prompt, steps), drawn in zip(requests, together, strict=True):
        alone_page = open_page(browser, server)
        draw_text(alone_page, prompt, steps)
        alone = images_of(alone_page, "glued")
        alone_page.close()
        assert len(alone) == len(drawn) == 2
        for a, b in zip(alone, drawn, strict=True):
            assert np.array_equal(a, b), f"{prompt!r}, {steps} steps: other images beside another"


def test_the_page_shows_each_prompts_path_and_draws_what_that_path_draws(page_server, browser):
    url, served = page_server
    page = open_page(browser, url)
    draw_text(page, "a big orange diamond on the right")  # English: no GlueNet, the generator's
    page.wait_for_function(
        "document.querySelector('#language').innerText.includes('own text encoder')",
        timeout=WAIT_MS,
    )
    assert "Detected language: en" in page.inner_text("#language")
    glued, own = images_of(page, "glued"), images_of(page, "own")
    assert len(glued) == 2 and all(np.array_equal(g, o) for g, o in zip(glued, own, strict=True))

    spanish = "un gran cuadrado rojo a la izquierda"  # no GlueNet, no shared one: refused
    page.reload()
    page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
    draw_text(page, spanish)
    page.get_by_text("reads as 'es', which has no GlueNet").first.wait_for(timeout=WAIT_MS)

    text = served.text  # now with a shared GlueNet: the Spanish prompt goes to it
    nets = {**text.gluenets, "*": random_gluenet(48, 64, 3)}
    served.text = GlueGenPipeline(text.pipeline, text.encoder, nets, unconditional="generator")
    try:
        page.reload()
        page.wait_for_selector("#prompt textarea", timeout=WAIT_MS)
        draw_text(page, spanish)
        page.wait_for_function(
            "document.querySelector('#language').innerText.includes('shared')", timeout=WAIT_MS
        )
        assert "Detected language: es" in page.inner_text("#language")
        drawn = images_of(page, "glued")
        d = served.defaults
        settings = drawing(d.seed, d.steps, d.guidance, d.images, lambda *a, **k: None)
        expected = shown(served.text(spanish, language="*", **settings).images)
    finally:
        served.text = text
    page.close()
    assert len(drawn) == 2
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(drawn, expected, strict=True))


def test_the_page_offers_requests_and_a_click_fills_the_prompt(server, browser):
    page = open_page(browser, server)
    for request in REQUESTS:
        page.locator("#prompt-examples").get_by_text(request).first.click()
        page.wait_for_function(
            f"document.querySelector('#prompt textarea').value === {request!r}", timeout=WAIT_MS
        )
    page.close()
