//! How one provider call ended. Stored and printed as the strings it always was (`ok`,
//! `partial`, `split`, `failed`, `error:<class>`, `cancelled`), so old stores read unchanged.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a provider call failed (the classification of SPEC §3 "Failures").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    Transient,
    RateLimited,
    OutOfCredit,
    BadKey,
    ContextOverflow,
    BadRequest,
    Malformed,
}

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum CallOutcome {
    /// Every block of the pack got a result.
    Ok,
    /// Some blocks came back, the rest return to pending.
    Partial,
    /// The pack was split in two and sent again.
    Split,
    /// A single block that cannot be answered: it uses an attempt.
    Failed,
    /// The provider call itself failed.
    Error(ErrorClass),
    /// The run was cancelled while the call was in flight: the request was aborted and its
    /// blocks returned to pending without using an attempt.
    Cancelled,
    /// Recorded before the request was sent; not finished yet.
    Started,
    /// Shown for a `started` call whose worker is still alive (never stored).
    InFlight,
    /// A `started` call whose worker died: counted in usage at its cost's upper bound.
    Lost,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::Transient,
        ErrorClass::RateLimited,
        ErrorClass::OutOfCredit,
        ErrorClass::BadKey,
        ErrorClass::ContextOverflow,
        ErrorClass::BadRequest,
        ErrorClass::Malformed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::OutOfCredit => "out_of_credit",
            ErrorClass::BadKey => "bad_key",
            ErrorClass::ContextOverflow => "context_overflow",
            ErrorClass::BadRequest => "bad_request",
            ErrorClass::Malformed => "malformed",
        }
    }
}

impl CallOutcome {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Partial => "partial",
            CallOutcome::Split => "split",
            CallOutcome::Failed => "failed",
            CallOutcome::Cancelled => "cancelled",
            CallOutcome::Started => "started",
            CallOutcome::InFlight => "in_flight",
            CallOutcome::Lost => "lost",
            CallOutcome::Error(c) => match c {
                ErrorClass::Transient => "error:transient",
                ErrorClass::RateLimited => "error:rate_limited",
                ErrorClass::OutOfCredit => "error:out_of_credit",
                ErrorClass::BadKey => "error:bad_key",
                ErrorClass::ContextOverflow => "error:context_overflow",
                ErrorClass::BadRequest => "error:bad_request",
                ErrorClass::Malformed => "error:malformed",
            },
        }
    }

    /// The call failed at the provider.
    pub fn is_error(self) -> bool {
        matches!(self, CallOutcome::Error(_))
    }

    /// The call failed: at the provider, or its single block got no usable answer (counts in
    /// `failed_calls`; a `failed` call is as failed as an `error:` one to whoever pays for it).
    pub fn is_failure(self) -> bool {
        matches!(self, CallOutcome::Error(_) | CallOutcome::Failed)
    }

    pub fn parse(s: &str) -> Option<CallOutcome> {
        match s {
            "ok" => Some(CallOutcome::Ok),
            "partial" => Some(CallOutcome::Partial),
            "split" => Some(CallOutcome::Split),
            "failed" => Some(CallOutcome::Failed),
            "cancelled" => Some(CallOutcome::Cancelled),
            "started" => Some(CallOutcome::Started),
            "in_flight" => Some(CallOutcome::InFlight),
            "lost" => Some(CallOutcome::Lost),
            _ => {
                let class = s.strip_prefix("error:")?;
                ErrorClass::ALL
                    .into_iter()
                    .find(|c| c.as_str() == class)
                    .map(CallOutcome::Error)
            }
        }
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<CallOutcome> for String {
    fn from(o: CallOutcome) -> String {
        o.as_str().to_string()
    }
}

impl TryFrom<String> for CallOutcome {
    type Error = String;

    fn try_from(s: String) -> Result<CallOutcome, String> {
        CallOutcome::parse(&s).ok_or_else(|| format!("unknown call outcome '{s}'"))
    }
}

/// Compare with the stored string form (`outcome == "split"`).
impl PartialEq<&str> for CallOutcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_keeps_its_stored_string() {
        let mut all = vec![
            CallOutcome::Ok,
            CallOutcome::Partial,
            CallOutcome::Split,
            CallOutcome::Failed,
            CallOutcome::Cancelled,
            CallOutcome::Started,
            CallOutcome::InFlight,
            CallOutcome::Lost,
        ];
        all.extend(ErrorClass::ALL.map(CallOutcome::Error));
        for o in all {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<CallOutcome>(&json).unwrap(), o);
        }
        assert_eq!(
            CallOutcome::parse("error:rate_limited"),
            Some(CallOutcome::Error(ErrorClass::RateLimited))
        );
        assert!(serde_json::from_str::<CallOutcome>("\"error:nope\"").is_err());
        assert!(CallOutcome::Error(ErrorClass::Transient).is_error());
        assert!(!CallOutcome::Split.is_error());
    }
}
