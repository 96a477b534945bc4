//! Result columns on the wire: the PostgreSQL type of each column, and each cell encoded as
//! that type (text or binary, as the client asked).
//!
//! `string` → text, `integer` → int8, `number` → float8, `boolean` → bool, `object` and
//! `array` → jsonb; a `string` with `format: date-time` → timestamptz (its RFC 3339 text
//! parsed; text that does not parse is an error naming the column); an expression (no
//! declared type) → text.

use std::sync::Arc;

use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::api::Type;
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;
use serde_json::Value;

use super::error::{pg_error, state};
use crate::relational::ColumnType;

/// One result column: name and PostgreSQL type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Col {
    /// Column name.
    pub name: String,
    /// Its type on the wire.
    pub ty: Type,
}

impl Col {
    /// A text column.
    pub(crate) fn text(name: &str) -> Col {
        Col {
            name: name.to_string(),
            ty: Type::TEXT,
        }
    }
}

/// The wire type of a result column.
pub(crate) fn pg_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Text | ColumnType::Any => Type::TEXT,
        ColumnType::Integer => Type::INT8,
        ColumnType::Real => Type::FLOAT8,
        ColumnType::Boolean => Type::BOOL,
        ColumnType::Json => Type::JSONB,
        ColumnType::Timestamp => Type::TIMESTAMPTZ,
    }
}

/// The wire type of a JSON schema type (`string`, `integer`, …).
pub(crate) fn schema_pg_type(ty: &str) -> Type {
    pg_type(ColumnType::from_schema(ty))
}

/// The wire type of a column without a declared type (an expression such as `count(*)` or
/// `length(id)`), from its values: every non-null value an integer → int8; every one a
/// number → float8; every one a boolean → bool; otherwise (strings, JSON, mixed, or no
/// non-null value at all) → text.
pub(crate) fn infer_type<'a>(values: impl Iterator<Item = &'a Value>) -> Type {
    let mut ty: Option<Type> = None;
    for v in values {
        let this = match v {
            Value::Null => continue,
            Value::Number(n) if n.is_i64() || n.is_u64() => Type::INT8,
            Value::Number(_) => Type::FLOAT8,
            Value::Bool(_) => Type::BOOL,
            _ => return Type::TEXT,
        };
        ty = Some(match (ty, this) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(Type::INT8), Type::FLOAT8) | (Some(Type::FLOAT8), Type::INT8) => Type::FLOAT8,
            _ => return Type::TEXT,
        });
    }
    ty.unwrap_or(Type::TEXT)
}

/// Field descriptions of `cols`, each in the format the client asked for (text when it
/// did not say).
pub(crate) fn fields(cols: &[Col], format: Option<&Format>) -> Vec<FieldInfo> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            let f = format.map_or(FieldFormat::Text, |f| f.format_for(i));
            FieldInfo::new(c.name.clone(), None, None, c.ty.clone(), f)
        })
        .collect()
}

/// Encodes rows of JSON cells as data rows of `fields`.
pub(crate) fn encode(
    fields: Arc<Vec<FieldInfo>>,
    rows: Vec<Vec<Value>>,
) -> Vec<PgWireResult<DataRow>> {
    let mut encoder = DataRowEncoder::new(fields.clone());
    rows.into_iter()
        .map(|row| {
            for (i, field) in fields.iter().enumerate() {
                let cell = row.get(i).unwrap_or(&Value::Null);
                encode_cell(&mut encoder, field, cell)?;
            }
            Ok(encoder.take_row())
        })
        .collect()
}

/// Encodes one cell as its field's type.
fn encode_cell(enc: &mut DataRowEncoder, field: &FieldInfo, cell: &Value) -> PgWireResult<()> {
    let ty = field.datatype();
    let mismatch = || {
        pg_error(
            state::DATA,
            format!(
                "column {}: the value {cell} is not of type {}",
                field.name(),
                ty.name()
            ),
        )
    };
    if cell.is_null() {
        return enc.encode_field(&None::<String>);
    }
    match *ty {
        Type::INT8 => match cell {
            Value::Number(n) => enc.encode_field(&n.as_i64().ok_or_else(mismatch)?),
            Value::Bool(b) => enc.encode_field(&i64::from(*b)),
            Value::String(s) => enc.encode_field(&s.parse::<i64>().map_err(|_| mismatch())?),
            _ => Err(mismatch()),
        },
        Type::FLOAT8 => match cell {
            Value::Number(n) => enc.encode_field(&n.as_f64().ok_or_else(mismatch)?),
            Value::String(s) => enc.encode_field(&s.parse::<f64>().map_err(|_| mismatch())?),
            _ => Err(mismatch()),
        },
        Type::BOOL => match cell {
            Value::Bool(b) => enc.encode_field(b),
            Value::Number(n) => enc.encode_field(&(n.as_f64() != Some(0.0))),
            _ => Err(mismatch()),
        },
        Type::JSONB | Type::JSON => enc.encode_field(cell),
        Type::TIMESTAMPTZ => match cell {
            Value::String(s) => {
                let at = chrono::DateTime::parse_from_rfc3339(s.trim()).map_err(|_| {
                    pg_error(
                        state::DATA,
                        format!(
                            "column {}: {s:?} is not an RFC 3339 date-time, as the provider \
                             declares it; select it as text (CAST({} AS TEXT)) to read it as sent",
                            field.name(),
                            field.name()
                        ),
                    )
                })?;
                enc.encode_field(&at)
            }
            _ => Err(mismatch()),
        },
        _ => match cell {
            Value::String(s) => enc.encode_field(s),
            other => enc.encode_field(&other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_types_map_to_wire_types() {
        assert_eq!(schema_pg_type("string"), Type::TEXT);
        assert_eq!(schema_pg_type("integer"), Type::INT8);
        assert_eq!(schema_pg_type("number"), Type::FLOAT8);
        assert_eq!(schema_pg_type("boolean"), Type::BOOL);
        assert_eq!(schema_pg_type("object"), Type::JSONB);
        assert_eq!(schema_pg_type("array"), Type::JSONB);
        assert_eq!(schema_pg_type("weird"), Type::TEXT);
    }

    #[test]
    fn expression_types_follow_their_values() {
        let t = |v: Vec<Value>| infer_type(v.iter());
        assert_eq!(
            t(vec![Value::from(1), Value::Null, Value::from(3)]),
            Type::INT8
        );
        assert_eq!(t(vec![Value::from(1), Value::from(2.5)]), Type::FLOAT8);
        assert_eq!(t(vec![Value::from(true)]), Type::BOOL);
        assert_eq!(t(vec![Value::from(1), Value::from("x")]), Type::TEXT);
        assert_eq!(t(vec![Value::from(true), Value::from(1)]), Type::TEXT);
        assert_eq!(t(vec![Value::Null]), Type::TEXT);
        assert_eq!(t(vec![]), Type::TEXT);
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_is_an_error_not_a_panic() {
        let fields = Arc::new(fields(
            &[Col {
                name: "n".into(),
                ty: Type::INT8,
            }],
            None,
        ));
        let out = encode(fields, vec![vec![Value::from("abc")], vec![Value::from(3)]]);
        assert!(out[0].is_err());
        assert!(out[1].is_ok());
    }

    #[test]
    fn a_date_time_that_is_not_rfc_3339_is_an_error_naming_the_column() {
        let fields = Arc::new(fields(
            &[Col {
                name: "created".into(),
                ty: Type::TIMESTAMPTZ,
            }],
            None,
        ));
        let out = encode(
            fields,
            vec![
                vec![Value::from("yesterday")],
                vec![Value::from("2021-03-02T09:00:00.000Z")],
                vec![Value::Null],
            ],
        );
        let err = out[0].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("created") && err.contains("yesterday"),
            "{err}"
        );
        assert!(out[1].is_ok());
        assert!(out[2].is_ok());
    }
}
