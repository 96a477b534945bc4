SHOW SERVICES IN okta;
SHOW RESOURCES IN okta.apps;
SHOW METHODS IN okta.apps.secrets;
DESCRIBE okta.apps.secrets;
DESCRIBE EXTENDED okta.apps.secrets;
SHOW METHODS IN okta.apps.nothing;
