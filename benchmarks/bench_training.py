"""Training cost: the original GlueGen procedure against gluegen's cache + train.

Both train the paper's multilingual GlueNet layout with the paper's objective and recipe
(batch 32, four epochs, Adam 1e-4 halved every epoch, fp32) on the same parallel corpus, the
same tiny random encoders of realistic proportions (an XLM-R-large-like source, 24 layers, and a
CLIP-L-text-like target, 12 layers, widths scaled by 1/8) and the same held-out pairs.

- baseline: the original procedure, written out below: for every batch of every epoch, both
  captions are tokenised, padded to 77 tokens and run through both encoders, then GlueNet,
  decoder and discriminator take one step. (It is handed the measured feature statistics
  for free; the original pasted them as constants.)
- gluegen: `build_cache` (each encoder runs once over the corpus), then `Trainer.run()`.

Each is run `--repeats` times; the table gives median wall times, their ratio and held-out
alignment. Run:  python benchmarks/bench_training.py [--pairs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers

from gluegen import testing as toy
from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.prepare import cache_shapes
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.evaluation.alignment import alignment_metrics, metrics_table
from gluegen.models.gluenet import GlueNet
from gluegen.recipes import get_recipe
from gluegen.training.config import ObjectiveWeights, TrainConfig
from gluegen.training.objective import (
    TokenDiscriminator,
    alignment_token_weights,
    decoder_config,
    reverse_gradient,
)
from gluegen.training.trainer import Trainer, measure_statistics, split_indices

# Realistic proportions at 1/8 width: XLM-R-large (1024 wide, 24 layers, 16 heads) and the
# CLIP ViT-L/14 text model (768 wide, 12 layers, 12 heads); both read 77 tokens.
SOURCE_SIZE = toy.EncoderSize(hidden=128, layers=24, heads=2, max_tokens=77, embedding_std=1.0)
TARGET_SIZE = toy.EncoderSize(hidden=96, layers=12, heads=2, max_tokens=77, embedding_std=1.0)
PAPER_RECIPE = dict(epochs=4, batch_size=32, learning_rate=1e-4, lr_decay=0.5, lr_decay_epochs=1)
HOLDOUT = 0.05
SEED = 0


def baseline_run(
    corpus: ParallelCorpus,
    source: HFTextEncoder,
    target,
    config,
    stats,
    train_ids: torch.Tensor,
    recipe: dict,
) -> GlueNet:
    """The original procedure: both encoders recomputed for every batch of every epoch."""
    torch.manual_seed(SEED)
    weights = ObjectiveWeights()
    adapter = GlueNet(config)
    adapter.set_statistics(stats)
    decoder = GlueNet(decoder_config(config))
    discriminator = TokenDiscriminator(config.target_dim)
    parameters = [*adapter.parameters(), *decoder.parameters(), *discriminator.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=recipe["learning_rate"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=recipe["lr_decay"])
    size = recipe["batch_size"]
    for _epoch in range(recipe["epochs"]):
        for start in range(0, len(train_ids) - size + 1, size):  # drop_last, no shuffle
            ids = train_ids[start : start + size].tolist()
            with torch.no_grad():
                source_raw = source.encode([corpus.sources[i] for i in ids]).hidden  # (b, 77, d_s)
                target_raw = target.encode([corpus.targets[i] for i in ids]).hidden  # (b, 77, d_t)
            source_norm = adapter.normalize_source(source_raw)
            target_norm = adapter.normalize_target(target_raw)
            glued = adapter(source_norm)
            rebuilt = decoder(glued)
            token_weights = alignment_token_weights(target_raw)
            align = (
                weights.align * ((glued - target_norm).pow(2) * token_weights[None, :, None]).mean()
            )
            rec = weights.reconstruction * F.mse_loss(rebuilt, source_norm)
            real_logits = discriminator(target_raw.flatten(0, 1))  # the original: raw CLIP tokens
            glued_logits = discriminator(reverse_gradient(glued, weights.reversal).flatten(0, 1))
            adv = weights.adversarial * (
                F.cross_entropy(real_logits, torch.zeros(len(real_logits), dtype=torch.long))
                + F.cross_entropy(glued_logits, torch.ones(len(glued_logits), dtype=torch.long))
            )
            loss = align + rec + adv
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    return adapter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=1000, help="Parallel pairs in the corpus.")
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each method (median).")
    parser.add_argument(
        "--epochs", type=int, default=PAPER_RECIPE["epochs"], help="Epochs (paper: 4)."
    )
    parser.add_argument(
        "--scale", type=int, default=1, help="Divide encoder depth by this (quick runs)."
    )
    args = parser.parse_args(argv)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(SEED)

    work = Path(tempfile.mkdtemp(prefix="gluegen-bench-"))
    try:
        run_benchmark(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run_benchmark(args: argparse.Namespace, work: Path) -> None:
    """Build the models and corpus in `work`, time both methods, print the tables."""
    recipe = {**PAPER_RECIPE, "epochs": args.epochs}
    source_size = toy.EncoderSize(
        **{**vars(SOURCE_SIZE), "layers": max(1, SOURCE_SIZE.layers // args.scale)}
    )
    target_size = toy.EncoderSize(
        **{**vars(TARGET_SIZE), "layers": max(1, TARGET_SIZE.layers // args.scale)}
    )
    toy.save_xlmr(work / "source", source_size, seed=SEED)
    toy.save_sd_pipeline(work / "target", target_size, seed=SEED + 1)
    sentences = toy.toy_sentences(args.pairs, seed=SEED)
    corpus = ParallelCorpus(sentences, sentences)
    source = HFTextEncoder(str(work / "source"), max_length=77)
    target = load_target(str(work / "target"))
    source.load(), target.load()
    train_ids, eval_ids = split_indices(len(corpus), HOLDOUT, SEED)

    ours_times, base_times, ours_metrics, base_metrics = [], [], [], []
    for repeat in range(args.repeats):
        started = time.perf_counter()
        cache = build_cache(corpus, source, target, work / f"cache-{repeat}", progress=False)
        config = get_recipe("paper-multilingual").gluenet_config(cache_shapes(cache))
        settings = TrainConfig(
            output_dir=str(work / f"run-{repeat}"),
            holdout=HOLDOUT,
            seed=SEED,
            grad_clip=0.0,
            checkpoint_every=10**9,
            progress=False,
            mixed_precision="no",
            **recipe,
        )
        trainer = Trainer(cache, config, settings)
        trainer.run()
        ours_times.append(time.perf_counter() - started)
        ours_metrics.append(trainer.evaluate())
        tensors = cache.load()
        held_source, held_target = tensors["source"][eval_ids], tensors["target"][eval_ids]
        stats = measure_statistics(tensors, train_ids)

        started = time.perf_counter()
        baseline_config = get_recipe("paper-multilingual").gluenet_config(cache_shapes(cache))
        adapter = baseline_run(corpus, source, target, baseline_config, stats, train_ids, recipe)
        base_times.append(time.perf_counter() - started)
        base_metrics.append(alignment_metrics(adapter, held_source, held_target))
        print(
            f"repeat {repeat + 1}: baseline {base_times[-1]:.1f} s, gluegen {ours_times[-1]:.1f} s",
            flush=True,
        )

    def median_metrics(runs):
        return {key: statistics.median(run[key] for run in runs) for key in runs[0]}

    base_median, ours_median = statistics.median(base_times), statistics.median(ours_times)
    params = trainer.gluenet.num_parameters()
    print(f"\n{args.pairs} pairs, {args.epochs} epochs, batch 32, GlueNet {params:,} parameters,")
    print(
        f"source {source_size.layers}x{source_size.hidden}, "
        f"target {target_size.layers}x{target_size.hidden}; medians of {args.repeats} runs"
    )
    print(f"{'':24}{'wall s':>10}")
    print(f"{'original procedure':24}{base_median:>10.1f}")
    print(f"{'gluegen cache + train':24}{ours_median:>10.1f}")
    print(f"speed-up (baseline / gluegen): {base_median / ours_median:.2f}x")
    print(
        metrics_table(
            f"held-out alignment ({len(eval_ids)} pairs, medians)",
            {
                "original procedure": median_metrics(base_metrics),
                "gluegen": median_metrics(ours_metrics),
            },
        )
    )


if __name__ == "__main__":
    sys.exit(main())
