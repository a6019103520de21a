# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible_collections.coreweave.sandbox.plugins.module_utils.client import SandboxApiError
from ansible_collections.coreweave.sandbox.plugins.module_utils.module import (
    SandboxModule,
    cidr_error,
    display_name_error,
    format_path,
    quantity_error,
    runner_id_error,
    schema_errors,
    string_map,
    string_map_errors,
    yaml_text,
)


@pytest.mark.parametrize("value", ["1", "500m", "1.5", ".5", "4Gi", "512Mi", "1e3", "2k", "100M", "+1"])
def test_quantities_accepted(value):
    assert quantity_error(value, "spec.x") is None


@pytest.mark.parametrize("value", ["", "4x", "-1", "1 Gi", "Gi", "1.2.3", "1GB", "m"])
def test_quantities_rejected_with_the_field_path(value):
    message = quantity_error(value, "spec.resource_defaults.cpu_limit")
    assert message.startswith("spec.resource_defaults.cpu_limit: ")
    assert repr(value) in message


def test_cidrs():
    assert cidr_error("10.0.0.0/8", "p") is None
    assert cidr_error("2001:db8::/32", "p") is None
    assert cidr_error("10.0.0.1", "p[0]").startswith("p[0]: '10.0.0.1' is not a CIDR range")
    assert cidr_error("10.0.0.0/33", "p") is not None


def test_format_path():
    assert format_path("spec.pod", ["spec", "containers", 0, "name"]) == "spec.pod.spec.containers[0].name"
    assert format_path("", ["a"]) == "a"


def test_schema_errors_name_the_path_of_each_bad_field():
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"n": {"enum": [1]}}}}},
    }
    assert schema_errors({"items": [{"n": 1}]}, schema, "spec.x") == []
    assert schema_errors({"items": [{"n": 1}, {"n": 2}]}, schema, "spec.x") == [
        "spec.x.items[1].n: 2 is not one of [1]"
    ]
    assert schema_errors("text", schema, "spec.x") == ["spec.x: 'text' is not of type 'object'"]


FIELDS = (("description", "description"), ("labels", "labels"))


def make_module(check_mode=False, diff=False, **params):
    args = {"api_token": "t", "api_endpoint": "http://127.0.0.1:9", "_ansible_check_mode": check_mode}
    args["_ansible_diff"] = diff
    args.update(params)
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args(args):
        return SandboxModule({})


def test_missing_token_names_option_and_variable(run_module, monkeypatch):
    monkeypatch.delenv("COREWEAVE_API_TOKEN", raising=False)

    def main():
        SandboxModule({})

    failed, result = run_module(main, {"api_endpoint": "http://127.0.0.1:9"})
    assert failed
    assert "api_token" in result["msg"] and "COREWEAVE_API_TOKEN" in result["msg"]


def test_token_from_a_block_scalar_loses_its_newline():
    module = make_module(api_token="secret-token\n")
    assert module.params["api_token"] == "secret-token"
    assert module.client.session.headers["Authorization"] == "Bearer secret-token"
    assert "secret-token" in module.module.no_log_values


def test_token_with_inner_whitespace_fails_without_showing_it(run_module):
    def main():
        SandboxModule({})

    failed, result = run_module(main, {"api_endpoint": "http://127.0.0.1:9", "api_token": "secret part2"})
    assert failed
    assert "api_token" in result["msg"] and "spaces or control characters" in result["msg"]
    assert "part2" not in result["msg"]


@pytest.mark.parametrize("status, changed", [(400, False), (409, False), (500, True)])
def test_a_refused_write_is_not_a_change(run_module, status, changed):
    def main():
        module = SandboxModule({})

        def refuse(_desired):
            raise SandboxApiError("POST", "/profile-templates", "no", status=status)

        module.ensure_present(None, {"displayName": "b"}, FIELDS, refuse, refuse)

    failed, result = run_module(main, {"api_endpoint": "http://127.0.0.1:9", "api_token": "t"})
    assert failed
    assert result["changed"] is changed
    assert result["error"]["status"] == status


def test_ensure_present_check_mode_predicts_and_writes_nothing():
    module = make_module(check_mode=True, diff=True)
    current = {"id": "1", "displayName": "a", "description": "old", "labels": {"k": "v"}}

    def no_write(*args):
        pytest.fail("a write was attempted in check mode")

    predicted = module.ensure_present(current, {"description": "new"}, FIELDS, no_write, no_write)
    assert predicted["description"] == "new" and predicted["labels"] == {"k": "v"}
    assert module.result["changed"] is True
    assert module._diff == {"before": {"description": "old"}, "after": {"description": "new"}}

    created = module.ensure_present(None, {"displayName": "b", "labels": {"x": "y"}}, FIELDS, no_write, no_write)
    assert created == {"displayName": "b", "labels": {"x": "y"}}


def test_ensure_present_sends_mask_of_changed_fields_only():
    module = make_module()
    current = {"id": "1", "description": "same", "labels": {"k": "v"}}
    sent = []

    def update(body, mask):
        sent.append((body, mask))
        return dict(current, **body)

    result = module.ensure_present(current, {"description": "same", "labels": {"k": "w"}}, FIELDS, None, update)
    assert sent == [({"labels": {"k": "w"}}, "labels")]
    assert result["labels"] == {"k": "w"}

    module = make_module()
    assert module.ensure_present(current, {"description": "same"}, FIELDS, None, update) is current
    assert module.result["changed"] is False
    assert len(sent) == 1


def test_ensure_absent():
    module = make_module(check_mode=True)
    assert module.ensure_absent(None, lambda: pytest.fail("deleted")) is False
    assert module.result["changed"] is False
    assert module.ensure_absent({"id": "1"}, lambda: pytest.fail("deleted in check mode")) is True
    assert module.result["changed"] is True


@pytest.mark.parametrize(
    "value", ["default-cpu", "Prod East (managed)", "n" * 256, "ds-gpu-h100 \u00e9t\u00e9", "...", ".hidden", "a..b"]
)
def test_display_name_error_accepts_names(value):
    assert display_name_error(value) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", "display_name must not be empty"),
        ("   ", "display_name must not be empty"),
        ("n" * 257, "display_name must be at most 256 characters, got 257"),
        ("../managed-runners", "must not contain slashes or control characters"),
        ("two\nlines", "must not contain slashes or control characters"),
        ("bell\x07", "must not contain slashes or control characters"),
        (".", "display_name '.' cannot be used: a URL reads it as a relative path segment"),
        ("..", "display_name '..' cannot be used: a URL reads it as a relative path segment"),
    ],
)
def test_display_name_error_names_the_problem(value, expected):
    assert expected in display_name_error(value)


@pytest.mark.parametrize("value", ["prod-east-managed", "r1", "a" * 63, "0runner9"])
def test_runner_id_error_accepts_dns_labels(value):
    assert runner_id_error(value) is None


@pytest.mark.parametrize("value", ["", "Prod", "bad runner", "-lead", "trail-", "a" * 64, "r\u00e9sum\u00e9", "a/b"])
def test_runner_id_error_refuses_what_is_not_a_dns_label(value):
    message = runner_id_error(value)
    assert message.startswith("runner_id %r must be a lowercase DNS label" % value)


@pytest.mark.parametrize(
    "value, text",
    [("x", "x"), ("", ""), (True, "true"), (False, "false"), (1, "1"), (0, "0"), (-3, "-3"), (1.5, "1.5")],
)
def test_yaml_text_of_scalars(value, text):
    assert yaml_text(value) == text


@pytest.mark.parametrize("value", [None, [], ["a"], {}, {"b": 1}])
def test_yaml_text_of_what_is_no_scalar(value):
    assert yaml_text(value) is None


def test_string_map_converts_scalars_and_names_each_bad_key():
    value = {"a": "x", "b": True, "c": 2, "d": None, "e": [1], "f": {"g": 1}}
    converted, errors = string_map(value, "overrides.env")
    assert converted == {"a": "x", "b": "true", "c": "2"}
    assert errors == [
        'overrides.env.d: must be a string, a number or a boolean, got null (write "" for an empty string)',
        "overrides.env.e: must be a string, a number or a boolean, got a list",
        "overrides.env.f: must be a string, a number or a boolean, got a mapping",
    ]


def test_string_map_errors_walk_sub_options_and_list_elements():
    spec = {
        "labels": {"type": "dict"},
        "overrides": {"type": "dict", "options": {"env": {"type": "dict"}, "args": {"type": "list"}}},
        "profile_bindings": {
            "type": "list",
            "elements": "dict",
            "options": {"overrides": {"type": "dict", "options": {"node_selector": {"type": "dict"}}}},
        },
        "pod": {"type": "raw"},
    }
    params = {
        "labels": {"team": 1},
        "overrides": {"env": {"N": 1, "DEBUG": True}, "args": [1]},
        "profile_bindings": [{"overrides": None}, {"overrides": {"node_selector": {"zone": ["a"], "gpu": False}}}],
        "pod": {"labels": {"x": 1}},
    }
    errors = string_map_errors(spec, params)
    assert errors == [
        "profile_bindings[1].overrides.node_selector.zone: must be a string, a number or a boolean, got a list"
    ]
    assert params["labels"] == {"team": "1"}
    assert params["overrides"] == {"env": {"N": "1", "DEBUG": "true"}, "args": [1]}
    assert params["profile_bindings"][1]["overrides"]["node_selector"] == {"gpu": "false"}
    assert params["pod"] == {"labels": {"x": 1}}
