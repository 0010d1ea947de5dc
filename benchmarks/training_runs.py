"""The training benchmarks' harness: encoders of realistic proportions and their FLOPs, the
original GlueGen procedure written out, gluegen's run, a clock, one process per run, the tables.

`bench_training.py` (the question the README quotes) and `explore_training.py` (variants) run
their methods through it. Imported by the scripts beside it, as `timing.py` is.

Settings:
- proportions: random XLM-R-style source and CLIP-text-style target encoders (MLPs 4x wide,
  as the real ones) at 1/4 of the real widths (`--width-divisor`; 1: the real widths), their
  depths chosen so that encoding a pair costs the same multiple of one GlueNet training step
  (paper-multilingual, its objective) as XLM-R-large + CLIP-L text do beside the full-size
  GlueNet. FLOPs are counted by torch's FlopCounterMode (the real-size models on the meta
  device; the benchmark's as saved and loaded); the table prints both ratios.
- world: the shapes world's trained XLM-R and generator, French -> English captions.
On a GPU (`--device cuda`) every method runs there, and clocks are read once its queued work
is done.

Every run has a process of its own (spawned; the encoders are loaded there before the clock
starts): the allocator setting is process-wide, and no run finds memory another warmed.
Paired repeats (same corpus and split, methods interleaved): median wall time and range, the
process's CPU time, the ratio to the original's beside its FLOP bound (the ratio if every
FLOP ran at one rate), held-out alignment beside the held-out MSE of predicting the mean
training target. Held-out MSE is evaluated every `--eval-every` steps, outside the timed
work; "time to quality" is the first time a run reaches (a) the original's final held-out
MSE and (b) within 10% of the best held-out MSE any run reached.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from flops import count_flops
from timing import finished

from gluegen import testing as toy
from gluegen.allocator import keep_freed_memory
from gluegen.data.cache import build_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.prepare import cache_shapes
from gluegen.data.split import split_indices
from gluegen.data.statistics import measure_statistics
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.evaluation.alignment import alignment_metrics
from gluegen.models.gluenet import GlueNet
from gluegen.models.stats import FeatureStatistics
from gluegen.recipes import get_recipe
from gluegen.training.config import ObjectiveWeights
from gluegen.training.objective import (
    GlueObjective,
    TokenDiscriminator,
    alignment_token_weights,
    decoder_config,
    reverse_gradient,
)
from gluegen.training.trainer import Trainer

PAPER = {
    "epochs": 4,
    "batch_size": 32,
    "learning_rate": 1e-4,
    "lr_decay": 0.5,
    "lr_decay_epochs": 1,
}
HOLDOUT, SEED, TOKENS = 0.05, 0, 77
# The real models: XLM-R-large (24 x 1024, 16 heads, 4096 MLP) and CLIP ViT-L/14's text model
# (12 x 768, 12 heads, 3072 MLP), both reading 77 tokens. The benchmark's are 1/WIDTH_DIVISOR.
REAL_SOURCE, REAL_TARGET = (24, 1024, 16), (12, 768, 12)
MLP_RATIO = 4  # both models' MLP width over their hidden width (4096 / 1024, 3072 / 768)
WIDTH_DIVISOR = 4  # the default; a GPU runs the real widths (1)
REAL_QUALITY_MARGIN = 1.1  # "real" quality: within 10% of the best held-out MSE reached
# the paper's network, learning rate and epochs with the objective's optional terms off: no
# reconstruction decoder, no discriminator (the same alignment term, a smaller step)
ALIGN_ONLY = {"reconstruction_weight": 0.0, "adversarial_weight": 0.0}


@dataclass(frozen=True)
class Method:
    """One way to train: the original procedure, or gluegen's (a cache, then the Trainer) with
    `settings` over the paper's recipe at `precision` (cache and training)."""

    name: str
    precision: str = "no"
    settings: dict = field(default_factory=dict)
    original: bool = False
    keep_memory: bool = False  # the original with glibc's malloc as gluegen's Trainer sets it
    note: str = ""  # what the tables say of it


ORIGINAL = Method("original", original=True)


def xlmr(layers: int, width: int, heads: int, vocab: int = 100):
    config = transformers.XLMRobertaConfig(
        hidden_size=width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=MLP_RATIO * width,
        vocab_size=vocab,
        max_position_embeddings=TOKENS + 2,
    )
    return transformers.XLMRobertaModel(config, add_pooling_layer=False)


def clip_text(layers: int, width: int, heads: int, vocab: int = 100):
    config = transformers.CLIPTextConfig(
        hidden_size=width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=MLP_RATIO * width,
        vocab_size=vocab,
        max_position_embeddings=TOKENS,
    )
    return transformers.CLIPTextModel(config)


def step_flops(shapes: dict, settings: dict | None = None) -> float:
    """FLOPs per pair of one paper-multilingual training step (GlueNet and the objective's
    parts, forward and backward) with `settings` over the recipe, on meta tensors."""
    recipe = get_recipe("paper-multilingual").with_overrides(**(settings or {}))
    batch = 2
    with torch.device("meta"):
        gluenet = GlueNet(recipe.gluenet_config(shapes))
        objective = GlueObjective(gluenet, ObjectiveWeights(**recipe.objective))
        source = torch.randn(batch, shapes["source_tokens"], shapes["source_dim"])
        target = torch.randn(batch, shapes["target_tokens"], shapes["target_dim"])
        return count_flops(lambda: sum(objective(source, target).values()).backward()) / batch


def token_shapes(source_shape, target_shape) -> dict[str, int]:
    """The GlueNet shapes between encoders of (layers, width, heads), both reading TOKENS."""
    return {
        "source_tokens": TOKENS,
        "source_dim": source_shape[1],
        "target_tokens": TOKENS,
        "target_dim": target_shape[1],
    }


def flops_per_pair(source_shape, target_shape) -> tuple[float, float, float]:
    """(source forward, target forward, GlueNet training step) FLOPs per pair, on meta tensors."""
    with torch.device("meta"):
        ids = torch.zeros(1, TOKENS, dtype=torch.long)
        source = count_flops(lambda: xlmr(*source_shape)(ids))
        target = count_flops(lambda: clip_text(*target_shape)(ids))
    return source, target, step_flops(token_shapes(source_shape, target_shape))


def flop_bounds(
    encoding: float,
    steps: dict[str, float],
    methods: list[Method],
    pairs: int,
    trained: int,
    epochs: int,
) -> dict[str, float]:
    """Each method's speed-up at equal epochs if all its work ran at one FLOP rate: the
    original's FLOPs over the method's.

    `encoding`: both encoders' FLOPs per pair; `steps`: each method's training step per pair;
    `pairs` in the corpus (a cache encodes them all once); `trained`: pairs in an epoch's full
    batches (the original encodes them in every epoch).
    """
    original = epochs * trained * (encoding + steps[ORIGINAL.name])
    bounds = {}
    for method in methods:
        work = pairs * encoding + epochs * trained * steps[method.name]
        bounds[method.name] = 1.0 if method.original else original / work
    return bounds


def encoder_flops(source, target, corpus: ParallelCorpus) -> tuple[float, float]:
    """(source, target) FLOPs on one pair, as the cache and the original encode it."""
    return (
        count_flops(lambda: source.encode(corpus.sources[:1])),
        count_flops(lambda: target.encode(corpus.targets[:1])),
    )


def method_step_flops(methods: list[Method], shapes: dict) -> dict[str, float]:
    """Each method's training-step FLOPs per pair (the original: the paper's whole objective)."""
    return {m.name: step_flops(shapes, {} if m.original else m.settings) for m in methods}


@dataclass(frozen=True)
class Setting:
    """Where a setting's encoders are and what they encode: each run's process loads them."""

    source: str  # folder of the source encoder
    target: str  # folder of the target pipeline
    sources: list[str]
    targets: list[str]
    source_tokens: int | None = None  # the source encoder's max_length (None: its default)

    def load(self, device: torch.device) -> tuple:
        """(source encoder, target encoder, corpus), the encoders loaded on `device`."""
        source = HFTextEncoder(self.source, max_length=self.source_tokens)
        target = load_target(self.target)
        source.to(device).load(), target.to(device).load()
        return source, target, ParallelCorpus(self.sources, self.targets)


def proportions_setting(work: Path, pairs: int, divisor: int) -> Setting:
    """Encoders of realistic proportions at 1/`divisor` width, saved in `work`."""
    real = flops_per_pair(REAL_SOURCE, REAL_TARGET)
    real_ratio = (real[0] + real[1]) / real[2]
    narrow = [
        (layers, width // divisor, max(1, heads // divisor))
        for layers, width, heads in (REAL_SOURCE, REAL_TARGET)
    ]
    unit = flops_per_pair(*narrow)
    depth = real_ratio / ((unit[0] + unit[1]) / unit[2])  # encoder FLOPs grow with depth
    source_shape, target_shape = [(max(1, round(s[0] * depth)), s[1], s[2]) for s in narrow]
    sizes = [
        toy.EncoderSize(
            hidden=w, layers=n, heads=h, max_tokens=TOKENS, mlp_ratio=MLP_RATIO, embedding_std=1.0
        )
        for n, w, h in (source_shape, target_shape)
    ]
    toy.save_xlmr(work / "source", sizes[0], seed=SEED)
    toy.save_sd_pipeline(work / "target", sizes[1], seed=SEED + 1)
    sentences = toy.toy_sentences(pairs, seed=SEED)
    setting = Setting(str(work / "source"), str(work / "target"), sentences, sentences, TOKENS)
    # counted on the encoders as saved and loaded, as every run encodes with them
    step = step_flops(token_shapes(source_shape, target_shape))
    made = (*encoder_flops(*setting.load(torch.device("cpu"))), step)
    columns = ("source fwd", "target fwd", "GlueNet step", "encoders/step")
    print(f"{'GFLOP per pair':28}" + "".join(f"{c:>14}" for c in columns))
    for label, f in (
        ("real (XLM-R-large, CLIP-L)", real),
        (f"benchmark (1/{divisor} width)", made),
    ):
        values = (f[0] / 1e9, f[1] / 1e9, f[2] / 1e9, (f[0] + f[1]) / f[2])
        print(f"{label:28}" + "".join(f"{v:>14.2f}" for v in values))
    print(
        "benchmark encoders (layers x width): source {} x {}, target {} x {}".format(
            *source_shape[:2], *target_shape[:2]
        )
    )
    return setting


def world_setting(work: Path, pairs: int, divisor: int) -> Setting:
    """The shapes world's encoders and `pairs` French -> English captions of random scenes."""
    from gluegen_world.captions import caption
    from gluegen_world.models import shipped_model
    from gluegen_world.scenes import random_scene

    rng = random.Random(SEED)
    scenes = [random_scene(rng) for _ in range(pairs)]
    sources = [caption(scene, "fr", rng) for scene in scenes]
    targets = [caption(scene, "en", rng) for scene in scenes]
    return Setting(str(shipped_model("xlmr")), str(shipped_model("generator")), sources, targets)


class Clock:
    """Wall and process CPU time of the work, without the benchmark's own evaluations; a
    held-out MSE curve; the times and metrics of a marked moment (the end of the equal-epoch
    work). CPU time does not move with other processes on the machine; wall time does."""

    def __init__(self, gluenet_held_out, device: torch.device) -> None:
        self.device = device
        self.started, self.paused, self.curve = self.now(), 0.0, []
        self.cpu_started, self.cpu_paused = time.process_time(), 0.0
        self.held_out = gluenet_held_out  # gluenet -> held-out metrics
        self.marked: tuple[tuple[float, float], dict] | None = None
        self.cache_seconds = 0.0  # of the marked time, building the cache (gluegen's runs)

    def mark(self, gluenet: GlueNet) -> None:
        """The equal-epoch point: its (wall, CPU) seconds and held-out metrics."""
        cpu = time.process_time() - self.cpu_started - self.cpu_paused
        self.marked = ((self.elapsed(), cpu), self.evaluate(gluenet))

    def now(self) -> float:
        return finished(self.device)

    def elapsed(self) -> float:
        return self.now() - self.started - self.paused

    def evaluate(self, gluenet: GlueNet) -> dict:
        now = self.elapsed()
        begun, cpu_begun = self.now(), time.process_time()
        metrics = self.held_out(gluenet)
        self.curve.append((now, metrics["mse"]))
        self.paused += self.now() - begun
        self.cpu_paused += time.process_time() - cpu_begun
        return metrics


def original_run(
    corpus, source, target, config, stats, train_ids, recipe, clock, eval_every, epochs
) -> GlueNet:
    """The original procedure: both encoders recomputed for every batch of every epoch;
    `epochs` in all, the clock marked after `recipe["epochs"]`. On the encoders' device."""
    torch.manual_seed(SEED)
    device = source.device
    weights = ObjectiveWeights()
    adapter = GlueNet(config)
    adapter.set_statistics(stats)
    adapter.to(device)
    decoder = GlueNet(decoder_config(config)).to(device)
    discriminator = TokenDiscriminator(config.target_dim).to(device)
    parameters = [*adapter.parameters(), *decoder.parameters(), *discriminator.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=recipe["learning_rate"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=recipe["lr_decay"])
    size, step = recipe["batch_size"], 0
    for epoch in range(epochs):
        for start in range(0, len(train_ids) - size + 1, size):  # drop_last, no shuffle
            ids = train_ids[start : start + size].tolist()
            with torch.no_grad():
                source_raw = source.encode([corpus.sources[i] for i in ids]).hidden  # (b, n_s, d_s)
                target_raw = target.encode([corpus.targets[i] for i in ids]).hidden  # (b, n_t, d_t)
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
            real_labels = torch.zeros(len(real_logits), dtype=torch.long, device=device)
            glued_labels = torch.ones(len(glued_logits), dtype=torch.long, device=device)
            adv = weights.adversarial * (
                F.cross_entropy(real_logits, real_labels)
                + F.cross_entropy(glued_logits, glued_labels)
            )
            optimizer.zero_grad()
            (align + rec + adv).backward()
            optimizer.step()
            step += 1
            if step % eval_every == 0:
                clock.evaluate(adapter)
        scheduler.step()
        if epoch + 1 == recipe["epochs"]:
            clock.mark(adapter)
    clock.evaluate(adapter)
    return adapter


def gluegen_run(
    corpus, source, target, folder: Path, recipe, method: Method, clock, eval_every
) -> GlueNet:
    """Cache once (bf16: encoders under autocast), then the Trainer (bf16: under autocast)."""
    precision, settings = method.precision, method.settings
    cache = build_cache(
        corpus, source, target, folder / "cache", progress=False, encode_precision=precision
    )
    clock.cache_seconds = clock.elapsed()
    chosen = get_recipe("paper-multilingual").with_overrides(
        **{**recipe, **settings},
        holdout=HOLDOUT,
        seed=SEED,
        eval_every=eval_every,
        checkpoint_every=10**9,
        mixed_precision=precision,
    )
    trainer = Trainer(
        cache, chosen.gluenet_config(cache_shapes(cache)), chosen.train_config(folder, False)
    )
    trainer.evaluate = lambda: clock.evaluate(trainer.gluenet)  # timed apart from the run
    gluenet = trainer.run()
    clock.mark(gluenet)
    return gluenet


def first_time(curve: list[tuple[float, float]], level: float) -> float | None:
    """The first time a curve's MSE is at or below `level` (None: never)."""
    return next((when for when, mse in curve if mse <= level), None)


def spread(values: list[float], digits: int = 1) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{middle:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


@dataclass(frozen=True)
class Job:
    """One run of one method, everything its own process needs."""

    setting: Setting
    method: Method
    folder: Path  # for gluegen's cache and outputs
    recipe: dict
    device: str
    eval_every: int
    original_epochs: int  # the original's quality curve runs this long
    train_ids: torch.Tensor
    held: tuple[torch.Tensor, torch.Tensor]  # held-out (source, target) features
    stats: FeatureStatistics  # of the training split (the original is handed them)


def held_shapes(held: tuple[torch.Tensor, torch.Tensor]) -> dict[str, int]:
    """The GlueNet shapes of held-out (source, target) features, each (N, n, d)."""
    source, target = held
    return {
        "source_tokens": source.shape[1],
        "source_dim": source.shape[2],
        "target_tokens": target.shape[1],
        "target_dim": target.shape[2],
    }


def run_in_own_process(job: Job) -> tuple[float, float, float, list, dict]:
    """`run_once(job)` in a fresh process: glibc's malloc as a process starts (gluegen's
    Trainer changes it, process-wide), nothing warmed by another method's run."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_once, job).result()


def run_once(job: Job) -> tuple[float, float, float, list, dict]:
    """(wall and process CPU seconds at equal epochs, of the wall building the cache, held-out
    MSE curve, final metrics)."""
    quiet_transformers()
    device = torch.device(job.device)
    source, target, corpus = job.setting.load(device)
    clock = Clock(lambda gluenet: alignment_metrics(gluenet, *job.held), device)
    if job.method.original:
        if job.method.keep_memory:
            keep_freed_memory()
        config = get_recipe("paper-multilingual").gluenet_config(held_shapes(job.held))
        original_run(
            corpus, source, target, config, job.stats, job.train_ids, job.recipe, clock,
            job.eval_every, job.original_epochs,
        )  # fmt: skip
    else:
        gluegen_run(
            corpus, source, target, job.folder, job.recipe, job.method, clock, job.eval_every
        )
    (when, cpu), metrics = clock.marked
    return when, cpu, clock.cache_seconds, clock.curve, metrics


def quiet_transformers() -> None:
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every training benchmark takes (a setting, its size, the runs' length)."""
    parser.add_argument("--setting", choices=("proportions", "world"), default="proportions")
    parser.add_argument("--pairs", type=int, default=512, help="Parallel pairs in the corpus.")
    parser.add_argument("--repeats", type=int, default=3, help="Paired runs of each method.")
    parser.add_argument("--epochs", type=int, default=PAPER["epochs"], help="Epochs (paper: 4).")
    parser.add_argument("--eval-every", type=int, default=2, help="Steps between held-out MSEs.")
    parser.add_argument(
        "--original-epochs", type=int, default=None, help="The original's quality curve (2x)."
    )
    parser.add_argument(
        "--width-divisor",
        type=int,
        default=WIDTH_DIVISOR,
        help=f"proportions: the encoders at 1/N of the real widths (default {WIDTH_DIVISOR}).",
    )
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="Where every method runs (gluegen's Trainer takes the GPU whenever there is one).",
    )


@dataclass
class Results:
    """Per method name: wall and CPU seconds, cache seconds, MSE curves, final metrics."""

    times: dict[str, list[float]]
    cpu: dict[str, list[float]]
    caches: dict[str, list[float]]
    curves: dict[str, list[list]]
    finals: dict[str, list[dict]]
    bounds: dict[str, float]
    held_count: int
    mean_mse: float


def run_and_report(args: argparse.Namespace, methods: list[Method]) -> None:
    """Run `methods` in a temporary folder (removed after), then print the tables."""
    quiet_transformers()
    work = Path(tempfile.mkdtemp(prefix="gluegen-bench-"))
    try:
        report(args, methods, run_methods(args, methods, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_methods(args: argparse.Namespace, methods: list[Method], work: Path) -> Results:
    """Build the setting in `work`, run every method `--repeats` times (each in a process)."""
    recipe = {**PAPER, "epochs": args.epochs}
    make_setting = proportions_setting if args.setting == "proportions" else world_setting
    setting = make_setting(work, args.pairs, args.width_divisor)
    device = torch.device(args.device)
    source, target, corpus = setting.load(device)
    train_ids, eval_ids = split_indices(len(corpus), HOLDOUT, SEED)
    reference = build_cache(corpus, source, target, work / "reference", progress=False).load()
    held = (reference["source"][eval_ids], reference["target"][eval_ids])
    stats = measure_statistics(reference, train_ids)
    mean_target = reference["target"][train_ids].mean(dim=0, keepdim=True)  # (1, n_t, d_t)
    mean_mse = F.mse_loss(mean_target.expand_as(held[1]), held[1]).item()
    encoding = sum(encoder_flops(source, target, corpus))
    trained = len(train_ids) // recipe["batch_size"] * recipe["batch_size"]
    steps = method_step_flops([ORIGINAL, *methods], held_shapes(held))
    bounds = flop_bounds(encoding, steps, methods, len(corpus), trained, args.epochs)
    del source, target, reference

    names = [m.name for m in methods]
    results = Results(*({n: [] for n in names} for _ in range(5)), bounds, len(eval_ids), mean_mse)
    for repeat in range(args.repeats):
        for method in methods:
            folder = work / f"{method.name.replace(' ', '-').replace(',', '')}-{repeat}"
            job = Job(
                setting, method, folder, recipe, args.device, args.eval_every,
                args.original_epochs or 2 * args.epochs, train_ids, held, stats,
            )  # fmt: skip
            when, cpu, cache_seconds, curve, metrics = run_in_own_process(job)
            results.times[method.name].append(when)
            results.cpu[method.name].append(cpu)
            results.caches[method.name].append(cache_seconds)
            results.curves[method.name].append(curve)
            results.finals[method.name].append(metrics)
        done = ", ".join(f"{n} {results.times[n][-1]:.1f} s" for n in names)
        print(f"repeat {repeat + 1}: {done}", flush=True)
    return results


def report(args: argparse.Namespace, methods: list[Method], results: Results) -> None:
    """The tables: wall and CPU time at equal epochs, speed-up beside its FLOP bound, held-out
    alignment, time to quality."""
    base, base_cpu = results.times["original"], results.cpu["original"]
    runs = f"{args.epochs} epochs, batch 32, {args.repeats} paired runs"
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"\n{args.setting}: {args.pairs} pairs, {runs}, on {where}; median [range]")
    mean_label = "predicting the mean target"
    name = max(map(len, [*results.times, mean_label])) + 2  # the names' column
    print(
        f"{'method':{name}}{'wall s':>22}{'CPU s':>9}{'of it, cache s':>16}{'speed-up':>20}"
        f"{'CPU':>7}{'FLOP bound':>12}{'held-out MSE':>14}{'retrieval':>11}"
    )
    for method in methods:
        times, finals = results.times[method.name], results.finals[method.name]
        ratios = [b / t for b, t in zip(base, times, strict=True)]
        cpu = statistics.median(results.cpu[method.name])
        mse = statistics.median(f["mse"] for f in finals)
        retrieval = statistics.median(f["retrieval"] for f in finals)
        cache = statistics.median(results.caches[method.name])
        cells = f"{spread(times):>22}{cpu:>9.1f}{cache:>16.1f}{spread(ratios, 2):>20}"
        cells += f"{statistics.median(base_cpu) / cpu:>6.2f}x"
        cells += f"{results.bounds[method.name]:>11.2f}x{mse:>14.4f}{retrieval:>11.3f}"
        print(f"{method.name:{name}}{cells}" + (f"  ({method.note})" if method.note else ""))
    print(f"{mean_label:{name}}{'':92}{results.mean_mse:>14.4f}")
    print(
        "CPU: the process's CPU seconds, its speed-up from them. FLOP bound: the speed-up if all "
        "the work ran at one FLOP rate\n(the original's FLOPs over the run's, as "
        "FlopCounterMode counts them); lower precision can pass it where it is faster."
    )
    report_time_to_quality(args, methods, results)


def report_time_to_quality(args: argparse.Namespace, methods: list[Method], results) -> None:
    """When each run first reached the original's final MSE, and within 10% of the best."""
    curves = results.curves
    original_level = statistics.median(f["mse"] for f in results.finals["original"])
    best = min(mse for runs in curves.values() for curve in runs for _, mse in curve)
    levels = {
        "the original's final MSE": original_level,
        f"real: {REAL_QUALITY_MARGIN:.1f} x best": REAL_QUALITY_MARGIN * best,
    }
    held = results.held_count
    print(f"\ntime to quality (held-out MSE over {held} pairs; best any run reached {best:.4f})")
    original_epochs = args.original_epochs or 2 * args.epochs
    name = max(len(m.name) for m in methods) + 2
    for label, level in levels.items():
        print(f"  {label} ({level:.4f}):")
        original = None  # (seconds, reached?)
        for method in methods:
            reached = [first_time(curve, level) for curve in curves[method.name]]
            whole = statistics.median(curve[-1][0] for curve in curves[method.name])
            epochs = original_epochs if method.original else args.epochs
            if all(r is not None for r in reached):
                when, text = statistics.median(reached), f"{statistics.median(reached):.1f} s"
            else:
                when, text = None, f"not within {epochs} epochs (> {whole:.0f} s)"
            if method.name == "original":
                original = (when or whole, when is not None)
            elif when is not None:
                text += f", {'' if original[1] else '> '}{original[0] / when:.2f}x the original"
            print(f"    {method.name:{name}}{text}")
