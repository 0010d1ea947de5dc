"""The house: the library stands without the world, the README's commands are real."""

import ast
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


SOURCE = ROOT / "src"


def module_name(path: Path) -> str:
    """The dotted name of a source file (a package's `__init__.py` is the package)."""
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in SOURCE.rglob("*.py")}


def imported_names(path: Path) -> set[str]:
    """Every module name `path` imports: import statements (relative ones resolved), the names
    taken from a package, and the string given to `import_module`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module"):
            names |= {
                ast.literal_eval(arg) for arg in node.args[:1] if isinstance(arg, ast.Constant)
            }
    return names


def own_module(name: str) -> str | None:
    """The project module a dotted name lives in (the longest known prefix), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """{module: the project modules it imports}, read from the source."""
    graph = {}
    for name, path in MODULES.items():
        targets = {own_module(imported) for imported in imported_names(path)}
        graph[name] = targets - {None, name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each an import circle."""
    order, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in graph:
        if node not in order:
            visit(node)
    return cycles


def test_the_library_neither_imports_nor_names_the_world():
    for name, path in MODULES.items():
        if name.split(".")[0] != "gluegen":
            continue
        assert "gluegen_world" not in path.read_text(), path
        assert not {m for m in imported_names(path) if m.startswith("gluegen_world")}, path


def test_the_import_graph_sees_import_module_strings_and_relative_imports(tmp_path):
    sample = SOURCE / "gluegen" / "sample_for_the_test.py"
    source = (
        "from importlib import import_module\nimport_module('gluegen.io')\nfrom . import lazy\n"
    )
    names = set()
    try:
        sample.write_text(source)
        names = imported_names(sample)
    finally:
        sample.unlink()
    assert {"gluegen.io", "gluegen.lazy"} <= names


def test_no_import_cycle_in_the_source():
    graph = import_graph()
    assert graph["gluegen.training.trainer"] >= {"gluegen.data.split", "gluegen.precision"}
    assert import_cycles(graph) == []
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_library_commands_load_nothing_of_the_world_or_the_test_fixtures():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gluegen.cli", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    modules = {line.rsplit("|", 1)[-1].strip() for line in lines[1:]}
    assert {"gluegen.recipes", "gluegen.settings", "gluegen.data.spec"} <= modules
    assert not {m for m in modules if m.startswith("gluegen_world")}
    assert "gluegen.testing" not in modules


def test_the_world_joins_the_command_line_through_entry_points():
    assert {"demo", "world"} <= set(cli.plugin_commands())
    assert cli.plugin_commands()["demo"].load() is world_cli.demo_main


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


README_BYTES = 15_000  # a guide read top-down, not a collection of measurements
README_DECIMALS = 40  # figures with a decimal point; the rest live in docs/results.md


def test_readme_stays_a_guide_with_install_before_results():
    text = README.read_text()
    assert len(text.encode()) <= README_BYTES
    assert len(re.findall(r"\d+\.\d+", text)) <= README_DECIMALS
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings.index("Install") < headings.index("Quick start") < headings.index("Results")
    assert "docs/results.md" in text


def test_every_readme_figure_is_in_the_results_with_its_command():
    results = (ROOT / "docs" / "results.md").read_text()
    table = README.read_text().split("## Results", 1)[1].split("\n## ", 1)[0]
    for figure in re.findall(r"\d+\.\d+", table):
        assert figure in results, figure


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
