# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible_collections.coreweave.sandbox.plugins.module_utils import runner as rn
from ansible_collections.coreweave.sandbox.plugins.module_utils.client import SandboxClient
from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import changed_fields
from ansible_collections.coreweave.sandbox.plugins.modules.managed_runner import FIELDS, RULES

CPU = "11111111-1111-4111-8111-111111111111"
GPU = "22222222-2222-4222-8222-222222222222"
AGENTS = "33333333-3333-4333-8333-333333333333"
NAMES = {CPU: "default-cpu", GPU: "ds-gpu-h100", AGENTS: "agent-allowlist"}
RESOLVED = {"default-cpu": CPU, "ds-gpu-h100": GPU, "agent-allowlist": AGENTS, GPU: GPU}


def entry(profile, default=None, profile_name=None, overrides=None):
    return {"profile": profile, "default": default, "profile_name": profile_name, "overrides": overrides}


# ----- input checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["0 2 * * SAT", "*/15 * * * *", "0 0 1-7 JAN,jul MON-FRI", "59 23 31 12 7"])
def test_cron_accepts_five_field_expressions(expression):
    assert rn.cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 2 * *", "has 4 fields"),
        ("0 2 * * SAT *", "has 6 fields"),
        ("60 2 * * *", "invalid minute field '60'"),
        ("0 24 * * *", "invalid hour field '24'"),
        ("0 2 * 13 *", "invalid month field '13'"),
        ("0 2 * * FUNDAY", "invalid day of week field 'FUNDAY'"),
        ("0 5-2 * * *", "invalid hour field '5-2'"),
        ("*/0 * * * *", "invalid minute field '*/0'"),
        ("", "is empty"),
    ],
)
def test_cron_rejects_with_reason(expression, reason):
    assert reason in rn.cron_problem(expression)


def test_maintenance_policy_problems_name_each_entry():
    policy = {
        "windows": [{"cron": "0 2 * * SAT", "duration_seconds": 60}, {"cron": "bad", "duration_seconds": 0}],
        "exclusions": [
            {"start_time": "2026-12-24T00:00:00Z", "end_time": "2026-12-26T00:00:00+02:00", "reason": None},
            {"start_time": "24.12.2026", "end_time": "2026-12-26T00:00:00Z", "reason": None},
            {"start_time": "2026-12-26T00:00:00Z", "end_time": "2026-12-24T00:00:00Z", "reason": None},
        ],
    }
    problems = rn.maintenance_policy_problems(policy)
    assert problems == [
        "maintenance_policy.windows[1].cron 'bad' is not a valid cron expression: it has 1 fields; five are needed "
        "(minute hour day-of-month month day-of-week)",
        "maintenance_policy.windows[1].duration_seconds must be greater than 0",
        "maintenance_policy.exclusions[1].start_time '24.12.2026' is not an RFC 3339 timestamp "
        "(for example 2026-12-24T00:00:00Z)",
        "maintenance_policy.exclusions[2].end_time must be after start_time",
    ]


# ----- wire conversion -------------------------------------------------------------------------------


def params(**kwargs):
    base = dict.fromkeys(
        (
            "display_name",
            "zone",
            "cluster_id",
            "cluster_name",
            "runner_group_id",
            "release_channel",
            "maintenance_policy",
            "overrides",
            "enforce_resource_limits",
            "allow_privileged_profile_annotations",
        )
    )
    base.update(kwargs)
    return base


def test_desired_runner_converts_options_to_wire_form():
    desired = rn.desired_runner(
        params(
            display_name="Prod East",
            zone="US-EAST-04A",
            cluster_name="prod-east",
            release_channel="rapid",
            enforce_resource_limits=False,
            maintenance_policy={"windows": [{"cron": "0 2 * * SAT", "duration_seconds": 7200}], "exclusions": None},
            overrides={
                "node_selector": {"workload-class": "general"},
                "resources": {"cpu_request": "2", "memory_request": None, "cpu_limit": None, "memory_limit": "8Gi"},
                "env": {"LOG_LEVEL": "debug"},
                "scaling": {"replicas": None, "autoscaling_enabled": True, "min_replicas": 1, "max_replicas": 5},
                "tolerations": None,
                "args": None,
            },
        ),
        bindings=[{"profileTemplateId": CPU, "isDefault": True}],
    )
    assert desired == {
        "displayName": "Prod East",
        "identity": {"zone": "US-EAST-04A", "clusterName": "prod-east"},
        "managedSpec": {
            "releaseChannel": "RELEASE_CHANNEL_RAPID",
            "enforceResourceLimits": False,
            "maintenancePolicy": {"windows": [{"cron": "0 2 * * SAT", "durationSeconds": 7200}]},
            "overrides": {
                "nodeSelector": {"workload-class": "general"},
                "resources": {"cpuRequest": "2", "memoryLimit": "8Gi"},
                "env": {"LOG_LEVEL": "debug"},
                "scaling": {"autoscalingEnabled": True, "minReplicas": 1, "maxReplicas": 5},
            },
        },
        "profileBindings": [{"profileTemplateId": CPU, "isDefault": True}],
    }


def test_desired_runner_leaves_out_what_is_not_set():
    assert rn.desired_runner(params(display_name="x")) == {"displayName": "x"}


def test_create_request_puts_runner_id_at_top_level():
    desired = {"identity": {"zone": "US-EAST-04A", "runnerId": "stray"}, "displayName": "x"}
    assert rn.create_request("prod-east-managed", desired) == {
        "runnerId": "prod-east-managed",
        "runner": {"identity": {"zone": "US-EAST-04A"}, "displayName": "x"},
    }
    assert desired["identity"]["runnerId"] == "stray"


def test_runner_to_user_resolves_template_names_and_channel():
    wire = {
        "identity": {"runnerId": "r", "clusterName": "prod-east"},
        "managedSpec": {
            "releaseChannel": "RELEASE_CHANNEL_STABLE",
            "overrides": {"nodeSelector": {"gpu-Type": "h100"}},
        },
        "profileBindings": [
            {"profileTemplateId": CPU, "isDefault": True},
            {"profileTemplateId": GPU, "overridesJson": json.dumps({"resourceDefaults": {"memoryLimit": "64Gi"}})},
            {"profileTemplateId": "44444444-4444-4444-8444-444444444444"},
        ],
    }
    user = rn.runner_to_user(wire, NAMES)
    assert user["managed_spec"]["release_channel"] == "stable"
    assert user["managed_spec"]["overrides"]["node_selector"] == {"gpu-Type": "h100"}
    assert user["profile_bindings"] == [
        {"profile_template_id": CPU, "is_default": True, "profile": "default-cpu"},
        {
            "profile_template_id": GPU,
            "overrides": {"resource_defaults": {"memory_limit": "64Gi"}},
            "profile": "ds-gpu-h100",
            "is_default": False,
        },
        {"profile_template_id": "44444444-4444-4444-8444-444444444444", "profile": None, "is_default": False},
    ]


# ----- template names --------------------------------------------------------------------------------


class FakeClient:
    def __init__(self, templates=(), runners=None):
        self.templates = list(templates)
        self.runners = list(runners or [])
        self.calls = []

    def list_all(self, route, key, alternate_keys=()):
        self.calls.append(("list", route))
        return [dict(t) for t in self.templates]

    def get_or_none(self, route):
        self.calls.append(("get", route))
        return self.runners.pop(0) if len(self.runners) > 1 else self.runners[0]


TEMPLATES = [{"id": i, "displayName": n} for i, n in NAMES.items()]


def test_resolve_checks_uuids_against_one_list_read():
    client = FakeClient(TEMPLATES)
    missing = "66666666-6666-4666-8666-666666666666"
    resolved, unknown = rn.TemplateNames(client).resolve([CPU, GPU.upper(), missing])
    assert resolved == {CPU: CPU, GPU.upper(): GPU}
    assert unknown == [missing]
    assert len(client.calls) == 1


def test_resolve_names_reads_the_list_once_and_reports_unknown_names():
    client = FakeClient(TEMPLATES)
    names = rn.TemplateNames(client)
    resolved, unknown = names.resolve(
        ["default-cpu", GPU, "no-such", "no-such", "55555555-5555-4555-8555-555555555555"]
    )
    assert resolved == {"default-cpu": CPU, GPU: GPU}
    assert unknown == ["no-such", "55555555-5555-4555-8555-555555555555"]
    names.names()
    assert client.calls == [("list", "/profile-templates")]


# ----- binding lists ---------------------------------------------------------------------------------

CURRENT = [
    {"profileTemplateId": CPU, "isDefault": True},
    {"profileTemplateId": GPU, "profileName": "gpu", "overridesJson": '{"tags":["x"]}'},
]


def test_purge_makes_the_entries_the_whole_list():
    bindings = rn.compute_bindings([entry("ds-gpu-h100", default=True)], RESOLVED, CURRENT, purge=True)
    assert bindings == [{"profileTemplateId": GPU, "isDefault": True}]


def test_merge_keeps_others_and_moves_the_default():
    bindings = rn.compute_bindings([entry("ds-gpu-h100", default=True)], RESOLVED, CURRENT, purge=False)
    assert bindings == [
        {"profileTemplateId": CPU},
        {"profileTemplateId": GPU, "profileName": "gpu", "overridesJson": '{"tags":["x"]}', "isDefault": True},
    ]


def test_merge_adds_a_binding_and_unset_options_keep_current_values():
    bindings = rn.compute_bindings(
        [entry(GPU), entry("agent-allowlist", profile_name="agents")], RESOLVED, CURRENT, purge=False
    )
    assert bindings == CURRENT + [{"profileTemplateId": AGENTS, "profileName": "agents"}]


def test_binding_overrides_are_encoded_from_user_form():
    bindings = rn.compute_bindings(
        [entry("default-cpu", default=True), entry(GPU, overrides={"resource_defaults": {"memory_limit": "64Gi"}})],
        RESOLVED,
        [],
        purge=True,
    )
    assert bindings[1] == {"profileTemplateId": GPU, "overridesJson": '{"resourceDefaults":{"memoryLimit":"64Gi"}}'}


def test_binding_list_problems():
    assert rn.binding_list_problems([{"profileTemplateId": CPU, "isDefault": True}]) == []
    assert rn.binding_list_problems([]) == [
        "a runner needs at least one profile binding; profile_bindings would leave none"
    ]
    two = [{"profileTemplateId": CPU, "isDefault": True}, {"profileTemplateId": GPU, "isDefault": True}]
    assert rn.binding_list_problems(two, NAMES) == [
        f"exactly one profile binding must be the default; 2 are: default-cpu ({CPU}), ds-gpu-h100 ({GPU})"
    ]
    none = [{"profileTemplateId": CPU}, {"profileTemplateId": GPU}]
    assert rn.binding_list_problems(none, NAMES) == [
        f"exactly one profile binding must be the default; none is: default-cpu ({CPU}), ds-gpu-h100 ({GPU})"
    ]
    twice = [{"profileTemplateId": CPU, "isDefault": True}, {"profileTemplateId": CPU}]
    assert rn.binding_list_problems(twice) == [f"a template may be bound once only; bound more than once: {CPU}"]


def test_requested_binding_problems_catch_one_template_by_name_and_uuid():
    requested = [entry("ds-gpu-h100"), entry(GPU), entry("default-cpu", default=True)]
    assert rn.requested_binding_problems(requested, RESOLVED) == [
        f"profile_bindings name the same template more than once: ds-gpu-h100, {GPU}"
    ]


def test_merge_with_default_false_on_the_only_default_leaves_none():
    bindings = rn.compute_bindings([entry("default-cpu", default=False)], RESOLVED, CURRENT, purge=False)
    assert "none is" in rn.binding_list_problems(bindings, NAMES)[0]


# ----- comparison rules and masks --------------------------------------------------------------------

CURRENT_RUNNER = {
    "displayName": "Prod East",
    "identity": {"runnerId": "r", "zone": "US-EAST-04A", "clusterName": "prod-east"},
    "managedSpec": {
        "releaseChannel": "RELEASE_CHANNEL_STABLE",
        "enforceResourceLimits": True,
        "maintenancePolicy": {
            "windows": [{"cron": "0 2 * * SAT", "durationSeconds": 7200}],
            "exclusions": [{"startTime": "2026-12-24T00:00:00Z", "endTime": "2026-12-26T00:00:00Z"}],
        },
        "overrides": {"nodeSelector": {"a": "b"}},
    },
    "profileBindings": [
        {"profileTemplateId": CPU, "isDefault": True},
        {"profileTemplateId": GPU, "overridesJson": '{"resourceDefaults": {"memoryLimit": "64Gi"}}'},
    ],
}


def test_equal_in_meaning_is_no_change():
    desired = {
        "identity": {"zone": "us-east-04a"},
        "managedSpec": {
            "enforceResourceLimits": True,
            "maintenancePolicy": {
                "windows": [{"cron": "0 2 * * SAT", "durationSeconds": 7200}],
                "exclusions": [{"startTime": "2026-12-24T01:00:00+01:00", "endTime": "2026-12-26T00:00:00.000Z"}],
            },
        },
        "profileBindings": [
            {"profileTemplateId": GPU, "overridesJson": '{"resourceDefaults":{"memoryLimit":"64Gi"}}'},
            {"profileTemplateId": CPU, "isDefault": True},
        ],
    }
    assert changed_fields(desired, CURRENT_RUNNER, FIELDS, RULES) == []


def test_finest_paths_are_sent():
    desired = {
        "displayName": "Renamed",
        "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"},
        "profileBindings": [{"profileTemplateId": GPU, "isDefault": True}, {"profileTemplateId": CPU}],
    }
    changed = changed_fields(desired, CURRENT_RUNNER, FIELDS, RULES)
    body, mask = rn.runner_update_request(CURRENT_RUNNER, desired, changed)
    assert mask == "display_name,managed_spec.release_channel,profile_bindings"
    assert body == desired


def test_moving_the_default_is_one_profile_bindings_path():
    desired = {
        "profileBindings": [
            {"profileTemplateId": CPU},
            {
                "profileTemplateId": GPU,
                "isDefault": True,
                "overridesJson": '{"resourceDefaults":{"memoryLimit":"64Gi"}}',
            },
        ]
    }
    changed = changed_fields(desired, CURRENT_RUNNER, FIELDS, RULES)
    assert rn.runner_update_request(CURRENT_RUNNER, desired, changed)[1] == "profile_bindings"


def test_a_boolean_sends_the_whole_merged_managed_spec():
    desired = {
        "displayName": "Renamed",
        "managedSpec": {"enforceResourceLimits": False, "releaseChannel": "RELEASE_CHANNEL_RAPID"},
    }
    changed = changed_fields(desired, CURRENT_RUNNER, FIELDS, RULES)
    body, mask = rn.runner_update_request(CURRENT_RUNNER, desired, changed)
    assert mask == "display_name,managed_spec"
    assert body["displayName"] == "Renamed"
    assert body["managedSpec"] == {
        "releaseChannel": "RELEASE_CHANNEL_RAPID",
        "enforceResourceLimits": False,
        "maintenancePolicy": CURRENT_RUNNER["managedSpec"]["maintenancePolicy"],
        "overrides": {"nodeSelector": {"a": "b"}},
    }


def test_a_new_boolean_alone_also_goes_through_managed_spec():
    desired = {"managedSpec": {"allowPrivilegedProfileAnnotations": True}}
    changed = changed_fields(desired, CURRENT_RUNNER, FIELDS, RULES)
    body, mask = rn.runner_update_request(CURRENT_RUNNER, desired, changed)
    assert mask == "managed_spec"
    assert body["managedSpec"]["allowPrivilegedProfileAnnotations"] is True
    assert body["managedSpec"]["overrides"] == {"nodeSelector": {"a": "b"}}


def test_immutable_cluster_change_is_named():
    problems = rn.immutable_problems(CURRENT_RUNNER, {"identity": {"clusterName": "research-west"}})
    assert len(problems) == 1
    assert problems[0].startswith("cluster_name cannot change from 'prod-east' to 'research-west'")
    assert rn.immutable_problems(CURRENT_RUNNER, {"identity": {"clusterName": "prod-east"}}) == []


# ----- waiting ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def status(install, connection=None, **extra):
    runner = {"installStatus": rn.INSTALL_PREFIX + install}
    if connection:
        runner["connectionStatus"] = rn.CONNECTION_PREFIX + connection
    runner.update(extra)
    return runner


def test_wait_until_ready_polls_until_ready_and_connected():
    clock = Clock()
    client = FakeClient(runners=[status("PENDING"), status("READY"), status("READY", "CONNECTED")])
    runner, duration = rn.wait_until_ready(client, "r", 60, clock=clock, sleep=clock.sleep)
    assert runner["connectionStatus"] == rn.CONNECTED
    assert duration == 2.0
    assert client.calls == [("get", "/managed-runners/r")] * 3


def test_wait_until_ready_reports_install_failure_with_hints():
    clock = Clock()
    failed = status(
        "FAILED", installError={"reason": "IMAGE_PULL", "message": "cannot pull", "remediationHints": ["a", "b"]}
    )
    with pytest.raises(rn.RunnerError) as info:
        rn.wait_until_ready(FakeClient(runners=[failed]), "r", 60, clock=clock, sleep=clock.sleep)
    assert info.value.message == "runner r failed to install: cannot pull (IMAGE_PULL). Remediation hints: a; b"
    assert info.value.details["install_error"] == {
        "reason": "IMAGE_PULL",
        "message": "cannot pull",
        "remediation_hints": ["a", "b"],
    }


def test_wait_until_ready_times_out_naming_the_last_statuses():
    clock = Clock()
    with pytest.raises(rn.RunnerError) as info:
        rn.wait_until_ready(FakeClient(runners=[status("PROVISIONING")]), "r", 3, clock=clock, sleep=clock.sleep)
    assert info.value.message == (
        "runner r was not READY and CONNECTED within wait_timeout=3s; "
        "last seen: installStatus PROVISIONING, connectionStatus UNSPECIFIED"
    )
    assert clock.now == 3.0
    assert info.value.duration == 3.0


def test_wait_until_gone():
    clock = Clock()
    client = FakeClient(runners=[status("DELETING"), status("DELETING"), None])
    assert rn.wait_until_gone(client, "r", 30, clock=clock, sleep=clock.sleep) == 2.0
    clock = Clock()
    with pytest.raises(
        rn.RunnerError, match="still present after wait_timeout=2s; last seen: installStatus DELETING"
    ) as info:
        rn.wait_until_gone(FakeClient(runners=[status("DELETING")]), "r", 2, clock=clock, sleep=clock.sleep)
    assert info.value.duration == 2.0


def test_update_landed_and_prediction():
    before = {"targetRevision": 1, "updateAvailable": True}
    assert rn.update_landed(before, {"targetRevision": 1, "updateAvailable": True}) is None
    assert rn.update_landed(before, {"targetRevision": 2, "updateAvailable": False}) is not None
    assert rn.update_landed(before, None) is None
    assert rn.predict_update(before) == {"targetRevision": 2, "updateAvailable": False, "rolloutInProgress": True}


# ----- listing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["runners", "managedRunners"])
def test_list_runners_reads_both_list_keys_and_every_page(monkeypatch, key):
    client = SandboxClient("http://127.0.0.1:9", "token")
    pages = {"": {key: [{"id": "a"}], "nextPageToken": "p2"}, "p2": {key: [{"id": "b"}]}}
    seen = []

    def get(route, params=None):
        seen.append((route, params.get("pageToken", "")))
        return pages[params.get("pageToken", "")]

    monkeypatch.setattr(client, "get", get)
    assert [r["id"] for r in rn.list_runners(client)] == ["a", "b"]
    assert seen == [("/managed-runners", ""), ("/managed-runners", "p2")]


def test_filter_runners():
    runners = [
        {"identity": {"zone": "US-EAST-04A", "clusterName": "prod-east"}, "connectionStatus": rn.CONNECTED},
        {"identity": {"zone": "US-EAST-04A", "clusterName": "spare-east-1"}, "connectionStatus": rn.DISCONNECTED},
        {"identity": {"zone": "US-WEST-01A", "clusterName": "research-west"}},
    ]
    assert rn.filter_runners(runners, zone="us-east-04a") == runners[:2]
    assert rn.filter_runners(runners, cluster_name="research-west") == runners[2:]
    assert rn.filter_runners(runners, connection_status="disconnected") == runners[1:2]
    assert rn.filter_runners(runners, zone="US-EAST-04A", connection_status="connected") == runners[:1]


def test_diff_in_option_form_names_templates_and_spells_options():
    names = {"id-a": "agents", "id-c": "default-cpu"}
    diff = {
        "before": {"release_channel": "RELEASE_CHANNEL_STABLE", "profile_bindings": [{"profile_template_id": "id-c"}]},
        "after": {
            "release_channel": "RELEASE_CHANNEL_RAPID",
            "profile_bindings": [
                {"profile_template_id": "id-c", "is_default": True},
                {"profile_template_id": "id-a", "profile_name": "a", "overrides": {"tags": ["x"]}},
                {"profile_template_id": "id-unknown"},
            ],
        },
    }
    rn.diff_in_option_form(diff, names)
    assert diff["before"] == {
        "release_channel": "stable",
        "profile_bindings": [{"profile": "default-cpu", "default": False}],
    }
    assert diff["after"]["release_channel"] == "rapid"
    assert diff["after"]["profile_bindings"] == [
        {"profile": "agents", "default": False, "profile_name": "a", "overrides": {"tags": ["x"]}},
        {"profile": "default-cpu", "default": True},
        {"profile": "id-unknown", "default": False},
    ]


def test_wait_until_ready_without_connection_accepts_ready_and_disconnected():
    clock = Clock()
    ready = status("READY", "DISCONNECTED")
    client = FakeClient(runners=[status("PROVISIONING"), ready])
    runner, duration = rn.wait_until_ready(client, "r", 60, clock=clock, sleep=clock.sleep, require_connection=False)
    assert runner == ready
    assert duration > 0
    other = Clock()
    with pytest.raises(rn.RunnerError, match="was not READY and CONNECTED within wait_timeout=2s"):
        rn.wait_until_ready(FakeClient(runners=[ready]), "r", 2, clock=other, sleep=other.sleep)


def test_cluster_id_compares_without_case():
    current = {"identity": {"clusterId": "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a03", "clusterName": "staging-central"}}
    assert rn.immutable_problems(current, {"identity": {"clusterId": "3F6B2A1E-5C4D-4E8F-9A0B-1C2D3E4F5A03"}}) == []
    problems = rn.immutable_problems(current, {"identity": {"clusterName": "prod-east"}})
    assert problems and problems[0].startswith("cluster_name cannot change from 'staging-central' to 'prod-east'")
