//! One structured call outside a run (the schema assistant): a system prompt, one user
//! message and a named output schema, answered through a forced tool (Anthropic) or a strict
//! `json_schema` response format (OpenAI-compatible, falling back to a forced function tool
//! when the server refuses `json_schema`, as run calls do). Same clients, keys, base URLs,
//! timeouts and error classification as the worker's calls.

use std::time::Duration;

use serde_json::{json, Value};

use super::errors::short;
use super::http;
use super::openai::{Flavor, OutputMode};
use super::types::{Provider, ProviderError};
use super::{AnthropicClient, OpenAiClient};
use crate::model::Usage;

/// What to ask.
#[derive(Debug, Clone)]
pub struct ToolCall {
    pub model: String,
    pub temperature: f64,
    pub max_tokens: u32,
    pub system: String,
    pub user: String,
    pub name: &'static str,
    pub description: &'static str,
    /// The JSON Schema of the answer.
    pub schema: Value,
}

/// The decoded answer.
#[derive(Debug, Clone)]
pub struct ToolAnswer {
    /// The structured output; `None` with `parse_issue` saying why (prose, invalid JSON, ...).
    pub output: Option<Value>,
    pub parse_issue: Option<String>,
    pub usage: Usage,
    pub stop_reason: Option<String>,
    pub latency: Duration,
}

impl AnthropicClient {
    /// Send `call` to `POST /v1/messages` with `tool_choice: {type: "tool", name}`.
    pub async fn call_tool(&self, call: &ToolCall) -> Result<ToolAnswer, ProviderError> {
        let (key, base_url, client) = self.parts();
        let body = anthropic_body(call);
        let req = client
            .post(http::join(base_url, "/v1/messages"))
            .header("x-api-key", key)
            .header("anthropic-version", super::anthropic::API_VERSION)
            .header("content-type", "application/json")
            .json(&body);
        let answer = http::send(req, key).await?;
        let b = &answer.body;
        let content =
            b.get("content")
                .and_then(Value::as_array)
                .ok_or_else(|| ProviderError::Malformed {
                    message: "answer has no content array".into(),
                })?;
        let u = |k: &str| {
            b.pointer(&format!("/usage/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let usage = Usage {
            input_tokens: u("input_tokens"),
            output_tokens: u("output_tokens"),
            cache_write_tokens: u("cache_creation_input_tokens"),
            cache_read_tokens: u("cache_read_input_tokens"),
        };
        let tool = content.iter().find(|c| {
            c.get("type").and_then(Value::as_str) == Some("tool_use")
                && c.get("name").and_then(Value::as_str) == Some(call.name)
        });
        let (output, parse_issue) = match tool.and_then(|t| t.get("input")) {
            Some(v @ Value::Object(_)) => (Some(v.clone()), None),
            Some(other) => (
                None,
                Some(format!(
                    "tool input is not an object: {}",
                    short(&other.to_string())
                )),
            ),
            None => (None, Some(prose_issue(&text_parts(content), call.name))),
        };
        Ok(ToolAnswer {
            output,
            parse_issue,
            usage,
            stop_reason: b
                .get("stop_reason")
                .and_then(Value::as_str)
                .map(str::to_string),
            latency: answer.latency,
        })
    }
}

fn anthropic_body(call: &ToolCall) -> Value {
    let mut body = json!({
        "model": call.model,
        "max_tokens": call.max_tokens,
        "temperature": call.temperature,
        "messages": [{"role": "user", "content": call.user}],
        "tools": [{"name": call.name, "description": call.description,
                   "input_schema": call.schema}],
        "tool_choice": {"type": "tool", "name": call.name},
    });
    if !call.system.trim().is_empty() {
        body["system"] = json!(call.system);
    }
    body
}

/// Why an answer with no structured output is unusable, quoting the start of its text.
fn prose_issue(text: &str, name: &str) -> String {
    if text.trim().is_empty() {
        "no structured output (no tool call, no content)".into()
    } else {
        format!("the model answered prose, not {name}: {}", short(text))
    }
}

fn text_parts(content: &[Value]) -> String {
    let parts: Vec<&str> = content
        .iter()
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .collect();
    parts.join("\n")
}

impl OpenAiClient {
    /// Send `call` to `POST {base}/chat/completions` with a strict `json_schema` response
    /// format; a server that refuses it is asked again with a forced function tool.
    pub async fn call_tool(&self, call: &ToolCall) -> Result<ToolAnswer, ProviderError> {
        let mode = self.output_mode();
        let answer = match self.send_tool(call, mode).await {
            Err(e) if mode == OutputMode::JsonSchema && super::openai::refuses_json_schema(&e) => {
                self.set_output_mode(OutputMode::Tool);
                self.send_tool(call, OutputMode::Tool).await?
            }
            other => other?,
        };
        decode_chat(&answer, call.name)
    }

    async fn send_tool(
        &self,
        call: &ToolCall,
        mode: OutputMode,
    ) -> Result<http::Answer, ProviderError> {
        let body = openai_body(call, self.flavor(), mode);
        let req = self
            .authorized(
                self.http()
                    .post(http::join(Provider::base_url(self), "/chat/completions")),
            )
            .json(&body);
        http::send(req, self.key()).await
    }
}

fn openai_body(call: &ToolCall, flavor: Flavor, mode: OutputMode) -> Value {
    let mut messages = Vec::new();
    if !call.system.trim().is_empty() {
        messages.push(json!({"role": "system", "content": call.system}));
    }
    messages.push(json!({"role": "user", "content": call.user}));
    let max_key = if flavor == Flavor::OpenAi {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    let mut body = json!({"model": call.model, "messages": messages, max_key: call.max_tokens});
    if super::openai::takes_temperature(&call.model) {
        body["temperature"] = json!(call.temperature);
    }
    match mode {
        OutputMode::JsonSchema => {
            body["response_format"] = json!({"type": "json_schema", "json_schema": {
                "name": call.name, "description": call.description,
                "schema": super::prompt::strict_schema(&call.schema), "strict": true}});
        }
        OutputMode::Tool => {
            body["tools"] = json!([{"type": "function", "function": {
                "name": call.name, "description": call.description, "parameters": call.schema}}]);
            body["tool_choice"] = json!({"type": "function", "function": {"name": call.name}});
        }
    }
    body
}

fn decode_chat(answer: &http::Answer, name: &str) -> Result<ToolAnswer, ProviderError> {
    let b = &answer.body;
    let choice = b
        .pointer("/choices/0")
        .ok_or_else(|| ProviderError::Malformed {
            message: "answer has no choices".into(),
        })?;
    let n = |p: &str| b.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let cached = n("/usage/prompt_tokens_details/cached_tokens");
    let usage = Usage {
        input_tokens: n("/usage/prompt_tokens").saturating_sub(cached),
        output_tokens: n("/usage/completion_tokens"),
        cache_write_tokens: 0,
        cache_read_tokens: cached,
    };
    let message = &choice["message"];
    let tool_args = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.pointer("/function/name").and_then(Value::as_str) == Some(name))
        })
        .and_then(|c| c.pointer("/function/arguments"))
        .and_then(Value::as_str);
    let content = message.get("content").and_then(Value::as_str).unwrap_or("");
    let text = tool_args.unwrap_or(content);
    let (output, parse_issue) = match serde_json::from_str::<Value>(strip_fences(text)) {
        Ok(v @ Value::Object(_)) => (Some(v), None),
        Ok(_) | Err(_) if text.trim().is_empty() => (None, Some(prose_issue("", name))),
        Ok(other) => (
            None,
            Some(format!(
                "the answer is JSON but not an object: {}",
                short(&other.to_string())
            )),
        ),
        Err(e) if text.trim_start().starts_with(['{', '[']) => (
            None,
            Some(format!(
                "the answer is not valid JSON ({e}): {}",
                short(text)
            )),
        ),
        Err(_) => (None, Some(prose_issue(text, name))),
    };
    Ok(ToolAnswer {
        output,
        parse_issue,
        usage,
        stop_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        latency: answer.latency,
    })
}

fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    match t.strip_prefix("```") {
        Some(rest) => {
            let rest = rest.strip_prefix("json").unwrap_or(rest);
            rest.strip_suffix("```").unwrap_or(rest).trim()
        }
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> ToolCall {
        ToolCall {
            model: "m".into(),
            temperature: 0.2,
            max_tokens: 100,
            system: "sys".into(),
            user: "hi".into(),
            name: "propose_schema",
            description: "d",
            schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        }
    }

    #[test]
    fn bodies_force_the_named_tool_or_a_strict_schema() {
        let a = anthropic_body(&call());
        assert_eq!(
            a["tool_choice"],
            json!({"type": "tool", "name": "propose_schema"})
        );
        assert_eq!(
            a["tools"][0]["input_schema"]["properties"]["a"]["type"],
            "string"
        );
        let o = openai_body(&call(), Flavor::Custom, OutputMode::JsonSchema);
        assert_eq!(o["response_format"]["type"], "json_schema");
        assert_eq!(o["response_format"]["json_schema"]["strict"], true);
        let s = &o["response_format"]["json_schema"]["schema"];
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["a"]));
        assert_eq!(o["max_tokens"], 100);
        let t = openai_body(&call(), Flavor::OpenAi, OutputMode::Tool);
        assert_eq!(t["tool_choice"]["function"]["name"], "propose_schema");
        assert_eq!(t["max_completion_tokens"], 100);
    }
}
