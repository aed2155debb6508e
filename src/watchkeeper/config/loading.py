"""Reading ``watchkeeper.yaml``: YAML, environment variables, validation, one-line errors.

Every problem becomes a :class:`~watchkeeper.errors.ConfigError` whose message names the file,
the key path and what was expected, ready to print as one line.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "watchkeeper.yaml").write_text("model: {name: fraud}\\n")
>>> load_config(folder / "watchkeeper.yaml")
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: ...watchkeeper.yaml: owner: field required (expected a mapping with name and contact)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from watchkeeper.config.workspace_file import WorkspaceConfig
from watchkeeper.errors import ConfigError

CONFIG_FILE_NAME = "watchkeeper.yaml"
MAX_YAML_VALUES = 100_000
"""The most values (scalars, lists, mappings) a workspace file may expand to, aliases
followed: the example workspace has a few hundred."""
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_EXPECTED_FOR_MISSING = {
    "owner": "a mapping with name and contact",
    "owner.name": "the name of the person who answers for the model",
    "owner.contact": "an e-mail address or a chat handle",
    "model": "a mapping with name (and description)",
    "model.name": "a lower-case name such as card-fraud",
}


def load_config(
    path: str | os.PathLike[str], environment: Mapping[str, str] | None = None
) -> WorkspaceConfig:
    """Read, expand and validate a workspace file; raise ConfigError naming any problem.

    ``${NAME}`` and ``${NAME:-default}`` in string values are replaced from ``environment``
    (the process environment by default), so secrets such as database passwords stay out
    of the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: no workspace file here; create one with 'watchkeeper init {path.parent}'"
        )
    try:
        raw = load_bounded_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: malformed YAML: {_describe_yaml_error(error)}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None
    except _TooLargeError as error:
        raise ConfigError(f"{path}: {error}") from None
    if not isinstance(raw, dict):
        found = "an empty file" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{path}: expected a mapping of sections at the top, found {found}")
    expanded = _expand_variables(raw, os.environ if environment is None else environment, path, ())
    return parse_config(expanded, source=str(path))


def load_bounded_yaml(text: str, max_values: int = MAX_YAML_VALUES) -> Any:
    """Parse YAML (safe tags only), refusing a document that expands to more than
    ``max_values`` values once its aliases are followed.

    Anchors and aliases stay allowed; only their expansion is bounded, before anything is
    built, so nested anchors ("billion laughs") are refused in milliseconds instead of
    expanding for minutes.

    >>> load_bounded_yaml("base: &b {x: 1}\\ncopy: *b")
    {'base': {'x': 1}, 'copy': {'x': 1}}
    >>> laughs = "a: &a [1, 1]\\nb: &b [*a, *a]\\nc: [*b, *b]"
    >>> load_bounded_yaml(laughs, max_values=10)
    Traceback (most recent call last):
    ...
    watchkeeper.config.loading._TooLargeError: the YAML expands to more than 10 values once its aliases (*name) are followed; write the repeated parts out, or use fewer nested anchors
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node, max_values)
        return loader.construct_document(node)
    except RecursionError:
        raise _TooLargeError("the YAML is nested too deeply") from None
    finally:
        loader.dispose()


def _check_expanded_size(root: yaml.Node, limit: int) -> None:
    """Count the values ``root`` expands to (an alias counts its whole target again)."""
    sizes: dict[int, int] = {}
    counting: set[int] = set()

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in counting:
            raise _TooLargeError("the YAML has an alias inside its own anchor (a cycle)")
        counting.add(id(node))
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        if total > limit:
            raise _TooLargeError(
                f"the YAML expands to more than {limit} values once its aliases (*name) are "
                "followed; write the repeated parts out, or use fewer nested anchors"
            )
        counting.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root)


class _TooLargeError(Exception):
    """A YAML document whose expansion exceeds the bound."""


def parse_config(raw: Mapping[str, Any], source: str = CONFIG_FILE_NAME) -> WorkspaceConfig:
    """Validate an already parsed mapping; ``source`` names it in error messages.

    >>> parse_config({"model": {"name": "fraud"}, "owner": {"name": "A", "contact": "a@b.c"},
    ...               "label": {"maturity_horizon": 60}}, source="ws.yaml")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: ws.yaml: label.maturity_horizon: 60 has no unit: write e.g. 60d, 60h or 60s (got 60)
    """
    try:
        return WorkspaceConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source)) from None


def describe_validation_error(error: ValidationError, source: str) -> str:
    """Turn pydantic's report into one line: the file, the key path, the rule, the value."""
    problems = error.errors(include_url=False)
    lines = [_describe_problem(problem, source) for problem in problems[:3]]
    more = len(problems) - len(lines)
    return "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")


def _describe_problem(problem: Mapping[str, Any], source: str) -> str:
    location = ".".join(str(part) for part in problem["loc"] if not _is_union_tag(part))
    kind = problem["type"]
    if kind == "missing":
        expected = _EXPECTED_FOR_MISSING.get(location, "a value")
        return f"{source}: {location}: field required (expected {expected})"
    if kind == "extra_forbidden":
        return f"{source}: {location}: unknown key (check its spelling and the section it is in)"
    message = str(problem["msg"]).removeprefix("Value error, ")
    where = f"{location}: " if location else ""
    value = problem.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{source}: {where}{message}{shown}"


def _is_union_tag(part: object) -> bool:
    # pydantic inserts the member type's name into locations inside unions; it is not a key
    return isinstance(part, str) and part[:1].islower() and "[" in part


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def _expand_variables(
    value: Any, environment: Mapping[str, str], path: Path, location: tuple[str, ...]
) -> Any:
    if isinstance(value, dict):
        return {
            key: _expand_variables(item, environment, path, (*location, str(key)))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _expand_variables(item, environment, path, (*location, str(index)))
            for index, item in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environment:
            return environment[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{path}: {'.'.join(location)}: environment variable {name} is not set "
            f"(set it, or write ${{{name}:-default}})"
        )

    return _VARIABLE.sub(substitute, value)


__all__ = [
    "CONFIG_FILE_NAME",
    "MAX_YAML_VALUES",
    "describe_validation_error",
    "load_bounded_yaml",
    "load_config",
    "parse_config",
]
