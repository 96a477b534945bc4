-- Joins and subqueries that bind parameters from other tables' rows.
SELECT a.label, s.id, s.status, s.created
FROM okta.apps.applications a
JOIN okta.apps.secrets s ON s.appId = a.id AND s.subdomain = a.subdomain
WHERE a.subdomain = 'my-org' AND a.signOnMode = 'OPENID_CONNECT';

SELECT appId, count(*) AS active FROM okta.apps.secrets
WHERE subdomain = 'my-org' AND status = 'ACTIVE'
  AND appId IN (SELECT id FROM okta.apps.applications WHERE subdomain = 'my-org')
GROUP BY appId HAVING count(*) > 1;

-- a join whose other side is not bound is reported
SELECT a.label, s.id FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = a.id;

-- two tables whose parameters depend on each other
SELECT 1 FROM okta.apps.secrets s JOIN okta.apps.secrets t ON s.appId = t.appId AND t.appId = s.appId WHERE s.subdomain = 'x' AND t.subdomain = 'x';
