# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import (
    Rules,
    apply_fields,
    changed_fields,
    managed_view,
    normalize,
    to_user,
    to_wire,
    update_request,
)

TEMPLATE_FIELDS = (("description", "description"), ("labels", "labels"), ("spec", "spec"))
TEMPLATE_RULES = Rules(unordered=("spec.instanceTypes", "spec.tags"))
RUNNER_RULES = Rules(
    instants=("managedSpec.maintenancePolicy.exclusions[].startTime",),
    case_insensitive=("identity.zone",),
)

USER_SPEC = {
    "container_image": "ghcr.io/example-org/agent-base:2026.11",
    "resource_defaults": {"cpu_request": "500m", "memory_limit": "4Gi"},
    "instance_types": ["cpu.small", "cpu.medium"],
    "node_selector": {"workload-class": "general", "some_key": "x"},
    "namespace": {"strategy": "per-user", "namespacePrefix": "agent-"},
    "network": {"egress": {"default": "none", "modes": {"none": {"type": "none"}}}},
    "pod": {"spec": {"automountServiceAccountToken": False}},
}


class TestWireConversion:
    def test_user_to_wire_camel_cases_keys_and_encodes_blocks(self):
        wire = to_wire({"spec": USER_SPEC, "display_name": "agents"})
        spec = wire["spec"]
        assert wire["displayName"] == "agents"
        assert spec["containerImage"] == USER_SPEC["container_image"]
        assert spec["resourceDefaults"] == {"cpuRequest": "500m", "memoryLimit": "4Gi"}
        assert spec["instanceTypes"] == ["cpu.small", "cpu.medium"]
        assert json.loads(spec["namespaceConfigJson"]) == {"strategy": "per-user", "namespacePrefix": "agent-"}
        assert json.loads(spec["podTemplateJson"]) == {"spec": {"automountServiceAccountToken": False}}
        assert "namespace" not in spec and "pod" not in spec

    def test_user_maps_and_block_contents_keep_their_keys(self):
        spec = to_wire(USER_SPEC)
        assert spec["nodeSelector"] == {"workload-class": "general", "some_key": "x"}
        assert '"namespacePrefix"' in spec["namespaceConfigJson"]
        assert '"automountServiceAccountToken"' in spec["podTemplateJson"]

    def test_none_entries_are_dropped(self):
        assert to_wire({"description": None, "spec": {"runtime_class": None, "tags": ["a"]}}) == {
            "spec": {"tags": ["a"]}
        }

    def test_round_trip(self):
        assert to_user(to_wire({"spec": USER_SPEC})) == {"spec": USER_SPEC}

    def test_wire_to_user_decodes_blocks(self):
        user = to_user(
            {
                "displayName": "x",
                "organizationId": "org-demo",
                "labels": {"someLabel": "v"},
                "spec": {"networkConfigJson": '{"egress": {"default": "internet"}}', "podTemplateJson": ""},
            }
        )
        assert user == {
            "display_name": "x",
            "organization_id": "org-demo",
            "labels": {"someLabel": "v"},
            "spec": {"network": {"egress": {"default": "internet"}}, "pod": {}},
        }

    def test_invalid_json_block_is_kept_as_text(self):
        assert to_user({"namespaceConfigJson": "{not json"}) == {"namespace": "{not json"}


class TestNormalize:
    @pytest.mark.parametrize("zero", [None, "", [], {}, False, 0, "RELEASE_CHANNEL_UNSPECIFIED"])
    def test_missing_equals_zero_value(self, zero):
        assert normalize({"a": zero, "b": "x"}) == normalize({"b": "x"})

    def test_json_block_key_order_and_spacing_do_not_count(self):
        one = {"spec": {"namespaceConfigJson": '{"strategy": "per-user", "namespacePrefix": "ds-"}'}}
        two = {"spec": {"namespaceConfigJson": '{"namespacePrefix":"ds-","strategy":"per-user"}'}}
        assert normalize(one) == normalize(two)

    def test_json_block_values_do_count(self):
        one = {"podTemplateJson": '{"spec": {"automountServiceAccountToken": false}}'}
        two = {"podTemplateJson": '{"spec": {}}'}
        assert normalize(one) != normalize(two)

    def test_empty_json_block_equals_missing(self):
        assert normalize({"spec": {"podTemplateJson": ""}}) == normalize({"spec": {}})

    def test_set_like_lists_ignore_order(self):
        one = {"spec": {"instanceTypes": ["b", "a"], "tags": ["y", "x"]}}
        two = {"spec": {"instanceTypes": ["a", "b"], "tags": ["x", "y"]}}
        assert normalize(one, TEMPLATE_RULES, "") == normalize(two, TEMPLATE_RULES, "")

    def test_binding_overrides_instance_types_and_tags_ignore_order(self):
        one = {"overridesJson": '{"instanceTypes":["b","a"],"tags":["y","x"],"runtimeClass":"kata"}'}
        two = {"overridesJson": '{"tags": ["x", "y"], "runtimeClass": "kata", "instanceTypes": ["a", "b"]}'}
        assert normalize(one) == normalize(two)

    def test_binding_overrides_other_lists_keep_order(self):
        one = {"overridesJson": '{"podTemplateJson":"{\\"args\\":[\\"a\\",\\"b\\"]}"}'}
        two = {"overridesJson": '{"podTemplateJson":"{\\"args\\":[\\"b\\",\\"a\\"]}"}'}
        assert normalize(one) != normalize(two)
        assert normalize({"podTemplateJson": '{"tags":["b","a"]}'}) != normalize(
            {"podTemplateJson": '{"tags":["a","b"]}'}
        )

    def test_other_lists_keep_order(self):
        one = {"args": ["--a", "--b"]}
        two = {"args": ["--b", "--a"]}
        assert normalize(one, TEMPLATE_RULES) != normalize(two, TEMPLATE_RULES)

    def test_timestamps_compare_as_instants(self):
        one = {"managedSpec": {"maintenancePolicy": {"exclusions": [{"startTime": "2026-12-24T00:00:00Z"}]}}}
        two = {"managedSpec": {"maintenancePolicy": {"exclusions": [{"startTime": "2026-12-24T01:00:00.000+01:00"}]}}}
        three = {"managedSpec": {"maintenancePolicy": {"exclusions": [{"startTime": "2026-12-24T01:00:00Z"}]}}}
        assert normalize(one, RUNNER_RULES) == normalize(two, RUNNER_RULES)
        assert normalize(one, RUNNER_RULES) != normalize(three, RUNNER_RULES)

    def test_zone_compares_without_case(self):
        assert normalize({"identity": {"zone": "us-east-04a"}}, RUNNER_RULES) == normalize(
            {"identity": {"zone": "US-EAST-04A"}}, RUNNER_RULES
        )

    def test_label_keys_are_data(self):
        assert normalize({"labels": {"a": "1"}}) != normalize({"labels": {"A": "1"}})


class TestChangedFieldsAndMask:
    current = {
        "id": "6a0c",
        "displayName": "agents",
        "description": "old",
        "labels": {"team": "agents"},
        "spec": {
            "instanceTypes": ["cpu.small", "cpu.medium"],
            "namespaceConfigJson": '{"strategy":"per-user"}',
        },
        "createdAt": "2026-01-01T00:00:00Z",
    }

    def test_unset_options_are_never_a_change(self):
        assert changed_fields({"displayName": "agents"}, self.current, TEMPLATE_FIELDS, TEMPLATE_RULES) == []

    def test_equivalent_spec_is_no_change(self):
        desired = {
            "description": "old",
            "spec": {"instanceTypes": ["cpu.medium", "cpu.small"], "namespaceConfigJson": '{"strategy": "per-user"}'},
        }
        assert changed_fields(desired, self.current, TEMPLATE_FIELDS, TEMPLATE_RULES) == []

    def test_mask_names_only_changed_paths(self):
        desired = {"description": "new", "labels": {"team": "agents"}, "spec": self.current["spec"]}
        changed = changed_fields(desired, self.current, TEMPLATE_FIELDS, TEMPLATE_RULES)
        body, mask = update_request(desired, changed)
        assert mask == "description"
        assert body == {"description": "new"}

    def test_mask_with_several_paths_and_clearing(self):
        desired = {"description": "", "labels": {}, "spec": {}}
        changed = changed_fields(desired, self.current, TEMPLATE_FIELDS, TEMPLATE_RULES)
        body, mask = update_request(desired, changed)
        assert mask == "description,labels,spec"
        assert body == {"description": "", "labels": {}, "spec": {}}

    def test_nested_mask_paths(self):
        fields = (("managed_spec.release_channel", "managedSpec.releaseChannel"), ("display_name", "displayName"))
        desired = {"displayName": "same", "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"}}
        current = {"displayName": "same", "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE", "x": 1}}
        body, mask = update_request(desired, changed_fields(desired, current, fields))
        assert mask == "managed_spec.release_channel"
        assert body == {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"}}

    def test_missing_current_counts_every_set_field(self):
        desired = {"description": "d", "spec": {}}
        assert changed_fields(desired, None, TEMPLATE_FIELDS) == [("description", "description")]

    def test_apply_fields_predicts_the_update(self):
        predicted = apply_fields(self.current, {"description": "new"}, TEMPLATE_FIELDS)
        assert predicted["description"] == "new"
        assert predicted["labels"] == self.current["labels"]
        assert self.current["description"] == "old"

    def test_managed_view_is_user_form_of_managed_fields_only(self):
        view = managed_view(self.current, TEMPLATE_FIELDS)
        assert set(view) == {"description", "labels", "spec"}
        assert view["spec"]["namespace"] == {"strategy": "per-user"}
        assert managed_view(None, TEMPLATE_FIELDS) == {}
