-- registry: fixture
-- A parameter named like a response column binds through its own column, param__id.
SELECT id, type FROM okta.users.user_groups WHERE subdomain = 'acme' AND id = '00u1';
SELECT param__id, id FROM okta.users.user_groups WHERE subdomain = 'acme' AND id IN ('00u1', '00u2');
SELECT g.id FROM okta.users.user_groups AS g WHERE g.subdomain = 'acme' AND (g.id = '00u1') AND g.id LIKE '00g%';
-- A join binds it from the other table's rows, and pairs rows through param__id.
SELECT u.id, g.id FROM okta.users.users u JOIN okta.users.user_groups g ON g.id = u.id WHERE u.subdomain = 'acme' AND g.subdomain = 'acme';
-- The get method's own id: the condition binds it, the response's id is the same value.
SELECT id, status FROM okta.users.users WHERE subdomain = 'acme' AND id = '00u1';
-- SELECT * lists the declared columns and the parameters; _extra only when named.
SELECT * FROM okta.users.user_groups WHERE subdomain = 'acme' AND id = '00u1';
SELECT g.*, _extra FROM okta.users.user_groups g WHERE subdomain = 'acme' AND id = '00u1';
-- Arrays of scalars: one value column.
SELECT value FROM okta.brands.sign_in_widget_versions WHERE subdomain = 'acme' AND brandId = 'bnd1';
SELECT * FROM okta.brands.theme_counts WHERE subdomain = 'acme' AND brandId = 'b' AND themeId = 't';
DESCRIBE okta.users.user_groups;
-- Rows inside the answer, at the method's objectKey.
SELECT factorType FROM okta.users.factor_catalog WHERE subdomain = 'acme' AND userId = '00u1' LIMIT 2;
