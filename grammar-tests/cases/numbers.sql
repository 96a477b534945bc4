-- Numbers are sent with the digits written, even beyond what a double holds.
EXEC okta.apps.applications.list_applications @subdomain='acme' @limit=99999999999999999999999;
EXEC okta.apps.applications.list_applications @subdomain='acme' @limit=18446744073709551615;
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = 99999999999999999999999;
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = -99999999999999999999999;
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = 9223372036854775808;
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = 0.1000000000000000000001;
SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = 1.50;
