SELECT id, label, status FROM okta.apps.applications WHERE subdomain = 'acme';
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND appId = '0oa1';
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND q = 'Pay' AND "limit" = 50;
SELECT a.label, s.id FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = '0oa1' AND s.subdomain = 'acme' WHERE a.subdomain = 'acme' AND a.id = '0oa1';
