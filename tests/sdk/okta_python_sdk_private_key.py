#!/usr/bin/env python3
"""Drives `oktaql sandbox` with Okta's official Python SDK (PyPI `okta` 3.4.6) in PrivateKey mode:
OAuth 2.0 client credentials with private_key_jwt, unchanged.

Run by hand:

    pip install 'okta==3.4.6'
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out app.pem && chmod 600 app.pem
    oktaql sandbox --listen 127.0.0.1:8787 --service-app-key app.pem &
    OKTAQL_PRIVATE_KEY=app.pem python3 tests/sdk/okta_python_sdk_private_key.py

The SDK signs client assertions with RS256 only, so the key must be an RSA key. `cargo test
--test it sdk_python` runs this script against an in-process sandbox when `import okta` works.

Environment: OKTAQL_SANDBOX_URL (default http://127.0.0.1:8787/my-org), OKTAQL_CLIENT_ID (default
the sandbox's service app, 0oa8f2kt9LgD4yFhK7m3), OKTAQL_PRIVATE_KEY (the PEM file).

It lists, creates, deactivates and deletes client secrets of the demo app "Payroll Portal" with an
access token the SDK gets itself, then checks that a client with only okta.apps.read is refused
the write (403 E0000006). Exit status 0 means every check passed.
"""

import asyncio
import os
import sys

from okta.client import Client as OktaClient
from okta.models import OAuth2ClientSecretRequestBody

ORG_URL = os.environ.get("OKTAQL_SANDBOX_URL", "http://127.0.0.1:8787/my-org")
CLIENT_ID = os.environ.get("OKTAQL_CLIENT_ID", "0oa8f2kt9LgD4yFhK7m3")
KEY_FILE = os.environ.get("OKTAQL_PRIVATE_KEY", "app.pem")
APP = "0oa8f2kq1XnT5bRzY4d7"  # Payroll Portal: one ACTIVE secret

# The SDK insists on an https org URL unless its testing switch is on (see the SSWS script).
os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def unpack(result):
    if len(result) == 3:
        return result[0], result[2]
    return None, result[-1]


def client(scopes):
    with open(KEY_FILE) as f:
        key = f.read()
    return OktaClient(
        {
            "orgUrl": ORG_URL,
            "authorizationMode": "PrivateKey",
            "clientId": CLIENT_ID,
            "scopes": scopes,
            "privateKey": key,
            "rateLimit": {"maxRetries": 0},
        }
    )


async def main():
    okta = client(["okta.apps.read", "okta.apps.manage"])
    print(f"Okta Python SDK (PrivateKey, client id {CLIENT_ID}) against {ORG_URL}")

    print("list_o_auth2_client_secrets")
    secrets, err = unpack(await okta.list_o_auth2_client_secrets(APP))
    check(err is None, f"no error ({err})")
    before = len(secrets or [])
    check(before >= 1, f"{before} secret(s) listed")

    print("create_o_auth2_client_secret")
    new, err = unpack(await okta.create_o_auth2_client_secret(APP, OAuth2ClientSecretRequestBody()))
    check(err is None and new is not None, f"created ({err})")
    check(new is not None and new.status == "ACTIVE", "the new secret is ACTIVE")

    print("deactivate_o_auth2_client_secret")
    off, err = unpack(await okta.deactivate_o_auth2_client_secret(APP, new.id))
    check(err is None and off is not None and off.status == "INACTIVE", f"deactivated ({err})")

    print("delete_o_auth2_client_secret")
    result = await okta.delete_o_auth2_client_secret(APP, new.id)
    check(result[-1] is None, f"deleted ({result[-1]})")
    secrets, err = unpack(await okta.list_o_auth2_client_secrets(APP))
    check(err is None and len(secrets) == before, f"back to {before} secret(s)")

    print("a client granted okta.apps.read only cannot write")
    reader = client(["okta.apps.read"])
    _, err = unpack(await reader.list_o_auth2_client_secrets(APP))
    check(err is None, f"it can read ({err})")
    _, err = unpack(await reader.create_o_auth2_client_secret(APP, OAuth2ClientSecretRequestBody()))
    code = getattr(err, "error_code", None)
    check(err is not None and code == "E0000006", f"the write is refused with E0000006 ({code})")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
