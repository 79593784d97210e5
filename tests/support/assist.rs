//! Helpers of the schema assistant tests: the real binary with a provider's key and base URL
//! pointed at the fake, a small contract document, and reads of what was recorded.

use std::path::Path;

use serde_json::Value;

use super::FakeServer;

#[derive(Clone, Copy)]
pub enum Via {
    Anthropic,
    Custom,
}

pub fn cli(dir: &Path, fake: &FakeServer, via: Via, args: &[&str]) -> (i32, String, String) {
    let mut c = super::blockwise_in(dir);
    c.arg("--store").arg(dir.join("s.redb")).args(args);
    match via {
        Via::Anthropic => c
            .env("ANTHROPIC_API_KEY", "sk-ant-assist-0000")
            .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url()),
        Via::Custom => c
            .env("BLOCKWISE_CUSTOM_API_KEY", "sk-local-0000")
            .env("BLOCKWISE_CUSTOM_BASE_URL", fake.openai_base_url()),
    };
    super::outcome(c.output().expect("run blockwise"))
}

pub fn ingest(dir: &Path, fake: &FakeServer) {
    let mut md = String::new();
    for i in 0..12 {
        md.push_str(&format!(
            "## Clause {i}\n\nAcme pays {i}00 EUR to Bob on 2024-03-0{}.\n\n- duty {i}\n\n",
            i % 9 + 1
        ));
    }
    let path = dir.join("lease.md");
    std::fs::write(&path, md).unwrap();
    let (code, out, err) = cli(
        dir,
        fake,
        Via::Anthropic,
        &["ingest", path.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
}

pub fn calls(dir: &Path, fake: &FakeServer) -> Vec<Value> {
    let (code, out, err) = cli(dir, fake, Via::Anthropic, &["--json", "schema", "calls"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["calls"].as_array().unwrap().clone()
}

pub fn schema_count(dir: &Path, fake: &FakeServer) -> usize {
    let (_, out, _) = cli(dir, fake, Via::Anthropic, &["--json", "schema", "list"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

/// The user message of the `n`-th recorded model call.
pub fn user_text(fake: &FakeServer, n: usize) -> String {
    let posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    let body = &posts[n].body;
    let messages = body["messages"].as_array().unwrap();
    let user = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    user["content"].as_str().unwrap().to_string()
}
