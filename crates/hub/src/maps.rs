//! Map packs: one PMTiles archive (vector tiles) per agency, which devices download whole and
//! draw from offline. The hub is started with a pack for every agency (`--map FILE`); an
//! administrator may upload the agency's own, kept beside the database as
//! `maps/agency-ID.pmtiles`, which then wins.
//!
//! The hub reads only the archive's fixed header (what area it covers, at which zooms) to
//! check that a file is a pack and to describe it; devices read the tiles themselves.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use tenfour_protocol::wire::MapPack;

/// The fixed header of a PMTiles version 3 archive.
pub const HEADER_LEN: usize = 127;

/// Where an agency's pack is found.
#[derive(Debug, Clone)]
pub struct Packs {
    /// The pack every agency without its own gets (`--map`).
    pub default: Option<PathBuf>,
    /// Uploaded packs, one file per agency.
    pub folder: PathBuf,
}

/// One agency's pack on disk, as served.
#[derive(Debug, Clone)]
pub struct Pack {
    pub path: PathBuf,
    pub info: MapPack,
}

impl Packs {
    /// Uploaded packs live in `maps/` beside the database.
    /// Uploaded packs are kept in `folder`, if given; else in `maps/` beside a SQLite
    /// database, or in `data/maps/` under the working folder with PostgreSQL.
    pub fn new(
        default: Option<PathBuf>,
        folder: Option<PathBuf>,
        database: &crate::db::Location,
    ) -> Packs {
        let folder = folder.unwrap_or_else(|| match database.file() {
            Some(file) => file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join("maps"),
            None => Path::new("data").join("maps"),
        });
        Packs { default, folder }
    }

    /// Where the agency's own pack is (or would be) stored.
    pub fn uploaded(&self, agency_id: i64) -> PathBuf {
        self.folder.join(format!("agency-{agency_id}.pmtiles"))
    }

    /// The agency's pack: its own if uploaded, else the hub's; `None` when it has neither.
    pub fn find(&self, agency_id: i64) -> std::io::Result<Option<Pack>> {
        let own = self.uploaded(agency_id);
        let path = if own.exists() {
            own
        } else {
            match &self.default {
                Some(path) => path.clone(),
                None => return Ok(None),
            }
        };
        let info = describe(&path)?;
        Ok(Some(Pack { path, info }))
    }
}

/// Reads and checks a pack's header: what the device is told before it downloads.
pub fn describe(path: &Path) -> std::io::Result<MapPack> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "too short for a PMTiles archive",
        )
    })?;
    let changed = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    // Size and modification time name a version of the file: an upload (a new file renamed
    // into place) changes it, so a device resuming a download with `If-Range` starts over.
    let etag = format!("\"{:x}-{:x}\"", meta.len(), changed);
    read_header(&header, meta.len(), etag)
        .map_err(|why| std::io::Error::new(std::io::ErrorKind::InvalidData, why))
}

/// The parts of a PMTiles v3 header a device needs, or why `header` is not one.
pub fn read_header(header: &[u8], size: u64, etag: String) -> Result<MapPack, String> {
    if header.len() < HEADER_LEN || &header[..7] != b"PMTiles" {
        return Err("not a PMTiles archive (it must start with 'PMTiles')".into());
    }
    if header[7] != 3 {
        return Err(format!(
            "PMTiles version {} is not supported; convert it to version 3 (pmtiles convert)",
            header[7]
        ));
    }
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
    let i32_at = |at: usize| i32::from_le_bytes(header[at..at + 4].try_into().unwrap_or_default());
    let degrees = |at: usize| f64::from(i32_at(at)) / 10_000_000.0;
    // Tile type 1 is Mapbox Vector Tiles; the app draws vector packs only.
    if header[99] != 1 {
        return Err("this archive holds raster tiles; the app draws vector (MVT) packs".into());
    }
    let data_end = u64_at(56).saturating_add(u64_at(64));
    if data_end > size {
        return Err(format!(
            "the archive is cut short: its tiles end at byte {data_end} but the file has {size}"
        ));
    }
    let (min_zoom, max_zoom) = (header[100], header[101]);
    if min_zoom > max_zoom || max_zoom > 24 {
        return Err(format!("zoom levels {min_zoom}–{max_zoom} make no sense"));
    }
    Ok(MapPack {
        size,
        etag,
        min_zoom,
        max_zoom,
        west: degrees(102),
        south: degrees(106),
        east: degrees(110),
        north: degrees(114),
        center_zoom: header[118],
        center_longitude: degrees(119),
        center_latitude: degrees(123),
    })
}

/// A `Range` header asks for one span of the file, or the whole of it, or cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// No usable range: the whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// Starts past the end of the file: 416.
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `size` bytes: `bytes=A-B`, `bytes=A-` or `bytes=-N`
/// (the last N). Several ranges at once and other units are refused with the reason.
pub fn span(header: &str, size: u64) -> Result<Span, String> {
    let usage = "ask for one byte range, like 'Range: bytes=0-1048575', 'bytes=1048576-' or \
                 'bytes=-1024'";
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or_else(|| format!("only byte ranges are served; {usage}"))?;
    if spec.contains(',') {
        return Err(format!("one range at a time; {usage}"));
    }
    let (first, last) = spec
        .split_once('-')
        .ok_or_else(|| format!("{spec:?} is not a range; {usage}"))?;
    let number = |text: &str| {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{spec:?} is not a range; {usage}"));
        }
        text.parse::<u64>()
            .map_err(|_| format!("{spec:?} is out of range; {usage}"))
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let suffix = number(last)?;
        if suffix == 0 || size == 0 {
            return Ok(Span::Unsatisfiable);
        }
        return Ok(Span::Part {
            start: size.saturating_sub(suffix),
            end: size - 1,
        });
    }
    let start = number(first)?;
    let end = if last.is_empty() {
        u64::MAX
    } else {
        number(last)?
    };
    if end < start {
        return Err(format!("{spec:?} ends before it starts; {usage}"));
    }
    if start >= size {
        return Ok(Span::Unsatisfiable);
    }
    Ok(Span::Part {
        start,
        end: end.min(size - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_browsers_and_resuming_downloads_send_them() {
        assert_eq!(
            span("bytes=0-99", 1000),
            Ok(Span::Part { start: 0, end: 99 })
        );
        assert_eq!(
            span("bytes=900-", 1000),
            Ok(Span::Part {
                start: 900,
                end: 999
            })
        );
        assert_eq!(
            span("bytes=900-5000", 1000),
            Ok(Span::Part {
                start: 900,
                end: 999
            })
        );
        assert_eq!(
            span("bytes=-100", 1000),
            Ok(Span::Part {
                start: 900,
                end: 999
            })
        );
        assert_eq!(
            span("bytes=-5000", 1000),
            Ok(Span::Part { start: 0, end: 999 })
        );
        assert_eq!(span("bytes=1000-", 1000), Ok(Span::Unsatisfiable));
        assert_eq!(span("bytes=-0", 1000), Ok(Span::Unsatisfiable));
        for bad in [
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=abc",
            "bytes=5-1",
            "bytes=-",
            "bytes=+1-2",
            "bytes=99999999999999999999-",
        ] {
            let why = span(bad, 1000).unwrap_err();
            assert!(why.contains("bytes=0-1048575"), "{bad}: {why}");
        }
    }

    #[test]
    fn a_header_that_is_not_a_vector_pack_says_why() {
        let mut header = [0u8; HEADER_LEN];
        assert!(
            read_header(&header, 200, String::new())
                .unwrap_err()
                .contains("PMTiles")
        );
        header[..7].copy_from_slice(b"PMTiles");
        header[7] = 2;
        assert!(
            read_header(&header, 200, String::new())
                .unwrap_err()
                .contains("version 2")
        );
        header[7] = 3;
        header[99] = 2;
        assert!(
            read_header(&header, 200, String::new())
                .unwrap_err()
                .contains("raster")
        );
        header[99] = 1;
        header[101] = 14;
        // Tiles at 127..627 in a file of 200 bytes: cut short.
        header[56..64].copy_from_slice(&127u64.to_le_bytes());
        header[64..72].copy_from_slice(&500u64.to_le_bytes());
        assert!(
            read_header(&header, 200, String::new())
                .unwrap_err()
                .contains("cut short")
        );
        let pack = read_header(&header, 627, "\"x\"".into()).unwrap();
        assert_eq!((pack.min_zoom, pack.max_zoom, pack.size), (0, 14, 627));
    }
}
