//! Credentials that belong to their org, service apps (private_key_jwt, DPoP), scopes per
//! statement, and where settings come from — against the sandbox's authorization server
//! and a second loopback server that must never be reached.

use crate::common::{exec, registry};

use std::sync::Arc;

use axum::Router;
use oktaql::auth::sources::{load, Flags, Inputs};
use oktaql::auth::{Credential, Credentials, Org, ServiceApp, SigningKey};
use oktaql::exec::{ClientConfig, MemoryDiagnostics};
use oktaql::provider::Registry;
use oktaql::sandbox::{
    Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig};

const ALL: [&str; 2] = ["okta.apps.read", "okta.apps.manage"];

async fn sandbox(require_dpop: bool) -> Sandbox {
    Sandbox::start(SandboxConfig {
        demo_apps: 8,
        require_dpop,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn app_org(sb: &Sandbox, scopes: &[&str], dpop: bool) -> Org {
    Org {
        name: DEMO_ORG.into(),
        url: format!("http://{}/{DEMO_ORG}", sb.addr()),
        credential: Credential::ServiceApp(Box::new(ServiceApp {
            client_id: sb.client_id().into(),
            key: sb.service_app_key().clone(),
            key_id: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            dpop,
        })),
        origins: vec![],
    }
}

/// An engine whose only credential is `org`; statements' other subdomains go to `elsewhere`.
fn engine(org: Org, elsewhere: Option<String>, diagnostics: Arc<MemoryDiagnostics>) -> Engine {
    Engine::new(EngineConfig {
        registry: Registry::embedded(),
        server_url: elsewhere,
        client: ClientConfig {
            credentials: Some(Arc::new(Credentials::new(vec![org], None))),
            debug: true,
            ..ClientConfig::default()
        },
        strict: false,
        diagnostics,
    })
    .unwrap()
}

async fn run(e: &Engine, sql: &str) -> Result<oktaql::Outcome, oktaql::Error> {
    e.run(&Source::new(sql)).await
}

#[tokio::test]
async fn one_token_serves_a_hundred_statements_and_scopes_are_per_run() {
    let sb = sandbox(false).await;
    let diag = Arc::new(MemoryDiagnostics::new());
    let e = engine(app_org(&sb, &ALL, false), None, diag.clone());
    let sql = format!("SELECT id, status FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'");
    for _ in 0..100 {
        let out = run(&e, &sql).await.unwrap();
        assert_eq!(out.rows.unwrap().rows.len(), 2);
    }
    assert_eq!(sb.token_requests(), 1);
    // Only what the statements needed was asked for.
    let org = &e.client().authenticator().credentials().orgs()[0];
    let info = e.client().check_token(org).await.unwrap();
    assert_eq!(info.scopes, vec!["okta.apps.read".to_string()]);
    assert_eq!(
        (info.token_type.as_str(), info.expires_in, info.requests),
        ("Bearer", 3600, 0)
    );
    // A write needs okta.apps.manage too: one more token, then writes work.
    let out = run(&e, &format!("INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{DEMO_APP_ONE_SECRET}' RETURNING id")).await.unwrap();
    assert_eq!(out.rows.unwrap().rows.len(), 1);
    assert_eq!(sb.token_requests(), 2);
    let info = e.client().check_token(org).await.unwrap();
    assert_eq!(
        info.scopes,
        vec!["okta.apps.manage".to_string(), "okta.apps.read".to_string()]
    );
    // Nothing secret in the traces: the scheme is shown, never a token, assertion or proof.
    let trace = diag.messages().join("\n");
    assert!(trace.contains("authorization: Bearer ****"), "{trace}");
    assert!(!trace.contains("eyJ"), "{trace}");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_missing_scope_is_refused_at_plan_time() {
    let sb = sandbox(false).await;
    let e = engine(
        app_org(&sb, &["okta.apps.read"], false),
        None,
        Arc::new(MemoryDiagnostics::new()),
    );
    let err = run(&e, &format!("EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_ONE_SECRET}', @secretId='x'"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs scope okta.apps.manage"), "{err}");
    assert_eq!(sb.token_requests(), 0, "nothing was sent");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_credential_reaches_only_its_org() {
    let sb = sandbox(false).await;
    let (addr, seen) = exec::serve_router(Router::new().fallback(|| async { "[]" })).await;
    let diag = Arc::new(MemoryDiagnostics::new());
    let e = engine(
        app_org(&sb, &ALL, false),
        Some(format!("http://{addr}/{{subdomain}}")),
        diag,
    );
    for sql in [
        "SELECT id FROM okta.apps.secrets WHERE subdomain = 'globex' AND appId = '0oa1'".to_string(),
        format!("SELECT id FROM okta.apps.secrets WHERE subdomain IN ('{DEMO_ORG}', 'globex') AND appId = '0oa1'"),
        "INSERT INTO okta.apps.secrets (subdomain, appId) SELECT 'globex', '0oa1'".to_string(),
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='globex', @appId='0oa1', @secretId='s'".to_string(),
        "DELETE FROM okta.apps.secrets WHERE subdomain = 'globex' AND appId = '0oa1' AND secretId = 's'".to_string(),
    ] {
        let err = run(&e, &sql).await.unwrap_err().to_string();
        assert!(err.contains("no credentials for org"), "{sql}: {err}");
        assert!(err.contains(&format!("http://{addr}/globex")), "{err}");
    }
    assert_eq!(seen.count(), 0, "the other server saw nothing");
    assert_eq!(
        sb.token_requests(),
        0,
        "not even the fan-out's own org was asked"
    );
    // The configured org's name selects its URL, whatever the server template says.
    let out = run(&e, &format!("SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'")).await.unwrap();
    assert_eq!(out.rows.unwrap().rows.len(), 2);
    assert_eq!(seen.count(), 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_loose_api_token_never_goes_to_another_host() {
    let e = Engine::new(EngineConfig {
        registry: Registry::embedded(),
        server_url: None,
        client: ClientConfig {
            token: Some("00loose-api-token-value".into()),
            ..ClientConfig::default()
        },
        strict: false,
        diagnostics: Arc::new(MemoryDiagnostics::new()),
    })
    .unwrap();
    let err = run(&e, "SELECT id FROM okta.apps.secrets WHERE subdomain = 'login.attacker.example' AND appId = '0oa1'")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("only sent to Okta's own domains"), "{err}");
    assert!(!err.contains("00loose"), "{err}");
}

#[tokio::test]
async fn dpop_nonce_round_trip_and_refetch_after_invalid_token() {
    let sb = sandbox(true).await;
    let diag = Arc::new(MemoryDiagnostics::new());
    let e = engine(app_org(&sb, &ALL, false), None, diag.clone());
    let sql = format!("SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'");
    run(&e, &sql).await.unwrap();
    // No proof (refused: DPoP required), a proof without nonce (use_dpop_nonce), then a token.
    assert_eq!(sb.token_requests(), 3);
    run(&e, &sql).await.unwrap();
    assert_eq!(sb.token_requests(), 3);
    let trace = diag.messages().join("\n");
    assert!(trace.contains("authorization: DPoP ****"), "{trace}");
    assert!(trace.contains("dpop: ****"), "{trace}");
    assert!(!trace.contains("eyJ"), "{trace}");
    // The server forgets the token: one 401 invalid_token, one new token, the statement works.
    sb.revoke_tokens();
    run(&e, &sql).await.unwrap();
    assert_eq!(sb.token_requests(), 4);
    sb.shutdown().await;
    // Knowing DPoP is required saves the first refusal.
    let sb = sandbox(true).await;
    let e = engine(
        app_org(&sb, &ALL, true),
        None,
        Arc::new(MemoryDiagnostics::new()),
    );
    run(&e, &sql).await.unwrap();
    assert_eq!(sb.token_requests(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_use() {
    let sb = sandbox(false).await;
    let e = engine(
        app_org(&sb, &ALL, false),
        None,
        Arc::new(MemoryDiagnostics::new()),
    );
    let sql = format!("SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'");
    run(&e, &sql).await.unwrap();
    // 59 minutes later the token is still used; a minute before it expires, a new one is got.
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs(58 * 60)).await;
    tokio::time::resume();
    run(&e, &sql).await.unwrap();
    assert_eq!(sb.token_requests(), 1);
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs(90)).await;
    tokio::time::resume();
    run(&e, &sql).await.unwrap();
    assert_eq!(sb.token_requests(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_enforces_scopes_and_refuses_replayed_assertions() {
    let sb = sandbox(false).await;
    let base = format!("http://{}/{DEMO_ORG}", sb.addr());
    let token_url = format!("{base}/oauth2/v1/token");
    let app = ServiceApp {
        client_id: sb.client_id().into(),
        key: sb.service_app_key().clone(),
        key_id: None,
        scopes: vec![],
        dpop: false,
    };
    // A bare client needs the TLS provider the engine installs; this test may run first
    // (alone in its process under nextest), before any engine exists.
    oktaql::exec::install_tls_provider();
    let http = reqwest::Client::new();
    let assertion = oktaql::auth::oauth::client_assertion(&app, &token_url).unwrap();
    let ask = |scope: &str, a: &str| {
        http.post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oktaql::auth::oauth::token_form(&[scope.to_string()], a))
            .send()
    };
    let r = ask("okta.apps.read", &assertion).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(body["expires_in"], 3600);
    // The same assertion again: replay.
    let r = ask("okta.apps.read", &assertion).await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // A scope not granted.
    let a2 = oktaql::auth::oauth::client_assertion(&app, &token_url).unwrap();
    let body: serde_json::Value = ask("okta.users.manage", &a2)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"], "invalid_scope");
    // Another key: invalid_client.
    let other = ServiceApp {
        key: SigningKey::generate_es256(),
        ..app.clone()
    };
    let a3 = oktaql::auth::oauth::client_assertion(&other, &token_url).unwrap();
    assert_eq!(ask("okta.apps.read", &a3).await.unwrap().status(), 401);
    // A read token cannot write: 403 insufficient_scope, E0000006.
    let r = http
        .post(format!(
            "{base}/api/v1/apps/{DEMO_APP_ONE_SECRET}/credentials/secrets"
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let www = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000006");
    // ... and reads with it work; the existing API token keeps working.
    let r = http
        .get(format!(
            "{base}/api/v1/apps/{DEMO_APP_ONE_SECRET}/credentials/secrets"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .get(format!("{base}/api/v1/apps?limit=1"))
        .header("authorization", "SSWS sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sb.shutdown().await;
}

fn write(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn load_with(
    flags: &Flags,
    vars: &[(&str, &str)],
    home: &std::path::Path,
    cwd: &std::path::Path,
) -> Result<Credentials, oktaql::auth::AuthError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    load(&Inputs {
        flags,
        env: &env,
        home: Some(home.to_path_buf()),
        cwd: cwd.to_path_buf(),
        config_dir: Some(home.join(".config")),
        server_template: None,
    })
}

#[test]
fn settings_come_from_flags_then_env_then_files() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let cwd = dir.path().join("work");
    std::fs::create_dir_all(home.join(".okta")).unwrap();
    std::fs::create_dir_all(home.join(".config/oktaql")).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    let key = SigningKey::generate_es256();
    let key_file = dir.path().join("key.pem");
    write(&key_file, &key.to_pem().unwrap(), 0o600);
    write(
        &home.join(".okta/okta.yaml"),
        &format!("okta:\n  client:\n    orgUrl: https://acme.okta.com\n    authorizationMode: PrivateKey\n    clientId: 0oafromhome\n    scopes:\n      - okta.apps.read\n    privateKey: {}\n", key_file.display()),
        0o600,
    );
    write(
        &cwd.join(".okta.yaml"),
        "okta:\n  client:\n    clientId: 0oafromcwd\n",
        0o600,
    );
    let f = Flags::default();
    let c = load_with(&f, &[], &home, &cwd).unwrap();
    let org = &c.orgs()[0];
    let Credential::ServiceApp(app) = &org.credential else {
        panic!("{org:?}")
    };
    assert_eq!(
        (org.name.as_str(), app.client_id.as_str()),
        ("acme", "0oafromcwd")
    );
    assert!(org
        .origins
        .iter()
        .any(|(k, s)| k == "client_id" && s.ends_with(".okta.yaml") && !s.contains(".okta/")));
    let c = load_with(
        &f,
        &[
            ("OKTA_CLIENT_CLIENTID", "0oafromenv"),
            ("OKTA_CLIENT_SCOPES", "okta.apps.read,okta.apps.manage"),
        ],
        &home,
        &cwd,
    )
    .unwrap();
    let Credential::ServiceApp(app) = &c.orgs()[0].credential else {
        panic!()
    };
    assert_eq!(app.client_id, "0oafromenv");
    assert_eq!(app.scopes, vec!["okta.apps.read", "okta.apps.manage"]);
    let flags = Flags {
        client_id: Some("0oafromflag".into()),
        ..Flags::default()
    };
    let c = load_with(
        &flags,
        &[("OKTA_CLIENT_CLIENTID", "0oafromenv")],
        &home,
        &cwd,
    )
    .unwrap();
    let Credential::ServiceApp(app) = &c.orgs()[0].credential else {
        panic!()
    };
    assert_eq!(app.client_id, "0oafromflag");
    assert!(c.orgs()[0]
        .origins
        .contains(&("client_id".into(), "--client-id".into())));
    // The origins name sources, never values.
    assert!(!format!("{:?}", c.orgs()).contains("BEGIN"));
    // SSWS from the environment overrides the file's mode.
    let c = load_with(
        &f,
        &[
            ("OKTA_CLIENT_AUTHORIZATIONMODE", "SSWS"),
            ("OKTA_CLIENT_TOKEN", "00envtokenvalue"),
        ],
        &home,
        &cwd,
    )
    .unwrap();
    assert_eq!(c.orgs()[0].credential.mode(), "SSWS");
}

#[test]
fn the_config_file_names_orgs_and_must_be_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    std::fs::create_dir_all(home.join(".config/oktaql")).unwrap();
    let cfg = home.join(".config/oktaql/config.yaml");
    let text = "default: globex\norgs:\n  acme:\n    url: https://acme.okta.com\n    token: 00acmetokenvalue\n  globex:\n    url: https://login.globex.example\n    token: 00globextokenvalue\n";
    write(&cfg, text, 0o644);
    let err = load_with(&Flags::default(), &[], &home, &home)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("can be read by other users") && err.contains("chmod 600"),
        "{err}"
    );
    write(&cfg, text, 0o600);
    let c = load_with(&Flags::default(), &[], &home, &home).unwrap();
    assert_eq!(c.orgs().len(), 2);
    assert_eq!(c.default_org().unwrap().name, "globex");
    assert!(c
        .grant_for("https://login.globex.example/api/v1/apps")
        .is_ok());
    assert!(c.grant_for("https://acme.okta.com/api/v1/apps").is_ok());
    assert!(c.grant_for("https://other.okta.com/api/v1/apps").is_err());
    // A private key file readable by others is refused too.
    let key_file = home.join("k.pem");
    write(
        &key_file,
        &SigningKey::generate_es256().to_pem().unwrap(),
        0o644,
    );
    let flags = Flags {
        org_url: Some("https://acme.okta.com".into()),
        client_id: Some("0oa1".into()),
        private_key: Some(key_file),
        ..Flags::default()
    };
    let err = load_with(&flags, &[], &home, &home)
        .unwrap_err()
        .to_string();
    assert!(err.contains("chmod 600"), "{err}");
}

#[tokio::test]
async fn the_only_org_serves_statements_without_subdomain_and_dry_run_names_it() {
    let sb = sandbox(false).await;
    let e = engine(
        app_org(&sb, &ALL, false),
        None,
        Arc::new(MemoryDiagnostics::new()),
    );
    let out = run(
        &e,
        &format!(
            "SELECT id, subdomain FROM okta.apps.secrets WHERE appId = '{DEMO_APP_TWO_SECRETS}'"
        ),
    )
    .await
    .unwrap();
    let rows = out.rows.unwrap();
    assert_eq!(rows.rows.len(), 2);
    assert_eq!(rows.rows[0][1], serde_json::json!(DEMO_ORG));
    let plan = e
        .plan_source(&Source::new(format!("DELETE FROM okta.apps.secrets WHERE appId = '{DEMO_APP_TWO_SECRETS}' AND secretId = 'x'")))
        .unwrap();
    let shown = e.plan_orgs(&plan);
    assert!(
        shown.contains(&format!(
            "org '{DEMO_ORG}' (http://{}/{DEMO_ORG}), service app {}",
            sb.addr(),
            sb.client_id()
        )),
        "{shown}"
    );
    assert_eq!(sb.token_requests(), 1, "planning sent nothing");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_403_for_scope_names_the_scope_to_grant() {
    use axum::http::{HeaderMap, StatusCode};
    let router = Router::new().fallback(|| async {
        let mut h = HeaderMap::new();
        h.insert(
            "www-authenticate",
            "Bearer authorization_uri=\"\", realm=\"http://okta.com\", scope=\"okta.apps.manage\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\""
                .parse()
                .unwrap(),
        );
        (StatusCode::FORBIDDEN, h, r#"{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action"}"#)
    });
    let (_addr, seen) = exec::serve_router(router).await;
    let (client, _) = exec::client(|_| {});
    let err = client
        .send(&exec::req(
            "create_secret",
            "POST",
            format!("{}/api/v1/apps/0oa1/credentials/secrets", seen.base()),
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("lacks scope okta.apps.manage"), "{err}");
    assert!(err.contains("grant it in Okta"), "{err}");
}

/// StackQL's own registry documents mark operations with scopes too; read with --registry,
/// they give the same least-privilege checks.
#[test]
fn stackql_registry_documents_carry_scopes() {
    let Some(dir) = registry::reference_registry("stackql_registry_documents_carry_scopes") else {
        return;
    };
    let registry = Registry::from_dir(&dir).unwrap();
    let resolved = oktaql::plan::resolve::resource(&registry, "okta", "apps", "secrets")
        .or_else(|_| oktaql::plan::resolve::resource(&registry, "okta", "application", "secrets"));
    // The published registry serves okta.apps.secrets (or the older okta.application).
    let resolved = resolved.expect("the reference registry has the secrets resource");
    let scopes: Vec<(String, Vec<String>)> = resolved
        .resource()
        .methods
        .iter()
        .map(|m| (m.http_method.clone(), m.scopes.clone()))
        .collect();
    assert!(!scopes.is_empty());
    for (verb, s) in &scopes {
        let want = if verb == "GET" {
            "okta.apps.read"
        } else {
            "okta.apps.manage"
        };
        assert_eq!(s, &vec![want.to_string()], "{verb}");
    }
}

#[test]
fn our_provider_documents_carry_the_specs_scopes() {
    let registry = Registry::embedded();
    let r = oktaql::plan::resolve::resource(&registry, "okta", "apps", "secrets").unwrap();
    for m in &r.resource().methods {
        let want = if m.http_method == "GET" {
            "okta.apps.read"
        } else {
            "okta.apps.manage"
        };
        assert_eq!(m.scopes, vec![want.to_string()], "{}", m.name);
    }
}

/// `expires_in` is a server number: one beyond any clock is capped (the token is cached and
/// reused), not an overflow when the refresh moment is computed.
#[tokio::test]
async fn a_token_lifetime_beyond_any_clock_is_capped_not_a_panic() {
    use crate::common::exec::{json, serve_router};
    use axum::routing::{get, post};
    let router = Router::new()
        .route(
            "/my-org/oauth2/v1/token",
            post(|| async {
                json(
                    200,
                    serde_json::json!({
                        "token_type": "Bearer",
                        "access_token": "canned-access-token",
                        "expires_in": u64::MAX,
                        "scope": "okta.apps.read"
                    }),
                )
            }),
        )
        .route(
            "/my-org/api/v1/apps/{app}/credentials/secrets",
            get(|| async { json(200, serde_json::json!([])) }),
        );
    let (addr, seen) = serve_router(router).await;
    let org = Org {
        name: DEMO_ORG.into(),
        url: format!("http://{addr}/{DEMO_ORG}"),
        credential: Credential::ServiceApp(Box::new(ServiceApp {
            client_id: "0oacanned".into(),
            key: SigningKey::generate_es256(),
            key_id: None,
            scopes: vec!["okta.apps.read".into()],
            dpop: false,
        })),
        origins: vec![],
    };
    let e = engine(org, None, Arc::new(MemoryDiagnostics::new()));
    let sql = format!(
        "SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '0oa1'"
    );
    for _ in 0..2 {
        let out = run(&e, &sql).await.unwrap();
        assert_eq!(out.rows.unwrap().rows.len(), 0);
    }
    let token_requests = seen
        .hits()
        .iter()
        .filter(|h| h.target == "/my-org/oauth2/v1/token")
        .count();
    assert_eq!(token_requests, 1, "one token request, the token reused");
    assert_eq!(seen.count(), 3, "the token and two reads");
}

/// The System Log names the credential's principal as the actor (the service app's client id
/// for an access token, the admin for the API token), and reading it with an access token
/// needs `okta.logs.read`: the apps scopes get Okta's 403 naming that scope.
#[tokio::test]
async fn the_log_actor_is_the_tokens_principal_and_reading_it_needs_okta_logs_read() {
    let sb = sandbox(false).await;
    let base = format!("http://{}/{DEMO_ORG}", sb.addr());
    let token_url = format!("{base}/oauth2/v1/token");
    let app = ServiceApp {
        client_id: sb.client_id().into(),
        key: sb.service_app_key().clone(),
        key_id: None,
        scopes: vec![],
        dpop: false,
    };
    oktaql::exec::install_tls_provider();
    let http = reqwest::Client::new();
    let token_for = |scope: &'static str| {
        let assertion = oktaql::auth::oauth::client_assertion(&app, &token_url).unwrap();
        let req = http
            .post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oktaql::auth::oauth::token_form(
                &[scope.to_string()],
                &assertion,
            ));
        async move {
            let body: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let manage = token_for("okta.apps.manage").await;
    let created: serde_json::Value = http
        .post(format!(
            "{base}/api/v1/apps/{DEMO_APP_ONE_SECRET}/credentials/secrets"
        ))
        .bearer_auth(&manage)
        .json(&serde_json::json!({"status": "INACTIVE"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["id"].as_str().unwrap().to_string();
    // The same change with the API token: the admin.
    let r = http
        .delete(format!(
            "{base}/api/v1/apps/{DEMO_APP_ONE_SECRET}/credentials/secrets/{secret}"
        ))
        .header("authorization", "SSWS sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    let logs = format!(
        "{base}/api/v1/logs?since=2020-01-01T00:00:00Z&filter=target.id%20eq%20%22{secret}%22"
    );
    let r = http.get(&logs).bearer_auth(&manage).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let www = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        www.contains("scope=\"okta.logs.read\"") && www.contains("insufficient_scope"),
        "{www}"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000006");

    let read = token_for("okta.logs.read").await;
    let events: serde_json::Value = http
        .get(&logs)
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0]["eventType"],
        "app.oauth2.credentials.lifecycle.create"
    );
    assert_eq!(events[0]["actor"]["id"], sb.client_id());
    assert_eq!(events[0]["actor"]["type"], "PublicClientApp");
    assert_eq!(events[0]["actor"]["displayName"], "Data Sync Service");
    assert_eq!(
        events[1]["eventType"],
        "app.oauth2.credentials.lifecycle.delete"
    );
    assert_eq!(events[1]["actor"]["type"], "User");
    // The logs scope reads only the log.
    let r = http
        .get(format!("{base}/api/v1/apps?limit=1"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Through the engine: a service app configured with okta.logs.read reads the log.
    let diag = Arc::new(MemoryDiagnostics::new());
    let e = engine(app_org(&sb, &["okta.logs.read"], false), None, diag);
    let out = run(
        &e,
        &format!(
            "SELECT eventType, actor FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
             AND since = '2020-01-01T00:00:00Z' AND filter = 'target.id eq \"{secret}\"'"
        ),
    )
    .await
    .unwrap();
    assert_eq!(out.rows.unwrap().rows.len(), 2);
    sb.shutdown().await;
}

/// The config file's `rate_share`: at the top level and per org, as `30%`, `30` or `0.3`;
/// anything outside (0, 100%] stops the run naming the file and the key.
#[test]
fn the_config_file_sets_the_rate_share() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    std::fs::create_dir_all(home.join(".config/oktaql")).unwrap();
    let cfg = home.join(".config/oktaql/config.yaml");
    let orgs = "orgs:\n  acme:\n    url: https://acme.okta.com\n    token: 00acmetokenvalue\n    rate_share: 0.8\n  globex:\n    url: https://login.globex.example\n    token: 00globextokenvalue\n";
    for (top, want) in [("30%", 0.3), ("30", 0.3), ("0.3", 0.3), ("'100%'", 1.0)] {
        write(&cfg, &format!("rate_share: {top}\n{orgs}"), 0o600);
        let c = load_with(&Flags::default(), &[], &home, &home).unwrap();
        assert_eq!(c.rate_share, Some(want), "{top}");
        assert_eq!(
            c.org_rate_shares,
            vec![("https://acme.okta.com".to_string(), 0.8)]
        );
    }
    write(&cfg, orgs, 0o600);
    assert_eq!(
        load_with(&Flags::default(), &[], &home, &home)
            .unwrap()
            .rate_share,
        None
    );
    for bad in ["0%", "0", "150%", "lots", "-5%", "[1]"] {
        write(&cfg, &format!("rate_share: {bad}\n{orgs}"), 0o600);
        let err = load_with(&Flags::default(), &[], &home, &home)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.yaml: rate_share:") && err.contains("from 1% to 100%"),
            "{bad}: {err}"
        );
    }
    write(
        &cfg,
        &orgs.replace("rate_share: 0.8", "rate_share: 200%"),
        0o600,
    );
    let err = load_with(&Flags::default(), &[], &home, &home)
        .unwrap_err()
        .to_string();
    assert!(err.contains("org 'acme': rate_share:"), "{err}");
}

/// Precedence: `--rate-share` (or `OKTAQL_RATE_SHARE`, which fills the same setting) for
/// every org, else the config file's per-org share, then its top-level one, else 50%.
#[tokio::test]
async fn the_rate_share_comes_from_the_flag_then_the_config_file_then_the_default() {
    use oktaql::session::{Reporting, Session, SessionSettings, Terminals};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let orgs = "orgs:\n  acme:\n    url: https://acme.okta.com\n    token: 00acmetokenvalue\n    rate_share: 80%\n  globex:\n    url: https://login.globex.example\n    token: 00globextokenvalue\n";
    let start = |flag: Option<f64>| {
        let settings = SessionSettings {
            credentials: Flags {
                config: Some(cfg.clone()),
                ..Flags::default()
            },
            rate_share: flag,
            ..SessionSettings::default()
        };
        async move {
            let s = Session::start(&settings, Terminals::default(), Reporting::default())
                .await
                .unwrap();
            let c = s.engine.client().config();
            (c.rate_share, c.org_rate_shares.clone())
        }
    };
    write(&cfg, &format!("rate_share: 30%\n{orgs}"), 0o600);
    let acme = vec![("https://acme.okta.com".to_string(), 0.8)];
    assert_eq!(start(None).await, (0.3, acme.clone()));
    assert_eq!(start(Some(1.0)).await, (1.0, vec![]));
    write(&cfg, orgs, 0o600);
    assert_eq!(
        start(None).await,
        (oktaql::exec::budget::DEFAULT_RATE_SHARE, acme)
    );
}
