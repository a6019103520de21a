# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # Options shared by every module that talks to the control plane.
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - Bearer token for the CoreWeave API, created on the Tokens page of the cloud console.
      - Write operations need a token whose user holds C(SANDBOX_ADMIN); reads need C(SANDBOX_USER).
        Check mode only reads, so it cannot tell that a token lacks C(SANDBOX_ADMIN); the real run then fails with
        HTTP 403.
      - If not set, the value of the E(COREWEAVE_API_TOKEN) environment variable is used.
      - The token is never shown in results, diffs, failure messages or logs.
    type: str
  api_endpoint:
    description:
      - Base URL of the CoreWeave API, without the version prefix; the modules add C(/v1beta2/sandbox).
      - A URL that already ends in C(/v1beta2/sandbox) is accepted too; the prefix is not added twice.
      - Point it at a local control-plane emulator to test playbooks offline, for example V(http://127.0.0.1:8765).
      - If not set, the value of the E(COREWEAVE_API_ENDPOINT) environment variable is used, then the default.
    type: str
    default: https://api.coreweave.com
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
      - Set to V(false) only for a test endpoint with a self-signed certificate; the module then warns.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates to verify the API's certificate with, instead of the system store.
    type: path
  api_timeout:
    description:
      - Seconds to wait for the API to connect and to answer one request.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after a rate limit (HTTP 429), a server error (HTTP 500, 502, 503,
        504), a dropped connection or a timeout, with exponential backoff and jitter, honouring C(Retry-After).
      - GET, PATCH and DELETE are resent as they are. A create is never resent blindly; the module first looks
        the resource up and adopts it when the earlier attempt had landed.
      - V(0) disables retries.
    type: int
    default: 5
notes:
  - "The modules talk to the API from the host they run on, usually the controller; use them with
    C(delegate_to: localhost) or in a play on C(localhost)."
  - All modules of the collection belong to the C(coreweave.sandbox.all) action group, so the API options can be
    set once with C(module_defaults).
requirements:
  - requests >= 2.28
"""
