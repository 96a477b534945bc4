use super::*;

fn token_org(name: &str, url: &str) -> Org {
    Org {
        name: name.into(),
        url: url.into(),
        credential: Credential::ApiToken(Secret::new("00tokenvalue-for-tests")),
        origins: vec![],
    }
}

#[test]
fn a_credential_goes_only_under_its_org_url() {
    let c = Credentials::new(
        vec![
            token_org("acme", "https://acme.okta.com"),
            token_org("sb", "http://127.0.0.1:8787/my-org"),
        ],
        None,
    );
    assert!(c.grant_for("https://acme.okta.com/api/v1/apps").is_ok());
    assert!(c.grant_for("https://ACME.okta.com:443/api/v1/apps").is_ok());
    assert!(c
        .grant_for("http://127.0.0.1:8787/my-org/api/v1/apps")
        .is_ok());
    for bad in [
        "https://acme.okta.com.evil.example/api",
        "https://globex.okta.com/api/v1/apps",
        "http://acme.okta.com/api/v1/apps",
        "https://acme.okta.com:8443/api",
        "http://127.0.0.1:8787/my-org2/api/v1/apps",
        "http://127.0.0.1:8787/other/api/v1/apps",
        "http://127.0.0.1:8788/my-org/api",
    ] {
        let e = c.grant_for(bad).unwrap_err();
        assert!(matches!(e, AuthError::NoCredentials { .. }), "{bad}: {e}");
        assert!(e.to_string().contains("OKTA_CLIENT_ORGURL"), "{e}");
    }
}

#[test]
fn a_loose_token_goes_to_one_okta_org_per_run() {
    let c = Credentials::default().with_loose_token("00loose-token-x", "OKTA_API_TOKEN", None);
    let e = c
        .grant_for("https://login.attacker.example/api/v1/apps")
        .unwrap_err();
    assert!(matches!(e, AuthError::LooseTokenForeignHost { .. }), "{e}");
    assert!(e.to_string().contains("custom domain"), "{e}");
    assert!(c.grant_for("https://acme.okta.com/api/v1/apps").is_ok());
    assert!(c
        .grant_for("https://acme.okta.com/api/v1/apps/0oa1")
        .is_ok());
    let e = c
        .grant_for("https://globex.okta.com/api/v1/apps")
        .unwrap_err();
    assert!(matches!(e, AuthError::LooseTokenBound { .. }), "{e}");
    assert!(e.to_string().contains("one org per run"), "{e}");
    assert!(c.grant_for("http://acme.okta.com/api").is_err());
    assert!(c.grant_for("https://a.b.okta.com/api").is_err());
}

#[test]
fn a_loose_token_with_a_template_serves_that_server_only() {
    let t = "http://127.0.0.1:8787/{subdomain}".to_string();
    let c = Credentials::default().with_loose_token("sandbox-token", "OKTA_API_TOKEN", Some(t));
    assert!(c
        .grant_for("http://127.0.0.1:8787/my-org/api/v1/apps")
        .is_ok());
    assert!(c
        .grant_for("http://127.0.0.1:8787/globex/api/v1/apps")
        .is_ok());
    assert!(c
        .grant_for("http://127.0.0.1:9999/my-org/api/v1/apps")
        .is_err());
    assert!(c.grant_for("https://acme.okta.com/api/v1/apps").is_err());
    assert_eq!(
        template_org(
            "https://{subdomain}.okta.com/",
            "https://acme.okta.com/api/v1"
        ),
        Some("https://acme.okta.com".into())
    );
    assert_eq!(
        template_org("https://{subdomain}.okta.com/", "https://a.evil.com/x"),
        None
    );
    assert_eq!(
        template_org(
            "https://{subdomain}.okta.com/",
            "https://a.okta.com.evil.com/x"
        ),
        None
    );
}

#[test]
fn missing_scopes_are_refused_and_needed_ones_recorded() {
    let app = ServiceApp {
        client_id: "0oaservice".into(),
        key: SigningKey::generate_es256(),
        key_id: None,
        scopes: vec!["okta.apps.read".into()],
        dpop: false,
    };
    let org = Org {
        name: "acme".into(),
        url: "https://acme.okta.com".into(),
        credential: Credential::ServiceApp(Box::new(app)),
        origins: vec![],
    };
    let c = Credentials::new(vec![org], None);
    let url = "https://acme.okta.com/api/v1/apps/0oa1/credentials/secrets";
    let e = c
        .check("delete_secret", url, &["okta.apps.manage".into()])
        .unwrap_err();
    assert!(
        e.to_string().contains("needs scope okta.apps.manage"),
        "{e}"
    );
    assert!(e.to_string().contains("configured: okta.apps.read"), "{e}");
    c.check("list_secrets", url, &["okta.apps.read".into()])
        .unwrap();
    let (o, Credential::ServiceApp(a)) = (&c.orgs()[0], &c.orgs()[0].credential) else {
        panic!()
    };
    assert_eq!(c.scopes_for(o, a), vec!["okta.apps.read".to_string()]);
    assert!(!format!("{:?}", c.orgs()).contains("00tokenvalue"));
}

#[test]
fn a_parsed_url_gets_the_same_credential_as_its_text() {
    let c = Credentials::new(
        vec![
            token_org("acme", "https://acme.okta.com"),
            token_org("sb", "http://127.0.0.1:8787/my-org"),
            token_org("deep", "http://127.0.0.1:8787/my-org/deeper"),
            token_org("broken", "not a url"),
        ],
        None,
    );
    for url in [
        "https://acme.okta.com/api/v1/apps",
        "https://ACME.okta.com:443/api/v1/apps",
        "http://127.0.0.1:8787/my-org",
        "http://127.0.0.1:8787/my-org/api/v1/apps",
        "http://127.0.0.1:8787/my-org/deeper/api",
        "http://127.0.0.1:8787/my-orgdeeper/api",
        "https://acme.okta.com.evil.example/api",
        "http://127.0.0.1:8788/my-org/api",
        "http://localhost:8787/my-org/api",
    ] {
        let parsed = Url::parse(url).unwrap();
        let org = |g: Result<Grant<'_>, AuthError>| match g {
            Ok(Grant::Token { org, .. }) => org.to_string(),
            Ok(Grant::ServiceApp(o, _)) => o.url.clone(),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(
            org(c.grant_for(url)),
            org(c.grant_for_url(&parsed)),
            "{url}"
        );
    }
    // The longest org URL a request lies under wins; a URL that does not parse takes none.
    let deep = c
        .grant_for("http://127.0.0.1:8787/my-org/deeper/api")
        .unwrap();
    assert!(matches!(
        deep,
        Grant::Token {
            org: "http://127.0.0.1:8787/my-org/deeper",
            ..
        }
    ));
    assert!(c
        .grant_for("http://127.0.0.1:8787/my-orgdeeper/api")
        .is_err());
}
