"""`gluegen serve`: a local web page to draw through GlueNets (gradio).

    a prompt in any language ─► its GlueNet, the shared one, or (in the generator's language,
                                with no GlueNet) the generator's own encoder: path shown ─► images
                             └► the generator's own encoder, same seed ─► images, beside them
    a sound (upload or example), optionally mixed with words ─► the sound GlueNet ─► images

Errors (an empty prompt, an unreadable or silent sound, a GlueNet that does not fit) appear
on the page and the server keeps serving. Calls that share a diffusers pipeline run one at a
time (GlueGenPipeline's lock), so concurrent visitors get the images they would get alone.
The page makes no outbound calls: analytics are off and it binds to 127.0.0.1 by default.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import functools  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

try:
    import gradio as gr  # noqa: E402
except ImportError as error:  # the [web] extra; the library and `gluegen draw` need none
    raise ImportError("The web page needs gradio: pip install 'gluegen[web]'.") from error
from PIL import Image  # noqa: E402

from gluegen.drawing import image_generators  # noqa: E402
from gluegen.models import GlueNetEnsemble  # noqa: E402
from gluegen.pipelines import MIXES, GlueGenPipeline  # noqa: E402

# Fonts the browser has: the default theme would fetch its fonts from the web.
SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "Noto Sans", "Noto Sans CJK SC", "sans-serif")


def local_theme() -> gr.themes.Base:
    """gradio's default look with the browser's own fonts (no request leaves the machine)."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=("ui-monospace", "monospace"))


DISPLAY_SIDE = 192  # smaller images are scaled up to about this many pixels (nearest)
ALONE = "sound alone"  # the sound mix choice that adds no words
NO_EXAMPLE = "(upload a sound instead)"


@dataclass
class DrawDefaults:
    """The page's starting values (the world's generator wants few steps, SD 50)."""

    steps: int = 50
    guidance: float = 7.5
    seed: int = 0
    images: int = 2
    mix_weight: float = 1.0
    # what an offset mix's words are measured from: the alternatives they choose among,
    # ALTERNATIVES_SEPARATOR between them ("": the empty prompt)
    mix_against: str = ""


ALTERNATIVES_SEPARATOR = ";"


def alternatives(text: str | None) -> list[str] | None:
    """The alternatives typed in the page's box, or None when there are none."""
    given = [part.strip() for part in (text or "").split(ALTERNATIVES_SEPARATOR)]
    return [part for part in given if part] or None


@dataclass
class Served:
    """What the page draws with; a side that could not be set up says why in `problems`."""

    text: GlueGenPipeline | None = None
    sound: GlueGenPipeline | None = None
    examples: dict[str, str] = field(default_factory=dict)  # caption -> sound file
    prompt_examples: list[str] = field(default_factory=list)  # prompts offered under the box
    problems: dict[str, str] = field(default_factory=dict)  # "text" / "sound" -> why not
    defaults: DrawDefaults = field(default_factory=DrawDefaults)
    title: str = "GlueGen"

    def side(self, name: str) -> GlueGenPipeline:
        """The text or sound GlueGenPipeline, or the reason it is missing as a page error."""
        glue = getattr(self, name)
        if glue is None:
            raise gr.Error(self.problems.get(name, f"No {name} GlueNet is loaded."))
        return glue


def shown(images: list[Image.Image]) -> list[Image.Image]:
    """Images scaled up by a whole factor when small, so that 32-pixel worlds are visible."""
    factor = max(1, DISPLAY_SIDE // max(images[0].size)) if images else 1
    return [
        image.resize((image.width * factor, image.height * factor), Image.NEAREST)
        for image in images
    ]


def drawing(seed: int, steps: int, guidance: float, count: int, progress: Any) -> dict:
    """Pipeline arguments for one request: a generator for each image, seeded seed + its
    index as `gluegen draw --seed` seeds them (so an image seen here is drawn again there), and
    a progress callback."""
    steps, count = int(steps), int(count)
    if not 1 <= steps <= 1000 or not 1 <= count <= 16:
        raise gr.Error("Steps must be 1-1000 and images 1-16.")

    def step_done(pipe: Any, index: int, timestep: Any, tensors: dict) -> dict:
        progress((index + 1, steps), desc="drawing")
        return tensors

    return {
        "num_inference_steps": steps,
        "guidance_scale": float(guidance),
        "num_images_per_prompt": count,
        "generator": image_generators(int(seed), 0, count),
        "callback_on_step_end": step_done,
        "output_type": "pil",
    }


def without_server_paths(message: str, inputs: tuple) -> str:
    """A message with every uploaded file's server path (gradio's upload folder and hash) cut
    to the file's own name: what the user gave, nothing of the server."""
    for value in inputs:
        if isinstance(value, str) and os.sep in value:
            message = message.replace(value, os.path.basename(value))
            message = message.replace(os.path.dirname(value) + os.sep, "")
    return message


def page_errors(handler: Callable) -> Callable:
    """A handler whose failures (bad input, a GlueNet that does not fit) become page messages
    that name the user's file, not where the server keeps it."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, OSError, RuntimeError, TypeError) as error:
            message = without_server_paths(" ".join(str(error).split()), (*args, *kwargs.values()))
            raise gr.Error(message) from error

    return functools.wraps(handler)(run)


def language_line(glue: GlueGenPipeline, prompt: str) -> str:
    """Which path draws `prompt` (the GlueNet of its language, the shared one, several of them
    averaged, or the generator's own encoder), as shown above the images."""
    route = glue.routes([prompt])[0]
    drawn_by = glue.gluenets.get(route.key)  # None for the generator's own encoder
    if not isinstance(drawn_by, GlueNetEnsemble):
        return route.describe()
    count = len(drawn_by.members)
    return route.describe() + f" ({count} GlueNets, their glued tokens averaged)"


@page_errors
def text_images(served: Served, prompt: str, seed, steps, guidance, count, progress=None):
    """(own encoder's images, GlueNet's images, which GlueNet) for one prompt, same seed."""
    progress = progress or (lambda *a, **k: None)
    glue = served.side("text")
    if not prompt or not prompt.strip():
        raise gr.Error("Type a prompt, in any language.")
    line = language_line(glue, prompt)
    glued = glue(prompt, **drawing(seed, steps, guidance, count, progress)).images
    own = glue.draw_with_own_encoder(prompt, **drawing(seed, steps, guidance, count, progress))
    return shown(own.images), shown(glued), line


@page_errors
def sound_images(
    served: Served,
    upload,
    example,
    words,
    mix,
    weight,
    against,
    seed,
    steps,
    guidance,
    count,
    progress=None,
):
    """(images, what was drawn) for a sound (an upload, else an example), maybe with words;
    an offset mix measures its words from `against`'s alternatives where some are given."""
    progress = progress or (lambda *a, **k: None)
    glue = served.side("sound")
    sound = upload or served.examples.get(example)
    if not sound:
        raise gr.Error("Upload a sound or pick an example.")
    options = drawing(seed, steps, guidance, count, progress)
    if mix != ALONE:
        if not words or not words.strip():
            raise gr.Error(f"Give the words to mix with the sound ({mix}), or choose '{ALONE}'.")
        options |= {"text": words, "mix": mix}
        if mix != "splice":
            options["mix_weight"] = float(weight)
    measured_from = alternatives(against) if mix == "offset" else None
    if measured_from:
        options["mix_against"] = measured_from
    images = glue(sound, **options).images
    what = "the sound alone"
    if mix != ALONE:
        told_apart = f", against {len(measured_from)} alternatives" if measured_from else ""
        what = f"the sound + “{words}” ({mix}{told_apart})"
    return shown(images), f"Drawn from {what}."


def build_page(served: Served) -> gr.Blocks:
    """The page: a text tab and a sound tab, shared drawing settings."""
    d = served.defaults
    with gr.Blocks(title=served.title, analytics_enabled=False) as page:
        gr.Markdown(
            f"# {served.title}\nA frozen generator drawing through GlueNets: type in any "
            "language, drop a sound, mix them, compare with the generator's own encoder."
        )
        with gr.Row():
            seed = gr.Number(value=d.seed, precision=0, label="seed", elem_id="seed")
            steps = gr.Slider(1, 100, value=d.steps, step=1, label="steps", elem_id="steps")
            guidance = gr.Slider(1, 15, value=d.guidance, step=0.5, label="guidance")
            count = gr.Slider(1, 8, value=d.images, step=1, label="images", elem_id="count")
        settings = [seed, steps, guidance, count]
        with gr.Tab("Text"):
            prompt = gr.Textbox(label="prompt, in any language", elem_id="prompt")
            if served.prompt_examples:
                gr.Examples(
                    [[text] for text in served.prompt_examples],
                    [prompt],
                    label="or one of these (click to fill the box)",
                    elem_id="prompt-examples",
                )
            draw_text = gr.Button("Draw", variant="primary", elem_id="draw-text")
            language = gr.Markdown(elem_id="language")
            with gr.Row():
                own = gr.Gallery(label="the generator's own encoder", format="png", elem_id="own")
                glued = gr.Gallery(label="through GlueNet", format="png", elem_id="glued")
        with gr.Tab("Sound"):
            with gr.Row():
                upload = gr.Audio(type="filepath", label="a sound", elem_id="upload")
                example = gr.Dropdown(
                    [NO_EXAMPLE, *served.examples],
                    value=NO_EXAMPLE,
                    label="or an example sound (its caption)",
                    elem_id="example",
                )
            with gr.Row():
                words = gr.Textbox(label="words to mix in (optional)", elem_id="words")
                mix = gr.Radio([ALONE, *MIXES], value=ALONE, label="mix", elem_id="mix")
                weight = gr.Slider(0, 2, value=d.mix_weight, step=0.05, label="mix weight")
            against = gr.Textbox(
                value=d.mix_against,
                label=f"offset mix only: the words' alternatives, separated by "
                f"'{ALTERNATIVES_SEPARATOR}' (what they all say alike is not added; "
                "empty: measured from the empty prompt)",
                elem_id="against",
            )
            draw_sound = gr.Button("Draw", variant="primary", elem_id="draw-sound")
            heard = gr.Markdown(elem_id="heard")
            sound_gallery = gr.Gallery(label="from the sound", format="png", elem_id="sound-images")

        def on_text(text, *values, progress=gr.Progress()):  # noqa: B008 - gradio's idiom
            return text_images(served, text, *values, progress=progress)

        def on_sound(*values, progress=gr.Progress()):  # noqa: B008
            return sound_images(served, *values, progress=progress)

        draw_text.click(on_text, [prompt, *settings], [own, glued, language])
        draw_sound.click(
            on_sound,
            [upload, example, words, mix, weight, against, *settings],
            [sound_gallery, heard],
        )
    return page


def serve(served: Served, host: str = "127.0.0.1", port: int | None = None, block: bool = True):
    """Start the page; with `block=False` return once it is up (tests)."""
    page = build_page(served)
    page.queue(default_concurrency_limit=None)  # every request reaches the pipeline's lock
    return page.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        quiet=not block,
        show_error=True,
        footer_links=[],
        theme=local_theme(),
    )
