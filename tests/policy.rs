//! Runtime policy (SPEC §5, §3 precedence): bounds, types, admins, audit, snapshots, CLI.

mod support;

use std::collections::BTreeMap;

use blockwise::model::ModelConfig;
use blockwise::policy::{
    self, format_param, resolve_param, AdminChange, ParamLayers, PolicyError, PolicySource,
    RunModelInputs, SetOutcome, Source, WorkerPolicy,
};
use blockwise::store::Store;
use serde_json::{json, Value};

const ADMIN: &str = "alice";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    assert!(policy::ensure_workspace_admin_as(&store, ADMIN).unwrap());
    (dir, store)
}

/// Stored values plus audit length: what "nothing was written" compares.
fn state(store: &Store) -> (BTreeMap<String, Value>, usize, usize) {
    (
        store.policy_values().unwrap(),
        store.audit_entries().unwrap().len(),
        store.policy_admins().unwrap().len(),
    )
}

fn effective(store: &Store, key: &str) -> Value {
    policy::effective_value(store, key).unwrap().value
}

fn set(store: &Store, key: &str, value: Value) -> Result<SetOutcome, PolicyError> {
    policy::set_value(store, ADMIN, key, value, Some("test"))
}

/// SPEC §5 integer bounds: (key, min, fixed max). Cross-key maxima are tested separately.
const INTEGER_BOUNDS: &[(&str, i64, Option<i64>)] = &[
    ("models.platform_default_max_tokens", 1, Some(64000)),
    ("worker.batching.pack_size", 1, None),
    // Before pack_size_max: lowering that to 1 needs both dependents at 1 first.
    ("worker.batching.text_heavy_max_pack_size", 1, None),
    ("worker.batching.pack_size_max", 1, Some(200)),
    ("worker.batching.context_window_tokens", 1024, None),
    ("worker.batching.output_reserve_tokens", 256, None),
    ("worker.batching.tool_overhead_tokens", 0, None),
    ("worker.batching.max_output_tokens", 256, None),
    ("worker.batching.per_block_output_tokens", 1, None),
    ("worker.claim_batch_size", 1, Some(100)),
    ("worker.max_retries", 1, Some(10)),
    ("worker.concurrency", 1, Some(64)),
    ("worker.request_timeout_seconds", 5, Some(3600)),
    ("worker.transient_retries", 0, Some(100)),
    ("upload.max_file_bytes", 1, None),
];

#[test]
fn registry_holds_every_spec_key_with_its_default() {
    let expected = json!({
        "models.platform_default_model": "claude-sonnet-4-5",
        "models.platform_default_temperature": 0.3,
        "models.platform_default_max_tokens": 2000,
        "worker.prompt_caching.enabled": true,
        "worker.batching.enabled": true,
        "worker.batching.pack_size": 10,
        "worker.batching.pack_size_max": 40,
        "worker.batching.text_heavy_max_pack_size": 6,
        "worker.batching.context_window_tokens": 200000,
        "worker.batching.output_reserve_tokens": 20000,
        "worker.batching.tool_overhead_tokens": 2000,
        "worker.batching.max_output_tokens": 8192,
        "worker.batching.per_block_output_tokens": 200,
        "worker.claim_batch_size": 25,
        "worker.max_retries": 3,
        "worker.concurrency": 4,
        "worker.request_timeout_seconds": 120,
        "worker.transient_retries": 8,
        "worker.batch_api.poll_seconds_min": 10,
        "worker.batch_api.poll_seconds_max": 120,
        "worker.batch_api.resubmit_expired": true,
        "worker.batching.calibrate": "custom",
        "worker.batching.calibrate_blocks": 20,
        "worker.skip_block_types": ["page_header", "page_footer"],
        "upload.max_file_bytes": 52428800,
    });
    let (_d, store) = store();
    let all = policy::effective_all(&store).unwrap();
    assert_eq!(all.len(), 27, "SPEC §5 lists 27 keys");
    for e in &all {
        assert_eq!(e.source, PolicySource::Default, "{}", e.key);
        assert!(!e.description.is_empty(), "{} has no description", e.key);
        if let Some(v) = expected.get(&e.key) {
            assert_eq!(&e.value, v, "{}", e.key);
        }
    }
    for prompt in [
        "worker.default_system_prompt",
        "worker.default_block_prompt",
    ] {
        let text = effective(&store, prompt);
        let text = text.as_str().unwrap();
        assert!(
            text.contains("block_index") && text.contains("independent"),
            "{text}"
        );
    }
    let shown = policy::effective_value(&store, "pack_size").unwrap();
    assert_eq!(shown.to_string(), "effective=10 (source=default)");
}

#[test]
fn every_integer_key_accepts_its_bounds_and_refuses_beyond_them() {
    let (_d, store) = store();
    for &(key, min, max) in INTEGER_BOUNDS {
        let before = state(&store);
        let err = set(&store, key, json!(min - 1)).expect_err(key);
        assert!(
            matches!(err, PolicyError::OutOfBounds { .. }),
            "{key}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("at least {min}")),
            "{err}"
        );
        assert_eq!(
            state(&store),
            before,
            "{key}: refused change wrote something"
        );

        assert!(matches!(
            set(&store, key, json!(min)).unwrap(),
            SetOutcome::Changed(_)
        ));
        assert_eq!(effective(&store, key), json!(min));
        if let Some(max) = max {
            let before = state(&store);
            let err = set(&store, key, json!(max + 1)).expect_err(key);
            assert!(err.to_string().contains(&format!("at most {max}")), "{err}");
            assert_eq!(state(&store), before);
            set(&store, key, json!(max)).unwrap();
            assert_eq!(effective(&store, key), json!(max));
        }
    }
    // Unbounded-above u32 keys still refuse what the worker cannot hold.
    let err = set(
        &store,
        "worker.batching.context_window_tokens",
        json!(5_000_000_000u64),
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::OutOfBounds { .. }), "{err}");
}

#[test]
fn number_string_and_boolean_bounds() {
    let (_d, store) = store();
    let t = "models.platform_default_temperature";
    for bad in [-0.1, 1.01, 2.0] {
        let before = state(&store);
        assert!(set(&store, t, json!(bad)).is_err(), "{bad}");
        assert_eq!(state(&store), before);
    }
    for good in [0.0, 1.0, 0.7] {
        set(&store, t, json!(good)).unwrap();
        assert_eq!(effective(&store, t), json!(good));
    }
    let m = "models.platform_default_model";
    let err = set(&store, m, json!("  ")).unwrap_err();
    assert!(err.to_string().contains("must not be empty"), "{err}");
    set(&store, m, json!("gpt-4o-mini")).unwrap();
    assert_eq!(effective(&store, m), json!("gpt-4o-mini"));
    set(&store, "worker.batching.enabled", json!(false)).unwrap();
    assert_eq!(effective(&store, "batching.enabled"), json!(false));
}

#[test]
fn cross_key_bounds_refer_to_pack_size_max() {
    let (_d, store) = store();
    // pack_size and text_heavy_max_pack_size may go up to the current pack_size_max (40).
    set(&store, "worker.batching.pack_size", json!(40)).unwrap();
    let err = set(&store, "worker.batching.pack_size", json!(41)).unwrap_err();
    assert!(
        err.to_string()
            .contains("at most worker.batching.pack_size_max (currently 40)"),
        "{err}"
    );
    let err = set(
        &store,
        "worker.batching.text_heavy_max_pack_size",
        json!(41),
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::OutOfBounds { .. }), "{err}");

    // Lowering pack_size_max below the current pack_size is refused, naming pack_size.
    let before = state(&store);
    let err = set(&store, "worker.batching.pack_size_max", json!(20)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("worker.batching.pack_size is 40"), "{msg}");
    assert!(
        msg.contains("lower worker.batching.pack_size first"),
        "{msg}"
    );
    assert_eq!(state(&store), before);
    assert_eq!(effective(&store, "pack_size_max"), json!(40));

    // ... and below text_heavy_max_pack_size (default 6) too.
    set(&store, "worker.batching.pack_size", json!(4)).unwrap();
    let err = set(&store, "worker.batching.pack_size_max", json!(5)).unwrap_err();
    assert!(
        err.to_string()
            .contains("worker.batching.text_heavy_max_pack_size is 6"),
        "{err}"
    );
    set(&store, "worker.batching.text_heavy_max_pack_size", json!(5)).unwrap();
    set(&store, "worker.batching.pack_size_max", json!(5)).unwrap();
    assert_eq!(effective(&store, "pack_size_max"), json!(5));
    // Raising pack_size_max lets pack_size grow again.
    assert!(set(&store, "worker.batching.pack_size", json!(6)).is_err());
    set(&store, "worker.batching.pack_size_max", json!(200)).unwrap();
    set(&store, "worker.batching.pack_size", json!(150)).unwrap();
}

#[test]
fn type_errors_are_refused_and_write_nothing() {
    let (_d, store) = store();
    let cases = [
        ("worker.batching.pack_size", "abc"),
        ("worker.batching.pack_size", "1.5"),
        ("upload.max_file_bytes", "10MB"),
        ("worker.prompt_caching.enabled", "maybe"),
        ("models.platform_default_temperature", "warm"),
    ];
    for (key, text) in cases {
        let before = state(&store);
        let err = policy::set_value_text(&store, ADMIN, key, text, None).unwrap_err();
        assert!(
            matches!(err, PolicyError::InvalidValue { .. }),
            "{key}={text}: {err}"
        );
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(text) && err.to_string().contains(key));
        assert_eq!(state(&store), before, "{key}={text} wrote something");
    }
    // JSON of the wrong type from a non-text front end.
    let err = set(&store, "worker.concurrency", json!("8")).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidValue { .. }), "{err}");
    let err = set(&store, "worker.batching.enabled", json!(1)).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidValue { .. }), "{err}");
    // Unknown keys are a usage error.
    let err = policy::set_value_text(&store, ADMIN, "worker.nope", "1", None).unwrap_err();
    assert!(matches!(err, PolicyError::UnknownKey { .. }));
    // Text parsing that is accepted.
    policy::set_value_text(&store, ADMIN, "pack_size", "12", None).unwrap();
    policy::set_value_text(&store, ADMIN, "prompt_caching.enabled", "off", None).unwrap();
    policy::set_value_text(&store, ADMIN, "temperature", "0.5", None).unwrap();
    assert_eq!(effective(&store, "worker.batching.pack_size"), json!(12));
    assert_eq!(
        effective(&store, "worker.prompt_caching.enabled"),
        json!(false)
    );
    assert_eq!(
        effective(&store, "models.platform_default_temperature"),
        json!(0.5)
    );
}

#[test]
fn non_admins_can_read_but_change_nothing() {
    let (_d, store) = store();
    let before = state(&store);
    let err =
        policy::set_value(&store, "mallory", "worker.concurrency", json!(8), None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PolicyError::NotAdmin { .. }), "{msg}");
    assert!(msg.contains("'mallory'") && msg.contains("only workspace admins"));
    assert!(msg.contains("admins: alice"), "{msg}");
    assert!(policy::add_admin(&store, "mallory", "mallory", None).is_err());
    assert!(policy::remove_admin(&store, "mallory", ADMIN, None).is_err());
    assert_eq!(state(&store), before);
    // Reading is fine.
    assert_eq!(policy::effective_all(&store).unwrap().len(), 27);
    assert!(!policy::is_admin(&store, "mallory").unwrap());
}

#[test]
fn workspace_creator_is_first_admin_once() {
    let (_d, store) = store();
    assert!(!policy::ensure_workspace_admin_as(&store, "bob").unwrap());
    let admins = policy::list_admins(&store).unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0].user, ADMIN);
    let audit = policy::audit_log(&store).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].key, "admins");
    assert_eq!(audit[0].old, json!([]));
    assert_eq!(audit[0].new, json!([ADMIN]));
    assert_eq!(audit[0].reason.as_deref(), Some("workspace created"));
}

#[test]
fn admins_add_and_remove_but_never_the_last() {
    let (_d, store) = store();
    let AdminChange::Changed(e) = policy::add_admin(&store, ADMIN, "bob", Some("ops")).unwrap()
    else {
        panic!("bob should be added");
    };
    assert_eq!(
        (e.old.clone(), e.new.clone()),
        (json!(["alice"]), json!(["alice", "bob"]))
    );
    assert_eq!(e.user, ADMIN);
    // Adding again changes nothing and logs nothing.
    let n = store.audit_entries().unwrap().len();
    assert_eq!(
        policy::add_admin(&store, ADMIN, "bob", None).unwrap(),
        AdminChange::Unchanged
    );
    assert_eq!(store.audit_entries().unwrap().len(), n);
    // bob, now an admin, may change policy and remove alice.
    policy::set_value(&store, "bob", "worker.concurrency", json!(2), None).unwrap();
    policy::remove_admin(&store, "bob", ADMIN, Some("left")).unwrap();
    assert!(!policy::is_admin(&store, ADMIN).unwrap());
    // The last admin cannot be removed, not even by themself.
    let before = state(&store);
    let err = policy::remove_admin(&store, "bob", "bob", None).unwrap_err();
    assert!(matches!(err, PolicyError::LastAdmin { .. }), "{err}");
    assert!(err.to_string().contains("last workspace admin"));
    assert_eq!(state(&store), before);
    // Removing a non-admin says so.
    let err = policy::remove_admin(&store, "bob", "carol", None).unwrap_err();
    assert!(matches!(err, PolicyError::NotAnAdmin { .. }), "{err}");
    // alice is no longer an admin and is refused.
    assert!(policy::set_value(&store, ADMIN, "worker.concurrency", json!(3), None).is_err());
}

#[test]
fn every_accepted_change_is_audited_with_old_and_new() {
    let (_d, store) = store();
    let changes = [
        ("worker.batching.pack_size", json!(12), json!(10)),
        ("worker.batching.pack_size", json!(8), json!(12)),
        (
            "models.platform_default_temperature",
            json!(0.9),
            json!(0.3),
        ),
        ("worker.batching.enabled", json!(false), json!(true)),
        (
            "models.platform_default_model",
            json!("m2"),
            json!("claude-sonnet-4-5"),
        ),
    ];
    for (i, (key, new, _)) in changes.iter().enumerate() {
        policy::set_value(&store, ADMIN, key, new.clone(), Some(&format!("r{i}"))).unwrap();
    }
    // Setting the same value again is not a change: nothing is logged.
    assert!(matches!(
        set(&store, "worker.batching.pack_size", json!(8)).unwrap(),
        SetOutcome::Unchanged { .. }
    ));
    // A refused change is not logged either.
    assert!(set(&store, "worker.max_retries", json!(0)).is_err());

    let audit = policy::audit_log(&store).unwrap();
    assert_eq!(audit.len(), 1 + changes.len(), "{audit:#?}");
    for (i, (entry, (key, new, old))) in audit[1..].iter().zip(&changes).enumerate() {
        assert_eq!(entry.key, *key);
        assert_eq!(&entry.old, old, "{key}");
        assert_eq!(&entry.new, new, "{key}");
        assert_eq!(entry.user, ADMIN);
        assert_eq!(entry.reason.as_deref(), Some(format!("r{i}").as_str()));
        assert!(entry.at.ends_with('Z'), "UTC timestamp: {}", entry.at);
    }
    let seqs: Vec<u64> = audit.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=audit.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_run_snapshot_is_not_changed_by_later_policy_changes() {
    let (_d, store) = store();
    set(&store, "worker.batching.pack_size", json!(7)).unwrap();
    let inputs = RunModelInputs {
        provider: "anthropic".into(),
        ..Default::default()
    };
    let config = policy::build_model_config(&store, &inputs).unwrap();
    assert_eq!(config.policy.len(), 27, "every key is snapshotted");
    // The run record is stored as JSON; keep it the way the store would.
    let stored_run = serde_json::to_vec(&config).unwrap();

    set(&store, "worker.batching.pack_size", json!(3)).unwrap();
    set(&store, "models.platform_default_temperature", json!(0.9)).unwrap();
    set(&store, "worker.max_retries", json!(9)).unwrap();

    let old: ModelConfig = serde_json::from_slice(&stored_run).unwrap();
    let old_policy = WorkerPolicy::from_snapshot(&old.policy);
    assert_eq!(old_policy.pack_size, 7);
    assert_eq!(old_policy.max_retries, 3);
    assert_eq!(old.temperature, 0.3);
    assert_eq!(old.sources["temperature"], "policy baseline");

    let new = policy::build_model_config(&store, &inputs).unwrap();
    let new_policy = WorkerPolicy::from_snapshot(&new.policy);
    assert_eq!(new_policy.pack_size, 3);
    assert_eq!(new_policy.max_retries, 9);
    assert_eq!(new.temperature, 0.9);
}

#[test]
fn worker_policy_reads_every_key_and_falls_back_to_defaults() {
    let defaults = WorkerPolicy::from_snapshot(&BTreeMap::new());
    assert_eq!(defaults, WorkerPolicy::default());
    assert!(defaults.prompt_caching && defaults.batching);
    assert_eq!(
        (
            defaults.pack_size,
            defaults.pack_size_max,
            defaults.text_heavy_max_pack_size
        ),
        (10, 40, 6)
    );
    assert_eq!(defaults.context_window_tokens, 200_000);
    assert_eq!(defaults.output_reserve_tokens, 20_000);
    assert_eq!(defaults.tool_overhead_tokens, 2000);
    assert_eq!(defaults.max_output_tokens, 8192);
    assert_eq!(defaults.per_block_output_tokens, 200);
    assert_eq!(
        (
            defaults.claim_batch_size,
            defaults.max_retries,
            defaults.concurrency
        ),
        (25, 3, 4)
    );
    assert_eq!(defaults.default_model, "claude-sonnet-4-5");
    assert_eq!(defaults.default_temperature, 0.3);
    assert_eq!(defaults.default_max_tokens, 2000);
    assert_eq!(defaults.max_file_bytes, 50 * 1024 * 1024);
    assert_eq!(
        defaults.default_system_prompt,
        policy::DEFAULT_SYSTEM_PROMPT
    );

    let (_d, store) = store();
    set(&store, "worker.concurrency", json!(16)).unwrap();
    set(&store, "worker.prompt_caching.enabled", json!(false)).unwrap();
    set(&store, "worker.default_block_prompt", json!("Do it.")).unwrap();
    let mut snap = policy::snapshot(&store).unwrap();
    snap.insert("worker.claim_batch_size".into(), json!("garbage"));
    let wp = WorkerPolicy::from_snapshot(&snap);
    assert_eq!(wp.concurrency, 16);
    assert!(!wp.prompt_caching);
    assert_eq!(wp.default_block_prompt, "Do it.");
    assert_eq!(
        wp.claim_batch_size, 25,
        "wrong type falls back to the default"
    );
}

#[test]
fn precedence_table_covers_each_layer() {
    let full = ParamLayers {
        override_: Some(json!(0.1)),
        schema_prompt_config: Some(json!(0.2)),
        run_model_config: Some(json!(0.4)),
        key_defaults: Some(json!(0.5)),
        policy_baseline: Some(json!(0.6)),
        builtin: json!(0.3),
    };
    let table = [
        (json!(0.1), Source::Override, "override"),
        (
            json!(0.2),
            Source::SchemaPromptConfig,
            "schema prompt_config",
        ),
        (json!(0.4), Source::RunModelConfig, "run model_config"),
        (json!(0.5), Source::KeyDefaults, "key defaults"),
        (json!(0.6), Source::PolicyBaseline, "policy baseline"),
        (json!(0.3), Source::BuiltinFallback, "built-in fallback"),
    ];
    // Remove layers from the top one at a time: the next one down must win.
    let mut layers = full.clone();
    for (i, (value, source, label)) in table.iter().enumerate() {
        let got = resolve_param("temperature", &layers);
        assert_eq!(&got, &(value.clone(), *source), "row {i}");
        assert_eq!(source.to_string(), *label);
        assert_eq!(
            format_param("temperature", &got.0, got.1),
            format!("temperature={} ({label})", value)
        );
        match i {
            0 => layers.override_ = None,
            1 => layers.schema_prompt_config = None,
            2 => layers.run_model_config = None,
            3 => layers.key_defaults = None,
            4 => layers.policy_baseline = None,
            _ => {}
        }
    }
    // JSON null means "not set".
    let mut with_null = full.clone();
    with_null.override_ = Some(Value::Null);
    assert_eq!(
        resolve_param("temperature", &with_null).1,
        Source::SchemaPromptConfig
    );
    // A lower layer never beats a higher one that is set.
    let only_policy_and_schema = ParamLayers {
        schema_prompt_config: Some(json!("schema-model")),
        policy_baseline: Some(json!("policy-model")),
        builtin: json!("builtin"),
        ..Default::default()
    };
    assert_eq!(
        resolve_param("model", &only_policy_and_schema),
        (json!("schema-model"), Source::SchemaPromptConfig)
    );
}

#[test]
fn layers_are_read_from_real_objects() {
    let (_d, store) = store();
    set(&store, "models.platform_default_max_tokens", json!(1500)).unwrap();
    let snap = policy::snapshot(&store).unwrap();
    let prompt_config = json!({"temperature": 0.2, "max_tokens_per_block": 900, "model": 42});
    let key_defaults = json!({"model": "key-model", "max_tokens": 700});
    let run = policy::build_model_config(
        &store,
        &RunModelInputs {
            provider: "openai".into(),
            prompt_config: Some(&prompt_config),
            key_defaults: Some(&key_defaults),
            ..Default::default()
        },
    )
    .unwrap();
    // model 42 in the schema has the wrong type and is skipped.
    assert_eq!(run.model, "key-model");
    assert_eq!(run.sources["model"], "key defaults");
    assert_eq!(run.temperature, 0.2);
    assert_eq!(run.sources["temperature"], "schema prompt_config");
    assert_eq!(run.max_tokens, 900);

    let resolve = |name: &str, over: Option<Value>, pc: Option<&Value>, kd: Option<&Value>| {
        let layers = ParamLayers::for_param(name, over, pc, Some(&run), kd, &snap).unwrap();
        let (v, s) = resolve_param(name, &layers);
        format_param(name, &v, s)
    };
    assert_eq!(
        resolve("max_tokens", Some(json!(64)), Some(&prompt_config), None),
        "max_tokens=64 (override)"
    );
    assert_eq!(
        resolve("max_tokens", None, Some(&prompt_config), None),
        "max_tokens=900 (schema prompt_config)"
    );
    assert_eq!(
        resolve("max_tokens", None, None, Some(&key_defaults)),
        "max_tokens=900 (run model_config)"
    );
    let layers =
        ParamLayers::for_param("max_tokens", None, None, None, Some(&key_defaults), &snap).unwrap();
    let (v, s) = resolve_param("max_tokens", &layers);
    assert_eq!(
        format_param("max_tokens", &v, s),
        "max_tokens=700 (key defaults)"
    );
    let layers = ParamLayers::for_param("max_tokens", None, None, None, None, &snap).unwrap();
    let (v, s) = resolve_param("max_tokens", &layers);
    assert_eq!(
        format_param("max_tokens", &v, s),
        "max_tokens=1500 (policy baseline)"
    );
    let layers =
        ParamLayers::for_param("temperature", None, None, None, None, &BTreeMap::new()).unwrap();
    let (v, s) = resolve_param("temperature", &layers);
    assert_eq!(
        format_param("temperature", &v, s),
        "temperature=0.3 (built-in fallback)"
    );
    let layers = ParamLayers::for_param("system_prompt", None, None, None, None, &snap).unwrap();
    assert_eq!(
        resolve_param("system_prompt", &layers).1,
        Source::PolicyBaseline
    );

    // A bad override is refused rather than silently ignored.
    let err = policy::build_model_config(
        &store,
        &RunModelInputs {
            temperature: Some(7.0),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("temperature"), "{err}");
}

// ---- CLI ----

/// The CLI acts as the OS account of this process (never an environment variable, which is
/// set here to prove it is ignored). Another user is simulated through the library's `*_as`
/// functions, which take the acting user explicitly.
fn cli(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = support::blockwise_in(dir)
        .args(args)
        .env("BLOCKWISE_STORE", dir.join("cli.redb"))
        .env("BLOCKWISE_USER", "alice")
        .env("USER", "alice")
        .env("USERNAME", "alice")
        .output()
        .unwrap();
    support::outcome(out)
}

#[test]
fn cli_policy_list_set_audit_admins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let me = policy::current_user();
    // alice created the workspace (library, acting as alice): the CLI user is not an admin.
    {
        let store = Store::open(&d.join("cli.redb")).unwrap();
        policy::ensure_workspace_admin_as(&store, "alice").unwrap();
    }
    let (code, out, _) = cli(d, &["policy", "list"]);
    assert_eq!(code, 0);
    let row = out
        .lines()
        .find(|l| l.starts_with("worker.batching.pack_size "))
        .unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols[1..],
        ["10", "default", "1..=worker.batching.pack_size_max"]
    );

    let (code, _, err) = cli(d, &["policy", "set", "pack_size", "12"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("'{me}'")) && err.contains("admins") && !err.contains("'alice' is"),
        "{err}"
    );

    // alice adds the OS account; now the CLI may change policy.
    {
        let store = Store::open(&d.join("cli.redb")).unwrap();
        policy::add_admin(&store, "alice", &me, None).unwrap();
    }
    let (code, _, err) = cli(d, &["policy", "set", "pack_size", "abc"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid value 'abc'"), "{err}");
    let (code, out, err) = cli(
        d,
        &["policy", "set", "pack_size", "12", "--reason", "faster"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("effective=12 (source=stored)"), "{out}");

    let (code, out, _) = cli(d, &["--json", "policy", "list"]);
    assert_eq!(code, 0);
    let list: Vec<Value> = serde_json::from_str(&out).unwrap();
    let ps = list
        .iter()
        .find(|e| e["key"] == "worker.batching.pack_size")
        .unwrap();
    assert_eq!(
        (ps["value"].clone(), ps["source"].clone()),
        (json!(12), json!("stored"))
    );

    let prompt = d.join("prompt.txt");
    std::fs::write(&prompt, "Classify each block on its own.\n").unwrap();
    let (code, _, err) = cli(
        d,
        &[
            "policy",
            "set",
            "default_block_prompt",
            "--file",
            prompt.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = cli(d, &["--json", "policy", "show", "default_block_prompt"]);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["value"], "Classify each block on its own.");

    assert_eq!(cli(d, &["policy", "admins", "remove", "alice"]).0, 0);
    let (code, _, err) = cli(d, &["policy", "admins", "remove", &me]);
    assert_eq!(code, 1);
    assert!(err.contains("last workspace admin"), "{err}");
    assert_eq!(cli(d, &["policy", "admins", "add", "nobody"]).0, 0);
    let (_, out, _) = cli(d, &["--json", "policy", "admins", "list"]);
    let admins: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(admins.len(), 2);

    let (code, out, _) = cli(d, &["--json", "policy", "audit"]);
    assert_eq!(code, 0);
    let audit: Vec<Value> = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = audit.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "admins",
            "admins",
            "worker.batching.pack_size",
            "worker.default_block_prompt",
            "admins",
            "admins"
        ]
    );
    assert_eq!(
        audit[0]["user"], "alice",
        "the first opener created the workspace"
    );
    assert_eq!(
        audit[2]["user"],
        json!(me),
        "changes are stamped with the OS account"
    );
    assert_eq!(audit[2]["old"], 10);
    assert_eq!(audit[2]["new"], 12);
    assert_eq!(audit[2]["reason"], "faster");
}

#[test]
fn cli_ingest_honours_policy_max_file_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("doc.md");
    std::fs::write(
        &file,
        "# Title\n\nA paragraph that is longer than ten bytes.\n",
    )
    .unwrap();
    let (code, _, err) = cli(d, &["policy", "set", "upload.max_file_bytes", "10"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(d, &["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("over the limit of 10 bytes"), "{err}");
    assert!(err.contains("upload.max_file_bytes"), "{err}");
    let (_, out, _) = cli(d, &["--json", "docs"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));

    assert_eq!(
        cli(d, &["policy", "set", "upload.max_file_bytes", "1000"]).0,
        0
    );
    let (code, _, err) = cli(d, &["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}
