//! Issue 23 item 9: anthropic, openai and google take a stored base URL (a gateway or proxy),
//! by the rules custom has (http(s), no credentials, no query), and their models keep their
//! prices there. Real binary, real redb file, real HTTP to the fake provider; no
//! `*_BASE_URL` variable is set, so the calls reach the fake only through the stored URL.

mod support;

use std::process::{Command, Stdio};

use serde_json::Value;

const KEY: &str = "sk-ant-api03-GATEWAYsecret0123456789-abcd";

struct Env {
    dir: tempfile::TempDir,
    fake: support::FakeServer,
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.arg("--store")
            .arg(self.dir.path().join("ws.redb"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut child = self.cmd(args).spawn().unwrap();
        support::feed_stdin(&mut child, stdin.as_bytes());
        support::outcome(child.wait_with_output().unwrap())
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.run(&all, "");
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    }

    fn key(&self, provider: &str) -> Value {
        let keys = self.json(&["keys", "list"]);
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["provider"] == provider)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

#[test]
fn a_hosted_providers_key_keeps_a_gateway_url_and_its_models_prices() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        fake: support::fake(),
    };
    let url = env.fake.anthropic_base_url();
    // Bad URLs are refused with the reason, before the key is read, and store nothing.
    for (bad, why) in [
        ("http://u:p@gw.example/v1", "user name or password"),
        ("https://gw.example/v1?key=1", "query string"),
        ("ftp://gw.example/v1", "not http or https"),
    ] {
        let (code, _, err) = env.run(
            &["keys", "set", "anthropic", "--stdin", "--base-url", bad],
            KEY,
        );
        assert_eq!(code, 1, "{bad}");
        assert!(err.contains(why), "{bad}: {err}");
    }
    assert!(
        !env.dir.path().join("ws.redb").exists(),
        "a refusal creates no store"
    );
    let (code, _, err) = env.run(&["keys", "set", "demo", "--base-url", &url], "");
    assert_eq!(code, 1);
    assert!(err.contains("demo"), "{err}");

    let (code, out, err) = env.run(
        &["keys", "set", "anthropic", "--stdin", "--base-url", &url],
        KEY,
    );
    assert_eq!(code, 0, "{out}{err}");
    let stored = env.key("anthropic");
    let same = |v: &Value, want: &str| {
        v.as_str().map(|s| s.trim_end_matches('/')) == Some(want.trim_end_matches('/'))
    };
    assert!(same(&stored["base_url"], &url), "{stored}");
    for provider in ["openai", "google"] {
        let (code, out, err) = env.run(
            &[
                "keys",
                "set",
                provider,
                "--stdin",
                "--base-url",
                "https://gw.example/v1",
            ],
            KEY,
        );
        assert_eq!(code, 0, "{provider}: {out}{err}");
        assert!(same(
            &env.key(provider)["base_url"],
            "https://gw.example/v1"
        ));
    }

    // A run on anthropic goes to the stored URL and is priced as the model is.
    let doc = env.dir.path().join("doc.md");
    std::fs::write(&doc, "First paragraph.\n\nSecond paragraph.\n").unwrap();
    assert_eq!(env.run(&["ingest", doc.to_str().unwrap()], "").0, 0);
    let schema = env.dir.path().join("s.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"label":{"type":"string"}}}"#,
    )
    .unwrap();
    assert_eq!(
        env.run(
            &["schema", "add", schema.to_str().unwrap(), "--ref", "s"],
            ""
        )
        .0,
        0
    );
    let conv = env.json(&["docs"])[0]["conv_uid"]
        .as_str()
        .unwrap()
        .to_string();
    let run = env.json(&[
        "run",
        "create",
        &conv,
        "s",
        "--provider",
        "anthropic",
        "--model",
        "claude-sonnet-4-5",
    ]);
    let run_id = run["run_id"].as_str().unwrap();
    let (code, out, err) = env.run(&["run", "start", run_id], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        env.fake.call_count() >= 1,
        "the calls went to the stored URL"
    );
    let status = env.json(&["run", "status", run_id]);
    assert_ne!(status["estimated_cost"], "unknown", "{status:#}");
    assert!(
        status["run"]["usage"]["cost_usd"].as_f64().unwrap() > 0.0,
        "{status:#}"
    );
    let (_, out, _) = env.run(&["run", "status", run_id], "");
    assert!(
        out.contains(&format!("endpoint  {}", url.trim_end_matches('/'))),
        "{out}"
    );

    // Only --base-url with a stored key: the URL changes, the key stays.
    let (code, out, err) = env.run(
        &[
            "keys",
            "set",
            "anthropic",
            "--base-url",
            "https://gw2.example",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    let after = env.key("anthropic");
    assert!(same(&after["base_url"], "https://gw2.example"), "{after}");
    assert_eq!(after["key"], stored["key"]);
}
