#!/usr/bin/python
# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: managed_runner
short_description: Create, update and delete CoreWeave Sandboxes managed runners and their profile bindings
version_added: 0.1.0
description:
  - Installs a managed runner into a CoreWeave Kubernetes cluster, keeps its settings and profile bindings as
    declared, applies pending runner updates, and removes it.
  - The runner is found by its O(runner_id). Updates send only the fields that differ, under the finest update
    mask paths that apply.
  - Profile bindings say which profile templates the runner offers; exactly one of them is the default.
author:
  - coreweave.sandbox contributors (@coreweave)
extends_documentation_fragment:
  - coreweave.sandbox.api
  - coreweave.sandbox.wait
requirements:
  - jsonschema >= 4.0 (to check the C(namespace), C(network) and C(pod) blocks of C(profile_bindings[].overrides))
attributes:
  check_mode:
    support: full
    description: Reports what would change and predicts the resulting runner, without writing anything.
  diff_mode:
    support: full
    description: Shows the managed fields before and after, in option form.
  action_group:
    support: full
    description: Takes the API options from C(module_defaults) of the group.
    membership:
      - coreweave.sandbox.all
options:
  runner_id:
    description:
      - The operator's identifier of the runner, unique in the organization; the key the runner is found by.
      - A lowercase DNS label. It cannot change.
    type: str
    required: true
  state:
    description:
      - V(present) creates the runner or updates it to match the options given.
      - V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  display_name:
    description:
      - Human-readable name of the runner.
    type: str
  zone:
    description:
      - CoreWeave zone of the runner, for example V(US-EAST-04A). Required to create a runner.
      - Compared without regard to case.
    type: str
  cluster_id:
    description:
      - UUID of the cluster to install the runner into.
      - Exactly one of O(cluster_id) and O(cluster_name) is needed to create a runner; the API fills in the other.
      - Cannot change once the runner exists; a task that asks for another cluster fails and changes nothing.
    type: str
  cluster_name:
    description:
      - Name of the cluster to install the runner into.
      - Mutually exclusive with O(cluster_id). Cannot change once the runner exists.
    type: str
  runner_group_id:
    description:
      - Identifier of the runner group the runner belongs to.
    type: str
  release_channel:
    description:
      - The channel runner versions come from. The API uses V(stable) when it is not set.
    type: str
    choices: [stable, rapid]
  maintenance_policy:
    description:
      - When the platform may roll out runner updates. Replaced whole when given.
    type: dict
    suboptions:
      windows:
        description:
          - Recurring windows in which updates may happen.
        type: list
        elements: dict
        suboptions:
          cron:
            description:
              - Start of the window, as a five-field cron expression (minute, hour, day of month, month, day of week),
                for example V(0 2 * * SAT). Checked before anything is sent.
            type: str
            required: true
          duration_seconds:
            description:
              - Length of the window in seconds, greater than zero.
            type: int
            required: true
      exclusions:
        description:
          - Periods in which no update may happen, even inside a window.
        type: list
        elements: dict
        suboptions:
          start_time:
            description:
              - Start, as an RFC 3339 timestamp such as V(2026-12-24T00:00:00Z). Compared as an instant, so any
                time zone offset may be used.
            type: str
            required: true
          end_time:
            description:
              - End, as an RFC 3339 timestamp after O(maintenance_policy.exclusions[].start_time).
            type: str
            required: true
          reason:
            description:
              - Why updates are excluded.
            type: str
  overrides:
    description:
      - Overrides of the runner pod's deployment; what is not set here comes from platform defaults.
      - Replaced whole when given.
    type: dict
    suboptions:
      node_selector:
        description:
          - Node labels the runner pod must be scheduled on.
          - In this map and the other maps of O(overrides), a boolean or number value is sent as the text YAML writes
            for it (V(true) as V("true"), V(2) as V("2")); a null, list or mapping value is refused.
        type: dict
      tolerations:
        description:
          - Kubernetes tolerations of the runner pod. Their order does not matter.
        type: list
        elements: dict
        suboptions:
          key:
            description:
              - Taint key the toleration matches.
              - Empty matches every key when O(overrides.tolerations[].operator=Exists).
            type: str
          operator:
            description: How the key and value are matched.
            type: str
            choices: [Equal, Exists]
          value:
            description: Taint value to match; must be empty with V(Exists).
            type: str
          effect:
            description: Taint effect to match; empty matches all effects.
            type: str
            choices: [NoSchedule, PreferNoSchedule, NoExecute]
      resources:
        description:
          - Resource requests and limits of the runner pod, as Kubernetes quantities.
        type: dict
        suboptions:
          cpu_request:
            description: CPU request, for example V(500m).
            type: str
          memory_request:
            description: Memory request, for example V(1Gi).
            type: str
          cpu_limit:
            description: CPU limit.
            type: str
          memory_limit:
            description: Memory limit.
            type: str
      annotations:
        description:
          - Annotations added to the runner pod.
        type: dict
      labels:
        description:
          - Labels added to the runner pod.
        type: dict
      env:
        description:
          - Environment variables of the runner container.
        type: dict
      args:
        description:
          - Extra command line arguments of the runner container, in order.
        type: list
        elements: str
      scaling:
        description:
          - How many runner pods run.
        type: dict
        suboptions:
          replicas:
            description: Fixed number of replicas when autoscaling is off.
            type: int
          autoscaling_enabled:
            description: Whether the number of replicas follows the load.
            type: bool
          min_replicas:
            description: Fewest replicas when autoscaling.
            type: int
          max_replicas:
            description: Most replicas when autoscaling.
            type: int
      cpu_runtime_class:
        description:
          - Kubernetes runtime class of CPU sandboxes, for example V(kata-qemu).
        type: str
      gpu_runtime_class:
        description:
          - Kubernetes runtime class of GPU sandboxes.
        type: str
  enforce_resource_limits:
    description:
      - Whether sandboxes must stay within their profile's resource limits.
    type: bool
  allow_privileged_profile_annotations:
    description:
      - Whether profiles may set privileged pod annotations.
    type: bool
  profile_bindings:
    description:
      - The profile templates the runner offers.
      - With O(purge_profile_bindings=true) this is the whole list; with V(false) the bindings listed are added or
        updated and the others kept.
      - Before anything is sent the resulting list is checked for at least one binding, exactly one default, no
        template twice, and every named template existing. A failed check names the entries at fault.
      - The organization's template list is read once per task, to resolve display names to template ids and to
        check that every template named exists, whether named by display name or by UUID.
      - Order does not matter.
    type: list
    elements: dict
    suboptions:
      profile:
        description:
          - The profile template, by display name or UUID.
          - The template list is read once, to resolve display names and to check that every template named, UUIDs
            included, exists; a reference that names no template fails the task before anything is sent.
        type: str
        required: true
      profile_name:
        description:
          - Name the profile is offered under on this runner; empty means the template's display name.
        type: str
      default:
        description:
          - Whether this is the runner's default profile.
          - An entry marked V(true) takes the default from every other binding.
          - When not set, a new binding is not the default; with O(purge_profile_bindings=false) an existing binding
            keeps its flag.
        type: bool
      overrides:
        description:
          - A fragment of a profile template spec that applies to this runner only, in the same form as the
            C(spec) of a profile template (snake_case keys, V(namespace), V(network) and V(pod) as nested objects).
          - Only the fields set are sent. V({}) means no overrides.
          - Checked like a template's C(spec) before anything is sent; a failure names the entry and the path of the
            bad field, for example C(profile_bindings[1].overrides.resource_defaults.memory_limit).
          - Compared as JSON, so key order and formatting do not matter; nor does the order of
            O(profile_bindings[].overrides.instance_types) and O(profile_bindings[].overrides.tags).
        type: dict
        suboptions:
          container_image:
            description:
              - Container image of the sandbox.
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
                description: CPU request, for example V(500m) or V(2).
                type: str
              memory_request:
                description: Memory request, for example V(1Gi).
                type: str
              cpu_limit:
                description: CPU limit.
                type: str
              memory_limit:
                description: Memory limit.
                type: str
          instance_types:
            description:
              - Instance types the sandboxes may run on. Order does not matter.
            type: list
            elements: str
          node_selector:
            description:
              - Kubernetes node selector of the sandbox pods, a mapping of strings to strings.
              - A boolean or number value is sent as the text YAML writes for it; a null, list or mapping value is
                refused.
            type: dict
          tags:
            description:
              - Free-form tags. Order does not matter.
            type: list
            elements: str
          namespace:
            description:
              - Namespace configuration, a mapping with C(strategy) (V(per-user), V(per-org), V(per-profile) or
                V(static)) and C(namespacePrefix).
            type: raw
          network:
            description:
              - Network configuration, a mapping; C(egress.modes) maps a mode name to C({type, cidrs}) and
                C(egress.default) names one of the modes, as in a template's C(spec.network).
            type: raw
          pod:
            description:
              - A partial Kubernetes pod template applied to the sandbox pods, a mapping.
            type: raw
  purge_profile_bindings:
    description:
      - Whether O(profile_bindings) is the complete list (bindings not listed are removed).
      - With V(false) the module sends the merged list, reads the runner again and fails if another writer changed
        the bindings meanwhile.
    type: bool
    default: true
  apply_update:
    description:
      - Whether to apply a pending runner update.
      - The update is applied only when the API reports one as available; otherwise nothing changes.
      - With O(wait=true) the task then waits until the runner is READY and CONNECTED again.
    type: bool
    default: false
notes:
  - O(runner_id), O(cluster_id) and O(cluster_name) cannot change once the runner exists. To move a runner to another
    cluster, delete it and create it again.
  - Connection status follows heartbeats with a delay of up to about 30 seconds, so a runner may show CONNECTED for a
    while after it stopped heartbeating.
  - The API has no version check for concurrent writes. When the module writes profile bindings it reads the runner
    again and fails if the list differs from what it sent, so that a change by someone else is never lost silently;
    run the task again to merge with the other change.
  - Profile binding overrides are sent as JSON text; the text differs from the API's only in formatting.
seealso:
  - module: coreweave.sandbox.runner_info
  - name: CoreWeave Sandboxes documentation
    description: Managed runners, profiles and bindings.
    link: https://docs.coreweave.com/
"""

EXAMPLES = r"""
- name: Manage sandbox runners
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/coreweave.sandbox.all:
      api_token: "{{ coreweave_api_token }}"
  tasks:
    - name: Create a runner with three profiles, waiting until it is ready
      coreweave.sandbox.managed_runner:
        runner_id: prod-east-managed
        display_name: Prod East (managed)
        zone: US-EAST-04A
        cluster_name: prod-east
        release_channel: stable
        enforce_resource_limits: true
        maintenance_policy:
          windows:
            - cron: "0 2 * * SAT"
              duration_seconds: 7200
          exclusions:
            - start_time: "2026-12-24T00:00:00Z"
              end_time: "2026-12-26T00:00:00Z"
              reason: Holiday freeze
        overrides:
          node_selector:
            workload-class: general
          resources:
            cpu_request: "2"
            memory_request: 4Gi
          scaling:
            autoscaling_enabled: true
            min_replicas: 1
            max_replicas: 5
        profile_bindings:
          - profile: default-cpu
            default: true
          - profile: ds-gpu-h100
            overrides:
              resource_defaults:
                memory_limit: 64Gi
          - profile: agent-allowlist
            profile_name: agents

    - name: See what moving the default profile would change
      coreweave.sandbox.managed_runner:
        runner_id: prod-east-managed
        profile_bindings:
          - profile: ds-gpu-h100
            default: true
        purge_profile_bindings: false
      check_mode: true
      diff: true
      register: preview

    - name: Move the default profile, keeping the other bindings
      coreweave.sandbox.managed_runner:
        runner_id: prod-east-managed
        profile_bindings:
          - profile: ds-gpu-h100
            default: true
        purge_profile_bindings: false

    - name: Switch to the rapid channel and apply a pending update
      coreweave.sandbox.managed_runner:
        runner_id: prod-east-managed
        release_channel: rapid
        apply_update: true
        wait_timeout: 900

    - name: Delete the runner and wait until it is gone
      coreweave.sandbox.managed_runner:
        runner_id: prod-east-managed
        state: absent
"""

RETURN = r"""
runner:
  description:
    - The runner after the task, in option form (snake_case keys); in check mode, the predicted runner.
    - Empty when the runner is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Server-assigned UUID of the runner.
      type: str
      returned: success
      sample: 0b8d5c2e-6a1f-4f7e-9c3d-2a4b6c8d0e1f
    display_name:
      description: Human-readable name.
      type: str
      returned: success
      sample: Prod East (managed)
    identity:
      description: Where the runner lives.
      type: dict
      returned: success
      contains:
        runner_id:
          description: The operator's identifier.
          type: str
          sample: prod-east-managed
        zone:
          description: CoreWeave zone.
          type: str
          sample: US-EAST-04A
        cluster_id:
          description: UUID of the cluster.
          type: str
          sample: 3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a01
        cluster_name:
          description: Name of the cluster.
          type: str
          sample: prod-east
        runner_group_id:
          description: Runner group, when set.
          type: str
          sample: group-a
    managed_spec:
      description:
        - The runner's managed settings; C(release_channel) is V(stable) or V(rapid), the other keys follow the options
          of the same names.
      type: dict
      returned: success
      sample:
        release_channel: stable
        enforce_resource_limits: true
        maintenance_policy:
          windows:
            - cron: 0 2 * * SAT
              duration_seconds: 7200
    profile_bindings:
      description: The runner's profile bindings.
      type: list
      elements: dict
      returned: success
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
      returned: success
      sample: RUNNER_INSTALL_STATUS_READY
    install_error:
      description: Why the install failed, with C(reason), C(message), C(diagnostic_detail), C(remediation_hints).
      type: dict
      returned: when the install failed
    connection_status:
      description: Whether the runner heartbeats the control plane.
      type: str
      returned: success
      sample: RUNNER_CONNECTION_STATUS_CONNECTED
    last_heartbeat_at:
      description: Time of the last heartbeat.
      type: str
      returned: success
      sample: "2026-03-01T12:00:00Z"
    update_available:
      description: Whether a newer runner version exists on the release channel.
      type: bool
      returned: when true
    active_revision:
      description: Revision that runs.
      type: int
      returned: success
      sample: 1
    target_revision:
      description: Revision being rolled out.
      type: int
      returned: success
      sample: 2
    deployment_spec:
      description: The resolved deployment, overrides plus platform defaults.
      type: dict
      returned: success
duration:
  description: Seconds spent waiting for the runner to settle; V(0) when nothing was waited for.
  returned: always
  type: float
  sample: 42.5
"""

from ansible_collections.coreweave.sandbox.plugins.module_utils.client import SandboxApiError
from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import Rules, to_user
from ansible_collections.coreweave.sandbox.plugins.module_utils.module import (
    SandboxModule,
    quantity_error,
    runner_id_error,
)
from ansible_collections.coreweave.sandbox.plugins.module_utils.profile_spec import (
    binding_overrides_errors,
    spec_options,
)
from ansible_collections.coreweave.sandbox.plugins.module_utils.runner import (
    BINDINGS_PATH,
    DISCONNECTED,
    FAILED,
    READY,
    RUNNERS_ROUTE,
    RunnerError,
    TemplateNames,
    apply_pending_update,
    binding_list_problems,
    compute_bindings,
    create_request,
    desired_runner,
    diff_in_option_form,
    immutable_problems,
    install_failure_message,
    install_in_progress,
    maintenance_policy_problems,
    predict_update,
    requested_binding_problems,
    runner_route,
    runner_to_user,
    runner_update_request,
    same_bindings,
    wait_until_gone,
    wait_until_ready,
)

# The managed fields: (update mask path, wire path). The two booleans have no mask path of their own and are
# sent through "managed_spec" with the whole merged spec.
FIELDS = (
    ("display_name", "displayName"),
    ("identity.zone", "identity.zone"),
    ("identity.runner_group_id", "identity.runnerGroupId"),
    ("managed_spec.release_channel", "managedSpec.releaseChannel"),
    ("managed_spec.maintenance_policy", "managedSpec.maintenancePolicy"),
    ("managed_spec.overrides", "managedSpec.overrides"),
    ("managed_spec", "managedSpec.enforceResourceLimits"),
    ("managed_spec", "managedSpec.allowPrivilegedProfileAnnotations"),
    ("profile_bindings", BINDINGS_PATH),
)

RULES = Rules(
    unordered=(
        BINDINGS_PATH,
        "managedSpec.maintenancePolicy.windows",
        "managedSpec.maintenancePolicy.exclusions",
        "managedSpec.overrides.tolerations",
    ),
    instants=(
        "managedSpec.maintenancePolicy.exclusions[].startTime",
        "managedSpec.maintenancePolicy.exclusions[].endTime",
    ),
    case_insensitive=("identity.zone",),
)


def argument_spec():
    string_map = {"type": "dict"}
    return {
        "runner_id": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "display_name": {"type": "str"},
        "zone": {"type": "str"},
        "cluster_id": {"type": "str"},
        "cluster_name": {"type": "str"},
        "runner_group_id": {"type": "str"},
        "release_channel": {"type": "str", "choices": ["stable", "rapid"]},
        "maintenance_policy": {
            "type": "dict",
            "options": {
                "windows": {
                    "type": "list",
                    "elements": "dict",
                    "options": {
                        "cron": {"type": "str", "required": True},
                        "duration_seconds": {"type": "int", "required": True},
                    },
                },
                "exclusions": {
                    "type": "list",
                    "elements": "dict",
                    "options": {
                        "start_time": {"type": "str", "required": True},
                        "end_time": {"type": "str", "required": True},
                        "reason": {"type": "str"},
                    },
                },
            },
        },
        "overrides": {
            "type": "dict",
            "options": {
                "node_selector": dict(string_map),
                "tolerations": {
                    "type": "list",
                    "elements": "dict",
                    "options": {
                        "key": {"type": "str", "no_log": False},
                        "operator": {"type": "str", "choices": ["Equal", "Exists"]},
                        "value": {"type": "str"},
                        "effect": {"type": "str", "choices": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
                    },
                },
                "resources": {
                    "type": "dict",
                    "options": {
                        "cpu_request": {"type": "str"},
                        "memory_request": {"type": "str"},
                        "cpu_limit": {"type": "str"},
                        "memory_limit": {"type": "str"},
                    },
                },
                "annotations": dict(string_map),
                "labels": dict(string_map),
                "env": dict(string_map),
                "args": {"type": "list", "elements": "str"},
                "scaling": {
                    "type": "dict",
                    "options": {
                        "replicas": {"type": "int"},
                        "autoscaling_enabled": {"type": "bool"},
                        "min_replicas": {"type": "int"},
                        "max_replicas": {"type": "int"},
                    },
                },
                "cpu_runtime_class": {"type": "str"},
                "gpu_runtime_class": {"type": "str"},
            },
        },
        "enforce_resource_limits": {"type": "bool"},
        "allow_privileged_profile_annotations": {"type": "bool"},
        "profile_bindings": {
            "type": "list",
            "elements": "dict",
            "options": {
                "profile": {"type": "str", "required": True},
                "profile_name": {"type": "str"},
                "default": {"type": "bool"},
                "overrides": {"type": "dict", "options": spec_options()},
            },
        },
        "purge_profile_bindings": {"type": "bool", "default": True},
        "apply_update": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": True},
        "wait_timeout": {"type": "int", "default": 1800},
    }


class ManagedRunner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client
        self.runner_id = self.params["runner_id"]
        self.route = runner_route(self.runner_id)
        self.templates = TemplateNames(self.client)
        self.duration = 0.0
        self.current = None

    def fail(self, msg, runner=None, **kwargs):
        """Fail with the runner as last seen: ``runner`` when given, else as read at the start of the task."""
        runner = runner or self.current
        self.module.fail(msg, runner=self.user_form(runner) if runner else {}, duration=self.duration, **kwargs)

    def user_form(self, runner):
        if not runner:
            return {}
        names = self.module.call(self.templates.names) if runner.get(BINDINGS_PATH) else {}
        return runner_to_user(runner, names)

    def check_input(self):
        self.module.fail_invalid(binding_overrides_errors(self.module))
        problem = runner_id_error(self.runner_id)
        if problem:
            self.fail(f"Invalid runner_id: {problem}. Nothing was sent.")
        empty = [name for name in ("zone", "cluster_id", "cluster_name") if self.params[name] is not None]
        empty = [name for name in empty if not self.params[name].strip()]
        if empty:
            self.fail(f"{', '.join(empty)} must not be empty when set. Nothing was sent.")
        if self.params["wait_timeout"] < 0:
            self.fail(f"wait_timeout must be zero or more seconds, got {self.params['wait_timeout']}.")
        resources = (self.params["overrides"] or {}).get("resources") or {}
        problems = [quantity_error(value, "overrides.resources." + name) for name, value in sorted(resources.items())]
        problems = [problem for problem in problems if problem]
        if problems:
            self.fail("Invalid overrides: " + "; ".join(problems) + ". Nothing was sent.")
        problems = maintenance_policy_problems(self.params["maintenance_policy"])
        if problems:
            self.fail("Invalid maintenance_policy: " + "; ".join(problems) + ". Nothing was sent.")

    def desired_bindings(self, current):
        requested = self.params["profile_bindings"]
        if requested is None:
            return None
        references = [entry["profile"] for entry in requested]
        resolved, unknown = self.module.call(self.templates.resolve, references)
        if unknown:
            self.fail(
                "profile_bindings name profile templates that do not exist: "
                + ", ".join(unknown)
                + ". Nothing was sent."
            )
        problems = requested_binding_problems(requested, resolved)
        if not problems:
            bindings = compute_bindings(
                requested, resolved, (current or {}).get(BINDINGS_PATH), self.params["purge_profile_bindings"]
            )
            problems = binding_list_problems(bindings, self.templates.names() if self.templates.loaded else None)
        if problems:
            self.fail("Invalid profile_bindings: " + "; ".join(problems) + ". Nothing was sent.")
        return bindings

    def check_create(self, desired):
        identity = desired.get("identity") or {}
        missing = []
        if not identity.get("zone"):
            missing.append("zone")
        if not identity.get("clusterId") and not identity.get("clusterName"):
            missing.append("cluster_id or cluster_name")
        if not desired.get(BINDINGS_PATH):
            missing.append("profile_bindings")
        if missing:
            self.fail(
                f"runner {self.runner_id} does not exist; to create it, set "
                + ", ".join(missing)
                + ". Nothing was sent."
            )

    def create(self, desired):
        return self.client.post(
            RUNNERS_ROUTE, create_request(self.runner_id, desired), recover=lambda: self.client.get_or_none(self.route)
        )

    def update(self, current):
        def send(body, mask):
            if BINDINGS_PATH in body and not self.params["purge_profile_bindings"]:
                self.check_bindings_unchanged(current)
            updated = self.client.patch(self.route, {"runner": body, "update_mask": mask})
            if BINDINGS_PATH in body:
                self.verify_bindings(body[BINDINGS_PATH])
            return updated

        return send

    def check_bindings_unchanged(self, current):
        """Merge mode: the list merged into must still be the runner's, or another writer's change would be lost.

        v1beta2 has no etag, so this narrows the window to the time between this read and the PATCH.
        """
        reread = self.module.call(self.client.get_or_none, self.route)
        if reread is None or not same_bindings(current.get(BINDINGS_PATH), reread.get(BINDINGS_PATH), RULES):
            self.module.result["changed"] = False
            self.fail(
                f"The profile bindings of runner {self.runner_id} changed after this task read them: another writer "
                "replaced the list. Nothing was sent; run the task again to merge into the new list.",
                runner=reread,
            )

    def verify_bindings(self, sent):
        reread = self.module.call(self.client.get_or_none, self.route)
        found = (reread or {}).get(BINDINGS_PATH)
        if reread is None or not same_bindings(sent, found, RULES):
            self.module.result["changed"] = True
            self.fail(
                f"The profile bindings of runner {self.runner_id} changed while this task wrote them: another writer "
                "replaced the list right after this task's write, so one of the two changes is lost. Read the runner "
                "and run the task again.",
                runner=reread,
                sent_profile_bindings=to_user(sent),
            )

    def wait(self, wait_function, **options):
        """Run a wait; its failures (install failed, timeout, an API error) end the task, ``changed`` kept."""
        try:
            outcome = wait_function(self.client, self.runner_id, self.params["wait_timeout"], **options)
        except RunnerError as err:
            self.duration = err.duration or 0.0
            self.fail(err.message, runner=err.runner, **err.details)
        except SandboxApiError as err:
            self.module.result["duration"] = self.duration
            self.module.fail_api(err, prefix=f"While waiting for runner {self.runner_id}")
        return outcome

    def wait_ready(self, require_connection=True):
        runner, self.duration = self.wait(wait_until_ready, require_connection=require_connection)
        return runner

    def warn_if_unhealthy(self, runner):
        """Say what a check-mode or unchanged run would otherwise hide: a failed install, a lost connection."""
        if runner.get("installStatus") == FAILED:
            self.module.module.warn(install_failure_message(self.runner_id, runner))
        elif runner.get("installStatus") == READY and runner.get("connectionStatus") == DISCONNECTED:
            self.module.module.warn(
                f"Runner {self.runner_id} is installed but DISCONNECTED: no heartbeat since "
                f"{runner.get('lastHeartbeatAt') or 'it was installed'}. Check the runner pod in its cluster."
            )

    def present(self, current):
        if current is not None:
            desired_identity = desired_runner(self.params).get("identity") or {}
            problems = immutable_problems(current, {"identity": desired_identity})
            if problems:
                self.fail(
                    f"Cannot update runner {self.runner_id}: " + "; ".join(problems) + ". Nothing was sent.",
                    runner=current,
                )
        desired = desired_runner(self.params, self.desired_bindings(current))
        if current is None:
            self.check_create(desired)
        runner = self.module.ensure_present(
            current,
            desired,
            FIELDS,
            create=self.create,
            update=self.update(current),
            rules=RULES,
            build_update=runner_update_request,
        )
        if current is None and self.module.check_mode:
            runner = dict(runner, identity=dict(desired.get("identity") or {}, runnerId=self.runner_id))
        if self.module.diff_requested and self.module.result["changed"]:
            if current is None:
                identity = desired.get("identity") or {}
                for option, wire in (("cluster_name", "clusterName"), ("cluster_id", "clusterId")):
                    if identity.get(wire):
                        self.module.diff["after"][option] = identity[wire]
            diff_in_option_form(self.module.diff, self.module.call(self.templates.names))
        changed = self.module.result["changed"]
        if self.params["apply_update"] and (current is not None) and runner.get("updateAvailable"):
            self.module.result["changed"] = changed = True
            if self.module.check_mode:
                runner = predict_update(runner)
            else:
                runner = self.module.write(apply_pending_update, self.client, self.runner_id, runner)
        if self.module.check_mode or not self.params["wait"]:
            if current is not None:
                self.warn_if_unhealthy(current)
        elif changed or install_in_progress(runner):
            # A runner that had lost its connection before this task is not expected to regain it because of it.
            was_disconnected = current is not None and current.get("connectionStatus") == DISCONNECTED
            runner = self.wait_ready(require_connection=not was_disconnected)
            if was_disconnected:
                self.warn_if_unhealthy(runner)
        else:
            self.warn_if_unhealthy(runner)
        return runner

    def absent(self, current):
        deleting = current is not None and current.get("installStatus") == "RUNNER_INSTALL_STATUS_DELETING"
        if not deleting:
            self.module.ensure_absent(current, lambda: self.client.delete(self.route), FIELDS)
            if self.module.diff_requested and current is not None:
                diff_in_option_form(self.module.diff, self.module.call(self.templates.names))
        if current is not None and self.params["wait"] and not self.module.check_mode:
            self.duration = self.wait(wait_until_gone)

    def run(self):
        self.check_input()
        current = self.current = self.module.call(self.client.get_or_none, self.route)
        if self.params["state"] == "absent":
            self.absent(current)
            self.module.exit(runner={}, duration=self.duration)
        runner = self.present(current)
        self.module.exit(runner=self.user_form(runner), duration=self.duration)


def main():
    module = SandboxModule(
        argument_spec(),
        mutually_exclusive=[("cluster_id", "cluster_name")],
    )
    ManagedRunner(module).run()


if __name__ == "__main__":
    main()
