//! Templates: `{{ var }}` rendering with Jinja semantics before statements are parsed.
