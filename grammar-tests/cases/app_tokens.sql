-- registries: embedded, stackql
-- An app's OAuth 2.0 refresh tokens: the same SQL plans the same in both documents.
SELECT id, userId, scopes, expiresAt FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1';

SELECT id, _embedded FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1' AND expand = 'scope' AND "limit" = 50;

SELECT id, status FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1' AND tokenId = 'oar1';

-- fan-out over apps, residual on userId
SELECT appId, count(*) FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId IN ('0oa1', '0oa2') AND userId = '00u1' GROUP BY appId;

SELECT id FROM okta.apps.tokens WHERE subdomain = 'acme';

-- revoke one
DELETE FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1' AND tokenId = 'oar1';

-- revoke all of an app
DELETE FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1';

DELETE FROM okta.apps.tokens WHERE subdomain = 'acme' AND appId = '0oa1' AND userId = '00u1';

INSERT INTO okta.apps.tokens (subdomain, appId) SELECT 'acme', '0oa1';

EXEC okta.apps.tokens.revoke_oauth2_tokens_for_application @subdomain='acme', @appId='0oa1';
