//! RFC 9457 problem details: the one shape of every API error.

use serde::{Deserialize, Serialize};

/// Media type of every error body the hub sends.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error as a person reads it: `title` names the kind of problem, `detail` says what
/// to do about this occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the problem kind; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(kind: &str, status: u16, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://tenfour.invalid/problems/{kind}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
        }
    }
}
