"""Settings dataclasses as command-line flags and config files: one schema.

Every setting is a dataclass field whose `metadata["help"]` says what it does (and
`metadata["choices"]` what it may be). `add_flags` makes each field a flag; `read_config_file`
reads a YAML or JSON mapping of the same names, which then serves as the flags' defaults.
Plain data only: no torch here, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from pathlib import Path

import yaml

FLAG_TYPES = {"int": int, "float": float, "str": str}
# what a value of each annotated type may be (a JSON or YAML file may hold anything)
TYPE_CHECKS = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "dict": (lambda v: isinstance(v, dict), "a mapping"),
}


def type_problems(instance) -> Iterable[str]:
    """Fields of a settings dataclass whose values are not of their annotated type (None is
    allowed where the annotation says `| None`), each as a message naming the field."""
    for f in dataclasses.fields(instance):
        text = str(f.type)
        value = getattr(instance, f.name)
        check = TYPE_CHECKS.get(text.removesuffix(" | None"))
        if check is None or (value is None and text.endswith(" | None")):
            continue
        if not check[0](value):
            yield f"{f.name} must be {check[1]}, got {value!r}"


def flag(name: str) -> str:
    """`learning_rate` -> `--learning-rate`."""
    return "--" + name.replace("_", "-")


def add_setting(
    group: argparse._ActionsContainer, name: str, f: dataclasses.Field, default=None
) -> None:
    """One flag for the dataclass field `f`, stored under `name`, default `default`.

    bool fields become --NAME / --no-NAME; tuple fields take several values.
    """
    text = str(f.type).replace(" | None", "")
    options = {"dest": name, "default": default, "help": f.metadata.get("help", "")}
    if text == "bool":
        group.add_argument(flag(name), action=argparse.BooleanOptionalAction, **options)
        return
    if text.startswith("tuple["):
        options["nargs"] = "+"
        text = text[len("tuple[") :].split(",")[0]
    if text not in FLAG_TYPES:
        raise TypeError(f"setting {name}: no flag for fields of type {f.type}")
    group.add_argument(
        flag(name), type=FLAG_TYPES[text], choices=f.metadata.get("choices"), **options
    )


def field_defaults(cls: type) -> dict:
    """{field: default} of every field of the dataclass `cls` that has a plain default."""
    return {
        f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
    }


def add_flags(
    group: argparse._ActionsContainer, cls: type, skip: Iterable[str] = (), prefix: str = ""
) -> None:
    """A flag for every field of the dataclass `cls` not in `skip`, named `prefix` + field,
    defaulting to the field's default (None for a field without one: required or given)."""
    for f in dataclasses.fields(cls):
        if f.name in skip or f.type == "dict":
            continue
        default = None if f.default is dataclasses.MISSING else f.default
        add_setting(group, prefix + f.name, f, default)


def given(args: argparse.Namespace, cls: type, prefix: str = "") -> dict:
    """{field: value} of the flags of `cls` that hold a value (None: not given)."""
    values = {}
    for f in dataclasses.fields(cls):
        value = getattr(args, prefix + f.name, None)
        if value is not None:
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return values


def flatten(settings: dict, nested: Iterable[str] = ()) -> dict:
    """Keys with underscores for dashes; the mappings under `nested` keys spread out:
    {"draw": {"steps": 6}} -> {"draw_steps": 6} with nested=("draw",)."""
    flat = {}
    for key, value in settings.items():
        name = str(key).replace("-", "_")
        if name in nested and isinstance(value, dict):
            flat.update({f"{name}_{k}": v for k, v in flatten(value).items()})
        else:
            flat[name] = value
    return flat


def read_config_file(path: str | Path, nested: Iterable[str] = ()) -> dict:
    """A YAML or JSON file of settings, flattened (`flatten`); a clear error if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--config {path}: no such file")
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        where = " ".join(str(error).split())  # YAML's message spans lines; one line here
        raise ValueError(f"--config {path}: not valid YAML/JSON ({where})") from error
    if not isinstance(settings, dict):
        raise ValueError(f"--config {path}: expected a mapping of settings")
    return flatten(settings, nested)


def parse_with_config(
    parser: argparse.ArgumentParser, argv: list[str], nested: Iterable[str] = ()
) -> argparse.Namespace:
    """Parse `argv` for a parser with a `--config` flag: the file's settings (`nested` keys
    spread out, see `flatten`) become defaults that flags on the command line override;
    unknown settings are an error naming them."""
    args = parser.parse_args(argv)
    if not getattr(args, "config", None):
        return args
    try:
        settings = read_config_file(args.config, nested)
    except ValueError as error:  # one line: the usage says nothing about a file's content
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    known = {action.dest for action in parser._actions}  # noqa: SLF001
    unknown = sorted(set(settings) - known)
    if unknown:
        parser.exit(
            2,
            f"{parser.prog}: error: --config {args.config}: unknown settings {unknown}; see "
            f"{parser.prog} --help\n",
        )
    parser.set_defaults(**settings)
    return parser.parse_args(argv)
