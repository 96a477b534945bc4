//! `EXPLAIN query`: a one-line plan whose cost a planner can compare. PostgreSQL's
//! `postgres_fdw` asks for it (with `use_remote_estimate`) to choose between reading a whole
//! foreign table and one request per joined row. The cost counts the HTTP requests the plan
//! sends; a query that cannot be planned (a required parameter left unbound) costs as much
//! as can be, so the asking planner binds the parameter from a join instead.

use crate::plan::{Plan, Requests};

/// The query of an `EXPLAIN [VERBOSE] query` statement.
pub(crate) fn query(sql: &str) -> Option<&str> {
    let sql = sql.trim();
    if sql.len() < 8 || !sql[..8].eq_ignore_ascii_case("EXPLAIN ") {
        return None;
    }
    let mut rest = sql[8..].trim_start();
    if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case("VERBOSE ") {
        rest = rest[8..].trim_start();
    }
    Some(rest)
}

/// `sql` with postgres_fdw's placeholders for values it does not know yet
/// (`((SELECT null::text)::text)`) replaced by stand-in literals of their type.
pub(crate) fn stand_ins(sql: &str) -> String {
    const OPEN: &str = "((SELECT null::";
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        // `type)::type)`: the end is the second `)`.
        let Some(close) = after
            .find(")::")
            .and_then(|p| after[p + 3..].find(')').map(|q| p + 3 + q + 1))
        else {
            out.push_str(&rest[at..]);
            return out;
        };
        let ty = after[..after.find(')').unwrap_or(0)].to_ascii_lowercase();
        out.push_str(
            if ty.starts_with("int") || ty.starts_with("numeric") || ty.starts_with("double") {
                "1"
            } else if ty.starts_with("bool") {
                "TRUE"
            } else {
                "'x'"
            },
        );
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}

/// The plan line for a query that plans to `plan` (`None`: it cannot be planned).
pub(crate) fn line(plan: Option<&Plan>) -> String {
    let requests = match plan {
        None => None,
        Some(Plan::Static(_)) => Some(0),
        Some(Plan::Mutation(m)) => Some(m.requests.len()),
        Some(Plan::Query(q)) => Some(
            q.tables
                .iter()
                .map(|t| match &t.requests {
                    Requests::Ready(r) => r.len(),
                    // Known only once other tables are read: assume a fan-out.
                    Requests::Deferred(_) => 10,
                })
                .sum(),
        ),
    };
    let (cost, rows) = match requests {
        Some(n) => (100.0 * n as f64, 10 * n.max(1)),
        None => (1.0e9, 1_000_000),
    };
    format!("Foreign Scan on okta  (cost=0.00..{cost:.2} rows={rows} width=64)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdw_placeholders_become_stand_ins() {
        assert_eq!(
            stand_ins("WHERE ((\"appId\" = ((SELECT null::text)::text))) AND n = ((SELECT null::integer)::integer)"),
            "WHERE ((\"appId\" = 'x')) AND n = 1"
        );
        assert_eq!(query("EXPLAIN SELECT 1"), Some("SELECT 1"));
        assert_eq!(query("EXPLAIN VERBOSE SELECT 1"), Some("SELECT 1"));
        assert_eq!(query("SELECT 1"), None);
        assert!(line(None).contains("rows=1000000"));
    }
}
