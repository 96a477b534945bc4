SELECT id, label, status FROM okta.apps.applications WHERE subdomain = 'acme';
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND appId = '0oa1';
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND q = 'Pay' AND "limit" = 50;
SELECT a.label, s.id FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = '0oa1' AND s.subdomain = 'acme' WHERE a.subdomain = 'acme' AND a.id = '0oa1';
-- status = 'ACTIVE' is pushed down to Okta's filter (and still checked locally)
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND status = 'ACTIVE';
-- not an enum value: filtered locally only
SELECT id, label FROM okta.apps.applications WHERE subdomain = 'acme' AND status = 'active';
-- an explicit filter wins
SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' AND filter = 'status eq "INACTIVE"' AND status = 'ACTIVE';
