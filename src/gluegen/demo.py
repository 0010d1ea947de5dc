"""`gluegen demo`: the whole GlueGen path on a toy corpus, offline, on a CPU.

A tiny random XLM-R (source) and a tiny random Stable Diffusion pipeline (target) read the
same toy sentences; GlueNet learns to translate one's token features into the other's.
The shapes world (a trained miniature generator) will take this command's place.
"""

from __future__ import annotations

import json
from pathlib import Path

from gluegen import toy
from gluegen.data.cache import build_cache
from gluegen.data.corpus import read_text_pair
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.evaluate import metrics_table
from gluegen.train import TrainConfig, Trainer, clear_state
from gluegen.workflow import gluenet_config_for

# Settings for a toy-sized GlueNet: the paper's layout with fewer blocks and a faster LR,
# since the toy corpus is a thousand times smaller than the paper's.
TOY_SOURCE_BLOCKS = 2
TOY_LEARNING_RATE = 3e-3
TOY_DECAYS = 3  # the LR is halved this many times over the run
TOY_HOLDOUT = 0.1
TOY_SEED = 0


def run_toy_demo(workdir: Path, pairs: int = 2000, epochs: int = 30, progress: bool = True) -> dict:
    """Build toy models and corpus (once), cache, train, evaluate; print and return metrics."""
    models = workdir / "models"
    if not (models / "sd" / "model_index.json").is_file():
        toy.save_xlmr(models / "xlmr", seed=TOY_SEED)
        toy.save_sd_pipeline(models / "sd", seed=TOY_SEED + 1)
    sentences = toy.toy_sentences(pairs, seed=TOY_SEED)
    source_file, target_file = toy.write_text_pair(workdir / "corpus", sentences)
    corpus = read_text_pair(source_file, target_file)
    source = HFTextEncoder(str(models / "xlmr"), max_length=toy.EncoderSize().max_tokens)
    target = load_target(str(models / "sd"))
    cache = build_cache(corpus, source, target, workdir / "features", progress=progress)

    config = gluenet_config_for(cache, "paper-multilingual", source_blocks=TOY_SOURCE_BLOCKS)
    settings = TrainConfig(
        output_dir=str(workdir / "run"),
        epochs=epochs,
        learning_rate=TOY_LEARNING_RATE,
        lr_decay_epochs=max(1, epochs // TOY_DECAYS),
        holdout=TOY_HOLDOUT,
        seed=TOY_SEED,
        progress=progress,
    )
    clear_state(settings.output_dir)
    trainer = Trainer(cache, config, settings)
    trainer.run()
    log = [json.loads(line) for line in (workdir / "run" / "log.jsonl").read_text().splitlines()]
    initial = log[0]["initial_eval"]
    final = json.loads((workdir / "run" / "metrics.json").read_text())
    title = (
        f"held-out alignment, {int(final['count'])} pairs, retrieval among "
        f"{int(final['retrieval_candidates'])}"
    )
    print(metrics_table(title, {"GlueNet at init": initial, "GlueNet trained": final}))
    ratio = initial["mse"] / final["mse"]
    print(f"\nMSE lowered {ratio:.1f}x; GlueNet saved in {workdir / 'run' / 'gluenet'}")
    return {"initial": initial, "final": final}
