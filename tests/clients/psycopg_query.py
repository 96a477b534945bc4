"""psycopg 3 against `oktaql serve`: a parameterised query (server-side binding), typed
results, and information_schema queries with parameters. Exits 77 with a SKIPPED line when psycopg is not installed.

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
    # information_schema with parameters, as schema browsers ask.
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        ("apps", "secrets"),
    ).fetchall()
    assert ("created", "timestamp with time zone") in columns, columns
    assert ("_links", "jsonb") in columns, columns
    tables = [
        t
        for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            ("apps",),
        )
    ]
    assert "secrets" in tables, tables
    print(f"information_schema: {len(tables)} tables in apps, {len(columns)} columns in secrets")
print("psycopg", psycopg.__version__, "ok")
