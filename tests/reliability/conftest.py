"""A finished tiny training run, made once, copied by every test that spoils something."""

import shutil

import pytest
from runs import run_args

from gluegen import testing as toy
from gluegen.cli import main


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, sentences):
    return toy.write_text_pair(tmp_path_factory.mktemp("corpus"), sentences[:100])


@pytest.fixture(scope="session")
def finished_run(models, corpus, tmp_path_factory):
    run = tmp_path_factory.mktemp("finished") / "run"
    assert main(run_args(models, corpus, run)) == 0
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A copy of the finished run (cache, state, GlueNet) to spoil."""
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy
