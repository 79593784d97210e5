//! `schema suggest` (issue 26) over the real binary, a real redb store on a temp dir and the
//! offline DEMO provider: output, the save boundary, refusals that change nothing, and the
//! target "a suggestion saved and run on its own sample document stages >= 95% of blocks with
//! no invalid values".

mod support;

use std::path::Path;

use serde_json::Value;

fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let store = dir.join("s.redb");
    let out = support::blockwise_in(dir)
        .arg("--store")
        .arg(&store)
        .args(args)
        .output()
        .expect("run blockwise");
    support::outcome(out)
}

/// A 60-block Markdown document with headings, paragraphs and list items.
fn ingest_sample(dir: &Path) -> String {
    let mut md = String::new();
    for i in 0..20 {
        md.push_str(&format!("## Clause {i}\n\n"));
        md.push_str(&format!(
            "Party Acme Ltd pays {i}00 EUR to Bob Smith on 2024-03-{:02}.\n\n",
            i % 28 + 1
        ));
        md.push_str(&format!("- obligation {i}\n\n"));
    }
    let path = dir.join("lease.md");
    std::fs::write(&path, md).unwrap();
    let (code, out, err) = cli(dir, &["--json", "ingest", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, docs, _) = cli(dir, &["--json", "docs"]);
    let docs: Value = serde_json::from_str(&docs).unwrap();
    docs[0]["conv_uid"].as_str().unwrap().to_string()
}

fn schema_count(dir: &Path) -> usize {
    let (code, out, err) = cli(dir, &["--json", "schema", "list"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn demo_suggestion_is_checked_labelled_and_samples_at_most_n_blocks() {
    let d = tempfile::tempdir().unwrap();
    ingest_sample(d.path());
    let (code, out, err) = cli(
        d.path(),
        &[
            "--json",
            "schema",
            "suggest",
            "parties, amounts and dates",
            "--blocks",
            "5",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["label"], "DEMO");
    assert_eq!(v["samples"], 5);
    let props = v["schema"]["properties"].as_object().unwrap();
    for f in ["parties", "amounts", "dates", "block_kind", "summary"] {
        assert!(props.contains_key(f), "{f} missing from {props:?}");
    }
    let kinds = props["block_kind"]["enum"].as_array().unwrap();
    for k in ["heading", "paragraph", "list_item"] {
        assert!(kinds.iter().any(|x| x == k), "{k} not in {kinds:?}");
    }
    assert!(jsonschema::validator_for(&v["schema"]).is_ok());
}

#[test]
fn save_goes_through_the_one_boundary_and_refusals_change_nothing() {
    let d = tempfile::tempdir().unwrap();
    let conv = ingest_sample(d.path());
    let p = d.path();
    let (code, out, err) = cli(p, &["schema", "suggest", "parties", "--save", "ai"]);
    assert_eq!(
        (code, out.split_whitespace().next()),
        (0, Some("created")),
        "{err}"
    );
    let (code, out, _) = cli(p, &["schema", "suggest", "parties", "--save", "ai"]);
    assert_eq!(
        (code, out.split_whitespace().next()),
        (0, Some("unchanged"))
    );
    let (code, _, err) = cli(
        p,
        &["schema", "suggest", "parties and dates", "--save", "ai"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("ai_v2"), "{err}");
    assert_eq!(schema_count(p), 1);

    let refusals: [(&[&str], &str); 5] = [
        (
            &["schema", "suggest", "  ", "--save", "x"],
            "intent is empty",
        ),
        (
            &["schema", "suggest", "a b", "--doc", "zzzz", "--save", "x"],
            "zzzz",
        ),
        (
            &[
                "schema",
                "suggest",
                "parties",
                "--provider",
                "anthropic",
                "--save",
                "x",
            ],
            "anthropic",
        ),
        (
            &[
                "schema", "suggest", "parties", "--blocks", "0", "--save", "x",
            ],
            "--blocks",
        ),
        (
            &[
                "schema", "suggest", "parties", "--model", "m", "--save", "x",
            ],
            "--model",
        ),
    ];
    for (args, why) in refusals {
        let (code, _, err) = cli(p, args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains(why) && err.contains("nothing saved"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(schema_count(p), 1);

    let file = p.join("s.json");
    std::fs::write(&file, "keep me").unwrap();
    let (code, _, err) = cli(
        p,
        &["schema", "suggest", "parties", "-o", file.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let fresh = p.join("fresh.json");
    let (code, _, err) = cli(
        p,
        &[
            "schema",
            "suggest",
            "parties",
            "--doc",
            &conv[..8],
            "-o",
            fresh.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    assert!(written["properties"]["parties"].is_object());
}

#[test]
fn saved_demo_suggestion_stages_at_least_95_percent_with_no_invalid_values() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let conv = ingest_sample(p);
    let (code, _, err) = cli(
        p,
        &[
            "schema",
            "suggest",
            "parties, amounts, dates",
            "--save",
            "ai",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (_, shown, _) = cli(p, &["--json", "schema", "show", "ai"]);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    let schema = shown["json"].clone();
    assert!(schema["properties"]["parties"].is_object(), "{schema}");
    let validator = jsonschema::validator_for(&schema).expect("saved schema compiles");

    let (code, out, err) = cli(
        p,
        &["--json", "run", "create", &conv, "ai", "--provider", "demo"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    let run_id = run["run_id"]
        .as_str()
        .or(run["run"]["run_id"].as_str())
        .unwrap()
        .to_string();
    let (code, _, err) = cli(p, &["run", "start", &run_id]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(p, &["export", &run_id, "--mode", "staging"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let total = 60;
    let staged = lines
        .iter()
        .filter(|l| l["user_defined"]["data"].is_object())
        .count();
    let invalid: Vec<&Value> = lines
        .iter()
        .filter(|l| !validator.is_valid(&l["user_defined"]["data"]))
        .collect();
    println!(
        "demo: staged {staged}/{total} ({:.1}%), invalid {}",
        staged as f64 * 100.0 / total as f64,
        invalid.len()
    );
    assert!(staged * 100 >= total * 95, "staged {staged}/{total}");
    assert!(invalid.is_empty(), "invalid values: {invalid:?}");
}

#[test]
fn request_for_a_50000_block_document_carries_at_most_n_samples() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut md = String::with_capacity(50_000 * 24);
    for i in 0..50_000 {
        md.push_str(&format!("Paragraph number {i}.\n\n"));
    }
    let path = p.join("big.md");
    std::fs::write(&path, md).unwrap();
    let (code, _, err) = cli(p, &["ingest", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(
        p,
        &["--json", "schema", "suggest", "numbers", "--blocks", "8"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let bytes = v["request_bytes"].as_u64().unwrap();
    println!(
        "50,000-block document: request {bytes} bytes, {} sample blocks (<= 8)",
        v["samples"]
    );
    assert!(v["samples"].as_u64().unwrap() <= 8);
    assert!(bytes < 8 * 1_500 * 4 + 4_096, "request {bytes} bytes");
}

#[test]
fn refine_prints_the_field_diff_and_never_changes_the_draft_or_store() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ingest_sample(p);
    let draft = p.join("draft.json");
    let (code, _, err) = cli(
        p,
        &[
            "schema",
            "suggest",
            "parties",
            "-o",
            draft.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read_to_string(&draft).unwrap();
    let out_file = p.join("refined.json");
    let (code, _, err) = cli(
        p,
        &[
            "schema",
            "refine",
            draft.to_str().unwrap(),
            "add owner, due_date",
            "-o",
            out_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("+ owner") && err.contains("+ due_date"),
        "{err}"
    );
    let refined: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert!(refined["properties"]["owner"].is_object());
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), before);

    // from a saved schema, to stdout
    let (code, _, err) = cli(p, &["schema", "suggest", "parties", "--save", "ai"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(p, &["schema", "refine", "ai", "remove summary"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("- summary"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["properties"].get("summary").is_none());
    assert!(!v["required"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "summary"));

    let all = "remove parties, block_kind, summary";
    let refusals: [(&str, &str); 4] = [
        (all, "removes every field"),
        ("add parties", "collide"),
        ("make it nicer", "DEMO provider"),
        ("", "instruction is empty"),
    ];
    for (instruction, why) in refusals {
        let (code, out, err) = cli(p, &["schema", "refine", "ai", instruction]);
        assert_eq!(code, 1, "{instruction}: {out}{err}");
        assert!(
            err.contains(why) && err.contains("nothing written"),
            "{instruction}: {err}"
        );
    }
    let (code, _, err) = cli(p, &["schema", "refine", "no_such", "add x"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(schema_count(p), 1);
}
