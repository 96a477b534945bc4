//! Parsed statements kept by shape: a runbook repeats the same statement with other
//! literals (`… WHERE appId = '0oa1'`, then `'0oa2'`, …), and parsing it again each time was
//! the largest part of a statement's own cost.
//!
//! A statement's *shape* is its text with every plain literal (`'text'` with `''` escapes,
//! unsigned integers) abstracted; everything else — keywords, identifiers with their case
//! and quotes, operators, whitespace, the number of literals — is kept as written. The first
//! statement of a shape is parsed in full; its tree is kept when every literal of the text
//! is found in it, at the literal's own position, with exactly the value read here (the
//! check that a literal is data to the parser). The next statement of the same shape gets a
//! copy of that tree with its own literals put in, in the same places.
//!
//! Owns: reading literals out of a statement's text, the shape key, and the cache. Must not:
//! cache anything that did not parse, or a text it cannot read with certainty (comments in
//! `/* */`, backslashes, `$`, literals with prefixes such as `E'…'` or `N'…'`, numbers with a
//! point, an exponent or a suffix): those are parsed in full every time.
//!
//! The copy's spans are those of the first statement of the shape (literals may differ in
//! length). Nothing after parsing reads spans: error positions are found in the statement's
//! text ([`super::locate`]).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use sqlparser::ast::{Value, ValueWithSpan, VisitMut, VisitorMut};

use super::{Source, SqlError, Statement};

/// Shapes kept by default (each holds one parsed statement). Raise it with
/// [`ShapeCache::new`] for runbooks of more distinct statements; 0 turns the cache off.
pub const DEFAULT_SHAPES: usize = 1024;

/// Longest statement text looked up, in bytes; longer ones (long `IN` lists) are parsed in
/// full: their shape is rarely repeated.
pub const MAX_SHAPE_TEXT: usize = 16 * 1024;

/// Parsed statements by shape, shared by the threads that plan a batch.
#[derive(Debug)]
pub struct ShapeCache {
    limit: usize,
    shapes: Mutex<HashMap<String, Shape>>,
}

#[derive(Debug, Clone)]
enum Shape {
    /// Parsed, with where each literal goes.
    Kept(Arc<Template>),
    /// Parsed, but its literals could not all be found in the tree: parse in full.
    Declined,
}

/// A parsed statement of a shape, and for each value node of its tree (in visiting order)
/// the literal of the text it holds, if any.
#[derive(Debug)]
struct Template {
    statement: Statement,
    slots: Vec<Option<usize>>,
    /// Names the shape for caches of what is worked out from its statements (plans).
    id: ShapeId,
}

/// A kept shape's number, unique within its [`ShapeCache`]: two statements with the same id
/// differ only in the values of their literals, at the same places of the same tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShapeId(pub u64);

impl Default for ShapeCache {
    fn default() -> Self {
        ShapeCache::new(DEFAULT_SHAPES)
    }
}

impl ShapeCache {
    /// A cache of at most `limit` shapes (then new shapes are parsed in full every time).
    pub fn new(limit: usize) -> ShapeCache {
        ShapeCache {
            limit,
            shapes: Mutex::new(HashMap::new()),
        }
    }

    /// How many shapes are known (kept or declined).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no shape is known yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shape>> {
        self.shapes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parses `source` as [`super::parse`] does: from a kept statement of its shape when
    /// there is one, else in full (keeping the result for the next statement of the shape).
    pub fn parse(&self, source: &Source) -> Result<Statement, SqlError> {
        self.parse_shaped(source).map(|(statement, _)| statement)
    }

    /// [`ShapeCache::parse`], with the id of the statement's shape when the shape is kept
    /// (every literal of the text found in the tree, at its place).
    pub fn parse_shaped(&self, source: &Source) -> Result<(Statement, Option<ShapeId>), SqlError> {
        self.parse_read(source, self.read(source))
    }

    /// Reads `source`'s shape and literals, and what the cache knows of the shape, without
    /// parsing it.
    pub fn read(&self, source: &Source) -> Reading {
        if self.limit == 0 || source.text.len() > MAX_SHAPE_TEXT {
            return Reading::default();
        }
        let read = read_literals(&source.text);
        let known = read.as_ref().and_then(|r| self.lock().get(&r.key).cloned());
        Reading { read, known }
    }

    /// [`ShapeCache::parse_shaped`] for a text read already by [`ShapeCache::read`].
    pub fn parse_read(
        &self,
        source: &Source,
        reading: Reading,
    ) -> Result<(Statement, Option<ShapeId>), SqlError> {
        let Some(read) = reading.read else {
            return Ok((super::parse(source)?, None));
        };
        match reading.known {
            Some(Shape::Kept(t)) => Ok((fill(&t, &read.literals), Some(t.id))),
            Some(Shape::Declined) => Ok((super::parse(source)?, None)),
            None => {
                let statement = super::parse(source)?;
                let mut shapes = self.lock();
                // Another thread may have met the shape meanwhile: what it found stands.
                match shapes.get(&read.key) {
                    Some(Shape::Kept(t)) => return Ok((statement, Some(t.id))),
                    Some(Shape::Declined) => return Ok((statement, None)),
                    None => {}
                }
                if shapes.len() >= self.limit {
                    return Ok((statement, None));
                }
                // Shapes are never removed: the count so far is a fresh id.
                let id = ShapeId(shapes.len() as u64);
                let (shape, kept) = match template(&statement, &read.literals, id) {
                    Some(t) => (Shape::Kept(Arc::new(t)), Some(id)),
                    None => (Shape::Declined, None),
                };
                shapes.insert(read.key, shape);
                Ok((statement, kept))
            }
        }
    }
}

/// A statement's text as [`ShapeCache::read`] found it.
#[derive(Debug, Default)]
pub struct Reading {
    /// Its shape key and literals (`None`: not read with certainty, or no cache).
    read: Option<Read>,
    /// The cache's entry for the shape, if any.
    known: Option<Shape>,
}

impl Reading {
    /// For a text of a kept shape: the shape's id and the literal values of the text, in
    /// the order of the value nodes of the shape's tree (as a visitor meets them). `None`
    /// when the shape is not kept or a value node of its tree is not a literal of the text.
    pub fn values(&self) -> Option<(ShapeId, Vec<&Value>)> {
        let (Some(read), Some(Shape::Kept(t))) = (&self.read, &self.known) else {
            return None;
        };
        let values = t
            .slots
            .iter()
            .map(|slot| slot.map(|k| &read.literals[k].value))
            .collect::<Option<Vec<_>>>()?;
        Some((t.id, values))
    }
}

/// A literal of the text.
#[derive(Debug, Clone, PartialEq)]
struct Literal {
    /// Where it starts, as sqlparser counts (1-based line, 1-based column in characters).
    line: u64,
    column: u64,
    /// Its value as sqlparser reads it.
    value: Value,
}

/// A text's shape key and its literals in order.
#[derive(Debug)]
struct Read {
    key: String,
    literals: Vec<Literal>,
}

/// Marks a literal's place in a shape key (`\0` never appears in a text that is read).
const STRING_MARK: &str = "\0s";
const NUMBER_MARK: &str = "\0n";

fn is_word_char(c: char) -> bool {
    // GenericDialect's identifier characters (and any other letter).
    c.is_alphanumeric() || matches!(c, '_' | '@' | '#' | '$')
}

/// Reads the shape key and the literals of `text`; `None` when the text holds anything read
/// here without certainty.
fn read_literals(text: &str) -> Option<Read> {
    if text.contains(['\0', '\\', '$']) || text.contains("/*") {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut key = String::with_capacity(text.len());
    let mut literals = Vec::new();
    let (mut line, mut column) = (1u64, 1u64);
    let mut i = 0;
    // Moves the position over `part`, copying it into the key when given one.
    fn advance(key: Option<&mut String>, line: &mut u64, column: &mut u64, part: &[char]) {
        for &c in part {
            if c == '\n' {
                *line += 1;
                *column = 1;
            } else {
                *column += 1;
            }
        }
        if let Some(k) = key {
            k.extend(part);
        }
    }
    while i < chars.len() {
        let c = chars[i];
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        match c {
            '\'' => {
                // A prefix (E'…', N'…', X'…', U&'…') changes how the literal reads.
                if prev.is_some_and(|p| is_word_char(p) || p == '&' || p == '\'') {
                    return None;
                }
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return None,
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            value.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(&ch) => {
                            value.push(ch);
                            j += 1;
                        }
                    }
                }
                // A literal right after another, or glued to a word, may read otherwise.
                if chars
                    .get(j + 1)
                    .is_some_and(|&n| is_word_char(n) || n == '\'')
                {
                    return None;
                }
                literals.push(Literal {
                    line,
                    column,
                    value: Value::SingleQuotedString(value),
                });
                key.push_str(STRING_MARK);
                advance(None, &mut line, &mut column, &chars[i..=j]);
                i = j + 1;
            }
            '"' | '`' => {
                // A quoted identifier: part of the shape, as written.
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return None,
                        Some(&q) if q == c && chars.get(j + 1) == Some(&c) => j += 2,
                        Some(&q) if q == c => break,
                        Some(_) => j += 1,
                    }
                }
                advance(Some(&mut key), &mut line, &mut column, &chars[i..=j]);
                i = j + 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                // A comment to the end of the line: part of the shape.
                let j = chars[i..]
                    .iter()
                    .position(|&ch| ch == '\n')
                    .map_or(chars.len(), |p| i + p);
                advance(Some(&mut key), &mut line, &mut column, &chars[i..j]);
                i = j;
            }
            _ if c.is_ascii_digit() && !prev.is_some_and(|p| is_word_char(p) || p == '.') => {
                let j = chars[i..]
                    .iter()
                    .position(|ch| !ch.is_ascii_digit())
                    .map_or(chars.len(), |p| i + p);
                if chars
                    .get(j)
                    .is_some_and(|&n| is_word_char(n) || n == '.' || n == '\'' || n == '"')
                {
                    return None;
                }
                literals.push(Literal {
                    line,
                    column,
                    value: Value::Number(chars[i..j].iter().collect(), false),
                });
                key.push_str(NUMBER_MARK);
                advance(None, &mut line, &mut column, &chars[i..j]);
                i = j;
            }
            _ if is_word_char(c) => {
                let j = chars[i..]
                    .iter()
                    .position(|&ch| !is_word_char(ch))
                    .map_or(chars.len(), |p| i + p);
                advance(Some(&mut key), &mut line, &mut column, &chars[i..j]);
                i = j;
            }
            _ => {
                advance(Some(&mut key), &mut line, &mut column, &chars[i..=i]);
                i += 1;
            }
        }
    }
    Some(Read { key, literals })
}

/// Visits every value node of a statement's tree, in order.
fn each_value(statement: &mut Statement, f: impl FnMut(&mut ValueWithSpan) -> bool) -> bool {
    struct Each<F>(F);
    impl<F: FnMut(&mut ValueWithSpan) -> bool> VisitorMut for Each<F> {
        type Break = ();
        fn pre_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
            if (self.0)(value) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        }
    }
    let mut each = Each(f);
    let flow = match statement {
        Statement::Select(q) => q.visit(&mut each),
        Statement::Insert(i) => i.visit(&mut each),
        Statement::Delete(d) => d.visit(&mut each),
        _ => ControlFlow::Break(()),
    };
    flow.is_continue()
}

/// The template of a freshly parsed statement: every literal of the text must be a value
/// node at the literal's position holding exactly the literal's value, and every value node
/// at a literal's position must be that literal.
fn template(statement: &Statement, literals: &[Literal], id: ShapeId) -> Option<Template> {
    let mut copy = statement.clone();
    let mut slots = Vec::new();
    let mut found = vec![false; literals.len()];
    let complete = each_value(&mut copy, |v| {
        let start = v.span.start;
        let at = literals
            .iter()
            .position(|l| l.line == start.line && l.column == start.column);
        match at {
            Some(k) if literals[k].value == v.value => {
                found[k] = true;
                slots.push(Some(k));
                true
            }
            // Another reading of the literal (or a value made of several tokens).
            Some(_) => false,
            None => {
                slots.push(None);
                true
            }
        }
    });
    (complete && found.iter().all(|f| *f)).then_some(Template {
        statement: copy,
        slots,
        id,
    })
}

/// A copy of the template's statement holding `literals`.
fn fill(template: &Template, literals: &[Literal]) -> Statement {
    let mut statement = template.statement.clone();
    let mut slots = template.slots.iter();
    each_value(&mut statement, |v| {
        if let Some(Some(k)) = slots.next() {
            v.value = literals[*k].value.clone();
        }
        true
    });
    statement
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            text: text.to_string(),
            line: 1,
            column: 1,
        }
    }

    #[test]
    fn literals_and_key() {
        let r = read_literals("SELECT a FROM t WHERE b = 'it''s' AND c IN (12, 'x')").unwrap();
        assert_eq!(
            r.key,
            "SELECT a FROM t WHERE b = \0s AND c IN (\0n, \0s)".to_string()
        );
        let values: Vec<_> = r.literals.iter().map(|l| l.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::SingleQuotedString("it's".into()),
                Value::Number("12".into(), false),
                Value::SingleQuotedString("x".into()),
            ]
        );
        assert_eq!((r.literals[0].line, r.literals[0].column), (1, 27));
    }

    #[test]
    fn uncertain_texts_are_not_read() {
        for text in [
            "SELECT E'a' FROM t",
            "SELECT N'a' FROM t",
            "SELECT U&'a' FROM t",
            "SELECT 'a'b FROM t",
            "SELECT 'a\\' FROM t",
            "SELECT 1.5 FROM t",
            "SELECT 1e5 FROM t",
            "SELECT 0x1F FROM t",
            "SELECT $1 FROM t",
            "SELECT /* 'a' */ 1 FROM t",
            "SELECT 'unterminated FROM t",
        ] {
            assert!(read_literals(text).is_none(), "{text}");
        }
    }

    #[test]
    fn identifiers_and_comments_are_part_of_the_shape() {
        let a = read_literals("SELECT \"a'b\" FROM t -- it's 'x'\nWHERE c = 'y'").unwrap();
        assert_eq!(a.key, "SELECT \"a'b\" FROM t -- it's 'x'\nWHERE c = \0s");
        assert_eq!((a.literals[0].line, a.literals[0].column), (2, 11));
        let b = read_literals("SELECT t2 FROM okta_2").unwrap();
        assert!(b.literals.is_empty());
    }

    #[test]
    fn a_kept_shape_answers_as_a_full_parse() {
        let cache = ShapeCache::new(8);
        let texts = [
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'a' AND appId = 'b' LIMIT 5",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'it''s' AND appId = '' LIMIT 123456789012345678901234567890",
        ];
        for t in texts {
            assert_eq!(
                cache.parse(&source(t)).unwrap(),
                super::super::parse(&source(t)).unwrap()
            );
        }
        assert_eq!(cache.len(), 1);
        // Two literals in a row are read as two; the parser's reading decides whether the
        // shape is kept, and either way the answer is the full parse's.
        for t in ["SELECT 'a' 'b' FROM t", "SELECT 'c' 'd' FROM t"] {
            assert_eq!(
                cache.parse(&source(t)).unwrap(),
                super::super::parse(&source(t)).unwrap()
            );
        }
    }

    #[test]
    fn the_limit_bounds_the_shapes() {
        let cache = ShapeCache::new(1);
        for t in ["SELECT 1", "SELECT 'a', 2", "SELECT a FROM t"] {
            assert_eq!(
                cache.parse(&source(t)).unwrap(),
                super::super::parse(&source(t)).unwrap()
            );
        }
        assert_eq!(cache.len(), 1);
        let off = ShapeCache::new(0);
        off.parse(&source("SELECT 1")).unwrap();
        assert!(off.is_empty());
    }
}
