//! The renderers: exact output for small inputs in every format.

use oktaql::render::{render, OutputFormat, RenderOptions};
use oktaql::Rows;
use serde_json::{json, Value};

fn sample() -> Rows {
    Rows {
        columns: vec!["id".into(), "n".into(), "_links".into(), "note".into()],
        rows: vec![
            vec![
                json!("ocs1"),
                json!(42),
                json!({"delete": {"href": "https://acme/x"}}),
                Value::Null,
            ],
            vec![
                json!("ocs2"),
                json!(1.5),
                Value::Null,
                json!("a, \"b\"\nc|d"),
            ],
        ],
    }
}

fn run(rows: &Rows, format: OutputFormat, opts: RenderOptions) -> String {
    let mut out = Vec::new();
    render(rows, format, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn plain(rows: &Rows, format: OutputFormat) -> String {
    run(rows, format, RenderOptions::default())
}

fn hidden() -> RenderOptions {
    RenderOptions {
        hide_headers: true,
        ..Default::default()
    }
}

#[test]
fn table() {
    let expected = "\
┌──────┬─────┬──────────────────────────────────────┬────────┐
│ id   ┆ n   ┆ _links                               ┆ note   │
╞══════╪═════╪══════════════════════════════════════╪════════╡
│ ocs1 ┆  42 ┆ {\"delete\":{\"href\":\"https://acme/x\"}} ┆        │
│ ocs2 ┆ 1.5 ┆                                      ┆ a, \"b\" │
│      ┆     ┆                                      ┆ c|d    │
└──────┴─────┴──────────────────────────────────────┴────────┘
";
    assert_eq!(plain(&sample(), OutputFormat::Table), expected);
}

#[test]
fn table_empty_and_hidden_headers() {
    let empty = Rows::new(vec!["id".into(), "status".into()]);
    let expected = "\
┌────┬────────┐
│ id ┆ status │
╞════╪════════╡
└────┴────────┘
";
    assert_eq!(plain(&empty, OutputFormat::Table), expected);

    let rows = Rows {
        columns: vec!["id".into()],
        rows: vec![vec![json!("a")], vec![json!(true)]],
    };
    let expected = "\
┌──────┐
│ a    │
│ true │
└──────┘
";
    assert_eq!(run(&rows, OutputFormat::Table, hidden()), expected);
}

#[test]
fn table_fits_the_width() {
    let long = "x".repeat(300);
    let columns: Vec<String> = [
        "id",
        "status",
        "created",
        "lastUpdated",
        "client_secret",
        "secret_hash",
        "_links",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let row = vec![
        json!("ocs1a2b3c4d5e6f7g8h9"),
        json!("ACTIVE"),
        json!("2024-01-02T03:04:05.000Z"),
        json!("2024-01-02T03:04:05.000Z"),
        json!(long),
        json!("hash-hash-hash-hash"),
        json!({"delete": {"href": "https://acme.okta.com/api/v1/apps/0oa1/credentials/secrets/ocs1", "hints": {"allow": ["DELETE"]}}}),
    ];
    let rows = Rows {
        columns,
        rows: vec![row.clone(), row],
    };
    for width in [60u16, 80, 120] {
        let opts = RenderOptions {
            width: Some(width),
            ..Default::default()
        };
        let got = run(&rows, OutputFormat::Table, opts);
        for line in got.lines() {
            assert!(
                line.chars().count() <= usize::from(width),
                "{width}: {line}"
            );
        }
        // Long cells are cut with an ellipsis rather than filling the screen.
        assert!(got.contains('…'), "{got}");
        assert!(got.lines().count() < 30, "{got}");
    }
    // Without a width nothing is wrapped: every row is one line.
    let got = plain(&rows, OutputFormat::Table);
    assert_eq!(got.lines().count(), 6, "{got}");
    assert!(got.contains(&"x".repeat(300)));
}

#[test]
fn table_color_and_control_characters() {
    let rows = Rows {
        columns: vec!["v".into()],
        rows: vec![vec![json!("red\u{1b}[31m\tx")]],
    };
    let got = plain(&rows, OutputFormat::Table);
    assert!(got.contains("red\\x1b[31m\\tx"), "{got}");
    assert!(!got.contains('\u{1b}'), "{got}");

    let colored = run(
        &rows,
        OutputFormat::Table,
        RenderOptions {
            color: true,
            ..Default::default()
        },
    );
    assert!(colored.contains("\u{1b}[1m"), "{colored}");
}

#[test]
fn json_document() {
    let expected = r#"[
  {
    "id": "ocs1",
    "n": 42,
    "_links": {
      "delete": {
        "href": "https://acme/x"
      }
    },
    "note": null
  },
  {
    "id": "ocs2",
    "n": 1.5,
    "_links": null,
    "note": "a, \"b\"\nc|d"
  }
]
"#;
    let got = plain(&sample(), OutputFormat::Json);
    assert_eq!(got, expected);
    // Types survive: the object is an object, numbers are numbers.
    let parsed: Value = serde_json::from_str(&got).unwrap();
    assert_eq!(
        parsed[0]["_links"]["delete"]["href"],
        json!("https://acme/x")
    );
    assert_eq!(parsed[0]["n"], json!(42));

    assert_eq!(
        plain(&Rows::new(vec!["id".into()]), OutputFormat::Json),
        "[]\n"
    );
    assert_eq!(plain(&Rows::default(), OutputFormat::Json), "[]\n");
}

#[test]
fn json_repeated_calls_are_separate_documents() {
    let mut out = Vec::new();
    let opts = RenderOptions::default();
    render(&sample(), OutputFormat::Json, &opts, &mut out).unwrap();
    render(
        &Rows::new(vec!["x".into()]),
        OutputFormat::Json,
        &opts,
        &mut out,
    )
    .unwrap();
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(&out)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].as_array().unwrap().len(), 2);
    assert_eq!(docs[1], json!([]));
}

#[test]
fn json_duplicate_columns_keep_both_values() {
    let rows = Rows {
        columns: vec!["id".into(), "id".into()],
        rows: vec![vec![json!(1), json!(2)]],
    };
    assert_eq!(plain(&rows, OutputFormat::Jsonl), "{\"id\":1,\"id_2\":2}\n");
}

#[test]
fn jsonl() {
    let expected = r#"{"id":"ocs1","n":42,"_links":{"delete":{"href":"https://acme/x"}},"note":null}
{"id":"ocs2","n":1.5,"_links":null,"note":"a, \"b\"\nc|d"}
"#;
    assert_eq!(plain(&sample(), OutputFormat::Jsonl), expected);
    assert_eq!(
        plain(&Rows::new(vec!["id".into()]), OutputFormat::Jsonl),
        ""
    );
}

#[test]
fn csv() {
    let expected = "id,n,_links,note\n\
                    ocs1,42,\"{\"\"delete\"\":{\"\"href\"\":\"\"https://acme/x\"\"}}\",\n\
                    ocs2,1.5,,\"a, \"\"b\"\"\nc|d\"\n";
    assert_eq!(plain(&sample(), OutputFormat::Csv), expected);

    // Round trip through a CSV reader gives back the cells.
    let got = plain(&sample(), OutputFormat::Csv);
    let mut reader = csv::Reader::from_reader(got.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(&records[1][3], "a, \"b\"\nc|d");
    assert_eq!(&records[0][2], r#"{"delete":{"href":"https://acme/x"}}"#);

    assert_eq!(
        plain(&Rows::new(vec!["id".into(), "n".into()]), OutputFormat::Csv),
        "id,n\n"
    );
}

#[test]
fn csv_hidden_headers_on_repeated_calls() {
    let rows = Rows {
        columns: vec!["id".into()],
        rows: vec![vec![json!("a")]],
    };
    let mut out = Vec::new();
    render(&rows, OutputFormat::Csv, &hidden(), &mut out).unwrap();
    render(&rows, OutputFormat::Csv, &hidden(), &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "a\na\n");
}

#[test]
fn text() {
    let expected = "id\tn\t_links\tnote\n\
                    ocs1\t42\t{\"delete\":{\"href\":\"https://acme/x\"}}\t\n\
                    ocs2\t1.5\t\ta, \"b\"\\nc|d\n";
    assert_eq!(plain(&sample(), OutputFormat::Text), expected);

    let rows = Rows {
        columns: vec!["a".into(), "b".into()],
        rows: vec![vec![json!("x\ty"), json!("C:\\dir")]],
    };
    assert_eq!(
        run(&rows, OutputFormat::Text, hidden()),
        "x\\ty\tC:\\\\dir\n"
    );
}

#[test]
fn markdown() {
    let expected = "\
| id | n | _links | note |
| --- | --- | --- | --- |
| ocs1 | 42 | {\"delete\":{\"href\":\"https://acme/x\"}} |  |
| ocs2 | 1.5 |  | a, \"b\"<br>c\\|d |
";
    assert_eq!(plain(&sample(), OutputFormat::Markdown), expected);
    // The header stays: a pipe table needs one.
    assert_eq!(
        run(
            &Rows::new(vec!["a|b".into()]),
            OutputFormat::Markdown,
            hidden()
        ),
        "| a\\|b |\n| --- |\n"
    );
}

#[test]
fn no_columns_renders_nothing_but_json() {
    let rows = Rows::default();
    for format in [
        OutputFormat::Table,
        OutputFormat::Csv,
        OutputFormat::Text,
        OutputFormat::Markdown,
        OutputFormat::Jsonl,
    ] {
        assert_eq!(plain(&rows, format), "", "{format:?}");
    }
}

#[test]
fn formats_parse_by_name() {
    use clap::ValueEnum;
    assert_eq!(
        OutputFormat::from_str("jsonl", true).unwrap(),
        OutputFormat::Jsonl
    );
    assert_eq!(
        OutputFormat::from_str("md", true).unwrap(),
        OutputFormat::Markdown
    );
    assert_eq!(
        OutputFormat::from_str("TABLE", true).unwrap(),
        OutputFormat::Table
    );
    assert_eq!(OutputFormat::default(), OutputFormat::Table);
    assert!(OutputFormat::from_str("xml", true).is_err());
}

#[test]
fn closed_pipe_is_reported_as_broken_pipe() {
    use std::process::{Command, Stdio};
    // A reader that exits without reading: writing to its stdin fails with EPIPE.
    let mut child = Command::new("sh")
        .args(["-c", "exit 0"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    child.wait().unwrap();
    let big = Rows {
        columns: vec!["id".into()],
        rows: (0..100_000)
            .map(|i| vec![json!(format!("row{i}"))])
            .collect(),
    };
    let err = render(
        &big,
        OutputFormat::Jsonl,
        &RenderOptions::default(),
        &mut stdin,
    )
    .unwrap_err();
    assert!(err.is_broken_pipe(), "{err}");
}
