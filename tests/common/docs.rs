//! Reading a doc's runnable SQL blocks, shared by the tests that execute docs/*.md.

use oktaql::Rows;

/// The doc's sql blocks by their `-- step:` name, in order.
pub fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```sql" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let name = body
                .first()
                .and_then(|l| l.strip_prefix("-- step: "))
                .expect("every block starts with -- step: NAME")
                .to_string();
            out.push((name, body.join("\n")));
        }
    }
    out
}

/// The values of one column of a result, by name.
pub fn column(rows: &Rows, name: &str) -> Vec<serde_json::Value> {
    let i = rows.columns.iter().position(|c| c == name).unwrap();
    rows.rows.iter().map(|r| r[i].clone()).collect()
}
