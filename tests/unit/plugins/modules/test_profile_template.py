# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible_collections.coreweave.sandbox.plugins.module_utils import profile_spec
from ansible_collections.coreweave.sandbox.plugins.modules import profile_template, profile_template_info

EXISTING = {
    "id": "8f14e45f-ceea-4a7e-9f0b-1c2d3e4f5a01",
    "displayName": "agents",
    "description": "old",
    "labels": {"team": "agents", "env": "prod"},
    "spec": {
        "instanceTypes": ["cpu.small", "cpu.medium"],
        "namespaceConfigJson": '{"strategy":"per-user","namespacePrefix":"agent-"}',
    },
}
SAME_SPEC = {
    "instance_types": ["cpu.medium", "cpu.small"],
    "namespace": {"namespacePrefix": "agent-", "strategy": "per-user"},
}


def errors_of(spec):
    full = dict.fromkeys(profile_template.argument_spec()["spec"]["options"])
    full.update(spec)
    return profile_spec.spec_errors(full)


class TestSpecValidation:
    def test_fleet_like_spec_is_valid(self):
        assert (
            errors_of(
                {
                    "resource_defaults": {"cpu_request": "500m", "memory_limit": "4Gi"},
                    "namespace": {"strategy": "static", "namespacePrefix": "x-"},
                    "network": {
                        "egress": {
                            "default": "allowlist",
                            "modes": {"allowlist": {"type": "allowlist", "cidrs": ["140.82.112.0/20"]}},
                        }
                    },
                    "pod": {"spec": {"containers": [{"name": ""}]}},
                }
            )
            == []
        )

    @pytest.mark.parametrize(
        "spec, message",
        [
            (
                {"network": {"egress": {"modes": {"allowlist": {"type": "open"}}}}},
                "spec.network.egress.modes.allowlist.type: 'open' is not one of ['none', 'internet', 'allowlist']",
            ),
            (
                {"network": {"egress": {"modes": {"allowlist": {"type": "allowlist"}}}}},
                "spec.network.egress.modes.allowlist: 'cidrs' is a required property",
            ),
            (
                {"network": {"egress": {"modes": {"a": {"type": "allowlist", "cidrs": ["10.0.0.1"]}}}}},
                "spec.network.egress.modes.a.cidrs[0]: '10.0.0.1' is not a CIDR range",
            ),
            (
                {"network": {"egress": {"default": "internet", "modes": {"none": {"type": "none"}}}}},
                "spec.network.egress.default: 'internet' names no mode of spec.network.egress.modes (none)",
            ),
            (
                {"network": {"egress": {"default": "open"}}},
                "spec.network.egress.default: 'open' names no mode: spec.network.egress.modes is empty",
            ),
            (
                {"namespace": {"strategy": "per-usr"}},
                "spec.namespace.strategy: 'per-usr' is not one of ['per-user', 'per-org', 'per-profile', 'static']",
            ),
            ({"namespace": {"namespacePrefix": 3}}, "spec.namespace.namespacePrefix: 3 is not of type 'string'"),
            ({"pod": "not a mapping"}, "spec.pod: 'not a mapping' is not of type 'object'"),
            ({"pod": [1]}, "spec.pod: [1] is not of type 'object'"),
            ({"resource_defaults": {"memory_limit": "4GB"}}, "spec.resource_defaults.memory_limit: '4GB' is not"),
        ],
    )
    def test_bad_field_is_named(self, spec, message):
        errors = errors_of(spec)
        assert len(errors) == 1
        assert errors[0].startswith(message)


class TestDesired:
    params = {"display_name": "agents", "description": None, "labels": None, "purge_labels": True, "spec": None}

    def test_only_set_options_are_present(self):
        assert profile_template.desired_template(self.params, EXISTING) == {"displayName": "agents"}

    def test_purge_labels(self):
        params = dict(self.params, labels={"team": "x"})
        assert profile_template.desired_template(params, EXISTING)["labels"] == {"team": "x"}

    def test_keep_labels_merges_given_over_current(self):
        params = dict(self.params, labels={"team": "x", "new": "1"}, purge_labels=False)
        assert profile_template.desired_template(params, EXISTING)["labels"] == {
            "team": "x",
            "env": "prod",
            "new": "1",
        }
        assert profile_template.desired_template(params, None)["labels"] == {"team": "x", "new": "1"}


def base_args(fake_api, **args):
    return dict({"api_token": "unit-token", "api_endpoint": fake_api.endpoint, "display_name": "agents"}, **args)


class TestModuleRuns:
    def test_invalid_spec_sends_no_request(self, fake_api, run_module):
        failed, result = run_module(
            profile_template.main, base_args(fake_api, spec={"namespace": {"strategy": "nope"}})
        )
        assert failed
        assert result["msg"].startswith("Invalid input: spec.namespace.strategy: 'nope' is not one of")
        assert fake_api.requests == []

    def test_unknown_spec_key_is_refused(self, fake_api, run_module):
        failed, result = run_module(profile_template.main, base_args(fake_api, spec={"colour": "red"}))
        assert failed
        assert "colour" in result["msg"]
        assert fake_api.requests == []

    def test_string_maps_take_scalars_as_yaml_writes_them(self, fake_api, run_module):
        labels = {"on": True, "count": 1, "ratio": 1.5, "name": "x"}
        spec = {"node_selector": {"gpu": False, "zone": 2}}
        failed, result = run_module(
            profile_template.main, base_args(fake_api, labels=labels, spec=spec, _ansible_check_mode=True)
        )
        assert not failed
        assert result["profile_template"]["labels"] == {"on": "true", "count": "1", "ratio": "1.5", "name": "x"}
        assert result["profile_template"]["spec"]["node_selector"] == {"gpu": "false", "zone": "2"}

    def test_string_maps_refuse_values_with_no_string_form(self, fake_api, run_module):
        labels = {"a": {"b": 1}, "ok": "x"}
        spec = {"node_selector": {"n": None, "l": [1]}}
        failed, result = run_module(profile_template.main, base_args(fake_api, labels=labels, spec=spec))
        assert failed
        assert result["errors"] == [
            "labels.a: must be a string, a number or a boolean, got a mapping",
            'spec.node_selector.n: must be a string, a number or a boolean, got null (write "" for an empty string)',
            "spec.node_selector.l: must be a string, a number or a boolean, got a list",
        ]
        assert fake_api.requests == []

    def test_check_mode_create_writes_nothing(self, fake_api, run_module):
        failed, result = run_module(
            profile_template.main, base_args(fake_api, description="d", _ansible_check_mode=True)
        )
        assert not failed and result["changed"]
        assert result["profile_template"]["display_name"] == "agents"
        assert result["profile_template"]["spec"] == {}
        assert [e["method"] for e in fake_api.requests] == ["GET"]
        assert "diff" not in result

    def test_create_sends_empty_spec_when_not_managed(self, fake_api, run_module):
        fake_api.add("POST", "/profile-templates", body=dict(EXISTING, description="d"))
        failed, result = run_module(profile_template.main, base_args(fake_api, description="d"))
        assert not failed and result["changed"]
        post = fake_api.sent("POST")[0]
        assert post["body"] == {"profileTemplate": {"displayName": "agents", "description": "d", "spec": {}}}
        assert result["profile_template"]["spec"]["namespace"] == {"strategy": "per-user", "namespacePrefix": "agent-"}

    def test_equivalent_spec_is_unchanged(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/agents", body=EXISTING)
        failed, result = run_module(
            profile_template.main, base_args(fake_api, spec=SAME_SPEC, labels={"env": "prod"}, purge_labels=False)
        )
        assert not failed and not result["changed"]
        assert fake_api.sent("PATCH") == []

    def test_update_mask_names_only_changed_paths(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/agents", body=EXISTING)
        fake_api.add("PATCH", "/profile-templates/" + EXISTING["id"], body=dict(EXISTING, description="new"))
        failed, result = run_module(
            profile_template.main, base_args(fake_api, spec=SAME_SPEC, description="new", _ansible_diff=True)
        )
        assert not failed and result["changed"]
        patch = fake_api.sent("PATCH")[0]
        assert patch["body"] == {"profileTemplate": {"description": "new"}, "update_mask": "description"}
        assert result["diff"]["before"]["description"] == "old"
        assert result["diff"]["after"]["description"] == "new"
        assert set(result["diff"]["after"]) == {"description", "spec"}

    def test_spec_change_replaces_it_whole(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/agents", body=EXISTING)
        fake_api.add("PATCH", "/profile-templates/" + EXISTING["id"], body=EXISTING)
        run_module(profile_template.main, base_args(fake_api, spec={"instance_types": ["cpu.small"]}))
        patch = fake_api.sent("PATCH")[0]["body"]
        assert patch == {"profileTemplate": {"spec": {"instanceTypes": ["cpu.small"]}}, "update_mask": "spec"}

    def test_delete_bound_template_passes_the_api_message(self, fake_api, run_module):
        message = 'profile_template "agents" is still bound by runners: prod-east-managed'
        fake_api.add("GET", "/profile-templates/agents", body=EXISTING)
        fake_api.add("DELETE", "/profile-templates/" + EXISTING["id"], 400, {"code": 9, "message": message})
        failed, result = run_module(profile_template.main, base_args(fake_api, state="absent"))
        assert failed
        assert message in result["msg"]
        assert result["error"]["code"] == "FAILED_PRECONDITION"

    def test_delete_returns_last_state_and_absent_is_idempotent(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/agents", body=EXISTING)
        fake_api.add("DELETE", "/profile-templates/" + EXISTING["id"], body={})
        failed, result = run_module(profile_template.main, base_args(fake_api, state="absent"))
        assert not failed and result["changed"]
        assert result["profile_template"]["id"] == EXISTING["id"]
        fake_api.answers.clear()
        failed, result = run_module(profile_template.main, base_args(fake_api, state="absent"))
        assert not failed and not result["changed"]
        assert result["profile_template"] == {}

    def test_token_never_in_output(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/agents", 401, {"code": 16, "message": "token unit-token is unknown"})
        failed, result = run_module(profile_template.main, base_args(fake_api))
        assert failed
        assert "unit-token" not in json.dumps(result)


class TestInfo:
    templates = [
        {"id": "1", "displayName": "a", "labels": {"team": "ml", "gpu": "h100"}},
        {"id": "2", "displayName": "b", "labels": {"team": "ml"}, "spec": {"podTemplateJson": '{"x": 1}'}},
        {"id": "3", "displayName": "c"},
    ]

    def args(self, fake_api, **more):
        return dict({"api_token": "unit-token", "api_endpoint": fake_api.endpoint}, **more)

    def test_lists_every_page_and_filters_labels(self, fake_api, run_module):
        pages = {
            "": {"profileTemplates": self.templates[:2], "nextPageToken": "n"},
            "n": {"profileTemplates": self.templates[2:]},
        }
        fake_api.handle("GET", "/profile-templates", lambda e: (200, pages[e["query"].get("pageToken", "")], None))
        failed, result = run_module(profile_template_info.main, self.args(fake_api))
        assert not failed and not result["changed"]
        assert [t["display_name"] for t in result["profile_templates"]] == ["a", "b", "c"]
        assert result["profile_templates"][1]["spec"] == {"pod": {"x": 1}}
        assert result["profile_templates"][2]["labels"] == {}
        failed, result = run_module(
            profile_template_info.main, self.args(fake_api, labels={"team": "ml", "gpu": "h100"})
        )
        assert [t["display_name"] for t in result["profile_templates"]] == ["a"]

    def test_one_by_name_or_id_and_missing_is_empty(self, fake_api, run_module):
        fake_api.add("GET", "/profile-templates/a", body=self.templates[0])
        fake_api.add("GET", "/profile-templates/1", body=self.templates[0])
        failed, result = run_module(profile_template_info.main, self.args(fake_api, display_name="a"))
        assert [t["id"] for t in result["profile_templates"]] == ["1"]
        failed, result = run_module(profile_template_info.main, self.args(fake_api, id="1"))
        assert [t["id"] for t in result["profile_templates"]] == ["1"]
        failed, result = run_module(profile_template_info.main, self.args(fake_api, display_name="zz"))
        assert not failed and result["profile_templates"] == []

    def test_label_filter_takes_scalars_as_yaml_writes_them(self, fake_api, run_module):
        templates = {"profileTemplates": [{"id": "1", "displayName": "a", "labels": {"gpu": "true", "n": "1"}}]}
        fake_api.add("GET", "/profile-templates", body=templates)
        failed, result = run_module(profile_template_info.main, self.args(fake_api, labels={"gpu": True, "n": 1}))
        assert not failed
        assert [t["id"] for t in result["profile_templates"]] == ["1"]
        failed, result = run_module(profile_template_info.main, self.args(fake_api, labels={"gpu": ["x"]}))
        assert failed
        assert result["msg"] == "Invalid input: labels.gpu: must be a string, a number or a boolean, got a list"

    def test_name_and_id_are_exclusive(self, fake_api, run_module):
        failed, result = run_module(profile_template_info.main, self.args(fake_api, display_name="a", id="1"))
        assert failed and "mutually exclusive" in result["msg"]
