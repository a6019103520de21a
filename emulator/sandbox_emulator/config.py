"""Emulator configuration: tokens, clusters and lifecycle timings."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field

PERMISSIONS = ("SANDBOX_ADMIN", "SANDBOX_USER")


@dataclass(frozen=True)
class Token:
    token: str
    permission: str
    organization: str


@dataclass(frozen=True)
class Cluster:
    name: str
    id: str
    zone: str


@dataclass
class Timings:
    pending: float = 0.5
    provisioning: float = 1.5
    heartbeat_interval: float = 1.0
    liveness_window: float = 3.0
    deleting: float = 1.0


@dataclass
class Config:
    tokens: list[Token] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    list_key: str = "runners"
    emit_zero_values: bool = False
    test_control: bool = False

    def token(self, value: str) -> Token | None:
        for token in self.tokens:
            if token.token == value:
                return token
        return None

    def cluster_by_id(self, value: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == value), None)

    def cluster_by_name(self, value: str) -> Cluster | None:
        return next((c for c in self.clusters if c.name == value), None)


class ConfigError(ValueError):
    pass


def make_token(token: str, permission: str, organization: str) -> Token:
    if not token:
        raise ConfigError("a token must not be empty")
    if permission not in PERMISSIONS:
        raise ConfigError(f"token permission must be one of {', '.join(PERMISSIONS)}, not {permission!r}")
    if not organization:
        raise ConfigError("a token needs an organization")
    return Token(token, permission, organization)


def make_cluster(name: str, zone: str, cluster_id: str | None = None) -> Cluster:
    if not name or not zone:
        raise ConfigError("a cluster needs a name and a zone")
    if cluster_id:
        try:
            cluster_id = str(uuid.UUID(cluster_id))
        except ValueError:
            raise ConfigError(f"cluster {name!r}: id {cluster_id!r} is not a UUID") from None
    else:
        cluster_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.clusters.sandbox-emulator"))
    return Cluster(name, cluster_id, zone.upper())


def set_timing(timings: Timings, key: str, value: object) -> None:
    if key not in Timings.__dataclass_fields__:
        raise ConfigError(f"unknown timing {key!r}; known: {', '.join(Timings.__dataclass_fields__)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"timing {key!r} must be a number of seconds") from None
    if number < 0 or (key == "heartbeat_interval" and number <= 0):
        raise ConfigError(f"timing {key!r} must be positive")
    setattr(timings, key, number)


def load(path: str | None, config: Config | None = None) -> Config:
    config = config or Config()
    if not path:
        return config
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    for entry in data.get("tokens", []):
        config.tokens.append(
            make_token(
                str(entry.get("token", "")), str(entry.get("permission", "")), str(entry.get("organization", ""))
            )
        )
    for entry in data.get("clusters", []):
        config.clusters.append(make_cluster(str(entry.get("name", "")), str(entry.get("zone", "")), entry.get("id")))
    for key, value in data.get("timings", {}).items():
        set_timing(config.timings, key, value)
    return config


def demo_config() -> Config:
    """The built-in configuration used when neither a config file nor tokens are given."""
    config = Config()
    config.tokens = [
        Token("demo-admin-token", "SANDBOX_ADMIN", "org-demo"),
        Token("demo-user-token", "SANDBOX_USER", "org-demo"),
        Token("other-org-admin-token", "SANDBOX_ADMIN", "org-other"),
    ]
    config.clusters = [
        Cluster("prod-east", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a01", "US-EAST-04A"),
        Cluster("research-west", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a02", "US-WEST-01A"),
        Cluster("staging-central", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a03", "US-CENTRAL-02A"),
        Cluster("spare-east-1", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a04", "US-EAST-04A"),
        Cluster("spare-east-2", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a05", "US-EAST-04A"),
        Cluster("spare-west-1", "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a06", "US-WEST-01A"),
    ]
    return config
