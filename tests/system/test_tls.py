# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The modules against the emulator serving HTTPS with a certificate made for the test."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from conftest import Emulator, api_args, module_missing

pytestmark = pytest.mark.xdist_group("tls")

x509 = pytest.importorskip("cryptography.x509")
hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
NameOID = x509.oid.NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _make_pki(directory):
    """A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("sandbox test CA", ca_key, "sandbox test CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", server_key, "sandbox test CA", ca_key, ca=False)
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _certificate("unrelated CA", stranger_key, "unrelated CA", stranger_key, ca=True)
    paths = {name: directory / (name + ".pem") for name in ("ca", "cert", "key", "stranger")}
    paths["ca"].write_bytes(_pem(ca))
    paths["cert"].write_bytes(_pem(server))
    paths["stranger"].write_bytes(_pem(stranger))
    paths["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    from conftest import EMULATOR_CONFIG  # noqa: PLC0415

    if not EMULATOR_CONFIG.exists():
        pytest.skip("the emulator is not in this tree")
    directory = tmp_path_factory.mktemp("tls")
    pki = _make_pki(directory)
    server = Emulator(directory / "emulator", tls=pki)
    server.pki = pki
    yield server
    server.stop()


def test_https_certificates(tls_emulator, ansible):
    missing = module_missing("profile_template_info")
    if missing:
        pytest.skip(missing)
    tls_emulator.template("tls-template")
    pki = tls_emulator.pki
    base = api_args(tls_emulator, api_retries=0)
    tasks = [
        {"name": "trusted CA", "coreweave.sandbox.profile_template_info": dict(base, ca_path=str(pki["ca"]))},
        {"name": "unrelated CA", "coreweave.sandbox.profile_template_info": dict(base, ca_path=str(pki["stranger"]))},
        {"name": "default trust store", "coreweave.sandbox.profile_template_info": base},
        {"name": "no verification", "coreweave.sandbox.profile_template_info": dict(base, validate_certs=False)},
    ]
    for task in tasks:
        task["ignore_errors"] = True
    # ca_path must win over a CA bundle named in the environment, which requests otherwise prefers
    bundle = {"REQUESTS_CA_BUNDLE": str(pki["stranger"]), "CURL_CA_BUNDLE": str(pki["stranger"])}
    run = ansible.play(tasks, tls_emulator, env=bundle)
    statuses = [status for status, _result in run.results]
    assert statuses == ["SUCCESS", "FAILED", "FAILED", "SUCCESS"], run.output
    trusted, stranger, system, unverified = (result for _status, result in run.results)
    assert [t["display_name"] for t in trusted["profile_templates"]] == ["tls-template"]
    for failed in (stranger, system):
        assert "certificate verify failed" in failed["msg"].lower(), failed["msg"]
        assert "GET /profile-templates" in failed["msg"], failed["msg"]
    assert [t["display_name"] for t in unverified["profile_templates"]] == ["tls-template"]
    assert "validate_certs is false" in run.output, "no warning for validate_certs: false"
    assert run.output.count("validate_certs is false") >= 1
