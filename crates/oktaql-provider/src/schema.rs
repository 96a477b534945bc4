//! JSON schemas flattened to what a table needs: the top-level properties of a response or
//! request body, each with a type, description and enum values.
//!
//! Owns: following `$ref`s inside schemas, merging `allOf` (and the union of `oneOf` /
//! `anyOf` alternatives), and naming a property's type. Must not: descend into nested
//! properties (a nested object is one `object` column), which also keeps recursive schemas
//! cheap.

use serde_json::Value;

use super::document::{ref_of, scalar_string, text, Doc};
use super::{Column, ProviderError};

/// Deepest nesting of `$ref`/`allOf` followed while flattening one schema.
const MAX_DEPTH: usize = 32;

/// Most schema nodes visited while flattening one schema: `allOf` lists that fan out to
/// other `allOf` lists would otherwise take exponential time.
const MAX_NODES: usize = 10_000;

/// A schema with its references and compositions merged.
#[derive(Default)]
pub(crate) struct Flat<'a> {
    /// `type` (the first non-null one when a list is given).
    pub ty: Option<String>,
    /// `format` (`date-time`, …); also a hint that an untyped schema is a string.
    pub format: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `enum` values written as strings.
    pub enum_values: Vec<String>,
    /// Properties in document order, first definition wins.
    pub properties: Vec<(&'a str, &'a Value)>,
    /// Names the schema marks required.
    pub required: Vec<String>,
    /// Item schema of an array.
    pub items: Option<&'a Value>,
    /// Whether `additionalProperties` is given (a map-like object).
    pub additional: bool,
}

impl Flat<'_> {
    /// The type to show: the declared one, else one inferred from the shape.
    pub fn type_name(&self) -> String {
        if let Some(ty) = &self.ty {
            return ty.clone();
        }
        if !self.properties.is_empty() || self.additional {
            "object".into()
        } else if self.items.is_some() {
            "array".into()
        } else if !self.enum_values.is_empty() || self.format.is_some() {
            "string".into()
        } else {
            // No constraint at all: any JSON value, kept as a JSON document.
            "object".into()
        }
    }

    /// Whether the schema describes a JSON array.
    pub fn is_array(&self) -> bool {
        match &self.ty {
            Some(ty) => ty == "array",
            None => self.items.is_some() && self.properties.is_empty(),
        }
    }
}

impl<'a> Flat<'a> {
    /// Merges a composed part into `self`: missing scalars are filled in, properties (and,
    /// for `allOf`, required names) are appended when new.
    fn absorb(&mut self, other: Flat<'a>, with_required: bool) {
        for (name, prop) in other.properties {
            if !self.properties.iter().any(|(n, _)| *n == name) {
                self.properties.push((name, prop));
            }
        }
        if self.items.is_none() {
            self.items = other.items;
        }
        if self.ty.is_none() {
            self.ty = other.ty;
        }
        if self.format.is_none() {
            self.format = other.format;
        }
        if self.description.is_none() {
            self.description = other.description;
        }
        if self.enum_values.is_empty() {
            self.enum_values = other.enum_values;
        }
        self.additional |= other.additional;
        if with_required {
            for name in other.required {
                if !self.required.contains(&name) {
                    self.required.push(name);
                }
            }
        }
    }
}

/// Flattens `schema` (found at `at`, for errors).
pub(crate) fn flatten<'a>(
    doc: &Doc<'a>,
    schema: &'a Value,
    at: &str,
) -> Result<Flat<'a>, ProviderError> {
    let mut budget = MAX_NODES;
    flatten_at(doc, schema, at, 0, &mut budget)
}

fn flatten_at<'a>(
    doc: &Doc<'a>,
    schema: &'a Value,
    at: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<Flat<'a>, ProviderError> {
    if depth > MAX_DEPTH {
        return Err(doc.cycle(schema, at));
    }
    if *budget == 0 {
        return Err(doc.invalid(format!(
            "{at}: the schema expands to more than {MAX_NODES} parts through allOf/oneOf/anyOf \
             and $ref; simplify it"
        )));
    }
    *budget -= 1;
    let Some(map) = schema.as_object() else {
        // `true`/`false` schemas and other non-mappings constrain nothing we show.
        return Ok(Flat::default());
    };
    if let Some(reference) = ref_of(schema) {
        let target = doc.pointer(reference, at)?;
        let mut flat = flatten_at(doc, target, at, depth + 1, budget)?;
        // Siblings of `$ref` (a description, `type: object`) refine the target.
        if let Some(description) = text(map.get("description")) {
            flat.description = Some(description);
        }
        if flat.ty.is_none() {
            flat.ty = type_of(map.get("type"));
        }
        return Ok(flat);
    }
    let mut flat = Flat {
        ty: type_of(map.get("type")),
        format: map.get("format").map(|f| match f {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        description: text(map.get("description")),
        enum_values: map
            .get("enum")
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(scalar_string).collect())
            .unwrap_or_default(),
        properties: Vec::new(),
        required: map
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        items: map.get("items"),
        additional: matches!(
            map.get("additionalProperties"),
            Some(Value::Object(_) | Value::Bool(true))
        ),
    };
    if let Some(properties) = map.get("properties") {
        let properties = properties.as_object().ok_or_else(|| {
            doc.invalid(format!(
                "{at}: 'properties' must be a mapping of property names to schemas"
            ))
        })?;
        flat.properties = properties.iter().map(|(k, v)| (k.as_str(), v)).collect();
    }
    for (key, with_required) in [("allOf", true), ("oneOf", false), ("anyOf", false)] {
        let Some(parts) = map.get(key) else { continue };
        let parts = parts
            .as_array()
            .ok_or_else(|| doc.invalid(format!("{at}: '{key}' must be a list of schemas")))?;
        for part in parts {
            let part = flatten_at(doc, part, at, depth + 1, budget)?;
            flat.absorb(part, with_required);
        }
    }
    Ok(flat)
}

/// The declared type: a string, or the first non-null entry of a list.
fn type_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_string),
        _ => None,
    }
}

/// The columns of a schema's top-level properties (`at` names the schema for errors).
pub(crate) fn columns<'a>(
    doc: &Doc<'a>,
    flat: &Flat<'a>,
    at: &str,
) -> Result<Vec<Column>, ProviderError> {
    let mut out = Vec::with_capacity(flat.properties.len());
    for (name, prop) in &flat.properties {
        let prop_at = format!("{at}.properties.{name}");
        let p = flatten(doc, prop, &prop_at)?;
        out.push(Column {
            name: (*name).to_string(),
            ty: p.type_name(),
            description: p.description.clone(),
            enum_values: p.enum_values.clone(),
            format: p.format.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_of(text: &str) -> Value {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn merges_all_of_and_follows_refs() {
        let root = doc_of(
            "\
components:
  schemas:
    Base:
      type: object
      required: [id]
      properties:
        id: {type: string, description: ' The id. '}
        links: {$ref: '#/components/schemas/Links', description: Links here}
    Links:
      type: object
      properties:
        self: {type: object}
    Child:
      allOf:
        - $ref: '#/components/schemas/Base'
        - properties:
            status: {type: string, enum: [ACTIVE, INACTIVE]}
            when: {format: date-time}
            tags: {items: {type: string}}
            anything: {}
",
        );
        let doc = Doc {
            root: &root,
            path: "x",
        };
        let flat = flatten(&doc, &root["components"]["schemas"]["Child"], "Child").unwrap();
        assert_eq!(flat.type_name(), "object");
        assert_eq!(flat.required, vec!["id".to_string()]);
        let cols = columns(&doc, &flat, "Child").unwrap();
        let summary: Vec<(&str, &str)> = cols
            .iter()
            .map(|c| (c.name.as_str(), c.ty.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("id", "string"),
                ("links", "object"),
                ("status", "string"),
                ("when", "string"),
                ("tags", "array"),
                ("anything", "object"),
            ]
        );
        assert_eq!(cols[0].description.as_deref(), Some("The id."));
        assert_eq!(cols[1].description.as_deref(), Some("Links here"));
        assert_eq!(cols[2].enum_values, ["ACTIVE", "INACTIVE"]);
        assert_eq!(cols[3].format.as_deref(), Some("date-time"));
        assert_eq!(cols[2].format, None);
    }

    #[test]
    fn all_of_cycles_are_errors_not_overflows() {
        let root = doc_of(
            "\
A: {allOf: [{$ref: '#/B'}]}
B: {allOf: [{$ref: '#/A'}]}
",
        );
        let doc = Doc {
            root: &root,
            path: "x",
        };
        let err = flatten(&doc, &root["A"], "A").map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
    }

    #[test]
    fn exponential_all_of_fan_out_is_cut_short() {
        let mut text = String::new();
        for i in 0..12 {
            let next = format!("{{$ref: '#/S{}'}}", i + 1);
            text.push_str(&format!(
                "S{i}: {{allOf: [{next}, {next}, {next}, {next}]}}\n"
            ));
        }
        text.push_str("S12: {type: object}\n");
        let root = doc_of(&text);
        let doc = Doc {
            root: &root,
            path: "x",
        };
        let err = flatten(&doc, &root["S0"], "S0").map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("simplify"), "{err}");
    }

    #[test]
    fn recursive_properties_are_fine() {
        let root = doc_of(
            "Node: {type: object, properties: {child: {$ref: '#/Node'}, name: {type: string}}}",
        );
        let doc = Doc {
            root: &root,
            path: "x",
        };
        let flat = flatten(&doc, &root["Node"], "Node").unwrap();
        let cols = columns(&doc, &flat, "Node").unwrap();
        assert_eq!(cols[0].ty, "object");
        assert_eq!(cols[1].ty, "string");
    }
}
