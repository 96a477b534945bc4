//! The sandbox's in-memory state and Okta's client-secret rules.
//!
//! Orgs sit in a map behind a read-mostly lock; each app's secrets sit behind their own mutex,
//! held only for the few instructions that check a rule and apply a change, never across an
//! await. That is what keeps every rule true under concurrent requests (fifty simultaneous
//! creates on an app with one free slot: exactly one wins). Persistence is not done here: every
//! write bumps [`Store::version`] and the server makes the snapshot durable before it answers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::integrations::Instance;
use super::jwks::{self, Jwk, NewJwk};
use super::keys::{self, AppKey};
use super::model::{self, App, Secret, ACTIVE, INACTIVE};
use super::syslog::LogEvent;
use super::tokens::{self, RefreshToken};

/// Most secrets an app may hold, active or not.
pub const MAX_SECRETS: usize = 2;
/// How many orgs may spring into being by being addressed (beyond those in the seed or state).
const MAX_IMPLICIT_ORGS: usize = 1000;

/// Everything the sandbox serves.
#[derive(Debug, Default)]
pub struct Store {
    orgs: RwLock<HashMap<String, Arc<Org>>>,
    version: AtomicU64,
}

/// One org: its apps, its rate-limit counters and its System Log.
#[derive(Debug)]
pub struct Org {
    /// The org's name (its subdomain).
    pub name: String,
    apps: RwLock<Apps>,
    limits: super::limits::OrgLimits,
    log: Mutex<Vec<LogEvent>>,
    integrations: Mutex<Vec<Instance>>,
}

#[derive(Debug, Default)]
struct Apps {
    list: Vec<Arc<AppEntry>>,
    index: HashMap<String, usize>,
}

/// One app, its secrets, JSON Web Keys and signing key credentials.
#[derive(Debug)]
pub struct AppEntry {
    /// The app as created; its status and `lastUpdated` change through the lifecycle
    /// endpoints, so read those from [`AppEntry::current`].
    pub app: App,
    /// The app's lifecycle: its status and when it last changed.
    lifecycle: Mutex<(String, String)>,
    secrets: Mutex<Vec<Secret>>,
    jwks: Mutex<Vec<Jwk>>,
    keys: Mutex<Vec<AppKey>>,
    tokens: Mutex<Vec<RefreshToken>>,
}

/// A copy of an app's credentials, to put back when a write cannot be saved.
pub struct Snapshot {
    lifecycle: (String, String),
    secrets: Vec<Secret>,
    jwks: Vec<Jwk>,
    keys: Vec<AppKey>,
    tokens: Vec<RefreshToken>,
}

/// The body of a create-secret request.
#[derive(Debug, Default, Deserialize)]
pub struct NewSecret {
    /// A caller-chosen secret; generated when absent.
    pub client_secret: Option<String>,
    /// `ACTIVE` (default) or `INACTIVE`.
    pub status: Option<String>,
}

/// The persisted form of one org.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgData {
    /// The org's name.
    pub name: String,
    /// Its apps, in listing order.
    pub apps: Vec<AppData>,
    /// Its System Log, oldest first (absent in state files written before the log existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogEvent>,
    /// Its API service integrations, oldest first (absent in older state files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrations: Vec<Instance>,
}

/// The persisted form of one app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppData {
    /// The app.
    #[serde(flatten)]
    pub app: App,
    /// Its secrets, oldest first.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// Its JSON Web Keys, oldest first (absent in state files written before keys existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jwks: Vec<Jwk>,
    /// Its signing key credentials, oldest first (absent in older state files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<AppKey>,
    /// Its OAuth 2.0 refresh tokens, oldest first (absent in older state files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<RefreshToken>,
}

impl Store {
    /// A store holding the given orgs.
    pub fn from_data(orgs: Vec<OrgData>) -> Store {
        let store = Store::default();
        {
            let mut map = store.orgs.write().unwrap_or_else(|e| e.into_inner());
            for org in orgs {
                map.insert(org.name.clone(), Arc::new(Org::from_data(org)));
            }
        }
        store
    }

    /// A consistent-per-app copy of everything, for persisting. Orgs without apps are left out.
    pub fn to_data(&self) -> Vec<OrgData> {
        let orgs: Vec<Arc<Org>> = self.read_orgs().values().cloned().collect();
        let mut data: Vec<OrgData> = orgs
            .iter()
            .map(|o| o.to_data())
            .filter(|o| !o.apps.is_empty() || !o.integrations.is_empty())
            .collect();
        data.sort_by(|a, b| a.name.cmp(&b.name));
        data
    }

    /// The number of apps in each org that has any, by org name.
    pub fn app_counts(&self) -> HashMap<String, usize> {
        self.read_orgs()
            .iter()
            .map(|(name, org)| (name.clone(), org.read_apps().list.len()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The number of writes applied so far.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Records that a write was applied; returns the version that includes it.
    pub fn bump(&self) -> u64 {
        self.version.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The org called `name`. An org not yet known is created empty, as any subdomain answers
    /// (up to a bound, after which unknown orgs are `None`).
    pub fn org(&self, name: &str) -> Option<Arc<Org>> {
        if let Some(org) = self.read_orgs().get(name) {
            return Some(org.clone());
        }
        let mut map = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(org) = map.get(name) {
            return Some(org.clone());
        }
        if map.len() >= MAX_IMPLICIT_ORGS {
            return None;
        }
        let org = Arc::new(Org::from_data(OrgData {
            name: name.to_string(),
            apps: Vec::new(),
            log: Vec::new(),
            integrations: Vec::new(),
        }));
        map.insert(name.to_string(), org.clone());
        Some(org)
    }

    fn read_orgs(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Org>>> {
        self.orgs.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Org {
    /// An org outside the store (used to keep rate-limit windows for paths that name no org).
    pub fn detached(name: &str) -> Org {
        Org::from_data(OrgData {
            name: name.to_string(),
            apps: Vec::new(),
            log: Vec::new(),
            integrations: Vec::new(),
        })
    }

    fn from_data(data: OrgData) -> Org {
        let mut apps = Apps::default();
        for a in data.apps {
            apps.index.insert(a.app.id.clone(), apps.list.len());
            apps.list.push(Arc::new(AppEntry {
                lifecycle: Mutex::new((a.app.status.clone(), a.app.last_updated.clone())),
                app: a.app,
                secrets: Mutex::new(a.secrets),
                jwks: Mutex::new(a.jwks),
                keys: Mutex::new(a.keys),
                tokens: Mutex::new(a.tokens),
            }));
        }
        Org {
            name: data.name,
            apps: RwLock::new(apps),
            limits: super::limits::OrgLimits::default(),
            log: Mutex::new(data.log),
            integrations: Mutex::new(data.integrations),
        }
    }

    fn to_data(&self) -> OrgData {
        let apps = self.read_apps();
        OrgData {
            name: self.name.clone(),
            log: self.lock_log().clone(),
            integrations: self.integrations(),
            apps: apps
                .list
                .iter()
                .map(|e| AppData {
                    app: e.current(),
                    secrets: e.secrets(),
                    jwks: e.jwks(),
                    keys: e.keys(),
                    tokens: e.tokens(),
                })
                .collect(),
        }
    }

    /// The org's API service integrations, locked (held only while a rule is checked and a
    /// change applied).
    pub fn lock_integrations(&self) -> std::sync::MutexGuard<'_, Vec<Instance>> {
        self.integrations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the org's API service integrations, oldest first.
    pub fn integrations(&self) -> Vec<Instance> {
        self.lock_integrations().clone()
    }

    /// Puts back what [`Org::integrations`] returned (undoing a write that could not be saved).
    pub fn restore_integrations(&self, list: Vec<Instance>) {
        *self.lock_integrations() = list;
    }

    fn lock_log(&self) -> std::sync::MutexGuard<'_, Vec<LogEvent>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends an event to the org's System Log, dropping the oldest beyond
    /// [`super::syslog::MAX_EVENTS`].
    pub fn record(&self, event: LogEvent) {
        let mut log = self.lock_log();
        log.push(event);
        if log.len() > super::syslog::MAX_EVENTS {
            let extra = log.len() - super::syslog::MAX_EVENTS;
            log.drain(..extra);
        }
    }

    /// Removes the events with these uuids (undoing a write that could not be saved; a
    /// rate-limit event may have been written after them meanwhile).
    pub fn unrecord(&self, uuids: &[String]) {
        let mut log = self.lock_log();
        for uuid in uuids.iter().rev() {
            if let Some(i) = log.iter().rposition(|e| &e.uuid == uuid) {
                log.remove(i);
            }
        }
    }

    /// Runs `f` over the org's System Log, oldest first, under its lock.
    pub fn with_log<T>(&self, f: impl FnOnce(&[LogEvent]) -> T) -> T {
        f(&self.lock_log())
    }

    fn read_apps(&self) -> std::sync::RwLockReadGuard<'_, Apps> {
        self.apps.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The app with this id, or Okta's 404.
    pub fn app(&self, id: &str) -> Result<Arc<AppEntry>, ApiError> {
        let apps = self.read_apps();
        apps.index
            .get(id)
            .map(|&i| apps.list[i].clone())
            .ok_or_else(|| ApiError::not_found(&format!("{id} (AppInstance)")))
    }

    /// One page of apps matching `keep`, starting after the app `after` (an id; unknown ids start
    /// from the beginning). Returns the page and whether more matching apps follow it.
    pub fn list_apps(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&App) -> bool,
    ) -> (Vec<Arc<AppEntry>>, bool) {
        let apps = self.read_apps();
        let start = after
            .and_then(|a| apps.index.get(a))
            .map(|&i| i + 1)
            .unwrap_or(0);
        let mut page = Vec::with_capacity(limit.min(apps.list.len()));
        let mut more = false;
        for entry in apps.list.iter().skip(start) {
            if !keep(&entry.current()) {
                continue;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(entry.clone());
        }
        (page, more)
    }

    /// The org's rate-limit counters.
    pub fn limits(&self) -> &super::limits::OrgLimits {
        &self.limits
    }
}

impl AppEntry {
    fn lock_lifecycle(&self) -> std::sync::MutexGuard<'_, (String, String)> {
        self.lifecycle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The app as it is now: as created, with its current status and `lastUpdated`.
    pub fn current(&self) -> App {
        let (status, last_updated) = self.lock_lifecycle().clone();
        App {
            status,
            last_updated,
            ..self.app.clone()
        }
    }

    /// Activates (`active`) or deactivates the app, as Okta's lifecycle endpoints do: setting
    /// the status it already has changes nothing. Returns the app as it is after.
    pub fn set_app_status(&self, active: bool) -> App {
        let status = if active { ACTIVE } else { INACTIVE };
        {
            let mut l = self.lock_lifecycle();
            if l.0 != status {
                *l = (status.to_string(), super::model::now());
            }
        }
        self.current()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Secret>> {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of every credential of the app, for [`AppEntry::restore`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            lifecycle: self.lock_lifecycle().clone(),
            secrets: self.secrets(),
            jwks: self.jwks(),
            keys: self.keys(),
            tokens: self.tokens(),
        }
    }

    /// Puts back what [`AppEntry::snapshot`] copied (undoing a write that could not be saved).
    pub fn restore(&self, s: Snapshot) {
        *self.lock_lifecycle() = s.lifecycle;
        *self.lock() = s.secrets;
        *self.lock_jwks() = s.jwks;
        *self.lock_keys() = s.keys;
        *self.lock_tokens() = s.tokens;
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, Vec<RefreshToken>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the app's refresh tokens, oldest first.
    pub fn tokens(&self) -> Vec<RefreshToken> {
        self.lock_tokens().clone()
    }

    /// One refresh token, or Okta's 404.
    pub fn token(&self, id: &str) -> Result<RefreshToken, ApiError> {
        self.lock_tokens()
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| tokens::not_found(id))
    }

    /// Revokes one refresh token; returns it.
    pub fn revoke_token(&self, id: &str) -> Result<RefreshToken, ApiError> {
        tokens::revoke(&mut self.lock_tokens(), id)
    }

    /// Revokes every refresh token of the app; returns them (none is not an error).
    pub fn revoke_all_tokens(&self) -> Result<Vec<RefreshToken>, ApiError> {
        Ok(std::mem::take(&mut *self.lock_tokens()))
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, Vec<AppKey>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the app's signing key credentials, oldest first.
    pub fn keys(&self) -> Vec<AppKey> {
        self.lock_keys().clone()
    }

    /// One key credential by `kid`, or Okta's 404.
    pub fn key(&self, kid: &str) -> Result<AppKey, ApiError> {
        self.lock_keys()
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
            .ok_or_else(|| keys::not_found(kid))
    }

    /// Generates a key credential valid for `years` years ([`keys::generate`]).
    pub fn generate_key(&self, years: i64) -> Result<AppKey, ApiError> {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(time::OffsetDateTime::now_utc());
        keys::generate(&self.app.label, &mut self.lock_keys(), years, now)
    }

    /// Adds a copy of another app's key credential ([`keys::clone_to`]).
    pub fn clone_key_in(&self, key: &AppKey) -> Result<AppKey, ApiError> {
        keys::clone_to(key, &mut self.lock_keys(), &model::now())
    }

    /// A copy of the app's secrets, oldest first.
    pub fn secrets(&self) -> Vec<Secret> {
        self.lock().clone()
    }

    fn lock_jwks(&self) -> std::sync::MutexGuard<'_, Vec<Jwk>> {
        self.jwks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the app's JSON Web Keys, oldest first.
    pub fn jwks(&self) -> Vec<Jwk> {
        self.lock_jwks().clone()
    }

    /// One JSON Web Key, or Okta's 404 (also for apps that are not OAuth 2.0 clients).
    pub fn jwk(&self, id: &str) -> Result<Jwk, ApiError> {
        self.lock_jwks()
            .iter()
            .find(|k| k.id == id)
            .cloned()
            .ok_or_else(|| jwks::not_found(id))
    }

    /// Adds a JSON Web Key under Okta's rules ([`jwks::add`]).
    pub fn add_jwk(&self, req: NewJwk) -> Result<Jwk, ApiError> {
        let now = model::now();
        jwks::add(&self.app, &mut self.lock_jwks(), req, &now)
    }

    /// Activates or deactivates a JSON Web Key under Okta's rules.
    pub fn set_jwk_status(&self, id: &str, active: bool) -> Result<Jwk, ApiError> {
        let now = model::now();
        let mut keys = self.lock_jwks();
        if active {
            jwks::activate(&mut keys, id, &now)
        } else {
            jwks::deactivate(&self.app, &mut keys, id, &now)
        }
    }

    /// Deletes an INACTIVE JSON Web Key.
    pub fn delete_jwk(&self, id: &str) -> Result<Jwk, ApiError> {
        jwks::delete(&mut self.lock_jwks(), id)
    }

    /// One secret, or Okta's 404.
    pub fn secret(&self, id: &str) -> Result<Secret, ApiError> {
        self.lock()
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| secret_not_found(id))
    }

    /// Creates a secret under Okta's rules: the app must be an OAuth 2.0 client that may hold
    /// secrets, the secret (when given) 14–100 printable ASCII characters (32+ for
    /// `client_secret_jwt`), the status ACTIVE or INACTIVE, and at most two secrets per app.
    pub fn create_secret(&self, req: NewSecret) -> Result<Secret, ApiError> {
        let method = self.app.token_endpoint_auth_method.as_deref();
        match method {
            None => {
                return Err(ApiError::validation(
                    "client_secret",
                    format!(
                    "Client secrets exist only for OAuth 2.0 client apps; '{}' signs on with '{}'.",
                    self.app.label, self.app.sign_on_mode
                ),
                ))
            }
            Some(m @ ("private_key_jwt" | "none")) => {
                return Err(ApiError::validation(
                    "client_secret",
                    format!(
                        "'client_secret' can't be used when 'token_endpoint_auth_method' is '{m}'."
                    ),
                ))
            }
            Some(_) => {}
        }
        let status = match req.status.as_deref() {
            None | Some(ACTIVE) => ACTIVE,
            Some(INACTIVE) => INACTIVE,
            Some(other) => {
                return Err(ApiError::validation(
                    "status",
                    format!("status: '{other}' is not a valid status; use 'ACTIVE' or 'INACTIVE'."),
                ))
            }
        };
        let client_secret = match req.client_secret {
            Some(s) => {
                validate_client_secret(&s, method == Some("client_secret_jwt"))?;
                s
            }
            None => model::generate_secret(),
        };
        let now = model::now();
        add_secret(&mut self.lock(), Secret::new(client_secret, status, &now))
    }

    /// Activates or deactivates a secret ([`set_secret_status`]).
    pub fn set_status(&self, id: &str, active: bool) -> Result<Secret, ApiError> {
        set_secret_status(&mut self.lock(), id, active)
    }

    /// Deletes an INACTIVE secret ([`delete_secret_in`]).
    pub fn delete_secret(&self, id: &str) -> Result<Secret, ApiError> {
        delete_secret_in(&mut self.lock(), id)
    }
}

/// Adds a secret to a client's secrets, at most [`MAX_SECRETS`] (Okta's rule for app and API
/// service integration secrets alike). Returns it.
pub fn add_secret(secrets: &mut Vec<Secret>, secret: Secret) -> Result<Secret, ApiError> {
    if secrets.len() >= MAX_SECRETS {
        return Err(ApiError::validation(
            "OAuth2ClientSecretMediated",
            "You've reached the maximum number of client secrets per client.",
        ));
    }
    secrets.push(secret.clone());
    Ok(secret)
}

/// Activates or deactivates one of a client's secrets. Deactivating the only active secret is
/// refused; setting the status it already has changes nothing.
pub fn set_secret_status(
    secrets: &mut [Secret],
    id: &str,
    active: bool,
) -> Result<Secret, ApiError> {
    let now = model::now();
    let active_count = secrets.iter().filter(|s| s.status == ACTIVE).count();
    let secret = secrets
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| secret_not_found(id))?;
    let want = if active { ACTIVE } else { INACTIVE };
    if secret.status == want {
        return Ok(secret.clone());
    }
    if !active && active_count <= 1 {
        return Err(ApiError::validation(
            "OAuth2ClientSecretMediated",
            "You can't deactivate the only active client secret.",
        ));
    }
    secret.status = want.to_string();
    secret.last_updated = now;
    Ok(secret.clone())
}

/// Deletes an INACTIVE secret of a client and returns it; an ACTIVE one is refused.
pub fn delete_secret_in(secrets: &mut Vec<Secret>, id: &str) -> Result<Secret, ApiError> {
    let pos = secrets
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| secret_not_found(id))?;
    if secrets[pos].status == ACTIVE {
        return Err(ApiError::validation(
            "OAuth2ClientSecretMediated",
            "You can't delete an active client secret. Deactivate the secret before deleting it.",
        ));
    }
    Ok(secrets.remove(pos))
}

/// Okta's 404 for a secret id the client does not have.
pub fn secret_not_found(id: &str) -> ApiError {
    ApiError::not_found(&format!("{id} (OAuth2ClientSecret)"))
}

/// Okta's rules for a caller-chosen `client_secret`.
pub fn validate_client_secret(secret: &str, for_jwt: bool) -> Result<(), ApiError> {
    let fail = |cause: &str| Err(ApiError::validation("client_secret", cause));
    if !secret.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return fail(
            "client_secret: 'client_secret' must only contain printable ASCII: [x20-x7E]+",
        );
    }
    let len = secret.len();
    if len > 100 {
        return fail("client_secret: 'client_secret' can't be more than '100' characters long.");
    }
    if for_jwt && len < 32 {
        return fail(
            "client_secret: 'client_secret' must be at least '32' characters long when \
             'token_endpoint_auth_method' is 'client_secret_jwt'.",
        );
    }
    if len < 14 {
        return fail("client_secret: 'client_secret' must be at least '14' characters long.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc(method: &str, secrets: Vec<Secret>) -> AppEntry {
        AppEntry {
            app: App {
                id: "0oa00000000000000001".into(),
                name: "oidc_client".into(),
                label: "Test".into(),
                status: ACTIVE.into(),
                sign_on_mode: "OPENID_CONNECT".into(),
                created: "2024-01-01T00:00:00.000Z".into(),
                last_updated: "2024-01-01T00:00:00.000Z".into(),
                token_endpoint_auth_method: Some(method.into()),
                application_type: Some("web".into()),
            },
            lifecycle: Mutex::new((ACTIVE.into(), "2024-01-01T00:00:00.000Z".into())),
            secrets: Mutex::new(secrets),
            jwks: Mutex::new(Vec::new()),
            keys: Mutex::new(Vec::new()),
            tokens: Mutex::new(Vec::new()),
        }
    }

    #[test]
    fn app_lifecycle_changes_status_once() {
        let e = oidc("client_secret_basic", Vec::new());
        let off = e.set_app_status(false);
        assert_eq!(off.status, INACTIVE);
        assert_ne!(off.last_updated, e.app.last_updated);
        // Deactivating an inactive app changes nothing, not even lastUpdated.
        assert_eq!(e.set_app_status(false), off);
        let snap = e.snapshot();
        assert_eq!(e.set_app_status(true).status, ACTIVE);
        e.restore(snap);
        assert_eq!(e.current(), off);
    }

    fn cause(e: ApiError) -> String {
        e.causes[0].clone()
    }

    #[test]
    fn two_secrets_at_most() {
        let app = oidc("client_secret_basic", vec![]);
        app.create_secret(NewSecret::default()).unwrap();
        app.create_secret(NewSecret::default()).unwrap();
        let e = app.create_secret(NewSecret::default()).unwrap_err();
        assert_eq!(e.code, "E0000001");
        assert!(cause(e).contains("maximum number of client secrets"));
    }

    #[test]
    fn only_active_cannot_be_deactivated_and_active_cannot_be_deleted() {
        let app = oidc("client_secret_post", vec![]);
        let a = app.create_secret(NewSecret::default()).unwrap();
        assert!(cause(app.set_status(&a.id, false).unwrap_err()).contains("only active"));
        assert!(cause(app.delete_secret(&a.id).unwrap_err()).contains("can't delete an active"));
        let b = app.create_secret(NewSecret::default()).unwrap();
        assert_eq!(app.set_status(&a.id, false).unwrap().status, INACTIVE);
        assert!(cause(app.set_status(&b.id, false).unwrap_err()).contains("only active"));
        app.delete_secret(&a.id).unwrap();
        assert_eq!(app.secrets().len(), 1);
        assert_eq!(app.secret(&a.id).unwrap_err().code, "E0000007");
    }

    #[test]
    fn secret_text_rules() {
        assert!(validate_client_secret(&"a".repeat(14), false).is_ok());
        assert!(validate_client_secret(&"a".repeat(13), false).is_err());
        assert!(validate_client_secret(&"a".repeat(100), false).is_ok());
        assert!(validate_client_secret(&"a".repeat(101), false).is_err());
        assert!(validate_client_secret(&"a".repeat(31), true).is_err());
        assert!(validate_client_secret(&"a".repeat(32), true).is_ok());
        assert!(validate_client_secret("abcdefghijklmn\u{e9}", false).is_err());
        assert!(validate_client_secret("abcdefghijklmn\t", false).is_err());
        let pk = oidc("private_key_jwt", vec![]);
        assert!(
            cause(pk.create_secret(NewSecret::default()).unwrap_err()).contains("private_key_jwt")
        );
        let app = oidc("client_secret_basic", vec![]);
        let bad = NewSecret {
            client_secret: None,
            status: Some("SUSPENDED".into()),
        };
        assert_eq!(app.create_secret(bad).unwrap_err().causes.len(), 1);
    }
}
