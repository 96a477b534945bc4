#!/usr/bin/env python3
"""Runs several of the SDK scripts in this directory in one Python process.

Importing Okta's Python SDK takes several seconds of CPU (pydantic builds the schemas of its
117 API classes and about a thousand models when `okta.client` is imported), so a test that
runs more than one script runs them through this file and pays for the import once.

Usage:

    python3 run_scripts.py '[{"script": "okta_python_sdk_credentials.py",
                              "env": {"OKTAQL_SANDBOX_URL": "...", ...}}, ...]'

Each script runs in turn, unchanged, with its "env" added to this process's environment (and
removed again afterwards), its own fresh `common` module (so its own check log and verdict),
and its own event loop. A script that raises counts as failed; the others still run.

Prints each script's output under a "== <script>" line and its verdict, then "all scripts
passed" or how many failed. Exit status: 0 when every script passed, 1 when one failed, 3
(and "okta SDK not installed") when `okta` cannot be imported.
"""

import asyncio
import importlib.util
import json
import os
import runpy
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_ABSENT = 3


def run_one(script, env):
    """Runs one script's `main` with `env` added; True when it passed."""
    saved = dict(os.environ)
    os.environ.update(env)
    # `common` reads the environment when imported and keeps the check log: fresh per script.
    sys.modules.pop("common", None)
    try:
        namespace = runpy.run_path(os.path.join(HERE, script), run_name="sdk_script")
        return asyncio.run(namespace["main"]()) == 0
    except Exception:
        traceback.print_exc(file=sys.stdout)
        print("the script raised: failed")
        return False
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main():
    if importlib.util.find_spec("okta") is None:
        print("okta SDK not installed")
        return SDK_ABSENT
    runs = json.loads(sys.argv[1])
    sys.path.insert(0, HERE)
    started = time.monotonic()
    import okta.client  # noqa: F401  (the import every script needs, timed on its own)

    print(f"(the SDK imported in {time.monotonic() - started:.1f} s)")
    failed = []
    for run in runs:
        print(f"== {run['script']}", flush=True)
        started = time.monotonic()
        if not run_one(run["script"], run.get("env", {})):
            failed.append(run["script"])
        print(f"({run['script']} took {time.monotonic() - started:.1f} s)", flush=True)
    print()
    print("all scripts passed" if not failed else f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
