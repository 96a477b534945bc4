//! JSON formats: one pretty document (an array of objects) or one compact object per line.
//!
//! Rows are serialized straight from [`Rows`] without building intermediate maps. A column
//! name that repeats (`SELECT id, id …`) gets a suffix (`id_2`) so that keys stay unique.

use std::io::Write;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::RenderError;
use crate::rows::Rows;

/// Column names made unique: the second `id` becomes `id_2`, and so on.
fn unique_keys(columns: &[String]) -> Vec<String> {
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

struct Array<'a> {
    keys: &'a [String],
    rows: &'a [Vec<Value>],
}

impl Serialize for Array<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for cells in self.rows {
            seq.serialize_element(&Object {
                keys: self.keys,
                cells,
            })?;
        }
        seq.end()
    }
}

/// One JSON document: a pretty-printed (2 spaces) array of objects, then a newline.
pub(super) fn write_document(rows: &Rows, out: &mut impl Write) -> Result<(), RenderError> {
    let keys = unique_keys(&rows.columns);
    serde_json::to_writer_pretty(
        &mut *out,
        &Array {
            keys: &keys,
            rows: &rows.rows,
        },
    )?;
    out.write_all(b"\n")?;
    Ok(())
}

/// One compact JSON object per row, each on its own line.
pub(super) fn write_lines(rows: &Rows, out: &mut impl Write) -> Result<(), RenderError> {
    let keys = unique_keys(&rows.columns);
    for cells in &rows.rows {
        serde_json::to_writer(&mut *out, &Object { keys: &keys, cells })?;
        out.write_all(b"\n")?;
    }
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
