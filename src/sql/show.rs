//! `SHOW PROVIDERS | SERVICES | RESOURCES | METHODS …` and `DESCRIBE [EXTENDED] …`.

use sqlparser::tokenizer::Token;

use super::cursor::Cursor;
use super::{ObjectRef, SqlError, Statement};

/// Parses the rest of a `SHOW` statement; the `SHOW` keyword is already consumed.
pub(super) fn parse_show(cur: &mut Cursor<'_>) -> Result<Statement, SqlError> {
    if cur.peek_keyword("EXTENDED") {
        return Err(cur.error_here(
            "SHOW EXTENDED is not supported — use SHOW SERVICES/RESOURCES/METHODS IN …, or DESCRIBE EXTENDED provider.service.resource for column descriptions"
                .to_string(),
        ));
    }
    let statement = if cur.keyword("PROVIDERS") {
        Statement::ShowProviders
    } else if cur.keyword("SERVICES") {
        in_keyword(cur, "SHOW SERVICES")?;
        let mut name = cur.name_of(&["provider"], "SHOW SERVICES IN")?;
        Statement::ShowServices {
            provider: name.remove(0),
            like: like(cur)?,
        }
    } else if cur.keyword("RESOURCES") {
        in_keyword(cur, "SHOW RESOURCES")?;
        let mut name = cur.name_of(&["provider", "service"], "SHOW RESOURCES IN")?;
        let service = name.remove(1);
        Statement::ShowResources {
            provider: name.remove(0),
            service,
            like: like(cur)?,
        }
    } else if cur.keyword("METHODS") {
        in_keyword(cur, "SHOW METHODS")?;
        let name = cur.name_of(&["provider", "service", "resource"], "SHOW METHODS IN")?;
        Statement::ShowMethods {
            target: object_ref(name),
        }
    } else {
        return Err(cur.error_here(format!(
            "expected PROVIDERS, SERVICES, RESOURCES or METHODS after SHOW, found {} — e.g. SHOW RESOURCES IN okta.apps",
            cur.found()
        )));
    };
    cur.finish("SHOW")?;
    Ok(statement)
}

/// Parses the rest of `DESCRIBE`/`DESC`; the keyword (`keyword`, as written) is consumed.
pub(super) fn parse_describe(cur: &mut Cursor<'_>, keyword: &str) -> Result<Statement, SqlError> {
    let extended = cur.keyword("EXTENDED");
    let after = if extended {
        format!("{keyword} EXTENDED")
    } else {
        keyword.to_string()
    };
    let name = cur.name_of(&["provider", "service", "resource"], &after)?;
    cur.finish(keyword)?;
    Ok(Statement::Describe {
        extended,
        target: object_ref(name),
    })
}

/// `IN` (or `FROM`, which StackQL also accepts).
fn in_keyword(cur: &mut Cursor<'_>, what: &str) -> Result<(), SqlError> {
    if cur.keyword("IN") || cur.keyword("FROM") {
        Ok(())
    } else {
        Err(cur.error_here(format!(
            "expected IN after {what}, found {} — e.g. {what} IN okta{}",
            cur.found(),
            match what {
                "SHOW RESOURCES" => ".apps",
                "SHOW METHODS" => ".apps.secrets",
                _ => "",
            }
        )))
    }
}

/// An optional `LIKE 'pattern'`.
fn like(cur: &mut Cursor<'_>) -> Result<Option<String>, SqlError> {
    if !cur.keyword("LIKE") {
        return Ok(None);
    }
    match cur.peek().map(|t| t.token.clone()) {
        Some(Token::SingleQuotedString(s)) => {
            cur.next_token();
            Ok(Some(s))
        }
        _ => Err(cur.error_here(format!(
            "expected a pattern in single quotes after LIKE, found {} — e.g. LIKE '%secret%'",
            cur.found()
        ))),
    }
}

fn object_ref(mut parts: Vec<String>) -> ObjectRef {
    let resource = parts.pop().unwrap_or_default();
    let service = parts.pop().unwrap_or_default();
    let provider = parts.pop().unwrap_or_default();
    ObjectRef {
        provider,
        service,
        resource,
    }
}
