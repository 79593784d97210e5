//! Providers over real HTTP against the fake: both wire protocols, single and batched calls,
//! usage and cache tokens, every error class, `retry-after` in both forms, and request bodies
//! checked against the documented shapes.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use blockwise::provider::{
    anthropic, openai, AnthropicClient, BlockInput, CallRequest, Flavor, OpenAiClient, OutputMode,
    Provider, ProviderError,
};
use serde_json::{json, Value};
use support::{answer_for, fake, fixture, FakeScript, FakeServer, Fault};

const KEY: &str = "sk-test-key-0123456789-WXYZ";

fn props() -> Value {
    json!({
        "label": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "summary": {"type": "string"},
        "word_count": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}}
    })
}

fn blocks(n: usize) -> Vec<BlockInput> {
    (0..n)
        .map(|i| BlockInput {
            block_index: 20 + i as u32,
            block_type: if i % 2 == 0 { "paragraph" } else { "heading" }.into(),
            content: format!("Block number {i} talks about topic {} in detail.", i * 7),
        })
        .collect()
}

fn request(n: usize, batched: bool, caching: bool) -> CallRequest {
    CallRequest {
        model: "claude-sonnet-4-5".into(),
        temperature: 0.2,
        max_tokens: 512,
        system_prompt: "You label paragraphs. ".repeat(20),
        block_prompt: "Label each block.".into(),
        properties: props(),
        required: vec!["label".into(), "summary".into()],
        blocks: blocks(n),
        batched,
        prompt_caching: caching,
    }
}

fn http() -> reqwest::Client {
    blockwise::provider::install_tls();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn anthropic_client(server: &FakeServer) -> AnthropicClient {
    AnthropicClient::new("anthropic", KEY.into(), server.anthropic_base_url(), http())
}

fn openai_client(server: &FakeServer) -> OpenAiClient {
    OpenAiClient::new(Flavor::OpenAi, KEY.into(), server.openai_base_url(), http())
}

fn expected(b: &BlockInput) -> Value {
    answer_for(b.block_index, &b.block_type, &b.content, &props())
}

fn assert_batched_results(output: &Value, req: &CallRequest) {
    let results = output["results"].as_array().expect("results array");
    assert_eq!(results.len(), req.blocks.len());
    for (r, b) in results.iter().zip(&req.blocks) {
        assert_eq!(r["block_index"], b.block_index);
        let mut want = expected(b);
        want["block_index"] = json!(b.block_index);
        assert_eq!(r, &want);
    }
}

#[tokio::test]
async fn anthropic_single_and_batched_answers_and_usage() {
    let server = fake();
    let client = anthropic_client(&server);

    let single = request(1, false, false);
    let a = client.call(&single).await.unwrap();
    assert_eq!(a.output.as_ref().unwrap(), &expected(&single.blocks[0]));
    assert_eq!(a.parse_issue, None);
    assert_eq!(a.stop_reason.as_deref(), Some("tool_use"));
    assert!(!a.truncated);
    assert!(a.usage.input_tokens > 0 && a.usage.output_tokens > 0);
    assert_eq!(
        (a.usage.cache_write_tokens, a.usage.cache_read_tokens),
        (0, 0)
    );
    assert!(a.rate_limit.requests_remaining.is_some());

    let batched = request(5, true, false);
    let b = client.call(&batched).await.unwrap();
    assert_batched_results(b.output.as_ref().unwrap(), &batched);
    assert_eq!(server.call_count(), 2);

    // The wire: headers and the forced tool as documented.
    let sent = server.last_request().unwrap();
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], KEY);
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(
        sent.body["tool_choice"],
        json!({"type": "tool", "name": "record_results"})
    );
    assert_eq!(sent.body["system"], json!(batched.system_prompt));
}

#[tokio::test]
async fn anthropic_prompt_caching_writes_then_reads() {
    let server = fake();
    let client = anthropic_client(&server);
    let req = request(2, true, true);
    let first = client.call(&req).await.unwrap();
    assert!(first.usage.cache_write_tokens > 0);
    assert_eq!(first.usage.cache_read_tokens, 0);
    let second = client.call(&request(3, true, true)).await.unwrap();
    assert_eq!(second.usage.cache_write_tokens, 0);
    assert_eq!(
        second.usage.cache_read_tokens,
        first.usage.cache_write_tokens
    );
    let sent = server.last_request().unwrap();
    assert_eq!(
        sent.body["system"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
}

#[tokio::test]
async fn openai_json_schema_single_batched_and_cached_tokens() {
    let server = fake();
    let client = openai_client(&server);
    let single = request(1, false, false);
    let a = client.call(&single).await.unwrap();
    assert_eq!(a.output.as_ref().unwrap(), &expected(&single.blocks[0]));
    assert_eq!(a.stop_reason.as_deref(), Some("stop"));
    assert_eq!(a.usage.cache_read_tokens, 0);

    let batched = request(4, true, false);
    let b = client.call(&batched).await.unwrap();
    assert_batched_results(b.output.as_ref().unwrap(), &batched);
    // Same system prompt again: the automatic cache reports cached tokens, and input counts
    // only the uncached part.
    assert!(b.usage.cache_read_tokens > 0);
    assert!(b.rate_limit.tokens_remaining.is_some());

    let sent = server.last_request().unwrap();
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(sent.body["response_format"]["type"], "json_schema");
    assert_eq!(sent.body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(sent.body["max_completion_tokens"], 512);
}

#[tokio::test]
async fn openai_falls_back_to_a_forced_tool_when_json_schema_is_refused() {
    let server = fake();
    server.set_json_schema_supported(false);
    let client = OpenAiClient::new(Flavor::Custom, KEY.into(), server.openai_base_url(), http());
    let req = request(3, true, false);
    let a = client.call(&req).await.unwrap();
    assert_batched_results(a.output.as_ref().unwrap(), &req);
    assert_eq!(client.output_mode(), OutputMode::Tool);
    let bodies: Vec<Value> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].get("response_format").is_some());
    assert_eq!(
        bodies[1]["tool_choice"],
        json!({"type": "function", "function": {"name": "record_results"}})
    );
    // Remembered: the next call goes straight to the tool.
    client.call(&req).await.unwrap();
    assert_eq!(server.call_count(), 3);
    assert_eq!(
        bodies[1]["max_tokens"], 512,
        "custom servers get max_tokens"
    );
}

fn check_error(err: &ProviderError, fault: &Fault) {
    let ok = match fault {
        Fault::RateLimited { retry_after_secs } => matches!(
            err,
            ProviderError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == *retry_after_secs
        ),
        Fault::RateLimitedDate { retry_after_secs } => matches!(
            err,
            ProviderError::RateLimited { retry_after: Some(d), .. }
                if d.as_secs() <= *retry_after_secs && d.as_secs() + 3 >= *retry_after_secs
        ),
        Fault::Overloaded | Fault::ServerError | Fault::ConnectionReset => {
            matches!(err, ProviderError::Transient { .. })
        }
        Fault::PaymentRequired | Fault::LowCredit => {
            matches!(err, ProviderError::OutOfCredit { .. })
        }
        Fault::Unauthorized => matches!(err, ProviderError::BadKey { status: 401, .. }),
        Fault::Forbidden => matches!(err, ProviderError::BadKey { status: 403, .. }),
        Fault::BadRequest => matches!(err, ProviderError::BadRequest { status: 400, .. }),
        Fault::ContextOverflow => matches!(err, ProviderError::ContextOverflow { .. }),
        Fault::MalformedJson => matches!(err, ProviderError::Malformed { .. }),
        _ => false,
    };
    assert!(ok, "{fault:?} was classified as {err:?}");
    let text = err.to_string();
    assert!(!text.contains(KEY), "key leaked in: {text}");
    assert!(text.chars().count() < 400, "message too long: {text}");
}

fn error_faults() -> Vec<Fault> {
    vec![
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        Fault::RateLimitedDate {
            retry_after_secs: 30,
        },
        Fault::Overloaded,
        Fault::ServerError,
        Fault::ConnectionReset,
        Fault::PaymentRequired,
        Fault::LowCredit,
        Fault::Unauthorized,
        Fault::Forbidden,
        Fault::BadRequest,
        Fault::ContextOverflow,
        Fault::MalformedJson,
    ]
}

#[tokio::test]
async fn every_error_class_over_both_protocols() {
    let server = fake();
    let a = blockwise::worker::AnyProvider::Anthropic(anthropic_client(&server));
    let o = blockwise::worker::AnyProvider::OpenAi(openai_client(&server));
    for client in [&a, &o] {
        let faults = error_faults();
        let mut script = FakeScript::new();
        for f in &faults {
            script = script.then(f.clone());
        }
        server.script(script);
        for fault in &faults {
            let err = client
                .call(&request(2, true, false))
                .await
                .expect_err("scripted fault");
            check_error(&err, fault);
        }
        assert_eq!(server.pending_script(), 0, "{}", client.name());
        // Unscripted calls work again.
        assert!(client.call(&request(1, false, false)).await.is_ok());
    }
}

#[tokio::test]
async fn timeouts_are_transient() {
    let server = fake();
    server.push(support::ScriptedCall {
        latency: Some(Duration::from_millis(1500)),
        fault: Fault::None,
    });
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let client = AnthropicClient::new("anthropic", KEY.into(), server.anthropic_base_url(), quick);
    let err = client.call(&request(1, false, false)).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Transient { status_text, .. } if status_text == "timeout"),
        "{err:?}"
    );
}

#[tokio::test]
async fn answer_level_faults_are_reported_not_hidden() {
    let server = fake();
    let a = blockwise::worker::AnyProvider::Anthropic(anthropic_client(&server));
    let o = blockwise::worker::AnyProvider::OpenAi(openai_client(&server));
    for client in [&a, &o] {
        let req = request(4, true, false);
        let uids = |v: &Value| -> Vec<u64> {
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["block_index"].as_u64().unwrap())
                .collect()
        };
        server.script(
            FakeScript::new()
                .then(Fault::NoToolOutput)
                .then(Fault::MissingUid)
                .then(Fault::DuplicateUid)
                .then(Fault::UnexpectedUid)
                .then(Fault::Truncated),
        );
        let none = client.call(&req).await.unwrap();
        assert!(
            none.output.is_none() && none.parse_issue.is_some(),
            "{none:?}"
        );

        let missing = client.call(&req).await.unwrap();
        let got = uids(missing.output.as_ref().unwrap());
        assert_eq!(got.len(), 3);
        assert!(!got.contains(&u64::from(req.blocks[3].block_index)));

        let dup = client.call(&req).await.unwrap();
        let got = uids(dup.output.as_ref().unwrap());
        assert_eq!(got.len(), 5);
        assert_eq!(
            got.iter()
                .filter(|u| **u == u64::from(req.blocks[0].block_index))
                .count(),
            2
        );

        let unexpected = client.call(&req).await.unwrap();
        let got: BTreeSet<u64> = uids(unexpected.output.as_ref().unwrap())
            .into_iter()
            .collect();
        let asked: BTreeSet<u64> = req
            .blocks
            .iter()
            .map(|b| u64::from(b.block_index))
            .collect();
        assert_eq!(got.difference(&asked).count(), 1, "one index not asked for");

        let cut = client.call(&req).await.unwrap();
        assert!(cut.truncated, "{}", client.name());
        match client.name() {
            "anthropic" => {
                assert_eq!(cut.stop_reason.as_deref(), Some("max_tokens"));
                assert_eq!(uids(cut.output.as_ref().unwrap()).len(), 2);
            }
            _ => {
                assert_eq!(cut.stop_reason.as_deref(), Some("length"));
                // A length cut leaves unfinished JSON.
                assert!(cut.output.is_none() && cut.parse_issue.is_some());
            }
        }
    }
}

#[tokio::test]
async fn openai_bad_key_message_is_scrubbed() {
    let server = fake();
    server.set_expected_key(Some("the-right-key-123456".into()));
    let client = openai_client(&server);
    let err = client.call(&request(1, false, false)).await.unwrap_err();
    assert!(matches!(err, ProviderError::BadKey { status: 401, .. }));
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(client.test_key().await.is_err());
    // The fake really echoed the key: the scrubbing above is what kept it out.
    let sent = server.last_request().unwrap();
    assert_eq!(sent.path, "/v1/models");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_serves_32_concurrent_calls() {
    let server = fake();
    server.set_default_latency(Duration::from_millis(100));
    let client = anthropic_client(&server);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.call(&request(1 + i % 3, true, false)).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
    // Serially this would take 3.2 s; overlapping calls finish far sooner.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.call_count(), 32);
}

#[tokio::test]
async fn demo_provider_runs_offline_with_deterministic_answers() {
    let demo = blockwise::worker::connect("demo", None, None).unwrap();
    assert!(demo.is_demo());
    assert_eq!(demo.name(), "demo");
    let req = request(3, true, true);
    let a = demo.call(&req).await.unwrap();
    assert_batched_results(a.output.as_ref().unwrap(), &req);
    assert!(demo.test_key("demo").await.is_ok());
}

// ---- request and answer shapes against the documented examples ----

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn anthropic_bodies_match_the_documented_shapes() {
    let doc = fixture("anthropic_forced_tool_request.json");
    let ours = anthropic::request_body(&request(2, true, false));
    // Same top-level members (ours adds temperature and system, both documented options).
    for k in keys_of(&doc) {
        assert!(ours.get(&k).is_some(), "missing {k}");
    }
    assert_eq!(keys_of(&ours["tools"][0]), keys_of(&doc["tools"][0]));
    assert_eq!(keys_of(&ours["tool_choice"]), keys_of(&doc["tool_choice"]));
    assert_eq!(ours["tool_choice"]["type"], doc["tool_choice"]["type"]);
    assert_eq!(ours["tool_choice"]["name"], ours["tools"][0]["name"]);
    assert_eq!(ours["tools"][0]["input_schema"]["type"], "object");
    assert_eq!(ours["messages"][0]["role"], doc["messages"][0]["role"]);
    assert!(ours["messages"][0]["content"].is_string());

    let cached_doc = fixture("anthropic_cache_control_request.json");
    let cached = anthropic::request_body(&request(1, false, true));
    assert_eq!(
        keys_of(&cached["system"][0]),
        keys_of(&cached_doc["system"][0])
    );
    assert_eq!(
        cached["system"][0]["cache_control"],
        cached_doc["system"][0]["cache_control"]
    );
    assert_eq!(cached["system"][0]["type"], "text");
    // Single call: the tool's schema is the properties themselves.
    assert_eq!(cached["tools"][0]["input_schema"]["properties"], props());
}

#[test]
fn anthropic_documented_answer_parses_with_all_usage_counters() {
    let body = fixture("anthropic_tool_use_response.json");
    let parsed = anthropic::parse_answer(&body, &request(1, false, true)).unwrap();
    let usage = parsed.usage;
    assert_eq!(parsed.output.unwrap()["label"], "positive");
    assert_eq!(parsed.parse_issue, None);
    assert_eq!(parsed.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_write_tokens,
            usage.cache_read_tokens
        ),
        (21, 393, 188086, 0)
    );
}

#[test]
fn openai_bodies_match_the_documented_shapes() {
    let doc = fixture("openai_json_schema_request.json");
    let ours = openai::request_body(
        &request(2, true, false),
        Flavor::OpenAi,
        OutputMode::JsonSchema,
    );
    assert_eq!(
        ours["response_format"]["type"],
        doc["response_format"]["type"]
    );
    let allowed: BTreeSet<String> = ["name", "description", "schema", "strict"]
        .into_iter()
        .map(String::from)
        .collect();
    let ours_js = keys_of(&ours["response_format"]["json_schema"]);
    assert!(ours_js.is_superset(&keys_of(&doc["response_format"]["json_schema"])));
    assert!(ours_js.is_subset(&allowed), "{ours_js:?}");
    // Strict mode as documented: every object lists all properties and forbids others.
    let schema = &ours["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["additionalProperties"], false);
    let item = &schema["properties"]["results"]["items"];
    assert_eq!(item["additionalProperties"], false);
    let req: BTreeSet<String> = item["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(req, keys_of(&item["properties"]));
    assert_eq!(ours["messages"][0]["role"], doc["messages"][0]["role"]);
    assert_eq!(ours["messages"][1]["role"], doc["messages"][1]["role"]);

    let tool_doc = fixture("openai_forced_tool_request.json");
    let tool = openai::request_body(&request(1, false, false), Flavor::Custom, OutputMode::Tool);
    assert_eq!(keys_of(&tool["tools"][0]), keys_of(&tool_doc["tools"][0]));
    assert_eq!(
        keys_of(&tool["tools"][0]["function"]),
        keys_of(&tool_doc["tools"][0]["function"])
    );
    assert_eq!(
        keys_of(&tool["tool_choice"]),
        keys_of(&tool_doc["tool_choice"])
    );
    assert_eq!(
        keys_of(&tool["tool_choice"]["function"]),
        keys_of(&tool_doc["tool_choice"]["function"])
    );
    assert_eq!(
        tool["tool_choice"]["function"]["name"],
        tool["tools"][0]["function"]["name"]
    );
    assert!(tool.get("response_format").is_none());
}

#[test]
fn openai_documented_answer_parses_with_cached_tokens() {
    let body = fixture("openai_cached_response.json");
    let parsed = openai::parse_answer(&body, &request(1, false, false)).unwrap();
    assert_eq!(parsed.output.unwrap()["summary"], "A short paragraph.");
    assert_eq!(parsed.stop_reason.as_deref(), Some("stop"));
    assert_eq!(parsed.usage.cache_read_tokens, 1920);
    assert_eq!(parsed.usage.input_tokens, 2006 - 1920);
    assert_eq!(parsed.usage.output_tokens, 300);
}

/// The user message of a recorded chat-completions or Messages request.
fn user_text(body: &Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    let user = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    user["content"].as_str().unwrap().to_string()
}

/// Issue 14 item 6: what the model reads matches what is sent. A tool is named only when one
/// is sent, a single block is not told about a results array, the pack's schema keys results
/// by block_index (restricted to the pack's indices), and the result count is fixed where the
/// provider's schema support takes minItems / maxItems.
#[tokio::test]
async fn prompts_and_schemas_follow_the_mode_of_each_call() {
    let server = fake();
    let pack = request(3, true, false);
    let one = request(1, false, false);
    let indices = json!([20, 21, 22]);

    // Anthropic: always a forced tool.
    let a = anthropic_client(&server);
    a.call(&pack).await.unwrap();
    let body = server.last_request().unwrap().body;
    let text = user_text(&body);
    assert!(text.contains("using the record_results tool"), "{text}");
    assert!(text.contains("exactly 3 results"), "{text}");
    let results = &body["tools"][0]["input_schema"]["properties"]["results"];
    assert_eq!(
        results["items"]["properties"]["block_index"]["enum"],
        indices
    );
    assert_eq!(
        (results["minItems"].as_u64(), results["maxItems"].as_u64()),
        (Some(3), Some(3))
    );
    a.call(&one).await.unwrap();
    let text = user_text(&server.last_request().unwrap().body);
    assert!(text.contains("There is one block below") && text.contains("record_result tool"));
    assert!(!text.contains("results"), "{text}");

    // OpenAI json_schema: no tool wording; strict schema without array bounds.
    let o = openai_client(&server);
    o.call(&pack).await.unwrap();
    let body = server.last_request().unwrap().body;
    let text = user_text(&body);
    assert!(!text.contains("tool"), "{text}");
    assert!(text.contains("exactly 3 results"), "{text}");
    let results = &body["response_format"]["json_schema"]["schema"]["properties"]["results"];
    assert_eq!(
        results["items"]["properties"]["block_index"]["enum"],
        indices
    );
    assert!(results.get("minItems").is_none() && results.get("maxItems").is_none());
    o.call(&one).await.unwrap();
    let text = user_text(&server.last_request().unwrap().body);
    assert!(
        !text.contains("tool") && !text.contains("results"),
        "{text}"
    );

    // A custom (local) server: json_schema with the result count fixed.
    let c = OpenAiClient::new(Flavor::Custom, KEY.into(), server.openai_base_url(), http());
    c.call(&pack).await.unwrap();
    let body = server.last_request().unwrap().body;
    let results = &body["response_format"]["json_schema"]["schema"]["properties"]["results"];
    assert_eq!(
        (results["minItems"].as_u64(), results["maxItems"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(!user_text(&body).contains("tool"));

    // The same server once it refused json_schema: the forced tool, and wording that names it.
    server.set_json_schema_supported(false);
    let answer = c.call(&pack).await.unwrap();
    assert_batched_results(answer.output.as_ref().unwrap(), &pack);
    let body = server.last_request().unwrap().body;
    assert!(body.get("tools").is_some());
    assert!(user_text(&body).contains("using the record_results tool"));

    // No request carries a block_uid anywhere.
    for r in server.requests() {
        assert!(!r.body.to_string().contains("block_uid"), "{}", r.path);
    }
}
