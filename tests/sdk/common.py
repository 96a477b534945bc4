"""What the Okta Python SDK scripts share: the sandbox's address and token, the SDK client
set-up (API token or PrivateKey), the check log and the end-of-run verdict.

Environment: OKTAQL_SANDBOX_URL (default http://127.0.0.1:8787/my-org, i.e. the server URL
template with the org filled in), OKTAQL_SANDBOX_TOKEN (default sandbox-token).
"""

import asyncio
import os
import sys

from okta.client import Client as OktaClient

ORG_URL = os.environ.get("OKTAQL_SANDBOX_URL", "http://127.0.0.1:8787/my-org")
TOKEN = os.environ.get("OKTAQL_SANDBOX_TOKEN", "sandbox-token")

# The SDK insists on an https org URL unless its testing switch is on. The switch lives outside
# the "client" section, which is all a dict passed to Client() can set, so it comes from the
# environment (or from the "testing" section of an okta.yaml).
os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

# No retries: a 429 or 5xx from the sandbox is an answer to check, not to wait out.
_NO_RETRIES = {"maxRetries": 0}

failures = []


def check(ok, what):
    """Prints one check's outcome and remembers a failure."""
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def unpack(result):
    """The SDK answers (data, response, error) on success and (response, error) on some errors."""
    if len(result) == 3:
        return result[0], result[2]
    return None, result[-1]


def status_of(result):
    """The HTTP status of an SDK answer, when it carries its response."""
    return result[1].status_code if len(result) == 3 and result[1] is not None else None


def ssws_client(token=TOKEN):
    """An SDK client authenticating with an API token (SSWS)."""
    return OktaClient(
        {
            "orgUrl": ORG_URL,
            "token": token,
            "authorizationMode": "SSWS",
            "rateLimit": _NO_RETRIES,
        }
    )


def private_key_client(client_id, key_file, scopes):
    """An SDK client getting its own access tokens (client credentials, private_key_jwt)."""
    with open(key_file) as f:
        key = f.read()
    return OktaClient(
        {
            "orgUrl": ORG_URL,
            "authorizationMode": "PrivateKey",
            "clientId": client_id,
            "scopes": scopes,
            "privateKey": key,
            "rateLimit": _NO_RETRIES,
        }
    )


def verdict():
    """Prints the run's verdict; the exit status: 0 when every check passed."""
    print()
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def run(main):
    """Runs the script's async `main` and exits with its status."""
    sys.exit(asyncio.run(main()))
