//! An agency's incident natures: the codes the new-incident form offers, each with a label
//! and a default priority. An agency that has not edited them has the common list.

use crate::db;
use tenfour_protocol::admin::Nature;
use tenfour_protocol::natures::NATURES;

/// The agency's incident natures; an agency that has none yet gets the common list.
pub async fn list(conn: &mut db::Conn, agency_id: i64) -> Result<Vec<Nature>, sqlx::Error> {
    let rows = db::rows!(
        conn,
        fetch_all,
        (String, String, i64),
        // In the order they were first saved (PostgreSQL's table has a `rowid` column too).
        "SELECT code, text, default_priority FROM natures WHERE agency_id = $1 ORDER BY rowid",
        agency_id
    )?;
    if rows.is_empty() {
        return Ok(NATURES
            .iter()
            .map(|(code, label)| Nature {
                code: (*code).to_owned(),
                label: (*label).to_owned(),
                default_priority: 3,
            })
            .collect());
    }
    Ok(rows
        .into_iter()
        .map(|(code, label, priority)| Nature {
            code,
            label,
            default_priority: priority.clamp(1, 5) as u8,
        })
        .collect())
}

/// The label of `code` among the agency's natures.
pub async fn label(
    conn: &mut db::Conn,
    agency_id: i64,
    code: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(list(conn, agency_id)
        .await?
        .into_iter()
        .find(|n| n.code == code)
        .map(|n| n.label))
}
