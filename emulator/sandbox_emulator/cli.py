"""Command line: ``python -m sandbox_emulator`` / ``sandbox-emulator``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from werkzeug.serving import make_server

from sandbox_emulator import API_PREFIX
from sandbox_emulator.app import EmulatorApp
from sandbox_emulator.config import (
    Config,
    ConfigError,
    Timings,
    demo_config,
    load,
    make_cluster,
    make_token,
    set_timing,
)
from sandbox_emulator.store import Store


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sandbox-emulator",
        description="Local emulator of the CoreWeave Sandboxes v1beta2 control-plane API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML file with tokens, clusters and timings; without it and without --token or --cluster, the built-in "
        "demo configuration applies",
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE", help="SQLite file that keeps resources across restarts")
    state.add_argument("--memory", action="store_true", help="keep resources in memory only (the default)")
    parser.add_argument(
        "--test-control",
        action="store_true",
        help="enable the /_emulator test-control interface: reset, state dump, request log, faults, runner control",
    )
    parser.add_argument(
        "--list-key",
        choices=("runners", "managedRunners"),
        default="runners",
        help="name of the array in the answer of GET /managed-runners (default runners)",
    )
    parser.add_argument(
        "--emit-zero-values",
        action="store_true",
        help='emit zero-valued fields ("", false, 0, [], {}, *_UNSPECIFIED enums, null timestamps) instead of '
        "omitting them (protobuf JSON omits them by default)",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="PEM certificate; serve HTTPS (needs --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    parser.add_argument("--port-file", metavar="FILE", help="write the bound port number to this file once listening")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="logging level on standard error (default info)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN,PERMISSION,ORG",
        help="add a token (repeatable), e.g. my-token,SANDBOX_ADMIN,org-demo",
    )
    parser.add_argument(
        "--cluster",
        action="append",
        default=[],
        metavar="NAME,ZONE[,UUID]",
        help="add a cluster (repeatable), e.g. prod-east,US-EAST-04A",
    )
    parser.add_argument(
        "--timing",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="override a lifecycle timing (repeatable); NAME is one of " + ", ".join(Timings.__dataclass_fields__),
    )
    return parser


def build_config(args: argparse.Namespace) -> Config:
    if args.config:
        config = load(args.config)
    elif args.token or args.cluster:
        config = Config()
    else:
        config = demo_config()
    for spec in args.token:
        parts = spec.split(",")
        if len(parts) != 3:
            raise ConfigError(f"--token {spec!r}: expected TOKEN,PERMISSION,ORG")
        config.tokens.append(make_token(*parts))
    for spec in args.cluster:
        parts = spec.split(",")
        if len(parts) not in (2, 3):
            raise ConfigError(f"--cluster {spec!r}: expected NAME,ZONE[,UUID]")
        config.clusters.append(make_cluster(*parts))
    for spec in args.timing:
        key, sep, value = spec.partition("=")
        if not sep:
            raise ConfigError(f"--timing {spec!r}: expected NAME=SECONDS")
        set_timing(config.timings, key.strip(), value)
    config.list_key = args.list_key
    config.emit_zero_values = args.emit_zero_values
    config.test_control = args.test_control
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("sandbox-emulator: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    try:
        config = build_config(args)
    except ConfigError as exc:
        print(f"sandbox-emulator: {exc}", file=sys.stderr)
        return 2
    store = Store(args.state)
    app = EmulatorApp(config, store)
    ssl_context = (args.tls_cert, args.tls_key) if args.tls_cert else None
    try:
        server = make_server(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    except OSError as exc:
        print(f"sandbox-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = threading.Thread(target=server.serve_forever, name="sandbox-emulator", daemon=True)
    worker.start()
    port = server.server_port
    scheme = "https" if ssl_context else "http"
    print(f"sandbox-emulator listening on {scheme}://{args.host}:{port}{API_PREFIX}", flush=True)
    if args.port_file:
        tmp = f"{args.port_file}.tmp"
        with open(tmp, "w") as handle:
            handle.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    with store.lock:
        store.close()
    logging.getLogger("sandbox_emulator").info("stopped")
    return 0
