"""Reading a policy directory into a :class:`Policy`, or into a list of errors.

A policy directory holds::

    platform.yaml            the profile catalogue and platform roles
    projects/<id>.yaml       one file per project
    sources/<name>.yaml      one file per warehouse source (optional folder)

Every file is read once, into memory, before anything is validated, so a
policy is judged on one consistent set of bytes; the digests of those bytes
travel with the loaded policy. All errors are collected (syntax, schema,
cross-file) and raised together as :class:`PolicyInvalid`; a policy with any
error is never returned, so it can never be half-applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .crosscheck import Located, cross_check
from .errors import PolicyError, PolicyInvalid
from .grants import check_grants
from .model import Platform, Project
from .policy import Policy, SourceFile
from .sources import SOURCES_DIR, Source, check_source
from .yamlsource import Locator, YamlSourceError, parse_yaml

PLATFORM_FILE = "platform.yaml"
PROJECTS_DIR = "projects"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _Document:
    path: str
    value: Any
    locator: Locator


def load_policy(directory: str | FsPath) -> Policy:
    """Load and validate the policy directory; raise :class:`PolicyInvalid` on any error."""
    root = FsPath(directory)
    if not root.is_dir():
        raise PolicyInvalid([PolicyError(str(root), 1, "(directory)", "no such policy directory")])
    texts, errors = _read_files(root)
    policy_or_errors = parse_policy(texts)
    if isinstance(policy_or_errors, Policy) and not errors:
        return policy_or_errors
    if not isinstance(policy_or_errors, Policy):
        errors.extend(policy_or_errors)
    raise PolicyInvalid(errors)


def parse_policy(texts: Mapping[str, str]) -> Policy | list[PolicyError]:
    """Build a policy from file texts keyed by their path in the directory.

    Pure: no file system access. Returns the policy or the list of errors.
    """
    errors: list[PolicyError] = []
    documents: dict[str, _Document] = {}
    for path, text in sorted(texts.items()):
        try:
            value, locator = parse_yaml(text)
        except YamlSourceError as exc:
            errors.append(PolicyError(path, exc.line, exc.key, exc.message))
            continue
        documents[path] = _Document(path, value, locator)

    platform = None
    if PLATFORM_FILE not in texts:
        errors.append(PolicyError(PLATFORM_FILE, 1, "(file)", "the policy has no platform.yaml"))
    elif PLATFORM_FILE in documents:
        platform = _validate(documents[PLATFORM_FILE], Platform, errors)

    projects = _validate_folder(documents, PROJECTS_DIR, Project, errors)
    sources = _validate_folder(documents, SOURCES_DIR, Source, errors)
    for source in sources:
        errors.extend(check_source(source))

    if platform is not None:
        errors.extend(cross_check(Located(PLATFORM_FILE, documents[PLATFORM_FILE].locator, platform), projects))
    for located in projects:
        errors.extend(check_grants(located))
    if errors or platform is None:
        return errors
    files = tuple(SourceFile(path, hashlib.sha256(text.encode()).hexdigest()) for path, text in sorted(texts.items()))
    return Policy(
        platform=platform,
        projects={p.value.id: p.value for p in projects},
        files=files,
        sources={s.value.name: s.value for s in sources},
    )


def _validate_folder(
    documents: Mapping[str, _Document], folder: str, model: type[M], errors: list[PolicyError]
) -> list[Located[M]]:
    """The valid documents of ``folder``/, each with its location; the others' errors go to ``errors``."""
    found = []
    for path, document in documents.items():
        if path.startswith(f"{folder}/"):
            value = _validate(document, model, errors)
            if value is not None:
                found.append(Located(path, document.locator, value))
    return found


def parse_document(path: str, text: str, model: type[M]) -> M | list[PolicyError]:
    """Validate one YAML document ``text`` (read from ``path``) as ``model``; pure."""
    errors: list[PolicyError] = []
    try:
        value, locator = parse_yaml(text)
    except YamlSourceError as exc:
        return [PolicyError(path, exc.line, exc.key, exc.message)]
    validated = _validate(_Document(path, value, locator), model, errors)
    return errors if validated is None else validated


def _read_files(root: FsPath) -> tuple[dict[str, str], list[PolicyError]]:
    texts: dict[str, str] = {}
    errors: list[PolicyError] = []
    candidates = [root / PLATFORM_FILE] if (root / PLATFORM_FILE).exists() else []
    for folder, what in (
        (PROJECTS_DIR, "project files are projects/<id>.yaml"),
        (SOURCES_DIR, "source files are sources/<name>.yaml"),
    ):
        directory = root / folder
        if not directory.is_dir():
            continue
        for entry in sorted(directory.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.suffix != ".yaml" or not entry.is_file():
                errors.append(PolicyError(f"{folder}/{entry.name}", 1, "(file)", f"not a .yaml file; {what}"))
                continue
            candidates.append(entry)
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        try:
            texts[rel] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(PolicyError(rel, 1, "(file)", f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
        except OSError as exc:
            errors.append(PolicyError(rel, 1, "(file)", f"cannot be read: {exc.strerror}"))
    return texts, errors


def _validate(document: _Document, model: type[M], errors: list[PolicyError]) -> M | None:
    if not isinstance(document.value, dict):
        shown = "empty" if document.value is None else f"a {type(document.value).__name__}"
        errors.append(PolicyError(document.path, 1, "(document)", f"expected a mapping of keys, found {shown}"))
        return None
    try:
        return model.model_validate(document.value)
    except ValidationError as exc:
        errors.extend(_located_errors(document, exc.errors(include_url=False), model))
        return None


def _located_errors(document: _Document, details: Iterable[Any], model: type[BaseModel]) -> list[PolicyError]:
    # Pydantic inserts the member tag of unions ("tuple[...]", "literal[...]") in the loc.
    cleaned = [(tuple(p for p in d["loc"] if not (isinstance(p, str) and ("[" in p or "(" in p))), d) for d in details]
    found = []
    for loc, detail in cleaned:
        # A list whose items failed is also "too short" once they are dropped: say it once.
        if detail["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other, _ in cleaned):
            continue
        line = document.locator.line_of(loc)
        found.append(PolicyError(document.path, line, format_key(loc), _sentence(detail)))
    return found


def format_key(loc: tuple[str | int, ...]) -> str:
    """``("members", 1, "role")`` as ``members[1].role``."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(document)"


def _sentence(detail: Mapping[str, Any]) -> str:
    kind = detail["type"]
    value = detail.get("input")
    if kind == "extra_forbidden":
        return "unknown key; check its spelling and placement"
    if kind == "missing":
        return "required key is missing"
    if kind in ("enum", "literal_error"):
        expected = detail.get("ctx", {}).get("expected", "")
        expected = expected.replace("'", "").replace(" or ", ", ")
        return f"{value!r} is not one of: {expected}"
    if kind == "value_error":
        return str(detail["ctx"]["error"])
    message = str(detail["msg"])
    if value is not None and not isinstance(value, dict | list):
        message = f"{message} (got {value!r})"
    return message
