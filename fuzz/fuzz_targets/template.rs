//! Template rendering: any text with a few variables renders or gives an error, never a
//! panic; `undefined_variables` agrees with `render` about undefined names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oktaql::template::{self, TemplateError, Vars};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut vars = Vars::new();
    vars.set("subdomain", "my-org");
    vars.set("app_id", "0oa8f2kr7HwM3cPeL9s2");
    vars.set("n", 3);
    vars.set("ids", serde_json::json!(["0oa1", "0oa2"]));
    vars.set("cfg", serde_json::json!({"status": "ACTIVE", "nested": {"a": [1, 2]}}));
    let _ = template::has_template_syntax(text);
    let missing = template::undefined_variables(text, &vars);
    let rendered = template::render(text, &vars);
    if let (Ok(missing), Ok(_)) = (&missing, &rendered) {
        assert!(
            missing.is_empty(),
            "rendered although {missing:?} were reported undefined"
        );
    }
    if let Err(TemplateError::Undefined { names }) = &rendered {
        assert!(!names.is_empty(), "an undefined error names no variable");
    }
});
