//! `keys set | list | test | remove`. The plain key is read from stdin or an environment
//! variable (never an argument, which would land in shell history) and never printed.

use std::io::{IsTerminal, Write};

use clap::{ArgGroup, Subcommand};
use serde_json::json;

use super::exit::refused;
use super::output::{one_line, print_json};
use super::{Ctx, Exit};
use crate::workspace::{KeyOptions, KeyTest, ProviderKind, StructuredSupport, Workspace};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store (or replace) a provider's key, encrypted with age. The key is read from stdin
    /// (hidden prompt on a terminal) or from --env VAR. `custom` takes --base-url and needs no
    /// key: without --stdin or --env it stores the endpoint alone.
    #[command(group(ArgGroup::new("from").args(["stdin", "env"])))]
    Set {
        /// anthropic, openai, google or custom.
        provider: String,
        /// Read the key from standard input.
        #[arg(long)]
        stdin: bool,
        /// Read the key from this environment variable.
        #[arg(long, value_name = "VAR")]
        env: Option<String>,
        /// Endpoint of an OpenAI-compatible server (custom only), e.g. http://localhost:8080/v1.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Default model for this key.
        #[arg(long, value_name = "M")]
        model: Option<String>,
        /// Default temperature for this key (a negative number is a value, then refused by
        /// the provider's bounds).
        #[arg(long, value_name = "T", allow_negative_numbers = true)]
        temperature: Option<f64>,
        /// Default max output tokens for this key.
        #[arg(long, value_name = "N")]
        max_tokens: Option<u32>,
    },
    /// List stored keys (and environment fallbacks), shown as …last4.
    List,
    /// Make the cheapest real call with the key and record whether it is valid.
    Test {
        provider: String,
        /// Model for the Anthropic test message (default: the key's model or the built-in one).
        #[arg(long, value_name = "M")]
        model: Option<String>,
    },
    /// Delete a provider's stored key.
    Remove { provider: String },
}

pub fn run(ctx: &Ctx, command: KeysCommand) -> anyhow::Result<u8> {
    match command {
        KeysCommand::Set {
            provider,
            stdin,
            env,
            base_url,
            model,
            temperature,
            max_tokens,
        } => set(
            ctx,
            &provider,
            stdin,
            env.as_deref(),
            KeyOptions {
                base_url,
                model,
                temperature,
                max_tokens,
            },
        ),
        KeysCommand::List => list(ctx),
        KeysCommand::Test { provider, model } => test(ctx, &provider, model.as_deref()),
        KeysCommand::Remove { provider } => remove(ctx, &provider),
    }
}

fn read_secret(provider: &str, stdin: bool, env: Option<&str>) -> anyhow::Result<String> {
    if let Some(var) = env {
        return match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(Exit::new(
                1,
                format!("error: environment variable {var} is not set or empty"),
            )
            .into()),
        };
    }
    let input = std::io::stdin();
    if !stdin && input.is_terminal() {
        return read_hidden(&format!("API key for {provider} (input hidden): "));
    }
    // At most KEY_MAX bytes: `--stdin < /dev/zero` cannot exhaust memory.
    let bytes = crate::workspace::read_stdin(crate::workspace::KEY_MAX)
        .map_err(|e| Exit::new(1, format!("error: cannot read the key from stdin: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Exit::new(1, "error: the key on stdin is not UTF-8 text"))?;
    Ok(text.trim().to_string())
}

/// Read a line from the terminal without echo.
fn read_hidden(prompt: &str) -> anyhow::Result<String> {
    use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let result = (|| -> anyhow::Result<String> {
        let mut s = String::new();
        loop {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => match k.code {
                    KeyCode::Enter => return Ok(s),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Err(Exit::new(130, "interrupted").into())
                    }
                    KeyCode::Esc => return Err(Exit::new(1, "cancelled").into()),
                    KeyCode::Backspace => {
                        s.pop();
                    }
                    KeyCode::Char(c) => s.push(c),
                    _ => {}
                },
                Event::Paste(p) => s.push_str(&p),
                _ => {}
            }
        }
    })();
    let _ = crossterm::terminal::disable_raw_mode();
    errln!();
    result
}

/// After storing a custom endpoint: what the server says about itself, when it is up.
fn show_server(ws: &Workspace, provider: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(ws.discover_server(provider)) {
        Some(s) => outln!(
            "  server    {} (source: server)",
            one_line(&s.describe(), 200)
        ),
        None => outln!(
            "  the server did not describe its context or slots (not reachable now, or not \
             llama.cpp / vLLM / Ollama): the run's policy values will be used"
        ),
    }
    Ok(())
}

fn set(
    ctx: &Ctx,
    provider: &str,
    stdin: bool,
    env: Option<&str>,
    options: KeyOptions,
) -> anyhow::Result<u8> {
    // Check the provider before asking for a secret.
    Workspace::check_keyed_provider(provider).map_err(refused)?;
    // A local server usually needs no key: `keys set custom --base-url URL` is enough.
    let keyless = ProviderKind::is_custom_name(provider) && !stdin && env.is_none();
    let secret = if keyless {
        None
    } else {
        Some(read_secret(provider, stdin, env)?)
    };
    let ws = ctx.open()?;
    let (summary, how) = ws
        .set_key(provider, secret.as_deref(), options)
        .map_err(refused)?;
    if ctx.json {
        print_json(&summary)?;
    } else if !ctx.quiet && keyless {
        outln!(
            "Stored the custom endpoint {} with no key (pass --stdin or --env VAR if the server \
             wants one). Check it with `blockwise keys test custom`.",
            one_line(summary.base_url.as_deref().unwrap_or_default(), 200)
        );
        show_server(&ws, provider)?;
    } else if !ctx.quiet {
        outln!(
            "Stored the {provider} key {} (encrypted {how}). Check it with `blockwise keys test {provider}`.",
            summary.key
        );
        if ProviderKind::is_custom_name(provider) {
            show_server(&ws, provider)?;
        }
    }
    Ok(0)
}

fn list(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let keys = ws.list_keys().map_err(refused)?;
    if ctx.json {
        print_json(&keys)?;
        return Ok(0);
    }
    if keys.is_empty() {
        if !ctx.quiet {
            outln!(
                "No keys. Store one with `blockwise keys set anthropic` (reads the key from stdin), \
                 or set ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY. \
                 The demo provider needs no key."
            );
        }
        return Ok(0);
    }
    outln!(
        "{:<10} {:<8} {:<26} {:<8} {:<22} {:<6} {:<7} BASE_URL",
        "PROVIDER",
        "KEY",
        "SOURCE",
        "VALID",
        "MODEL",
        "TEMP",
        "MAX_TOK"
    );
    for k in keys {
        let valid = match k.is_valid {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "untested",
        };
        outln!(
            "{:<10} {:<8} {:<26} {:<8} {:<22} {:<6} {:<7} {}",
            k.provider,
            k.key,
            k.source,
            valid,
            k.model.as_deref().unwrap_or("-"),
            k.temperature.map_or("-".into(), |t| t.to_string()),
            k.max_tokens.map_or("-".into(), |t| t.to_string()),
            k.base_url.as_deref().unwrap_or("-"),
        );
    }
    Ok(0)
}

fn test(ctx: &Ctx, provider: &str, model: Option<&str>) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let KeyTest {
        key_shown,
        verdict,
        recorded,
        detail,
        structured,
        server,
    } = runtime
        .block_on(ws.test_key(provider, model))
        .map_err(|e| Exit::new(1, format!("error: {e}")))?;
    // A server that cannot give structured output cannot run a schema: say so in the exit code.
    let usable = verdict == Some(true) && structured != Some(StructuredSupport::Neither);
    if ctx.json {
        print_json(&json!({
            "provider": provider,
            "key": key_shown,
            "valid": verdict,
            "recorded": recorded,
            "error": detail,
            "structured_output": structured,
            "server": server,
        }))?;
        return Ok(u8::from(!usable));
    }
    if !ctx.quiet || verdict != Some(true) {
        match verdict {
            Some(true) => outln!(
                "{provider} key {key_shown}: valid{}",
                detail.map(|d| format!(" ({d})")).unwrap_or_default()
            ),
            Some(false) => outln!(
                "{provider} key {key_shown}: REJECTED: {}",
                detail.unwrap_or_default()
            ),
            None => outln!(
                "{provider} key {key_shown}: could not be checked: {}",
                detail.unwrap_or_default()
            ),
        }
    }
    if !ctx.quiet {
        if let Some(s) = &server {
            outln!(
                "  server    {} (source: server)",
                one_line(&s.describe(), 200)
            );
        }
        if let Some(s) = structured {
            outln!("  structured output: {}", s.describe());
        }
    }
    Ok(u8::from(!usable))
}

fn remove(ctx: &Ctx, provider: &str) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let removed = ws.remove_key(provider).map_err(refused)?;
    if ctx.json {
        print_json(&json!({"provider": provider, "removed": removed}))?;
    } else if !ctx.quiet || !removed {
        if removed {
            outln!("Removed the stored {provider} key.");
        } else {
            outln!("No stored {provider} key.");
        }
    }
    Ok(if removed { 0 } else { 1 })
}
