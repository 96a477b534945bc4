-- registries: embedded, stackql
-- An OAuth 2.0 client's JSON Web Keys: the same SQL plans the same in both documents.
SELECT id, kid, status, kty, use, created FROM okta.apps.jwks WHERE subdomain = 'acme' AND appId = '0oa1';

SELECT id, status FROM okta.apps.jwks WHERE subdomain = 'acme' AND appId = '0oa1' AND keyId = 'pks1';

-- fan-out over apps, residual on status
SELECT appId, count(*) FROM okta.apps.jwks WHERE subdomain = 'acme' AND appId IN ('0oa1', '0oa2') AND status = 'ACTIVE' GROUP BY appId;

SELECT id FROM okta.apps.jwks WHERE subdomain = 'acme';

INSERT INTO okta.apps.jwks (data__kid, data__kty, data__alg, data__use, data__e, data__n, data__status, subdomain, appId)
SELECT 'key-2026', 'RSA', 'RS256', 'sig', 'AQAB', 'sXch', 'INACTIVE', 'acme', '0oa1'
RETURNING id, kid, status;

INSERT INTO okta.apps.jwks (data__kty, data__status, subdomain, appId) SELECT 'RSA', 'PENDING', 'acme', '0oa1';

INSERT INTO okta.apps.jwks (data__d, subdomain, appId) SELECT 'private', 'acme', '0oa1';

DELETE FROM okta.apps.jwks WHERE subdomain = 'acme' AND appId = '0oa1' AND keyId = 'pks1';

DELETE FROM okta.apps.jwks WHERE subdomain = 'acme' AND appId = '0oa1' AND status = 'INACTIVE';

EXEC okta.apps.jwks.activate_oauth2_client_json_web_key @subdomain='acme', @appId='0oa1', @keyId='pks1';

EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='acme', @appId='0oa1', @keyId='pks1';

EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='acme', @appId='0oa1';
