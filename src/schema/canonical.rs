//! Canonical JSON: the bytes `schema_uid` hashes (SPEC §2).
//!
//! Rules, so two machines always agree:
//! - object keys sorted recursively by their UTF-8 bytes; array order kept;
//! - compact: no whitespace, separators `,` and `:`;
//! - strings escaped as serde_json does (`"`, `\`, control characters; everything else raw
//!   UTF-8, no `\u` escapes for non-ASCII);
//! - numbers in one form: an integer that fits `i64`/`u64` prints as an integer; a float whose
//!   fractional part is zero and that fits `i64` (`1.0`, `-3.0`, `1e2`, `-0.0`) prints as that
//!   integer (`1`, `-3`, `100`, `0`); every other float prints its shortest round-trip digits
//!   in the ECMAScript / RFC 8785 (JCS) layout: plain decimals for 1e-7 <= |x| < 1e21 (`0.5`,
//!   `0.000001`, `100000000000000000000`), otherwise an exponent with an explicit sign
//!   (`1e+21`, `2.5e-7`). So `1.0` and `1` give the same uid, and so do `0.1` and
//!   `0.10000000000000001` (the same f64). The layout is written here, not borrowed from
//!   serde_json's float printer, so a dependency upgrade cannot change a uid. Parsing must be
//!   correctly rounded for this to hold across machines, hence serde_json's `float_roundtrip`
//!   feature (without it `1.56224997173851e-224` parses one ulp off and re-canonicalizes
//!   differently; the property test in `tests/schema.rs` catches that).

use serde_json::{Map, Number, Value};

/// The smallest and largest f64 values that convert to `i64` exactly: [-2^63, 2^63).
const I64_MIN_F: f64 = -9_223_372_036_854_775_808.0;
const I64_END_F: f64 = 9_223_372_036_854_775_808.0;

/// A number in its canonical form (see the module doc).
pub fn canonical_number(n: &Number) -> Number {
    if n.is_i64() || n.is_u64() {
        return n.clone();
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && (I64_MIN_F..I64_END_F).contains(&f) => {
            Number::from(f as i64)
        }
        _ => n.clone(),
    }
}

/// The value with every number in canonical form (keys are sorted when written).
pub fn canonical_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(canonical_number(n)),
        Value::Array(a) => Value::Array(a.iter().map(canonical_value).collect()),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), canonical_value(v));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Canonical JSON text of `v`.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

/// `schema_uid = sha256(canonical JSON)`, lower-case hex.
pub fn schema_uid(v: &Value) -> String {
    crate::hashing::sha256_hex(&[canonical_json(v).as_bytes()])
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's string escaping is the canonical escaping; serializing a &str cannot fail.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

fn write_number(n: &Number, out: &mut String) {
    let n = canonical_number(n);
    match n.as_f64() {
        Some(f) if !(n.is_i64() || n.is_u64()) => out.push_str(&format_float(f)),
        _ => out.push_str(&n.to_string()),
    }
}

/// RFC 8785 (ECMAScript `Number.prototype.toString`) layout of a finite f64's shortest
/// round-trip digits. (serde_json cannot hold NaN or infinities.)
fn format_float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1; // position of the decimal point relative to the digits
    let mut s = String::new();
    if f < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            // Sort explicitly: the map's own order depends on serde_json features.
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(text: &str) -> String {
        canonical_json(&serde_json::from_str::<Value>(text).unwrap())
    }

    #[test]
    fn numbers_have_one_form() {
        assert_eq!(canon("1.0"), "1");
        assert_eq!(canon("1"), "1");
        assert_eq!(canon("-3.0"), "-3");
        assert_eq!(canon("-0.0"), "0");
        assert_eq!(canon("1e2"), "100");
        assert_eq!(canon("0.5"), "0.5");
        assert_eq!(canon("0.10000000000000001"), "0.1");
        assert_eq!(canon("18446744073709551615"), "18446744073709551615");
        assert_eq!(canon("-9223372036854775808"), "-9223372036854775808");
        // Beyond i64 or fractional: RFC 8785 layout of the shortest digits.
        assert_eq!(canon("1e20"), "100000000000000000000");
        assert_eq!(canon("1e21"), "1e+21");
        assert_eq!(canon("-1.5e300"), "-1.5e+300");
        assert_eq!(canon("2.5e-7"), "2.5e-7");
        assert_eq!(canon("1e-6"), "0.000001");
        assert_eq!(canon("123.456"), "123.456");
        assert_eq!(canon("-0.001"), "-0.001");
        assert_eq!(canon("5e-324"), "5e-324");
        // Every canonical number parses back to the same value.
        for t in ["0.1", "1e21", "2.5e-7", "123.456", "1.7976931348623157e308"] {
            let back: f64 = canon(t).parse().unwrap();
            assert_eq!(back, t.parse::<f64>().unwrap());
        }
    }

    #[test]
    fn keys_sorted_recursively_arrays_kept_compact() {
        let v = json!({"b": [3, {"z": 1, "a": 2}], "a": {"y": null, "x": true}, "é": "ü\n"});
        assert_eq!(
            canonical_json(&v),
            "{\"a\":{\"x\":true,\"y\":null},\"b\":[3,{\"a\":2,\"z\":1}],\"é\":\"ü\\n\"}"
        );
    }

    #[test]
    fn canonical_value_keeps_meaning_and_fixes_numbers() {
        let v = json!({"t": 1.0, "n": [2.0, 0.25]});
        assert_eq!(canonical_value(&v), json!({"t": 1, "n": [2, 0.25]}));
        assert_eq!(schema_uid(&v), schema_uid(&canonical_value(&v)));
    }
}
