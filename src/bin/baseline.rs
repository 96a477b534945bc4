//! `oktaql-baseline`: the benchmark baseline. Makes a list of HTTP calls one after another
//! with one reused `reqwest::Client` and nothing else: no SQL, no planning, no relational
//! stage, no rendering. `benches/run.sh` gives it the same calls, in the same order, that
//! an `oktaql exec -f` batch makes, and compares the two wall times.
//!
//! Usage: `oktaql-baseline [--multi-thread] CALLS_FILE` where each line of `CALLS_FILE` is
//! `METHOD<TAB>URL[<TAB>JSON_BODY]`; the token comes from `OKTA_API_TOKEN`. Each answer is
//! read whole and parsed as JSON (as any client would); a non-2xx answer stops the run with
//! exit status 1. The loop runs on a single-threaded tokio runtime, the quickest for
//! sequential calls (as `oktaql exec` does); `--multi-thread` runs it on the multi-threaded
//! runtime that `#[tokio::main]` gives, as a typical small client would.

use std::process::ExitCode;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

/// One planned call.
struct Call {
    method: reqwest::Method,
    url: String,
    body: Option<String>,
}

fn parse_calls(text: &str) -> Result<Vec<Call>, String> {
    let mut calls = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(method), Some(url)) = (parts.next(), parts.next()) else {
            return Err(format!(
                "line {}: expected METHOD<TAB>URL[<TAB>BODY]",
                n + 1
            ));
        };
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("line {}: {method:?} is not an HTTP method", n + 1))?;
        calls.push(Call {
            method,
            url: url.to_string(),
            body: parts.next().map(str::to_string),
        });
    }
    Ok(calls)
}

async fn run(calls: &[Call], token: &str) -> Result<(), String> {
    // Plain HTTP to the sandbox: no TLS roots to read (as oktaql does for http:// URLs).
    oktaql::exec::install_tls_provider();
    let client = reqwest::Client::builder()
        .tls_certs_only(std::iter::empty())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static("oktaql-baseline"));
    let auth = HeaderValue::from_str(&format!("SSWS {token}"))
        .map_err(|_| "OKTA_API_TOKEN cannot be sent in a header".to_string())?;
    headers.insert(AUTHORIZATION, auth);
    for call in calls {
        let mut req = client
            .request(call.method.clone(), &call.url)
            .headers(headers.clone());
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{} {}: {e}", call.method, call.url))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("{} {}: {e}", call.method, call.url))?;
        if !status.is_success() {
            return Err(format!(
                "{} {}: answered {status}: {}",
                call.method,
                call.url,
                String::from_utf8_lossy(&bytes)
            ));
        }
        if !bytes.is_empty() {
            let _: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{} {}: not JSON: {e}", call.method, call.url))?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let multi_thread = args.first().is_some_and(|a| a == "--multi-thread");
    if multi_thread {
        args.remove(0);
    }
    let Some(path) = args.first().cloned() else {
        eprintln!("usage: oktaql-baseline [--multi-thread] CALLS_FILE (lines METHOD<TAB>URL[<TAB>BODY]; token in OKTA_API_TOKEN)");
        return ExitCode::from(2);
    };
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let token = std::env::var("OKTA_API_TOKEN").unwrap_or_default();
    let calls = match std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {path}: {e}"))
        .and_then(|t| parse_calls(&t))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&calls, &token)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
