//! When a device sends where it is: often enough that dispatch can follow a responder in
//! trouble, seldom enough that positions never crowd the outbox.

use crate::wire::{Location, Millis};

/// The mean radius of the Earth, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A new position is sent at the latest this long after the last one, moving or not.
pub const INTERVAL_MS: Millis = 15_000;
/// ...and at once when the device has moved this far since the last one sent.
pub const MOVED_M: f64 = 50.0;

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

/// Whether the device should send `here` at `now`, given the last position it sent and
/// when: the first one at once, then after [`MOVED_M`] or [`INTERVAL_MS`], whichever comes
/// first.
pub fn due(last_sent: Option<&(Location, Millis)>, here: &Location, now: Millis) -> bool {
    match last_sent {
        None => true,
        Some((there, at)) => {
            now.saturating_sub(*at) >= INTERVAL_MS || distance_m(there, here) >= MOVED_M
        }
    }
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
        assert!(due(None, &start, 1_000));
        let sent = (start.clone(), 1_000);
        // Standing still: nothing until the interval is up.
        assert!(!due(Some(&sent), &start, 1_000 + INTERVAL_MS - 1));
        assert!(due(Some(&sent), &start, 1_000 + INTERVAL_MS));
        // Moving: 0.0005° of latitude is about 56 m, enough at once; 0.0004° (44 m) is not.
        assert!(due(Some(&sent), &at(45.5005, -122.6), 2_000));
        assert!(!due(Some(&sent), &at(45.5004, -122.6), 2_000));
        // A clock that went back does not send a flood.
        assert!(!due(Some(&sent), &start, 500));
    }
}
