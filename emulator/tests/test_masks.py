"""Update masks: listed paths only, the no-mask rule, clearing, tolerated spellings, bad paths."""

import pytest
from conftest import assert_error


@pytest.fixture
def runner(emu):
    first, second = emu.template("t1"), emu.template("t2")
    emu.runner(
        "r1",
        templates=[first["id"]],
        displayName="One",
        managedSpec={
            "releaseChannel": "RELEASE_CHANNEL_STABLE",
            "enforceResourceLimits": True,
            "overrides": {"nodeSelector": {"a": "b"}},
            "maintenancePolicy": {"windows": [{"cron": "0 2 * * SAT", "durationSeconds": 60}]},
        },
    )
    return emu, first["id"], second["id"]


def patch(emu, body, ident="r1", **kwargs):
    return emu.call("PATCH", f"/managed-runners/{ident}", json=body, **kwargs)


def test_mask_changes_only_listed_paths(runner):
    emu, _, _ = runner
    body = {
        "runner": {"displayName": "Ignored", "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"}},
        "update_mask": "managed_spec.release_channel",
    }
    updated = patch(emu, body).json()
    assert updated["managedSpec"]["releaseChannel"] == "RELEASE_CHANNEL_RAPID"
    assert updated["displayName"] == "One"
    assert updated["managedSpec"]["overrides"] == {"nodeSelector": {"a": "b"}}
    assert updated["managedSpec"]["enforceResourceLimits"] is True


def test_mask_listed_path_with_absent_value_clears_it(runner):
    emu, _, _ = runner
    updated = patch(emu, {"runner": {}, "update_mask": "managed_spec.overrides,display_name"}).json()
    assert "overrides" not in updated["managedSpec"]
    assert "displayName" not in updated
    assert updated["managedSpec"]["maintenancePolicy"]["windows"][0]["cron"] == "0 2 * * SAT"


def test_mask_clearing_a_required_field_is_400(runner):
    emu, _, _ = runner
    assert_error(patch(emu, {"runner": {}, "update_mask": "identity.zone"}), 400, 3, "runner.identity.zone is required")
    response = patch(emu, {"runner": {"profileBindings": []}, "update_mask": "profile_bindings"})
    assert_error(response, 400, 3, "runner.profile_bindings must contain at least one binding")


def test_mask_whole_managed_spec_replaces_it(runner):
    emu, _, _ = runner
    body = {"runner": {"managedSpec": {"allowPrivilegedProfileAnnotations": True}}, "update_mask": "managed_spec"}
    updated = patch(emu, body).json()
    assert updated["managedSpec"] == {
        "releaseChannel": "RELEASE_CHANNEL_STABLE",
        "allowPrivilegedProfileAnnotations": True,
    }


def test_no_mask_applies_every_non_empty_mutable_field(runner):
    emu, first, second = runner
    bindings = [{"profileTemplateId": second, "isDefault": True}, {"profileTemplateId": first}]
    body = {
        "runner": {
            "displayName": "",
            "identity": {"runnerGroupId": "g1"},
            "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID", "enforceResourceLimits": False},
            "profileBindings": bindings,
        }
    }
    updated = patch(emu, body).json()
    assert updated["displayName"] == "One"
    assert updated["identity"]["runnerGroupId"] == "g1"
    assert updated["managedSpec"]["releaseChannel"] == "RELEASE_CHANNEL_RAPID"
    assert updated["managedSpec"]["enforceResourceLimits"] is True
    assert updated["managedSpec"]["overrides"] == {"nodeSelector": {"a": "b"}}
    assert updated["profileBindings"] == bindings


def test_empty_mask_string_means_no_mask(runner):
    emu, _, _ = runner
    updated = patch(emu, {"runner": {"displayName": "Two"}, "update_mask": ""}).json()
    assert updated["displayName"] == "Two"
    assert updated["managedSpec"]["overrides"] == {"nodeSelector": {"a": "b"}}


def test_no_mask_immutable_field_with_other_value_is_400(runner):
    emu, _, _ = runner
    response = patch(emu, {"runner": {"identity": {"clusterName": "spare-east-1"}}})
    assert_error(response, 400, 3, "runner.identity.cluster_name is immutable")


@pytest.mark.parametrize(
    "spelling",
    [
        {"update_mask": "display_name"},
        {"updateMask": "display_name"},
        {"update_mask": {"paths": ["display_name"]}},
        {"updateMask": {"paths": ["displayName"]}},
        {"update_mask": "displayName"},
    ],
    ids=["snake-key", "camel-key", "fieldmask-object", "camel-object", "camel-path"],
)
def test_tolerated_mask_spellings_in_body(runner, spelling):
    emu, _, _ = runner
    body = {"runner": {"displayName": "New", "identity": {"runnerGroupId": "ignored"}}, **spelling}
    updated = patch(emu, body).json()
    assert updated["displayName"] == "New"
    assert "runnerGroupId" not in updated["identity"]


@pytest.mark.parametrize("key", ["updateMask", "update_mask"])
def test_tolerated_mask_in_query(runner, key):
    emu, _, _ = runner
    body = {"runner": {"displayName": "New", "identity": {"runnerGroupId": "ignored"}}}
    updated = patch(emu, body, params={key: "display_name"}).json()
    assert updated["displayName"] == "New"
    assert "runnerGroupId" not in updated["identity"]


@pytest.mark.parametrize(
    "path,message",
    [
        ("identity.cluster_id", "update_mask: runner.identity.cluster_id is immutable"),
        ("identity.runner_id", "update_mask: runner.identity.runner_id is immutable"),
        ("id", "update_mask: runner.id is immutable"),
        ("install_status", "update_mask: runner.install_status is immutable"),
        ("colour", "update_mask: runner.colour is unknown"),
        ("managed_spec.flavour", "update_mask: runner.managed_spec.flavour is unknown"),
        (
            "managed_spec.enforce_resource_limits",
            'update_mask: runner.managed_spec.enforce_resource_limits cannot be updated on its own, use "managed_spec"',
        ),
        ("display name", 'update_mask path "display name" is not a valid field path'),
    ],
)
def test_bad_runner_mask_paths_are_400(runner, path, message):
    emu, _, _ = runner
    before = emu.state()
    assert_error(patch(emu, {"runner": {}, "update_mask": f"display_name,{path}"}), 400, 3, message)
    assert emu.state() == before


def test_template_mask_paths(emu):
    emu.template("t", description="d", labels={"a": "b"}, spec={"tags": ["x"]})
    response = emu.call(
        "PATCH",
        "/profile-templates/t",
        json={"profileTemplate": {"labels": {"c": "d"}, "description": "ignored"}, "update_mask": "labels,spec"},
    )
    assert response.status_code == 200
    assert response.json()["labels"] == {"c": "d"}
    assert response.json()["description"] == "d"
    assert "spec" not in response.json()


@pytest.mark.parametrize(
    "path,message",
    [
        ("display_name", "update_mask: profile_template.display_name is immutable"),
        ("organization_id", "update_mask: profile_template.organization_id is immutable"),
        ("spec.tags", 'update_mask: profile_template.spec.tags cannot be updated on its own, use "spec"'),
        ("owner", "update_mask: profile_template.owner is unknown"),
    ],
)
def test_bad_template_mask_paths_are_400(emu, path, message):
    emu.template("t")
    response = emu.call("PATCH", "/profile-templates/t", json={"profileTemplate": {}, "update_mask": path})
    assert_error(response, 400, 3, message)


def test_template_rename_without_mask_is_400(emu):
    emu.template("t")
    response = emu.call("PATCH", "/profile-templates/t", json={"profileTemplate": {"displayName": "u"}})
    assert_error(response, 400, 3, "profile_template.display_name is immutable; a rename is a new template")


def test_template_no_mask_applies_non_empty_fields(emu):
    emu.template("t", description="d", labels={"a": "b"}, spec={"tags": ["x"]})
    response = emu.call(
        "PATCH", "/profile-templates/t", json={"profileTemplate": {"description": "", "spec": {"tags": ["y"]}}}
    )
    assert response.json()["description"] == "d"
    assert response.json()["labels"] == {"a": "b"}
    assert response.json()["spec"] == {"tags": ["y"]}


def test_update_validates_the_result(runner):
    emu, _, _ = runner
    body = {
        "runner": {"managedSpec": {"overrides": {"resources": {"cpuLimit": "x"}}}},
        "update_mask": "managed_spec.overrides",
    }
    assert_error(
        patch(emu, body), 400, 3, 'runner.managed_spec.overrides.resources.cpu_limit "x" is not a valid quantity'
    )


def test_update_display_name_conflict_is_409(runner):
    emu, first, _ = runner
    emu.runner("r2", cluster="spare-east-1", templates=[first], displayName="Two")
    response = patch(emu, {"runner": {"displayName": "Two"}, "update_mask": "display_name"})
    assert_error(response, 409, 6, 'runner.display_name "Two" already exists')


def test_update_is_safe_to_retry_with_mask(runner):
    emu, _, _ = runner
    body = {
        "runner": {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"}},
        "update_mask": "managed_spec.release_channel",
    }
    first = patch(emu, body).json()
    second = patch(emu, body).json()
    assert first["updatedAt"] == second["updatedAt"]
    assert first["managedSpec"] == second["managedSpec"]


def test_update_requires_the_resource(runner):
    emu, _, _ = runner
    assert_error(patch(emu, {"update_mask": "display_name"}), 400, 3, "runner is required")
    response = emu.call("PATCH", "/profile-templates/t1", json={"update_mask": "labels"})
    assert_error(response, 400, 3, "profile_template is required")
