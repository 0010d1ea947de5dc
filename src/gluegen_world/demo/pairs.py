"""The demo's two-object rows: scenes of two objects in a relation, judged by the pair judge.

English through the generator's own encoder (the ceiling) and through MiniLM + its GlueNet,
every language through its own GlueNet and the shared one. The scenes are held out (at least
one object's shape-colour pair is in no training pair); their captions are corpus phrasings
(the relation's words are in every corpus: a quarter of its scenes hold two objects).
"""

from __future__ import annotations

from pathlib import Path

from gluegen_world.demo.settings import FOREIGN


def pair_rows(demo, trained: dict[str, Path]) -> dict[str, dict[str, dict]]:
    """{row: {language: scores}} of the two-object table (`tables.PAIR_ROWS`)."""
    scenes = demo.pair_scenes

    def cell(name: str, inputs, runs: list[str], texts: list[str]) -> dict:
        folders = [trained[run] for run in runs]
        return demo.cells.cell(f"pairs-{name}", inputs, folders, prompts=texts, scenes=scenes)

    _, ours, shared = demo.language_pipelines(trained)
    english = demo.prompts("en", two_objects=True)
    rows: dict[str, dict[str, dict]] = {"own": {}, "ours": {}, "shared": {}, "minilm": {}}
    rows["own"]["en"] = cell("own-en", demo.own_inputs(english, scenes), [], english)
    minilm = demo.glued_inputs(demo.minilm_pipeline(trained), english, scenes=scenes)
    rows["minilm"]["en"] = cell("minilm-en", minilm, ["minilm"], english)
    for code in FOREIGN:
        texts = demo.prompts(code, two_objects=True)
        glued = demo.glued_inputs(ours, texts, scenes=scenes)  # lingua routes
        rows["ours"][code] = cell(f"ours-{code}", glued, [code], texts)
        glued = demo.glued_inputs(shared, texts, scenes=scenes)
        rows["shared"][code] = cell(f"shared-{code}", glued, ["shared"], texts)
    return rows
