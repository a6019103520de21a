# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Profile templates: their API route, their user form, and the profile specification (ProfileSpec).

A template's ``spec`` and a profile binding's ``overrides`` take the same form, so both are declared
and checked here.
"""

from __future__ import annotations

from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import to_user
from ansible_collections.coreweave.sandbox.plugins.module_utils.module import (
    cidr_error,
    format_path,
    quantity_error,
    schema_errors,
)

TEMPLATES_ROUTE = "/profile-templates"
TEMPLATE_LIST_KEY = "profileTemplates"

NAMESPACE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "strategy": {"enum": ["per-user", "per-org", "per-profile", "static"]},
        "namespacePrefix": {"type": "string"},
    },
}
EGRESS_MODE_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ["none", "internet", "allowlist"]},
        "cidrs": {"type": "array", "items": {"type": "string"}},
    },
    "if": {"properties": {"type": {"const": "allowlist"}}, "required": ["type"]},
    "then": {"required": ["cidrs"]},
}
NETWORK_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "egress": {
            "type": "object",
            "properties": {
                "default": {"type": "string"},
                "modes": {"type": "object", "additionalProperties": EGRESS_MODE_SCHEMA},
            },
        },
    },
}
POD_SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}
# The JSON blocks of a spec, each checked against its schema.
BLOCK_SCHEMAS = (("namespace", NAMESPACE_SCHEMA), ("network", NETWORK_SCHEMA), ("pod", POD_SCHEMA))
QUANTITIES = ("cpu_request", "memory_request", "cpu_limit", "memory_limit")
# Sub-options of a spec that hold their own sub-options.
NESTED_OPTIONS = ("resource_defaults",)


def user_template(resource):
    """A template in the collection's form; the always-present fields default to their zero value."""
    if not resource:
        return {}
    template = to_user(resource)
    template.setdefault("description", "")
    template.setdefault("labels", {})
    template.setdefault("spec", {})
    return template


def spec_options():
    """The argument spec ``options`` of a ProfileSpec in user form."""
    return {
        "container_image": {"type": "str"},
        "runtime_class": {"type": "str"},
        "resource_defaults": {"type": "dict", "options": {name: {"type": "str"} for name in QUANTITIES}},
        "instance_types": {"type": "list", "elements": "str"},
        "node_selector": {"type": "dict"},
        "tags": {"type": "list", "elements": "str"},
        "namespace": {"type": "raw"},
        "network": {"type": "raw"},
        "pod": {"type": "raw"},
    }


def needs_jsonschema(spec):
    """Whether checking ``spec`` needs ``jsonschema``: it sets one of the JSON blocks."""
    return any((spec or {}).get(name) is not None for name, _schema in BLOCK_SCHEMAS)


def set_fields(spec):
    """``spec`` without the sub-options Ansible filled in with ``None`` because the task left them out."""
    if spec is None:
        return None
    out = {}
    for key, value in spec.items():
        if value is None:
            continue
        if key in NESTED_OPTIONS and isinstance(value, dict):
            value = {name: item for name, item in value.items() if item is not None}
        out[key] = value
    return out


def spec_errors(spec, prefix="spec"):
    """Every problem of a ProfileSpec in user form, each naming the path of the bad field under ``prefix``.

    Needs ``jsonschema`` when :func:`needs_jsonschema` says so.
    """
    errors = []
    resources = spec.get("resource_defaults") or {}
    for name in QUANTITIES:
        error = quantity_error(resources.get(name), format_path(prefix, ["resource_defaults", name]))
        if error:
            errors.append(error)
    for name, schema in BLOCK_SCHEMAS:
        if spec.get(name) is not None:
            errors.extend(schema_errors(spec[name], schema, format_path(prefix, [name])))
    if errors:
        return errors
    egress = (spec.get("network") or {}).get("egress") or {}
    modes = egress.get("modes") or {}
    modes_path = format_path(prefix, ["network", "egress", "modes"])
    for mode_name, mode in sorted(modes.items()):
        for index, cidr in enumerate(mode.get("cidrs") or []):
            error = cidr_error(cidr, format_path(modes_path, [mode_name, "cidrs", index]))
            if error:
                errors.append(error)
    default = egress.get("default")
    default_path = format_path(prefix, ["network", "egress", "default"])
    if default and modes and default not in modes:
        known = ", ".join(sorted(modes))
        errors.append(f"{default_path}: {default!r} names no mode of {modes_path} ({known})")
    elif default and not modes and default not in ("none", "internet"):
        errors.append(
            f"{default_path}: {default!r} names no mode: {modes_path} is empty, so the "
            "default must be a mode that needs no definition (none or internet)"
        )
    return errors


def binding_overrides_errors(module):
    """Check the ``overrides`` of every entry of the ``profile_bindings`` option, before any request.

    Each entry's ``overrides`` is replaced by its set fields only (Ansible fills the others in with
    ``None``), so ``{}`` still means no overrides. Returns the problems, each naming the entry by its
    index, for example ``profile_bindings[1].overrides.resource_defaults.memory_limit``.
    """
    errors = []
    for index, entry in enumerate(module.params.get("profile_bindings") or []):
        overrides = entry.get("overrides")
        if overrides is None:
            continue
        entry["overrides"] = overrides = set_fields(overrides)
        if needs_jsonschema(overrides):
            module.require_jsonschema()
        errors.extend(spec_errors(overrides, format_path("profile_bindings", [index, "overrides"])))
    return errors
