//! An agency's incident natures: the codes the new-incident form offers, each with a label
//! and a default priority. An agency that has not edited them has the common list.

use sqlx::SqliteConnection;
use tenfour_protocol::admin::Nature;
use tenfour_protocol::natures::NATURES;

/// The agency's incident natures; an agency that has none yet gets the common list.
pub async fn list(conn: &mut SqliteConnection, agency_id: i64) -> Result<Vec<Nature>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT code, text, default_priority FROM natures WHERE agency_id = ? ORDER BY rowid",
        agency_id
    )
    .fetch_all(conn)
    .await?;
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
        .map(|row| Nature {
            code: row.code,
            label: row.text,
            default_priority: row.default_priority.clamp(1, 5) as u8,
        })
        .collect())
}

/// The label of `code` among the agency's natures.
pub async fn label(
    conn: &mut SqliteConnection,
    agency_id: i64,
    code: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(list(conn, agency_id)
        .await?
        .into_iter()
        .find(|n| n.code == code)
        .map(|n| n.label))
}
