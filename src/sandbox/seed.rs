//! The demo seed: org [`DEMO_ORG`](super::DEMO_ORG) with a realistic, deterministic mix of apps.
//!
//! The same configuration always yields the same ids, labels, secrets and dates (a seeded RNG and
//! fixed creation dates), so tests elsewhere can name the well-known apps in
//! [`super`]'s `DEMO_APP_*` constants. The one exception is the SAML apps' signing
//! certificates: their dates follow the day the demo org is built ([`demo_org_at`]), so that
//! "expires within 30 days" and "already expired" always have rows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::jwks::Jwk;
use super::model::{self, App, Secret, ACTIVE, INACTIVE};
use super::state::{AppData, OrgData};
use super::syslog::{self, Action, Credential, LogEvent};

/// Products and in-house tools the generated apps are named after.
const PRODUCTS: &[&str] = &[
    "Payroll Portal",
    "Grafana",
    "Jira",
    "Confluence",
    "Expense Tracker",
    "Customer Portal",
    "Partner Hub",
    "Inventory Service",
    "Billing API",
    "Support Desk",
    "HR Onboarding",
    "Kibana",
    "Argo CD",
    "Jenkins",
    "Sentry",
    "Vault UI",
    "Data Warehouse",
    "Reporting Dashboard",
    "Mobile Backend",
    "Order Management",
    "Shipping Tracker",
    "Learning Portal",
    "Benefits Center",
    "Travel Booking",
    "Contract Manager",
    "Feature Flags",
    "Analytics Studio",
    "Field Service App",
    "Vendor Portal",
    "Time Tracking",
];

/// Environments, crossed with [`PRODUCTS`] for distinct labels.
const ENVIRONMENTS: &[&str] = &["", " Staging", " Dev", " (EU)", " (US)", " QA", " Sandbox"];

/// SAML and bookmark apps in the generated mix.
const SAML_PRODUCTS: &[(&str, &str)] = &[
    ("workday", "Workday"),
    ("zoomus", "Zoom"),
    ("slack", "Slack"),
    ("box", "Box"),
    ("servicenow_app2", "ServiceNow"),
    ("tableau_online", "Tableau Online"),
];

/// The fixed random seed of the demo data.
const SEED: u64 = 0x0c7a_5eed_2024;

/// Base creation time of the demo data: 2021-03-01T09:00:00Z as epoch seconds.
const BASE_EPOCH: i64 = 1_614_589_200;

/// Builds the demo org with `apps` apps in all (at least the well-known ones), its
/// certificates dated from today (UTC midnight).
pub fn demo_org(org: &str, apps: usize) -> OrgData {
    let now = time::OffsetDateTime::now_utc();
    demo_org_at(org, apps, now.replace_time(time::Time::MIDNIGHT))
}

/// Builds the demo org as on `today`: the same `today` always gives the same org.
pub fn demo_org_at(org: &str, apps: usize, today: time::OffsetDateTime) -> OrgData {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut out = well_known(&mut rng);
    let extra = apps.saturating_sub(out.len());
    for i in 0..extra {
        out.push(generated(&mut rng, i, out.len()));
    }
    // Keys come from their own random stream, so the apps and secrets stay as they were.
    let mut key_rng = StdRng::seed_from_u64(SEED ^ KEY_SEED);
    for a in out.iter_mut() {
        if a.app.token_endpoint_auth_method.as_deref() == Some("private_key_jwt") {
            a.jwks = demo_keys(&mut key_rng, &a.app);
        }
    }
    let mut log = history(&mut key_rng, &out);
    // Certificates come from a third stream, after the rest, so nothing above moves.
    let mut cert_rng = StdRng::seed_from_u64(SEED ^ CERT_SEED);
    let mut saml = 0;
    for a in out.iter_mut() {
        if a.app.sign_on_mode == "SAML_2_0" {
            a.keys = demo_certificates(&mut cert_rng, &a.app, saml, today);
            saml += 1;
        }
    }
    for a in &out {
        for k in &a.keys {
            let c = Credential::Key {
                kid: &k.kid,
                expires_at: &k.expires_at,
            };
            let mut e =
                syslog::credential_event(Action::Generate, &a.app, c, syslog::admin(), &k.created);
            e.uuid = syslog::uuid_with(&mut cert_rng);
            log.push(e);
        }
    }
    log.sort_by(|x, y| x.published.cmp(&y.published));
    let mut token_rng = StdRng::seed_from_u64(SEED ^ TOKEN_SEED);
    for a in out.iter_mut() {
        a.tokens = demo_tokens(&mut token_rng, &a.app, today);
    }
    let integrations = demo_integrations(&mut token_rng, today, &mut log);
    log.sort_by(|x, y| x.published.cmp(&y.published));
    OrgData {
        name: org.to_string(),
        apps: out,
        log,
        integrations,
    }
}

/// An integration of the demo seed: type, name, scopes, and its secrets (status, age in days).
type IntegrationSpec = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, i64)],
);

/// Three API service integrations with secrets dated from `today`: a SIEM export on one
/// secret 400 days old, an access-review sync rotated 20 days ago (the old secret INACTIVE),
/// and a device feed on a 30-day-old secret. Their creation events go into `log`.
fn demo_integrations(
    rng: &mut StdRng,
    today: time::OffsetDateTime,
    log: &mut Vec<LogEvent>,
) -> Vec<super::integrations::Instance> {
    let day = |d: i64| today.unix_timestamp() - d * 86_400 + 9 * 3600;
    let specs: [IntegrationSpec; 3] = [
        (
            "siem_log_export",
            "SIEM Log Export",
            &["okta.logs.read"],
            &[(ACTIVE, 400)],
        ),
        (
            "access_review_sync",
            "Access Review Sync",
            &["okta.users.read", "okta.groups.read", "okta.apps.read"],
            &[(INACTIVE, 200), (ACTIVE, 20)],
        ),
        (
            "device_posture_feed",
            "Device Posture Feed",
            &["okta.devices.read"],
            &[(ACTIVE, 30)],
        ),
    ];
    let mut out = Vec::new();
    for (kind, name, scopes, secrets) in specs {
        let created = day(secrets[0].1 + 1);
        let mut instance = super::integrations::Instance {
            id: model::new_id_with(rng, "0oa"),
            kind: kind.to_string(),
            name: name.to_string(),
            granted_scopes: scopes.iter().map(|s| s.to_string()).collect(),
            created_at: at(created),
            created_by: syslog::ADMIN_ID.to_string(),
            secrets: Vec::new(),
        };
        for (status, age) in secrets {
            let mut s = secret(rng, ACTIVE, day(*age), 40);
            if *status == INACTIVE {
                s.status = INACTIVE.to_string();
                s.last_updated = at(day(20) + 3600);
            }
            instance.secrets.push(s);
        }
        let app = super::integrations::as_app(&instance);
        let mut e = syslog::app_event(Action::Create, &app, syslog::admin(), &instance.created_at);
        e.uuid = syslog::uuid_with(rng);
        log.push(e);
        for s in &instance.secrets {
            let c = || Credential::Secret {
                id: &s.id,
                hash: &s.secret_hash,
            };
            let mut e =
                syslog::credential_event(Action::Create, &app, c(), syslog::admin(), &s.created);
            e.uuid = syslog::uuid_with(rng);
            log.push(e);
            if s.status == INACTIVE {
                let mut e = syslog::credential_event(
                    Action::Deactivate,
                    &app,
                    c(),
                    syslog::admin(),
                    &s.last_updated,
                );
                e.uuid = syslog::uuid_with(rng);
                log.push(e);
            }
        }
        out.push(instance);
    }
    out
}

/// Mixed into [`SEED`] for the stream the demo JSON Web Keys are drawn from.
const KEY_SEED: u64 = 0x6a77_6b73;
/// Mixed into [`SEED`] for the stream the demo signing certificates are drawn from.
const CERT_SEED: u64 = 0x6365_7274;
/// Mixed into [`SEED`] for the stream the demo refresh tokens are drawn from.
const TOKEN_SEED: u64 = 0x746f_6b6e;

/// Refresh tokens of an app, oldest first, issued in the 80 days before `today`: web apps
/// (the authorization-code flow with refresh tokens) only; [`super::DEMO_APP_ONE_SECRET`]
/// has three and [`super::DEMO_APP_TWO_SECRETS`] two; about a third of the other active web
/// apps have one to four.
fn demo_tokens(
    rng: &mut StdRng,
    app: &App,
    today: time::OffsetDateTime,
) -> Vec<super::tokens::RefreshToken> {
    if app.application_type.as_deref() != Some("web") {
        return Vec::new();
    }
    let count = if app.id == super::DEMO_APP_ONE_SECRET {
        3
    } else if app.id == super::DEMO_APP_TWO_SECRETS {
        2
    } else if app.status == ACTIVE && rng.random_range(0..3) == 0 {
        rng.random_range(1..=4)
    } else {
        0
    };
    let mut issued: Vec<i64> = (0..count)
        .map(|_| today.unix_timestamp() - rng.random_range(3600..80 * 86_400))
        .collect();
    issued.sort_unstable();
    issued
        .into_iter()
        .map(|at| super::tokens::new_token(rng, at))
        .collect()
}

/// The signing certificates of the `i`-th SAML app, oldest first, dated from `today`. The
/// demo app [`super::DEMO_APP_SAML`] has two: one expired ten days ago, its successor expiring
/// in twenty days. Of the others, every fourth expires within 30 days, every fourth after
/// that has already expired, and the rest expire in two months to two years.
fn demo_certificates(
    rng: &mut StdRng,
    app: &App,
    i: usize,
    today: time::OffsetDateTime,
) -> Vec<super::keys::AppKey> {
    let day = time::Duration::days(1);
    // A certificate valid for `years` that expires `expires_in` days from today.
    let mut cert = |expires_in: i64, years: i64| {
        let expiry = today + day * expires_in as i32;
        let created = expiry
            .replace_year(expiry.year() - years as i32)
            .unwrap_or(expiry - day * (365 * years as i32));
        super::keys::new_key(
            rng,
            &app.label,
            created + time::Duration::seconds(1) + time::Duration::hours(9),
            years,
        )
    };
    if app.id == super::DEMO_APP_SAML {
        return vec![cert(-10, 2), cert(20, 2)];
    }
    let expires_in = match i % 4 {
        1 => 3 + (i as i64 * 7) % 27,
        2 => -(5 + (i as i64 * 11) % 300),
        _ => 60 + (i as i64 * 37) % 640,
    };
    vec![cert(expires_in, 2 + (i as i64) % 4)]
}

/// One to three signing keys for a `private_key_jwt` client, oldest first: the newest is
/// ACTIVE, older ones are often already INACTIVE (a rotation done) or still ACTIVE (one in
/// progress). The demo app [`super::DEMO_APP_PRIVATE_KEY_JWT`] always has two: one INACTIVE, one
/// ACTIVE. Dates run up to late 2026, so some keys are recent and some are years old.
fn demo_keys(rng: &mut StdRng, app: &App) -> Vec<Jwk> {
    let well_known = app.id == super::DEMO_APP_PRIVATE_KEY_JWT;
    let count = if well_known {
        2
    } else {
        rng.random_range(1..=3)
    };
    let created =
        time::OffsetDateTime::parse(&app.created, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .unwrap_or(BASE_EPOCH);
    let mut keys = Vec::with_capacity(count);
    let mut when = created + 3600;
    for i in 0..count {
        let mut n = [0u8; 256];
        rng.fill(&mut n[..]);
        n[0] |= 0x80;
        let mut kid = [0u8; 32];
        rng.fill(&mut kid[..]);
        let last = i + 1 == count;
        let status = if last || (!well_known && rng.random_range(0..2) == 0) {
            ACTIVE
        } else {
            INACTIVE
        };
        keys.push(Jwk {
            id: model::new_id_with(rng, "pks"),
            kid: Some(URL_SAFE_NO_PAD.encode(kid)),
            status: status.to_string(),
            kty: "RSA".to_string(),
            use_: "sig".to_string(),
            alg: Some("RS256".to_string()),
            e: Some("AQAB".to_string()),
            n: Some(URL_SAFE_NO_PAD.encode(n)),
            crv: None,
            x: None,
            y: None,
            created: at(when),
            last_updated: at(if status == INACTIVE {
                when + 86_400 * 30
            } else {
                when
            }),
        });
        when += 86_400 * rng.random_range(60..700);
    }
    keys
}

/// The System Log of the seeded credentials: each was created by the admin when it was, and
/// each INACTIVE one deactivated at its last update. Oldest first.
fn history(rng: &mut StdRng, apps: &[AppData]) -> Vec<LogEvent> {
    let mut log = Vec::new();
    let mut push = |action: Action, app: &App, c: Credential<'_>, at: &str| {
        let mut e = syslog::credential_event(action, app, c, syslog::admin(), at);
        e.uuid = syslog::uuid_with(rng);
        log.push(e);
    };
    for a in apps {
        for s in &a.secrets {
            let c = || Credential::Secret {
                id: &s.id,
                hash: &s.secret_hash,
            };
            push(Action::Create, &a.app, c(), &s.created);
            if s.status == INACTIVE {
                push(Action::Deactivate, &a.app, c(), &s.last_updated);
            }
        }
        for k in &a.jwks {
            let c = || Credential::Jwk {
                id: &k.id,
                kid: k.kid.as_deref(),
            };
            push(Action::Create, &a.app, c(), &k.created);
            if k.status == INACTIVE {
                push(Action::Deactivate, &a.app, c(), &k.last_updated);
            }
        }
    }
    log.sort_by(|x, y| x.published.cmp(&y.published));
    log
}

/// Epoch seconds → Okta's time format.
fn at(epoch: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    model::format_time(t)
}

struct Spec<'a> {
    id: String,
    name: &'a str,
    label: String,
    status: &'a str,
    mode: &'a str,
    method: Option<&'a str>,
    app_type: Option<&'a str>,
    created: i64,
}

fn app(spec: Spec<'_>, secrets: Vec<Secret>) -> AppData {
    AppData {
        app: App {
            id: spec.id,
            name: spec.name.to_string(),
            label: spec.label,
            status: spec.status.to_string(),
            sign_on_mode: spec.mode.to_string(),
            created: at(spec.created),
            last_updated: at(spec.created + 3600),
            token_endpoint_auth_method: spec.method.map(str::to_string),
            application_type: spec.app_type.map(str::to_string),
        },
        secrets,
        jwks: Vec::new(),
        keys: Vec::new(),
        tokens: Vec::new(),
    }
}

fn secret(rng: &mut StdRng, status: &str, created: i64, len: usize) -> Secret {
    let mut value = model::generate_secret_with(rng);
    while value.len() < len {
        value.push_str(&model::generate_secret_with(rng));
    }
    value.truncate(len.max(model::GENERATED_SECRET_LEN));
    let mut s = Secret {
        id: model::new_id_with(rng, "ocs"),
        status: status.to_string(),
        secret_hash: model::secret_hash(&value),
        client_secret: value,
        created: at(created),
        last_updated: at(created),
    };
    if status == INACTIVE {
        s.last_updated = at(created + 86_400 * 30);
    }
    s
}

fn oidc<'a>(id: &str, label: &str, method: &'a str, app_type: &'a str, day: i64) -> Spec<'a> {
    Spec {
        id: id.to_string(),
        name: "oidc_client",
        label: label.to_string(),
        status: ACTIVE,
        mode: "OPENID_CONNECT",
        method: Some(method),
        app_type: Some(app_type),
        created: BASE_EPOCH + day * 86_400,
    }
}

fn well_known(rng: &mut StdRng) -> Vec<AppData> {
    use super::{
        DEMO_APP_INACTIVE, DEMO_APP_JWT, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT,
        DEMO_APP_SAML, DEMO_APP_TWO_SECRETS,
    };
    let day = |d: i64| BASE_EPOCH + d * 86_400;
    let one = vec![secret(rng, ACTIVE, day(1), 40)];
    let two = vec![
        secret(rng, INACTIVE, day(2), 40),
        secret(rng, ACTIVE, day(200), 40),
    ];
    let jwt = vec![secret(rng, ACTIVE, day(3), 64)];
    let inactive = vec![secret(rng, ACTIVE, day(5), 40)];
    vec![
        app(
            oidc(
                DEMO_APP_ONE_SECRET,
                "Payroll Portal",
                "client_secret_basic",
                "web",
                1,
            ),
            one,
        ),
        app(
            oidc(
                DEMO_APP_TWO_SECRETS,
                "Grafana",
                "client_secret_post",
                "web",
                2,
            ),
            two,
        ),
        app(
            oidc(
                DEMO_APP_JWT,
                "Expense Tracker API",
                "client_secret_jwt",
                "service",
                3,
            ),
            jwt,
        ),
        app(
            oidc(
                DEMO_APP_PRIVATE_KEY_JWT,
                "Data Sync Service",
                "private_key_jwt",
                "service",
                4,
            ),
            Vec::new(),
        ),
        app(
            Spec {
                status: INACTIVE,
                ..oidc(
                    DEMO_APP_INACTIVE,
                    "Legacy Timesheets",
                    "client_secret_basic",
                    "web",
                    5,
                )
            },
            inactive,
        ),
        app(
            Spec {
                id: DEMO_APP_SAML.to_string(),
                name: "salesforce",
                label: "Salesforce".to_string(),
                status: ACTIVE,
                mode: "SAML_2_0",
                method: None,
                app_type: None,
                created: day(6),
            },
            Vec::new(),
        ),
    ]
}

/// The `i`-th generated app (`n` apps exist before it).
fn generated(rng: &mut StdRng, i: usize, n: usize) -> AppData {
    let created = BASE_EPOCH + 7 * 86_400 + n as i64 * 21_600 + rng.random_range(0..3600);
    let id = model::new_id_with(rng, "0oa");
    let combos = PRODUCTS.len() * ENVIRONMENTS.len();
    let round = i / combos;
    let product = PRODUCTS[i % PRODUCTS.len()];
    let env = ENVIRONMENTS[(i / PRODUCTS.len()) % ENVIRONMENTS.len()];
    let mut label = format!("{product}{env}");
    if round > 0 {
        label.push_str(&format!(" {}", round + 1));
    }
    let status = if rng.random_range(0..100) < 8 {
        INACTIVE
    } else {
        ACTIVE
    };
    let roll = rng.random_range(0..100);
    if roll < 5 {
        let (name, saml_label) = SAML_PRODUCTS[i % SAML_PRODUCTS.len()];
        let mut label = saml_label.to_string();
        if i >= SAML_PRODUCTS.len() {
            label.push_str(&format!(" {}", i / SAML_PRODUCTS.len() + 1));
        }
        let spec = Spec {
            id,
            name,
            label,
            status,
            mode: "SAML_2_0",
            method: None,
            app_type: None,
            created,
        };
        return app(spec, Vec::new());
    }
    let (method, app_type) = match roll {
        5..=9 => ("private_key_jwt", "service"),
        10..=14 => ("client_secret_jwt", "service"),
        15..=34 => ("client_secret_post", "web"),
        _ => ("client_secret_basic", "web"),
    };
    let spec = Spec {
        id,
        name: "oidc_client",
        label,
        status,
        mode: "OPENID_CONNECT",
        method: Some(method),
        app_type: Some(app_type),
        created,
    };
    if method == "private_key_jwt" {
        return app(spec, Vec::new());
    }
    let len = if method == "client_secret_jwt" {
        64
    } else {
        40
    };
    let mut secrets = vec![secret(rng, ACTIVE, created + 600, len)];
    if rng.random_range(0..100) < 40 {
        // A rotation in progress: the new secret is ACTIVE; the old one is often already INACTIVE.
        let rotated = created + 86_400 * rng.random_range(30..400);
        if rng.random_range(0..2) == 0 {
            secrets[0].status = INACTIVE.to_string();
            secrets[0].last_updated = at(rotated + 3600);
        }
        secrets.push(secret(rng, ACTIVE, rotated, len));
    }
    app(spec, secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_deterministic_and_realistic() {
        let a = demo_org("my-org", 260);
        let b = demo_org("my-org", 260);
        assert_eq!(a, b);
        assert_eq!(a.apps.len(), 260);
        let mut ids: Vec<&str> = a.apps.iter().map(|x| x.app.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 260, "app ids are unique");
        for x in &a.apps {
            assert!(
                x.app.id.starts_with("0oa") && x.app.id.len() == 20,
                "{}",
                x.app.id
            );
            assert!(x.secrets.len() <= 2);
            let active = x.secrets.iter().filter(|s| s.status == ACTIVE).count();
            if !x.secrets.is_empty() {
                assert!(active >= 1, "{} keeps an active secret", x.app.label);
            }
        }
        let oidc = a
            .apps
            .iter()
            .filter(|x| x.app.token_endpoint_auth_method.is_some())
            .count();
        assert!(oidc > 200);
        let two = a.apps.iter().filter(|x| x.secrets.len() == 2).count();
        assert!(two > 30);
        let pk: Vec<_> = a
            .apps
            .iter()
            .filter(|x| x.app.token_endpoint_auth_method.as_deref() == Some("private_key_jwt"))
            .collect();
        assert!(pk.len() > 5);
        for x in &pk {
            assert!((1..=3).contains(&x.jwks.len()), "{}", x.app.label);
            super::super::jwks::validate_keys(&x.app, &x.jwks).unwrap();
        }
        assert!(pk.iter().any(|x| x.jwks.len() == 3) && pk.iter().any(|x| x.jwks.len() == 1));
        assert!(a
            .apps
            .iter()
            .all(|x| x.jwks.is_empty() || pk.iter().any(|p| p.app.id == x.app.id)));
    }
}
