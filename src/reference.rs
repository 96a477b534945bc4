//! Reference pages: one Markdown page per resource, generated from the provider model
//! (`oktaql docs --out DIR`). Each page lists the fields with their types, every method
//! with its own required and optional parameters, and an SQL example per verb and EXEC
//! method.
//!
//! Owns: the page text and the file layout (`DIR/PROVIDER/SERVICE/RESOURCE.md`, plus
//! `DIR/README.md` as the index). Must not: send anything.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::provider::{Method, Param, ParamLocation, ProviderError, Registry, Resource, SqlVerb};

/// Why pages could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The registry could not be read.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A page could not be written.
    #[error("cannot write {path}: {source} — check that the --out directory is writable")]
    Write {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// The demo org's app with two secrets (the sandbox's `DEMO_APP_TWO_SECRETS`).
const DEMO_APP: &str = "0oa8f2kr7HwM3cPeL9s2";
/// The demo org's `private_key_jwt` app, which has JSON Web Keys (`DEMO_APP_PRIVATE_KEY_JWT`).
const DEMO_KEY_APP: &str = "0oa8f2kt9LgD4yFhK7m3";
/// The demo org's SAML app, which has signing certificates (`DEMO_APP_SAML`).
const DEMO_SAML_APP: &str = "0oa8f2ku5ZrC1aVoN6p8";

/// Example values for parameters: the sandbox's demo org and its app with two secrets, so
/// that examples for the built-in provider name real objects.
fn example_value(resource: &str, p: &Param) -> String {
    match p.name.as_str() {
        "subdomain" => "my-org".into(),
        // The sandbox's demo apps, spelled out so the library builds without it: the one that
        // has the resource's objects.
        "appId" => match resource {
            "okta.apps.jwks" => DEMO_KEY_APP.into(),
            "okta.apps.keys" => DEMO_SAML_APP.into(),
            _ => DEMO_APP.into(),
        },
        // The demo app's inactive secret: deleting, activating and deactivating it all succeed
        // on a fresh demo org (the active one is the app's only active secret, which Okta keeps).
        "secretId" => "ocsOBwKiaHGmdZc4DOc9".into(),
        // A declared default or lower bound is a value the API accepts.
        _ => match (&p.default, p.ty.as_str()) {
            (Some(default), _) => default.clone(),
            (None, "integer" | "number") => p.minimum.unwrap_or(1).max(1).to_string(),
            (None, "boolean") => "true".into(),
            (None, _) => format!("<{}>", p.name),
        },
    }
}

fn quoted(resource: &str, p: &Param) -> String {
    format!("'{}'", example_value(resource, p))
}

/// One line of text: whitespace folded, `|` escaped for a table cell.
fn cell(s: Option<&str>) -> String {
    s.unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn where_clause(resource: &str, m: &Method) -> String {
    m.required_params()
        .map(|p| format!("{} = {}", p.name, quoted(resource, p)))
        .collect::<Vec<_>>()
        .join("\n  AND ")
}

fn example(resource: &Resource, verb: SqlVerb, m: &Method) -> String {
    let id = &resource.id;
    match verb {
        SqlVerb::Select => {
            let cols: Vec<&str> = m.columns.iter().take(3).map(|c| c.name.as_str()).collect();
            let cols = if cols.is_empty() {
                "*".to_string()
            } else {
                cols.join(", ")
            };
            let w = where_clause(id, m);
            if w.is_empty() {
                format!("SELECT {cols}\nFROM {id};")
            } else {
                format!("SELECT {cols}\nFROM {id}\nWHERE {w};")
            }
        }
        SqlVerb::Insert => {
            let mut names: Vec<String> = m.required_params().map(|p| p.name.clone()).collect();
            let mut values: Vec<String> = m.required_params().map(|p| quoted(id, p)).collect();
            if let Some(body) = &m.request_body {
                for c in &body.required_columns {
                    names.push(format!("data__{c}"));
                    // Arrays and objects are written as JSON text, so their placeholder is too.
                    let ty = body
                        .columns
                        .iter()
                        .find(|col| &col.name == c)
                        .map(|col| col.ty.as_str());
                    values.push(match ty {
                        Some("array") => format!("'[\"<{c}>\"]'"),
                        Some("object") => format!("'{{\"<{c}>\": \"…\"}}'"),
                        _ => format!("'<{c}>'"),
                    });
                }
            }
            format!(
                "INSERT INTO {id} ({})\nSELECT {};",
                names.join(", "),
                values.join(", ")
            )
        }
        SqlVerb::Delete => format!("DELETE FROM {id}\nWHERE {};", where_clause(id, m)),
        _ => {
            let args: Vec<String> = m
                .required_params()
                .map(|p| format!("@{}={}", p.name, quoted(id, p)))
                .collect();
            if args.is_empty() {
                format!("EXEC {id}.{};", m.name)
            } else {
                format!("EXEC {id}.{}\n  {};", m.name, args.join(", "))
            }
        }
    }
}

fn location(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Server => "server",
    }
}

fn params_table(out: &mut String, title: &str, params: &[&Param]) {
    if params.is_empty() {
        let _ = writeln!(out, "{title}: none.\n");
        return;
    }
    let _ = writeln!(
        out,
        "{title}:\n\n| name | type | in | description |\n|---|---|---|---|"
    );
    for p in params {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            p.name,
            p.ty,
            location(p.location),
            cell(p.description.as_deref())
        );
    }
    out.push('\n');
}

/// The Markdown page of one resource.
pub fn resource_page(resource: &Resource) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", resource.id);
    let _ = writeln!(
        out,
        "Generated by `oktaql docs` from the provider; do not edit by hand.\n"
    );
    if let Some(t) = &resource.title {
        let _ = writeln!(out, "{}\n", cell(Some(t)));
    }
    let fields = resource.select_columns();
    let _ = writeln!(out, "## Fields\n");
    if fields.is_empty() {
        let _ = writeln!(out, "No SELECT method: no fields.\n");
    } else {
        let _ = writeln!(out, "| name | type | description |\n|---|---|---|");
        for c in fields {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                c.name,
                c.ty,
                cell(c.description.as_deref())
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Methods\n");
    for m in &resource.methods {
        let verb = resource.verb_of(&m.name);
        let _ = writeln!(
            out,
            "### `{}` ({})\n\n`{} {}`{}\n",
            m.name,
            verb.as_str().to_uppercase(),
            m.http_method,
            m.path,
            m.summary
                .as_deref()
                .map(|s| format!(" — {}", cell(Some(s))))
                .unwrap_or_default()
        );
        let required: Vec<&Param> = m.required_params().collect();
        let optional: Vec<&Param> = m.optional_params().collect();
        params_table(&mut out, "Required parameters", &required);
        params_table(&mut out, "Optional parameters", &optional);
        if let Some(body) = &m.request_body {
            let cols: Vec<String> = body
                .columns
                .iter()
                .map(|c| {
                    let star = if body.required_columns.contains(&c.name) {
                        " (required)"
                    } else {
                        ""
                    };
                    format!("`data__{}`{star}", c.name)
                })
                .collect();
            let _ = writeln!(out, "Request body columns: {}.\n", cols.join(", "));
        }
        let _ = writeln!(out, "```sql\n{}\n```\n", example(resource, verb, m));
    }
    out.trim_end().to_string() + "\n"
}

/// Writes every resource's page under `dir` and an index `dir/README.md`; returns the
/// files written, index first.
pub fn write_pages(registry: &Registry, dir: &Path) -> Result<Vec<PathBuf>, ReferenceError> {
    let write = |path: &Path, text: &str| -> Result<(), ReferenceError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ReferenceError::Write {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(path, text).map_err(|source| ReferenceError::Write {
            path: path.display().to_string(),
            source,
        })
    };
    let mut index = String::from(
        "# Resource reference\n\nGenerated by `oktaql docs --out DIR`; one page per resource.\n\n",
    );
    let mut written = Vec::new();
    for provider in registry.provider_names() {
        for entry in registry.services(&provider)? {
            let service = registry.service(&provider, &entry.name)?;
            for resource in &service.resources {
                let rel = format!("{provider}/{}/{}.md", service.name, resource.name);
                let _ = writeln!(index, "- [{}]({rel})", resource.id);
                let path = dir.join(&rel);
                write(&path, &resource_page(resource))?;
                written.push(path);
            }
        }
    }
    let index_path = dir.join("README.md");
    write(&index_path, &index)?;
    written.insert(0, index_path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Resource {
        let registry = Registry::embedded();
        let svc = registry.service("okta", "apps").unwrap();
        svc.resource("secrets").unwrap().clone()
    }

    #[cfg(feature = "sandbox")]
    #[test]
    fn the_example_app_is_the_sandboxs_demo_app() {
        assert_eq!(DEMO_APP, crate::sandbox::DEMO_APP_TWO_SECRETS);
        assert_eq!(DEMO_KEY_APP, crate::sandbox::DEMO_APP_PRIVATE_KEY_JWT);
        assert_eq!(DEMO_SAML_APP, crate::sandbox::DEMO_APP_SAML);
    }

    #[test]
    fn each_method_lists_its_own_required_parameters() {
        let page = resource_page(&secrets());
        // The list method needs no secretId; the get method does.
        let list = page
            .split("### `list_oauth2_client_secrets`")
            .nth(1)
            .unwrap();
        let list = list.split("### ").next().unwrap();
        assert!(!list.contains("`secretId`"), "{list}");
        assert!(list.contains("`appId`"), "{list}");
        let get = page.split("### `get_oauth2_client_secret`").nth(1).unwrap();
        let get = get.split("### ").next().unwrap();
        assert!(get.contains("`secretId`"), "{get}");
        assert!(page.contains("| `client_secret` | string |"), "{page}");
        assert!(page.contains("EXEC okta.apps.secrets.deactivate_oauth2_client_secret"));
    }
}
