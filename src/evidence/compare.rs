//! Agreement of two runs field by field (SPEC §4a "Comparison" and "Gold"): blocks compared,
//! exact agreement (canonical JSON equal), normalized agreement (strings folded as grounding
//! folds them, numbers equal to 1e-9 relative), Cohen's κ for enum and boolean fields, and the
//! blocks with a material (not normalized-equal) difference. Pure: values are fed in block
//! order, one block at a time, so a comparison never holds a run in memory.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::normalize::fold_plain;

/// Differences kept with both values, per field, for people to read.
pub const SHOWN_DIFFERENCES: usize = 10;

/// One field's tally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldTally {
    pub field: String,
    /// An enum or boolean field: κ is computed.
    pub categorical: bool,
    pub compared: u64,
    pub exact: u64,
    pub normalized: u64,
    /// Blocks where only B (only A) has a value for the field.
    pub only_b: u64,
    pub only_a: u64,
    /// `(document position, block index)` of every material difference, in block order.
    pub differing: Vec<(u32, u32)>,
    /// The first few differences with both values.
    pub shown: Vec<Difference>,
    #[serde(skip)]
    pairs: BTreeMap<(String, String), u64>,
}

/// One material difference with both values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub doc: u32,
    pub block_index: u32,
    pub a: Value,
    pub b: Value,
}

impl FieldTally {
    pub fn new(field: &str, categorical: bool) -> FieldTally {
        FieldTally {
            field: field.to_string(),
            categorical,
            compared: 0,
            exact: 0,
            normalized: 0,
            only_b: 0,
            only_a: 0,
            differing: Vec::new(),
            shown: Vec::new(),
            pairs: BTreeMap::new(),
        }
    }

    /// Count one block: `a` and `b` are the two runs' values of this field (`None`: absent).
    pub fn add(&mut self, doc: u32, block_index: u32, a: Option<&Value>, b: Option<&Value>) {
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (Some(_), None) => return self.only_a += 1,
            (None, Some(_)) => return self.only_b += 1,
            (None, None) => return,
        };
        self.compared += 1;
        if a == b {
            self.exact += 1;
        }
        if normalized_eq(a, b) {
            self.normalized += 1;
        } else {
            self.differing.push((doc, block_index));
            if self.shown.len() < SHOWN_DIFFERENCES {
                self.shown.push(Difference {
                    doc,
                    block_index,
                    a: a.clone(),
                    b: b.clone(),
                });
            }
        }
        if self.categorical {
            *self
                .pairs
                .entry((a.to_string(), b.to_string()))
                .or_default() += 1;
        }
    }

    pub fn exact_rate(&self) -> Option<f64> {
        rate(self.exact, self.compared)
    }

    pub fn normalized_rate(&self) -> Option<f64> {
        rate(self.normalized, self.compared)
    }

    /// Cohen's κ over the compared blocks (categorical fields only): `(po − pe) / (1 − pe)`;
    /// 1 when both runs agree on every block, even if they always gave the same category.
    pub fn kappa(&self) -> Option<f64> {
        if !self.categorical || self.compared == 0 {
            return None;
        }
        let n = self.compared as f64;
        let (mut agree, mut in_a, mut in_b) = (0u64, BTreeMap::new(), BTreeMap::new());
        for ((a, b), count) in &self.pairs {
            if a == b {
                agree += count;
            }
            *in_a.entry(a.as_str()).or_insert(0u64) += count;
            *in_b.entry(b.as_str()).or_insert(0u64) += count;
        }
        let po = agree as f64 / n;
        let pe: f64 = in_a
            .iter()
            .map(|(k, ca)| *ca as f64 / n * (*in_b.get(k).unwrap_or(&0) as f64 / n))
            .sum();
        if (1.0 - pe).abs() < 1e-12 {
            return Some(if agree == self.compared { 1.0 } else { 0.0 });
        }
        Some((po - pe) / (1.0 - pe))
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Equal once strings are folded (case, whitespace, quotes, dashes) and numbers are compared
/// to 1e-9 relative; arrays item by item, objects key by key.
pub fn normalized_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y || fold_plain(x) == fold_plain(y),
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| normalized_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| normalized_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a field's schema makes it categorical: an `enum`, or a boolean.
pub fn is_categorical(field_schema: &Value) -> bool {
    if field_schema.get("enum").is_some_and(Value::is_array) {
        return true;
    }
    match field_schema.get("type") {
        Some(Value::String(t)) => t == "boolean",
        Some(Value::Array(ts)) => {
            let real: Vec<&Value> = ts.iter().filter(|t| *t != "null").collect();
            real.len() == 1 && real[0] == "boolean"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalized_equality_folds_strings_and_numbers() {
        assert!(normalized_eq(
            &json!("Time \u{2014} Tide"),
            &json!("time - tide")
        ));
        assert!(normalized_eq(&json!(0.1 + 0.2), &json!(0.3)));
        assert!(!normalized_eq(&json!(1.0), &json!(1.001)));
        assert!(normalized_eq(
            &json!({"a": ["X"], "b": 1}),
            &json!({"b": 1, "a": ["x"]})
        ));
        assert!(!normalized_eq(&json!(["a"]), &json!(["a", "b"])));
    }

    #[test]
    fn kappa_is_one_on_self_agreement_and_matches_a_worked_example() {
        let mut same = FieldTally::new("label", true);
        for (i, v) in ["x", "y", "x", "z"].iter().enumerate() {
            same.add(0, i as u32, Some(&json!(v)), Some(&json!(v)));
        }
        assert_eq!(same.kappa(), Some(1.0));
        assert_eq!(same.exact_rate(), Some(1.0));
        assert!(same.differing.is_empty());
        // The textbook 2×2 example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → κ = 0.4.
        let mut t = FieldTally::new("ok", true);
        let mut i = 0;
        for (a, b, n) in [
            (true, true, 20),
            (true, false, 5),
            (false, true, 10),
            (false, false, 15),
        ] {
            for _ in 0..n {
                t.add(0, i, Some(&json!(a)), Some(&json!(b)));
                i += 1;
            }
        }
        assert!((t.kappa().unwrap() - 0.4).abs() < 1e-12, "{:?}", t.kappa());
        assert_eq!(t.differing.len(), 15);
        assert_eq!(t.shown.len(), SHOWN_DIFFERENCES);
    }

    #[test]
    fn a_value_on_one_side_only_is_counted_apart() {
        let mut t = FieldTally::new("q", false);
        t.add(0, 0, Some(&json!("a")), None);
        t.add(0, 1, None, Some(&json!("a")));
        t.add(0, 2, None, None);
        assert_eq!((t.compared, t.only_a, t.only_b), (0, 1, 1));
        assert_eq!(t.exact_rate(), None);
        assert_eq!(t.kappa(), None, "not categorical");
    }

    #[test]
    fn categorical_fields_are_enums_and_booleans() {
        assert!(is_categorical(&json!({"enum": ["a", "b"]})));
        assert!(is_categorical(&json!({"type": "boolean"})));
        assert!(is_categorical(&json!({"type": ["boolean", "null"]})));
        assert!(!is_categorical(&json!({"type": "string"})));
    }
}
