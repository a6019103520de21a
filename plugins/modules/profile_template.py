#!/usr/bin/python
# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: profile_template
short_description: Manage CoreWeave Sandboxes profile templates
version_added: 0.1.0
description:
  - Create, update and delete profile templates of the CoreWeave Sandboxes control plane.
  - A profile template describes the sandboxes a runner starts for it (image, runtime class, resources, namespace,
    network and pod settings). Runners use a template through their profile bindings.
  - The template is found by its O(display_name), unique in the organization.
  - Only the fields the task sets are managed. An update sends exactly the fields that differ, named in the
    update mask; a task that changes nothing sends no write.
author:
  - coreweave.sandbox contributors (@coreweave)
extends_documentation_fragment:
  - coreweave.sandbox.api
requirements:
  - jsonschema >= 4.0 (to check the C(namespace), C(network) and C(pod) blocks of C(spec))
attributes:
  check_mode:
    support: full
    description: Runs the same lookups and comparison, sends no write, and returns the predicted template.
  diff_mode:
    support: full
    description: Shows the managed fields (O(description), O(labels), O(spec)) before and after.
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
      - Name of the template, unique in the organization. It identifies the template.
      - It cannot change; see the notes about renaming.
    type: str
    required: true
  description:
    description:
      - Free text describing the template.
      - Not managed when not set; V("") clears it.
    type: str
  labels:
    description:
      - Labels of the template, a mapping of strings to strings.
      - A boolean or number value is sent as the text YAML writes for it (V(true) as V("true"), V(2) as V("2"));
        a null, list or mapping value is refused.
      - Not managed when not set. With O(purge_labels=true), V({}) removes every label.
    type: dict
  purge_labels:
    description:
      - Whether labels of the template that O(labels) does not name are removed.
      - With V(false), the labels become the current ones merged with O(labels), values of O(labels) winning.
      - Has no effect when O(labels) is not set.
    type: bool
    default: true
  spec:
    description:
      - The profile specification, which every sandbox started from this template inherits.
      - When set, it is the whole desired specification; a field it leaves out is cleared, as the API replaces
        the specification whole.
      - When not set, the specification is not managed. A template created without it gets an empty one,
        meaning every field comes from the runner's zone defaults.
      - The whole specification is checked before any request is sent; a failure names the path of the bad
        field, for example C(spec.network.egress.modes.allowlist.type).
    type: dict
    suboptions:
      container_image:
        description:
          - Container image of the sandbox, for example V(ghcr.io/example-org/sandbox-runtime:v1).
        type: str
      runtime_class:
        description:
          - Kubernetes runtime class of the sandbox pods, for example V(kata-qemu) or V(gvisor).
        type: str
      resource_defaults:
        description:
          - Default resource requests and limits of a sandbox, as Kubernetes quantities.
        type: dict
        suboptions:
          cpu_request:
            description:
              - CPU request, for example V(500m) or V(2).
            type: str
          memory_request:
            description:
              - Memory request, for example V(1Gi).
            type: str
          cpu_limit:
            description:
              - CPU limit.
            type: str
          memory_limit:
            description:
              - Memory limit.
            type: str
      instance_types:
        description:
          - Instance types the sandboxes may run on, for example V(cpu.small) or V(h100).
          - Order does not matter.
        type: list
        elements: str
      node_selector:
        description:
          - Kubernetes node selector of the sandbox pods, a mapping of strings to strings.
          - Values are taken as in O(labels).
        type: dict
      tags:
        description:
          - Free-form tags. Order does not matter.
        type: list
        elements: str
      namespace:
        description:
          - Namespace configuration, a mapping; sent to the API as C(namespaceConfigJson).
          - C(strategy) is one of V(per-user), V(per-org), V(per-profile) or V(static); C(namespacePrefix) is a
            string.
          - Compared as data, so key order never makes a change.
        type: raw
      network:
        description:
          - Network configuration, a mapping; sent to the API as C(networkConfigJson).
          - C(egress.modes) maps a mode name to C({type, cidrs}); C(type) is one of V(none), V(internet) or
            V(allowlist), and an V(allowlist) mode needs C(cidrs), a list of CIDR ranges.
          - C(egress.default) names one of the modes; without C(egress.modes) it must be V(none) or V(internet).
          - Compared as data, so key order never makes a change.
        type: raw
      pod:
        description:
          - A partial Kubernetes pod template applied to the sandbox pods, a mapping; sent to the API as
            C(podTemplateJson).
          - Compared as data, so key order never makes a change.
        type: raw
  state:
    description:
      - V(present) creates the template or brings its managed fields to the given values.
      - V(absent) deletes it. Deleting a template that a runner still binds fails with the API's message naming
        the runners; remove the bindings first.
    type: str
    choices: [present, absent]
    default: present
notes:
  - A template cannot be renamed. O(display_name) is how the module finds the template, so a task with another
    name manages another template; to rename, create the template under the new name, move the runner bindings
    to it, then delete the old one.
  - Creating and deleting templates needs a token whose user holds C(SANDBOX_ADMIN).
seealso:
  - module: coreweave.sandbox.profile_template_info
    description: List profile templates or read one.
"""

EXAMPLES = r"""
- name: Manage profile templates against the API
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/coreweave.sandbox.all:
      api_token: "{{ lookup('ansible.builtin.env', 'COREWEAVE_API_TOKEN') }}"
  tasks:
    - name: Create or update a CPU profile for CI sandboxes
      coreweave.sandbox.profile_template:
        display_name: default-cpu
        description: Default CPU profile for CI sandboxes
        labels:
          team: platform
          env: prod
        spec:
          container_image: ghcr.io/example-org/sandbox-runtime:v1
          runtime_class: kata-qemu
          resource_defaults:
            cpu_request: 500m
            memory_request: 1Gi
            cpu_limit: "2"
            memory_limit: 4Gi
          instance_types: [cpu.small, cpu.medium]
          node_selector:
            workload-class: general
          tags: [ci]

    - name: A profile whose sandboxes may only reach allow-listed ranges
      coreweave.sandbox.profile_template:
        display_name: agent-allowlist
        spec:
          runtime_class: kata-qemu
          namespace:
            strategy: per-user
            namespacePrefix: agent-
          network:
            egress:
              default: allowlist
              modes:
                allowlist:
                  type: allowlist
                  cidrs: [140.82.112.0/20]

    - name: Add a label, keeping the labels set elsewhere; the specification is left alone
      coreweave.sandbox.profile_template:
        display_name: default-cpu
        labels:
          owner: ci-team
        purge_labels: false

    - name: Preview a change without sending it
      coreweave.sandbox.profile_template:
        display_name: default-cpu
        description: Default CPU profile, larger limits
      check_mode: true
      diff: true
      register: preview

    - name: Delete a template that no runner binds any more
      coreweave.sandbox.profile_template:
        display_name: agent-allowlist
        state: absent
"""

RETURN = r"""
profile_template:
  description:
    - The template after the task, in the collection's form (snake_case keys, the JSON blocks decoded).
    - In check mode, the predicted template; a template that would be created has no RV(profile_template.id) yet.
    - With O(state=absent), the deleted template as it was last read, or V({}) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Server-assigned identifier of the template.
      returned: when the template exists
      type: str
      sample: 7d7f8f3e-2f0b-4a4e-9a53-2f7bb2c1f0aa
    display_name:
      description: Name of the template.
      returned: when the template exists or would be created
      type: str
      sample: default-cpu
    description:
      description: Description of the template.
      returned: when the template exists or would be created
      type: str
      sample: Default CPU profile for CI sandboxes
    labels:
      description: Labels of the template.
      returned: when the template exists or would be created
      type: dict
      sample: {"team": "platform", "env": "prod"}
    organization_id:
      description: Organization the template belongs to.
      returned: when the template exists
      type: str
      sample: org-example
    created_at:
      description: When the template was created (RFC 3339).
      returned: when the template exists
      type: str
      sample: "2026-01-15T09:30:00Z"
    updated_at:
      description: When the template last changed (RFC 3339).
      returned: when the template exists
      type: str
      sample: "2026-01-16T10:00:00Z"
    spec:
      description:
        - The profile specification, with O(spec.namespace), O(spec.network) and O(spec.pod) decoded.
        - Fields the API leaves empty are not returned.
      returned: when the template exists or would be created
      type: dict
      sample:
        container_image: ghcr.io/example-org/sandbox-runtime:v1
        runtime_class: kata-qemu
        resource_defaults: {cpu_request: 500m, memory_request: 1Gi, cpu_limit: "2", memory_limit: 4Gi}
        instance_types: [cpu.small, cpu.medium]
        node_selector: {workload-class: general}
        tags: [ci]
        namespace: {strategy: per-user, namespacePrefix: ci-}
"""

from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import Rules, to_wire
from ansible_collections.coreweave.sandbox.plugins.module_utils.module import SandboxModule, display_name_error
from ansible_collections.coreweave.sandbox.plugins.module_utils.profile_spec import (
    TEMPLATE_LIST_KEY,
    TEMPLATES_ROUTE,
    needs_jsonschema,
    spec_errors,
    spec_options,
    user_template,
)

# What the module manages: (update-mask path, wire path). Each is replaced whole by the API.
FIELDS = (
    ("description", "description"),
    ("labels", "labels"),
    ("spec", "spec"),
)
RULES = Rules(unordered=("spec.instanceTypes", "spec.tags"))


def argument_spec():
    return {
        "display_name": {"type": "str", "required": True},
        "description": {"type": "str"},
        "labels": {"type": "dict"},
        "purge_labels": {"type": "bool", "default": True},
        "spec": {"type": "dict", "options": spec_options()},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }


def desired_template(params, current):
    """The wire form of what the task asks; only the options it sets are present."""
    desired = {"displayName": params["display_name"]}
    if params["description"] is not None:
        desired["description"] = params["description"]
    if params["labels"] is not None:
        labels = dict(params["labels"])
        if not params["purge_labels"] and current:
            labels = dict(current.get("labels") or {}, **labels)
        desired["labels"] = labels
    if params["spec"] is not None:
        desired["spec"] = to_wire(params["spec"])
    return desired


def main():
    module = SandboxModule(argument_spec())
    params = module.params

    errors = [display_name_error(params["display_name"])]
    if params["spec"] is not None:
        if needs_jsonschema(params["spec"]):
            module.require_jsonschema()
        errors.extend(spec_errors(params["spec"]))
    module.fail_invalid(errors)

    client = module.client
    name = params["display_name"]

    def lookup():
        return client.find(TEMPLATES_ROUTE, TEMPLATE_LIST_KEY, "displayName", name)

    current = module.call(lookup)

    if params["state"] == "absent":
        module.ensure_absent(current, lambda: client.delete(TEMPLATES_ROUTE + "/" + current["id"]), FIELDS)
        module.exit(profile_template=user_template(current))

    desired = desired_template(params, current)

    def create(template):
        template = dict(template)
        template.setdefault("spec", {})
        return client.post(TEMPLATES_ROUTE, {"profileTemplate": template}, recover=lookup)

    def update(body, mask):
        return client.patch(TEMPLATES_ROUTE + "/" + current["id"], {"profileTemplate": body, "update_mask": mask})

    result = module.ensure_present(current, desired, FIELDS, create, update, RULES)
    module.exit(profile_template=user_template(result))


if __name__ == "__main__":
    main()
