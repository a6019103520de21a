# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit-test fixtures: a tiny scripted HTTP server on 127.0.0.1 standing in for the API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class FakeApi:
    """Answers from a script: ``add(method, path, status, body)`` queues one answer for that request.

    The last queued answer of a (method, path) repeats once the others are used up; a request with no
    answer gets 404. Every request is recorded in ``requests`` as a dict.
    """

    def __init__(self):
        self.answers = {}
        self.requests = []
        self.handlers = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                entry = {
                    "method": self.command,
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "headers": dict(self.headers),
                    "body": json.loads(raw) if raw else None,
                }
                api.requests.append(entry)
                status, body, headers = api.answer(entry)
                if status is None:
                    self.connection.close()
                    return
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, method, path, status=200, body=None, headers=None):
        self.answers.setdefault((method, "/v1beta2/sandbox" + path), []).append((status, body or {}, headers))

    def handle(self, method, path, func):
        """Answer ``method path`` with ``func(entry) -> (status, body, headers)``."""
        self.handlers[(method, "/v1beta2/sandbox" + path)] = func

    def answer(self, entry):
        key = (entry["method"], entry["path"])
        if key in self.handlers:
            return self.handlers[key](entry)
        queue = self.answers.get(key)
        if not queue:
            return 404, {"code": 5, "message": "not found"}, None
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def sent(self, method=None):
        return [entry for entry in self.requests if method is None or entry["method"] == method]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def fake_api():
    with FakeApi() as api:
        yield api


@pytest.fixture
def run_module(capsys):
    """Run a module's ``main`` with ``args``; returns ``(failed, result)`` from its JSON output."""
    from ansible.module_utils.testing import patch_module_args

    def run(main, args):
        with patch_module_args(args), pytest.raises(SystemExit) as exited:
            main()
        result = json.loads(capsys.readouterr().out)
        return exited.value.code != 0, result

    return run
