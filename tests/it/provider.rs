//! The provider loader against both registries (the compiled-in one and StackQL's), and
//! against small hand-made registries that are incomplete, misspelt or malicious.

use crate::common::registry;

use std::path::{Path, PathBuf};

use oktaql::provider::{
    Method, ParamLocation, ProviderError, Registry, ResponseShape, Service, SqlVerb,
};

/// StackQL's registry, or `None` (with a notice naming `what`) when it is not checked out.
fn stackql_root(what: &str) -> Option<PathBuf> {
    registry::reference_registry(what)
}

/// oktaql's own provider, and StackQL's registry when it is checked out.
fn registries() -> Vec<(&'static str, Registry)> {
    let mut out = vec![("embedded", Registry::embedded())];
    if let Some(root) = stackql_root("provider tests against StackQL's registry") {
        out.push((
            "stackql",
            Registry::from_dir(&root).expect("StackQL registry loads"),
        ));
    }
    out
}

fn required(m: &Method) -> Vec<&str> {
    m.required_params().map(|p| p.name.as_str()).collect()
}

/// Method, HTTP verb, path, success status, response shape, required params.
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    u16,
    ResponseShape,
    &'static [&'static str],
);

const SECRETS: [Expected; 6] = [
    (
        "list_oauth2_client_secrets",
        "GET",
        "/api/v1/apps/{appId}/credentials/secrets",
        200,
        ResponseShape::Array,
        &["subdomain", "appId"],
    ),
    (
        "get_oauth2_client_secret",
        "GET",
        "/api/v1/apps/{appId}/credentials/secrets/{secretId}",
        200,
        ResponseShape::Object,
        &["subdomain", "appId", "secretId"],
    ),
    (
        "create_oauth2_client_secret",
        "POST",
        "/api/v1/apps/{appId}/credentials/secrets",
        201,
        ResponseShape::Object,
        &["subdomain", "appId"],
    ),
    (
        "delete_oauth2_client_secret",
        "DELETE",
        "/api/v1/apps/{appId}/credentials/secrets/{secretId}",
        204,
        ResponseShape::Empty,
        &["subdomain", "appId", "secretId"],
    ),
    (
        "activate_oauth2_client_secret",
        "POST",
        "/api/v1/apps/{appId}/credentials/secrets/{secretId}/lifecycle/activate",
        200,
        ResponseShape::Object,
        &["subdomain", "appId", "secretId"],
    ),
    (
        "deactivate_oauth2_client_secret",
        "POST",
        "/api/v1/apps/{appId}/credentials/secrets/{secretId}/lifecycle/deactivate",
        200,
        ResponseShape::Object,
        &["subdomain", "appId", "secretId"],
    ),
];

#[test]
fn secrets_methods_have_the_right_params_paths_and_shapes() {
    for (label, registry) in registries() {
        let (service, index) = registry.resource("okta", "apps", "secrets").unwrap();
        let secrets = &service.resources[index];
        assert_eq!(secrets.id, "okta.apps.secrets", "{label}");
        for (name, verb, path, status, shape, params) in SECRETS {
            let m = secrets
                .method(name)
                .unwrap_or_else(|| panic!("{label}: {name}"));
            assert_eq!(m.http_method, verb, "{label} {name}");
            assert_eq!(m.path, path, "{label} {name}");
            assert_eq!(m.response_status, status, "{label} {name}");
            assert_eq!(m.response_shape, shape, "{label} {name}");
            assert_eq!(required(m), params, "{label} {name}");
            let subdomain = &m.params[0];
            assert_eq!(subdomain.location, ParamLocation::Server, "{label} {name}");
            assert_eq!(
                subdomain.default.as_deref(),
                Some("my-org"),
                "{label} {name}"
            );
            assert!(m.params[1..]
                .iter()
                .all(|p| p.location == ParamLocation::Path));
            assert_eq!(m.object_key, None);
            if shape == ResponseShape::Empty {
                assert!(m.columns.is_empty(), "{label} {name}");
                continue;
            }
            let columns: Vec<&str> = m.columns.iter().map(|c| c.name.as_str()).collect();
            for expected in [
                "id",
                "status",
                "client_secret",
                "secret_hash",
                "created",
                "lastUpdated",
                "_links",
            ] {
                assert!(columns.contains(&expected), "{label} {name}: {columns:?}");
            }
            let column = |n: &str| m.columns.iter().find(|c| c.name == n).unwrap();
            assert_eq!(column("_links").ty, "object", "{label}");
            assert_eq!(column("created").ty, "string", "{label}");
            assert_eq!(
                column("status").enum_values,
                ["ACTIVE", "INACTIVE"],
                "{label}"
            );
            assert!(column("secret_hash").description.is_some(), "{label}");
        }
        let create = secrets.method("CREATE_OAUTH2_CLIENT_SECRET").unwrap();
        let body = create.request_body.as_ref().expect("create takes a body");
        assert_eq!(body.media_type, "application/json");
        let body_columns: Vec<&str> = body.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(body_columns, ["client_secret", "status"], "{label}");
        assert_eq!(
            body.columns[1].enum_values,
            ["ACTIVE", "INACTIVE"],
            "{label}"
        );

        let names = |verb| -> Vec<&str> {
            secrets
                .methods_for(verb)
                .iter()
                .map(|m| m.name.as_str())
                .collect()
        };
        assert_eq!(
            names(SqlVerb::Select),
            ["list_oauth2_client_secrets", "get_oauth2_client_secret"],
            "{label}"
        );
        assert_eq!(names(SqlVerb::Insert), ["create_oauth2_client_secret"]);
        assert_eq!(names(SqlVerb::Delete), ["delete_oauth2_client_secret"]);
        assert!(names(SqlVerb::Update).is_empty());
        assert!(names(SqlVerb::Replace).is_empty());
        assert_eq!(
            secrets.verb_of("activate_oauth2_client_secret"),
            SqlVerb::Exec
        );
        assert_eq!(secrets.select_columns().len(), 7, "{label}");
    }
}

#[test]
fn applications_list_and_get() {
    for (label, registry) in registries() {
        let service = registry.service("OKTA", "Apps").unwrap();
        let apps = service.find_resource("applications").unwrap();
        assert_eq!(apps.id, "okta.apps.applications");

        let list = apps.find_method("list_applications").unwrap();
        assert_eq!(
            (list.http_method.as_str(), list.path.as_str()),
            ("GET", "/api/v1/apps")
        );
        assert_eq!(list.response_shape, ResponseShape::Array);
        assert_eq!(required(list), ["subdomain"], "{label}");
        let optional: Vec<&str> = list.optional_params().map(|p| p.name.as_str()).collect();
        for q in [
            "q",
            "after",
            "limit",
            "filter",
            "expand",
            "includeNonDeleted",
            "useOptimization",
        ] {
            assert!(optional.contains(&q), "{label}: {optional:?}");
            assert_eq!(list.param(q).unwrap().location, ParamLocation::Query);
        }
        assert_eq!(list.param("LIMIT").unwrap().ty, "integer");
        assert_eq!(
            list.param("includenondeleted").unwrap().default.as_deref(),
            Some("false")
        );

        let get = apps.method("get_application").unwrap();
        assert_eq!(get.path, "/api/v1/apps/{appId}");
        assert_eq!(get.response_shape, ResponseShape::Object);
        assert_eq!(required(get), ["subdomain", "appId"], "{label}");
        assert_eq!(get.param("expand").unwrap().location, ParamLocation::Query);

        for m in [list, get] {
            let column = |n: &str| {
                m.columns
                    .iter()
                    .find(|c| c.name == n)
                    .unwrap_or_else(|| panic!("{label} {}: no column {n}", m.name))
            };
            let mut expected = vec![
                ("id", "string"),
                ("label", "string"),
                ("status", "string"),
                ("signOnMode", "string"),
                ("created", "string"),
                ("lastUpdated", "string"),
                ("features", "array"),
                ("visibility", "object"),
                ("accessibility", "object"),
                ("_links", "object"),
                ("_embedded", "object"),
            ];
            if label == "embedded" {
                // StackQL's Application keeps these in per-sign-on-mode subtypes that its
                // document leaves out; ours has them on the app itself.
                expected.extend([
                    ("name", "string"),
                    ("credentials", "object"),
                    ("settings", "object"),
                ]);
            }
            for (name, ty) in expected {
                assert_eq!(column(name).ty, ty, "{label} {}.{name}", m.name);
            }
            assert!(column("status").enum_values.contains(&"ACTIVE".to_string()));
        }
        assert_eq!(
            apps.methods_for(SqlVerb::Select)
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>(),
            ["list_applications", "get_application"]
        );
        for lifecycle in ["activate_application", "deactivate_application"] {
            let m = apps.method(lifecycle).unwrap();
            assert_eq!(m.http_method, "POST");
            assert_eq!(
                m.response_shape,
                ResponseShape::Empty,
                "{label} {lifecycle}"
            );
            assert_eq!(required(m), ["subdomain", "appId"], "{label} {lifecycle}");
            assert_eq!(apps.verb_of(lifecycle), SqlVerb::Exec);
        }
    }
}

#[test]
fn discovery_and_auth() {
    let embedded = Registry::embedded();
    assert_eq!(embedded.provider_names(), ["okta"]);
    let services = embedded.services("okta").unwrap();
    assert_eq!(services.len(), 3);
    assert_eq!(services[0].name, "apps");
    assert_eq!(services[1].name, "logs");
    assert_eq!(services[2].name, "integrations");
    assert!(services[0].title.is_some() && services[0].description.is_some());
    let info = embedded.provider("okta").unwrap();
    assert_eq!(info.version, "v00.00.00000");
    assert!(embedded.provider_description("okta").unwrap().is_some());

    let service = embedded.service("okta", "apps").unwrap();
    assert!(service.title.is_some());
    let server = &service.servers[0];
    assert_eq!(server.url, "https://{subdomain}.okta.com/");
    let subdomain = &server.variables["subdomain"];
    assert_eq!(subdomain.default.as_deref(), Some("my-org"));
    assert!(subdomain
        .description
        .as_deref()
        .unwrap()
        .contains("full host"));

    for (label, registry) in registries() {
        let auth = registry.auth("okta").unwrap();
        assert_eq!(auth.credentials_env_var, "OKTA_API_TOKEN", "{label}");
        assert_eq!(auth.value_prefix, "SSWS ", "{label}");
    }
    let Some(root) = stackql_root("discovery_and_auth: StackQL's services") else {
        return;
    };
    let stackql = Registry::from_dir(&root).unwrap();
    assert!(stackql.services("okta").unwrap().len() > 40);
    // Loaded once, then shared.
    let a = stackql.service("okta", "apps").unwrap();
    let b = stackql.clone().service("okta", "APPS").unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

#[test]
fn stackql_apps_parses_completely() {
    let Some(root) = stackql_root("stackql_apps_parses_completely") else {
        return;
    };
    let registry = Registry::from_dir(&root).unwrap();
    let service: std::sync::Arc<Service> = registry.service("okta", "apps").unwrap();
    assert!(service.resources.len() > 10);
    for resource in &service.resources {
        assert!(!resource.methods.is_empty(), "{}", resource.id);
        for method in &resource.methods {
            for name in method
                .path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
            {
                let p = method
                    .param(name)
                    .unwrap_or_else(|| panic!("{}: {name}", method.name));
                assert!(p.required, "{}.{name}", method.name);
            }
        }
    }
}

#[test]
fn unknown_names_suggest_the_nearest() {
    let registry = Registry::embedded();
    let err = registry.resource("okta", "apps", "secret").unwrap_err();
    match &err {
        ProviderError::Unknown {
            kind,
            name,
            suggestion,
        } => {
            assert_eq!(*kind, "resource");
            assert_eq!(name, "okta.apps.secret");
            assert_eq!(suggestion.as_deref(), Some("okta.apps.secrets"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("did you mean okta.apps.secrets?"),
        "{err}"
    );

    let err = registry.resource("okta", "appz", "secrets").unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown service okta.appz (did you mean okta.apps?)"),
        "{err}"
    );
    let err = registry.resource("otka", "apps", "secrets").unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown provider otka (did you mean okta?)"),
        "{err}"
    );
    let err = registry.resource("okta", "apps", "users").unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Unknown {
                suggestion: None,
                ..
            }
        ),
        "{err}"
    );

    let (service, i) = registry.resource("okta", "apps", "SECRETS").unwrap();
    let err = service.resources[i]
        .find_method("list_oauth2_client_secret")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("did you mean okta.apps.secrets.list_oauth2_client_secrets?"),
        "{err}"
    );
}

/// Writes `files` (path → text) below a fresh directory.
fn registry_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let registry = Registry::from_dir(dir.path()).unwrap();
    (dir, registry)
}

const PROVIDER: &str = "\
providerServices:
  apps:
    service: {$ref: okta/v1/services/apps.yaml}
  users:
    service: {$ref: okta/v1/services/users.yaml}
config:
  auth: {credentialsenvvar: OKTA_API_TOKEN, valuePrefix: 'SSWS '}
";

fn service_doc(schema_section: &str) -> String {
    format!(
        "\
paths:
  /things/{{id}}:
    get:
      responses:
        '200':
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Thing'}}
components:
  schemas:
{schema_section}
  x-stackQL-resources:
    things:
      methods:
        get:
          operation: {{$ref: '#/paths/~1things~1{{id}}/get'}}
          response: {{mediaType: application/json, openAPIDocKey: '200'}}
      sqlVerbs: {{select: [{{$ref: '#/components/x-stackQL-resources/things/methods/get'}}]}}
"
    )
}

#[test]
fn missing_service_files_fail_only_when_used() {
    let apps = service_doc("    Thing: {type: object, properties: {id: {type: string}}}");
    let (_dir, registry) = registry_with(&[
        ("okta/v1/provider.yaml", PROVIDER),
        ("okta/v1/services/apps.yaml", &apps),
    ]);
    assert_eq!(registry.services("okta").unwrap().len(), 2);
    let things = registry.resource("okta", "apps", "things").unwrap();
    let method = &things.0.resources[things.1].methods[0];
    // Undeclared path parameters are still required; no servers means no server params.
    assert_eq!(required(method), ["id"]);
    let err = registry.service("okta", "users").unwrap_err();
    assert!(matches!(err, ProviderError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("users.yaml"), "{err}");
}

#[test]
fn newest_version_wins() {
    let apps = service_doc("    Thing: {type: object, properties: {new: {type: string}}}");
    let old = service_doc("    Thing: {type: object, properties: {old: {type: string}}}");
    let provider = |v: &str| PROVIDER.replace("okta/v1/", &format!("okta/{v}/"));
    let (_dir, registry) = registry_with(&[
        ("okta/v2.0.10/provider.yaml", &provider("v2.0.10")),
        ("okta/v2.0.10/services/apps.yaml", &apps),
        ("okta/v2.0.9/provider.yaml", &provider("v2.0.9")),
        ("okta/v2.0.9/services/apps.yaml", &old),
        ("okta/v3/services/apps.yaml", &old), // no provider.yaml: not a version
    ]);
    assert_eq!(registry.provider("okta").unwrap().version, "v2.0.10");
    let service = registry.service("okta", "apps").unwrap();
    assert_eq!(service.resources[0].methods[0].columns[0].name, "new");
}

#[test]
fn malformed_documents_are_errors_not_panics() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "ref cycle",
            service_doc("    Thing: {$ref: '#/components/schemas/Other'}\n    Other: {$ref: '#/components/schemas/Thing'}"),
            "cycle",
        ),
        (
            "allOf cycle",
            service_doc("    Thing: {allOf: [{$ref: '#/components/schemas/Thing'}]}"),
            "cycle",
        ),
        (
            "dangling ref",
            service_doc("    Thing: {$ref: '#/components/schemas/Nope'}"),
            "no 'Nope' under '#/components/schemas'",
        ),
        ("garbage", "paths: [\n  {".to_string(), "not valid YAML"),
        ("a list", "- 1\n- 2\n".to_string(), "must be a mapping"),
        (
            "no resources",
            "openapi: 3.0.3\npaths: {}\n".to_string(),
            "x-stackQL-resources",
        ),
        (
            "bad operation ref",
            service_doc("    Thing: {}").replace("~1things~1{id}/get", "~1nowhere/get"),
            "no '/nowhere' under '#/paths'",
        ),
        (
            "bad sql verb",
            service_doc("    Thing: {}").replace("things/methods/get'", "things/methods/gett'"),
            "names no method",
        ),
        (
            "properties not a map",
            service_doc("    Thing: {properties: [1, 2]}"),
            "'properties' must be a mapping",
        ),
    ];
    for (label, text, expected) in cases {
        let (_dir, registry) = registry_with(&[
            ("okta/v1/provider.yaml", PROVIDER),
            ("okta/v1/services/apps.yaml", &text),
        ]);
        let err = registry.service("okta", "apps").unwrap_err();
        assert!(
            matches!(err, ProviderError::Invalid { .. }),
            "{label}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("apps.yaml"), "{label}: {message}");
        assert!(message.contains(expected), "{label}: {message}");
    }

    let (_dir, registry) = registry_with(&[("okta/v1/provider.yaml", "providerServices: 3")]);
    assert!(registry.services("okta").is_err());
    let (_dir, registry) = registry_with(&[(
        "okta/v1/provider.yaml",
        "providerServices:\n  apps:\n    service: {$ref: ../../../etc/passwd}\n",
    )]);
    assert!(registry
        .services("okta")
        .unwrap_err()
        .to_string()
        .contains("relative path"));
    assert!(Registry::from_dir(Path::new("/nonexistent/registry")).is_err());
    let empty = tempfile::tempdir().unwrap();
    assert!(Registry::from_dir(empty.path()).is_err());
}

#[test]
fn registry_is_shareable_across_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Registry>();
    // StackQL's registry when present; the repository's own StackQL-layout fixture always.
    let mut roots = vec![registry::fixture_registry()];
    roots.extend(stackql_root(
        "registry_is_shareable_across_threads on StackQL's registry",
    ));
    for root in roots {
        shared_across_threads(Registry::from_dir(&root).unwrap());
    }
}

fn shared_across_threads(registry: Registry) {
    let service = if registry.service("okta", "apps").is_ok() {
        "apps"
    } else {
        "users"
    };
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let r = registry.clone();
            std::thread::spawn(move || r.service("okta", service).unwrap())
        })
        .collect();
    let services: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let cached = registry.service("okta", service).unwrap();
    assert!(services.iter().all(|s| **s == *cached));
}

/// The repository's own StackQL-layout fixture loads completely: path-item parameters, the
/// column that a parameter is named like, arrays of scalars, `allOf`, and every SQL verb.
#[test]
fn the_fixture_registry_loads_in_stackql_layout() {
    let registry = Registry::from_dir(&registry::fixture_registry()).unwrap();
    let names: Vec<String> = registry
        .services("okta")
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["users", "brands"], "provider.yaml order");
    let (users, i) = registry.resource("okta", "users", "user_groups").unwrap();
    let groups = &users.resources[i];
    let list = groups.method("list_user_groups").unwrap();
    assert_eq!(required(list), ["subdomain", "id"]);
    assert_eq!(list.params[1].location, ParamLocation::Path);
    let columns: Vec<&str> = list.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "type", "profile", "priority", "tags"]);
    let (u, j) = registry.resource("okta", "users", "users").unwrap();
    let user = u.resources[j].method("get_user").unwrap();
    // allOf parts merged in order.
    let columns: Vec<&str> = user.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "id",
            "status",
            "profile",
            "created",
            "activated",
            "credentials",
            "_links"
        ]
    );
    assert_eq!(u.resources[j].methods_for(SqlVerb::Insert).len(), 2);
    assert_eq!(u.resources[j].methods_for(SqlVerb::Delete).len(), 1);
    assert_eq!(u.resources[j].verb_of("suspend_user"), SqlVerb::Exec);
    let (b, k) = registry
        .resource("okta", "brands", "sign_in_widget_versions")
        .unwrap();
    let versions = &b.resources[k].methods[0];
    assert_eq!(versions.response_shape, ResponseShape::Array);
    assert_eq!(versions.columns.len(), 1);
    assert_eq!(versions.columns[0].name, "value");
    assert_eq!(versions.columns[0].ty, "string");
}
