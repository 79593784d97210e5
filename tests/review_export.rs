//! Review operations (confirm, reject, edit, discard, refusals, review record) and exports
//! (JSONL shape, CSV round trip, Markdown reconstruction, atomic -o), library and CLI.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blockwise::export::{self, Format, Mode};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{Block, Document, ModelConfig, Overlay, OverlayStatus, Run, RunStatus};
use blockwise::review::{self, ReviewError, Selection, Target};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use serde_json::{json, Value};

const USER: &str = "reviewer";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn schema_json() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Rewrite review",
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["keep", "rewrite", "skip_nonprose"]},
            "final": {
                "type": "object",
                "properties": {
                    "format": {"type": "string", "enum": ["markdown_fragment"]},
                    "content": {"type": "string"}
                },
                "required": ["format", "content"]
            },
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"type": ["string", "null"]}
        },
        "required": ["action", "final"]
    })
}

/// The answer the simulated worker gives for a block: every third block is rewritten.
fn answer(b: &Block) -> Value {
    let i = b.block_index;
    let rewrite = i.is_multiple_of(3);
    json!({
        "action": if rewrite { "rewrite" } else { "keep" },
        "final": {
            "format": "markdown_fragment",
            "content": if rewrite {
                format!("Rewritten block {i}, with \"quotes\", commas\nand a second line")
            } else {
                b.block_content.clone()
            }
        },
        "confidence": 0.5,
        "count": i,
        "tags": ["a", "b, c"],
        "note": null
    })
}

struct Fx {
    _dir: tempfile::TempDir,
    store_path: PathBuf,
    store: Store,
    doc: Document,
    blocks: Vec<Block>,
    run_id: String,
    source: Vec<u8>,
}

fn new_run(run_id: &str, doc: &Document, schema: &blockwise::model::Schema) -> Run {
    Run::new(
        run_id,
        &doc.conv_uid,
        (&schema.schema_id, &schema.schema_ref, &schema.schema_uid),
        ModelConfig::fixed("demo", "demo", 0.0, 100),
        "tester",
    )
}

/// Ingest `rel`, save the schema, create run `run_1` with one overlay per block (or `overlays`).
fn setup_with(rel: &str, overlays: Option<u32>) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("s.redb");
    let store = Store::open(&store_path).unwrap();
    let path = fixture(rel);
    let doc = ingest_path(&store, &path, IngestLimits::default())
        .unwrap()
        .document;
    let schema = save(
        &store,
        SaveRequest::new(schema_json(), Some("rw".into()), "tester"),
    )
    .unwrap()
    .schema()
    .clone();
    let run = new_run("run_1", &doc, &schema);
    store
        .create_run(&run, overlays.unwrap_or(doc.total_blocks))
        .unwrap();
    let blocks = store.blocks(&doc.conv_uid).unwrap();
    Fx {
        _dir: dir,
        store_path,
        store,
        blocks,
        doc,
        run_id: "run_1".into(),
        source: std::fs::read(&path).unwrap(),
    }
}

fn setup() -> Fx {
    setup_with("markdown/all_types.md", None)
}

impl Fx {
    /// Simulate the worker: the given blocks become ai_complete with the model's answer.
    fn stage(&self, indices: impl IntoIterator<Item = u32>) {
        self.store
            .with_run(&self.run_id, |rt| {
                for i in indices {
                    let mut ov = rt.overlay(i)?.unwrap();
                    let v = answer(&self.blocks[i as usize]);
                    ov.status = OverlayStatus::AiComplete;
                    ov.staging = Some(v.clone());
                    ov.model_output = Some(v);
                    ov.attempt_count = 2;
                    ov.last_error = Some("earlier try failed".into());
                    rt.put_overlay(&ov)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    fn stage_all(&self) {
        self.stage(0..self.doc.total_blocks);
    }

    fn ov(&self, i: u32) -> Overlay {
        self.store.overlay(&self.run_id, i).unwrap().unwrap()
    }

    fn run(&self) -> Run {
        self.store.get_run(&self.run_id).unwrap().unwrap()
    }

    fn export(&self, format: Format, mode: Mode) -> String {
        let mut out = Vec::new();
        export::export_to_writer(&self.store, &self.run_id, format, mode, &mut out, "mem").unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sel(s: &str) -> Selection {
        s.parse().unwrap()
    }
}

// ---------------------------------------------------------------- review operations

#[test]
fn confirm_one_a_selection_and_all_stamps_and_records() {
    let fx = setup();
    let n = fx.doc.total_blocks;
    assert!(n >= 12, "fixture too small: {n}");
    fx.stage(0..10);

    let one = review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("0")), USER).unwrap();
    assert_eq!(one.count, 1);
    let ov = fx.ov(0);
    assert_eq!(ov.status, OverlayStatus::Confirmed);
    assert_eq!(ov.confirmed, ov.staging);
    assert_eq!(ov.confirmed, Some(answer(&fx.blocks[0])));
    assert_eq!(ov.confirmed_by.as_deref(), Some(USER));
    assert!(ov.confirmed_at.as_deref().is_some_and(|t| t.ends_with('Z')));

    let sel = review::confirm(
        &fx.store,
        &fx.run_id,
        &Target::Blocks(Fx::sel("3,5-6")),
        USER,
    )
    .unwrap();
    assert_eq!(
        (sel.count, sel.blocks.to_string()),
        (3, "3,5-6".to_string())
    );
    for i in [3, 5, 6] {
        assert_eq!(fx.ov(i).status, OverlayStatus::Confirmed);
    }
    assert_eq!(fx.ov(4).status, OverlayStatus::AiComplete);

    let all = review::confirm(&fx.store, &fx.run_id, &Target::AllStaged, USER).unwrap();
    assert_eq!(all.blocks.to_string(), "1-2,4,7-9");
    let c = fx.run().counters;
    assert_eq!((c.confirmed, c.ai_complete, c.pending), (10, 0, n - 10));
    assert_eq!(
        fx.store
            .indices_with_status(&fx.run_id, OverlayStatus::Confirmed)
            .unwrap()
            .len(),
        10
    );

    // Nothing left staged: confirm --all is a no-op and records nothing.
    let none = review::confirm(&fx.store, &fx.run_id, &Target::AllStaged, USER).unwrap();
    assert_eq!((none.count, none.event_seq), (0, None));

    let log = fx.store.review_log(Some(&fx.run_id)).unwrap();
    let rows: Vec<(&str, &str, &str, u32)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.by.as_str(), e.blocks.as_str(), e.count))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("confirm", USER, "0", 1),
            ("confirm", USER, "3,5-6", 3),
            ("confirm", USER, "1-2,4,7-9", 6)
        ]
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(log
        .iter()
        .all(|e| e.run_id == fx.run_id && !e.at.is_empty()));
}

#[test]
fn refusals_name_the_block_and_state_and_change_nothing() {
    let fx = setup();
    fx.stage([0, 1, 2]);
    review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("2")), USER).unwrap();
    let before = fx.store.fingerprint().unwrap();
    fn msg<T: std::fmt::Debug>(r: Result<T, ReviewError>) -> String {
        r.unwrap_err().to_string()
    }

    let m = msg(review::confirm(
        &fx.store,
        &fx.run_id,
        &Target::Blocks(Fx::sel("7")),
        USER,
    ));
    assert!(
        m.starts_with("block 7 is pending: nothing to confirm"),
        "{m}"
    );
    // A selection with no staged block is refused as a whole.
    let m = msg(review::confirm(
        &fx.store,
        &fx.run_id,
        &Target::Blocks(Fx::sel("2,7")),
        USER,
    ));
    assert!(
        m.contains("block 2 is confirmed")
            && m.contains("block 7 is pending")
            && m.contains("nothing was changed"),
        "{m}"
    );
    let m = msg(review::confirm(
        &fx.store,
        &fx.run_id,
        &Target::Blocks(Fx::sel("0,9999")),
        USER,
    ));
    assert!(m.contains("block 9999 does not exist"), "{m}");
    let m = msg(review::reject(&fx.store, &fx.run_id, &Fx::sel("2"), USER));
    assert!(
        m.starts_with("block 2 is confirmed: nothing to reject"),
        "{m}"
    );
    let m = msg(review::reject(&fx.store, &fx.run_id, &Fx::sel("5"), USER));
    assert!(
        m.starts_with("block 5 is pending: nothing to reject"),
        "{m}"
    );
    let m = msg(review::edit(
        &fx.store,
        &fx.run_id,
        5,
        "confidence",
        "0.2",
        USER,
    ));
    assert!(m.starts_with("block 5 is pending: nothing to edit"), "{m}");
    let m = msg(review::edit(
        &fx.store,
        &fx.run_id,
        2,
        "confidence",
        "0.2",
        USER,
    ));
    assert!(
        m.starts_with("block 2 is confirmed: nothing to edit"),
        "{m}"
    );
    let m = msg(review::discard_edit(&fx.store, &fx.run_id, 0, USER));
    assert!(m.contains("block 0 has no draft edit"), "{m}");
    let m = msg(review::discard_edit(&fx.store, &fx.run_id, 6, USER));
    assert!(m.starts_with("block 6 is pending"), "{m}");
    let m = msg(review::edit(&fx.store, &fx.run_id, 0, "nope", "1", USER));
    assert!(
        m.contains("no field 'nope'") && m.contains("confidence"),
        "{m}"
    );
    // Many offenders: the first few are named, the rest counted.
    let m = msg(review::confirm(
        &fx.store,
        &fx.run_id,
        &Target::Blocks(Fx::sel("3-13")),
        USER,
    ));
    assert!(
        m.contains("block 3 is pending") && m.contains("more)"),
        "{m}"
    );
    let e = review::confirm(&fx.store, "no_such_run", &Target::AllStaged, USER).unwrap_err();
    assert!(
        e.to_string().contains("no run matches 'no_such_run'"),
        "{e}"
    );

    assert_eq!(
        fx.store.fingerprint().unwrap(),
        before,
        "a refusal wrote something"
    );
}

#[test]
fn reject_returns_blocks_to_the_queue_with_attempts_reset() {
    let fx = setup();
    fx.stage_all();
    // Pretend the worker finished the run.
    fx.store
        .with_run(&fx.run_id, |rt| {
            rt.run.status = RunStatus::Complete;
            rt.run.finished_at = Some("2026-01-01T01:00:00Z".into());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let out = review::reject(&fx.store, &fx.run_id, &Fx::sel("1,4-5"), USER).unwrap();
    assert_eq!(out.count, 3);
    for i in [1, 4, 5] {
        let ov = fx.ov(i);
        assert_eq!(ov.status, OverlayStatus::Pending);
        assert_eq!(
            (ov.staging, ov.model_output, ov.edited),
            (None, None, false)
        );
        assert_eq!((ov.attempt_count, ov.last_error), (0, None));
    }
    assert_eq!(fx.ov(2).status, OverlayStatus::AiComplete);
    assert_eq!(
        fx.store
            .indices_with_status(&fx.run_id, OverlayStatus::Pending)
            .unwrap(),
        vec![1, 4, 5],
        "rejected blocks are back in the worker's queue"
    );
    let run = fx.run();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "a complete run has work again"
    );
    assert_eq!(run.finished_at, None);
    assert_eq!(
        (run.counters.pending, run.counters.ai_complete),
        (3, fx.doc.total_blocks - 3)
    );
    let log = fx.store.review_log(None).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].action.as_str(), log[0].blocks.as_str()),
        ("reject", "1,4-5")
    );
}

#[test]
fn edit_is_type_aware_validated_and_discardable() {
    let fx = setup();
    fx.stage([0, 1]);
    let original = answer(&fx.blocks[0]);

    let out = review::edit(&fx.store, &fx.run_id, 0, "confidence", "0.9", USER).unwrap();
    assert_eq!(
        (out.old_value, out.new_value),
        (Some(json!(0.5)), Some(json!(0.9)))
    );
    assert!(out.edited);
    review::edit(&fx.store, &fx.run_id, 0, "count", "42", USER).unwrap();
    review::edit(&fx.store, &fx.run_id, 0, "action", "keep", USER).unwrap();
    review::edit(&fx.store, &fx.run_id, 0, "tags", r#"["x", "y"]"#, USER).unwrap();
    review::edit(&fx.store, &fx.run_id, 0, "note", "checked by hand", USER).unwrap();
    review::edit(
        &fx.store,
        &fx.run_id,
        0,
        "final",
        r#"{"format": "markdown_fragment", "content": "Edited."}"#,
        USER,
    )
    .unwrap();
    let ov = fx.ov(0);
    let staged = ov.staging.clone().unwrap();
    assert_eq!(staged["confidence"], json!(0.9));
    assert_eq!(staged["count"], json!(42));
    assert_eq!(staged["action"], json!("keep"));
    assert_eq!(staged["tags"], json!(["x", "y"]));
    assert_eq!(staged["note"], json!("checked by hand"));
    assert_eq!(staged["final"]["content"], json!("Edited."));
    assert!(ov.edited);
    assert_eq!(
        ov.model_output,
        Some(original.clone()),
        "the model's answer is kept"
    );
    review::edit(&fx.store, &fx.run_id, 0, "note", "null", USER).unwrap();
    assert_eq!(fx.ov(0).staging.unwrap()["note"], Value::Null);

    // Invalid edits: refused with the validator's reason, nothing written.
    let before = fx.store.fingerprint().unwrap();
    for (field, text, needle) in [
        ("confidence", "1.5", "maximum"),
        ("confidence", "high", "a number"),
        ("count", "2.5", "an integer"),
        ("action", "delete", "keep, rewrite, skip_nonprose"),
        ("tags", "[1]", "not of type"),
        (
            "final",
            r#"{"format": "html", "content": "x"}"#,
            "markdown_fragment",
        ),
        ("final", r#"{"content": "x"}"#, "format"),
        ("count", "null", "not nullable"),
        ("action", "null", "is not one of keep"),
    ] {
        let e = review::edit(&fx.store, &fx.run_id, 0, field, text, USER).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(needle) && m.contains("block 0") && m.contains(field),
            "{field}={text}: {m}"
        );
    }
    assert_eq!(fx.store.fingerprint().unwrap(), before);

    // Discard: back to the model's answer.
    let d = review::discard_edit(&fx.store, &fx.run_id, 0, USER).unwrap();
    assert_eq!(d.new_value, Some(original.clone()));
    let ov = fx.ov(0);
    assert_eq!((ov.staging, ov.edited), (Some(original), false));

    // Editing a value back to the model's answer is not a draft.
    review::edit(&fx.store, &fx.run_id, 1, "confidence", "0.1", USER).unwrap();
    let back = review::edit(&fx.store, &fx.run_id, 1, "confidence", "0.5", USER).unwrap();
    assert!(!back.edited);
    assert!(!fx.ov(1).edited);

    // Confirming an edited block confirms the edit.
    review::edit(&fx.store, &fx.run_id, 1, "count", "7", USER).unwrap();
    review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("1")), USER).unwrap();
    assert_eq!(fx.ov(1).confirmed.unwrap()["count"], json!(7));

    let log = fx.store.review_log(Some(&fx.run_id)).unwrap();
    let edits: Vec<_> = log.iter().filter(|e| e.action == "edit").collect();
    assert_eq!(edits.len(), 10);
    assert_eq!(edits[0].field.as_deref(), Some("confidence"));
    assert_eq!(edits[0].old_value, Some(json!(0.5)));
    assert_eq!(edits[0].new_value, Some(json!(0.9)));
    assert_eq!(log.iter().filter(|e| e.action == "discard").count(), 1);
}

// ---------------------------------------------------------------- JSONL

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set(k: &[&'static str]) -> BTreeSet<&'static str> {
    k.iter().copied().collect()
}

#[test]
fn jsonl_shape_key_by_key_in_every_mode() {
    let fx = setup();
    let n = fx.doc.total_blocks;
    fx.stage(0..6);
    review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("0-2")), USER).unwrap();
    review::edit(&fx.store, &fx.run_id, 4, "count", "99", USER).unwrap();
    let run = fx.run();

    let text = fx.export(Format::Jsonl, Mode::Confirmed);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), n as usize);
    assert!(text.ends_with('\n'));
    // Keys come in contract order, so the lines read the way the contract is written.
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(r#"{"immutable":{"source_upload":{"source_uid":""#)
            && first.contains(r#""conversion":{"conv_uid":""#)
            && first.contains(r#""block":{"block_uid":""#)
            && first.contains(r#""user_defined":{"schema_ref":"rw","schema_uid":""#),
        "{first}"
    );
    for (i, line) in lines.iter().enumerate() {
        let b = &fx.blocks[i];
        assert_eq!(keys(line), set(&["immutable", "user_defined"]));
        let im = &line["immutable"];
        assert_eq!(keys(im), set(&["source_upload", "conversion", "block"]));
        assert_eq!(
            keys(&im["source_upload"]),
            set(&["source_uid", "source_type", "source_filesize"])
        );
        assert_eq!(im["source_upload"]["source_uid"], json!(fx.doc.source_uid));
        assert_eq!(im["source_upload"]["source_type"], json!("md"));
        assert_eq!(
            im["source_upload"]["source_filesize"],
            json!(fx.source.len())
        );
        assert_eq!(
            keys(&im["conversion"]),
            set(&[
                "conv_uid",
                "conv_parsing_tool",
                "conv_total_blocks",
                "conv_block_type_freq"
            ])
        );
        assert_eq!(im["conversion"]["conv_uid"], json!(fx.doc.conv_uid));
        assert_eq!(
            im["conversion"]["conv_parsing_tool"],
            json!(fx.doc.parsing_tool)
        );
        assert_eq!(im["conversion"]["conv_total_blocks"], json!(n));
        assert_eq!(
            im["conversion"]["conv_block_type_freq"],
            json!(fx.doc.block_type_freq)
        );
        assert_eq!(
            keys(&im["block"]),
            set(&[
                "block_uid",
                "block_index",
                "block_type",
                "block_locator",
                "block_content"
            ])
        );
        assert_eq!(
            im["block"]["block_uid"],
            json!(format!("{}:{i}", fx.doc.conv_uid))
        );
        assert_eq!(im["block"]["block_index"], json!(i));
        assert_eq!(im["block"]["block_type"], json!(b.block_type.as_str()));
        assert_eq!(im["block"]["block_content"], json!(b.block_content));
        let loc = &im["block"]["block_locator"];
        assert_eq!(loc["type"], json!("text_offset_range"));
        let (s, e) = (
            loc["start"].as_u64().unwrap() as usize,
            loc["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &fx.source[s..e],
            b.block_content.as_bytes(),
            "locator of block {i}"
        );
        let ud = &line["user_defined"];
        assert_eq!(
            keys(ud),
            set(&["schema_ref", "schema_uid", "run_id", "data"])
        );
        assert_eq!(ud["schema_ref"], json!("rw"));
        assert_eq!(ud["schema_uid"], json!(run.schema_uid));
        assert_eq!(ud["run_id"], json!(fx.run_id));
        if i <= 2 {
            assert_eq!(ud["data"], answer(b), "confirmed value of block {i}");
        } else {
            assert_eq!(
                ud["data"],
                Value::Null,
                "unconfirmed block {i} carries null"
            );
        }
    }

    // Staging: drafts marked.
    let staging: Vec<Value> = fx
        .export(Format::Jsonl, Mode::Staging)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (i, line) in staging.iter().enumerate() {
        assert_eq!(keys(line), set(&["immutable", "user_defined"]));
        let ud = &line["user_defined"];
        assert_eq!(
            keys(ud),
            set(&["schema_ref", "schema_uid", "run_id", "data", "draft"])
        );
        let (data, draft) = (&ud["data"], &ud["draft"]);
        match i {
            0..=2 => assert_eq!((data, draft), (&answer(&fx.blocks[i]), &json!(false))),
            3..=5 => {
                assert_eq!(draft, &json!(true), "staged block {i} is a draft");
                assert_eq!(data["action"], answer(&fx.blocks[i])["action"]);
            }
            _ => assert_eq!((data, draft), (&Value::Null, &json!(false))),
        }
    }
    assert_eq!(
        staging[4]["user_defined"]["data"]["count"],
        json!(99),
        "the edit is exported"
    );

    // Both: confirmed in data, unconfirmed staged value in staging.
    let both: Vec<Value> = fx
        .export(Format::Jsonl, Mode::Both)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (i, line) in both.iter().enumerate() {
        let ud = &line["user_defined"];
        assert_eq!(
            keys(ud),
            set(&["schema_ref", "schema_uid", "run_id", "data", "staging"])
        );
        assert_eq!(ud["data"].is_null(), i > 2, "block {i}");
        assert_eq!(ud["staging"].is_null(), !(3..=5).contains(&i), "block {i}");
    }
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_round_trips_through_a_csv_parser() {
    let fx = setup();
    fx.stage_all();
    review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("0-5")), USER).unwrap();
    let text = fx.export(Format::Csv, Mode::Confirmed);
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let props: Vec<String> = blockwise::schema::properties(&schema_json())
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut expected = vec![
        "block_index",
        "block_uid",
        "block_type",
        "status",
        "block_content",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    expected.extend(props.iter().map(|p| format!("data.{p}")));
    assert_eq!(header, expected);
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), fx.blocks.len());
    let mut saw_multiline = false;
    for (i, row) in rows.iter().enumerate() {
        let b = &fx.blocks[i];
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[0], i.to_string());
        assert_eq!(&row[1], b.block_uid);
        assert_eq!(&row[2], b.block_type.as_str());
        assert_eq!(
            &row[4], b.block_content,
            "content of block {i} survives quoting"
        );
        saw_multiline |= b.block_content.contains('\n') && b.block_content.contains('"');
        let cell = |name: &str| {
            let col = format!("data.{name}");
            &row[header.iter().position(|h| *h == col).unwrap()]
        };
        if i <= 5 {
            assert_eq!(&row[3], "confirmed");
            let a = answer(b);
            assert_eq!(cell("action"), a["action"].as_str().unwrap());
            assert_eq!(cell("count"), i.to_string());
            assert_eq!(cell("confidence"), "0.5");
            assert_eq!(cell("note"), "", "null is empty");
            let nested: Value = serde_json::from_str(cell("final")).unwrap();
            assert_eq!(nested, a["final"], "nested values are compact JSON");
            assert!(!cell("final").contains(": "), "compact");
            let tags: Value = serde_json::from_str(cell("tags")).unwrap();
            assert_eq!(tags, json!(["a", "b, c"]));
        } else {
            assert_eq!(&row[3], "ai_complete");
            assert!(
                props.iter().all(|p| cell(p).is_empty()),
                "block {i} not confirmed"
            );
        }
    }
    assert!(
        saw_multiline,
        "fixture should exercise quotes and line breaks in a cell"
    );

    // Staging mode fills drafts; both mode adds staging.<field> columns.
    let staging = fx.export(Format::Csv, Mode::Staging);
    let mut rd = csv::Reader::from_reader(staging.as_bytes());
    let last = rd.records().last().unwrap().unwrap();
    assert_eq!(&last[3], "ai_complete");
    assert_eq!(
        &last[5 + props.iter().position(|p| p == "count").unwrap()],
        (fx.blocks.len() - 1).to_string()
    );
    let both = fx.export(Format::Csv, Mode::Both);
    let mut rd = csv::Reader::from_reader(both.as_bytes());
    let h = rd.headers().unwrap().clone();
    assert_eq!(h.len(), 5 + 2 * props.len());
    assert!(h.iter().any(|c| c == "staging.final"));
}

// ---------------------------------------------------------------- Markdown

#[test]
fn reconstruction_of_an_unchanged_run_reproduces_every_fixture_exactly() {
    let mut checked = 0;
    for dir in ["markdown", "text"] {
        for entry in std::fs::read_dir(fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            let rel = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let fx = setup_with(&rel, None);
            // Unchanged: nothing staged; then everything staged but nothing confirmed.
            let md = fx.export(Format::Markdown, Mode::Confirmed);
            assert_eq!(
                md.as_bytes(),
                fx.source.as_slice(),
                "{rel}: reconstruction differs"
            );
            fx.stage_all();
            assert_eq!(
                fx.export(Format::Markdown, Mode::Confirmed).as_bytes(),
                fx.source.as_slice(),
                "{rel}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} fixtures");
}

#[test]
fn markdown_export_of_other_formats_rebuilds_their_representation() {
    // HTML, DOCX, PDF and EPUB are stored as a Markdown rendering, CSV/TSV as CSV rows: the
    // unchanged rebuild is exactly that representation, and the JSONL export keeps each
    // block's source locator.
    let mut checked = 0;
    for dir in ["html", "csv", "docx", "epub", "pdf"] {
        let Ok(entries) = std::fs::read_dir(fixture(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".json") {
                continue;
            }
            let rel = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let fx = setup_with(&rel, None);
            let prepared = blockwise::ingest::prepare_path(&path, IngestLimits::default()).unwrap();
            let md = fx.export(Format::Markdown, Mode::Confirmed);
            assert_eq!(md, prepared.text, "{rel}: rebuild differs");
            let jsonl = fx.export(Format::Jsonl, Mode::Both);
            let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
            let kind = first["immutable"]["block"]["block_locator"]["type"]
                .as_str()
                .unwrap()
                .to_string();
            assert_ne!(kind, "text_offset_range", "{rel}: locator lost in export");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} fixtures");
}

#[test]
fn reconstruction_uses_confirmed_rewrites_in_block_order() {
    let fx = setup();
    fx.stage_all();
    // Block 3 is a rewrite, block 1 a keep (its final.content is ignored even if edited).
    review::edit(
        &fx.store,
        &fx.run_id,
        1,
        "final",
        r#"{"format": "markdown_fragment", "content": "SHOULD NOT APPEAR"}"#,
        USER,
    )
    .unwrap();
    review::confirm(&fx.store, &fx.run_id, &Target::Blocks(Fx::sel("1,3")), USER).unwrap();
    let mut expected = fx.doc.leading_whitespace.clone();
    for b in &fx.blocks {
        if b.block_index == 3 {
            expected.push_str("Rewritten block 3, with \"quotes\", commas\nand a second line");
        } else {
            expected.push_str(&b.block_content);
        }
        expected.push_str(&b.separator_after);
    }
    let md = fx.export(Format::Markdown, Mode::Confirmed);
    assert_eq!(md, expected);
    assert!(!md.contains("SHOULD NOT APPEAR"));
    // Staging mode also applies staged (unconfirmed) rewrites: block 6 is one.
    let staged = fx.export(Format::Markdown, Mode::Staging);
    assert!(staged.contains("Rewritten block 6,") && !md.contains("Rewritten block 6,"));
    assert!(staged.contains("Rewritten block 3,"));
}

// ---------------------------------------------------------------- atomic output

#[test]
fn a_failed_export_leaves_no_partial_file() {
    // One overlay short: the export fails at the last block, after writing most lines.
    let fx = {
        let probe = setup();
        let n = probe.doc.total_blocks;
        drop(probe);
        setup_with("markdown/all_types.md", Some(n - 1))
    };
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("out.jsonl");
    std::fs::write(&target, "previous export\n").unwrap();
    let e = export::export_to_path(
        &fx.store,
        &fx.run_id,
        Format::Jsonl,
        Mode::Confirmed,
        &target,
    )
    .unwrap_err();
    assert!(e.to_string().contains("has no overlay for block"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "previous export\n"
    );
    let names: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temporary file left behind: {names:?}");

    // A good export replaces the file whole.
    let good = setup();
    let s = export::export_to_path(
        &good.store,
        &good.run_id,
        Format::Jsonl,
        Mode::Confirmed,
        &target,
    )
    .unwrap();
    let written = std::fs::read(&target).unwrap();
    assert_eq!(s.bytes, written.len() as u64);
    assert_eq!(s.blocks, good.doc.total_blocks as u64);
    assert_eq!(
        written,
        good.export(Format::Jsonl, Mode::Confirmed).into_bytes()
    );
}

// ---------------------------------------------------------------- CLI

fn cli(store: &Path, args: &[&str]) -> (i32, String, String) {
    let out = support::blockwise_in(store.parent().unwrap())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap();
    support::outcome(out)
}

#[test]
fn cli_reject_with_a_reason_and_unconfirm_are_logged_with_who_and_when() {
    let fx = setup();
    fx.stage(0..4);
    let Fx {
        store,
        store_path,
        _dir,
        ..
    } = fx;
    drop(store);
    let p = store_path.as_path();
    let (code, _, err) = cli(
        p,
        &[
            "review",
            "reject",
            "run_1",
            "--blocks",
            "3",
            "--reason",
            "off topic",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(p, &["review", "confirm", "run_1", "--blocks", "0-1"]);
    assert_eq!(code, 0, "{err}");
    // Block 2 alone is staged, not confirmed: nothing to unconfirm, refused.
    let print = || {
        blockwise::store::Store::open(p)
            .unwrap()
            .fingerprint()
            .unwrap()
    };
    let before = print();
    let (code, _, err) = cli(p, &["review", "unconfirm", "run_1", "--blocks", "2"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("block 2 is ai_complete") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(print(), before, "the refusal wrote nothing");
    // 0-2: blocks 0 and 1 are unconfirmed, block 2 is skipped and said so (--json too).
    let (code, out, err) = cli(
        p,
        &["review", "unconfirm", "run_1", "--blocks", "0-2", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["blocks"], json!("0-1"));
    assert_eq!(v["skipped"], json!([{"block": 2, "status": "ai_complete"}]));
    let (code, out, err) = cli(p, &["review", "confirm", "run_1", "--blocks", "0-3"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("confirmed 3 blocks of run run_1 (0-2)")
            && out.contains("1 skipped: block 3 is pending (only staged blocks"),
        "{out}"
    );
    let (code, out, err) = cli(p, &["review", "unconfirm", "run_1", "--blocks", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("unconfirmed (back to staged) 1 block of run run_1"),
        "{out}"
    );
    let (code, out, _) = cli(p, &["review", "log", "run_1", "--json"]);
    assert_eq!(code, 0);
    let log: Vec<Value> = serde_json::from_str(&out).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last["action"], json!("unconfirm"));
    assert_eq!(last["by"], json!(blockwise::policy::identity::os_user()));
    assert!(last["at"].as_str().unwrap().starts_with("20"));
    assert_eq!(log[0]["reason"], json!("off topic"));
    let (_, text, _) = cli(p, &["review", "log", "run_1"]);
    assert!(text.contains("· off topic"), "{text}");
}

#[test]
fn cli_review_and_export() {
    let fx = setup();
    fx.stage(0..8);
    let Fx {
        store,
        store_path,
        doc,
        blocks,
        source,
        _dir,
        ..
    } = fx;
    drop(store); // the binary opens the store file itself
    let p = store_path.as_path();

    let (code, out, err) = cli(p, &["review", "confirm", "run_", "--blocks", "0,2-3"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("confirmed 3 blocks of run run_1 (0,2-3)"),
        "{out}"
    );

    let (code, _, err) = cli(p, &["review", "confirm", "run_1", "--blocks", "9"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("block 9 is pending: nothing to confirm"),
        "{err}"
    );
    let (code, _, err) = cli(p, &["review", "confirm", "run_1", "--blocks", "3-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("backwards"), "{err}");
    let (code, _, _) = cli(p, &["review", "confirm", "run_1"]);
    assert_eq!(code, 2, "--all or --blocks is required");

    let (code, _, err) = cli(p, &["review", "edit", "run_1", "4", "confidence", "-0.5"]);
    assert_eq!(code, 1);
    assert!(err.contains("block 4") && err.contains("minimum"), "{err}");
    let (code, out, err) = cli(p, &["review", "edit", "run_1", "4", "confidence", "0.75"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0.5 -> 0.75"), "{out}");
    let (code, _, err) = cli(p, &["review", "discard", "run_1", "4"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(p, &["review", "reject", "run_1", "--blocks", "5"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(p, &["review", "reject", "run_1", "--blocks", "5"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("block 5 is pending: nothing to reject"),
        "{err}"
    );
    let (code, out, _) = cli(p, &["review", "confirm", "run_1", "--all", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["blocks"], json!("1,4,6-7"));

    let (code, out, _) = cli(p, &["review", "log", "run_1", "--json"]);
    assert_eq!(code, 0);
    let log: Vec<Value> = serde_json::from_str(&out).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["confirm", "edit", "discard", "reject", "confirm"]
    );
    // Stamped with the OS account of the process, never an environment variable.
    let me = blockwise::policy::current_user();
    assert!(log.iter().all(|e| e["by"] == json!(me)));

    // Exports to stdout and to a file.
    let (code, jsonl, err) = cli(p, &["export", "run_1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jsonl.lines().count(), doc.total_blocks as usize);
    let out_file = p.with_file_name("x.csv");
    let (code, _, err) = cli(
        p,
        &[
            "export",
            "run_1",
            "--format",
            "csv",
            "-o",
            out_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "exported {} blocks (7 confirmed, 0 drafts)",
            doc.total_blocks
        )),
        "{err}"
    );
    let mut rd = csv::Reader::from_path(&out_file).unwrap();
    assert_eq!(rd.records().count(), blocks.len());
    let (code, md, _) = cli(p, &["export", "run_1", "--format", "md"]);
    assert_eq!(code, 0);
    // Blocks 0, 3 and 6 are confirmed rewrites; everything else is the source text.
    assert!(md.contains("Rewritten block 3,") && md.contains("Rewritten block 6,"));
    let source = String::from_utf8(source).unwrap();
    assert!(md.contains(&blocks[1].block_content) && source.contains(&blocks[1].block_content));
    assert!(!source.contains("Rewritten block"));
    let (code, _, err) = cli(p, &["export", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no run matches 'nope'"), "{err}");
    let (code, _, _) = cli(p, &["export", "run_1", "--mode", "drafts"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------- parallel rendering

#[test]
fn parallel_rendering_keeps_block_order_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.md");
    std::fs::write(&path, blockwise::synth::markdown(1000, 3)).unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let doc = ingest_path(&store, &path, IngestLimits::default())
        .unwrap()
        .document;
    assert!(doc.total_blocks > 3 * 128, "needs several chunks");
    let schema = save(
        &store,
        SaveRequest::new(schema_json(), Some("rw".into()), "t"),
    )
    .unwrap()
    .schema()
    .clone();
    store
        .create_run(&new_run("r", &doc, &schema), doc.total_blocks)
        .unwrap();
    let mut sequential = Vec::new();
    store
        .for_each_block_overlay(&doc.conv_uid, "r", |b, ov| {
            sequential
                .extend_from_slice(format!("{}:{}\n", b.block_index, ov.block_index).as_bytes());
            Ok::<(), StoreError>(())
        })
        .unwrap();
    for workers in 1..=4 {
        let mut out = Vec::new();
        store
            .par_render_block_overlays(
                &doc.conv_uid,
                "r",
                workers,
                |buf: &mut Vec<u8>, b, ov| {
                    buf.extend_from_slice(
                        format!("{}:{}\n", b.block_index, ov.block_index).as_bytes(),
                    );
                    Ok::<(), StoreError>(())
                },
                |bytes| {
                    out.extend_from_slice(bytes);
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(out, sequential, "{workers} workers");
    }
    // An error from a renderer stops the export and is returned.
    let e = store
        .par_render_block_overlays(
            &doc.conv_uid,
            "r",
            3,
            |_: &mut Vec<u8>, b, _| {
                if b.block_index == 300 {
                    Err(StoreError::Corrupt("stop at 300".into()))
                } else {
                    Ok(())
                }
            },
            |_| Ok(()),
        )
        .unwrap_err();
    assert!(e.to_string().contains("stop at 300"));
    // The JSONL export of this run lists every block once, in order.
    let mut jsonl = Vec::new();
    export::export_to_writer(
        &store,
        "r",
        Format::Jsonl,
        Mode::Confirmed,
        &mut jsonl,
        "mem",
    )
    .unwrap();
    let indices: Vec<u64> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["immutable"]["block"]["block_index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indices, (0..doc.total_blocks as u64).collect::<Vec<_>>());
}
