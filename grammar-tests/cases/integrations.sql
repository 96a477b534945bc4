-- registries: embedded, stackql
-- API service integrations and their secrets: the same SQL plans the same in both documents.
SELECT id, name, type, grantedScopes, createdAt FROM okta.integrations.instances WHERE subdomain = 'acme';

SELECT id, name FROM okta.integrations.instances WHERE subdomain = 'acme' AND apiServiceId = '0oa1';

INSERT INTO okta.integrations.instances (data__type, data__grantedScopes, subdomain)
SELECT 'my_siem_export', '["okta.logs.read"]', 'acme'
RETURNING id, clientSecret;

INSERT INTO okta.integrations.instances (data__grantedScopes, subdomain) SELECT '["okta.logs.read"]', 'acme';

DELETE FROM okta.integrations.instances WHERE subdomain = 'acme' AND apiServiceId = '0oa1';

SELECT id, status, secret_hash, created FROM okta.integrations.instance_secrets WHERE subdomain = 'acme' AND apiServiceId = '0oa1';

-- fan-out over integrations, residual on status
SELECT apiServiceId, count(*) FROM okta.integrations.instance_secrets WHERE subdomain = 'acme' AND apiServiceId IN ('0oa1', '0oa2') AND status = 'ACTIVE' GROUP BY apiServiceId;

SELECT id FROM okta.integrations.instance_secrets WHERE subdomain = 'acme';

INSERT INTO okta.integrations.instance_secrets (subdomain, apiServiceId) SELECT 'acme', '0oa1' RETURNING id, client_secret;

DELETE FROM okta.integrations.instance_secrets WHERE subdomain = 'acme' AND apiServiceId = '0oa1' AND secretId = 'ocs1';

DELETE FROM okta.integrations.instance_secrets WHERE subdomain = 'acme' AND apiServiceId = '0oa1';

EXEC okta.integrations.instance_secrets.activate_api_service_integration_instance_secret @subdomain='acme', @apiServiceId='0oa1', @secretId='ocs1';

EXEC okta.integrations.instance_secrets.deactivate_api_service_integration_instance_secret @subdomain='acme', @apiServiceId='0oa1', @secretId='ocs1';
