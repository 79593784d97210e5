//! `run start`'s progress line counts only the blocks it works: blocks skipped by type
//! (`worker.skip_block_types`, page furniture by default) are neither done nor in the total,
//! and are named apart (they used to count as done).

mod support;

fn cli(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(dir);
    c.arg("--store").arg(dir.join("s.redb")).args(args);
    support::outcome(c.output().unwrap())
}

#[test]
fn skipped_blocks_are_not_counted_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("d.md"), "# Title\n\none\n\n## Sub\n\ntwo\n\nthree\n").unwrap();
    let schema = r#"{"type":"object","properties":{"q":{"type":"string"}}}"#;
    std::fs::write(d.join("s.json"), schema).unwrap();
    let (doc, schema) = (d.join("d.md"), d.join("s.json"));
    let (doc, schema) = (doc.to_str().unwrap(), schema.to_str().unwrap());
    for args in [
        &["ingest", doc, "-q"][..],
        &["schema", "add", schema, "--ref", "s", "-q"],
        &[
            "policy",
            "set",
            "worker.skip_block_types",
            r#"["heading"]"#,
            "--reason",
            "t",
        ],
    ] {
        let (code, out, err) = cli(d, args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let (_, docs, _) = cli(d, &["docs", "--json"]);
    let docs: serde_json::Value = serde_json::from_str(&docs).unwrap();
    let conv = docs[0]["conv_uid"].as_str().unwrap().to_string();
    let (code, out, err) = cli(
        d,
        &["run", "create", &conv, "s", "--provider", "demo", "--json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let run: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = run["run_id"].as_str().unwrap();
    let (code, out, err) = cli(d, &["run", "start", id]);
    assert_eq!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains(&format!(
            "{id}: 3/3 done (3 staged, 0 failed) (2 skipped by type)"
        )),
        "{all}"
    );
}
