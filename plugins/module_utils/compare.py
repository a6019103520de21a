# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Wire conversion, comparison and update masks, shared by every module.

Vocabulary:
- *wire* form: the API's JSON, lowerCamelCase keys, ``*Json`` fields holding JSON-encoded strings.
- *user* form: the collection's options and return values, snake_case keys, JSON blocks decoded
  under their short names (``namespaceConfigJson`` <-> ``namespace``).
- a *field* is one thing a module manages: its update-mask path and its dotted wire path.

Keys inside user-owned maps (labels, node selectors, annotations, environment) and inside decoded
JSON blocks are data, never renamed.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import re

# Wire keys that hold a free-form JSON document as a string, and the user-facing name of the decoded
# block. Its content is the user's, passed through verbatim.
JSON_FIELDS = {
    "namespaceConfigJson": "namespace",
    "networkConfigJson": "network",
    "podTemplateJson": "pod",
}
USER_JSON_FIELDS = {v: k for k, v in JSON_FIELDS.items()}
# A binding's ``overridesJson`` holds a ProfileSpec fragment in wire form; users write it in user form.
OVERRIDES_JSON = "overridesJson"
ENCODED_FIELDS = frozenset(JSON_FIELDS) | {OVERRIDES_JSON}
# Lists of a ProfileSpec fragment (in ``overridesJson``) whose order carries no meaning.
UNORDERED_FRAGMENT_LISTS = ("instanceTypes", "tags")

# Keys whose value is a map owned by the user: its keys are kept exactly as given.
OPAQUE_MAPS = frozenset(("labels", "nodeSelector", "annotations", "env"))
USER_OPAQUE_MAPS = frozenset(("labels", "node_selector", "annotations", "env"))


def camel_to_snake(name):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def snake_to_camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def encode_json(value):
    """The canonical JSON text the collection sends for a decoded block."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def to_wire(value):
    """User form to wire form: camelCase keys, JSON blocks encoded, ``None`` entries dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key in USER_JSON_FIELDS:
                out[USER_JSON_FIELDS[key]] = encode_json(item)
            elif key in USER_OPAQUE_MAPS:
                out[snake_to_camel(key)] = copy.deepcopy(item)
            else:
                out[snake_to_camel(key)] = to_wire(item)
        return out
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def spec_fragment_to_wire(fragment):
    """A ProfileSpec fragment in user form (a binding's ``overrides``) as ``overridesJson`` text."""
    return encode_json(to_wire(fragment or {}))


def to_user(value):
    """Wire form to user form: snake_case keys, JSON blocks decoded under their short names."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in JSON_FIELDS:
                out[JSON_FIELDS[key]] = decode_json_block(item)
            elif key == OVERRIDES_JSON:
                decoded = decode_json_block(item)
                out["overrides"] = to_user(decoded) if isinstance(decoded, dict) else decoded
            elif key in OPAQUE_MAPS:
                out[camel_to_snake(key)] = copy.deepcopy(item)
            else:
                out[camel_to_snake(key)] = to_user(item)
        return out
    if isinstance(value, list):
        return [to_user(item) for item in value]
    return value


def decode_json_block(text):
    """Decode a ``*Json`` string; keep the text when it is not valid JSON, so nothing is lost."""
    if not isinstance(text, str):
        return text
    if text == "":
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def is_zero(value):
    if value is None or value is False or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return True
    return isinstance(value, str) and value.endswith("_UNSPECIFIED")


def parse_instant(text):
    """An RFC 3339 timestamp as an aware UTC datetime, or ``None`` when it is not one."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value[-1:] in ("z", "Z"):
        value = value[:-1] + "+00:00"
    match = re.match(r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2})$", value)
    if not match:
        return None
    fraction = (match.group(2) or "")[:7].ljust(7, "0")[1:] if match.group(2) else ""
    stamp = match.group(1).replace("t", "T").replace(" ", "T") + ("." + fraction if fraction else "") + match.group(3)
    try:
        parsed = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed.astimezone(datetime.timezone.utc)


class Rules:
    """How one resource's fields compare. Paths are dotted wire paths; ``[]`` steps into list items.

    - ``unordered``: lists whose order carries no meaning (compared as sorted).
    - ``instants``: RFC 3339 strings compared as instants.
    - ``case_insensitive``: strings compared without case.
    """

    def __init__(self, unordered=(), instants=(), case_insensitive=()):
        self.unordered = frozenset(unordered)
        self.instants = frozenset(instants)
        self.case_insensitive = frozenset(case_insensitive)


NO_RULES = Rules()


def normalize(value, rules=NO_RULES, path=""):
    """The comparable form of a wire value: zero values dropped, JSON decoded, sets sorted.

    A missing field equals its zero value. Inside a decoded JSON block the comparison is exact
    (a ``false`` in a pod template is not the same as no key), except that key order never counts,
    and neither does the order of ``instanceTypes`` and ``tags`` of a binding's ``overridesJson``.
    """
    if isinstance(value, str) and path.rsplit(".", 1)[-1] in ENCODED_FIELDS:
        return _normalize_json(value, path.rsplit(".", 1)[-1])
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in OPAQUE_MAPS and isinstance(item, dict):
                norm = dict(item.items())
            else:
                norm = normalize(item, rules, path + "." + key if path else key)
            if not is_zero(norm):
                out[key] = norm
        return out or None
    if isinstance(value, list):
        items = [normalize(item, rules, path + "[]") for item in value]
        if path in rules.unordered:
            items.sort(key=encode_json)
        return items or None
    if isinstance(value, str):
        if path in rules.instants:
            instant = parse_instant(value)
            return instant.isoformat() if instant else value
        if path in rules.case_insensitive:
            return value.lower()
    if is_zero(value):
        return None
    return value


def _normalize_json(text, field):
    if text == "":
        return None
    try:
        decoded = _decode_nested(json.loads(text))
    except ValueError:
        return text
    if field == OVERRIDES_JSON and isinstance(decoded, dict):
        for key in UNORDERED_FRAGMENT_LISTS:
            if isinstance(decoded.get(key), list):
                decoded[key] = sorted(decoded[key], key=encode_json)
    return ("json", encode_json(decoded))


def _decode_nested(value):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ENCODED_FIELDS and isinstance(item, str):
                with contextlib.suppress(ValueError):
                    item = json.loads(item)
            out[key] = _decode_nested(item)
        return out
    if isinstance(value, list):
        return [_decode_nested(item) for item in value]
    return value


def get_path(data, path):
    """The value at a dotted path of nested dicts, ``None`` when any step is missing."""
    for step in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def set_path(data, path, value):
    steps = path.split(".")
    for step in steps[:-1]:
        data = data.setdefault(step, {})
    data[steps[-1]] = value


def has_path(data, path):
    for step in path.split("."):
        if not isinstance(data, dict) or step not in data:
            return False
        data = data[step]
    return True


def changed_fields(desired, current, fields, rules=NO_RULES):
    """The fields (``(mask_path, wire_path)`` pairs) whose desired value differs from the current one.

    Only fields present in ``desired`` count: an option the user did not set is never a change.
    """
    changed = []
    for mask_path, wire_path in fields:
        if not has_path(desired, wire_path):
            continue
        want = normalize(get_path(desired, wire_path), rules, wire_path)
        have = normalize(get_path(current or {}, wire_path), rules, wire_path)
        if want != have:
            changed.append((mask_path, wire_path))
    return changed


def update_request(desired, changed):
    """The partial resource and the ``update_mask`` naming exactly the changed fields."""
    body = {}
    for _mask_path, wire_path in changed:
        set_path(body, wire_path, copy.deepcopy(get_path(desired, wire_path)))
    return body, ",".join(mask_path for mask_path, _wire_path in changed)


def apply_fields(current, desired, fields):
    """``current`` with the managed fields of ``desired`` laid over it: the predicted resource."""
    result = copy.deepcopy(current or {})
    for _mask_path, wire_path in fields:
        if has_path(desired, wire_path):
            set_path(result, wire_path, copy.deepcopy(get_path(desired, wire_path)))
    return result


def managed_view(resource, fields):
    """The managed fields of a wire resource, in user form, for diffs.

    Each field is shown under its last step in user form: snake_case, or the JSON block's short name.
    """
    if resource is None:
        return {}
    view = {}
    for _mask_path, wire_path in fields:
        if not has_path(resource, wire_path):
            continue
        leaf = wire_path.rsplit(".", 1)[-1]
        view.update(to_user({leaf: get_path(resource, wire_path)}))
    return view
