//! Binding: WHERE conjuncts and arguments to method parameters, choosing the method, and
//! building the HTTP requests (one per combination of bound values).

use serde_json::Value;
use sqlparser::ast::{BinaryOperator, Expr, InTarget, UnaryOperator, Value as SqlValue};

use crate::provider::{Column, Method, ParamLocation, Resource, Service, SqlVerb};
use crate::sql::number_value;

use super::url::{encode_segment, server_base};
use super::{HttpRequest, PlanError, TableColumn};

/// Most requests one statement may fan out to.
pub const MAX_FANOUT: usize = 10_000;

/// Prefix of the column that holds a parameter's value when the response has a column of
/// the parameter's own name (`param__id` beside the groups' `id` in `okta.users.user_groups`).
pub const PARAM_PREFIX: &str = "param__";

/// The column holding, as one JSON object, the fields of a response row that its schema does
/// not declare (NULL when there are none); `SELECT *` leaves it out.
pub const EXTRA_COLUMN: &str = "_extra";

/// The response columns of a method's table: for a method `SELECT` reaches, the columns of
/// every select method of the resource (one table per resource); otherwise its own.
pub fn response_columns<'r>(resource: &'r Resource, method: &'r Method) -> Vec<&'r Column> {
    if resource.verb_of(&method.name) == SqlVerb::Select {
        resource.select_columns()
    } else {
        method.columns.iter().collect()
    }
}

/// The table column that holds the value bound to `param`: the parameter's own name, or
/// [`PARAM_PREFIX`] + name when a response column has that name (case-insensitively, as SQLite
/// compares names).
pub fn param_column(response: &[&Column], param: &str) -> String {
    if response.iter().any(|c| c.name.eq_ignore_ascii_case(param)) {
        format!("{PARAM_PREFIX}{param}")
    } else {
        param.to_string()
    }
}

/// Values bound to one parameter (several for an `IN` list).
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Parameter name as written in the provider.
    pub param: String,
    /// The values; a fan-out when more than one.
    pub values: Vec<Value>,
}

/// Splits an expression into its top-level `AND` conjuncts (parentheses removed).
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                walk(left, out);
                walk(right, out);
            }
            Expr::Nested(inner) => match inner.as_ref() {
                Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                } => walk(inner, out),
                _ => out.push(e),
            },
            _ => out.push(e),
        }
    }
    walk(expr, &mut out);
    out
}

/// The JSON value of a literal expression (`'x'`, `42`, `-1.5`, `true`, `null`).
pub fn literal(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Value(v) => match &v.value {
            SqlValue::SingleQuotedString(s)
            | SqlValue::DoubleQuotedString(s)
            | SqlValue::EscapedStringLiteral(s)
            | SqlValue::TripleSingleQuotedString(s) => Some(Value::String(s.clone())),
            SqlValue::Number(n, _) => number_value(n),
            SqlValue::Boolean(b) => Some(Value::Bool(*b)),
            SqlValue::Null => Some(Value::Null),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            // The digits as written: a number kept as text (too many digits) negates too.
            Expr::Value(v) => match &v.value {
                SqlValue::Number(n, _) => number_value(&format!("-{n}")),
                _ => None,
            },
            inner => match literal(inner)? {
                Value::Number(n) => number_value(&format!("-{n}")),
                _ => None,
            },
        },
        Expr::Nested(e) => literal(e),
        _ => None,
    }
}

/// A column reference: optional qualifier (table alias) and column name.
pub type ColumnRef<'a> = (Option<&'a str>, &'a str);

/// A column reference: optional qualifier and name.
pub fn column_ref(expr: &Expr) -> Option<ColumnRef<'_>> {
    match expr {
        Expr::Identifier(i) => Some((None, i.value.as_str())),
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            Some((Some(parts[0].value.as_str()), parts[1].value.as_str()))
        }
        Expr::Nested(e) => column_ref(e),
        _ => None,
    }
}

/// A conjunct of the form `col = literal`, `literal = col` or `col IN (literal, …)`:
/// the column reference and its values.
pub fn equality(expr: &Expr) -> Option<(ColumnRef<'_>, Vec<Value>)> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            if let (Some(c), Some(v)) = (column_ref(left), literal(right)) {
                return Some((c, vec![v]));
            }
            if let (Some(c), Some(v)) = (column_ref(right), literal(left)) {
                return Some((c, vec![v]));
            }
            None
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated: false,
            global: false,
        } => {
            let c = column_ref(expr)?;
            let values: Option<Vec<Value>> = list.iter().map(literal).collect();
            let mut values = values?;
            dedup(&mut values);
            Some((c, values))
        }
        Expr::Nested(e) => equality(e),
        _ => None,
    }
}

/// Removes repeated values, keeping first occurrences in order.
pub fn dedup(values: &mut Vec<Value>) {
    let mut seen: Vec<Value> = Vec::with_capacity(values.len());
    values.retain(|v| {
        if seen.contains(v) {
            false
        } else {
            seen.push(v.clone());
            true
        }
    });
}

/// The string a bound value is sent as.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Every parameter name any method of `verb` accepts (provider spelling, first wins).
pub fn verb_params(resource: &Resource, verb: SqlVerb) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in resource.methods_for(verb) {
        for p in &m.params {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&p.name)) {
                out.push(p.name.clone());
            }
        }
    }
    out
}

/// Binds `subdomain` to the default org when the statement binds none and the resource's
/// methods take one (a configured default org, or the only configured org).
pub fn default_subdomain(bindings: &mut Vec<Binding>, resource: &Resource, default: Option<&str>) {
    let Some(org) = default else { return };
    let takes = resource.methods.iter().any(|m| {
        m.params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case("subdomain"))
    });
    if takes
        && !bindings
            .iter()
            .any(|b| b.param.eq_ignore_ascii_case("subdomain"))
    {
        bindings.push(Binding {
            param: "subdomain".to_string(),
            values: vec![Value::String(org.to_string())],
        });
    }
}

/// Chooses the most specific method of `verb` whose required parameters are all bound, or
/// explains which parameters are missing.
pub fn choose_method<'r>(
    resource: &'r Resource,
    verb: SqlVerb,
    bound: &[String],
) -> Result<&'r Method, PlanError> {
    let candidates = resource.methods_for(verb);
    if candidates.is_empty() {
        let supported: Vec<&str> = [
            SqlVerb::Select,
            SqlVerb::Insert,
            SqlVerb::Delete,
            SqlVerb::Update,
            SqlVerb::Replace,
        ]
        .into_iter()
        .filter(|v| !resource.methods_for(*v).is_empty())
        .map(SqlVerb::as_str)
        .collect();
        return Err(PlanError::UnsupportedVerb {
            resource: resource.id.clone(),
            verb: verb.as_str().to_uppercase(),
            supported: if supported.is_empty() {
                "only EXEC".to_string()
            } else {
                supported.join(", ").to_uppercase() + " and EXEC"
            },
        });
    }
    let is_bound = |name: &str| bound.iter().any(|b| b.eq_ignore_ascii_case(name));
    let best = candidates
        .iter()
        .filter(|m| m.required_params().all(|p| is_bound(&p.name)))
        .max_by_key(|m| m.required_params().count());
    if let Some(m) = best {
        // Among equally specific methods, the first listed wins.
        let n = m.required_params().count();
        return Ok(candidates
            .iter()
            .find(|c| {
                c.required_params().count() == n && c.required_params().all(|p| is_bound(&p.name))
            })
            .copied()
            .unwrap_or(m));
    }
    let closest = candidates
        .iter()
        .min_by_key(|m| m.required_params().filter(|p| !is_bound(&p.name)).count())
        .copied()
        .expect("candidates is not empty");
    Err(missing_error(resource, verb.as_str(), closest, &is_bound))
}

/// The error naming the unbound required parameters of `method`.
pub fn missing_error(
    resource: &Resource,
    verb: &str,
    method: &Method,
    is_bound: &dyn Fn(&str) -> bool,
) -> PlanError {
    let missing: Vec<&str> = method
        .required_params()
        .filter(|p| !is_bound(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    let needed: Vec<&str> = method.required_params().map(|p| p.name.as_str()).collect();
    PlanError::MissingParam {
        resource: resource.id.clone(),
        missing: missing.join(", "),
        verb: verb.to_string(),
        needed: needed.join(", "),
    }
}

/// Settings that shape every request.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// `--server-url` template replacing the provider's.
    pub server_url: Option<&'a str>,
    /// Query parameters added to every request (conditions pushed down to the API).
    pub extra_query: &'a [(String, String)],
    /// Configured orgs as `(name, base URL)`.
    pub orgs: &'a [(String, String)],
}

/// Builds one request per combination of bound values (cartesian product, in order).
pub fn build_requests(
    service: &Service,
    resource: &Resource,
    method: &Method,
    bindings: &[Binding],
    body: Option<Value>,
    target: Target<'_>,
) -> Result<Vec<HttpRequest>, PlanError> {
    let template = service
        .servers
        .first()
        .map(|s| s.url.as_str())
        .ok_or_else(|| {
            PlanError::Invalid(format!(
                "the provider document of {} declares no server URL",
                resource.id
            ))
        })?;
    let response = response_columns(resource, method);
    // Only parameters the method knows, in the method's declaration order.
    let mut used: Vec<(&crate::provider::Param, &Binding)> = Vec::new();
    for p in &method.params {
        if let Some(b) = bindings
            .iter()
            .find(|b| b.param.eq_ignore_ascii_case(&p.name))
        {
            used.push((p, b));
        }
    }
    let total = used
        .iter()
        .try_fold(1usize, |acc, (_, b)| acc.checked_mul(b.values.len().max(1)))
        .unwrap_or(usize::MAX);
    if total > MAX_FANOUT {
        return Err(PlanError::TooManyRequests {
            total,
            limit: MAX_FANOUT,
        });
    }
    if used.iter().any(|(_, b)| b.values.is_empty()) {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0usize; used.len()];
    loop {
        let mut subdomain: Option<String> = None;
        let mut path = method.path.clone();
        let mut query = Vec::new();
        let mut bound = Vec::new();
        for (i, (p, b)) in used.iter().enumerate() {
            let v = &b.values[index[i]];
            let text = value_text(v);
            match p.location {
                ParamLocation::Server => {
                    if p.name.eq_ignore_ascii_case("subdomain") {
                        subdomain = Some(text.clone());
                    }
                }
                ParamLocation::Path => {
                    let placeholder = format!("{{{}}}", p.name);
                    path = path.replace(&placeholder, &encode_segment(&p.name, &text)?);
                }
                ParamLocation::Query => query.push((p.name.clone(), text.clone())),
                ParamLocation::Header => {}
            }
            bound.push((param_column(&response, &p.name), v.clone()));
        }
        for (k, v) in target.extra_query {
            if !query.iter().any(|(q, _)| q.eq_ignore_ascii_case(k)) {
                query.push((k.clone(), v.clone()));
            }
        }
        // A list that is followed to its last page gives the same rows whatever the page
        // size: ask for the largest page the API allows, to make the fewest round trips.
        let paginate = method.http_method == "GET"
            && method.response_shape == crate::provider::ResponseShape::Array;
        if paginate {
            if let Some(p) = method.params.iter().find(|p| {
                p.location == ParamLocation::Query
                    && p.name.eq_ignore_ascii_case("limit")
                    && p.maximum.is_some_and(|m| m > 0)
            }) {
                if !query.iter().any(|(k, _)| k.eq_ignore_ascii_case(&p.name)) {
                    query.push((p.name.clone(), p.maximum.unwrap_or_default().to_string()));
                }
            }
        }
        let subdomain = subdomain.ok_or_else(|| {
            PlanError::Invalid(format!("{}: subdomain is not bound", resource.id))
        })?;
        let base = server_base(template, target.server_url, target.orgs, &subdomain)?;
        out.push(HttpRequest {
            resource: resource.id.clone(),
            method: method.name.clone(),
            http_method: method.http_method.clone(),
            url: format!("{base}{path}"),
            query,
            body: body.clone(),
            paginate,
            response_shape: method.response_shape,
            bound,
        });
        // Advance the odometer (last binding fastest).
        let mut i = used.len();
        loop {
            if i == 0 {
                return Ok(out);
            }
            i -= 1;
            index[i] += 1;
            if index[i] < used[i].1.values.len() {
                break;
            }
            index[i] = 0;
        }
    }
}

/// The columns of a fetched table: the response columns of `method` (see
/// [`response_columns`]), then each parameter of the method under its column name (see
/// [`param_column`]), then [`EXTRA_COLUMN`] unless the response declares a field of that name.
pub fn table_columns(resource: &Resource, method: &Method) -> Vec<TableColumn> {
    let response = response_columns(resource, method);
    let mut cols: Vec<TableColumn> = response
        .iter()
        .map(|c| TableColumn {
            name: c.name.clone(),
            ty: c.ty.clone(),
            format: c.format.clone(),
        })
        .collect();
    for p in &method.params {
        let name = param_column(&response, &p.name);
        if !cols.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            cols.push(TableColumn {
                name,
                ty: p.ty.clone(),
                format: None,
            });
        }
    }
    if !cols
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(EXTRA_COLUMN))
    {
        cols.push(TableColumn {
            name: EXTRA_COLUMN.to_string(),
            ty: "object".to_string(),
            format: None,
        });
    }
    cols
}
