# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Managed runners: wire conversion, profile binding lists, template names, update masks and waiting.

Nothing here talks HTTP by itself: functions that need the API take a ``SandboxClient``.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from urllib.parse import quote

from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import (
    get_path,
    normalize,
    parse_instant,
    spec_fragment_to_wire,
    to_user,
    to_wire,
)
from ansible_collections.coreweave.sandbox.plugins.module_utils.profile_spec import TEMPLATE_LIST_KEY, TEMPLATES_ROUTE

RUNNERS_ROUTE = "/managed-runners"
RUNNER_LIST_KEY = "runners"
RUNNER_LIST_ALTERNATE_KEYS = ("managedRunners",)

INSTALL_PREFIX = "RUNNER_INSTALL_STATUS_"
CONNECTION_PREFIX = "RUNNER_CONNECTION_STATUS_"
PENDING = INSTALL_PREFIX + "PENDING"
PROVISIONING = INSTALL_PREFIX + "PROVISIONING"
READY = INSTALL_PREFIX + "READY"
FAILED = INSTALL_PREFIX + "FAILED"
CONNECTED = CONNECTION_PREFIX + "CONNECTED"
DISCONNECTED = CONNECTION_PREFIX + "DISCONNECTED"

RELEASE_CHANNELS = {"stable": "RELEASE_CHANNEL_STABLE", "rapid": "RELEASE_CHANNEL_RAPID"}
USER_RELEASE_CHANNELS = {v: k for k, v in RELEASE_CHANNELS.items()}
CONNECTION_STATUSES = {"connected": CONNECTED, "disconnected": DISCONNECTED}

BINDINGS_PATH = "profileBindings"
MANAGED_SPEC_MASK = "managed_spec"
MANAGED_SPEC_WIRE = "managedSpec"

POLL_INTERVAL = 1.0


class RunnerError(Exception):
    """A runner task that cannot go on; ``runner`` is the last wire state seen, when there is one."""

    def __init__(self, message, runner=None, **details):
        super().__init__(message)
        self.message = message
        self.runner = runner
        self.details = details
        self.duration = None


def runner_route(runner_id):
    return f"{RUNNERS_ROUTE}/{quote(runner_id, safe='')}"


def is_uuid(text):
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False


# ----- input validation ------------------------------------------------------------------------------

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, symbolic names whose index maps to a number starting at ``first``)
_CRON_FIELDS = (
    ("minute", 0, 59, (), 0),
    ("hour", 0, 23, (), 0),
    ("day of month", 1, 31, (), 0),
    ("month", 1, 12, _MONTH_NAMES, 1),
    ("day of week", 0, 7, _DAY_NAMES, 0),
)


def _cron_number(text, low, high, names, first):
    if text.upper() in names:
        return names.index(text.upper()) + first
    if not re.match(r"^\d{1,2}$", text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _cron_field_ok(text, low, high, names, first):
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or not 0 < int(step) <= high):
            return False
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        lowest = _cron_number(start, low, high, names, first)
        if lowest is None:
            return False
        if dash:
            highest = _cron_number(end, low, high, names, first)
            if highest is None or highest < lowest:
                return False
    return True


def cron_problem(expression):
    """Why ``expression`` is not a five-field cron expression, or ``None`` when it is one."""
    if not isinstance(expression, str) or not expression.strip():
        return "is empty"
    parts = expression.split()
    if len(parts) != 5:
        return f"has {len(parts)} fields; five are needed (minute hour day-of-month month day-of-week)"
    for part, (name, low, high, names, first) in zip(parts, _CRON_FIELDS):
        if not _cron_field_ok(part, low, high, names, first):
            return f"has an invalid {name} field {part!r}"
    return None


def maintenance_policy_problems(policy):
    """Every problem of a user-form maintenance policy, as messages naming the entry."""
    problems = []
    if not policy:
        return problems
    for index, window in enumerate(policy.get("windows") or []):
        where = f"maintenance_policy.windows[{index}]"
        reason = cron_problem(window.get("cron"))
        if reason:
            problems.append(
                "{}.cron {!r} is not a valid cron expression: it {}".format(where, window.get("cron"), reason)
            )
        duration = window.get("duration_seconds")
        if duration is None or duration <= 0:
            problems.append(f"{where}.duration_seconds must be greater than 0")
    for index, exclusion in enumerate(policy.get("exclusions") or []):
        where = f"maintenance_policy.exclusions[{index}]"
        instants = {}
        for key in ("start_time", "end_time"):
            value = exclusion.get(key)
            instants[key] = parse_instant(value)
            if instants[key] is None:
                problems.append(
                    f"{where}.{key} {value!r} is not an RFC 3339 timestamp (for example 2026-12-24T00:00:00Z)"
                )
        if instants["start_time"] and instants["end_time"] and instants["end_time"] <= instants["start_time"]:
            problems.append(f"{where}.end_time must be after start_time")
    return problems


# ----- wire conversion -------------------------------------------------------------------------------


def desired_runner(params, bindings=None):
    """The wire form of what a ``managed_runner`` task asks, with only the options it set.

    ``bindings`` is the complete wire binding list to send, or ``None`` when bindings are not managed.
    """
    runner = {}
    if params.get("display_name") is not None:
        runner["displayName"] = params["display_name"]
    identity = {}
    for option, wire in (
        ("zone", "zone"),
        ("cluster_id", "clusterId"),
        ("cluster_name", "clusterName"),
        ("runner_group_id", "runnerGroupId"),
    ):
        if params.get(option) is not None:
            identity[wire] = params[option]
    if identity:
        runner["identity"] = identity
    spec = {}
    if params.get("release_channel") is not None:
        spec["releaseChannel"] = RELEASE_CHANNELS[params["release_channel"]]
    if params.get("maintenance_policy") is not None:
        spec["maintenancePolicy"] = to_wire(params["maintenance_policy"])
    if params.get("overrides") is not None:
        spec["overrides"] = to_wire(params["overrides"])
    for option, wire in (
        ("enforce_resource_limits", "enforceResourceLimits"),
        ("allow_privileged_profile_annotations", "allowPrivilegedProfileAnnotations"),
    ):
        if params.get(option) is not None:
            spec[wire] = params[option]
    if spec:
        runner[MANAGED_SPEC_WIRE] = spec
    if bindings is not None:
        runner[BINDINGS_PATH] = bindings
    return runner


def create_request(runner_id, desired):
    """The create body: the operator's id at the top level, the runner without it."""
    runner = copy.deepcopy(desired)
    runner.get("identity", {}).pop("runnerId", None)
    return {"runnerId": runner_id, "runner": runner}


def runner_to_user(runner, template_names):
    """A wire runner in user form; each binding also shows its template's display name as ``profile``."""
    if runner is None:
        return {}
    user = to_user(runner)
    channel = get_path(runner, "managedSpec.releaseChannel")
    if channel in USER_RELEASE_CHANNELS:
        user["managed_spec"]["release_channel"] = USER_RELEASE_CHANNELS[channel]
    for binding in user.get("profile_bindings") or []:
        binding["profile"] = template_names.get(binding.get("profile_template_id"))
        binding.setdefault("is_default", False)
    return user


def diff_in_option_form(diff, template_names):
    """Show a runner diff in option form: the release channel as the option spells it, and the bindings
    under their templates' display names, in name order.

    The API knows a binding by its template id; a reviewer of ``--check --diff`` reads the names and
    options the task was written with (``profile``, ``profile_name``, ``default``, ``overrides``).
    """
    for side in diff.values():
        if not isinstance(side, dict):
            continue
        if side.get("release_channel") in USER_RELEASE_CHANNELS:
            side["release_channel"] = USER_RELEASE_CHANNELS[side["release_channel"]]
        bindings = side.get("profile_bindings")
        if not bindings:
            continue
        side["profile_bindings"] = sorted(
            (binding_option_form(binding, template_names) for binding in bindings),
            key=lambda b: b["profile"],
        )


def binding_option_form(binding, template_names):
    """A binding in user form as the ``profile_bindings`` option would write it."""
    template_id = binding.get("profile_template_id") or ""
    option = {"profile": template_names.get(template_id) or template_id, "default": bool(binding.get("is_default"))}
    if binding.get("profile_name"):
        option["profile_name"] = binding["profile_name"]
    if binding.get("overrides"):
        option["overrides"] = binding["overrides"]
    return option


# ----- template names --------------------------------------------------------------------------------


class TemplateNames:
    """Template display names and ids, read with one list request at most, and only when needed."""

    def __init__(self, client):
        self.client = client
        self._by_id = None

    @property
    def loaded(self):
        return self._by_id is not None

    def load(self):
        if self._by_id is None:
            templates = self.client.list_all(TEMPLATES_ROUTE, TEMPLATE_LIST_KEY)
            self._by_id = {t.get("id"): t.get("displayName") for t in templates if t.get("id")}
        return self._by_id

    def names(self):
        """Template id to display name for every template (loads the list)."""
        return dict(self.load())

    def resolve(self, references):
        """Template ids for ``references`` (display names or UUIDs), and the references that name nothing.

        The template list is read once (it also names the bindings in the result), so a UUID is checked
        to exist before anything is written, like a name.
        """
        by_id = self.load()
        by_name = {name: template_id for template_id, name in by_id.items()}
        resolved = {}
        unknown = []
        for ref in references:
            if is_uuid(ref) and ref.lower() in by_id:
                resolved[ref] = ref.lower()
            elif ref in by_name:
                resolved[ref] = by_name[ref]
            elif ref not in unknown:
                unknown.append(ref)
        return resolved, unknown


# ----- profile bindings ------------------------------------------------------------------------------


def _binding_label(binding, names):
    template_id = binding.get("profileTemplateId")
    name = (names or {}).get(template_id)
    return f"{name} ({template_id})" if name else str(template_id)


def requested_binding_problems(requested, resolved):
    """Problems of the task's own list: a template given twice (by name, by UUID or both)."""
    seen = {}
    problems = []
    for entry in requested:
        template_id = resolved.get(entry["profile"])
        if template_id is None:
            continue
        seen.setdefault(template_id, []).append(entry["profile"])
    for refs in seen.values():
        if len(refs) > 1:
            problems.append("profile_bindings name the same template more than once: {}".format(", ".join(refs)))
    return problems


def _apply_entry(binding, entry, purge):
    """Lay one task entry over a wire binding; in merge mode an unset option keeps the current value."""
    if entry.get("profile_name") is not None:
        binding["profileName"] = entry["profile_name"]
    elif purge:
        binding.pop("profileName", None)
    if entry.get("default") is not None:
        binding["isDefault"] = bool(entry["default"])
    elif purge:
        binding["isDefault"] = False
    overrides = entry.get("overrides")
    if overrides:
        binding["overridesJson"] = spec_fragment_to_wire(overrides)
    elif overrides is not None or purge:
        binding.pop("overridesJson", None)
    return binding


def compute_bindings(requested, resolved, current, purge):
    """The complete wire binding list to send.

    ``requested`` are the task's entries (user form), ``resolved`` maps each entry's ``profile`` to a
    template id, ``current`` is the runner's wire list. With ``purge`` the entries are the whole list;
    otherwise they are added or updated and the other bindings kept. An entry marked default takes the
    flag from every binding not marked default in the task.
    """
    result = [] if purge else [copy.deepcopy(b) for b in current or []]
    positions = {b.get("profileTemplateId"): i for i, b in enumerate(result)}
    for entry in requested:
        template_id = resolved[entry["profile"]]
        if template_id in positions:
            binding = result[positions[template_id]]
        else:
            binding = {"profileTemplateId": template_id}
            positions[template_id] = len(result)
            result.append(binding)
        _apply_entry(binding, entry, purge)
    if any(entry.get("default") for entry in requested):
        explicit = {resolved[e["profile"]] for e in requested if e.get("default")}
        for binding in result:
            if binding.get("profileTemplateId") not in explicit:
                binding["isDefault"] = False
    for binding in result:
        if not binding.get("isDefault"):
            binding.pop("isDefault", None)
    return result


def binding_list_problems(bindings, names=None):
    """Problems of a complete binding list: none, no default or several, a template twice."""
    if not bindings:
        return ["a runner needs at least one profile binding; profile_bindings would leave none"]
    problems = []
    defaults = [b for b in bindings if b.get("isDefault")]
    if not defaults:
        problems.append(
            "exactly one profile binding must be the default; none is: {}".format(
                ", ".join(_binding_label(b, names) for b in bindings)
            )
        )
    elif len(defaults) > 1:
        problems.append(
            f"exactly one profile binding must be the default; {len(defaults)} are: "
            + ", ".join(_binding_label(b, names) for b in defaults)
        )
    counts = {}
    for binding in bindings:
        counts[binding.get("profileTemplateId")] = counts.get(binding.get("profileTemplateId"), 0) + 1
    twice = [template_id for template_id, count in counts.items() if count > 1]
    if twice:
        problems.append(
            "a template may be bound once only; bound more than once: {}".format(
                ", ".join(_binding_label({"profileTemplateId": t}, names) for t in twice)
            )
        )
    return problems


def same_bindings(left, right, rules):
    return normalize(left or [], rules, BINDINGS_PATH) == normalize(right or [], rules, BINDINGS_PATH)


# ----- update masks ----------------------------------------------------------------------------------


def runner_update_request(current, desired, changed):
    """The PATCH body and mask for the ``changed`` fields (``(mask_path, wire_path)`` pairs).

    Each field is sent under its finest path. A field whose mask path is ``managed_spec`` (the two
    booleans, which have no path of their own) makes the whole managedSpec go out instead: the current
    spec with every desired managedSpec value laid over it, under the single path ``managed_spec``,
    replacing the finer ``managed_spec.*`` paths so that nothing is cleared.
    """
    whole_spec = any(mask == MANAGED_SPEC_MASK for mask, _wire in changed)
    body = {}
    mask = []
    for mask_path, wire_path in changed:
        if whole_spec and (mask_path == MANAGED_SPEC_MASK or mask_path.startswith(MANAGED_SPEC_MASK + ".")):
            continue
        steps = wire_path.split(".")
        target = body
        for step in steps[:-1]:
            target = target.setdefault(step, {})
        target[steps[-1]] = copy.deepcopy(get_path(desired, wire_path))
        if mask_path not in mask:
            mask.append(mask_path)
    if whole_spec:
        merged = copy.deepcopy((current or {}).get(MANAGED_SPEC_WIRE) or {})
        merged.update(copy.deepcopy(desired.get(MANAGED_SPEC_WIRE) or {}))
        body[MANAGED_SPEC_WIRE] = merged
        mask.append(MANAGED_SPEC_MASK)
    return body, ",".join(mask)


def immutable_problems(current, desired):
    """Messages for immutable identity fields the task would change on an existing runner."""
    problems = []
    identity = (current or {}).get("identity") or {}
    wanted = desired.get("identity") or {}
    for option, wire in (("cluster_id", "clusterId"), ("cluster_name", "clusterName")):
        same = (wanted.get(wire) or "").lower() == (identity.get(wire) or "").lower() if wire == "clusterId" else None
        if wire in wanted and identity.get(wire) and not same and wanted[wire] != identity.get(wire):
            problems.append(
                f"{option} cannot change from {identity.get(wire)!r} to {wanted[wire]!r}: a runner is installed "
                "into one cluster for its whole life (the field is immutable); "
                "delete the runner and create it again to move it"
            )
    return problems


# ----- waiting ---------------------------------------------------------------------------------------


def describe_status(runner):
    if runner is None:
        return "no runner"
    install = (runner.get("installStatus") or INSTALL_PREFIX + "UNSPECIFIED")[len(INSTALL_PREFIX) :]
    connection = (runner.get("connectionStatus") or CONNECTION_PREFIX + "UNSPECIFIED")[len(CONNECTION_PREFIX) :]
    return f"installStatus {install}, connectionStatus {connection}"


def install_failure_message(runner_id, runner):
    error = runner.get("installError") or {}
    text = "runner {} failed to install: {}".format(runner_id, error.get("message") or "no message given")
    if error.get("reason"):
        text += " ({})".format(error["reason"])
    hints = error.get("remediationHints") or []
    if hints:
        text += ". Remediation hints: " + "; ".join(hints)
    return text


def install_in_progress(runner):
    """Whether waiting makes sense without a change: the install is under way, rolling out, or FAILED
    (then the wait fails at once with the install error and its hints)."""
    return runner.get("installStatus") in (PENDING, PROVISIONING, FAILED) or bool(runner.get("rolloutInProgress"))


def _timed(wait):
    """Let a :class:`RunnerError` raised by ``wait`` carry how long the wait took, like a success does."""

    def timed(client, runner_id, timeout, interval=POLL_INTERVAL, clock=time.monotonic, sleep=time.sleep, **options):
        started = clock()
        try:
            return wait(client, runner_id, timeout, interval, clock, sleep, started, **options)
        except RunnerError as err:
            err.duration = round(clock() - started, 3)
            raise

    timed.__doc__ = wait.__doc__
    return timed


@_timed
def wait_until_ready(client, runner_id, timeout, interval, clock, sleep, started, require_connection=True):
    """Poll until the runner is READY and CONNECTED; returns the runner and the seconds waited.

    With ``require_connection=False`` READY is enough: a runner that was DISCONNECTED before the task
    will not reconnect because of it. Raises :class:`RunnerError` when the install FAILED, the runner
    vanished, or ``timeout`` passed.
    """
    wanted = "READY and CONNECTED" if require_connection else "READY"
    deadline = started + timeout
    runner = None
    while True:
        runner = client.get_or_none(runner_route(runner_id))
        if runner is None:
            raise RunnerError(f"runner {runner_id} disappeared while waiting for it to become ready")
        if runner.get("installStatus") == FAILED:
            raise RunnerError(
                install_failure_message(runner_id, runner),
                runner,
                install_error=to_user(runner.get("installError") or {}),
            )
        if runner.get("installStatus") == READY and (
            runner.get("connectionStatus") == CONNECTED or not require_connection
        ):
            return runner, round(clock() - started, 3)
        remaining = deadline - clock()
        if remaining <= 0:
            raise RunnerError(
                f"runner {runner_id} was not {wanted} within wait_timeout={timeout}s; "
                f"last seen: {describe_status(runner)}",
                runner,
            )
        sleep(min(interval, remaining))


@_timed
def wait_until_gone(client, runner_id, timeout, interval, clock, sleep, started):
    """Poll until GET answers 404; returns the seconds waited. Raises :class:`RunnerError` on timeout."""
    deadline = started + timeout
    while True:
        runner = client.get_or_none(runner_route(runner_id))
        if runner is None:
            return round(clock() - started, 3)
        remaining = deadline - clock()
        if remaining <= 0:
            raise RunnerError(
                f"runner {runner_id} was still present after wait_timeout={timeout}s; "
                f"last seen: {describe_status(runner)}",
                runner,
            )
        sleep(min(interval, remaining))


def update_landed(before, after):
    """``after`` when it shows that the update was taken (target revision raised, none pending), else ``None``."""
    if after is None:
        return None
    if (after.get("targetRevision") or 0) > (before.get("targetRevision") or 0) or not after.get("updateAvailable"):
        return after
    return None


def apply_pending_update(client, runner_id, before):
    """POST apply-update once; after an unknown outcome the runner is re-read and adopted if the update landed."""
    route = runner_route(runner_id)
    return client.post(route + "/apply-update", {}, recover=lambda: update_landed(before, client.get_or_none(route)))


def predict_update(runner):
    """The runner as it reads right after an update was applied (for check mode)."""
    predicted = copy.deepcopy(runner)
    predicted["updateAvailable"] = False
    predicted["targetRevision"] = (runner.get("targetRevision") or 0) + 1
    predicted["rolloutInProgress"] = True
    return predicted


# ----- listing ---------------------------------------------------------------------------------------


def list_runners(client):
    return client.list_all(RUNNERS_ROUTE, RUNNER_LIST_KEY, RUNNER_LIST_ALTERNATE_KEYS)


def filter_runners(runners, zone=None, cluster_name=None, connection_status=None):
    """The runners matching every filter given: zone without case, cluster name exactly, connection."""
    out = []
    for runner in runners:
        identity = runner.get("identity") or {}
        if zone is not None and (identity.get("zone") or "").lower() != zone.lower():
            continue
        if cluster_name is not None and identity.get("clusterName") != cluster_name:
            continue
        if connection_status is not None and runner.get("connectionStatus") != CONNECTION_STATUSES[connection_status]:
            continue
        out.append(runner)
    return out
