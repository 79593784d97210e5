//! Issue 20 ("Trust II"), items 7, 8 and 9: export to a terminal and by extension, and the
//! smaller fixes; real binary, real redb file, fake provider over loopback, a real pty.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use blockwise::model::OverlayStatus;
use blockwise::policy;
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, RunEnd};
use serde_json::{json, Value};
use support::rules::*;
use support::{FakeScript, Fault};

// --------------------------------------------------- 8. the format follows the file name

#[test]
fn item8_export_takes_the_format_from_the_extension_and_refuses_a_contradiction() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    let csv = d.path("x.csv");
    let (code, _, err) = d.cli(&path, &["export", &run.run_id, "-o", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("block_index,block_uid,block_type,status,block_content"),
        "CSV, not JSONL: {text}"
    );
    let md = d.path("x.md");
    assert_eq!(
        d.cli(&path, &["export", &run.run_id, "-o", md.to_str().unwrap()])
            .0,
        0
    );
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("Paragraph 0"));
    let jsonl = d.path("x.jsonl");
    let args = [
        "export",
        &run.run_id,
        "--format",
        "csv",
        "-o",
        jsonl.to_str().unwrap(),
    ];
    let (code, _, err) = d.cli(&path, &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--format csv contradicts") && err.contains(".jsonl"),
        "{err}"
    );
    assert!(!jsonl.exists(), "nothing written");
    // An explicit format agreeing with the name, or an unknown extension, is fine.
    let (code, _, err) = d.cli(
        &path,
        &[
            "export",
            &run.run_id,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let out = d.path("x.out");
    let (code, _, err) = d.cli(&path, &["export", &run.run_id, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("{\"immutable\""));
}

// ------------------------------------------- 7. export to a terminal is shown, not obeyed

/// Run `cmd` with its stdout on a new pseudo-terminal; what the terminal received, and the
/// exit code.
fn on_a_terminal(mut cmd: std::process::Command) -> (i32, Vec<u8>) {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fresh descriptors; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::process::Stdio::from_raw_fd(slave),
        )
    };
    let mut child = cmd.stdout(slave).spawn().unwrap();
    drop(cmd); // the parent's copy of the slave end, so EOF comes when the child exits
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut master = master;
        let mut buf = [0u8; 4096];
        // Linux reports EIO on the master once the last slave descriptor is closed.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, reader.join().unwrap())
}

#[test]
fn item7_export_to_a_terminal_shows_escapes_and_piped_output_stays_exact() {
    let d = Dir::new();
    let (path, _) = workspace(&d, 1, closed_schema());
    let hostile = d.path("hostile.md");
    std::fs::write(
        &hostile,
        "Clear \x1b[2J the \x1b]0;owned\x07 screen.\n\nSecond.\n",
    )
    .unwrap();
    let (code, _, err) = d.cli(&path, &["ingest", hostile.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let docs = d.json(&path, &["docs"]);
    let conv = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file_name"] == "hostile.md")
        .unwrap()["conv_uid"]
        .as_str()
        .unwrap()
        .to_string();
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    for format in ["csv", "md", "jsonl"] {
        let args = ["export", &run.run_id, "--format", format, "--mode", "both"];
        let mut cmd = support::blockwise_in(d.dir.path());
        cmd.arg("--store").arg(&path).args(args);
        let (code, shown) = on_a_terminal(cmd);
        assert_eq!(code, 0, "{format}");
        let shown = String::from_utf8_lossy(&shown);
        assert!(
            !shown.contains('\x1b') && !shown.contains('\x07'),
            "{format}: {shown:?}"
        );
        if format != "jsonl" {
            assert!(
                shown.contains("␛[2J") && shown.contains("␇"),
                "{format}: {shown:?}"
            );
        }
        // Piped, the same export is byte-exact (the raw escape is data, not for a screen).
        let (code, piped, _) = d.cli(&path, &args);
        assert_eq!(code, 0);
        if format != "jsonl" {
            assert!(piped.contains("\x1b[2J"), "{format}: piped output changed");
        }
    }
}

// ------------------------------------------------------------------ 9. the smaller fixes

/// A store the test's OS account administers (made by a writing command of the binary).
fn own_store(d: &Dir) -> PathBuf {
    let path = d.path("own.redb");
    let (code, _, err) = d.cli(&path, &["schema", "from-template", "classification"]);
    assert_eq!(code, 0, "{err}");
    path
}

#[test]
fn item9_admins_add_refuses_an_account_that_does_not_exist() {
    let d = Dir::new();
    let path = own_store(&d);
    let admins = d.json(&path, &["policy", "admins", "list"]);
    let audit = d.json(&path, &["policy", "audit"]);
    let (code, _, err) = d.cli(&path, &["policy", "admins", "add", "no-such-account-bw20"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'no-such-account-bw20'") && err.contains("no such account"),
        "{err}"
    );
    assert_eq!(
        d.json(&path, &["policy", "admins", "list"]),
        admins,
        "nothing written"
    );
    assert_eq!(
        d.json(&path, &["policy", "audit"]),
        audit,
        "nothing written"
    );
    let (code, _, err) = d.cli(&path, &["policy", "admins", "add", "root"]);
    assert_eq!(code, 0, "an existing account is accepted: {err}");
}

#[test]
fn item9_policy_set_takes_a_negative_value_and_names_the_bounds() {
    let d = Dir::new();
    let path = own_store(&d);
    let (code, _, err) = d.cli(&path, &["policy", "set", "worker.max_retries", "-1"]);
    assert_eq!(code, 1, "a value out of bounds, not a usage error: {err}");
    assert!(!err.contains("unexpected argument"), "{err}");
    assert!(
        err.contains("max_retries = -1") && err.contains("at least 1"),
        "{err}"
    );
    let (code, _, err) = d.cli(
        &path,
        &[
            "policy",
            "set",
            "models.platform_default_temperature",
            "-0.5",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("temperature"), "{err}");
}

#[test]
fn a_negative_temperature_is_a_value_refused_by_its_bounds_not_a_usage_error() {
    let d = Dir::new();
    let path = own_store(&d);
    let before = d.json(&path, &["keys", "list"]);
    let args = [
        "keys",
        "set",
        "anthropic",
        "--env",
        "HOME",
        "--temperature",
        "-1",
    ];
    let (code, _, err) = d.cli(&path, &args);
    assert_eq!(code, 1, "a value out of bounds, not a usage error: {err}");
    assert!(!err.contains("unexpected argument"), "{err}");
    assert!(err.contains("temperature"), "names the value: {err}");
    assert_eq!(d.json(&path, &["keys", "list"]), before, "no key stored");
}

#[test]
fn item9_a_base_url_with_a_fragment_is_refused_naming_the_fragment() {
    let d = Dir::new();
    let path = d.path("k.redb");
    let mut c = support::blockwise_in(d.dir.path());
    c.arg("--store").arg(&path).args([
        "keys",
        "set",
        "custom",
        "--stdin",
        "--base-url",
        "http://127.0.0.1:9/v1#frag",
    ]);
    c.stdin(std::process::Stdio::piped());
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    support::feed_stdin(&mut child, b"sk-test-1234\n");
    let (code, _, err) = support::outcome(child.wait_with_output().unwrap());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("fragment") && !err.contains("query string"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item9_the_call_log_keeps_a_cut_of_a_huge_invalid_answer() {
    let d = Dir::new();
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "maxLength": 10}
    }});
    let (path, conv) = workspace(&d, 2, schema);
    let store = Arc::new(Store::open(&path).unwrap());
    policy::set_value(&store, ADMIN, "worker.max_retries", json!(2), Some("t")).unwrap();
    let run = create_run(&store, &conv, "demo");
    let fake = support::fake();
    let huge = || Fault::InvalidValue {
        field: "label".into(),
        value: json!("x".repeat(2_000_000)),
    };
    fake.script(FakeScript::new().then(huge()).then(huge()).then(huge()));
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let calls = store.calls(&run.run_id).unwrap();
    assert!(calls.len() >= 3, "{}", calls.len());
    for c in &calls {
        let detail = c.detail.as_deref().unwrap_or_default();
        assert!(
            detail.len() < 2100,
            "call {} keeps {} bytes",
            c.seq,
            detail.len()
        );
    }
    assert!(
        calls
            .iter()
            .any(|c| c.detail.as_deref().unwrap_or_default().contains("[cut: ")),
        "marked as cut"
    );
    let ov = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Failed);
    let err = ov.last_error.unwrap();
    assert!(
        err.len() < 2100 && err.contains("'label'") && err.contains("[cut: "),
        "{}",
        err.len()
    );
    drop(store);
    // Three 2 MB answers were refused: the store keeps kilobytes of them, not megabytes.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 3_000_000, "store is {size} bytes");
}

#[test]
fn item9_run_estimate_needs_no_key_nor_network_and_prices_a_gateway() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 4, closed_schema());
    let estimate = |env: &[(&str, &str)]| {
        let mut c = support::blockwise_in(d.dir.path());
        c.arg("--store").arg(&path).args([
            "--json",
            "run",
            "estimate",
            &conv,
            "s",
            "--provider",
            "anthropic",
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        let (code, out, err) = support::outcome(c.output().unwrap());
        assert_eq!(code, 0, "{env:?}: {out}{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    // No key anywhere, no network: an estimate all the same.
    let e = estimate(&[]);
    assert_eq!(e["calls"], 1, "{e}");
    assert_eq!(e["sources"]["model"], "provider default", "{e}");
    // The default system prompt is far below Sonnet's 1024-token minimum: never cached.
    assert_eq!(e["cache_write_tokens"], 0, "{e}");
    assert_eq!(e["cache_read_tokens"], 0, "{e}");
    assert!(e["cost_usd"].is_number(), "{e}");
    // A gateway in ANTHROPIC_BASE_URL and a key from the environment: the model keeps its
    // price, the model's source says where the key came from, and nothing is called.
    let fake = support::fake();
    let gateway = fake.anthropic_base_url();
    let e = estimate(&[
        ("ANTHROPIC_BASE_URL", gateway.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0000"),
    ]);
    assert!(
        e["cost_usd"].is_number(),
        "cost is not unknown behind a gateway: {e}"
    );
    assert_eq!(e["sources"]["model"], "environment", "{e}");
    assert_eq!(fake.call_count(), 0, "an estimate makes no call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item9_a_run_through_an_anthropic_gateway_is_priced() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    let run = worker::create_run(
        &store,
        &conv,
        "s",
        &CreateRunOptions {
            provider: Some("demo".into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let fake = support::fake();
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let r = store.get_run(&run.run_id).unwrap().unwrap();
    assert!(
        r.usage.cost_usd.is_some_and(|c| c > 0.0),
        "an Anthropic model behind a gateway keeps its price: {:?}",
        r.usage.cost_usd
    );
}

#[test]
fn a_temperature_above_anthropics_bound_is_refused_at_create_and_fine_for_openai() {
    let d = Dir::new();
    let path = own_store(&d);
    let doc = d.path("t.md");
    std::fs::write(&doc, "# T\n\nOne paragraph.\n").unwrap();
    let (code, _, err) = d.cli(&path, &["ingest", doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let runs = d.json(&path, &["run", "list"]);
    let conv = d.json(&path, &["docs"])[0]["conv_uid"].as_str().unwrap()[..12].to_string();
    let conv = conv.as_str();
    let args = |t: &'static str| {
        vec![
            "run",
            "estimate",
            conv,
            "classification",
            "--provider",
            "anthropic",
            "--temperature",
            t,
        ]
    };
    let (code, _, err) = d.cli(&path, &args("1.5"));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("temperature") && err.contains("0.0 to 1.0 for anthropic"),
        "{err}"
    );
    let (code, _, err) = d.cli(&path, &args("0.9"));
    assert_eq!(code, 0, "1.0 is anthropic's bound, 0.9 is fine: {err}");
    // The same value is fine for OpenAI, whose bound is 2.0.
    let mut openai = args("1.5");
    openai[5] = "openai";
    let (code, _, err) = d.cli(&path, &openai);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.json(&path, &["run", "list"]), runs, "no run created");
}
