"""Semantic validation of runners and profile templates (after type checking)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sandbox_emulator.errors import invalid

RUNNER_ID_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
QUANTITY_RE = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
TOLERATION_OPERATORS = ("Equal", "Exists")
TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
MAX_NAME = 256

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_CRON_FIELDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 7, _DAYS)]


def _cron_value(text: str, low: int, high: int, names: list[str] | None) -> int | None:
    if names and text.upper() in names:
        offset = 1 if names is _MONTHS else 0
        return names.index(text.upper()) + offset
    if not text.isdigit() or len(text) > 2:
        return None
    number = int(text)
    return number if low <= number <= high else None


def _cron_field(text: str, low: int, high: int, names: list[str] | None) -> bool:
    for item in text.split(","):
        base, _, step = item.partition("/")
        if step and (not step.isdigit() or int(step) == 0 or int(step) > high):
            return False
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        first = _cron_value(start, low, high, names)
        if first is None:
            return False
        if dash:
            last = _cron_value(end, low, high, names)
            if last is None or last < first:
                return False
        elif step:
            continue
    return True


def valid_cron(expression: str) -> bool:
    parts = expression.split()
    if len(parts) != 5:
        return False
    return all(_cron_field(part, *spec) for part, spec in zip(parts, _CRON_FIELDS, strict=True))


def parse_timestamp(text: str) -> datetime | None:
    """Parse an RFC 3339 instant; None when it is not one."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", text):
        return None
    normal = text.upper().replace("Z", "+00:00")
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", normal)
    head, frac, zone = match.group(1), match.group(2) or "", match.group(3)
    frac = frac[:7]
    try:
        return datetime.fromisoformat(head + frac + zone)
    except ValueError:
        return None


def format_timestamp(moment: datetime | float) -> str:
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    moment = moment.astimezone(UTC)
    millis = moment.microsecond // 1000
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


def check_json_object(text: str, path: str) -> None:
    try:
        decoded = json.loads(text)
    except ValueError:
        raise invalid(f"{path} is not valid JSON", path) from None
    if not isinstance(decoded, dict):
        raise invalid(f"{path} must be a JSON object", path)


def check_quantity(value: str, path: str) -> None:
    if not QUANTITY_RE.match(value):
        raise invalid(f'{path} "{value}" is not a valid quantity', path)


def check_resources(resources: dict, path: str) -> None:
    for name, value in resources.items():
        check_quantity(value, f"{path}.{re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)}")


def check_name(value: str, path: str) -> None:
    if len(value) > MAX_NAME:
        raise invalid(f"{path} must be at most {MAX_NAME} characters", path)
    if "/" in value or any(ord(ch) < 32 for ch in value):
        raise invalid(f"{path} must not contain slashes or control characters", path)


def check_runner_id(value: str, path: str) -> None:
    if not RUNNER_ID_RE.match(value):
        raise invalid(
            f'{path} "{value}" must be a lowercase DNS label (a-z, 0-9, "-"), at most 63 characters',
            path,
        )


def check_managed_spec(spec: dict, path: str) -> None:
    """Validate a normalised managedSpec in place (timestamps are normalised to UTC)."""
    policy = spec.get("maintenancePolicy", {})
    for i, window in enumerate(policy.get("windows", [])):
        where = f"{path}.maintenance_policy.windows[{i}]"
        if not window.get("cron"):
            raise invalid(f"{where}.cron is required", f"{where}.cron")
        if not valid_cron(window["cron"]):
            raise invalid(f"{where}.cron is not a valid cron expression", f"{where}.cron")
        if window.get("durationSeconds", 0) <= 0:
            raise invalid(f"{where}.duration_seconds must be greater than 0", f"{where}.duration_seconds")
    for i, exclusion in enumerate(policy.get("exclusions", [])):
        where = f"{path}.maintenance_policy.exclusions[{i}]"
        moments = {}
        for key, snake_key in (("startTime", "start_time"), ("endTime", "end_time")):
            if not exclusion.get(key):
                raise invalid(f"{where}.{snake_key} is required", f"{where}.{snake_key}")
            moment = parse_timestamp(exclusion[key])
            if moment is None:
                raise invalid(f"{where}.{snake_key} is not a valid RFC 3339 timestamp", f"{where}.{snake_key}")
            moments[key] = moment
            exclusion[key] = format_timestamp(moment)
        if moments["endTime"] <= moments["startTime"]:
            raise invalid(f"{where}.end_time must be after start_time", f"{where}.end_time")
    overrides = spec.get("overrides", {})
    opath = f"{path}.overrides"
    check_resources(overrides.get("resources", {}), f"{opath}.resources")
    for i, toleration in enumerate(overrides.get("tolerations", [])):
        where = f"{opath}.tolerations[{i}]"
        operator = toleration.get("operator")
        if operator and operator not in TOLERATION_OPERATORS:
            raise invalid(f"{where}.operator must be one of {', '.join(TOLERATION_OPERATORS)}", f"{where}.operator")
        effect = toleration.get("effect")
        if effect and effect not in TOLERATION_EFFECTS:
            raise invalid(f"{where}.effect must be one of {', '.join(TOLERATION_EFFECTS)}", f"{where}.effect")
        if operator == "Exists" and toleration.get("value"):
            raise invalid(f'{where}.value must be empty when operator is "Exists"', f"{where}.value")
    scaling = overrides.get("scaling", {})
    for key, snake_key in (("replicas", "replicas"), ("minReplicas", "min_replicas"), ("maxReplicas", "max_replicas")):
        if scaling.get(key, 0) < 0:
            raise invalid(f"{opath}.scaling.{snake_key} must not be negative", f"{opath}.scaling.{snake_key}")
    if scaling.get("maxReplicas") and scaling.get("minReplicas", 0) > scaling["maxReplicas"]:
        raise invalid(f"{opath}.scaling.min_replicas must not exceed max_replicas", f"{opath}.scaling.min_replicas")


def check_bindings(bindings: list, path: str, template_exists) -> None:
    if not bindings:
        raise invalid(f"{path} must contain at least one binding", path)
    seen = {}
    for i, binding in enumerate(bindings):
        where = f"{path}[{i}]"
        template_id = binding.get("profileTemplateId")
        if not template_id:
            raise invalid(f"{where}.profile_template_id is required", f"{where}.profile_template_id")
        if template_id in seen:
            raise invalid(
                f'{where}.profile_template_id "{template_id}" duplicates {path}[{seen[template_id]}]',
                f"{where}.profile_template_id",
            )
        seen[template_id] = i
        if binding.get("overridesJson"):
            check_json_object(binding["overridesJson"], f"{where}.overrides_json")
    defaults = sum(1 for binding in bindings if binding.get("isDefault"))
    if defaults != 1:
        raise invalid(f"{path} must have exactly one binding with is_default true, found {defaults}", path)
    for i, binding in enumerate(bindings):
        if not template_exists(binding["profileTemplateId"]):
            where = f"{path}[{i}].profile_template_id"
            raise invalid(f'{where} "{binding["profileTemplateId"]}" does not exist', where)


def check_profile_spec(spec: dict, path: str) -> None:
    check_resources(spec.get("resourceDefaults", {}), f"{path}.resource_defaults")
    for key, snake_key in (
        ("namespaceConfigJson", "namespace_config_json"),
        ("networkConfigJson", "network_config_json"),
        ("podTemplateJson", "pod_template_json"),
    ):
        if spec.get(key):
            check_json_object(spec[key], f"{path}.{snake_key}")
