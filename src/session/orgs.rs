//! `oktaql orgs` and `oktaql check`: the configured orgs (never a secret) and, with check,
//! one cheap proof per org that its credential works.

use std::io::Write;
use std::sync::Arc;

use super::{load_credentials, timeout, SessionError, SessionSettings};
use crate::auth::{Credential, Org};
use crate::exec::{Client, ClientConfig};

/// What the orgs report found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgsReport {
    /// No org and no loose token is configured (the report says where to look).
    NoneConfigured,
    /// Every org listed; with check, every credential worked.
    Ok,
    /// With check: at least one credential failed (the report says which and why).
    CheckFailed,
}

/// Writes the configured orgs to `out`: name, URL, method and where each setting came
/// from; with `check`, each credential tried once. Errors from the orgs' servers are part
/// of the report (secret values masked); only set-up and output errors are returned.
pub async fn orgs_report(
    settings: &SessionSettings,
    check: bool,
    out: &mut dyn Write,
) -> Result<OrgsReport, SessionError> {
    let server = settings.server_url.clone().filter(|u| !u.trim().is_empty());
    let creds = Arc::new(load_credentials(&settings.credentials, server)?);
    let default = creds.default_org().map(|o| o.name.clone());
    if creds.orgs().is_empty() && creds.loose_token().is_none() {
        writeln!(
            out,
            "no orgs configured: see oktaql --help for the variables, and docs/auth.md"
        )?;
        return Ok(OrgsReport::NoneConfigured);
    }
    let client = Client::new(ClientConfig {
        credentials: Some(creds.clone()),
        timeout: timeout(settings.timeout_secs)?,
        ..ClientConfig::default()
    })?;
    let mut failed = false;
    for org in creds.orgs() {
        let mark = if default.as_deref() == Some(org.name.as_str()) {
            " (default)"
        } else {
            ""
        };
        writeln!(
            out,
            "{}{mark}\n  url:    {}\n  method: {}",
            org.name,
            org.url,
            org.credential.mode()
        )?;
        if let Credential::ServiceApp(app) = &org.credential {
            writeln!(
                out,
                "  client id: {}\n  key:    {:?}{}\n  scopes: {}\n  dpop:   {}",
                app.client_id,
                app.key.algorithm(),
                app.key_id
                    .as_ref()
                    .map(|k| format!(" (kid {k})"))
                    .unwrap_or_default(),
                app.scopes.join(" "),
                if app.dpop {
                    "always"
                } else {
                    "when the server asks"
                }
            )?;
        }
        for (setting, source) in &org.origins {
            writeln!(out, "  {setting} from {source}")?;
        }
        if check {
            match check_org(&client, org).await {
                Ok(line) => writeln!(out, "  check:  ok — {line}")?,
                Err(e) => {
                    failed = true;
                    writeln!(
                        out,
                        "  check:  FAILED — {}",
                        client.config().secrets.mask_text(&chain(&e))
                    )?
                }
            }
        }
    }
    if let Some(t) = creds.loose_token() {
        writeln!(
            out,
            "(no name)\n  method: SSWS\n  token from {}\n  goes to: {}",
            t.source,
            t.template
                .as_deref()
                .unwrap_or("one org per run on Okta's own domains")
        )?;
    }
    Ok(if failed {
        OrgsReport::CheckFailed
    } else {
        OrgsReport::Ok
    })
}

/// One cheap proof that an org's credential works.
async fn check_org(client: &Client, org: &Org) -> Result<String, crate::exec::ExecError> {
    match &org.credential {
        Credential::ServiceApp(_) => {
            let info = client.check_token(org).await?;
            Ok(format!(
                "{} token, scopes granted: {}, expires in {} s ({} token request{})",
                info.token_type,
                info.scopes.join(" "),
                info.expires_in,
                info.requests,
                if info.requests == 1 { "" } else { "s" }
            ))
        }
        Credential::ApiToken(_) => {
            let req = crate::plan::HttpRequest {
                resource: "okta.apps.applications".into(),
                method: "list_applications".into(),
                http_method: "GET".into(),
                url: format!("{}/api/v1/apps", org.url),
                query: vec![("limit".into(), "1".into())],
                body: None,
                paginate: false,
                response_shape: crate::provider::ResponseShape::Array,
                bound: vec![],
            };
            client.send(&req).await?;
            Ok("SSWS token accepted (GET /api/v1/apps?limit=1)".into())
        }
    }
}

/// An error and its sources, `outer: inner: …`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
