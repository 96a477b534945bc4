//! The typed provider model the planner works on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{nearest, ProviderError};

/// Where a method parameter goes in the HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamLocation {
    /// A `{name}` segment of the URL path.
    Path,
    /// A `?name=value` query parameter.
    Query,
    /// An HTTP request header.
    Header,
    /// A variable of the server URL template (`subdomain`).
    Server,
}

/// One input a method accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Name as written in the document (`appId`); matched case-insensitively.
    pub name: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Whether the method cannot be called without it. Path parameters and server
    /// variables are always required.
    pub required: bool,
    /// JSON schema type (`string`, `integer`, `boolean`, …).
    pub ty: String,
    /// Human description, if the document has one.
    pub description: Option<String>,
    /// Default value (server variables have one: `my-org`).
    pub default: Option<String>,
    /// The schema's `minimum`, for numeric parameters (reference examples use it).
    pub minimum: Option<i64>,
    /// The schema's `maximum`, for numeric parameters (a page size's largest value).
    pub maximum: Option<i64>,
}

/// One field of a response (a column of `SELECT`) or of a request body (a `data__` column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Field name as in the JSON (`client_secret`, `lastUpdated`).
    pub name: String,
    /// JSON schema type (`string`, `object`, `array`, `integer`, `boolean`, `number`).
    pub ty: String,
    /// Human description, if any.
    pub description: Option<String>,
    /// Allowed values, when the schema gives an `enum`.
    pub enum_values: Vec<String>,
    /// The schema's `format` (`date-time`, `email`, …), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// Shape of a method's successful response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseShape {
    /// A JSON array of objects: each element is a row.
    Array,
    /// A single JSON object: one row.
    Object,
    /// No body (204).
    Empty,
}

/// The request body a method takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestBody {
    /// Media type, `application/json`.
    pub media_type: String,
    /// Whether a body must be sent.
    pub required: bool,
    /// Top-level properties, which INSERT binds from `data__<name>` columns.
    pub columns: Vec<Column>,
    /// Names of properties the schema marks required.
    pub required_columns: Vec<String>,
}

/// A condition `column = 'value'` that a query parameter expresses exactly, declared on a
/// method as `x-oktaql-pushdown: [{column, param, value}]` (for Okta's apps:
/// `status` → `filter=status eq "{value}"`). Only values the column's `enum` lists are
/// pushed, so the API's answer is exactly the rows the condition keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pushdown {
    /// The response column.
    pub column: String,
    /// The query parameter that expresses the condition.
    pub param: String,
    /// The parameter's value, with `{value}` standing for the literal.
    pub value: String,
    /// The comparison the parameter expresses: `=` (the default), `>=`, `>` or `<`.
    #[serde(default = "default_pushdown_op")]
    pub op: String,
    /// Which literals may be pushed (the default: the column's enum values).
    #[serde(default)]
    pub values: PushValues,
}

fn default_pushdown_op() -> String {
    "=".to_string()
}

/// Which literals a [`Pushdown`] may carry into its parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushValues {
    /// Only values the column's `enum` lists (`values: enum`).
    #[default]
    Enum,
    /// Any string without `"` or `\`, so it stays one quoted term of a filter (`values: text`).
    Text,
    /// An ISO 8601 date-time (`values: timestamp`).
    Timestamp,
}

/// One REST operation of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// StackQL method name (`list_oauth2_client_secrets`).
    pub name: String,
    /// OpenAPI `operationId` (`listOAuth2ClientSecrets`).
    pub operation_id: Option<String>,
    /// HTTP verb, upper case (`GET`, `POST`, `DELETE`, `PUT`, `PATCH`).
    pub http_method: String,
    /// Path template (`/api/v1/apps/{appId}/credentials/secrets`).
    pub path: String,
    /// Every parameter: server variables first, then path-item and operation parameters
    /// (an operation parameter overrides a path-item one of the same name and location).
    pub params: Vec<Param>,
    /// Request body, if the operation takes one.
    pub request_body: Option<RequestBody>,
    /// Shape of the successful response.
    pub response_shape: ResponseShape,
    /// Conditions on response columns the API can evaluate itself (`x-oktaql-pushdown`).
    pub pushdown: Vec<Pushdown>,
    /// Expected success status (`200`, `201`, `204`).
    pub response_status: u16,
    /// Columns of the response (the item schema's properties when it is an array).
    pub columns: Vec<Column>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Long description.
    pub description: Option<String>,
    /// Where the rows are inside the response body (`response.objectKey`, e.g. `$.items`),
    /// when they are not the body itself. [`Method::columns`] and
    /// [`Method::response_shape`] already describe what is found at this key.
    pub object_key: Option<String>,
    /// OAuth 2.0 scopes the operation needs (its `security` entries, e.g. `okta.apps.read`):
    /// what a service app must be granted to call it. Empty when the document names none.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Method {
    /// The parameters that must be bound before the method can be called, in declaration
    /// order (server variables first).
    pub fn required_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.required)
    }

    /// Optional parameters (query parameters not marked required).
    pub fn optional_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| !p.required)
    }

    /// Looks up a parameter by name, case-insensitively.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// The SQL verbs of a resource and the methods (by name) that implement each, most
/// general first, as listed under `sqlVerbs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlVerbs {
    /// Methods for `SELECT`.
    pub select: Vec<String>,
    /// Methods for `INSERT`.
    pub insert: Vec<String>,
    /// Methods for `UPDATE`.
    pub update: Vec<String>,
    /// Methods for `DELETE`.
    pub delete: Vec<String>,
    /// Methods for `REPLACE`.
    pub replace: Vec<String>,
}

/// The SQL verb by which a method is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SqlVerb {
    /// `SELECT`
    Select,
    /// `INSERT`
    Insert,
    /// `UPDATE`
    Update,
    /// `DELETE`
    Delete,
    /// `REPLACE`
    Replace,
    /// `EXEC` (any method not listed under a verb)
    Exec,
}

impl SqlVerb {
    /// Lower-case name as shown to users (`select`, `exec`).
    pub fn as_str(self) -> &'static str {
        match self {
            SqlVerb::Select => "select",
            SqlVerb::Insert => "insert",
            SqlVerb::Update => "update",
            SqlVerb::Delete => "delete",
            SqlVerb::Replace => "replace",
            SqlVerb::Exec => "exec",
        }
    }
}

/// A resource: a table-like thing (`okta.apps.secrets`) with methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Fully qualified id (`okta.apps.secrets`).
    pub id: String,
    /// Short name (`secrets`).
    pub name: String,
    /// Title (`Secrets`).
    pub title: Option<String>,
    /// Methods in document order.
    pub methods: Vec<Method>,
    /// Which methods implement which SQL verb.
    pub sql_verbs: SqlVerbs,
    /// [`Resource::select_columns`], worked out on first use (a resource does not change
    /// once parsed; planning asks for it several times per statement).
    #[serde(skip)]
    pub(crate) select_memo: ColumnsMemo,
}

/// Where each of a resource's select columns is: (method index, column index), in order.
#[derive(Default)]
pub(crate) struct ColumnsMemo(std::sync::OnceLock<Vec<(usize, usize)>>);

impl Clone for ColumnsMemo {
    fn clone(&self) -> Self {
        ColumnsMemo(self.0.clone())
    }
}

/// A memo is derived from the resource: it never makes two resources differ.
impl PartialEq for ColumnsMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for ColumnsMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ColumnsMemo")
    }
}

impl Resource {
    /// Looks up a method by name, case-insensitively.
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// Like [`Resource::method`], but an unknown name is a [`ProviderError::Unknown`]
    /// naming `<resource id>.<name>` and suggesting the nearest method.
    pub fn find_method(&self, name: &str) -> Result<&Method, ProviderError> {
        self.method(name).ok_or_else(|| ProviderError::Unknown {
            kind: "method",
            name: format!("{}.{name}", self.id),
            suggestion: nearest(name, self.methods.iter().map(|m| m.name.as_str()))
                .map(|m| format!("{}.{m}", self.id)),
        })
    }

    /// The methods implementing `verb`, in `sqlVerbs` order. For [`SqlVerb::Exec`], every
    /// method of the resource.
    pub fn methods_for(&self, verb: SqlVerb) -> Vec<&Method> {
        let names = match verb {
            SqlVerb::Select => &self.sql_verbs.select,
            SqlVerb::Insert => &self.sql_verbs.insert,
            SqlVerb::Update => &self.sql_verbs.update,
            SqlVerb::Delete => &self.sql_verbs.delete,
            SqlVerb::Replace => &self.sql_verbs.replace,
            SqlVerb::Exec => return self.methods.iter().collect(),
        };
        names.iter().filter_map(|n| self.method(n)).collect()
    }

    /// The SQL verb a method is listed under (`exec` when under none).
    pub fn verb_of(&self, method: &str) -> SqlVerb {
        let v = &self.sql_verbs;
        let has = |l: &Vec<String>| l.iter().any(|n| n.eq_ignore_ascii_case(method));
        if has(&v.select) {
            SqlVerb::Select
        } else if has(&v.insert) {
            SqlVerb::Insert
        } else if has(&v.update) {
            SqlVerb::Update
        } else if has(&v.delete) {
            SqlVerb::Delete
        } else if has(&v.replace) {
            SqlVerb::Replace
        } else {
            SqlVerb::Exec
        }
    }

    /// The union of the columns of the `select` methods, first occurrence wins, in order.
    pub fn select_columns(&self) -> Vec<&Column> {
        let at = self.select_memo.0.get_or_init(|| {
            let mut out: Vec<(usize, usize)> = Vec::new();
            for name in &self.sql_verbs.select {
                // The method `methods_for` finds: the first of this name, ignoring case.
                let Some(mi) = self
                    .methods
                    .iter()
                    .position(|m| m.name.eq_ignore_ascii_case(name))
                else {
                    continue;
                };
                for (ci, c) in self.methods[mi].columns.iter().enumerate() {
                    if !out
                        .iter()
                        .any(|&(m, o)| self.methods[m].columns[o].name == c.name)
                    {
                        out.push((mi, ci));
                    }
                }
            }
            out
        });
        at.iter()
            .map(|&(m, c)| &self.methods[m].columns[c])
            .collect()
    }
}

/// A server URL template with its variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Server {
    /// Template such as `https://{subdomain}.okta.com/`.
    pub url: String,
    /// Variables by name.
    pub variables: BTreeMap<String, ServerVariable>,
}

/// A variable of a server URL template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerVariable {
    /// Default value.
    pub default: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// One service (`apps`): a parsed OpenAPI document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Provider name (`okta`).
    pub provider: String,
    /// Service name (`apps`).
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Server templates (the first is used).
    pub servers: Vec<Server>,
    /// Resources, in document order.
    pub resources: Vec<Resource>,
}

impl Service {
    /// Looks up a resource by name, case-insensitively.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// Like [`Service::resource`], but an unknown name is a [`ProviderError::Unknown`]
    /// naming `<provider>.<service>.<name>` and suggesting the nearest resource.
    pub fn find_resource(&self, name: &str) -> Result<&Resource, ProviderError> {
        self.resource(name).ok_or_else(|| ProviderError::Unknown {
            kind: "resource",
            name: format!("{}.{}.{name}", self.provider, self.name),
            suggestion: nearest(name, self.resources.iter().map(|r| r.name.as_str()))
                .map(|r| format!("{}.{}.{r}", self.provider, self.name)),
        })
    }
}

/// A service as listed in `provider.yaml`, before its document is loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceEntry {
    /// Service name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// How the provider authenticates (from `provider.yaml` `config.auth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Environment variable holding the credential (`OKTA_API_TOKEN`).
    pub credentials_env_var: String,
    /// Prefix of the `Authorization` header value (`SSWS `).
    pub value_prefix: String,
}

/// A provider as found in the registry (`okta`), for `SHOW PROVIDERS` and friends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// Provider name (`okta`).
    pub name: String,
    /// The version directory in use (`v00.00.00000`), the newest present.
    pub version: String,
    /// Title from `provider.yaml`, if any.
    pub title: Option<String>,
    /// Description from `provider.yaml`, if any.
    pub description: Option<String>,
}
