#!/usr/bin/python
# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: profile_template_info
short_description: List CoreWeave Sandboxes profile templates or read one
version_added: 0.1.0
description:
  - Read the profile templates of the organization the token belongs to.
  - Without O(display_name) or O(id), returns every template, reading every page of the list.
  - Needs only a token whose user holds C(SANDBOX_USER).
author:
  - coreweave.sandbox contributors (@coreweave)
extends_documentation_fragment:
  - coreweave.sandbox.api
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs unchanged in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to show.
  platform:
    support: full
    platforms: all
    description: The module talks to the API over HTTPS from the host it runs on.
  action_group:
    support: full
    membership:
      - coreweave.sandbox.all
    description: Use C(group/coreweave.sandbox.all) in C(module_defaults) to set the API options once.
options:
  display_name:
    description:
      - Return only the template of that name.
      - When there is none, RV(profile_templates) is empty; this is not a failure.
      - Mutually exclusive with O(id).
    type: str
  id:
    description:
      - Return only the template with that server-assigned identifier.
      - When there is none, RV(profile_templates) is empty; this is not a failure.
      - Mutually exclusive with O(display_name).
    type: str
  labels:
    description:
      - Return only templates carrying every one of these labels with the same value.
      - A boolean or number value is compared as the text YAML writes for it (V(true) as V("true")); a null, list
        or mapping value is refused.
    type: dict
seealso:
  - module: coreweave.sandbox.profile_template
    description: Create, update and delete profile templates.
"""

EXAMPLES = r"""
- name: Read profile templates
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/coreweave.sandbox.all:
      api_token: "{{ lookup('ansible.builtin.env', 'COREWEAVE_API_TOKEN') }}"
  tasks:
    - name: Every template of the organization
      coreweave.sandbox.profile_template_info:
      register: all_templates

    - name: One template by name
      coreweave.sandbox.profile_template_info:
        display_name: default-cpu
      register: default_cpu

    - name: Fail when the template is missing
      ansible.builtin.assert:
        that: default_cpu.profile_templates | length == 1

    - name: The templates of one team
      coreweave.sandbox.profile_template_info:
        labels:
          team: platform
      register: platform_templates

    - name: Their names
      ansible.builtin.debug:
        msg: "{{ platform_templates.profile_templates | map(attribute='display_name') | list }}"
"""

RETURN = r"""
profile_templates:
  description:
    - The templates found, in the collection's form (snake_case keys, the JSON blocks decoded).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Server-assigned identifier of the template.
      returned: always
      type: str
      sample: 7d7f8f3e-2f0b-4a4e-9a53-2f7bb2c1f0aa
    display_name:
      description: Name of the template.
      returned: always
      type: str
      sample: default-cpu
    description:
      description: Description of the template, V("") when it has none.
      returned: always
      type: str
      sample: Default CPU profile for CI sandboxes
    labels:
      description: Labels of the template, V({}) when it has none.
      returned: always
      type: dict
      sample: {"team": "platform", "env": "prod"}
    organization_id:
      description: Organization the template belongs to.
      returned: always
      type: str
      sample: org-example
    created_at:
      description: When the template was created (RFC 3339).
      returned: always
      type: str
      sample: "2026-01-15T09:30:00Z"
    updated_at:
      description: When the template last changed (RFC 3339).
      returned: always
      type: str
      sample: "2026-01-16T10:00:00Z"
    spec:
      description:
        - The profile specification, with C(namespace), C(network) and C(pod) decoded from the API's
          C(namespaceConfigJson), C(networkConfigJson) and C(podTemplateJson).
        - Fields the API leaves empty are not returned.
      returned: always
      type: dict
      sample:
        container_image: ghcr.io/example-org/sandbox-runtime:v1
        runtime_class: kata-qemu
        instance_types: [cpu.small, cpu.medium]
        network: {egress: {default: none, modes: {none: {type: none}}}}
"""

from ansible_collections.coreweave.sandbox.plugins.module_utils.module import SandboxModule
from ansible_collections.coreweave.sandbox.plugins.module_utils.profile_spec import (
    TEMPLATE_LIST_KEY,
    TEMPLATES_ROUTE,
    user_template,
)


def argument_spec():
    return {
        "display_name": {"type": "str"},
        "id": {"type": "str"},
        "labels": {"type": "dict"},
    }


def has_labels(template, labels):
    current = template.get("labels") or {}
    return all(key in current and current[key] == value for key, value in labels.items())


def main():
    module = SandboxModule(argument_spec(), mutually_exclusive=[("display_name", "id")])
    params = module.params
    client = module.client

    if params["id"] is not None:
        found = module.call(client.find, TEMPLATES_ROUTE, TEMPLATE_LIST_KEY, "id", params["id"])
        templates = [found] if found else []
    elif params["display_name"] is not None:
        found = module.call(client.find, TEMPLATES_ROUTE, TEMPLATE_LIST_KEY, "displayName", params["display_name"])
        templates = [found] if found else []
    else:
        templates = module.call(client.list_all, TEMPLATES_ROUTE, TEMPLATE_LIST_KEY)

    if params["labels"]:
        templates = [template for template in templates if has_labels(template, params["labels"])]
    module.exit(profile_templates=[user_template(template) for template in templates])


if __name__ == "__main__":
    main()
