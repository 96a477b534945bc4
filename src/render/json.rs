//! JSON formats: one pretty document (an array of objects) or one compact object per line.
//!
//! Rows are serialized straight from their cells, one row at a time, without building
//! intermediate maps. A column name that repeats (`SELECT id, id …`) gets a suffix (`id_2`)
//! so that keys stay unique.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};
use serde_json::Value;

use super::RenderError;

/// Column names made unique: the second `id` becomes `id_2`, and so on.
pub(super) fn unique_keys(columns: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let mut key = c.clone();
        let mut n = 2;
        while keys.contains(&key) {
            key = format!("{c}_{n}");
            n += 1;
        }
        keys.push(key);
    }
    keys
}

struct Object<'a> {
    keys: &'a [String],
    cells: &'a [Value],
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.keys.len()))?;
        for (key, cell) in self.keys.iter().zip(self.cells) {
            map.serialize_entry(key, cell)?;
        }
        map.end()
    }
}

/// One object of a JSON document, serialized at the indentation of an array element.
///
/// The document is `serde_json`'s pretty form of an array of objects, written a row at a
/// time: `[`, then each object after `\n  ` (`,\n  ` from the second), then `\n]`, or `[]`
/// with no rows. Each object is serialized with a pretty formatter that is already one
/// level deep, so its bytes are those `serde_json::to_writer_pretty` gives the whole array.
pub(super) fn write_document_row(
    keys: &[String],
    cells: &[Value],
    first: bool,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    out.write_all(if first { b"[\n  " } else { b",\n  " })?;
    let mut formatter = PrettyFormatter::new();
    // Enter the array level without writing anything: nested lines are indented under it.
    formatter.begin_array(&mut io::sink())?;
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    Object { keys, cells }.serialize(&mut serializer)?;
    Ok(())
}

/// Closes a document after `rows` rows written with [`write_document_row`], then a newline.
pub(super) fn end_document(rows: usize, out: &mut impl Write) -> Result<(), RenderError> {
    out.write_all(if rows == 0 { b"[]\n" } else { b"\n]\n" })?;
    Ok(())
}

/// One compact JSON object on its own line.
pub(super) fn write_line(
    keys: &[String],
    cells: &[Value],
    out: &mut impl Write,
) -> Result<(), RenderError> {
    serde_json::to_writer(&mut *out, &Object { keys, cells })?;
    out.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_columns_get_unique_keys() {
        let cols: Vec<String> = ["id", "id", "id_2", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(unique_keys(&cols), vec!["id", "id_2", "id_2_2", "x"]);
    }
}
