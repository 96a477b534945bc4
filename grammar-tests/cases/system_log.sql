-- registries: embedded, stackql
-- The System Log: query parameters bound from WHERE, the rest left to SQL.
SELECT published, eventType, displayMessage FROM okta.logs.system_log_events
WHERE subdomain = 'acme' AND since = '2026-11-01T00:00:00Z' AND until = '2026-12-01T00:00:00Z'
  AND filter = 'eventType eq "app.oauth2.credentials.lifecycle.deactivate"';

SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND q = 'client secret' AND sortOrder = 'DESCENDING' AND "limit" = 50;

SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND sortOrder = 'UP';

SELECT uuid FROM okta.logs.system_log_events;

DELETE FROM okta.logs.system_log_events WHERE subdomain = 'acme';
