//! `/api/map`: the agency's map pack. `GET /api/map` describes it; `GET /api/map/pack` serves
//! the archive in byte ranges (devices download it in pieces and resume where they stopped);
//! `PUT /api/admin/map` lets an administrator replace it with the agency's own.

use super::client::ClientAddress;
use super::{AppState, Caller, Error};
use crate::maps::{self, Span};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use tenfour_protocol::wire::MapPack;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// The media type of a PMTiles archive. Responses of this type are never compressed on the
/// way out: the tiles inside already are, and byte ranges must count the file's own bytes.
pub const PMTILES: &str = "application/vnd.pmtiles";

/// Largest pack an administrator may upload: a city's streets are tens of megabytes, a
/// region's a few hundred.
pub const MAX_PACK_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/map", get(describe))
        .route("/map/pack", get(pack))
        .route(
            "/admin/map",
            put(upload)
                .delete(remove)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

fn no_pack() -> Error {
    Error::NotFound(
        "your agency has no map pack yet; an administrator can upload one (PUT /api/admin/map \
         with a PMTiles archive)"
            .into(),
    )
}

fn find(state: &AppState, agency_id: i64) -> Result<maps::Pack, Error> {
    state
        .maps
        .find(agency_id)
        .map_err(|e| Error::Internal(format!("map pack: {e}")))?
        .ok_or_else(no_pack)
}

async fn describe(State(state): State<AppState>, caller: Caller) -> Result<Json<MapPack>, Error> {
    Ok(Json(find(&state, caller.agency_id)?.info))
}

/// The archive, whole or one byte range of it. `If-Range` with an older version's ETag gets
/// the whole new file (200), so a resumed download never mixes two versions.
async fn pack(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let pack = find(&state, caller.agency_id)?;
    let size = pack.info.size;
    let range = headers
        .get(header::RANGE)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let same_version = headers
        .get(header::IF_RANGE)
        .is_none_or(|tag| tag.as_bytes() == pack.info.etag.as_bytes());
    // A malformed range is refused whatever else was sent; a well-formed one for another
    // version of the pack gets the whole of this one.
    let span = match range {
        Some(range) => maps::span(range, size).map_err(|why| Error::Rejected {
            status: StatusCode::BAD_REQUEST,
            detail: why,
        })?,
        None => Span::Whole,
    };
    let span = if same_version { span } else { Span::Whole };
    let (status, start, len) = match span {
        Span::Whole => (StatusCode::OK, 0, size),
        Span::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Span::Unsatisfiable => return Err(Error::RangeNotSatisfiable { size }),
    };
    let mut response = if method == Method::HEAD {
        Body::empty().into_response()
    } else {
        let mut file = tokio::fs::File::open(&pack.path)
            .await
            .map_err(|e| Error::Internal(format!("map pack: {e}")))?;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| Error::Internal(format!("map pack: {e}")))?;
        Body::from_stream(tokio_util::io::ReaderStream::new(file.take(len))).into_response()
    };
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(PMTILES));
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(etag) = HeaderValue::from_str(&pack.info.etag) {
        out.insert(header::ETAG, etag);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{size}", start + len - 1);
        if let Ok(range) = HeaderValue::from_str(&range) {
            out.insert(header::CONTENT_RANGE, range);
        }
    }
    Ok(response)
}

/// An administrator replaces the agency's pack: the body is the archive. It is written beside
/// the current one and renamed into place only once whole and checked, so devices never see
/// half a pack; their next look at `GET /api/map` finds the new version.
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    request: Request,
) -> Result<Json<MapPack>, Error> {
    use tokio_stream::StreamExt;
    caller.require_admin()?;
    let io = |e: std::io::Error| Error::Internal(format!("map upload: {e}"));
    let target = state.maps.uploaded(caller.agency_id);
    tokio::fs::create_dir_all(&state.maps.folder)
        .await
        .map_err(io)?;
    let partial = target.with_extension(format!(
        "upload-{:016x}",
        rand_core::RngCore::next_u64(&mut rand_core::OsRng)
    ));
    let written = async {
        let mut file = tokio::fs::File::create(&partial).await.map_err(io)?;
        let mut stream = request.into_body().into_data_stream();
        let mut total: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::Rejected {
                status: StatusCode::BAD_REQUEST,
                detail: format!("the upload broke off ({e}); send the whole file again"),
            })?;
            total += chunk.len() as u64;
            if total > MAX_PACK_BYTES {
                return Err(Error::Rejected {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    detail: format!(
                        "a map pack may be at most {} MB; cut it to the agency's area \
                         (pmtiles extract --bbox)",
                        MAX_PACK_BYTES / 1024 / 1024
                    ),
                });
            }
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.sync_all().await.map_err(io)?;
        drop(file);
        maps::describe(&partial).map_err(|e| {
            Error::Unprocessable(format!(
                "this is not a map pack the app can use: {e}; upload a PMTiles (version 3) \
                 archive of vector tiles"
            ))
        })
    }
    .await;
    if let Err(err) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(err);
    }
    tokio::fs::rename(&partial, &target).await.map_err(io)?;
    let pack = find(&state, caller.agency_id)?;
    let mut conn = state.db.writer.acquire().await?;
    crate::audit::record(
        &mut conn,
        &caller.author(address),
        "map_uploaded",
        "map pack",
        &format!(
            "{} bytes, zoom {}–{}",
            pack.info.size, pack.info.min_zoom, pack.info.max_zoom
        ),
    )
    .await?;
    Ok(Json(pack.info))
}

/// An administrator removes the agency's own pack; the hub's (if it has one) applies again.
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
) -> Result<StatusCode, Error> {
    caller.require_admin()?;
    match tokio::fs::remove_file(state.maps.uploaded(caller.agency_id)).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(
                "your agency has not uploaded a map pack of its own".into(),
            ));
        }
        Err(e) => return Err(Error::Internal(format!("map pack: {e}"))),
    }
    let mut conn = state.db.writer.acquire().await?;
    crate::audit::record(
        &mut conn,
        &caller.author(address),
        "map_removed",
        "map pack",
        "",
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
