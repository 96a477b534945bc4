"""psycopg 3 against `oktaql serve`: a parameterised query (server-side binding), typed
results. Exits 77 with a SKIPPED line when psycopg is not installed.

Usage: psycopg_query.py PORT PASSWORD APP_ID
"""
import sys

try:
    import psycopg
except ImportError:
    print("SKIPPED: psycopg is not installed (pip install 'psycopg[binary]')")
    sys.exit(77)

port, password, app_id = sys.argv[1:4]
with psycopg.connect(
    host="127.0.0.1", port=port, user="oktaql", password=password, dbname="okta"
) as conn:
    rows = conn.execute(
        "SELECT id, status, _links FROM okta.apps.secrets"
        " WHERE subdomain = %s AND appId = %s ORDER BY id",
        ("my-org", app_id),
    ).fetchall()
    assert len(rows) == 2, rows
    for secret_id, status, links in rows:
        assert secret_id.startswith("ocs"), secret_id
        assert status in ("ACTIVE", "INACTIVE"), status
        assert isinstance(links, dict), type(links)
        print(f"{secret_id} {status} links={sorted(links)}")
    (version,) = conn.execute("SELECT version()").fetchone()
    print(version)
print("psycopg", psycopg.__version__, "ok")
