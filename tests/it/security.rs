//! Where the API token may go, through the `oktaql` binary: only to the host built from a
//! valid `subdomain`, over HTTPS or to loopback, with path parameters kept in one segment,
//! never along a redirect to another server, read only from a private token file, and
//! never shown in a trace.

use std::sync::Arc;

use crate::common::security::*;
use serde_json::json;

const APP: &str = oktaql::sandbox::DEMO_APP_ONE_SECRET;

/// A server that answers `[]` to everything.
async fn empty_server() -> (std::net::SocketAddr, Arc<Seen>) {
    serve(Arc::new(|_, _| json(200, json!([])))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_subdomains_are_refused_before_any_connection() {
    let (addr, seen) = empty_server().await;
    let template = format!("http://{addr}/{{subdomain}}");
    for bad in [
        "evil.example/x#",
        "a@evil.example",
        "evil.example:443",
        "my-org/../other",
        "my-org?x=",
        "my%2forg",
        "my org",
        "",
        ".",
    ] {
        let sql = format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = '{bad}' AND appId = '{APP}'"
        );
        let out = run(exec_against(&template, &[&sql])).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{bad}: {err}");
        assert!(err.contains("not a valid host name"), "{bad}: {err}");
    }
    // The same in an INSERT and an EXEC, where the subdomain is a column or an argument.
    for sql in [
        format!("INSERT INTO okta.apps.secrets (subdomain, appId) SELECT 'a@evil.example', '{APP}'"),
        format!("EXEC okta.apps.secrets.list_oauth2_client_secrets @subdomain='evil.example/x#', @appId='{APP}'"),
    ] {
        let out = run(exec_against(&template, &[&sql])).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{sql}: {err}");
        assert!(err.contains("not a valid host name"), "{sql}: {err}");
    }
    assert_eq!(seen.count(), 0, "no request reached the server");

    // Against Okta's own template (no --server-url), the plan names only the org's host.
    let out = run({
        let mut c = oktaql();
        c.args([
            "exec",
            "--dry-run",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'evil.example/x#' AND appId = '0oa1'",
        ]);
        c
    })
    .await;
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(err.contains("not a valid host name"), "{err}");
    assert!(!stdout.contains("evil.example"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_server_url_is_refused() {
    for (how, url) in [
        ("flag", "http://example.com/{subdomain}"),
        ("env", "http://example.com/{subdomain}"),
        ("flag", "http://127.0.0.1.evil.example/{subdomain}"),
        ("flag", "http://127.0.0.1@evil.example/{subdomain}"),
    ] {
        let mut c = oktaql();
        c.env("OKTA_API_TOKEN", TOKEN).arg("exec");
        if how == "flag" {
            c.arg("--server-url").arg(url);
        } else {
            c.env("OKTAQL_SERVER_URL", url);
        }
        c.arg("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'");
        let out = run(c).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains("plain HTTP"), "{url}: {err}");
        assert!(err.contains("unencrypted"), "{url}: {err}");
        assert!(err.contains("https://"), "{url}: {err}");
    }
    // Plain HTTP to loopback is the sandbox, and allowed.
    let (addr, seen) = empty_server().await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'"],
    ))
    .await;
    assert!(out.status.success(), "{:?}", texts(&out));
    assert_eq!(seen.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_parameters_reach_the_server_as_one_segment() {
    let (addr, seen) = empty_server().await;
    let template = format!("http://{addr}/{{subdomain}}");
    let cases = [
        ("../../users", "..%2F..%2Fusers"),
        ("a/b?c", "a%2Fb%3Fc"),
        ("x#frag", "x%23frag"),
        ("%2e%2e", "%252e%252e"),
        ("a b;c", "a%20b%3Bc"),
        ("..%2F", "..%252F"),
        ("é", "%C3%A9"),
    ];
    for (value, encoded) in cases {
        let sql = format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{value}'"
        );
        let out = run(exec_against(&template, &[&sql])).await;
        assert!(out.status.success(), "{value}: {:?}", texts(&out));
        let hit = seen.hits().pop().unwrap();
        assert_eq!(
            hit.target,
            format!("/my-org/api/v1/apps/{encoded}/credentials/secrets"),
            "{value}"
        );
    }
    // A DELETE with two path parameters: each stays in its own segment.
    let sql = "DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '../../..' AND secretId = '../../apps/0oa1'";
    let out = run(exec_against(&template, &[sql])).await;
    assert!(out.status.success(), "{:?}", texts(&out));
    let hit = seen.hits().pop().unwrap();
    assert_eq!(hit.method, "DELETE");
    assert_eq!(
        hit.target,
        "/my-org/api/v1/apps/..%2F..%2F../credentials/secrets/..%2F..%2Fapps%2F0oa1"
    );
    let before = seen.count();
    // Dot segments cannot be encoded into place: refused before sending.
    for value in ["..", "."] {
        let sql = format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{value}'"
        );
        let out = run(exec_against(&template, &[&sql])).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{value}: {err}");
        assert!(err.contains("dot segment"), "{value}: {err}");
    }
    assert_eq!(seen.count(), before, "dot segments were not sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_to_another_server_never_gets_the_token() {
    let (thief, thief_seen) = empty_server().await;
    let reply: Reply = Arc::new(move |_, hit: &Hit| {
        let to = if hit.target.contains("/to-localhost/") {
            // The same server under another name is another host for the token.
            let port = hit.target.split('/').nth(1).unwrap_or("").to_string();
            format!("http://localhost:{port}/landing")
        } else {
            format!("http://{thief}/steal")
        };
        answer(302, &[("location", to)], "")
    });
    let (addr, seen) = serve(reply).await;
    for sub in ["my-org", "to-localhost"] {
        let sql = format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = '{sub}' AND appId = '{APP}'"
        );
        let template = if sub == "my-org" {
            format!("http://{addr}/{{subdomain}}")
        } else {
            // Put the server's own port into the path so the handler can name it.
            format!("http://{addr}/{}/{{subdomain}}", addr.port())
        };
        let out = run(exec_against(&template, &[&sql])).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("redirect"), "{err}");
        assert!(!err.contains(TOKEN), "{err}");
    }
    assert_eq!(
        thief_seen.count(),
        0,
        "the other server was never contacted"
    );
    let hits = seen.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(
        hits.iter().all(|h| !h.target.contains("landing")),
        "{hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_file_must_be_owner_only() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let sql =
        format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}'");
    let with_file = || {
        let mut c = oktaql();
        c.args(["exec", "--server-url", &sb.url_template(), "--token-file"])
            .arg(&file)
            .arg(&sql);
        c
    };
    for mode in [0o644, 0o640, 0o604, 0o666] {
        write_with_mode(&file, &format!("{TOKEN}\n"), mode);
        let out = run(with_file()).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{mode:o}: {err}");
        assert!(
            err.contains("can be read by other users"),
            "{mode:o}: {err}"
        );
        assert!(err.contains("chmod 600"), "{mode:o}: {err}");
        assert!(!err.contains(TOKEN), "{err}");
    }
    for mode in [0o600, 0o400] {
        write_with_mode(&file, &format!("{TOKEN}\n"), mode);
        let out = run(with_file()).await;
        let (stdout, err) = texts(&out);
        assert!(out.status.success(), "{mode:o}: {err}");
        assert!(stdout.contains("ocs"), "{stdout}");
    }
    // The token file wins over nothing else: without it and without OKTA_API_TOKEN, the
    // sandbox refuses the request (no token is invented).
    let mut c = oktaql();
    c.args(["exec", "--server-url", &sb.url_template(), &sql]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_traces_never_show_the_token_or_a_client_secret() {
    let sb = sandbox().await;
    let secret = "KnownSecretValue-0123456789abcdef";
    let script = format!(
        "INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain, appId) \
         SELECT '{secret}', 'INACTIVE', 'my-org', '{APP}' RETURNING id, client_secret;\n\
         SELECT id, client_secret FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';"
    );
    for flag in ["-v", "--debug"] {
        let mut c = oktaql();
        c.env("OKTA_API_TOKEN", TOKEN).args([
            "exec",
            flag,
            "-o",
            "jsonl",
            "--server-url",
            &sb.url_template(),
            &script,
        ]);
        let out = run(c).await;
        let (stdout, err) = texts(&out);
        assert!(out.status.success(), "{err}");
        // The rows the user asked for hold the secret; the traces never do.
        assert!(stdout.contains(secret), "{stdout}");
        assert!(err.contains("> POST http://"), "{err}");
        assert!(err.contains("authorization: SSWS ****"), "{err}");
        assert!(err.contains(r#""client_secret":"****""#), "{err}");
        assert!(!err.contains(TOKEN), "token in trace: {err}");
        assert!(!err.contains(secret), "secret in trace: {err}");
        assert!(!stdout.contains(TOKEN), "token on stdout");
        // Delete it again for the next round (two secrets at most per app).
        let id = serde_json::from_str::<serde_json::Value>(stdout.lines().next().unwrap())
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no id in {stdout}"));
        let mut c = oktaql();
        c.env("OKTA_API_TOKEN", TOKEN).args([
            "exec",
            "--server-url",
            &sb.url_template(),
            &format!("DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}' AND secretId = '{id}'"),
        ]);
        let out = run(c).await;
        assert!(out.status.success(), "{:?}", texts(&out));
    }
    // A dry run prints the body it would send with the secret masked.
    let mut c = oktaql();
    c.env("OKTA_API_TOKEN", TOKEN).args([
        "exec",
        "--dry-run",
        "--server-url",
        &sb.url_template(),
        &script,
    ]);
    let out = run(c).await;
    let (stdout, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.contains("POST"), "{stdout}");
    assert!(stdout.contains("****"), "{stdout}");
    assert!(
        !stdout.contains(secret) && !err.contains(secret),
        "{stdout}{err}"
    );
    assert!(!stdout.contains(TOKEN) && !err.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_parses_as_another_address_is_refused() {
    // `0x7f.1` and `127.1` look like host names, but URL parsers read them as 127.0.0.1: the
    // request would go somewhere other than the plan says. The planner refuses them; the
    // HTTP layer would too (unit test `contacted_host_is_the_written_host`).
    for sub in ["0x7f.1", "127.1", "169.254.43518"] {
        let mut c = oktaql();
        c.env("OKTA_API_TOKEN", TOKEN).args([
            "exec",
            &format!(
                "SELECT id FROM okta.apps.secrets WHERE subdomain = '{sub}' AND appId = '{APP}'"
            ),
        ]);
        let out = run(c).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{sub}: {err}");
        assert!(err.contains("looks like an IP address"), "{sub}: {err}");
        assert!(!err.contains("cannot connect"), "{sub}: {err}");
    }
}
