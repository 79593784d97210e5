//! The wizard's data model (no UI): intent, an ordered list of fields, prompt config; conversion
//! to schema JSON and back.
//!
//! The model is lossless: every key it does not understand (or whose value is outside the
//! wizard's subset) is kept verbatim in an `extra` map and written back, so
//! `canonical(to_schema(from_schema(s))) == canonical(s)` for every JSON object `s`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::error::kind_of;
use super::prompt::{parse_map, PromptConfig};
use super::SchemaError;

/// A field's JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
}

impl FieldType {
    pub const ALL: [FieldType; 6] = [
        FieldType::String,
        FieldType::Number,
        FieldType::Integer,
        FieldType::Boolean,
        FieldType::Array,
        FieldType::Object,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Array => "array",
            FieldType::Object => "object",
        }
    }

    pub fn parse(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One named field (a property).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub spec: FieldSpec,
}

/// A field's schema within the wizard's subset, plus everything else verbatim in `extra`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSpec {
    pub field_type: Option<FieldType>,
    /// Written as `type: [T, "null"]`.
    pub nullable: bool,
    pub description: Option<String>,
    pub enum_values: Option<Vec<Value>>,
    pub default: Option<Value>,
    // string
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub format: Option<String>,
    // number / integer
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub multiple_of: Option<Number>,
    // array
    pub items: Option<Box<FieldSpec>>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    // object
    pub properties: Option<Vec<Field>>,
    pub required: Option<Vec<String>>,
    pub additional_properties: Option<bool>,
    /// `x-grounded`: the field quotes its block ("quoted from the text", SPEC §2, §4a).
    pub grounded: Option<bool>,
    /// Keys the wizard does not understand, kept verbatim.
    pub extra: Map<String, Value>,
}

/// A whole number (an integral float counts: canonical JSON agrees `3.0` is `3`).
fn whole(v: &Value) -> Option<u64> {
    let n = v.as_number()?;
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64).then_some(f as u64)
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn fields_of(v: &Value) -> Option<Vec<Field>> {
    v.as_object()?
        .iter()
        .map(|(name, p)| {
            Some(Field {
                name: name.clone(),
                spec: FieldSpec::from_map(p.as_object()?),
            })
        })
        .collect()
}

fn fields_to_value(fields: &[Field]) -> Value {
    let mut m = Map::new();
    for f in fields {
        m.insert(f.name.clone(), f.spec.to_value());
    }
    Value::Object(m)
}

impl FieldSpec {
    /// A fresh field of one type.
    pub fn new(field_type: FieldType) -> FieldSpec {
        FieldSpec {
            field_type: Some(field_type),
            ..FieldSpec::default()
        }
    }

    /// Read a property schema. Never fails: what does not fit goes to `extra`.
    pub fn from_map(map: &Map<String, Value>) -> FieldSpec {
        let mut s = FieldSpec::default();
        for (key, v) in map {
            let understood = match key.as_str() {
                "type" => match v {
                    Value::String(t) => FieldType::parse(t).map(|t| s.field_type = Some(t)),
                    Value::Array(a) if a.len() == 2 && a[1] == "null" => {
                        a[0].as_str().and_then(FieldType::parse).map(|t| {
                            s.field_type = Some(t);
                            s.nullable = true;
                        })
                    }
                    _ => None,
                },
                "description" => v.as_str().map(|d| s.description = Some(d.to_string())),
                "enum" => v.as_array().map(|a| s.enum_values = Some(a.clone())),
                "default" => {
                    s.default = Some(v.clone());
                    Some(())
                }
                "minLength" => whole(v).map(|n| s.min_length = Some(n)),
                "maxLength" => whole(v).map(|n| s.max_length = Some(n)),
                "minItems" => whole(v).map(|n| s.min_items = Some(n)),
                "maxItems" => whole(v).map(|n| s.max_items = Some(n)),
                "pattern" => v.as_str().map(|p| s.pattern = Some(p.to_string())),
                "format" => v.as_str().map(|p| s.format = Some(p.to_string())),
                "minimum" => v.as_number().map(|n| s.minimum = Some(n.clone())),
                "maximum" => v.as_number().map(|n| s.maximum = Some(n.clone())),
                "multipleOf" => v.as_number().map(|n| s.multiple_of = Some(n.clone())),
                "items" => v
                    .as_object()
                    .map(|m| s.items = Some(Box::new(FieldSpec::from_map(m)))),
                "properties" => fields_of(v).map(|f| s.properties = Some(f)),
                "required" => string_list(v).map(|r| s.required = Some(r)),
                "additionalProperties" => v.as_bool().map(|b| s.additional_properties = Some(b)),
                "x-grounded" => v.as_bool().map(|b| s.grounded = Some(b)),
                _ => None,
            };
            if understood.is_none() {
                s.extra.insert(key.clone(), v.clone());
            }
        }
        s
    }

    /// Write the property schema back (unknown keys included).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = self.extra.clone();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put(
            "type",
            self.field_type.map(|t| {
                if self.nullable {
                    serde_json::json!([t.as_str(), "null"])
                } else {
                    Value::from(t.as_str())
                }
            }),
        );
        put("description", self.description.clone().map(Value::from));
        put("enum", self.enum_values.clone().map(Value::Array));
        put("default", self.default.clone());
        put("minLength", self.min_length.map(Value::from));
        put("maxLength", self.max_length.map(Value::from));
        put("pattern", self.pattern.clone().map(Value::from));
        put("format", self.format.clone().map(Value::from));
        put("minimum", self.minimum.clone().map(Value::Number));
        put("maximum", self.maximum.clone().map(Value::Number));
        put("multipleOf", self.multiple_of.clone().map(Value::Number));
        put("items", self.items.as_ref().map(|i| i.to_value()));
        put("minItems", self.min_items.map(Value::from));
        put("maxItems", self.max_items.map(Value::from));
        put(
            "properties",
            self.properties.as_deref().map(fields_to_value),
        );
        put(
            "required",
            self.required.as_ref().map(|r| {
                Value::from(
                    r.iter()
                        .map(|s| Value::from(s.as_str()))
                        .collect::<Vec<_>>(),
                )
            }),
        );
        put(
            "additionalProperties",
            self.additional_properties.map(Value::from),
        );
        put("x-grounded", self.grounded.map(Value::from));
        m
    }

    pub fn to_value(&self) -> Value {
        Value::Object(self.to_map())
    }

    /// Why this field is outside the wizard's subset (empty: fully editable). `path` names it.
    pub fn unsupported(&self, path: &str, out: &mut Vec<String>) {
        for key in self.extra.keys() {
            out.push(format!("{path}: `{key}` is outside the wizard's subset"));
        }
        let Some(t) = self.field_type else {
            if !self.extra.contains_key("type") {
                out.push(format!("{path}: no `type`"));
            }
            return;
        };
        let mut not_for = |present: bool, kw: &str| {
            if present {
                out.push(format!(
                    "{path}: `{kw}` does not apply to type {}",
                    t.as_str()
                ));
            }
        };
        let is_str = t == FieldType::String;
        let is_num = matches!(t, FieldType::Number | FieldType::Integer);
        let is_arr = t == FieldType::Array;
        let is_obj = t == FieldType::Object;
        not_for(!is_str && self.min_length.is_some(), "minLength");
        not_for(!is_str && self.max_length.is_some(), "maxLength");
        not_for(!is_str && self.pattern.is_some(), "pattern");
        not_for(!is_str && self.format.is_some(), "format");
        not_for(!is_num && self.minimum.is_some(), "minimum");
        not_for(!is_num && self.maximum.is_some(), "maximum");
        not_for(!is_num && self.multiple_of.is_some(), "multipleOf");
        not_for(!is_arr && self.items.is_some(), "items");
        not_for(!is_arr && self.min_items.is_some(), "minItems");
        not_for(!is_arr && self.max_items.is_some(), "maxItems");
        not_for(!is_obj && self.properties.is_some(), "properties");
        not_for(!is_obj && self.required.is_some(), "required");
        not_for(
            !is_obj && self.additional_properties.is_some(),
            "additionalProperties",
        );
        if let Some(values) = &self.enum_values {
            if values.iter().any(|v| v.is_array() || v.is_object()) {
                out.push(format!("{path}: `enum` holds arrays or objects"));
            }
        }
        if let Some(items) = &self.items {
            items.unsupported(&format!("{path}.items"), out);
        }
        for f in self.properties.iter().flatten() {
            f.spec
                .unsupported(&format!("{path}.properties.{}", f.name), out);
        }
    }
}

/// Top-level keys that are metadata, not fields: kept verbatim and still wizard-editable.
const META_KEYS: [&str; 4] = ["$schema", "$id", "title", "$comment"];

/// What the wizard edits: the whole schema, losslessly.
#[derive(Debug, Clone, PartialEq)]
pub struct WizardModel {
    /// What the user wants from each block: the schema's top-level `description`.
    pub intent: Option<String>,
    /// Top-level properties, in order.
    pub fields: Vec<Field>,
    /// Top-level `required`, in order.
    pub required: Vec<String>,
    /// Top-level `additionalProperties` when it is a boolean.
    pub additional_properties: Option<bool>,
    /// The understood, valid `prompt_config` values.
    pub prompt_config: PromptConfig,
    /// `prompt_config` keys that are unknown or hold invalid values, kept verbatim.
    pub prompt_extra: Map<String, Value>,
    /// Every other top-level key (`$id`, `title`, `$defs`, ...), kept verbatim.
    pub extra: Map<String, Value>,
    /// Whether the source had these keys, so a round trip neither adds nor drops them.
    object_type: bool,
    had_properties: bool,
    had_required: bool,
    had_prompt_config: bool,
}

impl WizardModel {
    /// A fresh model: `type: object`, no fields yet.
    pub fn new(intent: impl Into<String>) -> WizardModel {
        let intent: String = intent.into();
        WizardModel {
            intent: (!intent.is_empty()).then_some(intent),
            fields: Vec::new(),
            required: Vec::new(),
            additional_properties: None,
            prompt_config: PromptConfig::default(),
            prompt_extra: Map::new(),
            extra: Map::new(),
            object_type: true,
            had_properties: true,
            had_required: false,
            had_prompt_config: false,
        }
    }

    /// Read any schema object. Rejects only non-objects.
    pub fn from_schema(schema: &Value) -> Result<WizardModel, SchemaError> {
        let Some(obj) = schema.as_object() else {
            return Err(SchemaError::NotAnObject {
                found: kind_of(schema),
            });
        };
        let mut m = WizardModel::new("");
        m.object_type = false;
        m.had_properties = false;
        for (key, v) in obj {
            let understood = match key.as_str() {
                "type" if v == "object" => {
                    m.object_type = true;
                    true
                }
                "description" if v.is_string() => {
                    m.intent = v.as_str().map(str::to_string);
                    true
                }
                "properties" => match fields_of(v) {
                    Some(f) => {
                        m.fields = f;
                        m.had_properties = true;
                        true
                    }
                    None => false,
                },
                "required" => match string_list(v) {
                    Some(r) => {
                        m.required = r;
                        m.had_required = true;
                        true
                    }
                    None => false,
                },
                "additionalProperties" if v.is_boolean() => {
                    m.additional_properties = v.as_bool();
                    true
                }
                "prompt_config" if v.is_object() => {
                    m.had_prompt_config = true;
                    m.read_prompt_config(v.as_object().into_iter().flatten());
                    true
                }
                _ => false,
            };
            if !understood {
                m.extra.insert(key.clone(), v.clone());
            }
        }
        Ok(m)
    }

    fn read_prompt_config<'a>(&mut self, entries: impl Iterator<Item = (&'a String, &'a Value)>) {
        for (k, v) in entries {
            let mut one = Map::new();
            one.insert(k.clone(), v.clone());
            let (parsed, problems) = parse_map(&one);
            let typed = parsed.to_map();
            // Typed only when it writes back to the same canonical value.
            let same = typed
                .get(k)
                .is_some_and(|t| super::canonical_json(t) == super::canonical_json(v));
            if problems.is_empty() && same {
                let c = &mut self.prompt_config;
                match k.as_str() {
                    "system_instructions" => c.system_instructions = parsed.system_instructions,
                    "per_block_prompt" => c.per_block_prompt = parsed.per_block_prompt,
                    "model" => c.model = parsed.model,
                    "temperature" => c.temperature = parsed.temperature,
                    "max_tokens_per_block" => c.max_tokens_per_block = parsed.max_tokens_per_block,
                    _ => c.max_batch_size = parsed.max_batch_size,
                }
            } else {
                self.prompt_extra.insert(k.clone(), v.clone());
            }
        }
    }

    /// The schema JSON this model describes.
    pub fn to_schema(&self) -> Value {
        let mut m = self.extra.clone();
        if self.object_type {
            m.insert("type".into(), Value::from("object"));
        }
        if let Some(i) = &self.intent {
            m.insert("description".into(), Value::from(i.as_str()));
        }
        if self.had_properties || !self.fields.is_empty() {
            m.insert("properties".into(), fields_to_value(&self.fields));
        }
        if self.had_required || !self.required.is_empty() {
            let r = self
                .required
                .iter()
                .map(|s| Value::from(s.as_str()))
                .collect();
            m.insert("required".into(), Value::Array(r));
        }
        if let Some(b) = self.additional_properties {
            m.insert("additionalProperties".into(), Value::from(b));
        }
        let mut pc = self.prompt_extra.clone();
        pc.extend(self.prompt_config.to_map());
        if self.had_prompt_config || !pc.is_empty() {
            m.insert("prompt_config".into(), Value::Object(pc));
        }
        Value::Object(m)
    }

    /// Add a field (or replace the one with the same name), keeping order.
    pub fn set_field(&mut self, name: &str, spec: FieldSpec) {
        match self.fields.iter_mut().find(|f| f.name == name) {
            Some(f) => f.spec = spec,
            None => self.fields.push(Field {
                name: name.to_string(),
                spec,
            }),
        }
    }

    /// Remove a field and its `required` entry.
    pub fn remove_field(&mut self, name: &str) {
        self.fields.retain(|f| f.name != name);
        self.required.retain(|r| r != name);
    }

    /// Mark a field required or optional.
    pub fn set_required(&mut self, name: &str, required: bool) {
        let present = self.required.iter().any(|r| r == name);
        if required && !present {
            self.required.push(name.to_string());
        } else if !required {
            self.required.retain(|r| r != name);
        }
    }

    /// Why this schema is outside the wizard's subset; empty = the wizard can edit all of it.
    pub fn unsupported(&self) -> Vec<String> {
        let mut out = Vec::new();
        for key in self.extra.keys() {
            if key == "type" {
                out.push("top level: `type` is not \"object\"".into());
            } else if !META_KEYS.contains(&key.as_str()) {
                out.push(format!("top level: `{key}` is outside the wizard's subset"));
            }
        }
        if !self.object_type && !self.extra.contains_key("type") {
            out.push("top level: no `type: \"object\"`".into());
        }
        for key in self.prompt_extra.keys() {
            out.push(format!(
                "prompt_config: `{key}` is unknown or has an invalid value"
            ));
        }
        for f in &self.fields {
            f.spec
                .unsupported(&format!("properties.{}", f.name), &mut out);
        }
        out
    }
}
