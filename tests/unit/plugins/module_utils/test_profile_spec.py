# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible_collections.coreweave.sandbox.plugins.module_utils import profile_spec
from ansible_collections.coreweave.sandbox.plugins.modules import managed_runner, profile_template

CPU = "11111111-1111-4111-8111-111111111111"
GPU = "22222222-2222-4222-8222-222222222222"
TEMPLATES = {"profileTemplates": [{"id": CPU, "displayName": "default-cpu"}, {"id": GPU, "displayName": "gpu"}]}


def test_template_spec_and_binding_overrides_share_one_option_list():
    assert profile_template.argument_spec()["spec"]["options"] == profile_spec.spec_options()
    bindings = managed_runner.argument_spec()["profile_bindings"]["options"]
    assert bindings["overrides"]["options"] == profile_spec.spec_options()


def test_spec_errors_name_paths_under_the_prefix():
    spec = {
        "resource_defaults": {"memory_limit": "4GB"},
        "namespace": {"strategy": "per-usr"},
    }
    errors = profile_spec.spec_errors(spec, "profile_bindings[1].overrides")
    assert errors[0].startswith("profile_bindings[1].overrides.resource_defaults.memory_limit: '4GB' is not")
    assert errors[1].startswith("profile_bindings[1].overrides.namespace.strategy: 'per-usr' is not one of")


def test_spec_errors_egress_paths_under_the_prefix():
    network = {"egress": {"default": "open", "modes": {"a": {"type": "allowlist", "cidrs": ["10.0.0.1"]}}}}
    errors = profile_spec.spec_errors({"network": network}, "profile_bindings[0].overrides")
    assert errors == [
        "profile_bindings[0].overrides.network.egress.modes.a.cidrs[0]: '10.0.0.1' is not a CIDR range "
        "(for example 10.0.0.0/8)",
        "profile_bindings[0].overrides.network.egress.default: 'open' names no mode of "
        "profile_bindings[0].overrides.network.egress.modes (a)",
    ]


def test_set_fields_drops_what_ansible_filled_in():
    filled = dict.fromkeys(profile_spec.spec_options())
    assert profile_spec.set_fields(filled) == {}
    filled["resource_defaults"] = {"cpu_request": None, "memory_limit": "8Gi"}
    filled["pod"] = {"spec": {"hostname": None}}
    assert profile_spec.set_fields(filled) == {
        "resource_defaults": {"memory_limit": "8Gi"},
        "pod": {"spec": {"hostname": None}},
    }
    assert profile_spec.set_fields(None) is None


def runner_args(fake_api, bindings):
    return {
        "api_token": "unit-token",
        "api_endpoint": fake_api.endpoint,
        "runner_id": "r1",
        "zone": "US-EAST-04A",
        "cluster_name": "prod-east",
        "profile_bindings": bindings,
        "wait": False,
    }


def test_binding_overrides_are_checked_before_any_request(fake_api, run_module):
    bindings = [
        {"profile": "default-cpu", "default": True},
        {"profile": "gpu", "overrides": {"resource_defaults": {"memory_limit": "64 gigs"}, "namespace": "abc"}},
    ]
    failed, result = run_module(managed_runner.main, runner_args(fake_api, bindings))
    assert failed
    assert result["errors"][0].startswith("profile_bindings[1].overrides.resource_defaults.memory_limit: '64 gigs'")
    assert result["errors"][1] == "profile_bindings[1].overrides.namespace: 'abc' is not of type 'object'"
    assert fake_api.requests == []


def test_unknown_binding_override_key_is_refused(fake_api, run_module):
    bindings = [{"profile": "default-cpu", "default": True, "overrides": {"namespace": {}, "bogus_key": 1}}]
    failed, result = run_module(managed_runner.main, runner_args(fake_api, bindings))
    assert failed
    assert "bogus_key" in result["msg"]
    assert fake_api.requests == []


def test_binding_overrides_send_only_the_fields_set(fake_api, run_module):
    fake_api.add("GET", "/profile-templates", body=TEMPLATES)
    fake_api.add("POST", "/managed-runners", body={"identity": {"runnerId": "r1"}})
    bindings = [
        {"profile": "default-cpu", "default": True, "overrides": {}},
        {"profile": "gpu", "overrides": {"instance_types": ["h100"], "resource_defaults": {"memory_limit": "64Gi"}}},
    ]
    failed, result = run_module(managed_runner.main, runner_args(fake_api, bindings))
    assert not failed, result
    sent = fake_api.sent("POST")[0]["body"]["runner"]["profileBindings"]
    assert sent == [
        {"profileTemplateId": CPU, "isDefault": True},
        {
            "profileTemplateId": GPU,
            "overridesJson": json.dumps(
                {"instanceTypes": ["h100"], "resourceDefaults": {"memoryLimit": "64Gi"}}, separators=(",", ":")
            ),
        },
    ]


def test_runner_string_maps_are_sent_as_text(fake_api, run_module):
    fake_api.add("GET", "/profile-templates", body=TEMPLATES)
    fake_api.add("POST", "/managed-runners", body={"identity": {"runnerId": "r1"}})
    args = runner_args(
        fake_api, [{"profile": "default-cpu", "default": True, "overrides": {"node_selector": {"n": 1}}}]
    )
    args["overrides"] = {"env": {"N": 1, "DEBUG": True}, "labels": {"ratio": 1.5}}
    failed, result = run_module(managed_runner.main, args)
    assert not failed, result
    runner = fake_api.sent("POST")[0]["body"]["runner"]
    assert runner["managedSpec"]["overrides"] == {"env": {"N": "1", "DEBUG": "true"}, "labels": {"ratio": "1.5"}}
    assert runner["profileBindings"][0]["overridesJson"] == '{"nodeSelector":{"n":"1"}}'
