"""The tiny training run the reliability tests spoil and resume."""

RUN_FLAGS = ["--source-max-length", "8", "--no-progress", "--epochs", "2", "--batch-size", "16"]
RUN_FLAGS += ["--source-blocks", "1", "--eval-candidates", "8", "--shard-size", "40"]


def run_args(models, corpus, run) -> list[str]:
    """`gluegen train` of a tiny GlueNet on the toy corpus into `run`."""
    source, target = corpus
    return [
        "train",
        *("--source-encoder", models["xlmr"], "--target", models["sd"]),
        *("--corpus", str(source), "--corpus-target", str(target)),
        *("--output-dir", str(run), *RUN_FLAGS),
    ]
