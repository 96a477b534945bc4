//! Planning against the embedded provider: any statement text plans or gives an error, never
//! a panic, through both `plan::plan` and `Engine::plan_source` (which also checks the
//! residual SQL in SQLite). A planned request never leaves the server it was planned for.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oktaql::plan::{self, Plan, PlanContext};
use oktaql::provider::Registry;
use oktaql::{sql, Engine, EngineConfig};

const SERVER: &str = "http://127.0.0.1:9/{subdomain}";

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = EngineConfig::new(Registry::embedded());
        config.server_url = Some(SERVER.to_string());
        Engine::new(config).expect("engine")
    })
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::embedded)
}

/// Every request URL of a plan starts with the server of its subdomain.
fn check_hosts(plan: &Plan, prefix: &str) {
    let urls: Vec<&str> = match plan {
        Plan::Query(q) => q
            .tables
            .iter()
            .flat_map(|t| t.requests.iter().map(|r| r.url.as_str()))
            .collect(),
        Plan::Mutation(m) => m.fetch.requests.iter().map(|r| r.url.as_str()).collect(),
        _ => Vec::new(),
    };
    for url in urls {
        assert!(url.starts_with(prefix), "{url} left {prefix}");
        let rest = &url[prefix.len()..];
        let org_end = rest.find('/').unwrap_or(rest.len());
        let org = &rest[..org_end];
        assert!(
            !org.is_empty()
                && org
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "subdomain segment {org:?} in {url}"
        );
        assert!(!url.contains('#'), "fragment in {url}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sources) = sql::split_checked(text) else {
        return;
    };
    let ctx = PlanContext {
        registry: registry(),
        server_url: Some(SERVER),
        orgs: &[],
        default_org: None,
    };
    for source in sources.iter().take(4) {
        if let Ok(statement) = sql::parse(source) {
            if let Ok(p) = plan::plan(&statement, &ctx) {
                check_hosts(&p, "http://127.0.0.1:9/");
                let _ = plan::plan_text(&p);
            }
            let direct = PlanContext {
                registry: registry(),
                server_url: None,
                orgs: &[],
                default_org: None,
            };
            if let Ok(p) = plan::plan(&statement, &direct) {
                check_hosts(&p, "https://");
            }
        }
        let _ = engine().plan_source(source);
    }
});
