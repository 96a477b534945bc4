-- Conditions on eventType and published answered by the System Log's own filter, since and
-- until, and kept as residuals (oktaql's provider only: StackQL's document declares no pushdown).
SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND eventType = 'app.oauth2.credentials.lifecycle.create';

SELECT uuid, published FROM okta.logs.system_log_events
WHERE subdomain = 'acme' AND published >= '2026-11-01T00:00:00Z' AND published < '2026-12-01T00:00:00.000Z'
  AND eventType = 'app.oauth2.credentials.lifecycle.deactivate';

-- the literal first; > is pushed as since (the residual keeps it exact)
SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND '2026-11-01T00:00:00Z' < published;

-- not pushed: <= (until is exclusive), a value that is not a time, a quote inside a filter term, an explicit filter
SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND published <= '2026-12-01T00:00:00Z';

SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND published >= 'last week';

SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND eventType = 'x" or eventType eq "y';

SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = 'acme' AND filter = 'actor.id eq "00u1"' AND eventType = 'user.session.start';
