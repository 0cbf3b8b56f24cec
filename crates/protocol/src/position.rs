//! When a device sends where it is: often enough that dispatch can follow a responder in
//! trouble, seldom enough that positions never crowd the outbox.

use crate::status::StatusCode;
use crate::wire::{Location, Millis, Unit};

/// The mean radius of the Earth, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A new position is sent at the latest this long after the last one, moving or not, unless
/// the agency chose another interval (its safety settings)...
pub use crate::wire::DEFAULT_POSITION_INTERVAL_S as DEFAULT_INTERVAL_S;
/// ...and at once when the device has moved this far since the last one sent.
pub const MOVED_M: f64 = 50.0;
/// The intervals an agency may choose: often enough to follow a crew in trouble, seldom
/// enough for a rural agency whose crews pay for every byte.
pub const INTERVAL_RANGE_S: std::ops::RangeInclusive<u32> = 10..=120;

/// Whether an agency may send positions at this interval, and if not, what to choose.
pub fn check_interval(seconds: u32) -> Result<(), String> {
    match INTERVAL_RANGE_S.contains(&seconds) {
        true => Ok(()),
        false => Err(format!(
            "position_interval_s: choose between {} and {} seconds, not {seconds}",
            INTERVAL_RANGE_S.start(),
            INTERVAL_RANGE_S.end()
        )),
    }
}

/// The great-circle distance between two positions, in metres (haversine: well within a
/// metre at the distances a responder covers).
pub fn distance_m(a: &Location, b: &Location) -> f64 {
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The initial compass bearing from `a` to `b`, in degrees clockwise from north (0–360).
pub fn bearing_deg(a: &Location, b: &Location) -> f64 {
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlon = (b.longitude - a.longitude).to_radians();
    let y = dlon.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dlon.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// The nearest of the eight compass points to a bearing: "N", "NE", … "NW".
pub fn compass(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8]
}

/// A distance as a responder reads it: "80 m", "450 m", "1.2 km", "14 km".
pub fn distance_text(metres: f64) -> String {
    if metres < 1_000.0 {
        format!("{} m", ((metres / 10.0).round() * 10.0) as i64)
    } else if metres < 10_000.0 {
        format!("{:.1} km", metres / 1_000.0)
    } else {
        format!("{} km", (metres / 1_000.0).round() as i64)
    }
}

/// "1.2 km NE": how far the call is from the responder, and which way.
pub fn distance_and_direction(from: &Location, to: &Location) -> String {
    let metres = distance_m(from, to);
    if metres < 30.0 {
        return "here".to_owned();
    }
    format!(
        "{} {}",
        distance_text(metres),
        compass(bearing_deg(from, to))
    )
}

/// The units dispatch can send to `place`, nearest first by straight line: available, not
/// retired, each with its distance in metres. Those that have not said where they are come
/// last (by callsign), since nobody knows how far they are.
pub fn nearest_available<'a>(
    units: impl IntoIterator<Item = &'a Unit>,
    place: &Location,
) -> Vec<(&'a Unit, Option<f64>)> {
    let mut free: Vec<(&Unit, Option<f64>)> = units
        .into_iter()
        .filter(|u| u.status == StatusCode::Available && !u.retired)
        .map(|u| {
            let away = u.position.as_ref().map(|fix| {
                let there = Location {
                    latitude: fix.latitude,
                    longitude: fix.longitude,
                    accuracy_m: None,
                };
                distance_m(place, &there)
            });
            (u, away)
        })
        .collect();
    free.sort_by(|(a, da), (b, db)| match (da, db) {
        (Some(x), Some(y)) => x.total_cmp(y).then_with(|| a.callsign.cmp(&b.callsign)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.callsign.cmp(&b.callsign),
    });
    free
}

/// Whether the device should send `here` at `now`, given the last position it sent and
/// when: the first one at once, then after [`MOVED_M`] or the agency's interval, whichever
/// comes first.
pub fn due(
    last_sent: Option<&(Location, Millis)>,
    here: &Location,
    now: Millis,
    interval_s: u32,
) -> bool {
    match last_sent {
        None => true,
        Some((there, at)) => {
            now.saturating_sub(*at) >= Millis::from(interval_s) * 1000
                || distance_m(there, here) >= MOVED_M
        }
    }
}

/// When a device standing still next owes a position: the last one sent plus the interval.
pub fn next_due(last_sent: Option<&(Location, Millis)>, interval_s: u32) -> Option<Millis> {
    last_sent.map(|(_, at)| at + Millis::from(interval_s) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(latitude: f64, longitude: f64) -> Location {
        Location {
            latitude,
            longitude,
            accuracy_m: None,
        }
    }

    #[test]
    fn the_nearest_free_units_come_first() {
        let unit = |id: i64, callsign: &str, status: StatusCode, at: Option<(f64, f64)>| Unit {
            id,
            callsign: callsign.into(),
            kind: crate::wire::UnitKind::Ems,
            status,
            incident_id: None,
            status_at: 0,
            last_heard_at: None,
            retired: false,
            check_in_due_at: None,
            check_in_warn_at: None,
            position: at.map(|(latitude, longitude)| crate::wire::Fix {
                latitude,
                longitude,
                accuracy_m: None,
                at: 0,
            }),
        };
        let mut retired = unit(6, "M6", StatusCode::Available, Some((43.7731, 11.2560)));
        retired.retired = true;
        let units = [
            unit(1, "M1", StatusCode::Available, Some((43.80, 11.25))),
            unit(2, "M2", StatusCode::Available, None),
            unit(3, "M3", StatusCode::Available, Some((43.7740, 11.2560))),
            unit(4, "M4", StatusCode::EnRoute, Some((43.7731, 11.2560))),
            unit(5, "M5", StatusCode::Available, Some((43.78, 11.26))),
            retired,
            unit(7, "M0", StatusCode::Available, None),
        ];
        let order: Vec<(&str, bool)> = nearest_available(&units, &at(43.7731, 11.2560))
            .into_iter()
            .map(|(u, d)| (u.callsign.as_str(), d.is_some()))
            .collect();
        assert_eq!(
            order,
            [
                ("M3", true),
                ("M5", true),
                ("M1", true),
                ("M0", false),
                ("M2", false)
            ]
        );
    }

    #[test]
    fn direction_and_distance_read_as_a_responder_says_them() {
        let duomo = at(43.7731, 11.2560);
        // Due north, east, south and west of it, a kilometre or so away.
        assert_eq!(compass(bearing_deg(&duomo, &at(43.7831, 11.2560))), "N");
        assert_eq!(compass(bearing_deg(&duomo, &at(43.7731, 11.2700))), "E");
        assert_eq!(compass(bearing_deg(&duomo, &at(43.7631, 11.2560))), "S");
        assert_eq!(compass(bearing_deg(&duomo, &at(43.7731, 11.2400))), "W");
        assert_eq!(compass(bearing_deg(&duomo, &at(43.7800, 11.2655))), "NE");
        assert_eq!(compass(359.0), "N");
        assert_eq!(compass(-90.0), "W");
        assert_eq!(distance_text(84.0), "80 m");
        assert_eq!(distance_text(1_234.0), "1.2 km");
        assert_eq!(distance_text(14_400.0), "14 km");
        assert_eq!(
            distance_and_direction(&duomo, &at(43.7732, 11.2560)),
            "here"
        );
        assert_eq!(
            distance_and_direction(&duomo, &at(43.7631, 11.2560)),
            "1.1 km S"
        );
    }

    #[test]
    fn distances_match_known_figures() {
        // One degree of latitude is about 111.2 km anywhere.
        let d = distance_m(&at(45.0, -122.0), &at(46.0, -122.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        // Florence's Duomo to Ponte Vecchio: about 800 m on the map.
        let d = distance_m(&at(43.77310, 11.25600), &at(43.76796, 11.25314));
        assert!((600.0..650.0).contains(&d), "{d}");
        assert_eq!(distance_m(&at(10.0, 10.0), &at(10.0, 10.0)), 0.0);
    }

    #[test]
    fn a_position_goes_first_at_once_then_on_moving_or_on_time() {
        let start = at(45.5, -122.6);
        assert!(due(None, &start, 1_000, DEFAULT_INTERVAL_S));
        let sent = (start.clone(), 1_000);
        let every = DEFAULT_INTERVAL_S;
        let interval_ms = Millis::from(every) * 1000;
        // Standing still: nothing until the interval is up.
        assert!(!due(Some(&sent), &start, 1_000 + interval_ms - 1, every));
        assert!(due(Some(&sent), &start, 1_000 + interval_ms, every));
        assert_eq!(next_due(Some(&sent), every), Some(1_000 + interval_ms));
        // Moving: 0.0005° of latitude is about 56 m, enough at once; 0.0004° (44 m) is not.
        assert!(due(Some(&sent), &at(45.5005, -122.6), 2_000, every));
        assert!(!due(Some(&sent), &at(45.5004, -122.6), 2_000, every));
        // A clock that went back does not send a flood.
        assert!(!due(Some(&sent), &start, 500, every));
    }

    #[test]
    fn the_agency_chooses_how_often_a_crew_standing_still_reports() {
        let here = at(43.7731, 11.2560);
        let sent = (here.clone(), 0);
        assert!(!due(Some(&sent), &here, 29_999, 30));
        assert!(due(Some(&sent), &here, 30_000, 30));
        assert!(due(Some(&sent), &here, 10_000, 10));
        assert!(check_interval(10).is_ok() && check_interval(120).is_ok());
        for wrong in [0, 9, 121, u32::MAX] {
            let reason = check_interval(wrong).unwrap_err();
            assert!(reason.contains("between 10 and 120 seconds"), "{reason}");
        }
    }
}
