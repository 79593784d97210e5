//! What a self-hosted OpenAI-compatible server says about itself, where it says it:
//! llama.cpp `GET /props` (context per slot, slots), vLLM `GET /v1/models` (`max_model_len`),
//! Ollama `POST /api/show` (context length). Best effort: a server that answers none of them
//! (or a hosted API) simply reports nothing, and the run's policy values stand.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::http;
use super::openai::OpenAiClient;
use super::types::Provider;

/// Each discovery request gets this long: a server that is slow to describe itself is treated
/// as one that does not.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which server software answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    LlamaCpp,
    Vllm,
    Ollama,
}

impl ServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::LlamaCpp => "llama.cpp",
            ServerKind::Vllm => "vLLM",
            ServerKind::Ollama => "Ollama",
        }
    }
}

/// The limits a server reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLimits {
    pub kind: ServerKind,
    /// Context window of one request in tokens (llama.cpp: per slot).
    pub context_tokens: Option<u32>,
    /// Requests the server works on at once (llama.cpp slots); more wait in its queue.
    pub slots: Option<u32>,
    /// The model the server serves, when it names exactly one.
    pub model: Option<String>,
}

impl ServerLimits {
    /// One line for people, e.g. `llama.cpp: context 4096 tokens per request, 1 slot`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.context_tokens {
            parts.push(format!("context {c} tokens per request"));
        }
        if let Some(s) = self.slots {
            parts.push(format!("{s} slot{}", if s == 1 { "" } else { "s" }));
        }
        if let Some(m) = &self.model {
            parts.push(format!("model {m}"));
        }
        if parts.is_empty() {
            parts.push("no limits reported".into());
        }
        format!("{}: {}", self.kind.as_str(), parts.join(", "))
    }
}

/// `base` without a trailing `/v1` (llama.cpp's `/props` and Ollama's `/api/show` live at the
/// server root, beside the OpenAI-compatible `/v1`).
fn server_root(base: &str) -> &str {
    let b = base.trim_end_matches('/');
    b.strip_suffix("/v1").unwrap_or(b)
}

/// A model name as a server gave it, made safe to print: no control characters (a hostile
/// server could move the cursor or recolour a terminal), at most 200 characters.
fn printable_name(name: &str) -> Option<String> {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    (!clean.trim().is_empty()).then_some(clean)
}

fn positive_u32(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
}

/// llama.cpp `/props`: `default_generation_settings.n_ctx` is already the context of one slot.
pub fn from_llama_props(body: &Value) -> Option<ServerLimits> {
    let n_ctx = positive_u32(body.pointer("/default_generation_settings/n_ctx"));
    let slots = positive_u32(body.get("total_slots"));
    if n_ctx.is_none() && slots.is_none() {
        return None;
    }
    let model = body
        .get("model_alias")
        .or_else(|| body.get("model_path"))
        .and_then(Value::as_str)
        .and_then(printable_name);
    Some(ServerLimits {
        kind: ServerKind::LlamaCpp,
        context_tokens: n_ctx,
        slots,
        model,
    })
}

/// vLLM `/v1/models`: each model carries `max_model_len`. `model` picks the entry when several.
pub fn from_vllm_models(body: &Value, model: Option<&str>) -> Option<ServerLimits> {
    let data = body.get("data")?.as_array()?;
    let entry = match model {
        Some(m) => data
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(m)),
        None => None,
    }
    .or_else(|| (data.len() == 1).then(|| &data[0]))?;
    let len = positive_u32(entry.get("max_model_len"))?;
    Some(ServerLimits {
        kind: ServerKind::Vllm,
        context_tokens: Some(len),
        slots: None,
        model: entry
            .get("id")
            .and_then(Value::as_str)
            .and_then(printable_name),
    })
}

/// Ollama `/api/show`: a `num_ctx` in the model's parameters is what it runs with; else the
/// model's own `<arch>.context_length`.
pub fn from_ollama_show(body: &Value, model: &str) -> Option<ServerLimits> {
    let num_ctx = body
        .get("parameters")
        .and_then(Value::as_str)
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut it = l.split_whitespace();
                (it.next() == Some("num_ctx"))
                    .then(|| it.next().and_then(|n| n.parse::<u32>().ok()))
                    .flatten()
            })
        });
    let trained = body
        .get("model_info")
        .and_then(Value::as_object)
        .and_then(|info| {
            info.iter()
                .find(|(k, _)| k.ends_with(".context_length"))
                .and_then(|(_, v)| positive_u32(Some(v)))
        });
    let context = num_ctx.or(trained)?;
    Some(ServerLimits {
        kind: ServerKind::Ollama,
        context_tokens: Some(context),
        slots: None,
        model: printable_name(model),
    })
}

impl OpenAiClient {
    async fn get_json(&self, url: String) -> Option<Value> {
        let req = self
            .authorized(self.http().get(url))
            .timeout(DISCOVERY_TIMEOUT);
        http::send(req, self.key()).await.ok().map(|a| a.body)
    }

    /// Ask the server what it is and how big. `model` is the run's (or key's) model, used to
    /// pick among several models; `None` when the server answers none of the known endpoints.
    pub async fn discover(&self, model: Option<&str>) -> Option<ServerLimits> {
        let root = server_root(self.base_url()).to_string();
        if let Some(limits) = self
            .get_json(format!("{root}/props"))
            .await
            .and_then(|b| from_llama_props(&b))
        {
            return Some(limits);
        }
        let models = self.get_json(http::join(self.base_url(), "/models")).await;
        if let Some(limits) = models.as_ref().and_then(|b| from_vllm_models(b, model)) {
            return Some(limits);
        }
        // Ollama needs a model name: the one asked for, else the only one it lists.
        let only = models.as_ref().and_then(|b| {
            let data = b.get("data")?.as_array()?;
            (data.len() == 1)
                .then(|| data[0].get("id")?.as_str().map(str::to_string))
                .flatten()
        });
        let name = model.map(str::to_string).or(only)?;
        let req = self
            .authorized(self.http().post(format!("{root}/api/show")))
            .timeout(DISCOVERY_TIMEOUT)
            .json(&json!({ "model": name }));
        let body = http::send(req, self.key()).await.ok()?.body;
        from_ollama_show(&body, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_servers_own_shape_is_read() {
        let llama = json!({"default_generation_settings": {"n_ctx": 4096, "params": {}},
            "total_slots": 1, "model_path": "/m/qwen2.5-0.5b.gguf"});
        let l = from_llama_props(&llama).unwrap();
        assert_eq!((l.context_tokens, l.slots), (Some(4096), Some(1)));
        assert_eq!(
            l.describe(),
            "llama.cpp: context 4096 tokens per request, 1 slot, model /m/qwen2.5-0.5b.gguf"
        );

        let vllm = json!({"object": "list", "data": [
            {"id": "a", "max_model_len": 8192}, {"id": "b", "max_model_len": 32768}]});
        assert_eq!(
            from_vllm_models(&vllm, Some("b")).unwrap().context_tokens,
            Some(32768)
        );
        assert_eq!(
            from_vllm_models(&vllm, None),
            None,
            "several models and none named"
        );
        let openai = json!({"data": [{"id": "gpt-4o", "object": "model"}]});
        assert_eq!(
            from_vllm_models(&openai, None),
            None,
            "no max_model_len: not vLLM"
        );

        let ollama = json!({"parameters": "stop \"<|im_end|>\"\nnum_ctx 8192",
            "model_info": {"qwen2.context_length": 32768}});
        assert_eq!(
            from_ollama_show(&ollama, "q").unwrap().context_tokens,
            Some(8192)
        );
        let trained = json!({"model_info": {"llama.context_length": 131072}});
        assert_eq!(
            from_ollama_show(&trained, "l").unwrap().context_tokens,
            Some(131072)
        );
        assert_eq!(from_ollama_show(&json!({}), "x"), None);

        let hostile = json!({"total_slots": 1, "model_path": "m\u{1b}[2J\u{7}x"});
        assert_eq!(
            from_llama_props(&hostile).unwrap().model.as_deref(),
            Some("m[2Jx")
        );
    }

    #[test]
    fn the_server_root_drops_v1() {
        assert_eq!(server_root("http://h:8080/v1"), "http://h:8080");
        assert_eq!(server_root("http://h:8080/v1/"), "http://h:8080");
        assert_eq!(server_root("http://h:11434"), "http://h:11434");
    }
}
