//! Errors of the plan stage.

use thiserror::Error;

use crate::provider::ProviderError;

/// Why a statement could not be planned. Nothing is sent when planning fails.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The provider, service, resource or method does not exist.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A required parameter is not bound.
    #[error("{resource}: missing required parameter {missing} ({verb} needs {needed})")]
    MissingParam {
        /// Resource id.
        resource: String,
        /// The missing parameter(s), comma separated.
        missing: String,
        /// The verb (or method name for EXEC).
        verb: String,
        /// Every required parameter, comma separated.
        needed: String,
    },
    /// A value cannot be sent as written: an empty or dot-segment id, a subdomain that is
    /// not a host name (the message names the value and the fix).
    #[error("{message}")]
    BadValue {
        /// The value as written (what an error position points at).
        value: String,
        /// What is wrong and the fix.
        message: String,
    },
    /// EXEC names a method the resource does not have.
    #[error("{resource} has no method {method}{}; its methods are {}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default(),
        methods.join(", "))]
    UnknownMethod {
        /// Resource id.
        resource: String,
        /// The method as written.
        method: String,
        /// The nearest method name, if one is close.
        suggestion: Option<String>,
        /// Every method of the resource.
        methods: Vec<String>,
    },
    /// The resource has no method for the statement's verb.
    #[error("{resource} does not support {verb}; it supports {supported} (see SHOW METHODS IN {resource})")]
    UnsupportedVerb {
        /// Resource id.
        resource: String,
        /// The verb, upper case.
        verb: String,
        /// What it supports instead (`SELECT, DELETE and EXEC`, or `only EXEC`).
        supported: String,
    },
    /// The `IN` lists multiply to more requests than one statement may send.
    #[error("this statement would send {total} requests (more than {limit}): narrow the IN lists")]
    TooManyRequests {
        /// Requests the statement would send.
        total: usize,
        /// The limit ([`super::bind::MAX_FANOUT`]).
        limit: usize,
    },
    /// Tables whose parameters are bound from each other's rows.
    #[error("the parameters of {} depend on each other in a cycle: bind one of them with a literal", tables.join(", "))]
    DependencyCycle {
        /// The tables, as loaded (`okta_apps_secrets`).
        tables: Vec<String>,
    },
    /// Anything else, with the fix in the message.
    #[error("{0}")]
    Invalid(String),
    /// Like [`PlanError::Invalid`], about one name or value the statement writes (a column
    /// that is not a parameter, a value a field does not allow): error positions point at it.
    #[error("{message}")]
    At {
        /// The name or value the message is about.
        at: crate::sql::Needle,
        /// What is wrong, with the fix.
        message: String,
    },
}

/// Why the calls of a table bound from other tables' rows could not be built once those
/// rows were known (see [`super::Deferred::requests`]). Nothing of that table is sent.
#[derive(Debug, Error)]
pub enum DeferredError {
    /// The rows give more parameter combinations than one statement may send.
    #[error("{resource} would need more than {limit} requests: narrow the query that supplies its parameters")]
    TooManyRequests {
        /// Resource id.
        resource: String,
        /// The limit ([`super::bind::MAX_FANOUT`]).
        limit: usize,
    },
    /// A value from the rows cannot be sent (a path segment such as `..`, a subdomain that
    /// is not a host name).
    #[error(transparent)]
    Value(PlanError),
}

#[cfg(test)]
mod tests {
    use super::PlanError;
    use crate::plan::{plan, PlanContext};
    use crate::provider::Registry;
    use crate::sql::{self, Source};

    fn plan_error(text: &str) -> PlanError {
        let registry = Registry::embedded();
        let ctx = PlanContext {
            registry: &registry,
            server_url: None,
            orgs: &[],
            default_org: None,
        };
        let statement = sql::parse(&Source {
            text: text.into(),
            line: 1,
            column: 1,
        })
        .unwrap();
        plan(&statement, &ctx).unwrap_err()
    }

    #[test]
    fn callers_can_tell_the_cases_apart() {
        let e = plan_error("EXEC okta.apps.secrets.activate_secret @subdomain='a'");
        assert!(
            matches!(&e, PlanError::UnknownMethod { suggestion: Some(s), .. }
                if s == "activate_oauth2_client_secret"),
            "{e:?}"
        );
        let e = plan_error("SELECT id FROM okta.apps.secrets WHERE subdomain='a' AND appId='..'");
        assert!(matches!(e, PlanError::BadValue { .. }), "{e:?}");
        let e = plan_error(
            "SELECT 1 FROM okta.apps.secrets s JOIN okta.apps.secrets t ON s.appId = t.appId \
             AND t.appId = s.appId WHERE s.subdomain = 'x' AND t.subdomain = 'x'",
        );
        assert!(
            matches!(&e, PlanError::DependencyCycle { tables } if tables.len() == 2),
            "{e:?}"
        );
        let list: Vec<String> = (0..101).map(|i| format!("'a{i}'")).collect();
        let e = plan_error(&format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain IN ({0}) AND appId IN ({0})",
            list.join(", ")
        ));
        assert!(
            matches!(e, PlanError::TooManyRequests { total: 10201, .. }),
            "{e:?}"
        );
        let e = plan_error("SELECT id FROM okta.apps.secrets WHERE appId='x'");
        assert!(matches!(e, PlanError::MissingParam { .. }), "{e:?}");
    }
}
