-- registries: embedded, stackql
-- An app's signing key credentials (X.509 certificates): the same SQL plans the same in both documents.
SELECT kid, expiresAt, created FROM okta.apps.keys WHERE subdomain = 'acme' AND appId = '0oa1';

SELECT kid, x5c FROM okta.apps.keys WHERE subdomain = 'acme' AND appId = '0oa1' AND keyId = 'SIMcCQNY3uwXoW3y0vf6';

-- fan-out over apps, residual on expiresAt
SELECT appId, kid FROM okta.apps.keys WHERE subdomain = 'acme' AND appId IN ('0oa1', '0oa2') AND expiresAt < '2027-01-01';

SELECT kid FROM okta.apps.keys WHERE subdomain = 'acme';

INSERT INTO okta.apps.keys (subdomain, appId, validityYears) SELECT 'acme', '0oa1', 5 RETURNING kid, expiresAt;

INSERT INTO okta.apps.keys (subdomain, appId) SELECT 'acme', '0oa1';

INSERT INTO okta.apps.keys (data__kid, subdomain, appId, validityYears) SELECT 'mine', 'acme', '0oa1', 2;

DELETE FROM okta.apps.keys WHERE subdomain = 'acme' AND appId = '0oa1' AND keyId = 'k1';

EXEC okta.apps.keys.clone_application_key @subdomain='acme', @appId='0oa1', @keyId='k1', @targetAid='0oa2';

EXEC okta.apps.keys.clone_application_key @subdomain='acme', @appId='0oa1', @keyId='k1';
