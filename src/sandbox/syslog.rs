//! The sandbox's System Log: one event per change the sandbox performs (client secrets and
//! JSON Web Keys created, activated, deactivated, deleted), in Okta's LogEvent shape, and the
//! query rules of `GET /api/v1/logs` (`since`, `until`, `filter`, `q`, `sortOrder`, `limit`).
//!
//! Event types are Okta's: `app.oauth2.credentials.lifecycle.{create,activate,deactivate,delete}`
//! for both kinds of client credential. Events never carry a secret, only its id and hash.
//! Plain data and pure functions; the org holds the list and the server writes to it together
//! with the change it records, so a change and its event are saved (or undone) together.

use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::model::{self, App};

/// Most events one org keeps; the oldest are dropped beyond it (Okta keeps 90 days).
pub const MAX_EVENTS: usize = 100_000;
/// Default page size of `GET /api/v1/logs`.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of `GET /api/v1/logs`.
pub const MAX_LIMIT: usize = 1000;
/// How far before `until` (or now) a query without `since` reaches, as Okta's default.
pub const DEFAULT_SINCE_SECS: i64 = 7 * 86_400;

/// The user the sandbox's API token belongs to: the actor of every change made with it.
pub const ADMIN_ID: &str = "00u8f2k0SandboxAdmin";
/// The admin's login.
pub const ADMIN_LOGIN: &str = "admin@example.com";

/// Who or what an event is about (`actor` and each `target`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Party {
    /// The object's id.
    pub id: String,
    /// Its type (`User`, `AppInstance`, `OAuth2ClientSecret`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its alternate id (login, app label, `kid`).
    #[serde(rename = "alternateId")]
    pub alternate_id: String,
    /// Its display name.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// Extra facts (a secret's hash, a key's `kid`).
    #[serde(
        rename = "detailEntry",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub detail: Option<serde_json::Value>,
}

/// One System Log event, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEvent {
    /// The event's id.
    pub uuid: String,
    /// When it happened, `YYYY-MM-DDTHH:MM:SS.000Z`.
    pub published: String,
    /// Okta's event type.
    #[serde(rename = "eventType")]
    pub event_type: String,
    /// A sentence for people.
    #[serde(rename = "displayMessage")]
    pub display_message: String,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: String,
    /// Who made the change.
    pub actor: Party,
    /// What it changed: the app, then the credential.
    pub target: Vec<Party>,
    /// Okta's `debugContext.debugData` (rate-limit events carry the limit and the endpoints).
    #[serde(rename = "debugData", default, skip_serializing_if = "Option::is_none")]
    pub debug_data: Option<serde_json::Value>,
}

impl LogEvent {
    /// The wire form: Okta's LogEvent with every top-level property.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "uuid": self.uuid,
            "published": self.published,
            "eventType": self.event_type,
            "version": "0",
            "severity": "INFO",
            "legacyEventType": null,
            "displayMessage": self.display_message,
            "actor": self.actor,
            "client": {
                "userAgent": {"rawUserAgent": "oktaql-sandbox", "os": "Unknown", "browser": "UNKNOWN"},
                "zone": "null",
                "device": "Unknown",
                "id": null,
                "ipAddress": "127.0.0.1",
                "geographicalContext": null
            },
            "outcome": {"result": self.outcome, "reason": null},
            "target": self.target,
            "transaction": {"type": "WEB", "id": self.uuid, "detail": {}},
            "debugContext": {"debugData": self.debug_data.clone().unwrap_or_else(|| serde_json::json!({}))},
            "authenticationContext": {"authenticationStep": 0, "externalSessionId": "trs-sandbox"},
            "securityContext": {},
            "request": {"ipChain": []}
        })
    }
}

/// The admin behind the sandbox's API token.
pub fn admin() -> Party {
    Party {
        id: ADMIN_ID.to_string(),
        kind: "User".to_string(),
        alternate_id: ADMIN_LOGIN.to_string(),
        display_name: "Sandbox Admin".to_string(),
        detail: None,
    }
}

/// An OAuth 2.0 service app acting with an access token it obtained (its client id).
pub fn client_app(client_id: &str, label: Option<&str>) -> Party {
    Party {
        id: client_id.to_string(),
        kind: "PublicClientApp".to_string(),
        alternate_id: client_id.to_string(),
        display_name: label.unwrap_or(client_id).to_string(),
        detail: None,
    }
}

/// What happened to a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Created.
    Create,
    /// Activated.
    Activate,
    /// Deactivated.
    Deactivate,
    /// Deleted.
    Delete,
    /// Generated (a signing key credential).
    Generate,
    /// Cloned from another app (a signing key credential).
    Clone,
    /// Revoked (a refresh token).
    Revoke,
}

impl Action {
    fn word(self) -> (&'static str, &'static str) {
        match self {
            Action::Create => ("create", "Create"),
            Action::Activate => ("activate", "Activate"),
            Action::Deactivate => ("deactivate", "Deactivate"),
            Action::Delete => ("delete", "Delete"),
            Action::Generate => ("generate", "Generate"),
            Action::Clone => ("clone", "Clone"),
            Action::Revoke => ("revoke", "Revoke"),
        }
    }
}

/// Which credential: a client secret (id, hash) or a JSON Web Key (id, kid).
pub enum Credential<'a> {
    /// A client secret.
    Secret {
        /// Its id.
        id: &'a str,
        /// Its hash (never the secret).
        hash: &'a str,
    },
    /// A JSON Web Key.
    Jwk {
        /// Its id.
        id: &'a str,
        /// Its `kid`.
        kid: Option<&'a str>,
    },
    /// An OAuth 2.0 refresh token issued for the app.
    Token {
        /// Its id.
        id: &'a str,
        /// The user it was issued to.
        user_id: &'a str,
    },
    /// An app's signing key credential (X.509 certificate).
    Key {
        /// Its `kid`.
        kid: &'a str,
        /// When its certificate expires.
        expires_at: &'a str,
    },
}

/// The event for `action` on `credential` of `app`, by `actor`, at `published`.
pub fn credential_event(
    action: Action,
    app: &App,
    credential: Credential<'_>,
    actor: Party,
    published: &str,
) -> LogEvent {
    let (verb, title) = action.word();
    let client_event = || format!("app.oauth2.credentials.lifecycle.{verb}");
    let (target, what, event_type) = match credential {
        Credential::Secret { id, hash } => (
            Party {
                id: id.to_string(),
                kind: "OAuth2ClientSecret".to_string(),
                alternate_id: hash.to_string(),
                display_name: "Client secret".to_string(),
                detail: Some(serde_json::json!({"secret_hash": hash})),
            },
            "client secret for OAuth 2.0 client",
            client_event(),
        ),
        Credential::Jwk { id, kid } => (
            Party {
                id: id.to_string(),
                kind: "OAuth2ClientJsonWebKey".to_string(),
                alternate_id: kid.unwrap_or(id).to_string(),
                display_name: "JSON Web Key".to_string(),
                detail: kid.map(|k| serde_json::json!({"kid": k})),
            },
            "JSON Web Key for OAuth 2.0 client",
            client_event(),
        ),
        // Okta's event type for a token of the org authorization server revoked.
        Credential::Token { id, user_id } => (
            Party {
                id: id.to_string(),
                kind: "RefreshToken".to_string(),
                alternate_id: id.to_string(),
                display_name: "Refresh token".to_string(),
                detail: Some(serde_json::json!({"userId": user_id})),
            },
            "refresh token for OAuth 2.0 client",
            format!("app.oauth2.token.{verb}"),
        ),
        // Okta's own event types for app key credentials: app.keys.generate, app.keys.clone.
        Credential::Key { kid, expires_at } => (
            Party {
                id: kid.to_string(),
                kind: "AppInstanceKeyCredential".to_string(),
                alternate_id: kid.to_string(),
                display_name: "Signing key credential".to_string(),
                detail: Some(serde_json::json!({"kid": kid, "expiresAt": expires_at})),
            },
            "key credential for app",
            format!("app.keys.{verb}"),
        ),
    };
    LogEvent {
        uuid: uuid_like(),
        published: published.to_string(),
        event_type,
        display_message: format!("{title} {what}"),
        outcome: "SUCCESS".to_string(),
        actor,
        target: vec![
            Party {
                id: app.id.clone(),
                kind: "AppInstance".to_string(),
                alternate_id: app.label.clone(),
                display_name: app.label.clone(),
                detail: None,
            },
            target,
        ],
        debug_data: None,
    }
}

/// The event of an app itself created or deleted (`application.lifecycle.{create,delete}`,
/// Okta's types), with the app as the only target.
pub fn app_event(action: Action, app: &App, actor: Party, published: &str) -> LogEvent {
    let (verb, title) = action.word();
    LogEvent {
        uuid: uuid_like(),
        published: published.to_string(),
        event_type: format!("application.lifecycle.{verb}"),
        display_message: format!("{title} application"),
        outcome: "SUCCESS".to_string(),
        actor,
        target: vec![Party {
            id: app.id.clone(),
            kind: "AppInstance".to_string(),
            alternate_id: app.label.clone(),
            display_name: app.label.clone(),
            detail: None,
        }],
        debug_data: None,
    }
}

/// A random id in the 8-4-4-4-12 hex shape of Okta's event uuids.
pub fn uuid_like() -> String {
    uuid_with(&mut rand::rng())
}

/// Like [`uuid_like`], from the given random source (the demo history is deterministic).
pub fn uuid_with(rng: &mut impl rand::Rng) -> String {
    let hex: String = (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Sort order of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first (Okta's default).
    Ascending,
    /// Newest first.
    Descending,
}

/// A parsed `filter`: conjunctions of `field eq "value"` on `eventType`, `actor.id`,
/// `target.id` and `outcome.result`.
#[derive(Debug, Default, PartialEq)]
pub struct Filter {
    terms: Vec<(String, String)>,
}

impl Filter {
    /// Reads Okta's filter syntax, the subset the sandbox supports.
    pub fn parse(text: &str) -> Result<Filter, ApiError> {
        let mut terms = Vec::new();
        for part in split_and(text) {
            let bad = || {
                ApiError::invalid_search(format!(
                    "filter: cannot read {part:?}; the sandbox supports eventType, actor.id, \
                     target.id and outcome.result with eq \"…\", joined with and"
                ))
            };
            let mut words = part.trim().splitn(3, ' ');
            let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
            else {
                return Err(bad());
            };
            let value = value.trim();
            if !op.eq_ignore_ascii_case("eq")
                || value.len() < 2
                || !value.starts_with('"')
                || !value.ends_with('"')
                || value[1..value.len() - 1].contains('"')
            {
                return Err(bad());
            }
            if !matches!(
                field,
                "eventType" | "actor.id" | "target.id" | "outcome.result"
            ) {
                return Err(bad());
            }
            terms.push((field.to_string(), value[1..value.len() - 1].to_string()));
        }
        Ok(Filter { terms })
    }

    fn keeps(&self, e: &LogEvent) -> bool {
        self.terms.iter().all(|(field, v)| match field.as_str() {
            "eventType" => &e.event_type == v,
            "actor.id" => &e.actor.id == v,
            "target.id" => e.target.iter().any(|t| &t.id == v),
            _ => &e.outcome == v,
        })
    }
}

fn split_and(text: &str) -> Vec<&str> {
    let lower = text.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(pos) = lower[start..].find(" and ") {
        parts.push(&text[start..start + pos]);
        start += pos + 5;
    }
    parts.push(&text[start..]);
    parts
}

/// A System Log query, parsed.
#[derive(Debug)]
pub struct Query {
    /// Lower bound of `published`, inclusive.
    pub since: String,
    /// Upper bound of `published`, exclusive.
    pub until: Option<String>,
    /// The filter.
    pub filter: Filter,
    /// Keywords that must all appear (case-insensitive) in the message, type or a target.
    pub q: Vec<String>,
    /// The order.
    pub order: Order,
    /// Page size.
    pub limit: usize,
}

/// Reads an Okta timestamp (`2026-12-01T10:00:00.000Z`, `2026-12-01T10:00:00Z`, with an
/// offset, or a date) into the sandbox's format, for comparing as text.
pub fn parse_time(name: &str, v: &str) -> Result<String, ApiError> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(v, &Rfc3339).or_else(|_| {
        time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
            .map(|d| d.midnight().assume_utc())
    });
    t.map(model::format_time).map_err(|_| {
        ApiError::validation(
            name,
            format!("{name}: {v:?} is not an ISO 8601 time such as 2026-12-01T10:00:00.000Z"),
        )
    })
}

impl Query {
    /// The query the parameters ask for; `now` is the current time.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        filter: Option<&str>,
        q: Option<&str>,
        sort_order: Option<&str>,
        limit: Option<&str>,
        now: time::OffsetDateTime,
    ) -> Result<Query, ApiError> {
        let until = until
            .filter(|s| !s.is_empty())
            .map(|u| parse_time("until", u))
            .transpose()?;
        // Okta's default: seven days before `until`, or before now.
        let since = match since.filter(|s| !s.is_empty()) {
            Some(s) => parse_time("since", s)?,
            None => {
                let end = until
                    .as_deref()
                    .and_then(|u| {
                        time::OffsetDateTime::parse(
                            u,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    })
                    .unwrap_or(now);
                model::format_time(end - time::Duration::seconds(DEFAULT_SINCE_SECS))
            }
        };
        let order = match sort_order {
            None | Some("") | Some("ASCENDING") => Order::Ascending,
            Some("DESCENDING") => Order::Descending,
            Some(o) => {
                return Err(ApiError::validation(
                    "sortOrder",
                    format!("sortOrder: {o:?} is not ASCENDING or DESCENDING"),
                ))
            }
        };
        let limit = match limit {
            None | Some("") => DEFAULT_LIMIT,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::validation(
                        "limit",
                        format!("limit: {l:?} is not a page size; use 1 to {MAX_LIMIT}"),
                    ))
                }
            },
        };
        let filter = match filter {
            Some(f) if !f.trim().is_empty() => Filter::parse(f)?,
            _ => Filter::default(),
        };
        let q = q
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        Ok(Query {
            since,
            until,
            filter,
            q,
            order,
            limit,
        })
    }

    fn keeps(&self, e: &LogEvent) -> bool {
        e.published >= self.since
            && self.until.as_ref().is_none_or(|u| &e.published < u)
            && self.filter.keeps(e)
            && self.q.iter().all(|w| {
                e.display_message.to_lowercase().contains(w)
                    || e.event_type.to_lowercase().contains(w)
                    || e.target.iter().any(|t| {
                        t.display_name.to_lowercase().contains(w)
                            || t.alternate_id.to_lowercase().contains(w)
                    })
            })
    }

    /// One page of `events` (oldest first as stored) after position `after`: the matching
    /// events and the cursor of the next page, if more match.
    pub fn page(&self, events: &[LogEvent], after: usize) -> (Vec<LogEvent>, Option<usize>) {
        let mut hits: Vec<&LogEvent> = events.iter().filter(|e| self.keeps(e)).collect();
        // Stable, so events of the same second keep the order they happened in.
        hits.sort_by(|a, b| a.published.cmp(&b.published));
        if self.order == Order::Descending {
            hits.reverse();
        }
        let page: Vec<LogEvent> = hits
            .iter()
            .skip(after)
            .take(self.limit)
            .map(|e| (*e).clone())
            .collect();
        let more = after + page.len() < hits.len();
        // Okta's rule: an ascending query without `until` is a poll, always offered a next
        // page (empty until new events arrive); a bounded one ends with its last event.
        let poll = self.order == Order::Ascending && self.until.is_none();
        let next = (more || poll).then_some(after + page.len());
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "Payroll".into(),
            status: "ACTIVE".into(),
            sign_on_mode: "OPENID_CONNECT".into(),
            created: "2024-01-01T00:00:00.000Z".into(),
            last_updated: "2024-01-01T00:00:00.000Z".into(),
            token_endpoint_auth_method: Some("client_secret_basic".into()),
            application_type: Some("web".into()),
        }
    }

    fn ev(action: Action, at: &str) -> LogEvent {
        credential_event(
            action,
            &app(),
            Credential::Secret {
                id: "ocs1",
                hash: "h4sh",
            },
            admin(),
            at,
        )
    }

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-12-02 08:00 UTC)
    }

    #[test]
    fn events_have_okta_shape_and_no_secret() {
        let e = ev(Action::Deactivate, "2026-12-01T00:00:00.000Z").to_json();
        assert_eq!(
            e["eventType"],
            "app.oauth2.credentials.lifecycle.deactivate"
        );
        assert_eq!(e["actor"]["id"], ADMIN_ID);
        assert_eq!(e["target"][0]["type"], "AppInstance");
        assert_eq!(e["target"][1]["id"], "ocs1");
        assert_eq!(e["target"][1]["detailEntry"]["secret_hash"], "h4sh");
        assert_eq!(e["outcome"]["result"], "SUCCESS");
        assert_eq!(e["uuid"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn query_bounds_filter_order_and_pages() {
        let events = vec![
            ev(Action::Create, "2026-11-01T00:00:00.000Z"),
            ev(Action::Deactivate, "2026-11-30T00:00:00.000Z"),
            ev(Action::Delete, "2026-12-01T00:00:00.000Z"),
        ];
        let q = |since, until, filter, order, limit| {
            Query::parse(since, until, filter, None, order, limit, now()).unwrap()
        };
        // Default since: seven days back.
        assert_eq!(q(None, None, None, None, None).page(&events, 0).0.len(), 2);
        let all = q(
            Some("2026-01-01"),
            None,
            None,
            Some("DESCENDING"),
            Some("2"),
        );
        let (p, next) = all.page(&events, 0);
        assert_eq!(p[0].event_type, "app.oauth2.credentials.lifecycle.delete");
        assert_eq!(next, Some(2));
        assert_eq!(all.page(&events, 2).0.len(), 1);
        // A poll (ascending, no until) always has a next page, even an empty one.
        let poll = q(Some("2026-01-01"), None, None, None, None);
        assert_eq!(poll.page(&events, 3), (Vec::new(), Some(3)));
        let bounded = q(
            Some("2026-11-01T00:00:00Z"),
            Some("2026-12-01T00:00:00.000Z"),
            Some("eventType eq \"app.oauth2.credentials.lifecycle.deactivate\""),
            None,
            None,
        );
        assert_eq!(bounded.page(&events, 0).0.len(), 1);
        assert!(Filter::parse("eventType sw \"app\"").is_err());
        assert!(Filter::parse("displayMessage eq \"x\"").is_err());
        assert!(Query::parse(Some("yesterday"), None, None, None, None, None, now()).is_err());
        assert!(Query::parse(None, None, None, None, Some("UP"), None, now()).is_err());
        assert!(Query::parse(None, None, None, None, None, Some("1001"), now()).is_err());
        let kw = Query::parse(
            Some("2020-01-01"),
            None,
            None,
            Some("PAYROLL delete"),
            None,
            None,
            now(),
        )
        .unwrap();
        assert_eq!(kw.page(&events, 0).0.len(), 1);
    }
}
