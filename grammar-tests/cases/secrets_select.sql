-- registries: embedded, stackql
-- The seed page's SELECT examples, with the parameters Okta really requires.
SELECT id, _links, client_secret, created, lastUpdated, secret_hash, status
FROM okta.apps.secrets
WHERE subdomain = 'acme' AND appId = '0oa1b2c3';

SELECT id, _links, client_secret, created, lastUpdated, secret_hash, status
FROM okta.apps.secrets
WHERE subdomain = 'acme' AND appId = '0oa1b2c3' AND secretId = 'ocs2f4zrZbs8nUa7p0g4';

-- identifiers match case-insensitively
select ID, STATUS from OKTA.APPS.SECRETS where SUBDOMAIN = 'acme' and appid = '0oa1';

-- a full host, and a residual filter
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme.oktapreview.com' AND appId = '0oa1' AND status = 'ACTIVE' ORDER BY created DESC LIMIT 1;

-- fan-out over an IN list
SELECT appId, count(*) FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId IN ('0oa1', '0oa2', '0oa1') GROUP BY appId;

-- path parameters stay one segment
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '../../users' AND secretId = 'a/b?c';

-- only subdomain, as the seed page wrongly shows
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme';

SELECT id FROM okta.apps.secrets WHERE appId = '0oa1';

SELECT id FROM okta.apps.secrets WHERE subdomain = 'evil.example/x#' AND appId = '0oa1';

SELECT id FROM okta.apps.secrets WHERE subdomain = 'a@evil.example' AND appId = '0oa1';

SELECT id FROM okta.apps.secret WHERE subdomain = 'acme' AND appId = '0oa1';

SELECT id FROM okta.app.secrets WHERE subdomain = 'acme' AND appId = '0oa1';

SELECT secret FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1';
