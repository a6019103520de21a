"""The API operations on runners and profile templates, and the runner lifecycle simulation.

Lifecycle states are computed from timestamps stored with each runner, so they continue across restarts.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import time
import uuid

from sandbox_emulator import masks
from sandbox_emulator.config import Config, Token
from sandbox_emulator.errors import ApiError, already_exists, invalid, not_found, precondition
from sandbox_emulator.schema import (
    PROFILE_TEMPLATE,
    RUNNER,
    RUNNER_OUTPUT_ONLY,
    TEMPLATE_OUTPUT_ONLY,
    coerce,
    render,
    snake,
)
from sandbox_emulator.store import RUNNER as RUNNER_KIND
from sandbox_emulator.store import TEMPLATE as TEMPLATE_KIND
from sandbox_emulator.store import Store
from sandbox_emulator.validation import (
    check_bindings,
    check_managed_spec,
    check_name,
    check_profile_spec,
    check_runner_id,
    format_timestamp,
)

STATUS = "RUNNER_INSTALL_STATUS_"
CONNECTION = "RUNNER_CONNECTION_STATUS_"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

RUNNER_MUTABLE = (
    "display_name",
    "identity.zone",
    "identity.runner_group_id",
    "managed_spec",
    "managed_spec.release_channel",
    "managed_spec.maintenance_policy",
    "managed_spec.overrides",
    "profile_bindings",
)
RUNNER_NO_MASK = (
    "display_name",
    "identity.zone",
    "identity.runner_group_id",
    "managed_spec.release_channel",
    "managed_spec.maintenance_policy",
    "managed_spec.overrides",
    "managed_spec.enforce_resource_limits",
    "managed_spec.allow_privileged_profile_annotations",
    "profile_bindings",
)
TEMPLATE_MUTABLE = ("description", "labels", "spec")

PLATFORM_DEFAULTS = {
    "resources": {"cpuRequest": "500m", "memoryRequest": "1Gi", "cpuLimit": "2", "memoryLimit": "4Gi"},
    "scaling": {"replicas": 1, "minReplicas": 1, "maxReplicas": 1},
    "cpuRuntimeClass": "kata-qemu",
    "gpuRuntimeClass": "kata-qemu-nvidia-gpu",
}

DEFAULT_INSTALL_ERROR = {
    "reason": "IMAGE_PULL_BACKOFF",
    "message": "the runner pod cannot pull its container image",
    "diagnosticDetail": 'Back-off pulling image "registry.coreweave.com/sandbox/runner": ErrImagePull',
    "remediationHints": [
        "Check that the cluster can pull from the registry",
        "Check the cluster's image pull secrets and egress rules, then update the runner to retry",
    ],
}


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


class Service:
    def __init__(self, config: Config, store: Store, clock=time.time):
        self.config = config
        self.store = store
        self.clock = clock

    # ----- helpers -------------------------------------------------------------------------------------

    @property
    def timings(self):
        return self.config.timings

    def _find_runner(self, org: str, ident: str) -> dict | None:
        if _is_uuid(ident):
            found = self.store.get(RUNNER_KIND, ident.lower())
            if found and found[1] == org:
                return found[2]
        return self.store.find(RUNNER_KIND, org, "identity.runnerId", ident)

    def _runner_or_404(self, org: str, ident: str) -> dict:
        doc = self._find_runner(org, ident)
        if doc is None:
            raise not_found("runner", ident)
        return doc

    def _template_or_404(self, org: str, ident: str) -> dict:
        doc = self._find_template(org, ident)
        if doc is None:
            raise not_found("profile_template", ident)
        return doc

    def _find_template(self, org: str, ident: str) -> dict | None:
        if _is_uuid(ident):
            found = self.store.get(TEMPLATE_KIND, ident.lower())
            if found and found[1] == org:
                return found[2]
        return self.store.find(TEMPLATE_KIND, org, "displayName", ident)

    def _template_exists(self, org: str):
        def exists(template_id: str) -> bool:
            found = self.store.get(TEMPLATE_KIND, template_id) if _is_uuid(template_id) else None
            return bool(found and found[1] == org)

        return exists

    def _gone_at(self, doc: dict) -> float | None:
        deleting = doc["sim"].get("deletingAt")
        return None if deleting is None else deleting + self.timings.deleting

    # ----- rendering -----------------------------------------------------------------------------------

    def _settle(self, sim: dict, now: float) -> None:
        """Fold a finished rollout into the stored revisions."""
        start = sim.get("rolloutStart")
        if start is not None and now - start >= self.timings.provisioning:
            sim["activeRevision"] = sim["targetRevision"]
            sim["rolloutStart"] = None

    def _last_heartbeat(self, sim: dict, now: float) -> float | None:
        if sim.get("hbPaused"):
            return sim.get("hbLast")
        origin = max(sim["firstReadyAt"], sim.get("hbOrigin") or 0.0)
        stop = now if sim.get("failedAt") is None else min(now, sim["failedAt"])
        if stop >= origin:
            interval = self.timings.heartbeat_interval
            return origin + math.floor((stop - origin) / interval) * interval
        return sim.get("hbLast")

    def runner_status(self, doc: dict, now: float) -> dict:
        sim = copy.deepcopy(doc["sim"])
        self._settle(sim, now)
        t = self.timings
        out = {
            "activeRevision": sim["activeRevision"],
            "targetRevision": sim["targetRevision"],
            "rolloutInProgress": sim["targetRevision"] > sim["activeRevision"],
            "updateAvailable": sim.get("updateAvailable", False),
        }
        elapsed = now - sim["deployStart"]
        pending = t.pending if sim.get("deployIsCreate") else 0.0
        if sim.get("deletingAt") is not None:
            status = "DELETING"
        elif sim.get("failedAt") is not None:
            status = "FAILED"
            out["installError"] = sim.get("installError")
        elif elapsed < pending:
            status = "PENDING"
        elif elapsed < pending + t.provisioning or out["rolloutInProgress"]:
            status = "PROVISIONING"
        else:
            status = "READY"
        out["installStatus"] = STATUS + status
        last = self._last_heartbeat(sim, now)
        if last is not None:
            out["lastHeartbeatAt"] = format_timestamp(last)
            out["connectionStatus"] = CONNECTION + ("DISCONNECTED" if now - last > t.liveness_window else "CONNECTED")
        elif now - sim["firstReadyAt"] > t.liveness_window and (sim.get("hbPaused") or sim.get("failedAt")):
            out["connectionStatus"] = CONNECTION + "DISCONNECTED"
        out["_activeRevision"] = sim["activeRevision"]
        return out

    def profile_spec_version(self, org: str, doc: dict) -> str:
        parts = []
        for binding in sorted(doc.get("profileBindings", []), key=lambda b: b.get("profileTemplateId", "")):
            found = self.store.get(TEMPLATE_KIND, binding.get("profileTemplateId", ""))
            spec = found[2].get("spec", {}) if found and found[1] == org else None
            parts.append({"binding": binding, "spec": spec})
        return "ps-" + _digest(parts)

    def render_runner(self, org: str, doc: dict, now: float | None = None) -> dict:
        now = self.clock() if now is None else now
        status = self.runner_status(doc, now)
        active = status.pop("_activeRevision")
        spec = doc.get("managedSpec", {})
        overrides = spec.get("overrides", {})
        deployment = copy.deepcopy(PLATFORM_DEFAULTS)
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(deployment.get(key), dict) and key in ("resources", "scaling"):
                deployment[key].update(value)
            else:
                deployment[key] = copy.deepcopy(value)
        deployment["runnerVersion"] = f"1.{active}.0"
        deployment["releaseChannel"] = spec.get("releaseChannel", "RELEASE_CHANNEL_STABLE")
        for key in ("enforceResourceLimits", "allowPrivilegedProfileAnnotations"):
            deployment[key] = spec.get(key, False)
        wire = {key: copy.deepcopy(value) for key, value in doc.items() if key != "sim"}
        wire.update(status)
        wire["managementMode"] = "MANAGEMENT_MODE_MANAGED"
        wire["deploymentSpec"] = deployment
        wire["activeConfigVersion"] = "cfg-" + _digest({"spec": spec, "revision": active})
        wire["activeProfileSpecVersion"] = self.profile_spec_version(org, doc)
        return render(wire, RUNNER, self.config.emit_zero_values)

    def render_template(self, org: str, doc: dict) -> dict:
        wire = dict(doc)
        wire["organizationId"] = org
        return render(wire, PROFILE_TEMPLATE, self.config.emit_zero_values)

    # ----- pagination ----------------------------------------------------------------------------------

    def _sign(self, payload: str) -> str:
        return hmac.new(self.store.secret, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def _cursor(self, kind: str, org: str, seq: int) -> str:
        payload = f"{kind}:{seq}"
        raw = f"{payload}:{self._sign(org + ':' + payload)}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _after_seq(self, kind: str, org: str, token: str) -> int:
        if not token:
            return 0
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            token_kind, seq, signature = raw.split(":")
            if token_kind == kind and hmac.compare_digest(signature, self._sign(f"{org}:{kind}:{seq}")):
                return int(seq)
        except (ValueError, UnicodeDecodeError):
            pass
        raise invalid("page_token is not valid for this list", "page_token")

    @staticmethod
    def _page_size(query) -> int:
        raw = query.get("pageSize", query.get("page_size", ""))
        if raw == "":
            return DEFAULT_PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            raise invalid("page_size must be an integer", "page_size") from None
        if size < 0:
            raise invalid("page_size must not be negative", "page_size")
        return min(size, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE

    def _list(self, kind: str, org: str, query) -> tuple[list[dict], str]:
        size = self._page_size(query)
        after = self._after_seq(kind, org, query.get("pageToken", query.get("page_token", "")))
        rows = self.store.page(kind, org, after, size + 1)
        token = self._cursor(kind, org, rows[size - 1][0]) if len(rows) > size else ""
        return [doc for _, doc in rows[:size]], token

    # ----- runners -------------------------------------------------------------------------------------

    def _check_runner(self, org: str, runner: dict, creating: bool, previous_zone: str | None = None) -> None:
        identity = runner.setdefault("identity", {})
        if runner.get("displayName"):
            check_name(runner["displayName"], "runner.display_name")
        if not identity.get("zone"):
            raise invalid("runner.identity.zone is required", "runner.identity.zone")
        given_zone = identity["zone"]
        identity["zone"] = given_zone.upper()
        if creating:
            cluster_id, cluster_name = identity.get("clusterId"), identity.get("clusterName")
            if cluster_id and cluster_name:
                raise invalid(
                    "runner.identity.cluster_id and runner.identity.cluster_name are mutually exclusive",
                    "runner.identity.cluster_id",
                )
            if not cluster_id and not cluster_name:
                raise invalid(
                    "runner.identity.cluster_id or runner.identity.cluster_name is required",
                    "runner.identity.cluster_id",
                )
            if cluster_id:
                cluster = self.config.cluster_by_id(cluster_id.lower())
                if cluster is None:
                    raise invalid(
                        f'runner.identity.cluster_id "{cluster_id}" is not a known cluster',
                        "runner.identity.cluster_id",
                    )
            else:
                cluster = self.config.cluster_by_name(cluster_name)
                if cluster is None:
                    raise invalid(
                        f'runner.identity.cluster_name "{cluster_name}" is not a known cluster',
                        "runner.identity.cluster_name",
                    )
            identity["clusterId"], identity["clusterName"] = cluster.id, cluster.name
        if creating or identity["zone"] != (previous_zone or "").upper():
            self._check_zone(given_zone, identity)
        spec = runner.setdefault("managedSpec", {})
        if spec.get("releaseChannel", "RELEASE_CHANNEL_UNSPECIFIED") == "RELEASE_CHANNEL_UNSPECIFIED":
            spec["releaseChannel"] = "RELEASE_CHANNEL_STABLE"
        check_managed_spec(spec, "runner.managed_spec")
        check_bindings(runner.get("profileBindings", []), "runner.profile_bindings", self._template_exists(org))

    def _check_zone(self, given_zone: str, identity: dict) -> None:
        """A runner lives in the zone of its cluster; zones compare case-insensitively."""
        cluster = self.config.cluster_by_id(identity.get("clusterId", ""))
        if cluster is None or cluster.zone.upper() == given_zone.upper():
            return
        raise invalid(
            f'runner.identity.zone "{given_zone}" does not match the zone of cluster "{cluster.name}" ({cluster.zone})',
            "runner.identity.zone",
        )

    def _check_runner_conflicts(self, org: str, runner: dict) -> None:
        for other in self.store.all(RUNNER_KIND, org):
            if other["id"] == runner["id"]:
                continue
            runner_id = runner["identity"]["runnerId"]
            if other["identity"]["runnerId"] == runner_id:
                raise already_exists("runner", runner_id, f'runner.runner_id "{runner_id}" already exists')
            name = runner.get("displayName")
            if name and other.get("displayName") == name:
                raise already_exists("runner", name, f'runner.display_name "{name}" already exists')
        for _, other in self.store.all_with_org(RUNNER_KIND):
            if other["id"] != runner["id"] and other["identity"]["clusterId"] == runner["identity"]["clusterId"]:
                name = runner["identity"]["clusterName"]
                raise already_exists(
                    "runner",
                    runner["identity"]["runnerId"],
                    f'runner.identity.cluster_name "{name}" already has a runner',
                )

    def create_runner(self, token: Token, body: dict) -> dict:
        allowed = {"runnerId", "runner_id", "runner"}
        for key in body:
            if key not in allowed:
                raise invalid(f"{snake(key)} is not a known field", snake(key))
        runner_id = coerce(body.get("runnerId", body.get("runner_id")), "str", "runner_id")
        if body.get("runner") is None:
            raise invalid("runner is required", "runner")
        runner = coerce(body["runner"], RUNNER, "runner")
        for name in RUNNER_OUTPUT_ONLY:
            if name in runner:
                raise invalid(f"runner.{snake(name)} is output only", f"runner.{snake(name)}")
        identity = runner.setdefault("identity", {})
        if runner_id and identity.get("runnerId") and identity["runnerId"] != runner_id:
            raise invalid("runner.identity.runner_id must match runner_id", "runner.identity.runner_id")
        runner_id = runner_id or identity.get("runnerId")
        if not runner_id:
            raise invalid("runner.identity.runner_id is required", "runner.identity.runner_id")
        check_runner_id(runner_id, "runner.identity.runner_id")
        identity["runnerId"] = runner_id
        org = token.organization
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            self._check_runner(org, runner, creating=True)
            runner["id"] = str(uuid.uuid4())
            self._check_runner_conflicts(org, runner)
            stamp = format_timestamp(now)
            runner["createdAt"] = runner["updatedAt"] = stamp
            t = self.timings
            runner["sim"] = {
                "created": now,
                "deployStart": now,
                "deployIsCreate": True,
                "firstReadyAt": now + t.pending + t.provisioning,
                "hbOrigin": None,
                "hbPaused": False,
                "hbLast": None,
                "failedAt": None,
                "installError": None,
                "updateAvailable": False,
                "activeRevision": 1,
                "targetRevision": 1,
                "rolloutStart": None,
                "deletingAt": None,
            }
            runner = {k: v for k, v in render(runner, RUNNER, False).items()} | {"sim": runner["sim"]}
            store.insert(RUNNER_KIND, org, runner)
            return self.render_runner(org, runner, now)

    def get_runner(self, token: Token, ident: str) -> dict:
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            doc = self._runner_or_404(token.organization, ident)
            return self.render_runner(token.organization, doc, now)

    def list_runners(self, token: Token, query) -> dict:
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            docs, next_token = self._list(RUNNER_KIND, token.organization, query)
            items = [self.render_runner(token.organization, doc, now) for doc in docs]
        out = {self.config.list_key: items}
        if next_token or self.config.emit_zero_values:
            out["nextPageToken"] = next_token
        return out

    def update_runner(self, token: Token, ident: str, body: dict, query) -> dict:
        for key in body:
            if key not in ("runner", "update_mask", "updateMask"):
                raise invalid(f"{snake(key)} is not a known field", snake(key))
        if body.get("runner") is None:
            raise invalid("runner is required", "runner")
        request = coerce(body["runner"], RUNNER, "runner")
        paths = masks.parse(body, query)
        org = token.organization
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            doc = self._runner_or_404(org, ident)
            if paths is None:
                identity = request.get("identity", {})
                for name in ("runnerId", "clusterId", "clusterName"):
                    if identity.get(name) and identity[name] != doc["identity"].get(name):
                        raise invalid(f"runner.identity.{snake(name)} is immutable", f"runner.identity.{snake(name)}")
            sim = doc.pop("sim")
            updated = masks.apply("runner", RUNNER, doc, request, paths, RUNNER_MUTABLE, RUNNER_NO_MASK)
            if sim.get("deletingAt") is not None:
                raise precondition(f'runner "{doc["identity"]["runnerId"]}" is being deleted', doc["id"])
            self._check_runner(org, updated, creating=False, previous_zone=doc["identity"].get("zone"))
            self._check_runner_conflicts(org, updated)
            updated = render(updated, RUNNER, False)
            if updated != doc:
                self._settle(sim, now)
                if updated.get("managedSpec") != doc.get("managedSpec"):
                    sim["deployStart"] = now
                    sim["deployIsCreate"] = False
                    if sim.get("failedAt") is not None:
                        sim["failedAt"] = None
                        sim["installError"] = None
                        sim["hbOrigin"] = now
                updated["updatedAt"] = format_timestamp(now)
            updated["sim"] = sim
            store.update(RUNNER_KIND, updated)
            return self.render_runner(org, updated, now)

    def delete_runner(self, token: Token, ident: str) -> dict:
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            doc = self._runner_or_404(token.organization, ident)
            if doc["sim"].get("deletingAt") is None:
                self._settle(doc["sim"], now)
                doc["sim"]["deletingAt"] = now
                doc["updatedAt"] = format_timestamp(now)
                store.update(RUNNER_KIND, doc, self._gone_at(doc))
        return {}

    def apply_update(self, token: Token, ident: str, body: dict) -> dict:
        org = token.organization
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            doc = self._runner_or_404(org, ident)
            sim = doc["sim"]
            runner_id = doc["identity"]["runnerId"]
            if sim.get("deletingAt") is not None:
                raise precondition(f'runner "{runner_id}" is being deleted', doc["id"])
            self._settle(sim, now)
            if not sim.get("updateAvailable"):
                raise precondition(f'runner "{runner_id}" has no update available', doc["id"])
            sim["targetRevision"] = sim["activeRevision"] + 1
            sim["rolloutStart"] = now
            sim["updateAvailable"] = False
            doc["updatedAt"] = format_timestamp(now)
            store.update(RUNNER_KIND, doc)
            return self.render_runner(org, doc, now)

    # ----- profile templates ---------------------------------------------------------------------------

    def create_template(self, token: Token, body: dict) -> dict:
        for key in body:
            if key not in ("profileTemplate", "profile_template"):
                raise invalid(f"{snake(key)} is not a known field", snake(key))
        raw = body.get("profileTemplate", body.get("profile_template"))
        if raw is None:
            raise invalid("profile_template is required", "profile_template")
        template = coerce(raw, PROFILE_TEMPLATE, "profile_template")
        for name in TEMPLATE_OUTPUT_ONLY:
            if name in template:
                raise invalid(f"profile_template.{snake(name)} is output only", f"profile_template.{snake(name)}")
        if not template.get("displayName"):
            raise invalid("profile_template.display_name is required", "profile_template.display_name")
        check_name(template["displayName"], "profile_template.display_name")
        if "spec" not in template:
            raise invalid("profile_template.spec is required", "profile_template.spec")
        check_profile_spec(template["spec"], "profile_template.spec")
        org = token.organization
        with self.store.transaction() as store:
            now = self.clock()
            name = template["displayName"]
            if store.find(TEMPLATE_KIND, org, "displayName", name) is not None:
                raise already_exists("profile_template", name, f'profile_template.display_name "{name}" already exists')
            template["id"] = str(uuid.uuid4())
            template["createdAt"] = template["updatedAt"] = format_timestamp(now)
            template = render(template, PROFILE_TEMPLATE, False)
            store.insert(TEMPLATE_KIND, org, template)
            return self.render_template(org, template)

    def get_template(self, token: Token, ident: str) -> dict:
        with self.store.transaction():
            doc = self._template_or_404(token.organization, ident)
            return self.render_template(token.organization, doc)

    def list_templates(self, token: Token, query) -> dict:
        with self.store.transaction():
            docs, next_token = self._list(TEMPLATE_KIND, token.organization, query)
            items = [self.render_template(token.organization, doc) for doc in docs]
        out = {"profileTemplates": items}
        if next_token or self.config.emit_zero_values:
            out["nextPageToken"] = next_token
        return out

    def update_template(self, token: Token, ident: str, body: dict, query) -> dict:
        for key in body:
            if key not in ("profileTemplate", "profile_template", "update_mask", "updateMask"):
                raise invalid(f"{snake(key)} is not a known field", snake(key))
        raw = body.get("profileTemplate", body.get("profile_template"))
        if raw is None:
            raise invalid("profile_template is required", "profile_template")
        request = coerce(raw, PROFILE_TEMPLATE, "profile_template")
        paths = masks.parse(body, query)
        org = token.organization
        with self.store.transaction() as store:
            now = self.clock()
            doc = self._template_or_404(org, ident)
            if paths is None and request.get("displayName") and request["displayName"] != doc["displayName"]:
                raise invalid(
                    "profile_template.display_name is immutable; a rename is a new template",
                    "profile_template.display_name",
                )
            updated = masks.apply(
                "profile_template", PROFILE_TEMPLATE, doc, request, paths, TEMPLATE_MUTABLE, TEMPLATE_MUTABLE
            )
            updated.setdefault("spec", {})
            check_profile_spec(updated["spec"], "profile_template.spec")
            updated = render(updated, PROFILE_TEMPLATE, False)
            if updated != doc:
                updated["updatedAt"] = format_timestamp(now)
                store.update(TEMPLATE_KIND, updated)
            return self.render_template(org, updated)

    def delete_template(self, token: Token, ident: str) -> dict:
        org = token.organization
        with self.store.transaction() as store:
            store.purge(self.clock())
            doc = self._template_or_404(org, ident)
            binders = [
                runner["identity"]["runnerId"]
                for runner in store.all(RUNNER_KIND, org)
                if runner["sim"].get("deletingAt") is None
                and any(b.get("profileTemplateId") == doc["id"] for b in runner.get("profileBindings", []))
            ]
            if binders:
                raise precondition(
                    f'profile_template "{doc["displayName"]}" is still bound by runners: {", ".join(binders)}',
                    doc["id"],
                    "BINDING",
                )
            store.delete(TEMPLATE_KIND, doc["id"])
        return {}

    # ----- test control --------------------------------------------------------------------------------

    def _control_runner(self, ident: str) -> dict:
        for _, doc in self.store.all_with_org(RUNNER_KIND):
            if doc["id"] == ident.lower() or doc["identity"]["runnerId"] == ident:
                return doc
        raise not_found("runner", ident)

    def control_runner(self, ident: str, action: str, payload: dict) -> dict:
        with self.store.transaction() as store:
            now = self.clock()
            store.purge(now)
            doc = self._control_runner(ident)
            sim = doc["sim"]
            self._settle(sim, now)
            if action == "heartbeats":
                enabled = payload.get("enabled", True)
                if not isinstance(enabled, bool):
                    raise invalid("enabled must be a boolean", "enabled")
                if not enabled and not sim.get("hbPaused"):
                    sim["hbLast"] = self._last_heartbeat(sim, now)
                    sim["hbPaused"] = True
                elif enabled and sim.get("hbPaused"):
                    sim["hbPaused"] = False
                    sim["hbOrigin"] = now
            elif action == "install-failure":
                error = dict(DEFAULT_INSTALL_ERROR)
                for key in ("reason", "message", "diagnosticDetail", "remediationHints"):
                    if key in payload:
                        error[key] = payload[key]
                error = coerce(error, RUNNER.fields["installError"], "install_error")
                error["occurredAt"] = format_timestamp(now)
                sim["hbLast"] = self._last_heartbeat(sim, now)
                sim["failedAt"] = now
                sim["installError"] = error
            elif action == "update-available":
                available = payload.get("available", True)
                if not isinstance(available, bool):
                    raise invalid("available must be a boolean", "available")
                sim["updateAvailable"] = available
            store.update(RUNNER_KIND, doc, self._gone_at(doc))
            org = next(o for o, d in store.all_with_org(RUNNER_KIND) if d["id"] == doc["id"])
            return self.render_runner(org, doc, now)

    def replace_bindings(self, org: str, ident: str, bindings: list) -> None:
        with self.store.transaction() as store:
            doc = self._find_runner(org, ident)
            if doc is None:
                return
            doc["profileBindings"] = coerce(bindings, RUNNER.fields["profileBindings"], "replace_bindings")
            store.update(RUNNER_KIND, doc, self._gone_at(doc))

    def dump(self) -> dict:
        with self.store.transaction() as store:
            store.purge(self.clock())
            runners = [dict(doc, organization=org) for org, doc in store.all_with_org(RUNNER_KIND)]
            templates = [dict(doc, organization=org) for org, doc in store.all_with_org(TEMPLATE_KIND)]
        return {"runners": runners, "profileTemplates": templates}

    def reset(self) -> None:
        with self.store.transaction() as store:
            store.clear()


def check_json_body(body: object) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, 3, "request body must be a JSON object")
    return body
