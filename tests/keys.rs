//! `blockwise keys ...` end to end: the plain key never reaches the store file, the log file,
//! any command output or an error message; the identity file is private; base_url rules hold.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::{FakeConfig, FakeServer};

const GOOD: &str = "sk-ant-api03-GOODSECRETvalue0123456789-abcd";
const WRONG: &str = "sk-proj-WRONGSECRETvalue9876543210-wxyz";

struct Env {
    dir: tempfile::TempDir,
    fake: FakeServer,
    /// Every stdout and stderr produced, to grep at the end.
    transcript: Vec<u8>,
}

impl Env {
    fn new() -> Env {
        let fake = FakeServer::start(FakeConfig {
            expected_key: Some(GOOD.to_string()),
            ..FakeConfig::default()
        })
        .unwrap();
        Env {
            dir: tempfile::tempdir().unwrap(),
            fake,
            transcript: Vec::new(),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.args(args)
            .env("BLOCKWISE_STORE", self.path("store.redb"))
            .env("BLOCKWISE_LOG", "trace")
            .env("ANTHROPIC_BASE_URL", self.fake.anthropic_base_url())
            .env("OPENAI_BASE_URL", self.fake.openai_base_url());
        c
    }

    fn run(&mut self, args: &[&str], stdin: Option<&str>, extra_env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        support::feed_stdin(&mut child, stdin.unwrap_or("").as_bytes());
        let out = child.wait_with_output().unwrap();
        self.transcript.extend_from_slice(&out.stdout);
        self.transcript.extend_from_slice(&out.stderr);
        out
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn list_json(env: &mut Env) -> Vec<Value> {
    let out = env.run(&["keys", "list", "--json"], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn keys_are_encrypted_tested_listed_and_never_shown() {
    let mut env = Env::new();

    // set from stdin
    let out = env.run(
        &[
            "keys",
            "set",
            "anthropic",
            "--stdin",
            "--model",
            "claude-haiku-4-5",
        ],
        Some(&format!("{GOOD}\n")),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("…abcd"), "{}", text(&out));

    // identity created, owner-only
    let identity = env.path("config/identity.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "identity mode {mode:o}");
    }

    // set from an environment variable (a wrong key, for openai)
    let out = env.run(
        &["keys", "set", "openai", "--env", "MY_OPENAI_KEY"],
        None,
        &[("MY_OPENAI_KEY", WRONG)],
    );
    assert!(out.status.success(), "{}", text(&out));

    let keys = list_json(&mut env);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["provider"], "anthropic");
    assert_eq!(keys[0]["key"], "…abcd");
    assert_eq!(keys[0]["model"], "claude-haiku-4-5");
    assert_eq!(keys[0]["is_valid"], Value::Null);
    assert_eq!(keys[1]["key"], "…wxyz");

    // test: the good key passes (a 1-token message to the fake), the wrong one is rejected
    let out = env.run(&["keys", "test", "anthropic"], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("valid"));
    let sent = env.fake.last_request().unwrap();
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.body["max_tokens"], 1);
    assert_eq!(sent.body["model"], "claude-haiku-4-5");

    let out = env.run(&["keys", "test", "openai"], None, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("REJECTED"), "{}", text(&out));
    assert_eq!(env.fake.last_request().unwrap().path, "/v1/models");

    let keys = list_json(&mut env);
    assert_eq!(keys[0]["is_valid"], true);
    assert_eq!(keys[1]["is_valid"], false);
    assert!(keys[1]["tested_at"].is_string());

    // human list too
    let out = env.run(&["keys", "list"], None, &[]);
    assert!(
        text(&out).contains("…abcd") && text(&out).contains("NO"),
        "{}",
        text(&out)
    );

    // environment fallback is listed as such, shown as …last4
    let out = env.run(
        &["keys", "list", "--json"],
        None,
        &[("GEMINI_API_KEY", "AIzaSyFAKEgeminiKEY5678")],
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let google = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["provider"] == "google")
        .unwrap()
        .clone();
    assert_eq!(google["source"], "env:GEMINI_API_KEY");
    assert_eq!(google["key"], "…5678");

    // errors name the problem without the key
    let out = env.run(
        &[
            "keys",
            "set",
            "openai",
            "--stdin",
            "--base-url",
            "http://localhost:9/v1",
        ],
        Some(GOOD),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("only the custom provider"),
        "{}",
        text(&out)
    );
    let out = env.run(&["keys", "set", "custom", "--stdin"], Some(GOOD), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("needs --base-url"), "{}", text(&out));
    let out = env.run(
        &[
            "keys",
            "set",
            "custom",
            "--stdin",
            "--base-url",
            "ftp://host/v1",
        ],
        Some(GOOD),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not http or https"), "{}", text(&out));
    let out = env.run(
        &[
            "keys",
            "set",
            "custom",
            "--stdin",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ],
        Some(GOOD),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["keys", "set", "demo", "--stdin"], Some(GOOD), &[]);
    assert_eq!(out.status.code(), Some(1));
    // Refused operations wrote nothing: still anthropic, openai, custom.
    assert_eq!(list_json(&mut env).len(), 3);

    // passphrase mode: stored with scrypt; unreadable without the passphrase
    let out = env.run(
        &["keys", "set", "google", "--stdin"],
        Some(GOOD),
        &[("BLOCKWISE_PASSPHRASE", "correct horse")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let keys = list_json(&mut env);
    let google = keys.iter().find(|k| k["provider"] == "google").unwrap();
    assert_eq!(google["encryption"], "age-scrypt");
    let out = env.run(&["keys", "test", "google"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("BLOCKWISE_PASSPHRASE"),
        "{}",
        text(&out)
    );

    // remove
    let out = env.run(&["keys", "remove", "openai"], None, &[]);
    assert!(out.status.success());
    let out = env.run(&["keys", "remove", "openai"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(list_json(&mut env)
        .iter()
        .all(|k| k["provider"] != "openai"));

    // The plain keys are nowhere: store file, log file, any output.
    let store = std::fs::read(env.path("store.redb")).unwrap();
    assert!(!store.is_empty());
    let logs: Vec<PathBuf> = files_under(&env.path("state"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    assert!(!logs.is_empty(), "no log file was written");
    let mut log_bytes = Vec::new();
    for l in &logs {
        log_bytes.extend(std::fs::read(l).unwrap());
    }
    assert!(
        contains(&log_bytes, "stored API key"),
        "log has no key events"
    );
    for secret in [GOOD, WRONG] {
        assert!(!contains(&store, secret), "plain key in the store file");
        assert!(!contains(&log_bytes, secret), "plain key in the log");
        assert!(
            !contains(&env.transcript, secret),
            "plain key in command output"
        );
        // Not even a long fragment of it.
        assert!(!contains(&env.transcript, &secret[..16]));
    }
}
