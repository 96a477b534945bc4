//! A forgiving lexer over shell input, for completion and history redaction.
//!
//! Unlike the statement parser it never fails: half-typed strings and comments run to the
//! end of the input. Tokens carry byte ranges into the input so callers can rewrite or
//! complete in place.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A bare word: keyword, identifier, dotted name (`okta.apps.secrets`), `@param`,
    /// `@@json` or number.
    Word,
    /// A `'…'` string literal (maybe unterminated).
    Str,
    /// A `"…"` or `` `…` `` quoted identifier (maybe unterminated).
    Quoted,
    /// A `--` or `/* */` comment.
    Comment,
    /// Any other single character (`(`, `,`, `=`, `;`, …).
    Punct,
}

/// One token: its kind and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Where it is in the input.
    pub range: Range<usize>,
    /// For strings and quoted identifiers: whether the closing quote is present.
    pub closed: bool,
}

impl Token {
    /// The token's text.
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        &input[self.range.clone()]
    }

    /// The content of a string literal without its quotes and with `''` unescaped.
    pub fn string_value(&self, input: &str) -> String {
        let text = self.text(input);
        if let Some(tag_len) = dollar_tag(text) {
            let end = if self.closed {
                text.len() - tag_len
            } else {
                text.len()
            };
            return text[tag_len..end.max(tag_len)].to_string();
        }
        let inner = text.strip_prefix('\'').unwrap_or(text);
        let inner = if self.closed {
            inner.strip_suffix('\'').unwrap_or(inner)
        } else {
            inner
        };
        inner.replace("''", "'")
    }

    /// Whether this is the punctuation character `c`.
    pub fn is_punct(&self, input: &str, c: char) -> bool {
        self.kind == Kind::Punct && self.text(input).starts_with(c)
    }

    /// Whether this is a word equal to `word`, ignoring case.
    pub fn is_word(&self, input: &str, word: &str) -> bool {
        self.kind == Kind::Word && self.text(input).eq_ignore_ascii_case(word)
    }
}

/// The length of a dollar-quote opener (`$$`, `$tag$`) at the start of `text`.
fn dollar_tag(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('$')?;
    let tag_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (rest[tag_len..].starts_with('$') && !rest.starts_with(|c: char| c.is_ascii_digit()))
        .then_some(tag_len + 2)
}

/// Characters that make up a bare word.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '$')
}

/// Splits `input` into tokens, skipping whitespace.
pub fn tokens(input: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let bytes = input.as_bytes();
    let mut chars = input.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let next_is = |ch: u8| bytes.get(at + 1) == Some(&ch);
        let (kind, end, closed) = if c == '-' && next_is(b'-') {
            let end = input[at..].find('\n').map_or(input.len(), |i| at + i);
            (Kind::Comment, end, true)
        } else if c == '/' && next_is(b'*') {
            match input[at + 2..].find("*/") {
                Some(i) => (Kind::Comment, at + 2 + i + 2, true),
                None => (Kind::Comment, input.len(), false),
            }
        } else if let Some(tag_len) = dollar_tag(&input[at..]) {
            // `$$…$$` / `$tag$…$tag$`: a string literal.
            let tag = &input[at..at + tag_len];
            match input[at + tag_len..].find(tag) {
                Some(i) => (Kind::Str, at + tag_len + i + tag_len, true),
                None => (Kind::Str, input.len(), false),
            }
        } else if matches!(c, '\'' | '"' | '`') {
            let mut end = input.len();
            let mut closed = false;
            let mut i = at + 1;
            while i < bytes.len() {
                if bytes[i] == c as u8 {
                    if bytes.get(i + 1) == Some(&(c as u8)) {
                        i += 2;
                        continue;
                    }
                    end = i + 1;
                    closed = true;
                    break;
                }
                i += 1;
            }
            let kind = if c == '\'' { Kind::Str } else { Kind::Quoted };
            (kind, end, closed)
        } else if is_word_char(c) {
            let mut end = at + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !is_word_char(n) {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            out.push(Token {
                kind: Kind::Word,
                range: at..end,
                closed: true,
            });
            continue;
        } else {
            (Kind::Punct, at + c.len_utf8(), true)
        };
        // Skip the characters the token consumed.
        while let Some(&(i, _)) = chars.peek() {
            if i >= end {
                break;
            }
            chars.next();
        }
        out.push(Token {
            kind,
            range: at..end,
            closed,
        });
    }
    out
}

/// The tokens of the statement around byte `pos`: from after the last `;` before `pos` to
/// the first `;` at or after it.
pub fn statement_at(tokens: &[Token], input: &str, pos: usize) -> Range<usize> {
    let mut start = 0;
    let mut end = tokens.len();
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct(input, ';') {
            if t.range.start < pos {
                start = i + 1;
            } else {
                end = i;
                break;
            }
        }
    }
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(Kind, &str)> {
        tokens(input)
            .into_iter()
            .map(|t| (t.kind, &input[t.range]))
            .collect()
    }

    #[test]
    fn words_strings_comments_and_punctuation() {
        assert_eq!(
            kinds("SELECT id, 'it''s' FROM okta.apps.secrets -- x\n/* y */;"),
            vec![
                (Kind::Word, "SELECT"),
                (Kind::Word, "id"),
                (Kind::Punct, ","),
                (Kind::Str, "'it''s'"),
                (Kind::Word, "FROM"),
                (Kind::Word, "okta.apps.secrets"),
                (Kind::Comment, "-- x"),
                (Kind::Comment, "/* y */"),
                (Kind::Punct, ";"),
            ]
        );
    }

    #[test]
    fn unterminated_strings_run_to_the_end() {
        let input = "SELECT 'abc";
        let t = tokens(input);
        assert_eq!(t[1].kind, Kind::Str);
        assert!(!t[1].closed);
        assert_eq!(t[1].string_value(input), "abc");
    }

    #[test]
    fn exec_arguments_are_words() {
        assert_eq!(
            kinds("EXEC a.b.c.m @appId='x'"),
            vec![
                (Kind::Word, "EXEC"),
                (Kind::Word, "a.b.c.m"),
                (Kind::Word, "@appId"),
                (Kind::Punct, "="),
                (Kind::Str, "'x'"),
            ]
        );
    }

    #[test]
    fn statement_bounds() {
        let input = "SELECT 1; SELECT 2; SELECT 3";
        let t = tokens(input);
        let r = statement_at(&t, input, 12);
        assert_eq!(t[r.start].text(input), "SELECT");
        assert_eq!(t[r.start + 1].text(input), "2");
        assert_eq!(r.len(), 2);
        let r = statement_at(&t, input, input.len());
        assert_eq!(t[r.start + 1].text(input), "3");
    }
}
