# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The base every coreweave.sandbox module is built on: API options, client, result, check and diff mode."""

from __future__ import annotations

import copy
import ipaddress
import math
import re
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.coreweave.sandbox.plugins.module_utils.client import (
    DEFAULT_ENDPOINT,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    SandboxApiError,
    SandboxClient,
)
from ansible_collections.coreweave.sandbox.plugins.module_utils.compare import (
    NO_RULES,
    apply_fields,
    changed_fields,
    has_path,
    managed_view,
    update_request,
)

try:
    import jsonschema

    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR = None
except ImportError:
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()

TOKEN_ENV = "COREWEAVE_API_TOKEN"
ENDPOINT_ENV = "COREWEAVE_API_ENDPOINT"
# A Kubernetes resource quantity: a non-negative decimal number with an optional SI, binary SI or exponent suffix.
QUANTITY_RE = re.compile(r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def api_argument_spec():
    """The options every module takes; documented once in the ``coreweave.sandbox.api`` doc fragment."""
    return {
        "api_token": {"type": "str", "no_log": True, "fallback": (env_fallback, [TOKEN_ENV])},
        "api_endpoint": {"type": "str", "default": DEFAULT_ENDPOINT, "fallback": (env_fallback, [ENDPOINT_ENV])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "api_timeout": {"type": "float", "default": 30.0},
        "api_retries": {"type": "int", "default": 5},
    }


def format_path(base, steps):
    """``base`` followed by the steps of a JSON path: keys joined with dots, list indexes in brackets."""
    text = base
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += ("." if text else "") + str(step)
    return text


def schema_errors(value, schema, path):
    """Every way ``value`` breaks the JSON ``schema``, each message starting with the path of the bad field.

    Needs ``jsonschema``; callers check ``HAS_JSONSCHEMA`` first (``SandboxModule.require_jsonschema``).
    """
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(value), key=lambda err: [str(step) for step in err.absolute_path])
    return [f"{format_path(path, err.absolute_path)}: {err.message}" for err in errors]


def quantity_error(value, path):
    """A message naming ``path`` when ``value`` is not a Kubernetes quantity, else ``None``."""
    if value is None or QUANTITY_RE.match(str(value)):
        return None
    return f"{path}: {value!r} is not a Kubernetes quantity (for example 500m, 2, 1.5, 4Gi, 512Mi)"


# Options that hold a map of strings to strings wherever they appear in an argument spec.
STRING_MAP_OPTIONS = frozenset(("labels", "node_selector", "annotations", "env"))


def yaml_text(value):
    """The text YAML writes for a scalar (``true`` -> ``"true"``, ``1`` -> ``"1"``, ``1.5`` -> ``"1.5"``).

    ``None`` for what has no text of its own: null, a list, a mapping.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return None


def string_map(value, path):
    """``value``, a mapping, with every key and value a string, and the problems found.

    Scalars become the text YAML writes for them; a null, list or mapping value is a problem naming
    its key path under ``path``, for example ``overrides.env.N``. Returns ``(converted, errors)``.
    """
    converted = {}
    errors = []
    for key, item in value.items():
        text = yaml_text(item)
        if text is None:
            kind = {type(None): 'null (write "" for an empty string)', list: "a list", dict: "a mapping"}
            got = kind.get(type(item), type(item).__name__)
            errors.append(f"{format_path(path, [str(key)])}: must be a string, a number or a boolean, got {got}")
            continue
        converted[yaml_text(key) or str(key)] = text
    return converted, errors


def string_map_errors(spec, params, prefix=""):
    """Convert, in place, every string map option of ``params`` (declared by the argument ``spec``).

    Goes into sub-options and list elements; the problems name the path of each bad value, list
    entries by index (``profile_bindings[0].overrides.node_selector.zone``).
    """
    errors = []
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            continue
        path = format_path(prefix, [name])
        options = option.get("options")
        if name in STRING_MAP_OPTIONS and option.get("type") == "dict" and not options and isinstance(value, dict):
            params[name], problems = string_map(value, path)
            errors.extend(problems)
        elif options and option.get("type") == "list":
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    errors.extend(string_map_errors(options, item, format_path(path, [index])))
        elif options and isinstance(value, dict):
            errors.extend(string_map_errors(options, value, path))
    return errors


MAX_DISPLAY_NAME = 256
RUNNER_ID_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def display_name_error(value, path="display_name"):
    """A message naming ``path`` when ``value`` cannot be a display name, else ``None``.

    A template's display name also addresses it in URLs, so a slash or a control character could
    reach another resource; both are refused before any request. So are ``.`` and ``..``, which a URL
    reads as "this" and "the parent" path segment: the template would be looked up at another path.
    """
    if not value or not value.strip():
        return f"{path} must not be empty"
    if len(value) > MAX_DISPLAY_NAME:
        return f"{path} must be at most {MAX_DISPLAY_NAME} characters, got {len(value)}"
    if "/" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"{path} {value!r} must not contain slashes or control characters"
    if value in (".", ".."):
        return f"{path} {value!r} cannot be used: a URL reads it as a relative path segment, not as a name"
    return None


def runner_id_error(value, path="runner_id"):
    """A message naming ``path`` when ``value`` is not a runner id (a lowercase DNS label), else ``None``."""
    if not RUNNER_ID_RE.match(value or ""):
        return (
            f"{path} {value!r} must be a lowercase DNS label: a-z, 0-9 and '-', starting and ending with a letter "
            "or digit, at most 63 characters"
        )
    return None


def cidr_error(value, path):
    """A message naming ``path`` when ``value`` is not an IPv4 or IPv6 CIDR range, else ``None``."""
    try:
        if "/" not in str(value):
            raise ValueError(value)
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return f"{path}: {value!r} is not a CIDR range (for example 10.0.0.0/8)"
    return None


class SandboxModule:
    """An ``AnsibleModule`` with the API options, one client, and the shared present/absent logic."""

    def __init__(self, argument_spec, **kwargs):
        spec = api_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.result = {"changed": False}
        self._diff = {"before": {}, "after": {}}
        self._client = None
        self._writes_landed = False
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self._check_api_options()
        self.fail_invalid(string_map_errors(spec, self.params))

    def _check_api_options(self):
        token = (self.params["api_token"] or "").strip()
        if not token:
            self.fail(
                f"No API token: set the api_token option or the {TOKEN_ENV} environment variable.",
            )
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
            self.fail(
                f"api_token (or {TOKEN_ENV}) holds spaces or control characters inside it; a token is one word. "
                "Check how it is quoted or templated."
            )
        # A token read from a block scalar or a file often ends in a newline: send it without.
        self.params["api_token"] = token
        self.module.no_log_values.add(token)
        endpoint = self.params["api_endpoint"] or ""
        if not endpoint.startswith(("https://", "http://")):
            self.fail(f"api_endpoint must be an http:// or https:// URL, got {endpoint!r}.")
        if self.params["api_timeout"] <= 0:
            self.fail("api_timeout must be a positive number of seconds, got {}.".format(self.params["api_timeout"]))
        if self.params["api_retries"] < 0:
            self.fail("api_retries must be zero or more, got {}.".format(self.params["api_retries"]))
        if not self.params["validate_certs"]:
            self.module.warn("validate_certs is false: the API's TLS certificate is not verified.")

    @property
    def client(self):
        if self._client is None:
            self._client = SandboxClient(
                self.params["api_endpoint"],
                self.params["api_token"],
                validate_certs=self.params["validate_certs"],
                ca_path=self.params["ca_path"],
                timeout=self.params["api_timeout"],
                retries=self.params["api_retries"],
                log=self.module.debug,
            )
        return self._client

    def fail(self, msg, **kwargs):
        result = dict(self.result)
        result.update(kwargs)
        result["msg"] = msg
        self.module.fail_json(**result)

    def fail_api(self, err, prefix=None):
        """Fail with the shared error shape of a :class:`SandboxApiError`."""
        result = err.to_result()
        if prefix:
            result["msg"] = prefix + ": " + result["msg"]
        self.fail(result.pop("msg"), **result)

    def require_jsonschema(self):
        """Fail with Ansible's standard message when ``jsonschema`` is not installed."""
        if not HAS_JSONSCHEMA:
            self.module.fail_json(msg=missing_required_lib("jsonschema"), exception=JSONSCHEMA_IMPORT_ERROR)

    def fail_invalid(self, errors):
        """Fail before any request when input validation found ``errors`` (messages; ``None`` entries are skipped)."""
        errors = [message for message in errors if message]
        if errors:
            self.fail("Invalid input: " + "; ".join(errors), errors=list(errors))

    def set_diff(self, before, after):
        self._diff = {"before": before, "after": after}

    @property
    def diff(self):
        """The before/after views the result will carry when diff mode is on."""
        return self._diff

    @property
    def diff_requested(self):
        return bool(self.module._diff)

    def exit(self, **kwargs):
        self.result.update(kwargs)
        if self.module._diff:
            self.result["diff"] = self._diff
        self.module.exit_json(**self.result)

    def call(self, func, *args, **kwargs):
        """Run a client call; an API error ends the module with the shared failure shape."""
        try:
            return func(*args, **kwargs)
        except SandboxApiError as err:
            self.fail_api(err)

    def write(self, func, *args, **kwargs):
        """Run a write; when the API refused it outright, the failed task reports ``changed=false``.

        A refusal (a redirect or a 4xx answer other than 408 and 429) means this write was not applied, so
        ``changed`` is true only when an earlier write of the task landed. After
        a server error, a timeout or a dropped connection the write may have landed, so ``changed``
        stays true.
        """
        try:
            outcome = func(*args, **kwargs)
        except SandboxApiError as err:
            if err.refused:
                self.result["changed"] = self._writes_landed
            self.fail_api(err)
        self._writes_landed = True
        return outcome

    def ensure_present(self, current, desired, fields, create, update, rules=NO_RULES, build_update=None):
        """Create or update one resource so that its managed ``fields`` equal ``desired``.

        ``current`` is the resource as read (``None`` when absent), ``desired`` the wire form of what
        the task asks. ``create(desired)`` and ``update(body, mask)`` perform the write and return the
        resource; neither is called in check mode, where the predicted resource is returned instead.
        Returns the resulting wire resource and sets ``changed`` and the diff.

        ``build_update(current, desired, changed)`` returns the PATCH body and mask for the changed fields;
        by default each changed field is sent under its own mask path.
        """
        if current is None:
            self.result["changed"] = True
            self.set_diff({}, managed_view(desired, fields))
            if self.check_mode:
                return copy.deepcopy(desired)
            return self.write(create, desired)

        changed = changed_fields(desired, current, fields, rules)
        predicted = apply_fields(current, desired, [pair for pair in fields if pair in changed])
        self.set_diff(
            managed_view(current, _present_in(desired, fields)),
            managed_view(predicted, _present_in(desired, fields)),
        )
        if not changed:
            return current
        self.result["changed"] = True
        if self.check_mode:
            return predicted
        if build_update is None:
            body, mask = update_request(desired, changed)
        else:
            body, mask = build_update(current, desired, changed)
        return self.write(update, body, mask)

    def ensure_absent(self, current, delete, fields=()):
        """Delete the resource when it exists; ``delete()`` is not called in check mode."""
        if current is None:
            return False
        self.result["changed"] = True
        self.set_diff(managed_view(current, fields), {})
        if not self.check_mode:
            self.write(delete)
        return True


def _present_in(desired, fields):
    return [pair for pair in fields if has_path(desired, pair[1])]
