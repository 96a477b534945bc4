#!/usr/bin/env python3
"""Drives the sandbox with Okta's official Python SDK (PyPI `okta` 3.4.6), unchanged, through
the JSON Web Key, refresh token and key credential calls.

Run by `cargo test --test it sdk_python`; by hand:

    pip install 'okta==3.4.6'
    oktaql sandbox --listen 127.0.0.1:8787 &
    python3 tests/sdk/okta_python_sdk_credentials.py

Environment: OKTAQL_SANDBOX_URL (default http://127.0.0.1:8787/my-org), OKTAQL_SANDBOX_TOKEN
(default sandbox-token).

JSON Web Keys of the private_key_jwt demo app: list, add (inactive; through the SDK's request
executor, as the SDK's add-key model has no fields for the key itself), get, activate, deactivate
the old key, delete it, and Okta's errors (deleting an active key, deactivating the only active
key). Refresh tokens of "Payroll Portal": list (with expand=scope), get, revoke one, revoke all,
and a 404 for a revoked token. Key credentials of "Salesforce": list, generate, and Okta's 400
for validityYears out of range. Each response must parse into the SDK's models. Exit status 0
and "all checks passed" mean every check passed.
"""

import asyncio
import base64
import os
import sys

from okta.client import Client as OktaClient

ORG_URL = os.environ.get("OKTAQL_SANDBOX_URL", "http://127.0.0.1:8787/my-org")
TOKEN = os.environ.get("OKTAQL_SANDBOX_TOKEN", "sandbox-token")
KEY_APP = "0oa8f2kt9LgD4yFhK7m3"  # Data Sync Service: private_key_jwt, two JWKs
TOKEN_APP = "0oa8f2kq1XnT5bRzY4d7"  # Payroll Portal: three refresh tokens
SAML_APP = "0oa8f2ku5ZrC1aVoN6p8"  # Salesforce: two signing certificates

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def unpack(result):
    """The SDK answers (data, response, error) on success and (response, error) on some errors."""
    if len(result) == 3:
        return result[0], result[2]
    return None, result[-1]


def status_of(result):
    return result[1].status_code if len(result) == 3 and result[1] is not None else None


def inner(k):
    """list_jwk/get_jwk answer oneOf wrappers; the key is their actual_instance."""
    return getattr(k, "actual_instance", None) or k


os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")


def client():
    return OktaClient(
        {
            "orgUrl": ORG_URL,
            "token": TOKEN,
            "authorizationMode": "SSWS",
            "rateLimit": {"maxRetries": 0},
        }
    )


async def jwks(okta):
    print("list_jwk")
    keys, err = unpack(await okta.list_jwk(KEY_APP))
    check(err is None and keys is not None, f"no error ({err})")
    keys = [inner(k) for k in keys or []]
    for k in keys:
        print("       ", k.id, k.kid, k.status)
    check(len(keys) == 2, "two keys")
    old = next(k for k in keys if k.status == "ACTIVE")

    print("delete an ACTIVE key -> E0000001")
    _, err = unpack(await okta.deletejwk(KEY_APP, old.id))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001", "400 E0000001 parsed")

    print("deactivate the only active key -> E0000001")
    _, err = unpack(await okta.deactivate_o_auth2_client_json_web_key(KEY_APP, old.id))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001", "400 E0000001 parsed")

    print("add a key (INACTIVE) through the SDK's request executor")
    # okta 3.4.6's AddJwkRequest models carry no key material (e, n), so the typed add_jwk
    # cannot send a public key; the SDK's own executor posts the JSON Web Key as Okta expects.
    n = base64.urlsafe_b64encode(bytes([0xC7]) + bytes([0x5A]) * 255).decode().rstrip("=")
    executor = okta.get_request_executor()
    request, err = await executor.create_request(
        "POST",
        f"{ORG_URL}/api/v1/apps/{KEY_APP}/credentials/jwks",
        {"kid": "sdk-rotation", "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": n,
         "status": "INACTIVE"},
    )
    check(err is None, f"request built ({err})")
    result = await executor.execute(request)
    err = result[-1]
    status = getattr(result[0], "status", None)
    check(err is None and status == 201, f"201 Created ({status}, {err})")
    listed, err = unpack(await okta.list_jwk(KEY_APP))
    added = next((inner(k) for k in listed or [] if inner(k).kid == "sdk-rotation"), None)
    check(added is not None and added.status == "INACTIVE", "listed INACTIVE, kid kept")

    print("get_jwk")
    got, err = unpack(await okta.get_jwk(KEY_APP, added.id))
    check(err is None and inner(got).id == added.id, f"same key ({err})")

    print("activate new, deactivate old, delete old")
    on, err = unpack(await okta.activate_o_auth2_client_json_web_key(KEY_APP, added.id))
    check(err is None and inner(on).status == "ACTIVE", f"new ACTIVE ({err})")
    off, err = unpack(await okta.deactivate_o_auth2_client_json_web_key(KEY_APP, old.id))
    check(err is None and inner(off).status == "INACTIVE", f"old INACTIVE ({err})")
    result = await okta.deletejwk(KEY_APP, old.id)
    _, err = unpack(result)
    check(err is None and status_of(result) == 204, f"204 No Content ({err})")
    _, err = unpack(await okta.get_jwk(KEY_APP, old.id))
    check(getattr(err, "error_code", None) == "E0000007", "a deleted key is 404 E0000007")


async def tokens(okta):
    print("list_o_auth2_tokens_for_application (expand=scope)")
    ts, err = unpack(await okta.list_o_auth2_tokens_for_application(TOKEN_APP, expand="scope"))
    check(err is None and ts is not None, f"no error ({err})")
    for t in ts or []:
        print("       ", t.id, t.user_id, t.status, t.expires_at)
    check(len(ts) == 3, "three refresh tokens")
    check(all(t.client_id == TOKEN_APP and t.status == "ACTIVE" for t in ts), "clientId and ACTIVE")
    check(ts[0].embedded is not None and ts[0].embedded.scopes, "scopes embedded")

    print("get_o_auth2_token_for_application")
    t, err = unpack(await okta.get_o_auth2_token_for_application(TOKEN_APP, ts[0].id))
    check(err is None and t.id == ts[0].id and "offline_access" in t.scopes, f"same token ({err})")

    print("revoke_o_auth2_token_for_application")
    result = await okta.revoke_o_auth2_token_for_application(TOKEN_APP, ts[0].id)
    _, err = unpack(result)
    check(err is None and status_of(result) == 204, f"204 No Content ({err})")
    _, err = unpack(await okta.get_o_auth2_token_for_application(TOKEN_APP, ts[0].id))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000007", "a revoked token is 404 E0000007")

    print("revoke_o_auth2_tokens_for_application")
    result = await okta.revoke_o_auth2_tokens_for_application(TOKEN_APP)
    _, err = unpack(result)
    check(err is None and status_of(result) == 204, f"204 No Content ({err})")
    left, err = unpack(await okta.list_o_auth2_tokens_for_application(TOKEN_APP))
    check(err is None and left == [], f"none left ({err})")


async def keys(okta):
    print("list_application_keys")
    ks, err = unpack(await okta.list_application_keys(SAML_APP))
    check(err is None and ks is not None and len(ks) == 2, f"two certificates ({err})")
    for k in ks or []:
        print("       ", k.kid, k.expires_at, k.x5t_s256)
    print("generate_application_key")
    k, err = unpack(await okta.generate_application_key(SAML_APP, validity_years=3))
    check(err is None and k is not None and k.x5c and k.expires_at is not None, f"a certificate ({err})")
    print("generate with validityYears=1 -> E0000001")
    _, err = unpack(await okta.generate_application_key(SAML_APP, validity_years=1))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001", "400 E0000001 parsed")


async def main():
    okta = client()
    print(f"Okta Python SDK against {ORG_URL}")
    await jwks(okta)
    await tokens(okta)
    await keys(okta)
    print()
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
