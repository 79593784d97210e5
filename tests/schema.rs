//! Schemas: save boundary outcomes, identity, refs, templates, fork/delete, import, wizard, CLI.

mod support;

use std::path::{Path, PathBuf};

use blockwise::schema::{
    self, apply_template, canonical_json, check, classify, derive_ref, fork, save, schema_uid,
    templates, validate_ref, FieldSpec, FieldType, ImportClass, PromptConfig, SaveOutcome,
    SaveRequest, SchemaError, WizardModel,
};
use blockwise::store::{SchemaDelete, Store};
use serde_json::{json, Map, Value};

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    (dir, store)
}

fn req(json: Value, r: Option<&str>) -> SaveRequest {
    SaveRequest::new(json, r.map(str::to_string), "alice")
}

fn invoice() -> Value {
    json!({"title": "Invoice", "type": "object",
           "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}}})
}

// ---------------------------------------------------------------- save boundary

#[test]
fn every_save_outcome() {
    let (_d, store) = temp_store();

    // created
    let created = save(&store, req(invoice(), None)).unwrap();
    let SaveOutcome::Created(first) = &created else {
        panic!("expected created, got {created:?}")
    };
    assert_eq!(first.schema_ref, "invoice");
    assert!(first.schema_id.starts_with("sch_") && first.schema_id.len() == 16);
    assert_eq!(first.owner, "alice");
    assert!(first.warnings.is_empty());

    // idempotent: same ref, same content in another key order and number spelling
    let reordered: Value = serde_json::from_str(
        r#"{"properties":{"currency":{"type":"string"},"amount":{"type":"number"}},
            "type":"object","title":"Invoice"}"#,
    )
    .unwrap();
    match save(&store, req(reordered, Some("invoice"))).unwrap() {
        SaveOutcome::Unchanged(s) => assert_eq!(s.schema_id, first.schema_id),
        other => panic!("expected unchanged, got {other:?}"),
    }
    assert_eq!(store.list_schemas().unwrap().len(), 1);

    // ref conflict: names the existing schema, suggests the first free ref
    save(
        &store,
        req(
            json!({"type": "object", "properties": {}}),
            Some("invoice_v2"),
        ),
    )
    .unwrap();
    let mut changed = invoice();
    changed["properties"]["due"] = json!({"type": "string", "format": "date"});
    let err = save(&store, req(changed.clone(), None)).unwrap_err();
    assert!(err.is_conflict());
    match &err {
        SchemaError::RefConflict {
            schema_ref,
            existing_id,
            existing_uid,
            suggested_ref,
        } => {
            assert_eq!(schema_ref, "invoice");
            assert_eq!(existing_id, &first.schema_id);
            assert_eq!(existing_uid, &first.schema_uid);
            assert_eq!(suggested_ref, "invoice_v3", "invoice_v2 is taken");
        }
        other => panic!("expected ref conflict, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains(&first.schema_uid) && msg.contains("invoice_v3"),
        "{msg}"
    );

    // content conflict: same content under another ref, same owner
    let err = save(&store, req(invoice(), Some("bills"))).unwrap_err();
    match &err {
        SchemaError::ContentConflict {
            existing_ref,
            existing_id,
            schema_uid,
            requested_ref,
        } => {
            assert_eq!(existing_ref, "invoice");
            assert_eq!(existing_id, &first.schema_id);
            assert_eq!(schema_uid, &first.schema_uid);
            assert_eq!(requested_ref, "bills");
        }
        other => panic!("expected content conflict, got {other:?}"),
    }
    assert!(store.schema_by_ref("bills").unwrap().is_none());

    // another owner may keep the same content under their own ref
    let mut bob = req(invoice(), Some("bobs_invoice"));
    bob.owner = "bob".into();
    assert!(matches!(
        save(&store, bob).unwrap(),
        SaveOutcome::Created(_)
    ));

    // rejected: not an object, invalid ref, invalid prompt_config values; nothing written
    let before = store.list_schemas().unwrap();
    for (json, r, needle) in [
        (json!([1, 2]), None, "must be a JSON object"),
        (json!("text"), Some("x"), "must be a JSON object"),
        (invoice(), Some("Bad Ref"), "invalid schema ref"),
        (invoice(), Some("_lead"), "must start with"),
        (invoice(), Some(&*"a".repeat(65)), "limit is 64"),
        (
            json!({"type": "object", "properties": {}, "prompt_config": {"temperature": 2}}),
            Some("hot"),
            "temperature is 2",
        ),
        (
            json!({"type": "object", "properties": {}, "prompt_config": {"max_batch_size": 0}}),
            Some("zero"),
            "max_batch_size is 0",
        ),
    ] {
        let err = save(&store, req(json, r)).unwrap_err();
        assert!(err.is_rejected(), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    }
    assert_eq!(store.list_schemas().unwrap(), before);
}

#[test]
fn warnings_do_not_block_saving_and_are_recorded() {
    let (_d, store) = temp_store();
    let cases = [
        (
            json!({"properties": {"a": {"type": "string"}}}),
            "no top-level \"type\"",
        ),
        (json!({"type": "array", "items": {}}), "not \"object\""),
        (json!({"type": "object"}), "no \"properties\""),
        (
            json!({"type": "object", "properties": [1]}),
            "not an object",
        ),
        (
            json!({"type": "object", "properties": {"a": true}}),
            "property 'a' is a boolean",
        ),
        (
            json!({"type": "object", "properties": {}, "prompt_config": {"temprature": 0.2}}),
            "unknown prompt_config key 'temprature'",
        ),
    ];
    for (i, (json, needle)) in cases.into_iter().enumerate() {
        let c = check(&json);
        assert!(!c.passes());
        assert!(c.errors.is_empty(), "{c:?}");
        assert!(
            c.warnings.iter().any(|w| w.contains(needle)),
            "{needle}: {c:?}"
        );
        let saved = save(&store, req(json, Some(&format!("w{i}")))).unwrap();
        assert!(matches!(saved, SaveOutcome::Created(_)));
        assert!(saved.schema().warnings.iter().any(|w| w.contains(needle)));
    }
    assert!(check(&invoice()).passes());
}

#[test]
fn prompt_config_accessor_and_properties() {
    let s = json!({"type": "object", "properties": {"a": {"type": "string"}},
        "prompt_config": {"system_instructions": "be brief", "temperature": 0.25,
                          "max_tokens_per_block": 500, "max_batch_size": 8, "model": "m1"}});
    let pc = PromptConfig::from_schema(&s).unwrap();
    assert_eq!(pc.system_instructions.as_deref(), Some("be brief"));
    assert_eq!(pc.temperature, Some(0.25));
    assert_eq!(pc.max_tokens_per_block, Some(500));
    assert_eq!(pc.max_batch_size, Some(8));
    assert_eq!(pc.model.as_deref(), Some("m1"));
    assert_eq!(pc.per_block_prompt, None);
    assert_eq!(schema::properties(&s).unwrap().len(), 1);
    assert!(schema::properties(&json!({"properties": 3})).is_none());
}

// ---------------------------------------------------------------- identity and refs

#[test]
fn schema_uid_ignores_key_order_and_number_spelling() {
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2.0],"x":0.5}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{ "a" : { "x":0.50, "y":[1.0,2] }, "b":1.0 }"#).unwrap();
    assert_eq!(schema_uid(&a), schema_uid(&b));
    assert_eq!(canonical_json(&a), r#"{"a":{"x":0.5,"y":[1,2]},"b":1}"#);
    // Array order matters, content matters.
    let c: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[2,1],"x":0.5}}"#).unwrap();
    assert_ne!(schema_uid(&a), schema_uid(&c));
    // sha256 of the canonical bytes.
    assert_eq!(
        schema_uid(&json!({})),
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
}

#[test]
fn ref_derivation_rules() {
    let cases = [
        (
            json!({"$id": "https://example.com/schemas/Invoice.v2"}),
            "invoice_v2",
        ),
        (
            json!({"$id": "urn:acme:Contract-Review", "title": "x"}),
            "contract-review",
        ),
        (
            json!({"$id": "https://example.com/schemas/", "title": "Fallback Title"}),
            "fallback_title",
        ),
        (
            json!({"$id": "https://example.com/a.json#", "title": "T"}),
            "a_json",
        ),
        (json!({"$id": 42, "title": "Numeric id"}), "numeric_id"),
        (json!({"title": "Café — Menü!! (2024)"}), "caf_men_2024"),
        (json!({"title": "Données   clés"}), "donn_es_cl_s"),
        (json!({"title": "  --Leading dash__"}), "leading_dash"),
        (json!({"title": "日本語"}), "schema"),
        (json!({"title": "___"}), "schema"),
        (json!({"title": ""}), "schema"),
        (json!({}), "schema"),
        (json!({"$id": "urn:x:"}), "schema"),
    ];
    for (json, want) in cases {
        let got = derive_ref(&json);
        assert_eq!(got, want, "{json}");
        assert!(validate_ref(&got).is_ok(), "{got}");
    }
    let long = derive_ref(&json!({"title": "Word ".repeat(30)}));
    assert!(long.len() <= 64 && !long.ends_with('_'), "{long}");
    assert!(validate_ref(&long).is_ok());

    assert!(validate_ref("a").is_ok());
    assert!(validate_ref("0-x_y").is_ok());
    assert!(validate_ref(&"a".repeat(64)).is_ok());
    for bad in ["", "A", "-a", "_a", "a b", "a.b", "é", &"a".repeat(65)] {
        assert!(validate_ref(bad).is_err(), "{bad:?}");
    }
}

/// A small fixed-seed PRNG (xorshift64*), so the property tests are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const KEYS: [&str; 24] = [
    "type",
    "properties",
    "items",
    "required",
    "enum",
    "default",
    "description",
    "minimum",
    "maximum",
    "minLength",
    "pattern",
    "additionalProperties",
    "prompt_config",
    "temperature",
    "max_batch_size",
    "model",
    "oneOf",
    "$defs",
    "x-ui",
    "é",
    "a b",
    "\"q\"",
    "Z",
    "_",
];

fn gen_value(rng: &mut Rng, depth: u32) -> Value {
    let choice = if depth == 0 {
        rng.below(7)
    } else {
        rng.below(10)
    };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.below(2000) as i64 - 1000),
        3 => json!((rng.below(2000) as f64 - 1000.0) / 8.0),
        4 => json!(rng.below(10) as f64), // integral float: must canonicalize like the integer
        5 => Value::from(*rng.pick(&["string", "object", "array", "null", "ü\n\"", ""])),
        6 => json!(f64::from_bits(rng.next() >> 2).min(1e300)),
        7 | 8 => {
            let mut m = Map::new();
            for _ in 0..rng.below(5) {
                m.insert(rng.pick(&KEYS).to_string(), gen_value(rng, depth - 1));
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| gen_value(rng, depth - 1))
                .collect(),
        ),
    }
}

/// Write JSON text with object keys in a random order and integral numbers sometimes as `N.0`.
fn write_shuffled(rng: &mut Rng, v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            for i in (1..entries.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                entries.swap(i, j);
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(" :");
                write_shuffled(rng, v, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_shuffled(rng, v, out);
            }
            out.push(']');
        }
        Value::Number(n) if n.is_i64() && rng.below(2) == 0 => out.push_str(&format!("{n}.0")),
        other => out.push_str(&other.to_string()),
    }
}

#[test]
fn property_canonicalization_is_idempotent_and_key_order_independent() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..2000 {
        let v = gen_value(&mut rng, 4);
        let canon = canonical_json(&v);
        let reparsed: Value = serde_json::from_str(&canon).unwrap();
        assert_eq!(canonical_json(&reparsed), canon, "not idempotent for {v}");
        let mut text = String::new();
        write_shuffled(&mut rng, &v, &mut text);
        let shuffled: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(canonical_json(&shuffled), canon, "order-dependent: {text}");
        assert_eq!(schema_uid(&shuffled), schema_uid(&v));
    }
}

// ---------------------------------------------------------------- wizard and import

#[test]
fn property_wizard_round_trip_is_lossless() {
    let mut rng = Rng(0x0dd_c0ffee);
    for _ in 0..2000 {
        let Value::Object(m) = gen_value(&mut rng, 4) else {
            continue;
        };
        let v = Value::Object(m);
        let model = WizardModel::from_schema(&v).unwrap();
        assert_eq!(
            canonical_json(&model.to_schema()),
            canonical_json(&v),
            "round trip changed {v}"
        );
    }
}

#[test]
fn wizard_keeps_unknown_keys_while_fields_are_edited() {
    let original = json!({
        "$id": "https://example.com/review",
        "type": "object",
        "description": "Review each clause",
        "x-ui": {"layout": "wide", "order": ["risk", "notes"]},
        "$defs": {"party": {"type": "string"}},
        "properties": {
            "risk": {"type": "string", "enum": ["low", "high"], "x-widget": "radio",
                     "description": "risk"},
            "notes": {"type": ["string", "null"], "maxLength": 200.0},
            "party": {"$ref": "#/$defs/party"},
            "score": {"oneOf": [{"type": "integer"}, {"type": "null"}]}
        },
        "required": ["risk", "notes"],
        "prompt_config": {"temperature": 0.2, "vendor_hint": {"cache": true},
                          "max_batch_size": 7.0, "model": null}
    });
    let mut model = WizardModel::from_schema(&original).unwrap();
    assert_eq!(model.intent.as_deref(), Some("Review each clause"));
    assert_eq!(model.fields.len(), 4);
    assert_eq!(model.required, vec!["risk", "notes"]);
    assert_eq!(model.prompt_config.temperature, Some(0.2));
    assert_eq!(model.prompt_config.max_batch_size, Some(7));
    let notes = &model
        .fields
        .iter()
        .find(|f| f.name == "notes")
        .unwrap()
        .spec;
    assert_eq!(notes.field_type, Some(FieldType::String));
    assert!(notes.nullable);
    assert_eq!(notes.max_length, Some(200));
    assert_eq!(
        canonical_json(&model.to_schema()),
        canonical_json(&original),
        "unchanged model must give the same canonical bytes"
    );

    // Edit: add a field, change one, drop one; unknown keys elsewhere survive byte-for-byte.
    let mut conf = FieldSpec::new(FieldType::Number);
    conf.minimum = Some(0.into());
    conf.maximum = Some(1.into());
    model.set_field("confidence", conf);
    model.set_required("confidence", true);
    model.remove_field("notes");
    model.prompt_config.temperature = Some(0.0);
    let out = model.to_schema();
    for key in ["x-ui", "$defs", "$id"] {
        assert_eq!(
            canonical_json(&out[key]),
            canonical_json(&original[key]),
            "{key}"
        );
    }
    assert_eq!(out["properties"]["risk"]["x-widget"], "radio");
    assert_eq!(out["properties"]["party"], original["properties"]["party"]);
    assert_eq!(out["properties"]["score"], original["properties"]["score"]);
    assert_eq!(out["prompt_config"]["vendor_hint"], json!({"cache": true}));
    assert_eq!(out["prompt_config"]["model"], Value::Null);
    assert_eq!(out["required"], json!(["risk", "confidence"]));
    assert!(out["properties"].get("notes").is_none());
    assert_eq!(
        out["properties"]["confidence"],
        json!({"type": "number", "minimum": 0, "maximum": 1})
    );
}

#[test]
fn wizard_builds_a_saveable_schema_from_scratch() {
    let (_d, store) = temp_store();
    let mut model = WizardModel::new("Find the people named in each paragraph");
    let mut names = FieldSpec::new(FieldType::Array);
    names.items = Some(Box::new(FieldSpec::new(FieldType::String)));
    names.max_items = Some(20);
    model.set_field("names", names);
    let mut label = FieldSpec::new(FieldType::String);
    label.enum_values = Some(vec![json!("yes"), json!("no")]);
    model.set_field("mentions_people", label);
    model.set_required("names", true);
    model.prompt_config.per_block_prompt = Some("List every person.".into());
    model.prompt_config.max_batch_size = Some(10);
    let json = model.to_schema();
    assert_eq!(
        json,
        json!({
            "type": "object",
            "description": "Find the people named in each paragraph",
            "properties": {
                "names": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                "mentions_people": {"type": "string", "enum": ["yes", "no"]}
            },
            "required": ["names"],
            "prompt_config": {"per_block_prompt": "List every person.", "max_batch_size": 10}
        })
    );
    assert!(check(&json).passes());
    assert!(matches!(
        classify(&json.to_string()),
        ImportClass::WizardEditable { .. }
    ));
    let saved = save(&store, req(json, Some("people"))).unwrap();
    assert!(matches!(saved, SaveOutcome::Created(_)));
}

#[test]
fn import_classifies_invalid_editable_and_advanced() {
    let text = "{\n  \"type\": \"object\",\n  \"properties\": {,}\n}";
    match classify(text) {
        ImportClass::Invalid {
            line,
            column,
            reason,
        } => {
            assert_eq!(line, Some(3));
            assert_eq!(column, Some(18));
            assert!(reason.contains("not valid JSON"), "{reason}");
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    assert!(matches!(
        classify("[1,2]"),
        ImportClass::Invalid { line: None, .. }
    ));
    assert!(matches!(classify(""), ImportClass::Invalid { .. }));

    let editable = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "T", "type": "object", "description": "intent",
        "properties": {
          "s": {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^a", "format": "date",
                "default": "a", "description": "d"},
          "n": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "multipleOf": 0.5},
          "e": {"type": "string", "enum": ["x", "y"]},
          "a": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
          "o": {"type": "object", "properties": {"k": {"type": "boolean"}}, "required": ["k"],
                "additionalProperties": false}
        },
        "required": ["s"], "additionalProperties": false,
        "prompt_config": {"temperature": 0.5, "max_tokens_per_block": 100}}"#;
    assert!(
        matches!(
            classify(&format!("\u{feff}{editable}")),
            ImportClass::WizardEditable { .. }
        ),
        "{:?}",
        classify(editable)
    );

    let advanced = [
        (
            r#"{"type":"object","properties":{"a":{"oneOf":[{"type":"string"}]}}}"#,
            "`oneOf`",
        ),
        (r#"{"type":"object","$defs":{},"properties":{}}"#, "`$defs`"),
        (
            r#"{"type":"object","properties":{"a":{"type":["string","number"]}}}"#,
            "`type`",
        ),
        (
            r#"{"type":"object","properties":{"a":{"type":"number","minLength":2}}}"#,
            "does not apply",
        ),
        (
            r#"{"type":"object","properties":{"a":{"type":"object","additionalProperties":{"type":"string"}}}}"#,
            "additionalProperties",
        ),
        (
            r#"{"type":"object","properties":{"a":{"description":"no type"}}}"#,
            "no `type`",
        ),
        (
            r#"{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","const":"x"}}}}"#,
            "properties.a.items: `const`",
        ),
        (r#"{"type":"array","items":{}}"#, "not \"object\""),
        (
            r#"{"type":"object","properties":{},"prompt_config":{"temperature":3}}"#,
            "prompt_config",
        ),
    ];
    for (text, needle) in advanced {
        match classify(text) {
            ImportClass::Advanced { reasons, json } => {
                assert!(
                    reasons.iter().any(|r| r.contains(needle)),
                    "{needle}: {reasons:?}"
                );
                assert_eq!(json, serde_json::from_str::<Value>(text).unwrap());
            }
            other => panic!("{text}: expected advanced, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- templates, fork, delete

#[test]
fn templates_are_complete_pass_the_check_and_save() {
    let (_d, store) = temp_store();
    let all = templates().unwrap();
    assert!(all.len() >= 6);
    let ids: Vec<&str> = all.iter().map(|t| t.id.as_str()).collect();
    for want in [
        "prose_optimizer",
        "entity_extraction",
        "clause_review",
        "classification",
        "summary_key_points",
        "citation_extraction",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    for t in &all {
        assert!(validate_ref(&t.id).is_ok());
        assert!(t.version >= 1 && !t.name.is_empty() && !t.category.is_empty());
        assert!(!t.description.is_empty() && !t.tags.is_empty());
        let c = check(&t.schema);
        assert!(c.passes(), "{}: {c:?}", t.id);
        let pc = PromptConfig::from_schema(&t.schema).unwrap();
        assert!(
            pc.system_instructions.is_some() && pc.per_block_prompt.is_some(),
            "{}",
            t.id
        );
        assert!(
            pc.temperature.is_some() && pc.max_tokens_per_block.is_some(),
            "{}",
            t.id
        );
        assert!(
            matches!(
                classify(&t.schema.to_string()),
                ImportClass::WizardEditable { .. }
            ),
            "{}: {:?}",
            t.id,
            classify(&t.schema.to_string())
        );
        let saved = apply_template(&store, &t.id, None, "alice").unwrap();
        let SaveOutcome::Created(s) = &saved else {
            panic!("{saved:?}")
        };
        assert_eq!(s.schema_ref, t.id);
        assert_eq!(s.template_id.as_deref(), Some(t.id.as_str()));
        assert_eq!(s.json, t.schema);
        // Applying again is idempotent.
        assert!(matches!(
            apply_template(&store, &t.id, None, "alice").unwrap(),
            SaveOutcome::Unchanged(_)
        ));
    }
    // The rewrite shape export and reconstruction understand.
    let prose = &all
        .iter()
        .find(|t| t.id == "prose_optimizer")
        .unwrap()
        .schema;
    assert_eq!(
        prose["properties"]["action"]["enum"],
        json!(["keep", "rewrite", "skip_nonprose"])
    );
    assert_eq!(
        prose["properties"]["final"]["properties"]["format"]["enum"],
        json!(["markdown_fragment"])
    );
    assert!(prose["properties"]["final"]["properties"]["content"].is_object());
    for k in ["checks", "diff_summary", "confidence"] {
        assert!(prose["properties"][k].is_object(), "{k}");
    }
    let class = &all
        .iter()
        .find(|t| t.id == "classification")
        .unwrap()
        .schema;
    assert!(
        class["properties"]["category"]["enum"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
    assert!(matches!(
        apply_template(&store, "nope", None, "alice"),
        Err(SchemaError::UnknownTemplate { .. })
    ));
}

#[test]
fn fork_suggests_next_version_and_leaves_the_original_alone() {
    let (_d, store) = temp_store();
    let SaveOutcome::Created(orig) = save(&store, req(invoice(), None)).unwrap() else {
        panic!()
    };

    let v2 = fork(&store, "invoice", None, None, "alice").unwrap();
    let SaveOutcome::Created(v2) = v2 else {
        panic!("{v2:?}")
    };
    assert_eq!(v2.schema_ref, "invoice_v2");
    assert_eq!(v2.forked_from.as_deref(), Some(orig.schema_id.as_str()));
    assert_eq!(v2.json["properties"], orig.json["properties"]);
    assert_eq!(v2.json["title"], "Invoice (invoice_v2)");

    // Fork of the fork, with edited content: next free version, original untouched.
    let mut edited = v2.json.clone();
    edited["properties"]["due"] = json!({"type": "string"});
    let v3 = fork(&store, "invoice_v2", None, Some(edited.clone()), "alice").unwrap();
    assert_eq!(v3.schema().schema_ref, "invoice_v3");
    assert_eq!(v3.schema().json, edited);
    assert_eq!(store.schema_by_ref("invoice").unwrap().unwrap(), orig);

    // Forking by id prefix with an explicit ref; identical content is a content conflict.
    let prefix = &orig.schema_id[..8];
    let same = fork(
        &store,
        prefix,
        Some("copy".into()),
        Some(invoice()),
        "alice",
    )
    .unwrap_err();
    assert!(
        matches!(same, SchemaError::ContentConflict { ref existing_ref, .. } if existing_ref == "invoice")
    );
    let taken = fork(
        &store,
        "invoice",
        Some("invoice_v2".into()),
        Some(json!({"a": 1})),
        "alice",
    )
    .unwrap_err();
    assert!(taken.is_conflict());
    assert!(fork(&store, "missing", None, None, "alice").is_err());
}

#[test]
fn delete_is_refused_while_a_run_references_the_schema() {
    let (_d, store) = temp_store();
    let s = save(&store, req(invoice(), None)).unwrap().schema().clone();
    let other = save(
        &store,
        req(json!({"type": "object", "properties": {}}), Some("other")),
    )
    .unwrap()
    .schema()
    .clone();
    store.link_run_to_schema(&s.schema_id, "run_b").unwrap();
    store.link_run_to_schema(&s.schema_id, "run_a").unwrap();
    assert_eq!(
        store.runs_referencing(&s.schema_id).unwrap(),
        vec!["run_a", "run_b"]
    );
    assert!(store.runs_referencing(&other.schema_id).unwrap().is_empty());
    match store.delete_schema("invoice").unwrap() {
        SchemaDelete::Referenced { run_ids, schema } => {
            assert_eq!(run_ids, vec!["run_a", "run_b"]);
            assert_eq!(schema.schema_id, s.schema_id);
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(store.schema_by_ref("invoice").unwrap().is_some());

    // Unreferenced: deleted, and both the ref and the content are free again.
    assert!(matches!(
        store.delete_schema("other").unwrap(),
        SchemaDelete::Deleted(_)
    ));
    assert!(store.schema_by_ref("other").unwrap().is_none());
    let again = save(
        &store,
        req(json!({"type": "object", "properties": {}}), Some("other2")),
    );
    assert!(matches!(again.unwrap(), SaveOutcome::Created(_)));
}

// ---------------------------------------------------------------- CLI

fn cli(store: &Path, args: &[&str]) -> (i32, String, String) {
    let out = support::blockwise_in(store.parent().unwrap())
        .arg("--store")
        .arg(store)
        .args(args)
        .env("USER", "tester")
        .output()
        .unwrap();
    support::outcome(out)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn cli_save_outcomes_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let a = write(dir.path(), "a.json", &invoice().to_string());
    let a = a.to_str().unwrap();
    let uid = schema_uid(&invoice());

    let (code, out, _) = cli(&store, &["schema", "add", a]);
    assert_eq!(
        (code, out.trim()),
        (0, format!("created invoice {uid}").as_str())
    );
    let (code, out, _) = cli(&store, &["schema", "add", a]);
    assert_eq!(
        (code, out.trim()),
        (0, format!("unchanged invoice {uid}").as_str())
    );

    // Ref conflict and content conflict: exit 3, naming the existing schema.
    let b = write(
        dir.path(),
        "b.json",
        r#"{"title":"Invoice","type":"object","properties":{}}"#,
    );
    let (code, _, err) = cli(&store, &["schema", "add", b.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&uid) && err.contains("invoice_v2"), "{err}");
    let (code, out, err) = cli(&store, &["--json", "schema", "add", a, "--ref", "bills"]);
    assert_eq!(code, 3, "{err}");
    let body: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(body["status"], "content_conflict");
    assert_eq!(body["existing_schema_ref"], "invoice");

    // Rejected: exit 1, nothing written.
    let (code, _, err) = cli(&store, &["schema", "add", a, "--ref", "Bad!"]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid schema ref 'Bad!'"), "{err}");
    let bad = write(dir.path(), "bad.json", "{\n  \"a\": 1,,\n}");
    let (code, _, err) = cli(&store, &["schema", "add", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.json:2:"), "{err}");

    let (code, out, _) = cli(&store, &["--json", "schema", "list"]);
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Owned by the OS account of the process; `USER` (set to "tester" above) is ignored.
    assert_eq!(list[0]["owner"], blockwise::policy::current_user());

    // Templates, from-template, fork, show, delete.
    let (code, out, _) = cli(&store, &["--json", "schema", "templates"]);
    assert_eq!(code, 0);
    assert!(
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
            >= 6
    );
    let (code, out, _) = cli(
        &store,
        &["schema", "from-template", "clause_review", "--ref", "legal"],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("created legal "), "{out}");
    let (code, out, _) = cli(&store, &["--json", "schema", "fork", "legal"]);
    assert_eq!(code, 0);
    let forked: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(forked["status"], "created");
    assert_eq!(forked["schema_ref"], "legal_v2");
    let (code, out, _) = cli(&store, &["--json", "schema", "show", "legal_v2"]);
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["template_id"], "clause_review");
    assert_eq!(shown["runs"], json!([]));
    let (code, _, err) = cli(&store, &["schema", "show", "nope"]);
    assert_eq!(code, 1, "{err}");

    {
        let s = Store::open(&store).unwrap();
        let id = s.schema_by_ref("legal").unwrap().unwrap().schema_id;
        s.link_run_to_schema(&id, "run_123").unwrap();
    }
    let (code, _, err) = cli(&store, &["schema", "delete", "legal"]);
    assert_eq!(code, 1);
    assert!(err.contains("run_123"), "{err}");
    let (code, out, _) = cli(&store, &["schema", "delete", "legal_v2"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("deleted legal_v2"), "{out}");
}
