#!/usr/bin/env python3
"""Drives `oktaql sandbox` with Okta's official Python SDK (PyPI `okta`, 3.1 or newer), unchanged.

Run by hand (not part of CI):

    pip install 'okta>=3.1'
    oktaql sandbox --listen 127.0.0.1:8787 &
    python3 tests/sdk/okta_python_sdk.py

Environment: OKTAQL_SANDBOX_URL (default http://127.0.0.1:8787/my-org, i.e. the server URL
template with the org filled in), OKTAQL_SANDBOX_TOKEN (default sandbox-token).

It lists, creates, gets, deactivates, activates and deletes client secrets of the demo app
"Payroll Portal", checks that each response parses into the SDK's models, then provokes Okta's
errors (E0000001, E0000007, E0000011) and checks that the SDK parses them too. It changes the
sandbox's data, then restores the app to one ACTIVE secret. Exit status 0 means every check passed.
"""

import base64
import hashlib

from common import ORG_URL, check, run, ssws_client, unpack, verdict

APP = "0oa8f2kq1XnT5bRzY4d7"  # Payroll Portal: client_secret_basic, one ACTIVE secret
PRIVATE_KEY_JWT_APP = "0oa8f2kt9LgD4yFhK7m3"


def expected_hash(secret):
    digest = hashlib.sha256(secret.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def describe(s):
    return f"{s.id} {s.status} hash={s.secret_hash} created={s.created}"


async def main():
    okta = ssws_client()
    print(f"Okta Python SDK against {ORG_URL}")

    print("list_o_auth2_client_secrets")
    secrets, err = unpack(await okta.list_o_auth2_client_secrets(APP))
    check(err is None, f"no error ({err})")
    for s in secrets or []:
        print("       ", describe(s))
    check(secrets is not None and len(secrets) >= 1, "at least one secret")
    original = secrets[0]
    check(original.secret_hash == expected_hash(original.client_secret), "secret_hash matches SHA-256")
    check(original.links is not None and original.links.deactivate is not None, "ACTIVE secret links deactivate")

    print("create_o_auth2_client_secret (system-generated)")
    from okta.models.o_auth2_client_secret_request_body import OAuth2ClientSecretRequestBody

    new, err = unpack(await okta.create_o_auth2_client_secret(APP, OAuth2ClientSecretRequestBody()))
    check(err is None, f"no error ({err})")
    print("       ", describe(new))
    check(new.status == "ACTIVE" and len(new.client_secret) == 40, "ACTIVE, 40 characters")

    print("get_o_auth2_client_secret")
    got, err = unpack(await okta.get_o_auth2_client_secret(APP, new.id))
    check(err is None and got.id == new.id and got.client_secret == new.client_secret, "same secret")

    print("deactivate_o_auth2_client_secret (the original)")
    off, err = unpack(await okta.deactivate_o_auth2_client_secret(APP, original.id))
    check(err is None and off.status == "INACTIVE", f"INACTIVE ({err})")
    check(off.links.activate is not None and off.links.delete is not None, "INACTIVE secret links activate and delete")

    print("activate_o_auth2_client_secret")
    on, err = unpack(await okta.activate_o_auth2_client_secret(APP, original.id))
    check(err is None and on.status == "ACTIVE", f"ACTIVE ({err})")

    print("create with a third secret -> E0000001")
    _, err = unpack(await okta.create_o_auth2_client_secret(APP, OAuth2ClientSecretRequestBody()))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001" and err.status == 400, "400 E0000001 parsed")

    print("delete_o_auth2_client_secret of an ACTIVE secret -> E0000001")
    _, err = unpack(await okta.delete_o_auth2_client_secret(APP, new.id))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001", "400 E0000001 parsed")

    print("deactivate + delete_o_auth2_client_secret (the new one)")
    _, err = unpack(await okta.deactivate_o_auth2_client_secret(APP, new.id))
    check(err is None, f"deactivated ({err})")
    result = await okta.delete_o_auth2_client_secret(APP, new.id)
    _, err = unpack(result)
    status = result[1].status_code if len(result) == 3 and result[1] is not None else None
    check(err is None and status == 204, f"204 No Content ({err})")

    print("get a deleted secret -> E0000007")
    _, err = unpack(await okta.get_o_auth2_client_secret(APP, new.id))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000007" and err.status == 404, "404 E0000007 parsed")

    print("custom secret on a private_key_jwt app -> E0000001")
    body = OAuth2ClientSecretRequestBody(client_secret="x" * 40, status="ACTIVE")
    _, err = unpack(await okta.create_o_auth2_client_secret(PRIVATE_KEY_JWT_APP, body))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000001", "400 E0000001 parsed")

    print("wrong token -> E0000011")
    _, err = unpack(await ssws_client("not-the-token").list_o_auth2_client_secrets(APP))
    print("       ", str(err).replace("\n", " | "))
    check(getattr(err, "error_code", None) == "E0000011" and err.status == 401, "401 E0000011 parsed")

    print("list_o_auth2_client_secrets (final)")
    secrets, err = unpack(await okta.list_o_auth2_client_secrets(APP))
    for s in secrets or []:
        print("       ", describe(s))
    check(err is None and [s.id for s in secrets] == [original.id], "back to the original secret")

    print("list_applications / get_application")
    apps, err = unpack(await okta.list_applications(limit=5))
    check(err is None and apps is not None and len(apps) == 5, f"5 apps ({err})")
    for a in apps or []:
        print("       ", a.id, a.sign_on_mode, a.label)
    app, err = unpack(await okta.get_application(APP))
    check(err is None and app.id == APP and app.label == "Payroll Portal", f"get_application ({err})")

    return verdict()


if __name__ == "__main__":
    run(main)
