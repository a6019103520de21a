# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile input to every module and to the fleet role: a clear message naming the field, no write, no change.

The cases of one module run as one playbook (one task per case, with a marker request before each task so the
emulator's request log can be split per case). The emulator's stored state is compared before and after.
"""

from __future__ import annotations

import copy

import pytest
from conftest import ADMIN, api_args, module_missing, role_missing, stable_state

EXISTING = "bi-existing"
OTHER = "bi-other"
RUNNER = "bi-runner"
MARKER = "/profile-templates/bad-input-case-"

TEMPLATE = {"display_name": "bi-new", "spec": {"container_image": "example/img:1"}}
RUNNER_NEW = {
    "runner_id": "bi-new",
    "zone": "US-EAST-04A",
    "cluster_name": "spare-east-1",
    "profile_bindings": [{"profile": EXISTING, "default": True}],
    "wait": False,
}


def _with(base, path, value):
    """A deep copy of ``base`` with the dotted ``path`` set to ``value`` (``...`` removes it)."""
    out = copy.deepcopy(base)
    node = out
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return out


def _window(**fields):
    window = {"cron": "0 2 * * SAT", "duration_seconds": 3600}
    window.update(fields)
    return {"windows": [window]}


def _exclusion(**fields):
    exclusion = {"start_time": "2026-12-24T00:00:00Z", "end_time": "2026-12-26T00:00:00Z", "reason": "freeze"}
    exclusion.update(fields)
    return {"exclusions": [exclusion]}


# (case id, module, module arguments, a substring the failure message must contain)
CASES = [
    # profile_template
    ("template-name-empty", "profile_template", _with(TEMPLATE, "display_name", ""), "display_name"),
    ("template-name-control-char", "profile_template", _with(TEMPLATE, "display_name", "bad\x07name"), "display_name"),
    ("template-name-newline", "profile_template", _with(TEMPLATE, "display_name", "two\nlines"), "display_name"),
    ("template-name-path", "profile_template", _with(TEMPLATE, "display_name", "../managed-runners"), "display_name"),
    ("template-name-dot", "profile_template", _with(TEMPLATE, "display_name", "."), "display_name"),
    ("template-name-dotdot", "profile_template", _with(TEMPLATE, "display_name", ".."), "display_name"),
    ("template-name-oversized", "profile_template", _with(TEMPLATE, "display_name", "n" * 400), "display_name"),
    ("template-labels-not-a-map", "profile_template", _with(TEMPLATE, "labels", ["team", "ml"]), "labels"),
    ("template-label-value-map", "profile_template", _with(TEMPLATE, "labels", {"a": {"b": 1}}), "labels.a"),
    (
        "template-node-selector-value-null",
        "profile_template",
        _with(TEMPLATE, "spec.node_selector", {"zone": None}),
        "spec.node_selector.zone",
    ),
    ("template-state-unknown", "profile_template", _with(TEMPLATE, "state", "gone"), "state"),
    ("template-spec-unknown-key", "profile_template", _with(TEMPLATE, "spec.image", "x"), "spec.image"),
    (
        "template-resources-unknown-key",
        "profile_template",
        _with(TEMPLATE, "spec.resource_defaults", {"gpu_request": "1"}),
        "gpu_request",
    ),
    (
        "template-quantity-words",
        "profile_template",
        _with(TEMPLATE, "spec.resource_defaults", {"cpu_request": "two cores"}),
        "cpu_request",
    ),
    (
        "template-quantity-negative",
        "profile_template",
        _with(TEMPLATE, "spec.resource_defaults", {"memory_limit": "-4Gi"}),
        "memory_limit",
    ),
    (
        "template-quantity-bad-suffix",
        "profile_template",
        _with(TEMPLATE, "spec.resource_defaults", {"memory_request": "1GB"}),
        "memory_request",
    ),
    ("template-namespace-not-object", "profile_template", _with(TEMPLATE, "spec.namespace", "per-user"), "namespace"),
    ("template-network-list", "profile_template", _with(TEMPLATE, "spec.network", [1, 2]), "network"),
    ("template-pod-number", "profile_template", _with(TEMPLATE, "spec.pod", 42), "pod"),
    (
        "template-network-bad-mode",
        "profile_template",
        _with(TEMPLATE, "spec.network", {"egress": {"default": "internet", "modes": {"internet": {"type": 5}}}}),
        "network",
    ),
    (
        "template-instance-types-map",
        "profile_template",
        _with(TEMPLATE, "spec.instance_types", {"a": 1}),
        "instance_types",
    ),
    ("template-purge-labels-type", "profile_template", _with(TEMPLATE, "purge_labels", "sometimes"), "purge_labels"),
    ("template-rename-by-id-unknown-option", "profile_template", _with(TEMPLATE, "id", "x"), "id"),
    # profile_template_info
    ("template-info-labels-list", "profile_template_info", {"labels": ["a", "b"]}, "labels"),
    ("template-info-label-value-list", "profile_template_info", {"labels": {"team": ["ml"]}}, "labels.team"),
    ("template-info-unknown-option", "profile_template_info", {"name": EXISTING}, "name"),
    ("template-info-name-and-id", "profile_template_info", {"display_name": EXISTING, "id": "x"}, "display_name"),
    # managed_runner
    ("runner-id-empty", "managed_runner", _with(RUNNER_NEW, "runner_id", ""), "runner_id"),
    ("runner-id-spaces", "managed_runner", _with(RUNNER_NEW, "runner_id", "Bad Runner!"), "runner_id"),
    ("runner-id-control-char", "managed_runner", _with(RUNNER_NEW, "runner_id", "r\x1bx"), "runner_id"),
    ("runner-id-unicode", "managed_runner", _with(RUNNER_NEW, "runner_id", "r\u00e9sum\u00e9"), "runner_id"),
    ("runner-id-oversized", "managed_runner", _with(RUNNER_NEW, "runner_id", "r" * 300), "runner_id"),
    ("runner-both-clusters", "managed_runner", _with(RUNNER_NEW, "cluster_id", "3f6b2a1e"), "cluster_id"),
    ("runner-release-channel", "managed_runner", _with(RUNNER_NEW, "release_channel", "nightly"), "release_channel"),
    ("runner-cron-words", "managed_runner", _with(RUNNER_NEW, "maintenance_policy", _window(cron="daily")), "cron"),
    (
        "runner-cron-out-of-range",
        "managed_runner",
        _with(RUNNER_NEW, "maintenance_policy", _window(cron="61 25 * * *")),
        "cron",
    ),
    (
        "runner-duration-type",
        "managed_runner",
        _with(RUNNER_NEW, "maintenance_policy", _window(duration_seconds="long")),
        "duration_seconds",
    ),
    (
        "runner-timestamp-words",
        "managed_runner",
        _with(RUNNER_NEW, "maintenance_policy", _exclusion(start_time="yesterday")),
        "start_time",
    ),
    (
        "runner-timestamp-month-13",
        "managed_runner",
        _with(RUNNER_NEW, "maintenance_policy", _exclusion(end_time="2026-13-01T00:00:00Z")),
        "end_time",
    ),
    (
        "runner-window-unknown-key",
        "managed_runner",
        _with(RUNNER_NEW, "maintenance_policy", _window(timezone="UTC")),
        "timezone",
    ),
    (
        "runner-overrides-unknown-key",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"node_selectors": {"a": "b"}}),
        "node_selectors",
    ),
    (
        "runner-overrides-env-list",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"env": {"N": [1, 2]}}),
        "overrides.env.N",
    ),
    (
        "runner-overrides-annotation-map",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"annotations": {"a": {"b": 1}}}),
        "overrides.annotations.a",
    ),
    (
        "runner-binding-node-selector-null",
        "managed_runner",
        _with(
            RUNNER_NEW,
            "profile_bindings",
            [{"profile": EXISTING, "default": True, "overrides": {"node_selector": {"zone": None}}}],
        ),
        "profile_bindings[0].overrides.node_selector.zone",
    ),
    (
        "runner-toleration-unknown-key",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"tolerations": [{"key": "gpu", "effects": "NoSchedule"}]}),
        "effects",
    ),
    (
        "runner-quantity-invalid",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"resources": {"cpu_limit": "2 cores"}}),
        "cpu_limit",
    ),
    (
        "runner-replicas-type",
        "managed_runner",
        _with(RUNNER_NEW, "overrides", {"scaling": {"replicas": "many"}}),
        "replicas",
    ),
    (
        "runner-two-defaults",
        "managed_runner",
        _with(
            RUNNER_NEW,
            "profile_bindings",
            [{"profile": EXISTING, "default": True}, {"profile": OTHER, "default": True}],
        ),
        "default",
    ),
    ("runner-no-default", "managed_runner", _with(RUNNER_NEW, "profile_bindings", [{"profile": EXISTING}]), "default"),
    (
        "runner-duplicate-binding",
        "managed_runner",
        _with(RUNNER_NEW, "profile_bindings", [{"profile": EXISTING, "default": True}, {"profile": EXISTING}]),
        EXISTING,
    ),
    (
        "runner-unknown-profile",
        "managed_runner",
        _with(RUNNER_NEW, "profile_bindings", [{"profile": "no-such-profile", "default": True}]),
        "no-such-profile",
    ),
    (
        "runner-binding-overrides-not-object",
        "managed_runner",
        _with(RUNNER_NEW, "profile_bindings", [{"profile": EXISTING, "default": True, "overrides": "x"}]),
        # Ansible's own message for a string where an option with sub-options is expected; it names no option.
        "dictionary requested",
    ),
    (
        "runner-binding-overrides-unknown-key",
        "managed_runner",
        _with(
            RUNNER_NEW,
            "profile_bindings",
            [{"profile": EXISTING, "default": True, "overrides": {"namespace": {}, "bogus_key": 1}}],
        ),
        "bogus_key",
    ),
    (
        "runner-binding-overrides-quantity",
        "managed_runner",
        _with(
            RUNNER_NEW,
            "profile_bindings",
            [{"profile": EXISTING, "default": True, "overrides": {"resource_defaults": {"cpu_limit": "2 cores"}}}],
        ),
        "profile_bindings[0].overrides.resource_defaults.cpu_limit",
    ),
    (
        "runner-binding-overrides-network",
        "managed_runner",
        _with(
            RUNNER_NEW,
            "profile_bindings",
            [{"profile": EXISTING, "default": True, "overrides": {"network": {"egress": {"default": "open"}}}}],
        ),
        "profile_bindings[0].overrides.network.egress.default",
    ),
    (
        "runner-binding-unknown-key",
        "managed_runner",
        _with(RUNNER_NEW, "profile_bindings", [{"profile": EXISTING, "default": True, "weight": 3}]),
        "weight",
    ),
    ("runner-bindings-not-list", "managed_runner", _with(RUNNER_NEW, "profile_bindings", 7), "profile_bindings"),
    ("runner-wait-timeout-type", "managed_runner", _with(RUNNER_NEW, "wait_timeout", "soon"), "wait_timeout"),
    (
        "runner-bool-type",
        "managed_runner",
        _with(RUNNER_NEW, "enforce_resource_limits", "maybe"),
        "enforce_resource_limits",
    ),
    (
        "runner-cluster-change",
        "managed_runner",
        {"runner_id": RUNNER, "cluster_name": "research-west", "zone": "US-WEST-01A", "wait": False},
        "cluster",
    ),
    ("runner-api-timeout-negative", "managed_runner", _with(RUNNER_NEW, "api_timeout", -1), "api_timeout"),
    ("runner-api-retries-negative", "managed_runner", _with(RUNNER_NEW, "api_retries", -2), "api_retries"),
    (
        "runner-endpoint-scheme",
        "managed_runner",
        _with(RUNNER_NEW, "api_endpoint", "ftp://127.0.0.1:9"),
        "api_endpoint",
    ),
    # runner_info
    ("runner-info-connection-status", "runner_info", {"connection_status": "sleepy"}, "connection_status"),
    ("runner-info-unknown-option", "runner_info", {"cluster": "prod-east"}, "cluster"),
]

ROLE_CASES = [
    ("role-profiles-not-list", {"sandbox_profiles": "default-cpu", "sandbox_runners": []}, "sandbox_profiles"),
    (
        "role-profile-typo",
        {"sandbox_profiles": [{"dispaly_name": "x", "spec": {}}], "sandbox_runners": []},
        "dispaly_name",
    ),
    (
        "role-runner-missing-id",
        {"sandbox_profiles": [], "sandbox_runners": [{"zone": "US-EAST-04A", "cluster_name": "prod-east"}]},
        "runner_id",
    ),
    (
        "role-runner-channel",
        {
            "sandbox_profiles": [],
            "sandbox_runners": [{"runner_id": "r1", "zone": "US-EAST-04A", "release_channel": "nightly"}],
        },
        "release_channel",
    ),
    ("role-prune-type", {"sandbox_profiles": [], "sandbox_runners": [], "sandbox_prune": "sometimes"}, "sandbox_prune"),
]

pytestmark = pytest.mark.xdist_group("bad-input")


def _params(cases):
    return [pytest.param(*case, id=case[0]) for case in cases]


MODULES = sorted({case[1] for case in CASES})


def _setup(emu):
    existing = emu.template(EXISTING)
    emu.template(OTHER)
    emu.runner(RUNNER, "prod-east", [existing["id"]])


@pytest.fixture(scope="module")
def outcomes(emulator, ansible):
    """Run each module's cases as one playbook; per case: (status, result, requests logged during it)."""
    emulator.clear_faults()
    emulator.reset()
    _setup(emulator)
    before = stable_state(emulator.state())
    out = {}
    for module in MODULES:
        if module_missing(module):
            continue
        cases = [case for case in CASES if case[1] == module]
        emulator.clear_requests()
        tasks = []
        for index, (name, _module, args, _expected) in enumerate(cases):
            tasks.append(
                {
                    "name": "marker " + name,
                    "ansible.builtin.uri": {
                        "url": emulator.endpoint + "/v1beta2/sandbox" + MARKER + str(index),
                        "status_code": [401],
                    },
                }
            )
            full = dict(api_args(emulator), **args)
            tasks.append({"name": name, "coreweave.sandbox." + module: full, "ignore_errors": True})
        run = ansible.play(tasks, emulator)
        module_results = run.results[1::2]
        assert len(module_results) == len(cases), run.output
        log = emulator.requests()
        for index, (name, *_rest) in enumerate(cases):
            start = next(i for i, e in enumerate(log) if e["path"].endswith(MARKER + str(index)))
            end = next((i for i, e in enumerate(log) if e["path"].endswith(MARKER + str(index + 1))), len(log))
            out[name] = (module_results[index], log[start + 1 : end])
    after = stable_state(emulator.state())
    return {"cases": out, "before": before, "after": after}


def test_enough_cases():
    assert len(CASES) + len(ROLE_CASES) >= 40
    assert {case[1] for case in CASES} == {"profile_template", "profile_template_info", "managed_runner", "runner_info"}


def test_state_unchanged(outcomes):
    assert outcomes["after"] == outcomes["before"], "hostile input changed the stored state"


@pytest.mark.parametrize("name, module, args, expected", _params(CASES))
def test_bad_input(outcomes, name, module, args, expected):
    missing = module_missing(module)
    if missing:
        pytest.skip(missing)
    (status, result), requests_seen = outcomes["cases"][name]
    writes = [f"{e['method']} {e['path']} -> {e['status']}" for e in requests_seen if e["method"] != "GET"]
    assert status == "FAILED", f"accepted: {result}"
    assert expected in result.get("msg", ""), result.get("msg")
    assert not writes, f"a write was sent: {writes}; message: {result.get('msg')}"
    assert ADMIN not in str(result)


@pytest.mark.parametrize("name, variables, expected", ROLE_CASES, ids=[case[0] for case in ROLE_CASES])
def test_bad_role_input(emulator, ansible, name, variables, expected):
    missing = role_missing("fleet")
    if missing:
        pytest.skip(missing)
    before = stable_state(emulator.state())
    emulator.clear_requests()
    role_vars = dict(variables, sandbox_api_endpoint=emulator.endpoint, sandbox_api_token=ADMIN)
    run = ansible.play([], emulator, roles=[{"role": "coreweave.sandbox.fleet", "vars": role_vars}])
    assert run.returncode != 0, run.output
    failures = [result for status, result in run.results if status == "FAILED"]
    assert failures, run.output
    assert expected in failures[0].get("msg", ""), failures[0].get("msg")
    assert [e for e in emulator.requests() if e["method"] != "GET"] == []
    assert stable_state(emulator.state()) == before
