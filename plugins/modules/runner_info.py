#!/usr/bin/python
# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: runner_info
short_description: List CoreWeave Sandboxes managed runners with their status and profile bindings
version_added: 0.1.0
description:
  - Reads every managed runner of the organization, following all pages, or one runner by O(runner_id).
  - Optional filters narrow the list by zone, cluster and connection status.
  - Each binding shows the display name of its profile template.
  - Needs only a token with C(SANDBOX_USER); never changes anything.
author:
  - coreweave.sandbox contributors (@coreweave)
extends_documentation_fragment:
  - coreweave.sandbox.api
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so it has no diff.
  action_group:
    support: full
    description: Takes the API options from C(module_defaults) of the group.
    membership:
      - coreweave.sandbox.all
options:
  runner_id:
    description:
      - Read only this runner, by its O(runner_id) or server UUID. The result is empty when it does not exist.
    type: str
  zone:
    description:
      - Only runners in this zone, compared without regard to case.
    type: str
  cluster_name:
    description:
      - Only the runner of this cluster.
    type: str
  connection_status:
    description:
      - Only runners that are V(connected) or V(disconnected).
      - A runner still installing has no connection status yet and matches neither.
    type: str
    choices: [connected, disconnected]
notes:
  - Connection status follows heartbeats with a delay of up to about 30 seconds.
  - The API's list of runners may be keyed C(runners) or C(managedRunners); both are read.
seealso:
  - module: coreweave.sandbox.managed_runner
"""

EXAMPLES = r"""
- name: Inspect sandbox runners
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/coreweave.sandbox.all:
      api_token: "{{ coreweave_api_token }}"
  tasks:
    - name: List every runner
      coreweave.sandbox.runner_info:
      register: all_runners

    - name: Find runners in one zone that lost their connection
      coreweave.sandbox.runner_info:
        zone: us-east-04a
        connection_status: disconnected
      register: lost

    - name: Fail when a runner is disconnected
      ansible.builtin.assert:
        that: lost.runners | length == 0
        fail_msg: "Disconnected: {{ lost.runners | map(attribute='identity.runner_id') | join(', ') }}"

    - name: Read one runner
      coreweave.sandbox.runner_info:
        runner_id: prod-east-managed
      register: one

    - name: Show the default profile of that runner
      ansible.builtin.debug:
        msg: "{{ one.runners[0].profile_bindings | selectattr('is_default') | map(attribute='profile') | first }}"
"""

RETURN = r"""
runners:
  description:
    - The runners found, in option form (snake_case keys), in the order the API lists them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Server-assigned UUID of the runner.
      type: str
      sample: 0b8d5c2e-6a1f-4f7e-9c3d-2a4b6c8d0e1f
    display_name:
      description: Human-readable name.
      type: str
      sample: Prod East (managed)
    identity:
      description: C(runner_id), C(zone), C(cluster_id), C(cluster_name) and C(runner_group_id) of the runner.
      type: dict
      sample: {"runner_id": "prod-east-managed", "zone": "US-EAST-04A", "cluster_name": "prod-east"}
    managed_spec:
      description: Managed settings; C(release_channel) is V(stable) or V(rapid).
      type: dict
      sample: {"release_channel": "stable", "enforce_resource_limits": true}
    profile_bindings:
      description: The runner's profile bindings.
      type: list
      elements: dict
      contains:
        profile_template_id:
          description: UUID of the bound template.
          type: str
          sample: 6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
        profile:
          description: Display name of the bound template; null when the template cannot be found.
          type: str
          sample: default-cpu
        profile_name:
          description: Name the profile is offered under, when set.
          type: str
          sample: agents
        is_default:
          description: Whether this is the default profile.
          type: bool
          sample: true
        overrides:
          description: The binding's spec fragment, decoded.
          type: dict
          sample: {"resource_defaults": {"memory_limit": "64Gi"}}
    install_status:
      description: Install state.
      type: str
      sample: RUNNER_INSTALL_STATUS_READY
    install_error:
      description: Why the install failed, with C(reason), C(message), C(diagnostic_detail), C(remediation_hints).
      type: dict
      returned: when the install failed
    connection_status:
      description: Whether the runner heartbeats the control plane; absent while it installs.
      type: str
      sample: RUNNER_CONNECTION_STATUS_CONNECTED
    last_heartbeat_at:
      description: Time of the last heartbeat.
      type: str
      sample: "2026-03-01T12:00:00Z"
    update_available:
      description: Whether a newer runner version exists on the release channel.
      type: bool
      returned: when true
    active_revision:
      description: Revision that runs.
      type: int
      sample: 1
    target_revision:
      description: Revision being rolled out.
      type: int
      sample: 1
"""

from ansible_collections.coreweave.sandbox.plugins.module_utils.module import SandboxModule, runner_id_error
from ansible_collections.coreweave.sandbox.plugins.module_utils.runner import (
    BINDINGS_PATH,
    TemplateNames,
    filter_runners,
    list_runners,
    runner_route,
    runner_to_user,
)


def argument_spec():
    return {
        "runner_id": {"type": "str"},
        "zone": {"type": "str"},
        "cluster_name": {"type": "str"},
        "connection_status": {"type": "str", "choices": ["connected", "disconnected"]},
    }


def main():
    module = SandboxModule(argument_spec())
    params = module.params
    client = module.client

    if params["runner_id"] is not None:
        module.fail_invalid([runner_id_error(params["runner_id"])])
        found = module.call(client.get_or_none, runner_route(params["runner_id"]))
        runners = [found] if found is not None else []
    else:
        runners = module.call(list_runners, client)

    runners = filter_runners(runners, params["zone"], params["cluster_name"], params["connection_status"])

    names = {}
    if any(runner.get(BINDINGS_PATH) for runner in runners):
        names = module.call(TemplateNames(client).names)
    module.exit(runners=[runner_to_user(runner, names) for runner in runners])


if __name__ == "__main__":
    main()
