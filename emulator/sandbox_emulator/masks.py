"""Update masks: parsing the tolerated spellings and applying them to a stored resource."""

from __future__ import annotations

import copy
import re

from sandbox_emulator.errors import invalid
from sandbox_emulator.schema import Message, camel, lookup, snake

_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _snake_path(path: str) -> str:
    return ".".join(snake(part) for part in path.split("."))


def _split(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [part.strip() for item in value for part in item.split(",") if part.strip()]
    if isinstance(value, dict) and set(value) <= {"paths"}:
        return _split(value.get("paths", []), where)
    raise invalid(f'{where} must be a comma-separated string or an object with "paths"', where)


def parse(body: dict, query) -> list[str] | None:
    """The mask paths (snake_case) of an update request, or None when there is no mask."""
    paths: list[str] = []
    for key in ("update_mask", "updateMask"):
        if key in body and body[key] is not None:
            paths.extend(_split(body[key], "update_mask"))
    for key in ("update_mask", "updateMask"):
        for value in query.getlist(key):
            paths.extend(_split(value, "update_mask"))
    if not paths:
        return None
    out = []
    for path in paths:
        if not _PATH_RE.match(path):
            raise invalid(f'update_mask path "{path}" is not a valid field path', "update_mask")
        path = _snake_path(path)
        if path not in out:
            out.append(path)
    return out


def _get(doc: dict, camel_path: list[str]) -> object:
    current: object = doc
    for part in camel_path:
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _set(doc: dict, camel_path: list[str], value: object) -> None:
    current = doc
    for part in camel_path[:-1]:
        current = current.setdefault(part, {})
    if value in (None, "", [], {}) or value is False:
        current.pop(camel_path[-1], None)
    else:
        current[camel_path[-1]] = copy.deepcopy(value)


def apply(
    resource: str,
    schema: Message,
    stored: dict,
    request: dict,
    paths: list[str] | None,
    mutable: tuple[str, ...],
    no_mask_paths: tuple[str, ...],
) -> dict:
    """Return a copy of ``stored`` with the update applied.

    With a mask only the listed paths change, and a listed path absent or empty in the request clears the
    field. Without a mask every non-empty field of ``no_mask_paths`` in the request is applied.
    """
    result = copy.deepcopy(stored)
    if paths is None:
        for path in no_mask_paths:
            camel_path = [camel(part) for part in path.split(".")]
            value = _get(request, camel_path)
            if value not in (None, "", [], {}) and value is not False:
                _set(result, camel_path, value)
        return result
    for path in paths:
        if path not in mutable:
            if lookup(schema, path) is None:
                raise invalid(f"update_mask: {resource}.{path} is unknown", "update_mask")
            parent = next((m for m in mutable if path.startswith(m + ".")), None)
            if parent:
                raise invalid(
                    f'update_mask: {resource}.{path} cannot be updated on its own, use "{parent}"', "update_mask"
                )
            raise invalid(f"update_mask: {resource}.{path} is immutable", "update_mask")
    for path in paths:
        camel_path = [camel(part) for part in path.split(".")]
        _set(result, camel_path, _get(request, camel_path))
    return result
