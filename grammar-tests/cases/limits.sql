-- LIMIT pushdown: which queries stop reading pages early, and the page size they ask for.
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 5;
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 5 OFFSET 2;
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 500;
-- A condition that may reject rows: the page size stays, the rows that pass are counted.
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' AND label LIKE 'a%' LIMIT 5;
-- Conditions answered by the API reject nothing.
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1' LIMIT 1;
-- The first rows depend on every page: no pushdown.
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' ORDER BY label LIMIT 5;
SELECT DISTINCT status FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 1;
SELECT count(*) FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 1;
SELECT status FROM okta.apps.applications WHERE subdomain = 'acme' GROUP BY status LIMIT 1;
SELECT id, row_number() OVER () FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 1;
SELECT a.id FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = a.id WHERE a.subdomain = 'acme' AND s.subdomain = 'acme' LIMIT 1;
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' AND id IN (SELECT 1) LIMIT 1;
