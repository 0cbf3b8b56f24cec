//! The protocol's decoders take whatever arrives: arbitrary bytes and arbitrary JSON never
//! panic, and whatever decodes is checked without panicking either. (A property test stands
//! in for cargo-fuzz, which needs a nightly toolchain these machines cannot fetch.)

use proptest::prelude::*;
use serde_json::Value;
use tenfour_protocol::wire::{ChangesPage, NewIncident, OutboxEntry, PushRequest, SignIn};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("status"),
            Just("field_note"),
            Just("acknowledge"),
            Just("en_route")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("client_id".to_owned()),
                    Just("seq".to_owned()),
                    Just("id".to_owned()),
                    Just("at".to_owned()),
                    Just("kind".to_owned()),
                    Just("payload".to_owned()),
                    Just("entries".to_owned()),
                    Just("status".to_owned()),
                    Just("text".to_owned()),
                    Just("incident_id".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..7,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // `cargo xtask fuzz` raises the count through PROPTEST_CASES.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<PushRequest>(&bytes);
        let _ = serde_json::from_slice::<NewIncident>(&bytes);
        let _ = serde_json::from_slice::<SignIn>(&bytes);
        let _ = serde_json::from_slice::<ChangesPage>(&bytes);
    }

    #[test]
    fn arbitrary_json_decodes_or_is_refused_with_words(value in json_value()) {
        if let Ok(entry) = serde_json::from_value::<OutboxEntry>(value.clone())
            && let Err(reason) = entry.check()
        {
            prop_assert!(!reason.is_empty());
        }
        if let Ok(push) = serde_json::from_value::<PushRequest>(value.clone()) {
            for entry in push.entries {
                let _ = entry.check();
            }
        }
        let _ = serde_json::from_value::<NewIncident>(value);
    }
}
