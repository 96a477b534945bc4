//! API service integrations of an org (`/integrations/api/v1/api-services`): OIN service apps
//! that call Okta's API with granted scopes, each with up to two client secrets under the same
//! rules as app secrets (at most two; only an INACTIVE secret can be deleted; the only active
//! one cannot be deactivated). How an instance is stored, created and rendered.
//!
//! Plain data and pure functions; the org holds the list behind one lock and the server
//! applies a change and its System Log event together.

use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::model::{self, Secret, ACTIVE};

/// Most API service integrations one org holds in the sandbox (bounds the state file).
pub const MAX_INSTANCES: usize = 1000;
/// Default page size of the list.
pub const DEFAULT_LIMIT: usize = 20;

/// One API service integration instance, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Instance {
    /// `0oa` + 17 alphanumerics (the integration is an app, as in Okta).
    pub id: String,
    /// The integration's OIN type (`my_api_log_integration`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name in the OIN catalog.
    pub name: String,
    /// Okta management scopes granted.
    #[serde(rename = "grantedScopes")]
    pub granted_scopes: Vec<String>,
    /// Creation time.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// The user who created it.
    #[serde(rename = "createdBy")]
    pub created_by: String,
    /// Its client secrets, oldest first.
    #[serde(default)]
    pub secrets: Vec<Secret>,
}

/// The body of a create-instance request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstance {
    /// The OIN type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The scopes to grant.
    #[serde(rename = "grantedScopes")]
    pub granted_scopes: Option<Vec<String>>,
    /// Instance properties (accepted, not kept).
    #[serde(rename = "properties")]
    pub _properties: Option<serde::de::IgnoredAny>,
}

/// Okta's 404 for an unknown instance.
pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(&format!("{id} (APIServiceIntegrationInstance)"))
}

/// Display name of an OIN type: `my_api_log_integration` → `My Api Log Integration`.
fn name_of(kind: &str) -> String {
    kind.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Creates an instance with one ACTIVE secret (returned in clear, once, as Okta does).
/// `type` must be a lowercase underscore name and `grantedScopes` non-empty Okta scopes.
pub fn create(
    list: &mut Vec<Instance>,
    req: NewInstance,
    created_by: &str,
) -> Result<(Instance, Secret), ApiError> {
    let what = "APIServiceIntegrationInstance";
    let kind = req
        .kind
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::validation(what, "type: 'type' is required (the integration's OIN name, such as my_api_log_integration)."))?;
    if kind.len() > 100
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ApiError::validation(
            what,
            format!("type: {kind:?} is not an integration name; use lowercase letters, digits and underscores."),
        ));
    }
    let scopes = req.granted_scopes.unwrap_or_default();
    if scopes.is_empty() {
        return Err(ApiError::validation(
            what,
            "grantedScopes: at least one Okta management scope is required (such as okta.logs.read).",
        ));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|s| !s.starts_with("okta.") || s.len() > 100)
    {
        return Err(ApiError::validation(
            what,
            format!("grantedScopes: {bad:?} is not an Okta management scope (okta.*)."),
        ));
    }
    if list.len() >= MAX_INSTANCES {
        return Err(ApiError::validation(
            what,
            format!("The org holds {MAX_INSTANCES} API service integrations, the most the sandbox keeps."),
        ));
    }
    let now = model::now();
    let secret = Secret::new(model::generate_secret(), ACTIVE, &now);
    let instance = Instance {
        id: model::new_id("0oa"),
        name: name_of(&kind),
        kind,
        granted_scopes: scopes,
        created_at: now,
        created_by: created_by.to_string(),
        secrets: vec![secret.clone()],
    };
    list.push(instance.clone());
    Ok((instance, secret))
}

/// The instance with this id, or Okta's 404.
pub fn find<'a>(list: &'a mut [Instance], id: &str) -> Result<&'a mut Instance, ApiError> {
    list.iter_mut()
        .find(|i| i.id == id)
        .ok_or_else(|| not_found(id))
}

/// Checks stored instances (the state-file loader's view of the API rules).
pub fn validate(list: &[Instance]) -> Result<(), String> {
    if list.len() > MAX_INSTANCES {
        return Err(format!(
            "{} API service integrations (at most {MAX_INSTANCES})",
            list.len()
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for i in list {
        if !i.id.starts_with("0oa") || !ids.insert(i.id.as_str()) {
            return Err(format!(
                "integration id {:?} is not 0oa… or is repeated",
                i.id
            ));
        }
        if i.secrets.len() > super::state::MAX_SECRETS {
            return Err(format!(
                "integration {} has {} secrets (at most {})",
                i.id,
                i.secrets.len(),
                super::state::MAX_SECRETS
            ));
        }
        for s in &i.secrets {
            if !ids.insert(s.id.as_str()) || (s.status != ACTIVE && s.status != model::INACTIVE) {
                return Err(format!(
                    "integration {}: secret {} is repeated or has status {:?}",
                    i.id, s.id, s.status
                ));
            }
        }
    }
    Ok(())
}

/// The wire form of an instance (Okta's APIServiceIntegrationInstance); `base` is
/// `http://host/{org}`.
pub fn view(i: &Instance, base: &str) -> serde_json::Value {
    serde_json::json!({
        "configGuideUrl": format!("https://okta.example.com/{}/configuration-guide", i.kind),
        "createdAt": i.created_at,
        "createdBy": i.created_by,
        "grantedScopes": i.granted_scopes,
        "id": i.id,
        "name": i.name,
        "properties": {},
        "type": i.kind,
        "_links": {
            "client": {"href": format!("{base}/oauth2/v1/clients/{}", i.id)},
            "logo": [],
            "self": {"href": format!("{base}/integrations/api/v1/api-services/{}", i.id), "hints": {"allow": ["GET", "DELETE"]}}
        }
    })
}

/// The integration as the app its System Log events target (an API service integration is
/// an app in Okta).
pub fn as_app(i: &Instance) -> model::App {
    model::App {
        id: i.id.clone(),
        name: i.kind.clone(),
        label: i.name.clone(),
        status: ACTIVE.to_string(),
        sign_on_mode: "OPENID_CONNECT".to_string(),
        created: i.created_at.clone(),
        last_updated: i.created_at.clone(),
        token_endpoint_auth_method: Some("client_secret_basic".to_string()),
        application_type: Some("service".to_string()),
    }
}

/// The URL of an instance's secret list.
pub fn secrets_href(base: &str, id: &str) -> String {
    format!("{base}/integrations/api/v1/api-services/{id}/credentials/secrets")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, scopes: &[&str]) -> NewInstance {
        NewInstance {
            kind: Some(kind.into()),
            granted_scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
            _properties: None,
        }
    }

    #[test]
    fn create_checks_type_and_scopes() {
        let mut list = Vec::new();
        let (i, s) = create(
            &mut list,
            req("my_siem_log_export", &["okta.logs.read"]),
            "00u1",
        )
        .unwrap();
        assert_eq!(i.name, "My Siem Log Export");
        assert_eq!(s.status, ACTIVE);
        assert_eq!(i.secrets.len(), 1);
        assert!(create(&mut list, req("Bad Type", &["okta.logs.read"]), "00u1").is_err());
        assert!(create(&mut list, req("ok", &[]), "00u1").is_err());
        assert!(create(&mut list, req("ok", &["logs.read"]), "00u1").is_err());
        assert_eq!(list.len(), 1);
        assert!(validate(&list).is_ok());
        let id = list[0].id.clone();
        assert!(find(&mut list, &id).is_ok());
        assert_eq!(find(&mut list, "0oanope").unwrap_err().code, "E0000007");
    }
}
