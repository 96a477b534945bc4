//! Parsing: splitting input into statements and parsing each into a [`Statement`].
//!
//! Owns: the statement splitter (quotes, comments, `;`), SELECT/INSERT/DELETE through
//! `sqlparser` (GenericDialect), and a small hand parser for StackQL's own statements
//! (`EXEC`, `SHOW …`, `DESCRIBE`). Errors carry line and column in the original input.
//! Must not: look at providers or do any I/O.

mod cursor;
mod error;
mod exec;
mod locate;
mod number;
mod parse;
mod shape;
mod show;
mod split;

pub use error::SqlError;
pub use locate::{caret, locate, Needle, Position};
pub use number::number_value;
pub use parse::{parse, statement_kind};
pub use shape::{Reading, ShapeCache, ShapeId, DEFAULT_SHAPES, MAX_SHAPE_TEXT};
pub use split::{is_complete, split, split_checked};

/// One statement's text as cut from the input, with where it starts (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The statement text, without the terminating `;`.
    pub text: String,
    /// Line of the first character of `text` in the input (1-based).
    pub line: usize,
    /// Column of the first character of `text` in the input (1-based, in characters).
    pub column: usize,
}

/// A three-part name `provider.service.resource` as written (case kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// `okta`
    pub provider: String,
    /// `apps`
    pub service: String,
    /// `secrets`
    pub resource: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.provider, self.service, self.resource)
    }
}

impl ObjectRef {
    /// The three parts of a table name in parsed SQL, when it has exactly three identifiers
    /// (`okta.apps.secrets`); any other name (a CTE, `apps.secrets`) is `None`.
    pub fn from_sql(name: &sqlparser::ast::ObjectName) -> Option<ObjectRef> {
        match <[String; 3]>::try_from(identifiers(name)) {
            Ok([provider, service, resource]) => Some(ObjectRef {
                provider,
                service,
                resource,
            }),
            Err(_) => None,
        }
    }
}

/// The identifiers of a name in parsed SQL, in order, as written (quotes removed).
pub fn identifiers(name: &sqlparser::ast::ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| match p {
            sqlparser::ast::ObjectNamePart::Identifier(i) => Some(i.value.clone()),
            _ => None,
        })
        .collect()
}

/// A literal argument value of `EXEC` (`@appId='x'`, `@limit=5`, `@flag=true`).
pub type Literal = serde_json::Value;

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT …` (any query sqlparser accepts).
    Select(Box<sqlparser::ast::Query>),
    /// `INSERT INTO … (cols) SELECT …|VALUES … [RETURNING …]`.
    Insert(Box<sqlparser::ast::Insert>),
    /// `DELETE FROM … WHERE …`.
    Delete(Box<sqlparser::ast::Delete>),
    /// `EXEC provider.service.resource.method @a='x', @b=1 [ @@json='{…}' ]`.
    Exec {
        /// The resource.
        target: ObjectRef,
        /// The method name as written.
        method: String,
        /// `@name=value` arguments in order (names without `@`).
        args: Vec<(String, Literal)>,
        /// The `@@json='{…}'` request body, when given.
        body: Option<serde_json::Value>,
    },
    /// `SHOW PROVIDERS`.
    ShowProviders,
    /// `SHOW SERVICES IN provider [LIKE 'pat']`.
    ShowServices {
        /// Provider name.
        provider: String,
        /// LIKE pattern.
        like: Option<String>,
    },
    /// `SHOW RESOURCES IN provider.service [LIKE 'pat']`.
    ShowResources {
        /// Provider name.
        provider: String,
        /// Service name.
        service: String,
        /// LIKE pattern.
        like: Option<String>,
    },
    /// `SHOW METHODS IN provider.service.resource`.
    ShowMethods {
        /// The resource.
        target: ObjectRef,
    },
    /// `DESCRIBE [EXTENDED] provider.service.resource`.
    Describe {
        /// With descriptions.
        extended: bool,
        /// The resource.
        target: ObjectRef,
    },
}
