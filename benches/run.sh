#!/usr/bin/env bash
# End-to-end benchmarks of oktaql against its own sandbox (issue #7, items 2-5), printed as
# one Markdown table. Engine overhead (item 1) is `cargo bench --bench engine`.
#
#   benches/run.sh            # full run (about 3 minutes on 2 cores, after the build)
#   benches/run.sh --quick    # fewer repetitions
#   BENCH_ONLY=batch,startup benches/run.sh   # some of: batch, startup, fanout, list,
#                                             # ratelimit, pipeline, overhead
#
# Environment: SKIP_BUILD=1 reuses the release build as it is (target/release, or
# $CARGO_TARGET_DIR/release); OKTAQL_BIN=PATH measures another
# oktaql binary (with SKIP_BUILD=1); RATE_L and RATE_N size the rate-limit scan (default 60/min,
# 90 requests: about three minutes); REFERENCE_REGISTRY=DIR adds a
# start-up figure with a StackQL-layout registry (default: ../shared/reference/stackql-registry
# when it exists). Every server runs on 127.0.0.1 and is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${OKTAQL_BIN:-$TARGET/release/oktaql}
BASELINE=$TARGET/release/oktaql-baseline
ORG=my-org
export OKTA_API_TOKEN=sandbox-token

# --- internal: (re)start the sandbox; used by hyperfine --prepare -------------------------
# Reads BENCH_WORK (state dir) and BENCH_SANDBOX_ARGS; writes the pid and base URL there.
start_sandbox() {
    local work=$1 listen=$2
    shift 2
    local out="$work/sandbox.out"
    rm -f "$out" "$work/sandbox.base"
    "$BIN" sandbox --listen "$listen" "$@" >"$out" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$work/sandbox.pid"
    for _ in $(seq 1 1200); do
        if grep -q 'base URL:' "$out" 2>/dev/null; then
            # The banner's "base URL:" line (the address line may name 0.0.0.0).
            sed -n 's/^ *base URL: *\(http[^ ]*\).*/\1/p' "$out" | head -1 >"$work/sandbox.base"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "the sandbox did not start:" >&2
            cat "$out" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "the sandbox did not start within 60 s" >&2
    return 1
}

stop_sandbox() {
    local work=$1
    if [[ -f $work/sandbox.pid ]]; then
        local pid
        pid=$(cat "$work/sandbox.pid")
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
        rm -f "$work/sandbox.pid"
    fi
}

if [[ ${1:-} == __restart-sandbox ]]; then
    stop_sandbox "$BENCH_WORK"
    # shellcheck disable=SC2086 # word splitting of the argument list is intended
    start_sandbox "$BENCH_WORK" "$(cat "$BENCH_WORK/sandbox.listen")" $BENCH_SANDBOX_ARGS
    exit 0
fi

QUICK=0
[[ ${1:-} == --quick ]] && QUICK=1
runs() { if ((QUICK)); then echo "$1"; else echo "$2"; fi; }
want() { [[ -z ${BENCH_ONLY:-} || ,$BENCH_ONLY, == *,$1,* ]]; }

# --- tools ---------------------------------------------------------------------------------
missing=()
for tool in hyperfine jq curl cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x /usr/bin/time ]] || missing+=("time")
if ((${#missing[@]})); then
    echo "missing tools: ${missing[*]}" >&2
    echo "install them with: apt-get update && apt-get install -y hyperfine jq curl time" >&2
    echo "(cargo: https://rustup.rs)" >&2
    exit 2
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "building release binaries…" >&2
    (cd "$ROOT" && cargo build --release --bins --features baseline) >&2
fi

WORK=$(mktemp -d)
export BENCH_WORK=$WORK
cleanup() { stop_sandbox "$WORK"; rm -rf "$WORK"; }
trap cleanup EXIT

median_ms() { jq -r "[.results[$2].median * 1000] | .[0] | . * 10 | round / 10" "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sandbox() { # sandbox ARGS…: start a fresh sandbox on a fixed free port
    stop_sandbox "$WORK"
    free_port | sed 's/^/127.0.0.1:/' >"$WORK/sandbox.listen"
    export BENCH_SANDBOX_ARGS="$*"
    start_sandbox "$WORK" "$(cat "$WORK/sandbox.listen")" "$@"
    BASE=$(cat "$WORK/sandbox.base")
    export OKTAQL_SERVER_URL="$BASE/{subdomain}"
}
# app_ids N [COND]: the ids of the sandbox's first N apps, one a line, read page by page; with
# COND (a jq condition on an app), only the apps it holds for.
app_ids() {
    local url="$BASE/$ORG/api/v1/apps?limit=200" cond=${2:-true}
    : >"$WORK/ids.tsv"
    while [[ -n $url ]] && (($(wc -l <"$WORK/ids.tsv") < $1)); do
        curl -fsS -D "$WORK/ids.h" -H "Authorization: SSWS $OKTA_API_TOKEN" "$url" -o "$WORK/ids.json"
        jq -r ".[] | select($cond) | .id" "$WORK/ids.json" >>"$WORK/ids.tsv"
        url=$(tr -d '\r' <"$WORK/ids.h" | sed -n 's/^[Ll]ink: *<\([^>]*\)>; *rel="next".*/\1/p' | head -1)
    done
    head -n "$1" "$WORK/ids.tsv"
}
# OAuth 2.0 clients with a client secret: the apps whose secrets can be listed.
SECRET_APPS='.credentials.oauthClient.token_endpoint_auth_method // "" | startswith("client_secret")'
in_list() { sed "s/.*/'&'/" | paste -sd, - | sed 's/,/, /g'; } # ids a line → 'a', 'b', …
# by_id_sql APP: the SELECT of one app by its id (one GET).
by_id_sql() {
    printf "SELECT id, label, status FROM okta.apps.applications WHERE subdomain = '%s' AND appId = '%s';\n" \
        "$ORG" "$1"
}
ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); }
ratio() { jq -n "$1 / $2 * 100 | round / 100"; } # ratio A B: A / B to two decimals
verdict() { jq -rn "if $1 then \"met\" else \"missed\" end"; } # verdict COND: met when the jq condition holds

# --- 2. a batch of 2,000 statements against the sandbox, and the bare-client baseline -----
if want batch; then
echo "2. batch of 2,000 statements…" >&2
CYCLES=500
sandbox --apps 2000
# Apps with exactly two secrets: per app, keep the newer one and cycle the older one.
"$BIN" exec -o json "SELECT s.appId AS appId, s.id AS id, s.created AS created \
    FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = a.id \
    WHERE a.subdomain = '$ORG' AND s.subdomain = '$ORG' AND a.signOnMode = 'OPENID_CONNECT'" \
    2>/dev/null >"$WORK/secrets.json"
jq -r --argjson n "$CYCLES" '
    group_by(.appId) | map(select(length == 2) | sort_by(.created))
    | .[:$n][] | [.[0].appId, .[0].id, .[1].id] | @tsv' "$WORK/secrets.json" >"$WORK/cycles.tsv"
got=$(wc -l <"$WORK/cycles.tsv")
if ((got < CYCLES)); then
    echo "only $got apps with two secrets; raise --apps" >&2
    exit 1
fi
secrets_url="$BASE/$ORG/api/v1/apps"
while IFS=$'\t' read -r app old keep; do
    cat >>"$WORK/batch.sql" <<SQL
SELECT id, status FROM okta.apps.secrets WHERE subdomain = '$ORG' AND appId = '$app' AND secretId = '$keep';
EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain = '$ORG', @appId = '$app', @secretId = '$old';
DELETE FROM okta.apps.secrets WHERE subdomain = '$ORG' AND appId = '$app' AND secretId = '$old';
INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', '$ORG', '$app';
SQL
    printf 'GET\t%s\n' "$secrets_url/$app/credentials/secrets/$keep" >>"$WORK/calls.tsv"
    printf 'POST\t%s\n' "$secrets_url/$app/credentials/secrets/$old/lifecycle/deactivate" >>"$WORK/calls.tsv"
    printf 'DELETE\t%s\n' "$secrets_url/$app/credentials/secrets/$old" >>"$WORK/calls.tsv"
    printf 'POST\t%s\t%s\n' "$secrets_url/$app/credentials/secrets" '{"status":"INACTIVE"}' >>"$WORK/calls.tsv"
done <"$WORK/cycles.tsv"
statements=$(grep -c ';$' "$WORK/batch.sql")
# Each command gets a freshly seeded sandbox (same ids every time), so every statement succeeds.
hyperfine -N --style none --runs "$(runs 3 7)" \
    --prepare "$ROOT/benches/run.sh __restart-sandbox" \
    --export-json "$WORK/batch.json" \
    -n oktaql "$BIN exec -o json -f $WORK/batch.sql" \
    -n baseline "$BASELINE $WORK/calls.tsv" \
    -n baseline-mt "$BASELINE --multi-thread $WORK/calls.tsv" >&2
ok=$(median_ms "$WORK/batch.json" 0)
base=$(median_ms "$WORK/batch.json" 1)
base_mt=$(median_ms "$WORK/batch.json" 2)
ratio=$(ratio "$ok" "$base")
per=$(jq -n "($ok - $base) * 1000 / $statements | round")
row "2. batch: $statements statements (SELECT get, EXEC, DELETE, INSERT), oktaql / bare reqwest" \
    "**$ratio×** (oktaql $ok ms, bare reqwest $base ms; +$per µs/statement)" "≤ 1.15×" "$(verdict "$ratio <= 1.15")" \
    "sequential, one connection; the baseline on a single-threaded runtime, as oktaql"
ratio_mt=$(ratio "$ok" "$base_mt")
row "2. batch: the same, against the baseline on a multi-threaded runtime (\`#[tokio::main]\`)" \
    "**$ratio_mt×** (oktaql $ok ms, bare reqwest $base_mt ms)" "≤ 1.15×" "$(verdict "$ratio_mt <= 1.15")" \
    "a typical small client"

fi

# --- 3. start-up ---------------------------------------------------------------------------
if want startup; then
echo "3. start-up…" >&2
DRY="SELECT id, status FROM okta.apps.secrets WHERE subdomain = '$ORG' AND appId = '0oa8f2kr7HwM3cPeL9s2'"
cmds=(-n show "$BIN exec \"SHOW SERVICES IN okta\"" -n dry-run "$BIN exec --dry-run \"$DRY\"")
REF=${REFERENCE_REGISTRY:-$ROOT/../shared/reference/stackql-registry}
[[ -d $REF ]] && cmds+=(-n dry-run-stackql "$BIN exec --registry $REF --dry-run \"$DRY\"")
# The service cache of --registry lives in the work directory: warm after the warm-up runs.
export OKTAQL_CACHE_DIR=$WORK/cache
(unset OKTAQL_SERVER_URL; hyperfine --style none -N --warmup 3 --runs "$(runs 10 40)" \
    --export-json "$WORK/startup.json" "${cmds[@]}" >/dev/null 2>&1)
if [[ -d $REF ]]; then
    # Cold: the cache emptied before every run (the entry is built and written each time).
    (unset OKTAQL_SERVER_URL; hyperfine --style none -N --runs "$(runs 10 40)" \
        --prepare "rm -rf $WORK/cache" --export-json "$WORK/startup-cold.json" \
        -n dry-run-stackql-cold "$BIN exec --registry $REF --dry-run \"$DRY\"" >/dev/null 2>&1)
    jq -s '{results: (.[0].results + .[1].results)}' "$WORK/startup.json" "$WORK/startup-cold.json" \
        >"$WORK/startup-all.json"
    mv "$WORK/startup-all.json" "$WORK/startup.json"
fi
unset OKTAQL_CACHE_DIR
for i in 0 1 2 3; do
    name=$(jq -r ".results[$i].command // empty" "$WORK/startup.json")
    [[ -z $name ]] && continue
    ms=$(median_ms "$WORK/startup.json" "$i")
    case $name in
    show) what='`exec "SHOW SERVICES IN okta"`' ;;
    dry-run) what='`exec --dry-run "SELECT …"` (embedded provider)' ;;
    dry-run-stackql) what="\`exec --registry <StackQL's okta registry> --dry-run \"SELECT …\"\`, service cache warm" ;;
    *) what="\`exec --registry <StackQL's okta registry> --dry-run \"SELECT …\"\`, cache empty (first run)" ;;
    esac
    target="≤ 10 ms median"
    status=$(verdict "$ms <= 10")
    if [[ $name == *-cold ]]; then target="(no target: once per document change)"; status="—"; fi
    row "3. start-up: $what" "**$ms ms**" "$target" "$status" "whole process"
done
stop_sandbox "$WORK"

fi

# --- 4. fan-out over 200 apps with 50 ms latency -------------------------------------------
if want fanout; then
echo "4. fan-out…" >&2
sandbox --apps 260 --latency 50
# 200 apps whose secrets can be listed.
app_ids 200 "$SECRET_APPS" >"$WORK/fan-ids.tsv"
n_ids=$(wc -l <"$WORK/fan-ids.tsv")
FAN="SELECT appId, id, status FROM okta.apps.secrets WHERE subdomain = '$ORG' AND appId IN ($(in_list <"$WORK/fan-ids.tsv"))"
fan=()
for c in 1 8 32; do
    fan+=(-n "c$c" "$BIN exec --concurrency $c -o csv \"$FAN\"")
done
hyperfine --style none -N --runs "$(runs 1 3)" --export-json "$WORK/fanout.json" "${fan[@]}" >&2
i=0
for c in 1 8 32; do
    ms=$(median_ms "$WORK/fanout.json" "$i")
    ideal=$(((n_ids + c - 1) / c * 50))
    row "4. fan-out: \`appId IN (…$n_ids apps…)\`, sandbox --latency 50, --concurrency $c" \
        "**$ms ms**" "≈ $ideal ms ($n_ids / $c × 50 ms)" \
        "$(verdict "$ms <= $ideal * 1.15 + 30")" \
        "$(ratio "$ms" "$ideal")× the ideal"
    i=$((i + 1))
done
stop_sandbox "$WORK"

fi

# --- 5. listing 100,000 applications ---------------------------------------------------------
if want list; then
echo "5. large list (seeding 100,000 apps)…" >&2
sandbox --apps 100000
for cols in 'id, label, status' '*'; do
    LIST="SELECT $cols FROM okta.apps.applications WHERE subdomain = '$ORG'"
    hyperfine --style none -N --runs "$(runs 1 3)" --export-json "$WORK/list.json" \
        -n list "$BIN exec -o csv \"$LIST\"" >&2
    ms=$(median_ms "$WORK/list.json" 0)
    /usr/bin/time -f '%M' -o "$WORK/rss.txt" "$BIN" exec -o csv "$LIST" >"$WORK/list.csv"
    rss_mb=$(($(tail -1 "$WORK/rss.txt") / 1024))
    rows=$(($(wc -l <"$WORK/list.csv") - 1))
    pages=$(((rows + 199) / 200))
    row "5. large list: \`SELECT $cols FROM okta.apps.applications\`, $rows apps in $pages pages, CSV out" \
        "**$ms ms**, peak RSS **$rss_mb MB**" "peak RSS < 300 MB" \
        "$(verdict "$rss_mb < 300")" "whole process"
done
stop_sandbox "$WORK"

fi

# --- 6. a scan at the rate limit, with and without --rate-share -----------------------------
if want ratelimit; then
echo "6. scan at the rate limit (minutes: it waits for the resets)…" >&2
L=${RATE_L:-60}
N=${RATE_N:-$((L * 3 / 2))}
sandbox --apps 600 --rate-limit "apps=$L/min"
# N apps whose secrets can be listed: one GET each in the apps bucket.
app_ids "$N" "$SECRET_APPS" >"$WORK/rl-ids.tsv"
N=$(wc -l <"$WORK/rl-ids.tsv")
SCAN="SELECT appId, id FROM okta.apps.secrets WHERE subdomain = '$ORG' AND appId IN ($(in_list <"$WORK/rl-ids.tsv"))"
for share in 100% 50%; do
    # The bucket as it stands: what is left and when it resets (this probe counts too).
    curl -fsS -D "$WORK/rl.h" -o /dev/null -H "Authorization: SSWS $OKTA_API_TOKEN" "$BASE/$ORG/api/v1/apps?limit=1"
    remaining=$(tr -d '\r' <"$WORK/rl.h" | awk -F': ' 'tolower($1)=="x-rate-limit-remaining" {print $2}')
    reset=$(tr -d '\r' <"$WORK/rl.h" | awk -F': ' 'tolower($1)=="x-rate-limit-reset" {print $2}')
    start=$(date +%s.%N)
    "$BIN" exec --rate-share "$share" -o csv "$SCAN" >"$WORK/rl.csv" 2>"$WORK/rl.err" || true
    end=$(date +%s.%N)
    # The least time: what this run may use before the reset, then whole windows of its share.
    read -r took least <<<"$(python3 - "$start" "$end" "$reset" "$remaining" "$L" "$N" "${share%\%}" <<'PY'
import math, sys
start, end, reset = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
remaining, limit, n, share = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
per = max(1, limit * share // 100)
first = min(remaining, per)
least = 0.0 if n <= first else (reset - start) + (math.ceil((n - first) / per) - 1) * 60
print(f"{end - start:.1f} {max(least, 0):.1f}")
PY
)"
    got=$(($(wc -l <"$WORK/rl.csv") - 1))
    limited=$(grep -c '(429)' "$WORK/rl.err" || true)
    ratio=$(python3 -c "print(round($took / $least, 2) if $least > 0 else 0)")
    row "6. scan at the rate limit: $N GETs, bucket apps=$L/min, --rate-share $share" \
        "**$took s** (minimum $least s, **${ratio}×**); $limited answered 429; $got rows" \
        "≤ 1.1× the minimum, ≤ 1% 429" \
        "$(python3 -c "print('met' if $ratio <= 1.1 and $limited * 100 <= $N else 'missed')")" \
        "the share: at most $share of each window"
done
stop_sandbox "$WORK"

fi

# --- 7. pipelined reads: a runbook of independent SELECTs at 50 ms latency -----------------
if want pipeline; then
echo "7. pipelined reads…" >&2
K=${PIPE_N:-1000}
sandbox --apps "$K" --latency 50
# K different apps, one GET each (identical GETs would be answered once per run, not sent).
app_ids "$K" | while read -r app; do by_id_sql "$app"; done >"$WORK/pipeline.sql"
K=$(wc -l <"$WORK/pipeline.sql")
pipe=()
for c in 1 8 32; do
    pipe+=(-n "c$c" "$BIN exec --concurrency $c -o csv -f $WORK/pipeline.sql")
done
hyperfine --style none -N --runs "$(runs 1 3)" --export-json "$WORK/pipeline.json" "${pipe[@]}" >&2
i=0
for c in 1 8 32; do
    ms=$(median_ms "$WORK/pipeline.json" "$i")
    ideal=$(((K + c - 1) / c * 50))
    row "7. pipelined reads: $K independent SELECTs, sandbox --latency 50, --concurrency $c" \
        "**$ms ms**" "≈ $ideal ms ($K / $c × 50 ms)" \
        "$(verdict "$ms <= $ideal * 1.15 + 30")" \
        "$(ratio "$ms" "$ideal")× the ideal"
    i=$((i + 1))
done
stop_sandbox "$WORK"

fi

# --- 8. per-statement overhead: 1,000 SELECTs against curl in one process -----------------
if want overhead; then
echo "8. per-statement overhead against curl…" >&2
K=${OVERHEAD_N:-1000}
sandbox --apps "$K"
# K different apps, one GET each (`GET /api/v1/apps/{appId}`).
app_ids "$K" >"$WORK/oh-ids.tsv"
K=$(wc -l <"$WORK/oh-ids.tsv")
: >"$WORK/overhead.sql"
printf 'header = "Authorization: SSWS %s"\nheader = "Accept: application/json"\n' "$OKTA_API_TOKEN" >"$WORK/overhead.curl"
while read -r app; do
    by_id_sql "$app" >>"$WORK/overhead.sql"
    printf 'url = "%s"\noutput = "/dev/null"\n' "$BASE/$ORG/api/v1/apps/$app" >>"$WORK/overhead.curl"
done <"$WORK/oh-ids.tsv"
# One process each side, one connection reused: curl makes the K GETs of its config file.
hyperfine -N --style none --warmup 1 --runs "$(runs 5 15)" --export-json "$WORK/overhead.json" \
    -n curl "curl -fsS -K $WORK/overhead.curl" \
    -n c1 "$BIN exec --concurrency 1 -o csv -f $WORK/overhead.sql" \
    -n pipelined "$BIN exec -o csv -f $WORK/overhead.sql" >&2
curl_ms=$(median_ms "$WORK/overhead.json" 0)
c1_ms=$(median_ms "$WORK/overhead.json" 1)
pl_ms=$(median_ms "$WORK/overhead.json" 2)
ratio=$(ratio "$c1_ms" "$curl_ms")
per=$(jq -n "($c1_ms - $curl_ms) * 1000 / $K | round")
row "8. overhead: $K SELECTs (one app by id each), \`exec --concurrency 1 -f\` / curl with the same $K GETs in one process" \
    "**$ratio×** (oktaql $c1_ms ms, curl $curl_ms ms; +$per µs/statement)" "≤ 1.15×" \
    "$(verdict "$ratio <= 1.15")" \
    "sequential, one connection each side; sandbox without latency"
ratio=$(ratio "$pl_ms" "$curl_ms")
row "8. overhead: the same file, default \`exec -f\` (reads pipelined, --concurrency 8)" \
    "**$ratio×** (oktaql $pl_ms ms, curl $curl_ms ms)" "—" "—" "curl still sequential"
stop_sandbox "$WORK"

fi

# --- the table -----------------------------------------------------------------------------
echo
echo "| benchmark | result | target | status | notes |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$(uname -sr); $(rustc --version | cut -d' ' -f1-2); medians of hyperfine runs."
