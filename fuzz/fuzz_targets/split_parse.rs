//! Statement splitting and parsing: any text gives statements or errors, never a panic,
//! and every statement the splitter cuts lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oktaql::sql;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let complete = sql::is_complete(text);
    let loose = sql::split(text);
    for s in &loose {
        assert!(s.line >= 1 && s.column >= 1, "positions are 1-based: {s:?}");
    }
    match sql::split_checked(text) {
        Ok(sources) => {
            for source in &sources {
                // Errors must point inside the input.
                match sql::parse(source) {
                    Ok(statement) => {
                        let _ = sql::statement_kind(&statement);
                    }
                    Err(e) => assert!(e.line >= 1 && e.column >= 1, "{e:?}"),
                }
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert!(!complete, "an unterminated input was called complete");
        }
    }
});
