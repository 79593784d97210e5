//! `run status` of a run that a live worker of another process holds: the session's time so far
//! counts as active time (a run's stored `active_millis` grows only when a session ends, so a
//! live run used to show `0.0s active`).

mod support;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::{Holder, Store};
use blockwise::worker::{self, CreateRunOptions};
use serde_json::json;

#[test]
fn a_held_runs_status_counts_the_live_sessions_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let store = Store::open(&path).unwrap();
    policy::ensure_workspace_admin_as(&store, "tester").unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(&doc, "one\n\ntwo\n").unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), "tester")).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let run = worker::create_run(&store, &conv, "s", &opts).unwrap();
    // A worker on another host took the run 90 s ago (within the lease, so it counts as live).
    let since_ms = blockwise::clock::now_millis() - 90_000;
    let other = Holder {
        worker: format!("elsewhere:4242:{since_ms}"),
        host: "elsewhere".into(),
        pid: 4242,
        command: None,
        since: "earlier".into(),
        since_ms,
    };
    let refused = store.acquire_holder(&run.run_id, &other, &|_, _| false);
    assert_eq!(refused.unwrap(), None, "the holder was written");
    drop(store);
    let mut c = support::blockwise_in(dir.path());
    c.arg("--store")
        .arg(&path)
        .args(["run", "status", &run.run_id, "--json"]);
    let (code, out, err) = support::outcome(c.output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let secs = v["elapsed_seconds"].as_f64().unwrap();
    assert!((89.0..3600.0).contains(&secs), "elapsed {secs} s: {out}");
    let mut c = support::blockwise_in(dir.path());
    c.arg("--store")
        .arg(&path)
        .args(["run", "status", &run.run_id]);
    let (code, out, _) = support::outcome(c.output().unwrap());
    assert_eq!(code, 0);
    assert!(
        out.contains("running ▶ worker pid 4242 on elsewhere"),
        "{out}"
    );
}
