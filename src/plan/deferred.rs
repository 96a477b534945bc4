//! Requests that wait for other tables' rows: a table whose parameters are bound by a join
//! or `IN (SELECT …)` is planned with everything resolved (resource, method, literal
//! bindings, server) except those values, which execution supplies from the rows it has
//! loaded. Building the calls from them is still planning, so it lives here.

use serde_json::Value;

use crate::rows::Rows;

use super::bind::{build_requests, Binding, Target, MAX_FANOUT};
use super::resolve::Resolved;
use super::{DeferredError, Dependency, HttpRequest};

/// The requests of a table bound from other tables' rows (see [`super::Requests`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    /// Where the parameters not bound to literals come from, in the order they combine.
    pub depends: Vec<Dependency>,
    /// Parameters bound to literals.
    pub bindings: Vec<Binding>,
    /// The resource, resolved when the statement was planned.
    pub(super) resolved: Resolved,
    /// Index of the chosen method in the resource's methods.
    pub(super) method: usize,
    /// `--server-url` template replacing the provider's, when given.
    pub(super) server_url: Option<String>,
    /// Query parameters pushed down to the API.
    pub(super) pushed: Vec<(String, String)>,
    /// Configured orgs as `(name, base URL)`.
    pub(super) orgs: Vec<(String, String)>,
}

impl Deferred {
    /// Builds the calls: the literal bindings combined with each row of each dependency's
    /// SQL, run by `rows_of` in order (rows with a null value are skipped: nothing to ask
    /// for). More than [`MAX_FANOUT`] combinations is an error before any call is built.
    pub fn requests<E: From<DeferredError>>(
        &self,
        mut rows_of: impl FnMut(&str) -> Result<Rows, E>,
    ) -> Result<Vec<HttpRequest>, E> {
        let resource = self.resolved.resource();
        let mut combos: Vec<Vec<Binding>> = vec![self.bindings.clone()];
        for d in &self.depends {
            let rows = rows_of(&d.sql)?;
            let mut next = Vec::new();
            for base in &combos {
                for row in &rows.rows {
                    if row.iter().any(Value::is_null) {
                        continue;
                    }
                    let mut b = base.clone();
                    for (param, value) in d.params.iter().zip(row) {
                        b.retain(|x| &x.param != param);
                        b.push(Binding {
                            param: param.clone(),
                            values: vec![value.clone()],
                        });
                    }
                    next.push(b);
                }
            }
            combos = next;
            if combos.len() > MAX_FANOUT {
                return Err(DeferredError::TooManyRequests {
                    resource: resource.id.clone(),
                    limit: MAX_FANOUT,
                }
                .into());
            }
        }
        let method = &resource.methods[self.method];
        let target = Target {
            server_url: self.server_url.as_deref(),
            extra_query: &self.pushed,
            orgs: &self.orgs,
        };
        let mut requests = Vec::new();
        for bindings in combos {
            let built = build_requests(
                &self.resolved.service,
                resource,
                method,
                &bindings,
                None,
                target,
            )
            .map_err(DeferredError::Value)?;
            requests.extend(built);
        }
        Ok(requests)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{plan, Plan, PlanContext, Requests};
    use crate::provider::Registry;
    use crate::sql::{self, Source};

    /// The deferred requests of the second table of a join.
    fn deferred(text: &str) -> Deferred {
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
        let Plan::Query(q) = plan(&statement, &ctx).unwrap() else {
            panic!("not a query");
        };
        match &q.tables[1].requests {
            Requests::Deferred(d) => (**d).clone(),
            Requests::Ready(r) => panic!("ready: {r:?}"),
        }
    }

    const JOIN: &str = "SELECT s.id FROM okta.apps.applications a JOIN okta.apps.secrets s \
                        ON s.appId = a.id WHERE a.subdomain = 'acme' AND s.subdomain = 'acme'";

    fn rows(values: &[Value]) -> Rows {
        Rows {
            columns: vec!["id".into()],
            rows: values.iter().map(|v| vec![v.clone()]).collect(),
        }
    }

    #[test]
    fn one_call_per_row_of_the_dependency_skipping_nulls() {
        let d = deferred(JOIN);
        let mut asked = Vec::new();
        let requests = d
            .requests(|sql| {
                asked.push(sql.to_string());
                Ok::<_, DeferredError>(rows(&[json!("0oa1"), Value::Null, json!("0oa/2")]))
            })
            .unwrap();
        assert_eq!(asked, [d.depends[0].sql.clone()]);
        let urls: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://acme.okta.com/api/v1/apps/0oa1/credentials/secrets",
                "https://acme.okta.com/api/v1/apps/0oa%2F2/credentials/secrets",
            ]
        );
        assert_eq!(requests[0].bound[1], ("appId".to_string(), json!("0oa1")));
    }

    #[test]
    fn too_many_rows_is_an_error_naming_the_resource() {
        let d = deferred(JOIN);
        let many: Vec<Value> = (0..=MAX_FANOUT).map(|i| json!(format!("0oa{i}"))).collect();
        let err = d.requests(|_| Ok(rows(&many))).unwrap_err();
        assert!(matches!(
            &err,
            DeferredError::TooManyRequests { resource, limit }
                if resource == "okta.apps.secrets" && *limit == MAX_FANOUT
        ));
    }

    #[test]
    fn a_value_that_cannot_be_a_path_segment_is_refused() {
        let d = deferred(JOIN);
        let err = d.requests(|_| Ok(rows(&[json!("..")]))).unwrap_err();
        assert!(matches!(err, DeferredError::Value(_)), "{err}");
    }
}
