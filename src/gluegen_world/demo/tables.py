"""The demo's tables as text: rows, their labels, and the lowest language's share of English."""

from __future__ import annotations

from gluegen_world.captions import LANGUAGES
from gluegen_world.demo.settings import FOREIGN

# The rows of the multilingual table, in print order, with how each is made.
LANGUAGE_ROWS = {
    "own": "generator's own text encoder (English: the ceiling; others fed as-is)",
    "linear": "XLM-R + least-squares linear map, one per language",
    "paper": "XLM-R + the paper's GlueNet (5 blocks, x2 MLPs) + its guidance (empty input glued)",
    "ours_paper_guidance": "XLM-R + our GlueNet per language, the paper's guidance",
    "ours": "XLM-R + our GlueNet per language (lingua routes; tokens routed by content for "
    "--attention-languages, by position for the others), the generator's empty prompt for "
    "guidance",
    "shared": "XLM-R + one shared GlueNet for all six languages (routes tokens by content)",
    "ours_heldout_families": "our GlueNet per language, the same scenes in held-out families "
    "of phrasings (test: attributes as predicates, articles and measure words dropped; in no "
    "parallel corpus)",
    "shared_heldout_families": "the shared GlueNet, the same held-out families",
    "averaged_heldout_families": "our GlueNet per language and the shared one, their glued "
    "tokens averaged (as the page draws), the same held-out families",
    "averaged_requests": "the two averaged, the same scenes asked for as people type (test: "
    "'je voudrais une image d'...', 'を描いてください'; in no parallel corpus)",
}

SOUND_ROWS = {
    "sound_paper_guidance": "sound -> GlueNet, the paper's guidance (silence glued)",
    "sound": "sound -> GlueNet, the generator's empty prompt for guidance",
    "sound_text_splice": "sound + position in words, the paper's token splice",
    "sound_text_blend": "sound + position in words, blend (ours: each token a weighted mean, "
    "the sound's share --blend-weight)",
    "sound_text_offset": "sound + position in words, offset (ours: the text's offset from the "
    "four places' words, or the empty prompt (--offset-against), added to the sound's tokens, "
    "norms kept)",
    "sound_linear": "sound -> least-squares map of the sound's pooled summary (ridge), the "
    "generator's empty prompt for guidance: the baseline",
    "sound_text_offset_linear": "sound -> the least-squares map, + position in words, offset",
}
SOUND_COLUMNS = ("shape", "colour", "object", "position", "object_and_position")
ENGLISH_REFERENCE = "English caption through the generator's own encoder, the same scenes"
# what each sound row is judged on against English: the sound says the object, a mix also
# the position
SOUND_OVER_ENGLISH = {
    "sound": "object",
    "sound_text_offset": "object_and_position",
    "sound_linear": "object",
    "sound_text_offset_linear": "object_and_position",
}
PARAPHRASE_ROWS = {
    "own": "generator's own text encoder",
    "minilm": "all-MiniLM-L6-v2 (mean-pooled) + GlueNet",
}
PAIR_ROWS = {
    "own": "generator's own text encoder (English: the ceiling)",
    "minilm": "all-MiniLM-L6-v2 (mean-pooled) + GlueNet, the English caption",
    "ours": "XLM-R + our GlueNet per language (lingua routes)",
    "shared": "XLM-R + the shared GlueNet",
    "averaged_heldout_families": "our GlueNet per language and the shared one averaged (as the "
    "page draws), held-out families of phrasings",
}
PARAPHRASE_SETS = {
    "world": "English, world's words",
    "corpus": "paraphrases, corpus words",
    "unseen": "paraphrases, unseen words",
}


def sound_over_english(results: dict) -> dict[str, float]:
    """{row: its share of English's score on the same scenes} for `SOUND_OVER_ENGLISH`."""
    english = results["languages"].get("own", {}).get("en", {})
    return {
        row: results["sound"][row][column] / english[column]
        for row, column in SOUND_OVER_ENGLISH.items()
        if column in english and row in results["sound"]  # results of before a row was added
    }


def min_ratio(cells: dict[str, dict], ceiling: float) -> float | None:
    """The lowest foreign-language score of a row over English's, or None if a language is
    missing from the row."""
    if any(code not in cells for code in FOREIGN):
        return None
    return min(cells[code]["mean"] for code in FOREIGN) / ceiling


def scene_words(results: dict) -> str:
    """What the drawn scenes are, for table headings."""
    scenes = results["settings"].get("scenes", "test")
    if scenes == "validation":
        return "validation scenes (held-out scenes the test draws never hit)"
    if scenes == "pairs":
        return "validation pairs (a second diagonal, kept out of every corpus)"
    return "held-out scenes"


def _figure(value: float | None) -> str:
    return "    —" if value is None else f"{value:5.3f}"


def _row_line(row: str, cells: dict[str, dict], ceiling: float, width: int) -> str:
    """A row of a by-language table: its mean per language, then lowest over English."""
    values = "".join(f"  {_figure(cells.get(code, {}).get('mean'))}" for code in LANGUAGES)
    return f"{row:{width}}{values}  {_figure(min_ratio(cells, ceiling))}"


def format_tables(results: dict) -> str:
    """The demo's tables as text."""
    lines = []
    languages, count = results["languages"], results["settings"]["test_scenes"]
    ceiling = languages["own"]["en"]["mean"]
    lines.append(
        f"Attribute accuracy (judge, mean of shape/colour/size/position) of {count} images from "
        f"{scene_words(results)}, by prompt language"
    )
    header = "".join(f"{code:>7}" for code in LANGUAGES) + "  min/en"
    lines.append(f"{'':28}{header}")
    lines += [_row_line(row, languages[row], ceiling, 28) for row in LANGUAGE_ROWS]
    for key, label in (("routing", "lingua routed right"), ("routing_requests", "... requests")):
        routing = results.get(key, {})
        lines.append(
            f"{label:28}{'':7}" + "".join(f"  {_figure(routing.get(code))}" for code in FOREIGN)
        )
    lines += [f"  {row}: {label}" for row, label in LANGUAGE_ROWS.items()]
    lines.append("")
    lines.append(f"Sound -> image ({count} clips, {scene_words(results)}); shares of images right")
    lines.append(f"{'':24}" + "".join(f"{name:>21}" for name in SOUND_COLUMNS))
    for row in SOUND_ROWS:
        scores = results["sound"][row]
        lines.append(f"{row:24}" + "".join(f"{scores[c]:21.3f}" for c in SOUND_COLUMNS))
    english = languages["own"]["en"]
    if all(c in english for c in SOUND_COLUMNS):
        lines.append(f"{'english':24}" + "".join(f"{english[c]:21.3f}" for c in SOUND_COLUMNS))
    lines += [f"  {row}: {label}" for row, label in SOUND_ROWS.items()]
    lines.append(f"  english: {ENGLISH_REFERENCE}")
    lines += [
        f"  {row} over english ({SOUND_OVER_ENGLISH[row]}): {ratio:.3f}"
        for row, ratio in sound_over_english(results).items()
    ]
    lines.append("")
    lines.append(f"A stronger encoder: attribute accuracy on {count} {scene_words(results)}")
    lines.append(f"{'':10}" + "".join(f"{label:>28}" for label in PARAPHRASE_SETS.values()))
    for row in PARAPHRASE_ROWS:
        scores = results["paraphrases"][row]
        lines.append(f"{row:10}" + "".join(f"{scores[s]['mean']:28.3f}" for s in PARAPHRASE_SETS))
    lines += [f"  {row}: {label}" for row, label in PARAPHRASE_ROWS.items()]
    if "pairs" in results:
        lines += ["", *pair_table(results)]
    return "\n".join(lines)


def pair_table(results: dict) -> list[str]:
    """The two-object table: the pair judge's mean over its reading (the axis, then both
    objects' shape, colour and size), per row and prompt language."""
    pairs, count = results["pairs"], results["settings"]["test_scenes"]
    scenes = results["settings"].get("scenes", "test")
    where = {"test": "held-out", "pairs": "validation-pair"}.get(scenes, "validation")
    lines = [
        f"Two objects in a relation ({count} {where} two-object scenes): pair judge, mean of "
        "axis and both objects' shape/colour/size",
        f"{'':10}" + "".join(f"{code:>7}" for code in LANGUAGES) + "  min/en",
    ]
    ceiling = pairs["own"]["en"]["mean"]
    lines += [_row_line(row, pairs[row], ceiling, 10) for row in PAIR_ROWS]
    lines += [f"  {row}: {label}" for row, label in PAIR_ROWS.items()]
    return lines
