//! A service document (OpenAPI 3 + `components.x-stackQL-resources`) turned into a
//! [`Service`]: resources, methods, parameters, request bodies and response columns.
//!
//! Owns: the rules that make a method callable — server variables first, then path-item
//! and operation parameters (the operation's win on the same name and location), path
//! parameters always required — and picking the success response a method's rows come
//! from. Must not: read files (see `load`), or panic on any input.

use serde_json::{Map, Value};

use super::document::{
    expect_object, kind_of, opt_string, parse_yaml, ref_of, scalar_string, text as text_of,
    unescape_token, Doc,
};
use super::schema::{columns, flatten};
use super::{
    Method, Param, ParamLocation, ProviderError, Pushdown, RequestBody, Resource, ResponseShape,
    Server, ServerVariable, Service, SqlVerbs,
};

/// The OAuth 2.0 scopes named by an operation's `security` requirements (every scheme's
/// list, in order, without repeats): `[{apiToken: []}, {oauth2: [okta.apps.read]}]` gives
/// `okta.apps.read`. Anything not of that shape names no scope.
fn security_scopes(security: Option<&serde_json::Value>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for requirement in security.and_then(|s| s.as_array()).into_iter().flatten() {
        for list in requirement.as_object().into_iter().flat_map(|o| o.values()) {
            for scope in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                if !scopes.iter().any(|s| s == scope) {
                    scopes.push(scope.to_string());
                }
            }
        }
    }
    scopes
}

/// The HTTP verbs an OpenAPI path item may hold.
const HTTP_VERBS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Parses one service document.
///
/// `provider` and `service` name it (they make resource ids such as `okta.apps.secrets`
/// when a resource has no `id`); `path_for_errors` is the file named in errors. Any input,
/// however malformed, gives `Ok` or a [`ProviderError::Invalid`], never a panic.
pub fn parse_service_document(
    provider: &str,
    service: &str,
    path_for_errors: &str,
    text: &str,
) -> Result<Service, ProviderError> {
    let root = parse_yaml(path_for_errors, text)?;
    let doc = Doc {
        root: &root,
        path: path_for_errors,
    };
    let top = expect_object(&doc, &root, "the document")?;
    let info = match top.get("info") {
        Some(info) => Some(expect_object(&doc, info, "info")?),
        None => None,
    };
    let servers = parse_servers(&doc, top.get("servers"))?;
    let resources_value = top
        .get("components")
        .and_then(|c| c.get("x-stackQL-resources"))
        .ok_or_else(|| {
            doc.invalid(
                "no components.x-stackQL-resources: a service document must map resources to \
                 methods there",
            )
        })?;
    let resources_map = expect_object(&doc, resources_value, "components.x-stackQL-resources")?;
    let mut resources = Vec::with_capacity(resources_map.len());
    for (name, value) in resources_map {
        resources.push(parse_resource(
            &doc, provider, service, &servers, name, value,
        )?);
    }
    Ok(Service {
        provider: provider.to_string(),
        name: service.to_string(),
        title: info.and_then(|i| text_of(i.get("title"))),
        description: info.and_then(|i| text_of(i.get("description"))),
        servers,
        resources,
    })
}

/// `servers:`, each a URL template with variables. Variables used in the template but not
/// declared are added without a default.
fn parse_servers(doc: &Doc<'_>, value: Option<&Value>) -> Result<Vec<Server>, ProviderError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let list = value
        .as_array()
        .ok_or_else(|| doc.invalid(format!("servers must be a list, found {}", kind_of(value))))?;
    let mut servers = Vec::with_capacity(list.len());
    for (i, server) in list.iter().enumerate() {
        let at = format!("servers[{i}]");
        let map = expect_object(doc, server, &at)?;
        let url = opt_string(doc, map, "url", &at)?
            .ok_or_else(|| doc.invalid(format!("{at} has no url; add `url: https://…`")))?;
        let mut variables = std::collections::BTreeMap::new();
        if let Some(vars) = map.get("variables") {
            for (name, var) in expect_object(doc, vars, &format!("{at}.variables"))? {
                let var_at = format!("{at}.variables.{name}");
                let var = expect_object(doc, var, &var_at)?;
                variables.insert(
                    name.clone(),
                    ServerVariable {
                        default: opt_string(doc, var, "default", &var_at)?,
                        description: text_of(var.get("description")),
                    },
                );
            }
        }
        for name in template_names(&url) {
            variables.entry(name.to_string()).or_insert(ServerVariable {
                default: None,
                description: None,
            });
        }
        servers.push(Server { url, variables });
    }
    Ok(servers)
}

/// The `{name}`s of a URL or path template, in order.
fn template_names(template: &str) -> impl Iterator<Item = &str> {
    template.split('{').skip(1).filter_map(|part| {
        let name = part.split_once('}')?.0;
        (!name.is_empty()).then_some(name)
    })
}

fn parse_resource(
    doc: &Doc<'_>,
    provider: &str,
    service: &str,
    servers: &[Server],
    key: &str,
    value: &Value,
) -> Result<Resource, ProviderError> {
    let at = format!("components.x-stackQL-resources.{key}");
    let map = expect_object(doc, value, &at)?;
    let name = opt_string(doc, map, "name", &at)?.unwrap_or_else(|| key.to_string());
    let id =
        opt_string(doc, map, "id", &at)?.unwrap_or_else(|| format!("{provider}.{service}.{name}"));
    let methods_value = map
        .get("methods")
        .ok_or_else(|| doc.invalid(format!("{at} has no methods; list them under {at}.methods")))?;
    let methods_map = expect_object(doc, methods_value, &format!("{at}.methods"))?;
    let mut methods = Vec::with_capacity(methods_map.len());
    for (method_name, method) in methods_map {
        let method_at = format!("{at}.methods.{method_name}");
        methods.push(parse_method(doc, servers, method_name, method, &method_at)?);
    }
    let sql_verbs = match map.get("sqlVerbs") {
        None | Some(Value::Null) => SqlVerbs::default(),
        Some(v) => parse_sql_verbs(doc, key, &methods, v, &format!("{at}.sqlVerbs"))?,
    };
    Ok(Resource {
        id,
        name,
        title: text_of(map.get("title")),
        methods,
        sql_verbs,
        select_memo: Default::default(),
    })
}

fn parse_sql_verbs(
    doc: &Doc<'_>,
    resource: &str,
    methods: &[Method],
    value: &Value,
    at: &str,
) -> Result<SqlVerbs, ProviderError> {
    let map = expect_object(doc, value, at)?;
    let mut verbs = SqlVerbs::default();
    for (verb, list) in map {
        let target = match verb.to_ascii_lowercase().as_str() {
            "select" => &mut verbs.select,
            "insert" => &mut verbs.insert,
            "update" => &mut verbs.update,
            "delete" => &mut verbs.delete,
            "replace" => &mut verbs.replace,
            // Other verbs (`exec`, future ones) need no list: every method can be EXECed.
            _ => continue,
        };
        let verb_at = format!("{at}.{verb}");
        let items = match list {
            Value::Null => continue,
            Value::Array(items) => items,
            other => {
                return Err(doc.invalid(format!(
                    "{verb_at} must be a list of method references, found {}",
                    kind_of(other)
                )))
            }
        };
        for (i, item) in items.iter().enumerate() {
            let reference = ref_of(item).or(item.as_str()).ok_or_else(|| {
                doc.invalid(format!(
                    "{verb_at}[{i}] must be `$ref: '#/components/x-stackQL-resources/{resource}/methods/<method>'`"
                ))
            })?;
            let method = reference.rsplit('/').next().unwrap_or(reference);
            let method = unescape_token(method);
            let Some(found) = methods
                .iter()
                .find(|m| m.name.eq_ignore_ascii_case(&method))
            else {
                return Err(doc.invalid(format!(
                    "{verb_at}[{i}]: '{reference}' names no method of resource '{resource}'; \
                     use one of: {}",
                    methods
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            target.push(found.name.clone());
        }
    }
    Ok(verbs)
}

fn parse_method(
    doc: &Doc<'_>,
    servers: &[Server],
    name: &str,
    value: &Value,
    at: &str,
) -> Result<Method, ProviderError> {
    let map = expect_object(doc, value, at)?;
    let operation_ref = map.get("operation").and_then(ref_of).ok_or_else(|| {
        doc.invalid(format!(
            "{at} has no operation.$ref; point it at an operation, e.g. \
                 `operation: {{$ref: '#/paths/~1api~1v1~1apps/get'}}`"
        ))
    })?;
    let (path, verb) = split_operation_ref(doc, operation_ref, at)?;
    let item_ref = operation_ref.rsplit_once('/').map_or("", |(p, _)| p);
    let path_item = doc.deref(doc.pointer(item_ref, at)?, at)?;
    let path_item = expect_object(doc, path_item, &format!("paths.{path}"))?;
    let operation = path_item.get(verb.as_str()).ok_or_else(|| {
        doc.invalid(format!(
            "{at}.operation.$ref '{operation_ref}' points to nothing: path '{path}' has no \
             '{verb}' operation"
        ))
    })?;
    let operation = expect_object(
        doc,
        doc.deref(operation, at)?,
        &format!("paths.{path}.{verb}"),
    )?;

    let params = method_params(doc, servers, &path, path_item, operation, at)?;
    let request_body = match operation.get("requestBody") {
        Some(body) => request_body(doc, body, &format!("paths.{path}.{verb}.requestBody"))?,
        None => None,
    };

    let response = match map.get("response") {
        Some(r) => Some(expect_object(doc, r, &format!("{at}.response"))?),
        None => None,
    };
    let response_key = match response {
        Some(r) => opt_string(doc, r, "openAPIDocKey", &format!("{at}.response"))?,
        None => None,
    };
    let media_type = match response {
        Some(r) => opt_string(doc, r, "mediaType", &format!("{at}.response"))?,
        None => None,
    };
    let object_key = match response {
        Some(r) => opt_string(doc, r, "objectKey", &format!("{at}.response"))?,
        None => None,
    }
    .filter(|k| !k.trim().is_empty() && k.trim() != "$");
    let responses = match operation.get("responses") {
        Some(r) => Some(expect_object(
            doc,
            r,
            &format!("paths.{path}.{verb}.responses"),
        )?),
        None => None,
    };
    let (status_key, response_value) = pick_response(responses, response_key.as_deref());
    let response_status = status_of(&status_key);
    let resp_at = format!("paths.{path}.{verb}.responses.{status_key}");
    let (response_shape, columns) = match response_value {
        Some(resp) => response_columns(
            doc,
            resp,
            media_type.as_deref(),
            object_key.as_deref(),
            &resp_at,
        )?,
        None => (ResponseShape::Empty, Vec::new()),
    };

    Ok(Method {
        name: name.to_string(),
        operation_id: text_of(operation.get("operationId")),
        scopes: security_scopes(operation.get("security")),
        http_method: verb.to_ascii_uppercase(),
        path,
        params,
        request_body,
        response_shape,
        response_status,
        columns,
        summary: text_of(operation.get("summary")),
        description: text_of(operation.get("description")),
        object_key,
        pushdown: pushdowns(doc, map, at)?,
    })
}

/// A method's `x-oktaql-pushdown` list.
fn pushdowns(
    doc: &Doc<'_>,
    method: &Map<String, Value>,
    at: &str,
) -> Result<Vec<Pushdown>, ProviderError> {
    let Some(list) = method.get("x-oktaql-pushdown") else {
        return Ok(Vec::new());
    };
    let at = format!("{at}.x-oktaql-pushdown");
    let items = list
        .as_array()
        .ok_or_else(|| doc.invalid(format!("{at} must be a list of {{column, param, value}}")))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}[{i}]");
        let map = expect_object(doc, item, &item_at)?;
        let field = |name: &str| -> Result<String, ProviderError> {
            opt_string(doc, map, name, &item_at)?
                .ok_or_else(|| doc.invalid(format!("{item_at} has no {name}")))
        };
        let value = field("value")?;
        if !value.contains("{value}") {
            return Err(doc.invalid(format!("{item_at}.value must contain {{value}}")));
        }
        let op = opt_string(doc, map, "op", &item_at)?.unwrap_or_else(|| "=".to_string());
        if !matches!(op.as_str(), "=" | ">=" | ">" | "<") {
            return Err(doc.invalid(format!("{item_at}.op is {op:?}; use =, >=, > or <")));
        }
        let values = match opt_string(doc, map, "values", &item_at)?.as_deref() {
            None | Some("enum") => super::PushValues::Enum,
            Some("text") => super::PushValues::Text,
            Some("timestamp") => super::PushValues::Timestamp,
            Some(other) => {
                return Err(doc.invalid(format!(
                    "{item_at}.values is {other:?}; use enum, text or timestamp"
                )))
            }
        };
        out.push(Pushdown {
            column: field("column")?,
            param: field("param")?,
            value,
            op,
            values,
        });
    }
    Ok(out)
}

/// `#/paths/~1api~1v1~1apps/get` → (`/api/v1/apps`, `get`).
fn split_operation_ref(
    doc: &Doc<'_>,
    reference: &str,
    at: &str,
) -> Result<(String, String), ProviderError> {
    let bad = || {
        doc.invalid(format!(
            "{at}.operation.$ref '{reference}' must point at an operation as \
             '#/paths/<path with / written ~1>/<http verb>'"
        ))
    };
    let rest = reference.strip_prefix("#/paths/").ok_or_else(bad)?;
    let (path, verb) = rest.rsplit_once('/').ok_or_else(bad)?;
    let verb = verb.to_ascii_lowercase();
    if !HTTP_VERBS.contains(&verb.as_str()) || path.contains('/') {
        return Err(bad());
    }
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    Ok((unescape_token(&path).into_owned(), verb))
}

/// Server variables, then path-item parameters overridden by operation parameters, then
/// path template names nobody declared.
fn method_params(
    doc: &Doc<'_>,
    servers: &[Server],
    path: &str,
    path_item: &Map<String, Value>,
    operation: &Map<String, Value>,
    at: &str,
) -> Result<Vec<Param>, ProviderError> {
    let mut params: Vec<Param> = Vec::new();
    if let Some(server) = servers.first() {
        let mut names: Vec<&str> = template_names(&server.url).collect();
        for name in server.variables.keys() {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        for name in names {
            let var = server.variables.get(name);
            params.push(Param {
                name: name.to_string(),
                location: ParamLocation::Server,
                required: true,
                ty: "string".into(),
                description: var.and_then(|v| v.description.clone()),
                default: var.and_then(|v| v.default.clone()),
                minimum: None,
                maximum: None,
            });
        }
    }
    let server_count = params.len();
    for (owner, owner_at) in [
        (path_item, format!("paths.{path}.parameters")),
        (operation, format!("{at} (operation parameters)")),
    ] {
        let Some(list) = owner.get("parameters") else {
            continue;
        };
        let list = list.as_array().ok_or_else(|| {
            doc.invalid(format!(
                "{owner_at} must be a list, found {}",
                kind_of(list)
            ))
        })?;
        for (i, p) in list.iter().enumerate() {
            let Some(param) = parse_param(doc, p, &format!("{owner_at}[{i}]"))? else {
                continue;
            };
            let same = params[server_count..]
                .iter_mut()
                .find(|q| q.location == param.location && q.name == param.name);
            match same {
                Some(existing) => *existing = param,
                None => params.push(param),
            }
        }
    }
    for name in template_names(path) {
        let declared = params
            .iter()
            .any(|p| p.location == ParamLocation::Path && p.name == name);
        if !declared {
            params.push(Param {
                name: name.to_string(),
                location: ParamLocation::Path,
                required: true,
                ty: "string".into(),
                description: None,
                default: None,
                minimum: None,
                maximum: None,
            });
        }
    }
    Ok(params)
}

/// One parameter object (or `$ref` to one). Cookie parameters are skipped: nothing here
/// can send them.
fn parse_param(doc: &Doc<'_>, value: &Value, at: &str) -> Result<Option<Param>, ProviderError> {
    let map = expect_object(doc, doc.deref(value, at)?, at)?;
    let name = opt_string(doc, map, "name", at)?
        .ok_or_else(|| doc.invalid(format!("{at} has no name")))?;
    let location = match opt_string(doc, map, "in", at)?.as_deref() {
        Some("path") => ParamLocation::Path,
        Some("query") => ParamLocation::Query,
        Some("header") => ParamLocation::Header,
        Some("cookie") => return Ok(None),
        other => {
            return Err(doc.invalid(format!(
                "{at} ('{name}'): 'in' must be path, query, header or cookie, found {}",
                other.map_or("nothing".to_string(), |o| format!("'{o}'"))
            )))
        }
    };
    let required = location == ParamLocation::Path
        || map
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let (ty, default, schema_description, minimum, maximum) = match map.get("schema") {
        Some(schema) => {
            let flat = flatten(doc, schema, &format!("{at}.schema"))?;
            let resolved = doc.deref(schema, at)?;
            let default = resolved.get("default").and_then(scalar_string);
            let minimum = resolved.get("minimum").and_then(Value::as_i64);
            let maximum = resolved.get("maximum").and_then(Value::as_i64);
            (
                flat.type_name(),
                default,
                flat.description,
                minimum,
                maximum,
            )
        }
        None => ("string".to_string(), None, None, None, None),
    };
    Ok(Some(Param {
        name,
        location,
        required,
        ty,
        description: text_of(map.get("description")).or(schema_description),
        default,
        minimum,
        maximum,
    }))
}

fn request_body(
    doc: &Doc<'_>,
    value: &Value,
    at: &str,
) -> Result<Option<RequestBody>, ProviderError> {
    let map = expect_object(doc, doc.deref(value, at)?, at)?;
    let required = map
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(content) = map.get("content") else {
        return Ok(None);
    };
    let content = expect_object(doc, content, &format!("{at}.content"))?;
    let chosen = content
        .get_key_value("application/json")
        .or_else(|| content.iter().find(|(k, _)| is_json(k)))
        .or_else(|| content.iter().next());
    let Some((media_type, media)) = chosen else {
        return Ok(None);
    };
    let media_at = format!("{at}.content.{media_type}");
    let media = expect_object(doc, media, &media_at)?;
    let (columns, required_columns) = match media.get("schema") {
        Some(schema) => {
            let schema_at = format!("{media_at}.schema");
            let flat = flatten(doc, schema, &schema_at)?;
            (columns(doc, &flat, &schema_at)?, flat.required)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Some(RequestBody {
        media_type: media_type.clone(),
        required,
        columns,
        required_columns,
    }))
}

/// The response the rows come from: the one `openAPIDocKey` names, else the first 2xx.
fn pick_response<'a>(
    responses: Option<&'a Map<String, Value>>,
    key: Option<&str>,
) -> (String, Option<&'a Value>) {
    let Some(responses) = responses else {
        return (key.unwrap_or("200").to_string(), None);
    };
    if let Some(key) = key.filter(|k| !k.is_empty()) {
        return (key.to_string(), responses.get(key));
    }
    match responses.iter().find(|(k, _)| k.starts_with('2')) {
        Some((k, v)) => (k.clone(), Some(v)),
        None => ("200".to_string(), None),
    }
}

/// `"201"` → 201; `"2XX"`, `"default"` and the like → 200.
fn status_of(key: &str) -> u16 {
    key.parse::<u16>()
        .ok()
        .filter(|s| (100..600).contains(s))
        .unwrap_or(200)
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
}

/// Shape and columns of a response. A non-JSON media type (`text/xml`, `''`) has no rows.
fn response_columns(
    doc: &Doc<'_>,
    value: &Value,
    media_type: Option<&str>,
    object_key: Option<&str>,
    at: &str,
) -> Result<(ResponseShape, Vec<super::Column>), ProviderError> {
    let response = expect_object(doc, doc.deref(value, at)?, at)?;
    let Some(content) = response.get("content") else {
        return Ok((ResponseShape::Empty, Vec::new()));
    };
    let content = expect_object(doc, content, &format!("{at}.content"))?;
    // StackQL writes `mediaType: ''` for a response whose body is not read.
    let chosen = match media_type {
        Some("") => None,
        Some(mt) => content.get_key_value(mt),
        None => content.get_key_value("application/json"),
    };
    let Some((mt, media)) = chosen.filter(|(mt, _)| is_json(mt)) else {
        return Ok((ResponseShape::Empty, Vec::new()));
    };
    let media_at = format!("{at}.content.{mt}");
    let Some(schema) = expect_object(doc, media, &media_at)?.get("schema") else {
        return Ok((ResponseShape::Object, Vec::new()));
    };
    let schema_at = format!("{media_at}.schema");
    let mut flat = flatten(doc, schema, &schema_at)?;
    if let Some(key) = object_key {
        if let Some(inner) = follow_object_key(doc, &flat, key, &schema_at)? {
            flat = inner;
        }
    }
    if flat.is_array() {
        let items = match flat.items {
            Some(items) => flatten(doc, items, &format!("{schema_at}.items"))?,
            None => Default::default(),
        };
        Ok((ResponseShape::Array, row_columns(doc, &items, &schema_at)?))
    } else {
        Ok((ResponseShape::Object, row_columns(doc, &flat, &schema_at)?))
    }
}

/// Name of the one column of a row that is not an object (an element of `["7.1", "7.2"]`).
pub const VALUE_COLUMN: &str = "value";

/// The columns of one row: the object's properties, or the single [`VALUE_COLUMN`] when the
/// row is a scalar or an array (the executor turns such an element into `{"value": …}`).
fn row_columns(
    doc: &Doc<'_>,
    row: &super::schema::Flat<'_>,
    at: &str,
) -> Result<Vec<super::Column>, ProviderError> {
    let ty = row.type_name();
    if row.properties.is_empty() && !row.additional && ty != "object" {
        return Ok(vec![super::Column {
            name: VALUE_COLUMN.to_string(),
            ty,
            description: row.description.clone(),
            enum_values: row.enum_values.clone(),
            format: row.format.clone(),
        }]);
    }
    columns(doc, row, at)
}

/// The schema at `objectKey` (`$.items`, `$.data[*]`) inside `flat`, when the path can be
/// followed through declared properties.
fn follow_object_key<'a>(
    doc: &Doc<'a>,
    flat: &super::schema::Flat<'a>,
    key: &str,
    at: &str,
) -> Result<Option<super::schema::Flat<'a>>, ProviderError> {
    let path = key.trim().trim_start_matches('$').trim_start_matches('.');
    let mut current: Option<super::schema::Flat<'a>> = None;
    for segment in path.split('.') {
        let segment = segment.trim_end_matches("[*]");
        let here = current.as_ref().unwrap_or(flat);
        let Some((_, prop)) = here.properties.iter().find(|(n, _)| *n == segment) else {
            return Ok(None);
        };
        current = Some(flatten(doc, prop, &format!("{at}.properties.{segment}"))?);
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
servers:
  - url: https://{subdomain}.{domain}/
    variables:
      subdomain: {default: my-org}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, schema: {type: string}}
      - {name: q, in: query, description: from the path item}
      - {name: session, in: cookie}
    get:
      parameters:
        - {name: q, in: query, required: true, description: from the operation, schema: {type: integer, default: 5}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: {$ref: '#/components/schemas/Thing'}}
                  next: {type: string}
components:
  schemas:
    Thing: {type: object, properties: {id: {type: string}, size: {type: integer}}}
  x-stackQL-resources:
    things:
      methods:
        list:
          operation: {$ref: '#/paths/~1things~1{id}/get'}
          response: {mediaType: application/json, openAPIDocKey: '200', objectKey: '$.items'}
"#;

    #[test]
    fn operation_parameters_override_path_item_ones() {
        let service = parse_service_document("p", "s", "doc.yaml", DOC).unwrap();
        let resource = &service.resources[0];
        assert_eq!(resource.id, "p.s.things");
        let m = &resource.methods[0];
        let params: Vec<(&str, ParamLocation, bool)> = m
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.location, p.required))
            .collect();
        assert_eq!(
            params,
            [
                ("subdomain", ParamLocation::Server, true),
                ("domain", ParamLocation::Server, true),
                ("id", ParamLocation::Path, true),
                ("q", ParamLocation::Query, true),
                ("X-Trace", ParamLocation::Header, false),
            ]
        );
        let q = m.param("Q").unwrap();
        assert_eq!(q.description.as_deref(), Some("from the operation"));
        assert_eq!(
            (q.ty.as_str(), q.default.as_deref()),
            ("integer", Some("5"))
        );
        assert_eq!(m.params[0].default.as_deref(), Some("my-org"));
        assert_eq!(m.params[1].default, None);
    }

    #[test]
    fn object_key_selects_the_rows() {
        let service = parse_service_document("p", "s", "doc.yaml", DOC).unwrap();
        let m = &service.resources[0].methods[0];
        assert_eq!(m.object_key.as_deref(), Some("$.items"));
        assert_eq!(m.response_shape, ResponseShape::Array);
        let columns: Vec<&str> = m.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "size"]);
        // Without objectKey the body itself is the row.
        let plain = DOC.replace(", objectKey: '$.items'", "");
        let service = parse_service_document("p", "s", "doc.yaml", &plain).unwrap();
        let m = &service.resources[0].methods[0];
        assert_eq!(m.object_key, None);
        assert_eq!(m.response_shape, ResponseShape::Object);
        assert_eq!(m.columns.len(), 2);
        assert_eq!(m.columns[0].name, "items");
    }

    #[test]
    fn operation_refs_must_point_at_operations() {
        for (bad, expected) in [
            ("#/components/schemas/Thing", "must point at an operation"),
            ("#/paths/~1things~1{id}/fetch", "must point at an operation"),
            ("#/paths/~1things~1{id}/post", "has no 'post' operation"),
        ] {
            let text = DOC.replace("#/paths/~1things~1{id}/get", bad);
            let err = parse_service_document("p", "s", "doc.yaml", &text).unwrap_err();
            assert!(err.to_string().contains(expected), "{bad}: {err}");
            assert!(err.to_string().contains("doc.yaml"), "{err}");
        }
    }
}
