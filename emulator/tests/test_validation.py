"""Validation rules, each with its own status, code and message."""

import copy

import pytest
from conftest import assert_error

TEMPLATE_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def base(emu):
    template = emu.template("default-cpu")
    second = emu.template("ds-gpu")
    body = {
        "runnerId": "r1",
        "runner": {
            "displayName": "Runner one",
            "identity": {"zone": "US-EAST-04A", "clusterName": "prod-east"},
            "managedSpec": {},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
        },
    }
    return emu, body, template["id"], second["id"]


def create(emu, body):
    return emu.call("POST", "/managed-runners", json=body)


def mutate(body, path, value):
    body = copy.deepcopy(body)
    target = body
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if value is KeyError:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value
    return body


RUNNER_CASES = [
    ("runner", KeyError, "runner is required"),
    ("runnerId", KeyError, "runner.identity.runner_id is required"),
    (
        "runnerId",
        "Bad_ID",
        'runner.identity.runner_id "Bad_ID" must be a lowercase DNS label (a-z, 0-9, "-"), at most 63 characters',
    ),
    ("runner.identity.zone", KeyError, "runner.identity.zone is required"),
    ("runner.identity.clusterName", KeyError, "runner.identity.cluster_id or runner.identity.cluster_name is required"),
    ("runner.identity.clusterName", "mars", 'runner.identity.cluster_name "mars" is not a known cluster'),
    (
        "runner.identity.clusterId",
        TEMPLATE_ID,
        "runner.identity.cluster_id and runner.identity.cluster_name are mutually exclusive",
    ),
    ("runner.identity.runnerId", "other", "runner.identity.runner_id must match runner_id"),
    ("runner.id", "abc", "runner.id is output only"),
    ("runner.installStatus", "RUNNER_INSTALL_STATUS_READY", "runner.install_status is output only"),
    ("runner.createdAt", "2026-01-01T00:00:00Z", "runner.created_at is output only"),
    (
        "runner.managedSpec.releaseChannel",
        "RELEASE_CHANNEL_BETA",
        "runner.managed_spec.release_channel must be one of RELEASE_CHANNEL_STABLE, RELEASE_CHANNEL_RAPID",
    ),
    (
        "runner.managedSpec.maintenancePolicy",
        {"windows": [{"cron": "0 2 * *", "durationSeconds": 60}]},
        "runner.managed_spec.maintenance_policy.windows[0].cron is not a valid cron expression",
    ),
    (
        "runner.managedSpec.maintenancePolicy",
        {"windows": [{"cron": "61 2 * * SAT", "durationSeconds": 60}]},
        "runner.managed_spec.maintenance_policy.windows[0].cron is not a valid cron expression",
    ),
    (
        "runner.managedSpec.maintenancePolicy",
        {"windows": [{"cron": "0 2 * * SAT"}]},
        "runner.managed_spec.maintenance_policy.windows[0].duration_seconds must be greater than 0",
    ),
    (
        "runner.managedSpec.maintenancePolicy",
        {"exclusions": [{"startTime": "2026-12-24", "endTime": "x"}]},
        "runner.managed_spec.maintenance_policy.exclusions[0].start_time is not a valid RFC 3339 timestamp",
    ),
    (
        "runner.managedSpec.maintenancePolicy",
        {"exclusions": [{"startTime": "2026-12-26T00:00:00Z", "endTime": "2026-12-24T00:00:00Z"}]},
        "runner.managed_spec.maintenance_policy.exclusions[0].end_time must be after start_time",
    ),
    (
        "runner.managedSpec.overrides",
        {"resources": {"cpuLimit": "lots"}},
        'runner.managed_spec.overrides.resources.cpu_limit "lots" is not a valid quantity',
    ),
    (
        "runner.managedSpec.overrides",
        {"tolerations": [{"key": "k", "operator": "Maybe"}]},
        "runner.managed_spec.overrides.tolerations[0].operator must be one of Equal, Exists",
    ),
    (
        "runner.managedSpec.overrides",
        {"tolerations": [{"key": "k", "effect": "Sometimes"}]},
        "runner.managed_spec.overrides.tolerations[0].effect must be one of NoSchedule, PreferNoSchedule, NoExecute",
    ),
    (
        "runner.managedSpec.overrides",
        {"scaling": {"minReplicas": 5, "maxReplicas": 2}},
        "runner.managed_spec.overrides.scaling.min_replicas must not exceed max_replicas",
    ),
    (
        "runner.managedSpec.overrides",
        {"scaling": {"replicas": -1}},
        "runner.managed_spec.overrides.scaling.replicas must not be negative",
    ),
    (
        "runner.managedSpec.overrides",
        {"scaling": {"replicas": "two"}},
        "runner.managed_spec.overrides.scaling.replicas must be an integer",
    ),
    (
        "runner.managedSpec.enforceResourceLimits",
        "yes",
        "runner.managed_spec.enforce_resource_limits must be a boolean",
    ),
    ("runner.managedSpec.overrides", {"env": {"A": 1}}, "runner.managed_spec.overrides.env.A must be a string"),
    ("runner.displayName", 42, "runner.display_name must be a string"),
    ("runner.identity", "US-EAST-04A", "runner.identity must be an object"),
    ("runner.profileBindings", {"a": 1}, "runner.profile_bindings must be a list"),
    ("runner.colour", "blue", "runner.colour is not a known field"),
    ("runner.profileBindings", [], "runner.profile_bindings must contain at least one binding"),
    ("runner.profileBindings", [{"isDefault": True}], "runner.profile_bindings[0].profile_template_id is required"),
    (
        "runner.profileBindings",
        [{"profileTemplateId": TEMPLATE_ID, "isDefault": True}],
        f'runner.profile_bindings[0].profile_template_id "{TEMPLATE_ID}" does not exist',
    ),
]


@pytest.mark.parametrize("path,value,message", RUNNER_CASES, ids=[f"{c[0]}:{c[2][:40]}" for c in RUNNER_CASES])
def test_runner_create_validation(base, path, value, message):
    emu, body, _, _ = base
    response = create(emu, mutate(body, path, value))
    error = assert_error(response, 400, 3, message)
    assert emu.state()["runners"] == []
    if error["details"]:
        assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_binding_needs_exactly_one_default(base):
    emu, body, first, second = base
    bindings = [{"profileTemplateId": first, "isDefault": True}, {"profileTemplateId": second, "isDefault": True}]
    response = create(emu, mutate(body, "runner.profileBindings", bindings))
    assert_error(
        response, 400, 3, "runner.profile_bindings must have exactly one binding with is_default true, found 2"
    )
    bindings = [{"profileTemplateId": first}, {"profileTemplateId": second}]
    response = create(emu, mutate(body, "runner.profileBindings", bindings))
    assert_error(
        response, 400, 3, "runner.profile_bindings must have exactly one binding with is_default true, found 0"
    )


def test_binding_template_must_not_repeat(base):
    emu, body, first, _ = base
    bindings = [{"profileTemplateId": first, "isDefault": True}, {"profileTemplateId": first}]
    response = create(emu, mutate(body, "runner.profileBindings", bindings))
    message = f'runner.profile_bindings[1].profile_template_id "{first}" duplicates runner.profile_bindings[0]'
    assert_error(response, 400, 3, message)


@pytest.mark.parametrize(
    "value,predicate",
    [("{not json", "is not valid JSON"), ("[1, 2]", "must be a JSON object"), ('"s"', "must be a JSON object")],
)
def test_binding_overrides_json_must_be_a_json_object(base, value, predicate):
    emu, body, first, _ = base
    bindings = [{"profileTemplateId": first, "isDefault": True, "overridesJson": value}]
    response = create(emu, mutate(body, "runner.profileBindings", bindings))
    assert_error(response, 400, 3, f"runner.profile_bindings[0].overrides_json {predicate}")


ZONE_MISMATCH = 'runner.identity.zone "US-EAST-04A" does not match the zone of cluster "research-west" (US-WEST-01A)'


@pytest.mark.parametrize(
    "identity",
    [
        {"zone": "US-EAST-04A", "clusterName": "research-west"},
        {"zone": "US-EAST-04A", "clusterId": "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a02"},
    ],
    ids=["by-name", "by-id"],
)
def test_runner_zone_must_match_its_cluster_on_create(base, identity):
    emu, body, _, _ = base
    response = create(emu, mutate(body, "runner.identity", identity))
    error = assert_error(response, 400, 3, ZONE_MISMATCH)
    violation = error["details"][0]
    assert violation["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert violation["fieldViolations"] == [{"field": "runner.identity.zone", "description": ZONE_MISMATCH}]
    assert emu.state()["runners"] == []


def test_runner_zone_names_the_zone_as_given(base):
    emu, body, _, _ = base
    response = create(emu, mutate(body, "runner.identity", {"zone": "us-central-02a", "clusterName": "prod-east"}))
    message = 'runner.identity.zone "us-central-02a" does not match the zone of cluster "prod-east" (US-EAST-04A)'
    assert_error(response, 400, 3, message)


def test_runner_zone_compares_case_insensitively(base):
    emu, body, _, _ = base
    response = create(emu, mutate(body, "runner.identity", {"zone": "us-west-01a", "clusterName": "research-west"}))
    assert response.status_code == 200, response.text
    assert response.json()["identity"]["zone"] == "US-WEST-01A"


def test_runner_zone_must_match_its_cluster_on_update(base):
    emu, body, _, _ = base
    body = mutate(body, "runner.identity", {"zone": "US-WEST-01A", "clusterName": "research-west"})
    assert create(emu, body).status_code == 200
    before = emu.get_runner("r1")
    for update in (
        {"runner": {"identity": {"zone": "US-EAST-04A"}}, "update_mask": "identity.zone"},
        {"runner": {"identity": {"zone": "US-EAST-04A"}}},
    ):
        response = emu.call("PATCH", "/managed-runners/r1", json=update)
        assert_error(response, 400, 3, ZONE_MISMATCH)
    assert emu.get_runner("r1")["identity"] == before["identity"]
    same = {"runner": {"identity": {"zone": "us-west-01a"}, "displayName": "Renamed"}}
    response = emu.call("PATCH", "/managed-runners/r1", json=same)
    assert response.status_code == 200, response.text
    assert response.json()["identity"]["zone"] == "US-WEST-01A"
    assert response.json()["displayName"] == "Renamed"


def test_duplicate_runner_id_is_409(base):
    emu, body, _, _ = base
    assert create(emu, body).status_code == 200
    again = mutate(mutate(body, "runner.identity.clusterName", "spare-east-1"), "runner.displayName", "x")
    error = assert_error(create(emu, again), 409, 6, 'runner.runner_id "r1" already exists')
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ResourceInfo"


def test_duplicate_runner_display_name_is_409(base):
    emu, body, _, _ = base
    assert create(emu, body).status_code == 200
    again = mutate(mutate(body, "runner.identity.clusterName", "spare-east-1"), "runnerId", "r2")
    assert_error(create(emu, again), 409, 6, 'runner.display_name "Runner one" already exists')


def test_second_runner_on_one_cluster_is_409(base):
    emu, body, _, _ = base
    assert create(emu, body).status_code == 200
    again = mutate(mutate(body, "runnerId", "r2"), "runner.displayName", "Runner two")
    assert_error(create(emu, again), 409, 6, 'runner.identity.cluster_name "prod-east" already has a runner')


def test_valid_cron_forms_are_accepted(base):
    emu, body, _, _ = base
    windows = [
        {"cron": expr, "durationSeconds": "3600"}
        for expr in ("0 2 * * SAT", "*/15 0-6 1,15 JAN-MAR MON-FRI", "30 23 * 12 0", "0 0 1 * 7")
    ]
    response = create(emu, mutate(body, "runner.managedSpec.maintenancePolicy", {"windows": windows}))
    assert response.status_code == 200, response.text
    assert response.json()["managedSpec"]["maintenancePolicy"]["windows"][0]["durationSeconds"] == 3600


def test_exclusion_timestamps_are_normalised_to_utc(base):
    emu, body, _, _ = base
    policy = {"exclusions": [{"startTime": "2026-12-24T01:00:00+01:00", "endTime": "2026-12-26T00:00:00.5Z"}]}
    response = create(emu, mutate(body, "runner.managedSpec.maintenancePolicy", policy))
    assert response.status_code == 200, response.text
    exclusion = response.json()["managedSpec"]["maintenancePolicy"]["exclusions"][0]
    assert exclusion == {"startTime": "2026-12-24T00:00:00Z", "endTime": "2026-12-26T00:00:00.500Z"}


def test_snake_case_request_keys_are_accepted(base):
    emu, _, first, _ = base
    body = {
        "runner_id": "r9",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "cluster_name": "spare-east-2"},
            "profile_bindings": [{"profile_template_id": first, "is_default": True}],
        },
    }
    response = create(emu, body)
    assert response.status_code == 200, response.text
    assert response.json()["identity"]["clusterName"] == "spare-east-2"


TEMPLATE_CASES = [
    ({}, "profile_template is required", "body"),
    ({"profileTemplate": {"spec": {}}}, "profile_template.display_name is required", None),
    ({"profileTemplate": {"displayName": "t"}}, "profile_template.spec is required", None),
    ({"profileTemplate": {"displayName": "t", "spec": {}, "id": "x"}}, "profile_template.id is output only", None),
    (
        {"profileTemplate": {"displayName": "t", "spec": {}, "organizationId": "o"}},
        "profile_template.organization_id is output only",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {}, "updatedAt": "2026-01-01T00:00:00Z"}},
        "profile_template.updated_at is output only",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "a/b", "spec": {}}},
        "profile_template.display_name must not contain slashes or control characters",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"namespaceConfigJson": "{"}}},
        "profile_template.spec.namespace_config_json is not valid JSON",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"networkConfigJson": "[]"}}},
        "profile_template.spec.network_config_json must be a JSON object",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"podTemplateJson": "3"}}},
        "profile_template.spec.pod_template_json must be a JSON object",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"resourceDefaults": {"memoryLimit": "4 GB"}}}},
        'profile_template.spec.resource_defaults.memory_limit "4 GB" is not a valid quantity',
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"instanceTypes": "h100"}}},
        "profile_template.spec.instance_types must be a list",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {"tags": [1]}}},
        "profile_template.spec.tags[0] must be a string",
        None,
    ),
    (
        {"profileTemplate": {"displayName": "t", "spec": {}, "labels": ["a"]}},
        "profile_template.labels must be an object of strings",
        None,
    ),
]


@pytest.mark.parametrize("body,message,_", TEMPLATE_CASES, ids=[c[1][:50] for c in TEMPLATE_CASES])
def test_template_create_validation(emu, body, message, _):
    assert_error(emu.call("POST", "/profile-templates", json=body), 400, 3, message)
    assert emu.state()["profileTemplates"] == []


def test_duplicate_template_display_name_is_409(emu):
    emu.template("a")
    response = emu.call("POST", "/profile-templates", json={"profileTemplate": {"displayName": "a", "spec": {}}})
    assert_error(response, 409, 6, 'profile_template.display_name "a" already exists')


def test_unknown_top_level_field_is_400(emu):
    response = emu.call("POST", "/profile-templates", json={"template": {}})
    assert_error(response, 400, 3, "template is not a known field")


@pytest.mark.parametrize("raw", [b"{", b"[1]", b'"x"', b"null", b"\xff\xfe", b'{"a": NaN}'])
def test_malformed_body_is_400(emu, raw):
    response = emu.call("POST", "/profile-templates", data=raw, headers={"Content-Type": "application/json"})
    expected = "request body must be a JSON object" if raw in (b"[1]", b'"x"', b"null") else None
    assert_error(response, 400, 3, expected or "request body is not valid JSON")


def test_body_over_one_mebibyte_is_400(emu):
    body = b'{"profileTemplate": {"displayName": "' + b"a" * (1024 * 1024) + b'"}}'
    response = emu.call("POST", "/profile-templates", data=body)
    assert_error(response, 400, 3, "request body exceeds the maximum size of 1048576 bytes")
