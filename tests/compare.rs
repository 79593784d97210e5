//! `run compare` through the real binary (issue 27 items 3 and 4): self-agreement, exactly the
//! blocks that differ, fields only one schema has, different documents refused, `--field`,
//! and gold scores that count only the gold run's confirmed blocks.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blockwise::review::{self, Selection, Target};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::workspace::Workspace;
use serde_json::{json, Value};

fn cli(store: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(store.parent().unwrap());
    c.arg("--store").arg(store).args(args);
    support::outcome(c.output().unwrap())
}

fn schema_s() -> Value {
    json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "quote": {"type": "string", "x-grounded": true}
    }})
}

struct Env {
    _dir: tempfile::TempDir,
    store: PathBuf,
    docs: Vec<String>,
}

/// Two documents (12 and 3 paragraphs), schemas `s` and `s2` (`s` plus a field `extra`).
fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Arc::new(Store::open(&path).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, "tester").unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    for (name, n) in [("one.md", 12), ("two.md", 3)] {
        let text: String = (0..n)
            .map(|i| format!("{name} paragraph {i} has words w{i}a w{i}b.\n\n"))
            .collect();
        std::fs::write(dir.path().join(name), &text).unwrap();
        docs.push(
            ws.ingest(&dir.path().join(name), limits)
                .unwrap()
                .document
                .conv_uid,
        );
    }
    schema::save(
        &store,
        SaveRequest::new(schema_s(), Some("s".into()), "tester"),
    )
    .unwrap();
    let mut s2 = schema_s();
    s2["properties"]["extra"] = json!({"type": "integer"});
    schema::save(&store, SaveRequest::new(s2, Some("s2".into()), "tester")).unwrap();
    Env {
        _dir: dir,
        store: path,
        docs,
    }
}

impl Env {
    /// A worked demo run of `schema` over document `doc`; its run id.
    fn worked_run(&self, doc: usize, schema: &str) -> String {
        let (code, out, err) = cli(
            &self.store,
            &[
                "--json",
                "run",
                "create",
                &self.docs[doc],
                schema,
                "--provider",
                "demo",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let run: Value = serde_json::from_str(&out).unwrap();
        let id = run["run_id"].as_str().unwrap().to_string();
        let (code, _, err) = cli(&self.store, &["-q", "run", "start", &id]);
        assert_eq!(code, 0, "{err}");
        id
    }

    fn compare_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json", "run", "compare"];
        all.extend_from_slice(args);
        let (code, out, err) = cli(&self.store, &all);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    fn store(&self) -> Store {
        Store::open(&self.store).unwrap()
    }
}

fn field<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {c}"))
}

fn differing(f: &Value) -> Vec<u64> {
    f["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["block_index"].as_u64().unwrap())
        .collect()
}

/// Change block `index`'s label in `run` to another enum member.
fn relabel(store: &Store, run: &str, index: u32) {
    let ov = store.overlay(run, index).unwrap().unwrap();
    let now = ov.staging.unwrap()["label"].as_str().unwrap().to_string();
    let other = if now == "fact" { "claim" } else { "fact" };
    review::edit(store, run, index, "label", other, "tester").unwrap();
}

#[test]
fn a_run_compared_with_itself_agrees_fully_with_kappa_one() {
    let env = setup();
    let a = env.worked_run(0, "s");
    let c = env.compare_json(&[&a, &a]);
    for name in ["label", "quote"] {
        let f = field(&c, name);
        assert_eq!(f["compared"], 12, "{f}");
        assert_eq!(f["exact_rate"], 1.0);
        assert_eq!(f["normalized_rate"], 1.0);
        assert!(differing(f).is_empty());
    }
    assert_eq!(field(&c, "label")["kappa"], 1.0);
    assert_eq!(
        field(&c, "quote")["kappa"],
        Value::Null,
        "κ only for enums and booleans"
    );
    let (code, out, _) = cli(&env.store, &["run", "compare", &a, &a]);
    assert_eq!(code, 0);
    assert!(out.contains("100.0%") && out.contains("1.000"), "{out}");
}

#[test]
fn two_runs_that_differ_on_known_blocks_report_exactly_those() {
    let env = setup();
    let (a, b) = (env.worked_run(0, "s"), env.worked_run(0, "s"));
    {
        let store = env.store();
        relabel(&store, &b, 2);
        relabel(&store, &b, 7);
        // A case-and-space change is an exact difference, not a material one.
        let q = store.overlay(&b, 4).unwrap().unwrap().staging.unwrap()["quote"].clone();
        let shouted = q.as_str().unwrap().to_uppercase().replace(' ', "  ");
        review::edit(&store, &b, 4, "quote", &shouted, "tester").unwrap();
    }
    let c = env.compare_json(&[&a, &b]);
    let label = field(&c, "label");
    assert_eq!(differing(label), vec![2, 7]);
    assert_eq!(label["exact"], 10);
    assert!(label["kappa"].as_f64().unwrap() < 1.0);
    let quote = field(&c, "quote");
    assert_eq!(
        (quote["exact"].as_u64(), quote["normalized"].as_u64()),
        (Some(11), Some(12))
    );
    assert!(differing(quote).is_empty());
    let (_, out, _) = cli(&env.store, &["run", "compare", &a, &b, "--field", "label"]);
    assert!(out.contains("label: 2 blocks differ: 2, 7"), "{out}");
    assert!(
        !out.contains("quote"),
        "--field shows only that field: {out}"
    );
}

#[test]
fn a_field_only_one_schema_has_is_listed_as_not_compared() {
    let env = setup();
    let (a, c2) = (env.worked_run(0, "s"), env.worked_run(0, "s2"));
    let c = env.compare_json(&[&a, &c2]);
    assert_eq!(
        c["not_compared"],
        json!([{"field": "extra", "only_in": "B"}])
    );
    assert_eq!(c["fields"].as_array().unwrap().len(), 2);
    let (code, _, err) = cli(&env.store, &["run", "compare", &a, &c2, "--field", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("field 'nope' is in neither schema"), "{err}");
}

#[test]
fn runs_over_different_documents_are_refused_naming_them() {
    let env = setup();
    let (a, other) = (env.worked_run(0, "s"), env.worked_run(1, "s"));
    let (code, out, err) = cli(&env.store, &["run", "compare", &a, &other]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("not over the same documents"), "{err}");
    assert!(err.contains(&a) && err.contains(&other), "{err}");
    assert!(
        err.contains(&env.docs[0][..12]) && err.contains(&env.docs[1][..12]),
        "{err}"
    );
    let (code, _, err) = cli(&env.store, &["run", "compare", &a]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_gold_score_counts_only_the_gold_runs_confirmed_blocks() {
    let env = setup();
    let (cand, gold) = (env.worked_run(0, "s"), env.worked_run(0, "s"));
    {
        let store = env.store();
        relabel(&store, &gold, 1);
        relabel(&store, &gold, 9);
        let sel = Selection::range(0, 5);
        review::confirm(&store, &gold, &Target::Blocks(sel), "tester").unwrap();
    }
    let c = env.compare_json(&[&cand, "--gold", &gold]);
    assert_eq!(c["gold"], true);
    let label = field(&c, "label");
    assert_eq!(
        label["compared"], 6,
        "only the 6 confirmed gold blocks count"
    );
    assert_eq!(
        differing(label),
        vec![1],
        "block 9 differs but is not confirmed gold"
    );
    assert!((label["exact_rate"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    let (_, out, _) = cli(&env.store, &["run", "compare", &cand, "--gold", &gold]);
    assert!(
        out.contains("ACCURACY") && out.contains("label: 1 blocks wrong: 1"),
        "{out}"
    );
}

#[test]
fn two_groups_over_a_project_compare_document_by_document() {
    let env = setup();
    {
        let ws = Workspace::new(Arc::new(env.store()));
        ws.create_project("p", None).unwrap();
        ws.add_to_project("p", &env.docs).unwrap();
    }
    let group = |env: &Env| {
        let (code, out, err) = cli(
            &env.store,
            &[
                "--json",
                "run",
                "create",
                "--project",
                "p",
                "s",
                "--provider",
                "demo",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let id = v["group"]["group_id"]
            .as_str()
            .or_else(|| v["group_id"].as_str())
            .unwrap_or_else(|| panic!("no group id in {v}"))
            .to_string();
        let (code, _, err) = cli(&env.store, &["-q", "run", "start", &id]);
        assert_eq!(code, 0, "{err}");
        id
    };
    let (g1, g2) = (group(&env), group(&env));
    let c = env.compare_json(&[&g1, &g2]);
    assert_eq!(c["documents"].as_array().unwrap().len(), 2);
    let label = field(&c, "label");
    assert_eq!(label["compared"], 15, "12 + 3 blocks");
    assert_eq!(label["kappa"], 1.0);
    // A group against a run of one of its documents: not the same documents.
    let one = env.worked_run(0, "s");
    let (code, _, err) = cli(&env.store, &["run", "compare", &g1, &one]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("only {g1} covers document")), "{err}");
}
