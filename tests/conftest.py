"""Shared fixtures: tiny random models of the real classes, built once per test session."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# What the tests' libraries and child processes write outside pytest's tmp_path goes under one
# throwaway folder, removed when the session ends (`pytest_unconfigure`), so that runs do not
# pile folders up in the temp directory: `datasets`' Arrow cache of parquet corpora, gradio's
# upload copies, the temporary folders of processes the tests start (torchrun's `torchelastic_*`).
os.environ["GLUEGEN_TESTS_TEMP"] = tempfile.mkdtemp(prefix="gluegen-tests-")
os.environ.setdefault(
    "HF_DATASETS_CACHE", os.path.join(os.environ["GLUEGEN_TESTS_TEMP"], "datasets")
)
os.environ.setdefault("GRADIO_TEMP_DIR", os.path.join(os.environ["GLUEGEN_TESTS_TEMP"], "gradio"))
os.environ["TMPDIR"] = os.environ["GLUEGEN_TESTS_TEMP"]  # child processes; this one's is set

import pytest
import torch
import transformers

from gluegen import testing as toy

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()


def pytest_unconfigure(config):
    shutil.rmtree(os.environ["GLUEGEN_TESTS_TEMP"], ignore_errors=True)


TOY_SIZE = toy.EncoderSize(hidden=16, layers=1, heads=2, max_tokens=12)


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Folders of tiny XLM-R, T5 and CLIP text models and tiny SD / SDXL pipelines."""
    root = tmp_path_factory.mktemp("models")
    return {
        "xlmr": str(toy.save_xlmr(root / "xlmr", TOY_SIZE, seed=0)),
        "t5": str(toy.save_t5(root / "t5", TOY_SIZE, seed=1)),
        "clip": str(toy.save_clip_text(root / "clip", TOY_SIZE, seed=2)),
        "sd": str(toy.save_sd_pipeline(root / "sd", TOY_SIZE, seed=3)),
        "sdxl": str(toy.save_sdxl_pipeline(root / "sdxl", TOY_SIZE, seed=4)),
    }


@pytest.fixture(scope="session")
def sentences():
    """A few hundred distinct toy sentences."""
    return toy.toy_sentences(300, seed=7)


@pytest.fixture(autouse=True, scope="session")
def _file_hashes_kept_apart(tmp_path_factory):
    """Remembered file hashes (gluegen.digests) go to a folder of the test session."""
    os.environ["GLUEGEN_HOME"] = str(tmp_path_factory.mktemp("gluegen-home"))


@pytest.fixture(scope="session")
def load_benchmark():
    """A script of benchmarks/ as a module: load_benchmark("seed_spread").main([...])."""

    def load(name: str):
        folder = Path(__file__).parent.parent / "benchmarks"
        if str(folder) not in sys.path:  # as running a script does: its helpers import
            sys.path.insert(0, str(folder))
        path = folder / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # as an import does: dataclasses look their module up
        spec.loader.exec_module(module)
        return module

    return load
