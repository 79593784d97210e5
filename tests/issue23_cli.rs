//! Issue 23 item 11, the command-line parts: a Markdown export counts confirmed blocks that
//! rewrite nothing, and ids work without their `run_` / `grp_` / `sch_` prefix.

mod support;

use serde_json::Value;
use support::tui::{demo, Demo};

fn cli(env: &Demo, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(env.dir.path());
    c.arg("--store").arg(&env.path).args(args);
    support::outcome(c.output().unwrap())
}

#[test]
fn a_markdown_export_counts_confirmed_blocks_that_rewrite_nothing() {
    let env = demo(true);
    let (code, out, err) = cli(
        &env,
        &["review", "confirm", &env.run_id, "--blocks", "0-19"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let md = env.dir.path().join("out.md");
    let md = md.to_str().unwrap();
    // The summary is a diagnostic: stderr.
    let (code, _, err) = cli(&env, &["export", &env.run_id, "-o", md]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("(20 confirmed, 0 drafts)"), "{err}");
    let (code, out, err) = cli(
        &env,
        &[
            "--json",
            "export",
            &env.run_id,
            "-o",
            md,
            "--mode",
            "staging",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["confirmed"], 20, "{v}");
    assert_eq!(v["drafts"], 1, "the one staged block is a draft: {v}");
}

#[test]
fn run_group_and_schema_ids_work_without_their_prefix() {
    let env = demo(true);
    let bare = env.run_id.strip_prefix("run_").unwrap();
    let short = &bare[..4];
    for name in [env.run_id.as_str(), &env.run_id[..8], short] {
        let (code, out, err) = cli(&env, &["run", "status", name]);
        assert_eq!(code, 0, "run status {name}: {err}");
        assert!(out.contains(&env.run_id), "{out}");
    }
    let (code, out, err) = cli(&env, &["run", "calls", short]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = cli(&env, &["export", short]);
    assert_eq!(code, 0, "{err}");
    // A name that matches nothing says what was typed.
    let (code, _, err) = cli(&env, &["run", "status", "zzzz"]);
    assert_eq!(code, 1);
    assert!(err.contains("zzzz"), "{err}");

    let (code, out, err) = cli(&env, &["--json", "schema", "list"]);
    assert_eq!(code, 0, "{err}");
    let schemas: Value = serde_json::from_str(&out).unwrap();
    let id = schemas[0]["schema_id"].as_str().unwrap();
    let bare = &id.strip_prefix("sch_").unwrap()[..6];
    let (code, out, err) = cli(&env, &["--json", "schema", "show", bare]);
    assert_eq!(code, 0, "schema show {bare}: {err}");
    assert!(out.contains(id), "{out}");
}
