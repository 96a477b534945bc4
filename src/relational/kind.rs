//! Column kinds: how a JSON schema type is stored in SQLite and read back.
//!
//! Each loaded column gets a declared SQLite type that names its kind. SQLite reports the
//! declared type of every result column that is a plain column reference (through
//! subqueries, CTEs, views and aliases), which tells the reader whether text in that column
//! is JSON to parse back or a string to keep.

use rusqlite::types::ValueRef;
use serde_json::{Number, Value};

use crate::plan::TableColumn;

/// How a column's values are stored and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `string`: TEXT; never reinterpreted.
    Text,
    /// `integer`: INTEGER.
    Integer,
    /// `number`: REAL (integers stay integers).
    Real,
    /// `boolean`: stored as 0/1, read back as `true`/`false`.
    Boolean,
    /// `object`/`array`: stored as JSON text, read back as JSON.
    Json,
    /// `string` with `format: date-time`: TEXT like [`Kind::Text`], marked so that a wire
    /// protocol can send it as a timestamp.
    Timestamp,
    /// Unknown type, or an expression: JSON object/array text is read back as JSON.
    Any,
}

/// The type of a result column as callers see it (a wire protocol picks its own types
/// from it): the JSON schema type of the column it reads, or `Any` for an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `string`.
    Text,
    /// `integer`.
    Integer,
    /// `number`.
    Real,
    /// `boolean`.
    Boolean,
    /// `object` or `array`.
    Json,
    /// `string` with `format: date-time` (RFC 3339 text).
    Timestamp,
    /// Unknown: an expression, or a column without a schema type.
    Any,
}

impl ColumnType {
    /// The type of a column with JSON schema type `ty` (`string`, `integer`, …).
    pub fn from_schema(ty: &str) -> ColumnType {
        Kind::from_schema(ty).column_type()
    }

    /// The type of a table column (its schema type and format).
    pub fn of_column(column: &TableColumn) -> ColumnType {
        Kind::of_column(column).column_type()
    }

    /// The type of a JSON value (for rows built without a schema).
    pub fn of_value(value: &Value) -> ColumnType {
        Kind::of_value(value).column_type()
    }
}

/// Declared type of `Kind::Json` columns (TEXT affinity, as JSON text wants).
const JSON_DECL: &str = "JSON TEXT";

/// Declared type of `Kind::Timestamp` columns (TEXT affinity: values stay as sent).
const TIMESTAMP_DECL: &str = "TIMESTAMPTZ TEXT";

/// The `format` that marks a string column as an RFC 3339 timestamp.
const DATE_TIME: &str = "date-time";

impl Kind {
    /// The kind for a JSON schema type (`string`, `integer`, …).
    pub(crate) fn from_schema(ty: &str) -> Kind {
        // Compared without a lower-case copy: this runs for every column a direct query reads.
        let ty = ty.trim();
        let is = |name: &str| ty.eq_ignore_ascii_case(name);
        if is("string") {
            Kind::Text
        } else if is("integer") {
            Kind::Integer
        } else if is("number") {
            Kind::Real
        } else if is("boolean") {
            Kind::Boolean
        } else if is("object") || is("array") {
            Kind::Json
        } else {
            Kind::Any
        }
    }

    /// The kind of a table column: its schema type, refined by a `date-time` format.
    pub(crate) fn of_column(column: &TableColumn) -> Kind {
        let kind = Kind::from_schema(&column.ty);
        if kind == Kind::Text && column.format.as_deref() == Some(DATE_TIME) {
            Kind::Timestamp
        } else {
            kind
        }
    }

    /// The kind of a JSON value, for columns without a schema type.
    pub(crate) fn of_value(value: &Value) -> Kind {
        match value {
            Value::Null => Kind::Any,
            Value::Bool(_) => Kind::Boolean,
            Value::Number(n) if n.is_f64() => Kind::Real,
            Value::Number(_) => Kind::Integer,
            Value::String(_) => Kind::Text,
            Value::Array(_) | Value::Object(_) => Kind::Json,
        }
    }

    /// The SQLite declared type for a column of this kind (empty: no affinity).
    pub(crate) fn decl(self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Boolean => "BOOLEAN",
            Kind::Json => JSON_DECL,
            Kind::Timestamp => TIMESTAMP_DECL,
            Kind::Any => "",
        }
    }

    /// What callers see of this kind.
    pub(crate) fn column_type(self) -> ColumnType {
        match self {
            Kind::Text => ColumnType::Text,
            Kind::Integer => ColumnType::Integer,
            Kind::Real => ColumnType::Real,
            Kind::Boolean => ColumnType::Boolean,
            Kind::Json => ColumnType::Json,
            Kind::Timestamp => ColumnType::Timestamp,
            Kind::Any => ColumnType::Any,
        }
    }

    /// The kind of a result column from its declared type (`None` for expressions).
    pub(crate) fn from_decl(decl: Option<&str>) -> Kind {
        let Some(decl) = decl else { return Kind::Any };
        match decl.to_ascii_uppercase().as_str() {
            "TEXT" => Kind::Text,
            "INTEGER" => Kind::Integer,
            "REAL" => Kind::Real,
            "BOOLEAN" => Kind::Boolean,
            d if d == JSON_DECL => Kind::Json,
            d if d == TIMESTAMP_DECL => Kind::Timestamp,
            _ => Kind::Any,
        }
    }

    /// Converts one SQLite value of a column of this kind to JSON.
    pub(crate) fn to_json(self, value: ValueRef<'_>) -> Value {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) if self == Kind::Boolean && (i == 0 || i == 1) => {
                Value::Bool(i == 1)
            }
            ValueRef::Integer(i) => Value::from(i),
            ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            ValueRef::Text(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                if matches!(self, Kind::Json | Kind::Any) {
                    if let Some(json) = parse_structured(&text) {
                        return json;
                    }
                }
                Value::String(text.into_owned())
            }
            ValueRef::Blob(bytes) => Value::String(hex(bytes)),
        }
    }
}

/// Parses text that holds a JSON object or array; anything else is `None`.
fn parse_structured(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Some(v),
        _ => None,
    }
}

/// Lower-case hex of a blob (blobs only arise from expressions such as `randomblob`).
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_types_round_trip_through_declared_types() {
        for ty in [
            "string", "integer", "number", "boolean", "object", "array", "weird",
        ] {
            let kind = Kind::from_schema(ty);
            let decl = kind.decl();
            let back = Kind::from_decl(if decl.is_empty() { None } else { Some(decl) });
            assert_eq!(back, kind, "{ty}");
        }
    }

    #[test]
    fn text_is_parsed_only_for_json_and_untyped_columns() {
        let text = ValueRef::Text(br#"{"a":1}"#);
        assert_eq!(Kind::Text.to_json(text), Value::String(r#"{"a":1}"#.into()));
        assert_eq!(Kind::Json.to_json(text), serde_json::json!({"a": 1}));
        assert_eq!(Kind::Any.to_json(text), serde_json::json!({"a": 1}));
        // Scalars and broken JSON stay strings.
        assert_eq!(
            Kind::Any.to_json(ValueRef::Text(b"12")),
            Value::String("12".into())
        );
        assert_eq!(
            Kind::Json.to_json(ValueRef::Text(b"{oops")),
            Value::String("{oops".into())
        );
    }

    #[test]
    fn numbers_booleans_and_blobs() {
        assert_eq!(
            Kind::Boolean.to_json(ValueRef::Integer(1)),
            Value::Bool(true)
        );
        assert_eq!(Kind::Boolean.to_json(ValueRef::Integer(7)), Value::from(7));
        assert_eq!(Kind::Integer.to_json(ValueRef::Integer(1)), Value::from(1));
        assert_eq!(Kind::Any.to_json(ValueRef::Real(1.5)), Value::from(1.5));
        assert_eq!(Kind::Any.to_json(ValueRef::Real(f64::NAN)), Value::Null);
        assert_eq!(
            Kind::Any.to_json(ValueRef::Blob(&[0, 255])),
            Value::String("00ff".into())
        );
    }
}
