"""Wire schema of the resources: type checking of input and rendering of output.

A schema node is one of the strings ``str``, ``bool``, ``int``, ``timestamp``, ``map`` (map of strings),
an :class:`Enum`, a :class:`List` or a :class:`Message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox_emulator.errors import invalid


@dataclass(frozen=True)
class Enum:
    zero: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class List:
    element: object


@dataclass(frozen=True)
class Message:
    fields: dict = field(default_factory=dict)


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


RESOURCES = Message({"cpuRequest": "str", "memoryRequest": "str", "cpuLimit": "str", "memoryLimit": "str"})
TOLERATION = Message({"key": "str", "operator": "str", "value": "str", "effect": "str"})
SCALING = Message({"replicas": "int", "autoscalingEnabled": "bool", "minReplicas": "int", "maxReplicas": "int"})
OVERRIDE_FIELDS = {
    "nodeSelector": "map",
    "tolerations": List(TOLERATION),
    "resources": RESOURCES,
    "annotations": "map",
    "labels": "map",
    "env": "map",
    "args": List("str"),
    "scaling": SCALING,
    "cpuRuntimeClass": "str",
    "gpuRuntimeClass": "str",
}
OVERRIDES = Message(OVERRIDE_FIELDS)
RELEASE_CHANNEL = Enum("RELEASE_CHANNEL_UNSPECIFIED", ("RELEASE_CHANNEL_STABLE", "RELEASE_CHANNEL_RAPID"))
MAINTENANCE_POLICY = Message(
    {
        "windows": List(Message({"cron": "str", "durationSeconds": "int"})),
        "exclusions": List(Message({"startTime": "timestamp", "endTime": "timestamp", "reason": "str"})),
    }
)
MANAGED_SPEC = Message(
    {
        "releaseChannel": RELEASE_CHANNEL,
        "maintenancePolicy": MAINTENANCE_POLICY,
        "overrides": OVERRIDES,
        "enforceResourceLimits": "bool",
        "allowPrivilegedProfileAnnotations": "bool",
    }
)
BINDING = Message({"profileTemplateId": "str", "profileName": "str", "isDefault": "bool", "overridesJson": "str"})
IDENTITY = Message({"runnerId": "str", "zone": "str", "clusterId": "str", "clusterName": "str", "runnerGroupId": "str"})
INSTALL_ERROR = Message(
    {
        "reason": "str",
        "message": "str",
        "diagnosticDetail": "str",
        "remediationHints": List("str"),
        "occurredAt": "timestamp",
    }
)
DEPLOYMENT_SPEC = Message(
    {
        "runnerVersion": "str",
        "releaseChannel": RELEASE_CHANNEL,
        **OVERRIDE_FIELDS,
        "enforceResourceLimits": "bool",
        "allowPrivilegedProfileAnnotations": "bool",
    }
)
RUNNER = Message(
    {
        "id": "str",
        "displayName": "str",
        "identity": IDENTITY,
        "managementMode": Enum("MANAGEMENT_MODE_UNSPECIFIED", ("MANAGEMENT_MODE_MANAGED",)),
        "managedSpec": MANAGED_SPEC,
        "profileBindings": List(BINDING),
        "installStatus": Enum(
            "RUNNER_INSTALL_STATUS_UNSPECIFIED",
            (
                "RUNNER_INSTALL_STATUS_PENDING",
                "RUNNER_INSTALL_STATUS_PROVISIONING",
                "RUNNER_INSTALL_STATUS_READY",
                "RUNNER_INSTALL_STATUS_FAILED",
                "RUNNER_INSTALL_STATUS_DELETING",
            ),
        ),
        "installError": INSTALL_ERROR,
        "connectionStatus": Enum(
            "RUNNER_CONNECTION_STATUS_UNSPECIFIED",
            ("RUNNER_CONNECTION_STATUS_CONNECTED", "RUNNER_CONNECTION_STATUS_DISCONNECTED"),
        ),
        "lastHeartbeatAt": "timestamp",
        "activeRevision": "int",
        "targetRevision": "int",
        "rolloutInProgress": "bool",
        "updateAvailable": "bool",
        "activeConfigVersion": "str",
        "activeProfileSpecVersion": "str",
        "deploymentSpec": DEPLOYMENT_SPEC,
        "createdAt": "timestamp",
        "updatedAt": "timestamp",
    }
)
RUNNER_OUTPUT_ONLY = (
    "id",
    "managementMode",
    "installStatus",
    "installError",
    "connectionStatus",
    "lastHeartbeatAt",
    "activeRevision",
    "targetRevision",
    "rolloutInProgress",
    "updateAvailable",
    "activeConfigVersion",
    "activeProfileSpecVersion",
    "deploymentSpec",
    "createdAt",
    "updatedAt",
)

PROFILE_SPEC = Message(
    {
        "containerImage": "str",
        "runtimeClass": "str",
        "resourceDefaults": RESOURCES,
        "instanceTypes": List("str"),
        "nodeSelector": "map",
        "tags": List("str"),
        "namespaceConfigJson": "str",
        "networkConfigJson": "str",
        "podTemplateJson": "str",
    }
)
PROFILE_TEMPLATE = Message(
    {
        "id": "str",
        "organizationId": "str",
        "displayName": "str",
        "description": "str",
        "labels": "map",
        "spec": PROFILE_SPEC,
        "createdAt": "timestamp",
        "updatedAt": "timestamp",
    }
)
TEMPLATE_OUTPUT_ONLY = ("id", "organizationId", "createdAt", "updatedAt")

_INT_RE = re.compile(r"^-?[0-9]+$")
INT64_MAX = 2**63 - 1


def _kind(node: object) -> str:
    if isinstance(node, Message):
        return "an object"
    if isinstance(node, List):
        return "a list"
    return {
        "str": "a string",
        "bool": "a boolean",
        "int": "an integer",
        "timestamp": "an RFC 3339 timestamp string",
        "map": "an object of strings",
    }.get(node, "a string")


def coerce(value: object, node: object, path: str) -> object:
    """Check ``value`` against ``node`` and return it normalised (camelCase keys, ints as int).

    ``path`` is the dotted snake_case path used in error messages. ``None`` means unset.
    """
    if value is None:
        return None
    if isinstance(node, Message):
        if not isinstance(value, dict):
            raise invalid(f"{path} must be an object", path)
        out = {}
        for key, item in value.items():
            name = key if key in node.fields else camel(key)
            if name not in node.fields or not isinstance(key, str):
                raise invalid(f"{path}.{snake(str(key))} is not a known field", f"{path}.{key}")
            if name in out:
                raise invalid(f"{path}.{snake(name)} is given twice", f"{path}.{snake(name)}")
            checked = coerce(item, node.fields[name], f"{path}.{snake(name)}")
            if checked is not None:
                out[name] = checked
        return out
    if isinstance(node, List):
        if not isinstance(value, list):
            raise invalid(f"{path} must be a list", path)
        return [_element(item, node.element, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(node, Enum):
        if not isinstance(value, str):
            raise invalid(f"{path} must be a string", path)
        if value != node.zero and value not in node.values:
            raise invalid(f"{path} must be one of {', '.join(node.values)}", path)
        return value
    if node == "map":
        if not isinstance(value, dict):
            raise invalid(f"{path} must be an object of strings", path)
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid(f"{path}.{key} must be a string", f"{path}.{key}")
        return dict(value)
    if node == "bool":
        if not isinstance(value, bool):
            raise invalid(f"{path} must be a boolean", path)
        return value
    if node == "int":
        if isinstance(value, bool):
            raise invalid(f"{path} must be an integer", path)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and _INT_RE.match(value):
            value = int(value)
        if not isinstance(value, int):
            raise invalid(f"{path} must be an integer", path)
        if abs(value) > INT64_MAX:
            raise invalid(f"{path} is out of range", path)
        return value
    if not isinstance(value, str):
        raise invalid(f"{path} must be {_kind(node)}", path)
    return value


def _element(value: object, node: object, path: str) -> object:
    if value is None:
        raise invalid(f"{path} must be {_kind(node)}", path)
    return coerce(value, node, path)


def is_zero(value: object, node: object) -> bool:
    if value is None:
        return True
    if isinstance(node, Enum):
        return value == node.zero
    if isinstance(value, bool):
        return value is False
    return value in ("", 0, [], {})


def render(value: object, node: object, emit_zero: bool) -> object:
    """Render a stored value for the wire: zero-valued fields omitted, or all emitted with their zero."""
    if isinstance(node, Message):
        value = value if isinstance(value, dict) else {}
        out = {}
        for name, sub in node.fields.items():
            item = render(value.get(name), sub, emit_zero)
            if emit_zero:
                out[name] = zero_of(sub) if item is None else item
            elif not is_zero(item, sub):
                out[name] = item
        return out
    if isinstance(node, List):
        if not value:
            return []
        return [render(item, node.element, emit_zero) for item in value]
    if value is None:
        return None
    return value


def zero_of(node: object) -> object:
    if isinstance(node, Message):
        return {name: zero_of(sub) for name, sub in node.fields.items()}
    if isinstance(node, List):
        return []
    if isinstance(node, Enum):
        return node.zero
    return {"str": "", "bool": False, "int": 0, "map": {}, "timestamp": None}[node]


def lookup(node: Message, snake_path: str) -> object | None:
    """Schema node at a dotted snake_case path, or None when the path does not exist."""
    current: object = node
    for part in snake_path.split("."):
        if not isinstance(current, Message):
            return None
        name = camel(part)
        if name not in current.fields or snake(name) != part:
            return None
        current = current.fields[name]
    return current
