-- registries: embedded, stackql
INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain, appId)
SELECT 'my-own-client-secret-value-0123456789', 'ACTIVE', 'acme', '0oa1b2c3'
RETURNING id, _links, client_secret, created, lastUpdated, secret_hash, status;

INSERT INTO okta.apps.secrets (subdomain, appId) VALUES ('acme', '0oa1'), ('acme', '0oa2');

INSERT INTO okta.apps.secrets (data__status, subdomain) SELECT 'ACTIVE', 'acme';

INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'DISABLED', 'acme', '0oa1';

INSERT INTO okta.apps.secrets (data__secret, subdomain, appId) SELECT 'x', 'acme', '0oa1';

INSERT INTO okta.apps.secrets (client_secret, subdomain, appId) SELECT 'x', 'acme', '0oa1';

DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1' AND secretId = 'ocs1';

DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1';

DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1' AND status = 'INACTIVE';

EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme', @appId='0oa1', @secretId='ocs1';

EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='acme', @appId='0oa1', @secretId='ocs1';

EXEC okta.apps.secrets.list_oauth2_client_secrets @subdomain='acme', @appId='0oa1';

EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme';

EXEC okta.apps.secrets.activate_secret @subdomain='acme', @appId='0oa1', @secretId='ocs1';

EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme', @appid='0oa1', @secretid='ocs1', @foo='x';
