//! The schema assistant over real providers (issue 26 items 1-3, 5): the real binary, a real
//! redb store on a temp dir and the fake provider over loopback HTTP, speaking the Anthropic
//! Messages API (forced tool) and the OpenAI chat completions API (strict json_schema).

mod support;

use serde_json::Value;
use support::assist::{calls, cli, ingest, schema_count, user_text, Via};
use support::Fault;

#[test]
fn anthropic_suggestion_goes_through_a_forced_tool_and_is_recorded_with_its_cost() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    let args = [
        "--json",
        "schema",
        "suggest",
        "parties, amounts and dates",
        "--provider",
        "anthropic",
        "--model",
        "claude-sonnet-4-5",
        "--blocks",
        "4",
    ];
    let (code, out, err) = cli(d.path(), &fake, Via::Anthropic, &args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["label"],
        Value::Null,
        "a real provider's answer is not labelled DEMO"
    );
    let props = v["schema"]["properties"].as_object().unwrap();
    for f in ["parties", "amounts", "dates", "block_kind", "summary"] {
        assert!(props.contains_key(f), "{f} missing: {props:?}");
    }
    assert_eq!(
        v["schema"]["prompt_config"]["per_block_prompt"],
        "For this block: parties, amounts and dates"
    );
    let body = fake.last_request().unwrap().body;
    assert_eq!(body["tool_choice"]["type"], "tool");
    assert_eq!(body["tool_choice"]["name"], "propose_schema");
    assert_eq!(body["tools"][0]["name"], "propose_schema");
    let user = user_text(&fake, 0);
    assert_eq!(
        user.matches("\"block_type\"").count(),
        4,
        "4 samples sent: {user}"
    );

    let recorded = calls(d.path(), &fake);
    assert_eq!(recorded.len(), 1);
    let c = &recorded[0];
    assert_eq!(
        (c["task"].as_str(), c["outcome"].as_str()),
        (Some("suggest"), Some("ok"))
    );
    assert!(c["usage"]["input_tokens"].as_u64().unwrap() > 100, "{c}");
    assert!(c["usage"]["output_tokens"].as_u64().unwrap() > 10, "{c}");
    assert!(
        c["cost"].as_f64().unwrap() > 0.0,
        "claude-sonnet-4-5 is priced: {c}"
    );
    let (code, human, _) = cli(d.path(), &fake, Via::Anthropic, &["schema", "calls"]);
    assert_eq!(code, 0);
    assert!(
        human.contains("suggest")
            && human.contains("claude-sonnet-4-5")
            && human.contains("1 calls"),
        "{human}"
    );
}

#[test]
fn schema_calls_is_read_only() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    let (code, _, err) = cli(d.path(), &fake, Via::Anthropic, &["schema", "calls"]);
    assert_ne!(code, 0);
    assert!(
        !d.path().join("s.redb").exists(),
        "a read command created the store: {err}"
    );
    ingest(d.path(), &fake);
    let before = std::fs::read(d.path().join("s.redb")).unwrap();
    let (code, out, _) = cli(d.path(), &fake, Via::Anthropic, &["schema", "calls"]);
    assert_eq!(code, 0);
    assert!(out.contains("no schema assistant calls yet"), "{out}");
    assert_eq!(std::fs::read(d.path().join("s.redb")).unwrap(), before);
}

#[test]
fn openai_compatible_suggestion_uses_a_strict_json_schema_and_falls_back_to_a_tool() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    let args = [
        "--json",
        "schema",
        "suggest",
        "obligations",
        "--provider",
        "custom",
    ];
    let (code, out, err) = cli(d.path(), &fake, Via::Custom, &args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["schema"]["properties"]["obligations"].is_object(), "{v}");
    let body = fake.last_request().unwrap().body;
    assert_eq!(body["response_format"]["type"], "json_schema");
    let js = &body["response_format"]["json_schema"];
    assert_eq!(
        (js["name"].as_str(), js["strict"].as_bool()),
        (Some("propose_schema"), Some(true))
    );
    assert_eq!(js["schema"]["additionalProperties"], false);
    assert_eq!(
        js["schema"]["properties"]["fields"]["items"]["additionalProperties"],
        false
    );

    // A server without json_schema (an older llama.cpp) is asked again with a forced tool.
    fake.set_json_schema_supported(false);
    let (code, out, err) = cli(d.path(), &fake, Via::Custom, &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("obligations"));
    let body = fake.last_request().unwrap().body;
    assert_eq!(body["tool_choice"]["function"]["name"], "propose_schema");
}

#[test]
fn an_invalid_answer_is_retried_once_with_its_errors_then_accepted() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    fake.push(Fault::InvalidProposal);
    let args = [
        "schema",
        "suggest",
        "parties",
        "--provider",
        "anthropic",
        "--save",
        "ai",
    ];
    let (code, out, err) = cli(d.path(), &fake, Via::Anthropic, &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("created"), "{out}");
    let retry = user_text(&fake, 1);
    assert!(
        retry.contains("previous_answer_errors") && retry.contains("collide"),
        "{retry}"
    );
    let recorded = calls(d.path(), &fake);
    let outcomes: Vec<_> = recorded
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["invalid", "ok"]);
    assert_eq!(recorded[1]["attempt"], 2);
    assert!(recorded[0]["detail"]
        .as_str()
        .unwrap()
        .contains("unknown type \"date\""));
}

#[test]
fn two_invalid_answers_are_refused_and_nothing_is_saved() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    let args = [
        "schema",
        "suggest",
        "parties",
        "--provider",
        "anthropic",
        "--save",
        "ai",
    ];
    let cases: [(Fault, &str, Via); 3] = [
        (
            Fault::InvalidProposal,
            "field names collide: \"topic\"",
            Via::Anthropic,
        ),
        (Fault::NoToolOutput, "answered prose", Via::Anthropic),
        (Fault::Truncated, "not valid JSON", Via::Custom),
    ];
    let mut expected_calls = 0;
    for (fault, why, via) in cases {
        fake.push(fault.clone());
        fake.push(fault.clone());
        let args: Vec<&str> = match via {
            Via::Anthropic => args.to_vec(),
            Via::Custom => [
                "schema",
                "suggest",
                "parties",
                "--provider",
                "custom",
                "--save",
                "ai",
            ]
            .to_vec(),
        };
        let (code, _, err) = cli(d.path(), &fake, via, &args);
        assert_eq!(code, 1, "{fault:?}: {err}");
        assert!(
            err.contains("invalid twice") && err.contains(why) && err.contains("nothing saved"),
            "{fault:?}: {err}"
        );
        expected_calls += 2;
        assert_eq!(schema_count(d.path(), &fake), 0);
        assert_eq!(calls(d.path(), &fake).len(), expected_calls);
    }
    assert_eq!(fake.pending_script(), 0);
}

#[test]
fn a_rejected_key_or_a_missing_one_is_refused_naming_the_provider() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    fake.set_expected_key(Some("sk-other".into()));
    let args = [
        "schema",
        "suggest",
        "parties",
        "--provider",
        "anthropic",
        "--save",
        "ai",
    ];
    let (code, _, err) = cli(d.path(), &fake, Via::Anthropic, &args);
    assert_eq!(code, 1);
    assert!(
        err.contains("API key rejected") && !err.contains("sk-ant-assist"),
        "{err}"
    );
    let recorded = calls(d.path(), &fake);
    assert_eq!(recorded.len(), 1, "a failed call is recorded too");
    assert_eq!(recorded[0]["outcome"], "error");

    let (code, _, err) = cli(
        d.path(),
        &fake,
        Via::Custom,
        &["schema", "suggest", "x y z", "--provider", "openai"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no API key for openai") && err.contains("nothing saved"),
        "{err}"
    );
    assert_eq!(schema_count(d.path(), &fake), 0);
}

#[test]
fn refine_over_a_provider_shows_the_diff_and_refuses_deleting_every_field() {
    let d = tempfile::tempdir().unwrap();
    let fake = support::fake();
    ingest(d.path(), &fake);
    let draft = d.path().join("draft.json");
    let text = r#"{"type":"object","properties":{"topic":{"type":"string"},"amount":{"type":["number","null"]}},"required":["topic"]}"#;
    std::fs::write(&draft, text).unwrap();
    let dp = draft.to_str().unwrap();
    let args = [
        "schema",
        "refine",
        dp,
        "add owner",
        "--provider",
        "anthropic",
    ];
    let (code, out, err) = cli(d.path(), &fake, Via::Anthropic, &args);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("+ owner"), "{err}");
    let refined: Value = serde_json::from_str(&out).unwrap();
    assert!(
        refined["properties"]["owner"].is_object() && refined["properties"]["topic"].is_object()
    );
    let payload = user_text(&fake, 0);
    assert!(payload.contains("\"instruction\": \"add owner\"") && payload.contains("\"amount\""));

    let args = [
        "schema",
        "refine",
        dp,
        "remove topic, amount",
        "--provider",
        "anthropic",
    ];
    let (code, _, err) = cli(d.path(), &fake, Via::Anthropic, &args);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("removes every field") && err.contains("nothing written"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), text);
    let tasks: Vec<_> = calls(d.path(), &fake)
        .iter()
        .map(|c| c["task"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tasks, ["refine", "refine", "refine"]);
}
