//! Local and self-hosted servers as first-class providers (issue 14), end to end through the
//! real binary against the fake provider over loopback: keyless custom endpoints, the custom
//! environment variables, and `run create` without a usable provider.

mod support;

use std::path::PathBuf;
use std::process::Command;

use blockwise::fake::FakeLocal;
use serde_json::{json, Value};
use support::{FakeConfig, FakeServer};

struct Env {
    dir: tempfile::TempDir,
    fake: FakeServer,
    conv: String,
}

impl Env {
    /// A store with one small document and a schema `s`, and a fake that wants no key.
    fn new() -> Env {
        let fake = FakeServer::start(FakeConfig {
            keyless: true,
            ..FakeConfig::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("doc.md");
        let text: String = (0..6)
            .map(|i| format!("Paragraph {i} is plain.\n\n"))
            .collect();
        std::fs::write(&doc, text).unwrap();
        let schema = dir.path().join("schema.json");
        std::fs::write(
            &schema,
            json!({"type": "object", "properties": {
                "label": {"type": "string", "enum": ["fact", "claim", "other"]}
            }})
            .to_string(),
        )
        .unwrap();
        let mut env = Env {
            dir,
            fake,
            conv: String::new(),
        };
        let docs = env.json(&["ingest", doc.to_str().unwrap()], &[]);
        env.conv = docs[0]["conv_uid"].as_str().unwrap().to_string();
        env.json(
            &["schema", "add", schema.to_str().unwrap(), "--ref", "s"],
            &[],
        );
        env
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.args(args).env("BLOCKWISE_STORE", self.path("store.redb"));
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c
    }

    /// Exit code, stdout, stderr.
    fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> (i32, String, String) {
        support::outcome(self.command(args, extra_env).output().unwrap())
    }

    fn json(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let (code, out, err) = self.run(&full, extra_env);
        assert_eq!(code, 0, "blockwise {args:?}: {out}\n{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// Point `custom` at the fake (no key) and create a run on it; its id.
    fn custom_run(&self) -> String {
        let url = self.fake.openai_base_url();
        let (code, out, err) = self.run(&["keys", "set", "custom", "--base-url", &url], &[]);
        assert_eq!(code, 0, "{out}{err}");
        let run = self.json(&["run", "create", &self.conv, "s"], &[]);
        run["run_id"].as_str().unwrap().to_string()
    }

    /// A custom run whose calls take 60 s, and `run start` of it in a child process (stderr
    /// piped).
    fn slow_run_start(&self) -> (String, std::process::Child) {
        let id = self.custom_run();
        self.fake
            .set_default_latency(std::time::Duration::from_secs(60));
        let start = self
            .command(&["--quiet", "run", "start", &id], &[])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        (id, start)
    }

    fn model_calls(&self) -> Vec<support::RecordedRequest> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .collect()
    }
}

/// Wait for `child` to exit, at most `secs` seconds after `what` (then kill it and fail);
/// returns its status and how long it took.
fn exit_within(
    child: &mut std::process::Child,
    secs: u64,
    what: &str,
) -> (std::process::ExitStatus, std::time::Duration) {
    let since = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (s, since.elapsed());
        }
        if since.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("run start still running {secs} s after {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_keyless_custom_endpoint_runs_without_inventing_a_key() {
    let env = Env::new();
    let url = env.fake.openai_base_url();
    // No --stdin, no --env: the endpoint alone.
    let (code, out, err) = env.run(&["keys", "set", "custom", "--base-url", &url], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no key"), "{out}");
    let keys = env.json(&["keys", "list"], &[]);
    assert_eq!(keys[0]["provider"], "custom");
    assert_eq!(keys[0]["key"], "(no key)");
    assert_eq!(keys[0]["base_url"], url.as_str());

    // No --provider: the one set up is used.
    let run = env.json(&["run", "create", &env.conv, "s"], &[]);
    assert_eq!(run["model_config"]["provider"], "custom");
    let id = run["run_id"].as_str().unwrap();
    let (code, out, err) = env.run(&["run", "start", id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let status = env.json(&["run", "status", id], &[]);
    assert_eq!(status["run"]["status"], "complete");
    assert_eq!(status["run"]["counters"]["ai_complete"], 6);
    let calls = env.model_calls();
    assert!(!calls.is_empty());
    for c in &calls {
        assert!(
            !c.headers.contains_key("authorization"),
            "a keyless endpoint gets no Authorization header"
        );
    }
}

#[test]
fn the_custom_environment_variables_are_read_like_the_sdk_ones() {
    let env = Env::new();
    env.fake.set_expected_key(Some("local-secret-1234".into()));
    let vars = [
        ("BLOCKWISE_CUSTOM_BASE_URL", env.fake.openai_base_url()),
        ("BLOCKWISE_CUSTOM_API_KEY", "local-secret-1234".to_string()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let keys = env.json(&["keys", "list"], &vars);
    assert_eq!(keys[0]["provider"], "custom");
    assert_eq!(keys[0]["source"], "env:BLOCKWISE_CUSTOM_API_KEY");
    assert_eq!(keys[0]["key"], "…1234");
    let run = env.json(&["run", "create", &env.conv, "s"], &vars);
    assert_eq!(run["model_config"]["provider"], "custom");
    let id = run["run_id"].as_str().unwrap();
    let (code, out, err) = env.run(&["run", "start", id], &vars);
    assert_eq!(code, 0, "{out}{err}");
    let calls = env.model_calls();
    assert!(!calls.is_empty());
    for c in &calls {
        assert_eq!(c.headers["authorization"], "Bearer local-secret-1234");
    }
    // The URL alone is enough for a keyless server.
    env.fake.set_expected_key(None);
    let url_only = [vars[0]];
    let keys = env.json(&["keys", "list"], &url_only);
    assert_eq!(keys[0]["key"], "(no key)");
    assert_eq!(keys[0]["source"], "env:BLOCKWISE_CUSTOM_BASE_URL");
}

#[test]
fn run_create_without_a_provider_is_an_error_listing_the_ways_to_get_one() {
    let env = Env::new();
    let (code, out, err) = env.run(&["run", "create", &env.conv, "s"], &[]);
    assert_eq!(code, 1, "{out}{err}");
    for way in [
        "keys set anthropic",
        "ANTHROPIC_API_KEY",
        "keys set custom --base-url",
        "BLOCKWISE_CUSTOM_BASE_URL",
        "--provider demo",
    ] {
        assert!(err.contains(way), "missing {way:?} in: {err}");
    }
    // Nothing was created; the demo only when asked for.
    assert_eq!(env.json(&["run", "list"], &[]), json!([]));
    let run = env.json(
        &["run", "create", &env.conv, "s", "--provider", "demo"],
        &[],
    );
    assert_eq!(run["model_config"]["provider"], "demo");
    // A named custom provider without an endpoint says how to set one.
    let (code, _, err) = env.run(
        &["run", "create", &env.conv, "s", "--provider", "custom"],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("keys set custom --base-url"), "{err}");
}

/// Issue 14 item 2: a llama.cpp server's `/props` is read at `keys set` and `keys test`, and the
/// values are shown with source `server`; `keys test` also tells which structured output works.
#[test]
fn keys_set_and_test_discover_a_llama_cpp_server_and_its_structured_output() {
    let env = Env::new();
    env.fake.set_local(Some(FakeLocal::LlamaCpp {
        n_ctx: 4096,
        slots: 1,
    }));
    let url = env.fake.openai_base_url();
    let (code, out, err) = env.run(&["keys", "set", "custom", "--base-url", &url], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("llama.cpp: context 4096 tokens per request, 1 slot")
            && out.contains("(source: server)"),
        "{out}"
    );
    let (code, out, err) = env.run(&["keys", "test", "custom"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("structured output: json_schema works"),
        "{out}"
    );
    let t = env.json(&["keys", "test", "custom"], &[]);
    assert_eq!(t["server"]["kind"], "llama_cpp");
    assert_eq!(t["server"]["context_tokens"], 4096);
    assert_eq!(t["server"]["slots"], 1);
    assert_eq!(t["structured_output"], "json_schema");
    // The probe is a real structured request: a json_schema response format was sent.
    assert!(env.model_calls().iter().any(|r| r
        .body
        .pointer("/response_format/json_schema/schema")
        .is_some()));

    // json_schema refused: a forced tool is what works.
    env.fake.set_json_schema_supported(false);
    let t = env.json(&["keys", "test", "custom"], &[]);
    assert_eq!(t["structured_output"], "tool");
    // Neither: the key is fine, but the server cannot run a schema; exit 1 says so.
    env.fake.set_tools_supported(false);
    let (code, out, _) = env.run(&["keys", "test", "custom"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NEITHER"), "{out}");
}

#[test]
fn vllm_and_ollama_limits_are_discovered_and_a_plain_api_reports_none() {
    let env = Env::new();
    let url = env.fake.openai_base_url();
    env.run(&["keys", "set", "custom", "--base-url", &url], &[]);
    env.fake.set_local(Some(FakeLocal::Vllm {
        max_model_len: 8192,
    }));
    let t = env.json(&["keys", "test", "custom"], &[]);
    assert_eq!(t["server"]["kind"], "vllm");
    assert_eq!(t["server"]["context_tokens"], 8192);
    assert_eq!(
        t["server"]["model"], "fake-model",
        "the one model it serves"
    );
    env.fake.set_local(Some(FakeLocal::Ollama {
        num_ctx: Some(2048),
        context_length: 32768,
    }));
    let t = env.json(&["keys", "test", "custom"], &[]);
    assert_eq!(t["server"]["kind"], "ollama");
    assert_eq!(
        t["server"]["context_tokens"], 2048,
        "num_ctx is what it runs with"
    );
    env.fake.set_local(None);
    let t = env.json(&["keys", "test", "custom"], &[]);
    assert_eq!(t["server"], Value::Null);
    assert_eq!(t["structured_output"], "json_schema");
}

/// Issue 14 item 3: the endpoint is taken when the run starts. A run created while the custom
/// key pointed at one server calls the server configured when it starts, and each call
/// records the endpoint it used.
#[test]
fn the_endpoint_changed_between_create_and_start_is_the_one_called() {
    let env = Env::new();
    let old = env.fake.openai_base_url();
    env.run(&["keys", "set", "custom", "--base-url", &old], &[]);
    let run = env.json(&["run", "create", &env.conv, "s"], &[]);
    let id = run["run_id"].as_str().unwrap();
    assert!(
        run["model_config"].get("base_url").is_none(),
        "not frozen: {run}"
    );

    let moved = FakeServer::start(FakeConfig {
        keyless: true,
        ..FakeConfig::default()
    })
    .unwrap();
    let new = moved.openai_base_url();
    env.run(&["keys", "set", "custom", "--base-url", &new], &[]);
    let (code, out, err) = env.run(&["run", "start", id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(env.fake.call_count(), 0, "the old endpoint is not called");
    assert!(moved.call_count() > 0);
    let calls = env.json(&["run", "calls", id], &[]);
    for c in calls.as_array().unwrap() {
        assert_eq!(c["endpoint"], new.as_str());
    }
    let (_, out, _) = env.run(&["run", "status", id], &[]);
    assert!(
        out.contains(&format!("endpoint  {new} (last call)")),
        "{out}"
    );
}

/// Issue 14 item 5: `run start` says at once that calls are out, before any answer.
#[test]
fn run_start_shows_calls_in_flight_before_the_first_answer() {
    let env = Env::new();
    let id = &env.custom_run();
    env.fake
        .set_default_latency(std::time::Duration::from_millis(1500));
    let (code, out, err) = env.run(&["run", "start", id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("waiting for the first answer (1 call in flight, 0 s)"),
        "{out}"
    );
    assert!(out.contains("complete"), "{out}");
}

/// Issue 14 item 4 across processes: `run cancel` from another process stops a `run start`
/// whose call is in flight within a second, and nothing is lost.
#[test]
fn run_cancel_from_another_process_stops_run_start_within_a_second() {
    let env = Env::new();
    let (id, mut start) = env.slow_run_start();
    let t = std::time::Instant::now();
    while env.fake.call_count() == 0 {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "no call was sent"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (code, out, err) = env.run(&["run", "cancel", &id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (status, took) = exit_within(&mut start, 5, "the cancel");
    assert_eq!(
        status.code(),
        Some(6),
        "a cancelled run exits 6: {status:?}"
    );
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
    let status = env.json(&["run", "status", &id], &[]);
    assert_eq!(status["run"]["status"], "cancelled");
    assert_eq!(status["run"]["counters"]["pending"], 6);
    assert_eq!(status["run"]["counters"]["claimed"], 0);
    let calls = env.json(&["run", "calls", &id], &[]);
    assert!(calls
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["outcome"] == "cancelled"));
}

/// Issue 14 gap: Ctrl-C (SIGINT) during `run start` aborts the calls in flight like a cancel
/// does — each recorded `cancelled` with its cost counted at its upper bound, its blocks back to
/// pending without using an attempt — and the run stays `running`, so `run start` finishes it.
#[test]
fn ctrl_c_during_run_start_records_calls_in_flight_as_cancelled_and_releases_their_blocks() {
    let env = Env::new();
    // A user price for the custom server's model, so the upper bound is a number.
    std::fs::create_dir_all(env.path("config")).unwrap();
    std::fs::write(
        env.path("config").join("prices.json"),
        r#"{"models": {"default": {"input": 1.0, "output": 5.0, "cache_write": 0.0, "cache_read": 0.0}}}"#,
    )
    .unwrap();
    let (id, mut start) = env.slow_run_start();
    // Wait until every call sent is recorded in flight and has reached the server.
    let t = std::time::Instant::now();
    let sent = loop {
        let calls = env.json(&["run", "calls", &id], &[]);
        let in_flight = calls
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"] == "in_flight")
            .count();
        if in_flight > 0 && in_flight as u64 == env.fake.call_count() {
            break in_flight;
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(30),
            "no call in flight: {calls}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let r = unsafe { libc::kill(start.id() as i32, libc::SIGINT) };
    assert_eq!(r, 0);
    let (status, took) = exit_within(&mut start, 10, "SIGINT");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut start.stderr.take().unwrap(), &mut err).unwrap();
    println!("SIGINT with {sent} call(s) in flight: exit {status:?} after {took:?}: {err}");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");

    let calls = env.json(&["run", "calls", &id], &[]);
    let calls = calls.as_array().unwrap();
    println!("{}", serde_json::to_string_pretty(calls).unwrap());
    assert_eq!(calls.len(), sent, "one record per call sent");
    let mut upper = 0.0;
    for c in calls {
        assert_eq!(c["outcome"], "cancelled", "{c}");
        assert!(
            c["detail"]
                .as_str()
                .unwrap()
                .contains("session interrupted"),
            "{c}"
        );
        assert_eq!(c["endpoint"], env.fake.openai_base_url().as_str(), "{c}");
        upper += c["cost_upper_usd"].as_f64().expect("an upper bound");
    }
    assert!(upper > 0.0);
    let status = env.json(&["run", "status", &id], &[]);
    let run = &status["run"];
    assert_eq!(run["status"], "running", "resumable by `run start`");
    assert_eq!(run["counters"]["claimed"], 0, "blocks released: {run}");
    assert_eq!(run["counters"]["pending"], 6, "{run}");
    assert_eq!(run["usage"]["calls"], sent as u64);
    assert_eq!(run["usage"]["failed_calls"], 0);
    let cost = run["usage"]["cost_usd"].as_f64().unwrap();
    assert!(
        (cost - upper).abs() < 1e-9,
        "cost {cost} = upper bound {upper}"
    );
    {
        let store = blockwise::store::Store::open(&env.path("store.redb")).unwrap();
        let unused = (0..6).all(|i| {
            let ov = store.overlay(&id, i).unwrap().unwrap();
            ov.attempt_count == 0 && ov.claimed_by.is_none()
        });
        assert!(
            unused,
            "the aborted calls used no attempt and hold no claim"
        );
    }

    // The next session finishes the run, no attempt used by the aborted calls.
    env.fake.set_default_latency(std::time::Duration::ZERO);
    let (code, out, err) = env.run(&["run", "start", &id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let status = env.json(&["run", "status", &id], &[]);
    assert_eq!(status["run"]["status"], "complete");
    assert_eq!(status["run"]["counters"]["ai_complete"], 6);
}

/// Issue 14 gap: `run status` shows the run's timeout and transient retries (from its policy
/// snapshot) and what the server said at the last session start, with source `server`.
#[test]
fn run_status_shows_the_timeout_retries_and_the_servers_last_limits() {
    let env = Env::new();
    env.fake.set_local(Some(FakeLocal::LlamaCpp {
        n_ctx: 2048,
        slots: 1,
    }));
    for (key, value) in [
        ("worker.request_timeout_seconds", "300"),
        ("worker.transient_retries", "3"),
    ] {
        let (code, out, err) = env.run(&["policy", "set", key, value], &[]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let id = env.custom_run();
    // Before any session: the policy line, no server line.
    let (code, out, err) = env.run(&["run", "status", &id], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("request_timeout_seconds=300 transient_retries=3 (run snapshot)"),
        "{out}"
    );
    assert!(!out.contains("source: server"), "{out}");
    let (code, out, err) = env.run(&["run", "start", &id], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = env.run(&["run", "status", &id], &[]);
    assert_eq!(code, 0, "{err}");
    println!("{out}");
    assert!(
        out.contains("server    llama.cpp: context 2048 tokens per request, 1 slot")
            && out.contains("(source: server, session of "),
        "{out}"
    );
    assert!(out.contains("concurrency=1 (source=server)"), "{out}");
    assert!(
        out.contains("context_window_tokens=2048 (source=server)"),
        "{out}"
    );
    let status = env.json(&["run", "status", &id], &[]);
    let server = &status["run"]["server"];
    assert_eq!(server["context_tokens"], 2048, "{status}");
    assert_eq!(server["slots"], 1, "{status}");
    // The snapshot itself is unchanged: the server's values are the session's, not the run's.
    assert_eq!(
        status["run"]["model_config"]["policy"]["worker.concurrency"],
        json!(4)
    );
}
