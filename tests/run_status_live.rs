//! `run status` of a run that a live worker of another process holds: the session's time so far
//! counts as active time (a run's stored `active_millis` grows only when a session ends, so a
//! live run used to show `0.0s active`).

mod support;

use blockwise::store::Holder;
use support::batch_env;

#[test]
fn a_held_runs_status_counts_the_live_sessions_time() {
    let env = batch_env::setup(2, "claude-sonnet-4-5");
    let run = env.create();
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
    let refused = env.store.acquire_holder(&run.run_id, &other, &|_, _| false);
    assert_eq!(refused.unwrap(), None, "the holder was written");
    let status = |json: bool| {
        let mut c = support::blockwise_in(env.dir());
        c.arg("--store").arg(env.store_path());
        c.args(["run", "status", &run.run_id]);
        if json {
            c.arg("--json");
        }
        support::outcome(c.output().unwrap())
    };
    let (code, out, err) = status(true);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let secs = v["elapsed_seconds"].as_f64().unwrap();
    assert!((89.0..3600.0).contains(&secs), "elapsed {secs} s: {out}");
    let (code, out, _) = status(false);
    assert_eq!(code, 0);
    assert!(
        out.contains("running ▶ worker pid 4242 on elsewhere"),
        "{out}"
    );
}
