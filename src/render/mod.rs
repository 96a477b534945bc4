//! Rendering result rows as bytes: table, JSON, JSONL, CSV, text, Markdown.
//!
//! Each renderer writes to `&mut impl Write`; nothing here prints directly.
