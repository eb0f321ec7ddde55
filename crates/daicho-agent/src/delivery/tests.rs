//! Status classification and backoff bounds.

use std::time::Duration;

use reqwest::StatusCode;

use super::{Backoff, PushOutcome, classify};

#[test]
fn success_and_duplicates() {
    assert_eq!(
        classify(
            StatusCode::CREATED,
            br#"{"report_id":"6f1c2a7e-8d0e-4a61-9d4f-0b7a4b8e1c11","duplicate":true,"devices":3}"#
        ),
        PushOutcome::Accepted {
            duplicate: true,
            data_bundle: None
        }
    );
    assert_eq!(
        classify(StatusCode::OK, b"not json"),
        PushOutcome::Accepted {
            duplicate: false,
            data_bundle: None
        }
    );
}

#[test]
fn permanent_refusals_are_rejected_with_the_collector_message() {
    for code in [400, 401, 403, 413, 415, 422] {
        let status = StatusCode::from_u16(code).unwrap();
        match classify(status, br#"{"error":"token revoked"}"#) {
            PushOutcome::Rejected { reason } => {
                assert!(
                    reason.contains(&code.to_string()) && reason.contains("token revoked"),
                    "{reason}"
                );
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn transient_failures_are_retried() {
    for code in [404, 408, 429, 500, 502, 503, 504, 302] {
        let status = StatusCode::from_u16(code).unwrap();
        assert!(
            matches!(classify(status, b""), PushOutcome::Retry { .. }),
            "{code}"
        );
    }
}

#[test]
fn backoff_doubles_within_jitter_and_caps() {
    let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
    let delays: Vec<Duration> = (0..5).map(|_| b.next_delay()).collect();
    let bounds = [100, 200, 400, 400, 400];
    for (d, max) in delays.iter().zip(bounds) {
        let max = Duration::from_millis(max);
        assert!(
            *d >= max / 2 && *d <= max,
            "{d:?} not in [{:?}, {max:?}]",
            max / 2
        );
    }
    b.reset();
    assert!(b.next_delay() <= Duration::from_millis(100));
}
