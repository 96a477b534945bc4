//! The renderers: exact output for small inputs in every format.

use oktaql::render::{render, OutputFormat, RenderOptions, RowWriter};
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

/// Rows as the applications and secrets of an org look: Okta ids, a status, a label with
/// spaces, a long description and a JSON object.
fn okta_rows() -> Rows {
    let ids = [
        "0oa8f2kr7HwM3cPeL9s2",
        "ocsOBwKiaHGmdZc4DOc9",
        "0oa8f2kq1XnT5bRzY4d7",
    ];
    Rows {
        columns: ["id", "status", "label", "description", "settings"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: ids
            .iter()
            .map(|id| {
                vec![
                    json!(id),
                    json!("ACTIVE"),
                    json!("Payroll service for the finance team"),
                    json!("A long free-text description that says what this app is for, who owns it and when it was reviewed last"),
                    json!({"app": {"url": "https://payroll.example.com/login", "audience": "api://payroll"}}),
                ]
            })
            .collect(),
    }
}

#[test]
fn fitted_tables_shrink_free_text_before_ids_and_never_break_an_id() {
    let rows = okta_rows();
    for width in [60u16, 80, 100] {
        let got = run(
            &rows,
            OutputFormat::Table,
            RenderOptions {
                width: Some(width),
                ..Default::default()
            },
        );
        for line in got.lines() {
            assert!(
                line.chars().count() <= usize::from(width),
                "{width}: {line}"
            );
        }
        // Every id stands whole on one line, and so does every status.
        for id in rows.rows.iter().map(|r| r[0].as_str().unwrap()) {
            assert!(
                got.contains(&format!("│ {id} ┆")),
                "{width}: {id} broken:\n{got}"
            );
        }
        assert_eq!(got.matches("┆ ACTIVE ").count(), 3, "{width}:\n{got}");
        // The free text was the part that wrapped.
        assert!(
            !got.contains("Payroll service for the finance team"),
            "{width}:\n{got}"
        );
    }
}

#[test]
fn a_width_of_zero_means_no_wrapping() {
    // What a terminal that reports no size gives: before, every cell went one character
    // per line.
    let rows = okta_rows();
    let zero = run(
        &rows,
        OutputFormat::Table,
        RenderOptions {
            width: Some(0),
            ..Default::default()
        },
    );
    assert_eq!(zero, plain(&rows, OutputFormat::Table));
    assert_eq!(zero.lines().count(), 7, "{zero}");
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

const ALL: [OutputFormat; 6] = [
    OutputFormat::Table,
    OutputFormat::Json,
    OutputFormat::Jsonl,
    OutputFormat::Csv,
    OutputFormat::Text,
    OutputFormat::Markdown,
];

/// Rows with every kind of cell: nested and empty objects and arrays, unicode, escapes,
/// control characters, numbers, booleans, null.
fn varied() -> Rows {
    Rows {
        columns: vec![
            "id".into(),
            "obj".into(),
            "arr".into(),
            "text".into(),
            "n".into(),
        ],
        rows: vec![
            vec![
                json!("0oa1"),
                json!({"a": {"b": [1, {"c": null}], "e": {}}, "z": []}),
                json!([1, "two", [3], {"four": 4}]),
                json!("tab\there, \"quoted\"\nline\u{1b}[31m é ✓ | \\"),
                json!(-7),
            ],
            vec![json!("0oa2"), json!({}), json!([]), Value::Null, json!(2.5)],
            vec![
                json!("0oa3"),
                Value::Null,
                Value::Null,
                json!(""),
                json!(true),
            ],
        ],
    }
}

/// Writes `rows` a row at a time through a trait-object writer, as the runner does.
fn streamed(rows: &Rows, format: OutputFormat, opts: &RenderOptions) -> String {
    let mut buf = Vec::new();
    {
        let out: &mut dyn std::io::Write = &mut buf;
        let mut w = RowWriter::new(format, opts, &rows.columns, out).unwrap();
        for cells in &rows.rows {
            w.write_row(cells).unwrap();
        }
        assert_eq!(w.rows(), rows.len());
        w.finish().unwrap();
    }
    String::from_utf8(buf).unwrap()
}

#[test]
fn row_writer_writes_what_render_writes() {
    let option_sets = [
        RenderOptions::default(),
        hidden(),
        RenderOptions {
            width: Some(40),
            color: true,
            hide_headers: false,
            expanded: false,
        },
    ];
    let row_sets = [
        varied(),
        sample(),
        Rows::new(vec!["id".into()]),
        Rows::default(),
    ];
    for rows in &row_sets {
        for opts in &option_sets {
            for format in ALL {
                assert_eq!(
                    streamed(rows, format, opts),
                    run(rows, format, *opts),
                    "{format:?} {opts:?} {:?}",
                    rows.columns
                );
            }
        }
    }
}

#[test]
fn csv_fields_longer_than_the_writers_buffer_are_written_whole() {
    // The CSV writer's own buffer is small; fields and rows longer than it, with quotes,
    // delimiters and line breaks to escape, come out as the csv crate writes them in one go.
    let long = |unit: &str, n: usize| unit.repeat(n);
    let cells = [
        long("a\"b,c\nd", 700),
        long("x", 5_000),
        String::new(),
        long("é,", 300),
    ];
    let rows = Rows {
        columns: vec!["one".into(), "two".into(), "three".into(), "four".into()],
        rows: vec![
            cells.iter().map(|c| json!(c)).collect(),
            cells.iter().rev().map(|c| json!(c)).collect(),
        ],
    };
    let mut expected = csv::WriterBuilder::new().from_writer(Vec::new());
    expected.write_record(&rows.columns).unwrap();
    expected.write_record(&cells).unwrap();
    expected.write_record(cells.iter().rev()).unwrap();
    let expected = String::from_utf8(expected.into_inner().unwrap()).unwrap();
    assert!(expected.len() > 20_000);
    assert_eq!(
        streamed(&rows, OutputFormat::Csv, &RenderOptions::default()),
        expected
    );
}

#[test]
fn json_document_is_serde_json_pretty_output() {
    // The document is written a row at a time; its bytes are those of serde_json's pretty
    // printer given the whole array.
    for rows in [varied(), sample(), Rows::new(vec!["id".into()])] {
        let whole: Vec<Value> = rows
            .rows
            .iter()
            .map(|cells| {
                let map: serde_json::Map<String, Value> = rows
                    .columns
                    .iter()
                    .cloned()
                    .zip(cells.iter().cloned())
                    .collect();
                Value::Object(map)
            })
            .collect();
        let expected = serde_json::to_string_pretty(&Value::Array(whole)).unwrap() + "\n";
        assert_eq!(
            streamed(&rows, OutputFormat::Json, &RenderOptions::default()),
            expected
        );
    }
    // A row without columns is an empty object.
    let no_columns = Rows {
        columns: vec![],
        rows: vec![vec![], vec![]],
    };
    assert_eq!(
        plain(&no_columns, OutputFormat::Json),
        "[\n  {},\n  {}\n]\n"
    );
}

/// A writer that records how many bytes reached it.
struct Counting<'a>(&'a std::cell::Cell<usize>);

impl std::io::Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn row_writer_writes_rows_before_the_result_ends() {
    let row = vec![json!("x".repeat(1000)), json!({"k": "v".repeat(1000)})];
    let columns = vec!["a".to_string(), "b".to_string()];
    for format in ALL {
        let reached = std::cell::Cell::new(0);
        let mut w = RowWriter::new(
            format,
            &RenderOptions::default(),
            &columns,
            Counting(&reached),
        )
        .unwrap();
        for _ in 0..200 {
            w.write_row(&row).unwrap();
        }
        let before_finish = reached.get();
        w.finish().unwrap();
        if format == OutputFormat::Table {
            // Column widths need every row: nothing until the end.
            assert_eq!(before_finish, 0);
        } else {
            // Everything but the last buffer-full has gone out already.
            assert!(
                before_finish > 300_000,
                "{format:?}: {before_finish} bytes before finish"
            );
        }
        assert!(reached.get() > 400_000, "{format:?}");
    }
}
