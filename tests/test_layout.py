"""The house: the library stands without the world, the README's commands are real."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gluegen import cli
from gluegen_world import cli as world_cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_SOURCE_LINES = 400


def imported_modules(*args: str) -> set[str]:
    """Module names a fresh interpreter imports to run `args`, from -X importtime."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=True
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines[1:]}


def test_library_commands_import_nothing_of_the_world_or_the_test_fixtures():
    modules = imported_modules("-m", "gluegen.cli", "train", "--help")
    assert {"gluegen.recipes", "gluegen.settings", "gluegen.data.spec"} <= modules
    assert not {m for m in modules if m.startswith("gluegen_world")}
    assert "gluegen.testing" not in modules


def test_no_library_module_imports_the_world():
    for path in (ROOT / "src" / "gluegen").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) gluegen_world", text, re.M), path


def test_source_files_stay_small():
    for path in (ROOT / "src").rglob("*.py"):
        assert len(path.read_text().splitlines()) <= MAX_SOURCE_LINES, path


def fenced_blocks(language: str) -> list[str]:
    """The README's fenced code blocks of `language`."""
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def readme_commands() -> list[list[str]]:
    """Every command of the README's bash blocks, continuation lines joined, comments cut."""
    commands = []
    for block in fenced_blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(line))
    return commands


def gluegen_arguments(words: list[str]) -> list[str] | None:
    """The arguments after `gluegen` (or `-m gluegen.cli`), None for other commands."""
    if words[0] == "gluegen":
        return words[1:]
    if "gluegen.cli" in words:
        return words[words.index("gluegen.cli") + 1 :]
    return None


def test_every_readme_command_exists_with_its_flags():
    commands = readme_commands()
    checked = 0
    for words in commands:
        arguments = gluegen_arguments(words)
        if arguments is None:
            if words[0] == "bash":
                assert (ROOT / words[1]).is_file(), words
            continue
        name = arguments[0]
        builders = {**cli.COMMANDS, **world_cli.COMMANDS}
        assert name in builders, f"README runs an unknown command: {words}"
        parser = builders[name][0]()
        try:
            parser.parse_args(arguments[1:])  # unknown flags, bad choices or types exit
        except SystemExit as error:
            pytest.fail(f"README command does not parse ({error}): {' '.join(words)}")
        checked += 1
    assert checked >= 8
    assert ["bash", "scripts/demo.sh"] in commands and ["bash", "scripts/test.sh"] in commands


def test_readme_names_every_preset():
    text = README.read_text()
    from gluegen.recipes import RECIPES

    for name in RECIPES:
        assert f"`{name}`" in text, name


@pytest.mark.slow
def test_readme_python_quick_start_runs_against_the_world(tmp_path):
    (example,) = [block for block in fenced_blocks("python") if "gluegen_world" in block]
    result = subprocess.run(
        [sys.executable, "-c", example + "\nassert len(images) == 1\n"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "runs" / "fr" / "gluenet" / "config.json").is_file()
